"""SW920-SW939: the `asl` target, what Step Functions cannot say as written.

Reported by `targets/asl/` (its capability lint is `targets/asl/checks.py`).
"""

from statewright.diagnostics.model import Code, Severity

OPTION_INVALID = Code(
    "SW920",
    "asl-option-invalid",
    Severity.ERROR,
    "an `asl` target option or the resource map is malformed",
    "pass `--option asl_resource_map=FILE` with a JSON object of action name -> ARN or "
    '{"queue": URL}, or `--option asl_resource.ACTION=ARN`',
)
EVALUATOR_USED = Code(
    "SW921",
    "asl-expression-evaluator",
    Severity.INFO,
    "an expression Choice rules and intrinsic functions cannot compute runs in the evaluator function",
    "Choice rules compare a field with a constant or another field; arithmetic such as `a * b`, "
    "and the check of a payload or work result against its declared fields, are done by the "
    "`StatewrightEvaluator` Lambda (statewright.targets.asl.evaluator.handler)",
)
RETRY_APPROXIMATED = Code(
    "SW922",
    "asl-retry-approximated",
    Severity.WARNING,
    "a retry policy has a part Step Functions' Retry cannot express exactly",
    "Step Functions has exponential backoff (BackoffRate >= 1), whole-second intervals and "
    "jitter NONE or FULL; linear backoff, equal/decorrelated jitter and sub-second delays "
    "are approximated; a work result that does not fit (ResultInvalid) is not retried, since "
    "the Task already succeeded",
)
TIMER_ROUNDED = Code(
    "SW923",
    "asl-timer-rounded",
    Severity.INFO,
    "a duration is not a whole number of seconds; Step Functions counts whole seconds",
    "it is rounded up to the next second",
)
SOFT_TIMEOUT_DROPPED = Code(
    "SW924",
    "asl-soft-timeout",
    Severity.WARNING,
    "a `warn after` timer has no Step Functions equivalent; it is listed in the state's Comment only",
    "alarm on the state's duration in CloudWatch instead (ExecutionTime / state history)",
)
UNBOUNDED_WAIT = Code(
    "SW925",
    "asl-wait-bounded-by-default",
    Severity.WARNING,
    "a state waits with no timeout; the callback gets the default bound `asl_max_wait` (1 year)",
    "give the state a `timeout D -> State` so the wait ends somewhere deliberate",
)
PARALLEL_LIMIT = Code(
    "SW926",
    "asl-parallel-limit",
    Severity.WARNING,
    "a parallel state uses something a Parallel state's branches cannot share",
    "branches of a Parallel state each hold their own copy of the data: `set` inside a region, "
    "exit actions of other regions and cross-region approval counting are not carried over",
)
NAME_TOO_LONG = Code(
    "SW927",
    "asl-state-name",
    Severity.ERROR,
    "a Step Functions state name is longer than 80 characters or not unique",
    "shorten the DSL state or event name",
)
DEFINITION_TOO_LARGE = Code(
    "SW928",
    "asl-definition-size",
    Severity.ERROR,
    "the state machine definition is larger than Step Functions' 1 MB (1,048,576 bytes) limit",
    "split the workflow, or move large docs out of the spec",
)
RETRY_CATCH_ORDER = Code(
    "SW929",
    "asl-retry-catch-order",
    Severity.ERROR,
    "`States.ALL` is not alone in the last Retry or Catch entry, or BackoffRate is below 1",
    "Step Functions rejects such definitions when they are created",
)
HISTORY_BOUND = Code(
    "SW930",
    "asl-history-bound",
    Severity.WARNING,
    "the worst-case number of execution history events may exceed Step Functions' 25,000 limit",
    "bound the loops (a counter in a guard), or continue in a new execution",
)
HISTORY_UNBOUNDED = Code(
    "SW931",
    "asl-history-unbounded",
    Severity.INFO,
    "the machine has loops, so no static bound on history events per execution is known",
    "each refused event, retry and loop adds history events; the 25,000-event limit applies",
)
DELEGATION_LIMIT = Code(
    "SW932",
    "asl-delegation-slots",
    Severity.INFO,
    "delegation is counted in a fixed number of slots per approval level in the state data",
    "Step Functions' JSONPath cannot append to a list; a level holds DELEGATE_SLOTS delegations",
)
NO_TERMINAL = Code(
    "SW933",
    "asl-no-terminal",
    Severity.ERROR,
    "the definition (or a Parallel branch) has no Succeed or Fail state: the workflow can never end",
    "Step Functions refuses such a definition; give the workflow (or the region) a final state it can reach",
)
