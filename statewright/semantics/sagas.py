"""What leaving a saga owes: the compensations of its completed steps (LANGUAGE.md §9).

Shared by the compiler (`compiler/lower_saga_exits.py` routes every event exit
through these compensations) and the runtime (an operator's reroute out of a saga
owes them too, `runtime/operations.py`), so both read one definition of the debt.
"""

from __future__ import annotations

import dataclasses

from statewright import ir

__all__ = ["ExitChain", "Pending", "SharedUndo", "pending_undo", "shared_undo"]


@dataclasses.dataclass(frozen=True, slots=True)
class Pending:
    """What leaving a saga from one of its leaves owes.

    `undo` are the steps whose compensations must run, latest first; `post_pivot`
    is True when the pivot has completed (nothing is undone automatically).
    """

    undo: tuple[ir.SagaStep, ...]
    post_pivot: bool

    @property
    def owes(self) -> bool:
        """True when an exit from this leaf cannot simply go to its target."""
        return self.post_pivot or bool(self.undo)


def pending_undo(saga: ir.Saga) -> dict[str, Pending]:
    """For every leaf of `saga` (steps and compensations), what an exit from it owes.

    A step leaf owes the compensations of the completed compensable steps before
    it, latest first, or is past the pivot; a compensation leaf owes its own
    compensation (in flight) and those of the compensable steps before its step.
    """
    found: dict[str, Pending] = {}
    pivot_seen = False
    for position, step in enumerate(saga.steps):
        before = tuple(s for s in reversed(saga.steps[:position]) if s.compensation is not None)
        found[step.state] = Pending(() if pivot_seen else before, pivot_seen)
        if step.compensation_state is not None:
            found[step.compensation_state] = Pending((step, *before), False)
        pivot_seen = pivot_seen or step.pivot
    return found


@dataclasses.dataclass(frozen=True, slots=True)
class ExitChain:
    """One early exit's compensation states (added by `compiler/lower_saga_exits.py`).

    `states` run in this order (latest step's compensation first); the last
    one's `done` enters `following`, the exit's real target.
    """

    states: tuple[str, ...]
    following: str


@dataclasses.dataclass(frozen=True, slots=True)
class SharedUndo:
    """Exit chains of one saga that differ only in where they end (at least two).

    Position by position their states run the same compensation and decide every
    event, failure and timeout alike; only the last `done` goes to each chain's
    own `following`. A target that can record which exit was taken (a process
    variable) draws them once and chooses the continuation at the end.
    """

    saga: str
    parent: str | None
    chains: tuple[ExitChain, ...]


def shared_undo(machine: ir.Machine) -> tuple[SharedUndo, ...]:
    """Every saga's interchangeable exit chains, in document order.

    Read back from the lowered IR: the chain states are the compensation states
    outside the saga that its leaves' transitions enter, linked by `done`.
    Chains are grouped only when their states match position by position
    (compensation, parent, every transition but the last `done`'s target), so
    drawing a group once decides exactly what the separate chains decide.
    """
    if not machine.sagas:
        return ()
    states = {s.name: s for s in machine.states}
    order = {s.name: index for index, s in enumerate(machine.states)}
    leaving: dict[str, list[ir.Transition]] = {}
    for transition in machine.transitions:
        leaving.setdefault(transition.source, []).append(transition)
    found: list[SharedUndo] = []
    for saga in machine.sagas:
        groups: dict[object, list[ExitChain]] = {}
        for chain in _exit_chains(saga, states, order, leaving):
            groups.setdefault(_signature(chain, states, leaving), []).append(chain)
        for group in groups.values():
            if len(group) > 1:
                found.append(SharedUndo(saga.state, states[group[0].states[0]].parent, tuple(group)))
    return tuple(sorted(found, key=lambda shared: order[shared.chains[0].states[0]]))


def _exit_chains(
    saga: ir.Saga,
    states: dict[str, ir.State],
    order: dict[str, int],
    leaving: dict[str, list[ir.Transition]],
) -> list[ExitChain]:
    """The saga's exit chains: compensation states outside it that its leaves enter, linked by `done`."""
    leaves = set(pending_undo(saga))

    def in_chain(name: str | None) -> bool:
        state = states.get(name or "")
        return (
            state is not None
            and state.role == "compensation"
            and state.kind == "atomic"
            and state.invoke is not None
            and state.name not in leaves
        )

    def next_of(name: str) -> str | None:
        dones = [t for t in leaving.get(name, ()) if t.kind == "done"]
        if len(dones) != 1 or dones[0].guard is not None or dones[0].target is None:
            return None
        return dones[0].target

    reached: set[str] = set()
    pending = [t.target for leaf in leaves for t in leaving.get(leaf, ()) if t.target and in_chain(t.target)]
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            following = next_of(name)
            if following is not None and in_chain(following):
                pending.append(following)
    successors = {next_of(name) for name in reached}
    chains: list[ExitChain] = []
    for head in sorted(reached - successors, key=order.__getitem__):
        walk, current = [head], next_of(head)
        while current is not None and current in reached and current not in walk:
            walk.append(current)
            current = next_of(current)
        if current is not None and current not in reached:
            chains.append(ExitChain(tuple(walk), current))
    return chains


def _signature(
    chain: ExitChain, states: dict[str, ir.State], leaving: dict[str, list[ir.Transition]]
) -> object:
    """What a chain decides, position by position, with its own state names and final target left out."""
    position = {name: index for index, name in enumerate(chain.states)}
    parts: list[object] = []
    for index, name in enumerate(chain.states):
        state = dataclasses.replace(states[name], name="", doc="")
        moves = []
        for transition in leaving.get(name, ()):
            target: object = transition.target
            if transition.target in position:
                target = position[transition.target]
            elif transition.kind == "done" and index == len(chain.states) - 1:
                target = None
            moves.append(
                dataclasses.replace(transition, source="", target=None if target is None else str(target))
            )
        parts.append((state, tuple(moves)))
    return tuple(parts)
