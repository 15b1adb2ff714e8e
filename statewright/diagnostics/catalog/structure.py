"""SW3xx: structure, determinism and completeness of the state graph.

Reported by the rules in `compiler/verify/rules/structure.py`.
"""

from statewright.diagnostics.model import Code, Severity

UNREACHABLE = Code(
    "SW301",
    "unreachable-state",
    Severity.ERROR,
    "state cannot be reached from the initial state",
    "no event sequence from the initial state enters this state, so there is no counterexample "
    "to show; add a transition into it from a reachable state, or delete it",
)
TRAP = Code(
    "SW302",
    "trap-state",
    Severity.ERROR,
    "no final state can be reached from this state",
    "add a transition or a timeout that leads towards a final state; the counterexample shows "
    "how an instance gets here",
)
DEADLOCK = Code(
    "SW303",
    "deadlock",
    Severity.ERROR,
    "non-final state has no way out",
    "add a transition or a `timeout D -> Target` (to the state or to one containing it), "
    "or make it a `final state`",
)
UNUSED_EVENT = Code(
    "SW304",
    "unused-event",
    Severity.WARNING,
    "declared event is never used",
    "remove it from the `events` block, or handle it where it can arrive",
)
VERB_STATE = Code(
    "SW305",
    "verb-state-name",
    Severity.WARNING,
    "state name reads as a command",
    "name states for the situation (`Validating`, `Validated`) and events for the action",
)
NONDETERMINISTIC = Code(
    "SW310",
    "nondeterministic",
    Severity.ERROR,
    "one state handles one event in more than one way",
    "give the transitions guards that exclude each other (with one `else`), or keep only one of them",
)
INCOMPLETE = Code(
    "SW311",
    "incomplete",
    Severity.WARNING,
    "state does not say what happens on some events",
    'for each event add a transition, or `reject EVENT "reason"` / `ignore EVENT`',
)
EMIT_CYCLE = Code(
    "SW312",
    "emit-cycle",
    Severity.ERROR,
    "emitted events can re-trigger themselves without an external event",
    "break the cycle: emit from a transition that moves to a state where the event is not handled "
    "again, or guard it with a counter that stops it; the runtime refuses more than 1000 emitted "
    "steps after one external step (SW979)",
)
