"""Which actions a machine calls: the one answer every target and engine uses for its handler table.

A workflow's handlers are its `do` actions (entry, exit, soft-timeout and
transition actions) and its invoked work. Step Functions' resource map, the
Temporal activity list, the test engines' handler tables and the benchmarks
all ask this question; they ask it here.
"""

from __future__ import annotations

from statewright import ir


def do_calls(machine: ir.Machine) -> tuple[ir.Call, ...]:
    """Every `do` action in IR order: per state its entry, exit and soft-timeout ones; then transitions'."""
    found = [call for state in machine.states for call in _state_calls(state)]
    for transition in machine.transitions:
        found.extend(action for action in transition.actions if isinstance(action, ir.Call))
    return tuple(found)


def handler_names(machine: ir.Machine) -> tuple[str, ...]:
    """Every action a handler is needed for (invoked work and `do`), each once, first use in IR order first.

    A state's invoked work comes before its own `do` actions, as the state's
    entry starts its work; transitions' actions come last.
    """
    names: dict[str, None] = {}
    for state in machine.states:
        if state.invoke is not None:
            names.setdefault(state.invoke.action, None)
        for call in _state_calls(state):
            names.setdefault(call.name, None)
    for transition in machine.transitions:
        for action in transition.actions:
            if isinstance(action, ir.Call):
                names.setdefault(action.name, None)
    return tuple(names)


def _state_calls(state: ir.State) -> tuple[ir.Call, ...]:
    """A state's own `do` actions: entry, exit, then each soft timeout's."""
    actions = (*state.entry, *state.exit, *(a for soft in state.soft_timeouts for a in soft.actions))
    return tuple(action for action in actions if isinstance(action, ir.Call))
