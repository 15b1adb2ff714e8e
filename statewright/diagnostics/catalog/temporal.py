"""SW951-SW959: the `temporal` target, what a Temporal workflow cannot hold or say as written.

Reported by `targets/temporal/` (its capability lint is `targets/temporal/checks.py`).
"""

from statewright.diagnostics.model import Code, Severity

HISTORY_UNBOUNDED = Code(
    "SW951",
    "temporal-history-unbounded",
    Severity.WARNING,
    "a loop that runs on its own through work or timers can grow one run's event history without "
    "bound; Temporal terminates a run past 51,200 events or 50 MB of history",
    "bound the loop (a counter in a guard), or end the run and start a new one with the instance's "
    "context (Temporal's continue-as-new) before the limit; the generated workflow does not do it for you",
)
HISTORY_TOO_LARGE = Code(
    "SW952",
    "temporal-history-size",
    Severity.WARNING,
    "one run can write more history than Temporal keeps (51,200 events or 50 MB)",
    "split the workflow (child workflows) or shorten its longest path",
)
PENDING_ACTIVITIES = Code(
    "SW953",
    "temporal-pending-activities",
    Severity.WARNING,
    "parallel regions can have more activities pending at once than Temporal allows one run (2,000)",
    "run fewer regions' work at once, or fan out through child workflows",
)
PAYLOAD_TOO_LARGE = Code(
    "SW954",
    "temporal-payload-size",
    Severity.WARNING,
    "a context, event payload or work result can be larger than Temporal's 2 MB payload limit",
    "lower the declared bounds of the fields, or keep large data outside the workflow and pass a reference",
)
RETRY_APPROXIMATED = Code(
    "SW955",
    "temporal-retry-approximated",
    Severity.WARNING,
    "a retry policy has a part Temporal's activity RetryPolicy cannot express exactly",
    "Temporal retries with exponential growth (a coefficient >= 1), a maximum interval and no "
    "jitter: linear backoff is mapped to a coefficient of 2 (each retry waits at least as long as the "
    "spec says) and jitter is dropped (each retry waits the delay before jitter); give the work "
    "`backoff exponential` or `backoff fixed` and no jitter to run exactly as written",
)
UPDATE_NAME_TAKEN = Code(
    "SW956",
    "temporal-update-name",
    Severity.WARNING,
    "an event's name is the name of the generic update every generated workflow has",
    "the event has no typed update of its own; send it through the generic update "
    "(`statewright_send`), or rename the event",
)
SETTINGS_KEY_SHARED = Code(
    "SW957",
    "temporal-settings-key",
    Severity.ERROR,
    "a state and a `do` action have the same name, so their activity settings share one key",
    "rename the state or the action: the activity settings table is keyed by the state that "
    "invokes the work, or by the action's name for work owed without a state",
)
