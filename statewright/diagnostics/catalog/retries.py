"""SW7xx: retries and timeouts of invoked work.

Reported by the rules in `compiler/verify/rules/retries.py`.
"""

from statewright.diagnostics.model import Code, Severity

UNLIMITED_RETRIES = Code(
    "SW701",
    "retries-unlimited",
    Severity.ERROR,
    "retries are not capped",
    "cap them, e.g. `retry 5 backoff exponential 1s..1m jitter full dead_letter -> DeadLettered`",
)
UNCAPPED_BACKOFF = Code(
    "SW702",
    "backoff-uncapped",
    Severity.WARNING,
    "a growing backoff has no cap",
    "add a cap: `backoff exponential 1s..5m`",
)
NO_DEAD_LETTER = Code(
    "SW703",
    "retries-without-dead-letter",
    Severity.ERROR,
    "work with a retry policy has nowhere to go when its retries are spent",
    "add `dead_letter -> DeadLettered` to the retry policy: a state where the failure is seen and handled",
)
UNBOUNDED_WORK = Code(
    "SW704",
    "unbounded-work",
    Severity.WARNING,
    "invoked work has neither a timeout nor a heartbeat",
    "bounded work must be bounded: add `timeout D -> State` or `heartbeat D`",
)
NO_JITTER = Code(
    "SW705",
    "retries-without-jitter",
    Severity.INFO,
    "retries without jitter",
    "use `jitter full` (or `equal`, `decorrelated`) so that instances failing together do not "
    "retry together (thundering herd)",
)
RETRY_WITHOUT_KEY = Code(
    "SW706",
    "retries-without-idempotency-key",
    Severity.WARNING,
    "invoked work is retried but has no idempotency key",
    'give the work a key, e.g. `invoke charge_card key "order-{order_id}-charge"`: a retried call '
    "without one can run twice (a double charge) when the first attempt succeeded but its answer was lost",
)
CATCH_NEVER_FIRES = Code(
    "SW707",
    "catch-never-fires",
    Severity.WARNING,
    "an error transition the retry policy never lets fire",
    "the policy retries this error without a limit, so it is never final and nothing catches it: "
    "cap the retries (`retry 3`), or leave the name out of `retry_on` so that the catch can take it",
)
