"""SW5xx: sagas (compensations, idempotency keys, the failure path, size, order).

Reported by the rules in `compiler/verify/rules/sagas.py`.
"""

from statewright.diagnostics.model import Code, Severity

STEP_WITHOUT_COMPENSATION = Code(
    "SW501",
    "saga-step-without-compensation",
    Severity.ERROR,
    "saga step has no compensation and is not marked `no_compensation` or `pivot`",
    'add `compensate undo_action`, or say why none is needed: `no_compensation "why"` or `pivot`',
)
MISSING_IDEMPOTENCY_KEY = Code(
    "SW502",
    "saga-missing-idempotency-key",
    Severity.ERROR,
    "saga step or compensation has no idempotency key",
    'give each intent its own key, e.g. `key "order-{order_id}-charge"`, so a retry is not repeated',
)
NO_COMPENSATION_FAILURE_PATH = Code(
    "SW503",
    "saga-compensation-failure-path",
    Severity.ERROR,
    "a failing compensation has no path to an outcome",
    "add `compensation_failed -> ManualReview` leading to a state where a person settles it, "
    "and from there to a final state",
)
SAGA_TOO_LONG = Code(
    "SW504",
    "saga-too-long",
    Severity.WARNING,
    "saga has more than ten steps",
    "split it into smaller sagas (each with its own compensations) chained by their outcomes",
)
MANY_SERVICES = Code(
    "SW505",
    "saga-many-services",
    Severity.INFO,
    "saga spans five or more services",
    "orchestrate it: one coordinator owns the saga, its retry budget and its compensation table",
)
COMPENSATION_ORDER = Code(
    "SW506",
    "saga-compensation-order",
    Severity.ERROR,
    "the saga's transitions disagree with its table (compensations must run in reverse order)",
    "regenerate the IR from the `.wf` source; if it was edited by hand, restore the transitions "
    "the saga table implies",
)
EXIT_WITHOUT_COMPENSATION = Code(
    "SW507",
    "saga-exit-without-compensation",
    Severity.ERROR,
    "a way out of a saga skips the compensations of its completed steps",
    "leave a saga through an event (`on E -> T` on the saga or a state around it): the compiler runs "
    "the compensations before T is entered; move a deadline onto the steps (`step ... timeout D`), and "
    "keep transitions of other parallel regions from leaving a region that runs a saga",
)
KEY_REPEATS_IN_LOOP = Code(
    "SW508",
    "idempotency-key-repeats-in-loop",
    Severity.WARNING,
    "an idempotency key renders the same on every pass of a loop",
    "put something that changes on each pass into the key (a counter the loop `set`s, a period), "
    'e.g. `key "sub-{subscription_id}-renewal-{period}"`; otherwise the second pass is taken for '
    "a replay of the first and silently does nothing",
)
