"""SW8xx: parallel and compound states (regions, joins, races, final children).

Reported by the rules in `compiler/verify/rules/parallel.py`.
"""

from statewright.diagnostics.model import Code, Severity

REGION_CANNOT_COMPLETE = Code(
    "SW801",
    "region-cannot-complete",
    Severity.ERROR,
    "a region can never reach one of its final states",
    "add a way from the region's states to one of its final states",
)
JOIN_DEADLOCK = Code(
    "SW802",
    "join-deadlock",
    Severity.ERROR,
    "the join of a parallel state can never fire",
    "every region needs a final state, reachable in some run together with the other regions' final states",
)
EXPLORATION_PARTIAL = Code(
    "SW803",
    "exploration-partial",
    Severity.INFO,
    "the product state space was not fully explored; results are partial",
    "raise the bound with the setting `parallel.max_configurations`, or split the parallel state",
)
RACE_CANDIDATE = Code(
    "SW804",
    "race-candidate",
    Severity.WARNING,
    "one event is handled by several regions at once",
    "make sure the regions' reactions commute, or give each region its own event",
)
FINAL_DEAD_END = Code(
    "SW805",
    "final-child-dead-end",
    Severity.WARNING,
    "a reachable final child completes nothing",
    "add `done -> State` to the enclosing state, or make the child an ordinary state",
)
