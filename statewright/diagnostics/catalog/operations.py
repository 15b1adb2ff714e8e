"""SW070-SW079: an operator's repairs of running instances (reroute, rollback, redrive).

Raised by `runtime/operations.py` as `WorkflowError`s and printed by
`statewright run reroute|rollback|redrive` (exit 1); docs/OPERATIONS.md describes
the operations. A refused operation changes nothing.
"""

from statewright.diagnostics.model import Code, Severity

OPERATION_DENIED = Code(
    "SW070",
    "operation-denied",
    Severity.ERROR,
    "an operator repair needs an actor, a reason and the operator permission",
    "present `role:operator` (and the workflow's `scope`, if it declares one), name the actor, "
    "and say why (`--actor`, `--permission`, `--scope`, `--reason`)",
)
REROUTE_UNKNOWN_STATE = Code(
    "SW071",
    "reroute-unknown-state",
    Severity.ERROR,
    "the reroute names a state the workflow does not have",
    "name one of the workflow's states (`statewright run status` shows where the instance is)",
)
REROUTE_TARGET_INVALID = Code(
    "SW072",
    "reroute-target-invalid",
    Severity.ERROR,
    "the instance cannot be rerouted to this state: the compiler made it (a saga step, a "
    "compensation, an approval level or region)",
    "reroute to a state the spec declares (a saga or an approval as a whole, say); to re-run a "
    "failed step use `run redrive`, to undo a saga `run rollback`",
)
NOTHING_TO_ROLL_BACK = Code(
    "SW073",
    "nothing-to-roll-back",
    Severity.ERROR,
    "no active saga has completed steps whose compensations could run",
    "rollback undoes a saga's completed steps before its pivot; a saga already compensating, "
    "past its pivot or at its first step has nothing to undo (reroute it instead)",
)
NOTHING_TO_REDRIVE = Code(
    "SW074",
    "nothing-to-redrive",
    Severity.ERROR,
    "the instance has no failed work to run again",
    "redrive applies to an instance that failed because nothing handled a failure, or that waits "
    "in the state a failure's catch-all (`dead_letter`) sent it to; the audit log shows which",
)
