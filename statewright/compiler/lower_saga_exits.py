"""Leaving a saga through an event compensates first (LANGUAGE.md §9, "Leaving a saga early").

A saga's own steps lead to its outcomes; any other way out is an *exit*: an `on
E -> T` written on the saga or on an enclosing state. Left as written, an exit
would abandon the completed steps (a cancelled trip keeps its flight and hotel).
This pass, run on the lowered machine, routes every event exit through the
compensations first:

- for each saga leaf with something to undo (a step after completed compensable
  steps, or a compensation in flight), the event's whole dispatch walk from the
  saga outwards is copied onto the leaf, in the order `semantics.dispatch` tries
  it (the copies decide exactly what the originals would: same guards, actions,
  gates, `else` and refusal), with each exiting transition retargeted. The
  copies are written just before the first original they copy: where a leaf of
  another parallel region selects that original for the same event, the copy
  comes first in document order and preempts it;
- an exit goes to a chain of compensation states of its own (`Saga.event.undo`),
  one per compensable step, in reverse order, whose last `done` enters the
  exit's real target: the compensations run before the target is entered. The
  chain lives in the exit's domain, so the states the exit leaves and enters are
  exactly the original's. A failing (or timed-out) compensation goes to
  `compensation_failed`, as in the saga's own chain. The chain is shielded: it
  refuses every event, so nothing can leave it half done;
- after the pivot nothing can be undone automatically: the exit goes where the
  saga sends post-pivot failures (`compensation_failed`).

Exits this cannot route (a timeout on an enclosing state, a transition in another
region of an enclosing parallel state) are refused by the verifier (SW507).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from statewright import ir
from statewright.semantics.dispatch import Dispatch
from statewright.semantics.hierarchy import Hierarchy
from statewright.semantics.sagas import Pending, pending_undo

__all__ = ["Pending", "lower_saga_exits", "pending_undo"]


def lower_saga_exits(
    machine: ir.Machine, failed_actions: Mapping[str, tuple[ir.Action, ...]] | None = None
) -> ir.Machine:
    """Route every event exit from a saga with something to undo through compensation states.

    `failed_actions` are each saga's `compensation_failed -> S { actions }`: they run on
    an exit chain's failures too, as on the saga's own.
    """
    if not machine.sagas:
        return machine
    dispatch = Dispatch(machine)
    hierarchy = Hierarchy(machine)
    added = _Added(failed=dict(failed_actions or {}))
    for saga in machine.sagas:
        _saga_exits(machine, dispatch, hierarchy, saga, added)
    if not added.before and not added.rejects:
        return machine
    transitions = [
        moved
        for index, original in enumerate(machine.transitions)
        for moved in (*added.before.get(index, ()), original)
    ]
    return dataclasses.replace(
        machine,
        states=_with_children(machine.states, added.states),
        transitions=(*transitions, *added.transitions),
        rejects=(*machine.rejects, *added.rejects),
    )


@dataclasses.dataclass
class _Added:
    """What the pass adds: states by parent (None: top level), transitions, refusals."""

    states: dict[str | None, list[ir.State]] = dataclasses.field(default_factory=dict)
    transitions: list[ir.Transition] = dataclasses.field(default_factory=list)
    before: dict[int, list[ir.Transition]] = dataclasses.field(default_factory=dict)
    """Leaf copies, by the index of the original transition they are written before."""
    rejects: list[ir.Reject] = dataclasses.field(default_factory=list)
    names: set[str] = dataclasses.field(default_factory=set)
    failed: dict[str, tuple[ir.Action, ...]] = dataclasses.field(default_factory=dict)
    """Each saga's `compensation_failed` actions."""


def _saga_exits(
    machine: ir.Machine, dispatch: Dispatch, hierarchy: Hierarchy, saga: ir.Saga, added: _Added
) -> None:
    pending = {leaf: owed for leaf, owed in pending_undo(saga).items() if owed.owes}
    if not pending or saga.state not in dispatch.states:
        return
    outward = dispatch.chain(saga.state)
    needed = {step.state for owed in pending.values() for step in owed.undo}
    chains: dict[int, dict[str, str]] = {}
    labels: dict[str, int] = {}
    for event in dispatch.events_at(outward, refusals=False):
        handling = dispatch.walk(outward, event)
        if not any(machine.transitions[i].target is not None for i in handling.candidates):
            continue
        for index in handling.candidates:
            transition = machine.transitions[index]
            if transition.target is not None and index not in chains:
                count = labels[event] = labels.get(event, 0) + 1
                label = event if count == 1 else f"{event}_{count}"
                chains[index] = _chain(machine, hierarchy, saga, transition, label, needed, added)
        # The copies go just before the first original they copy, so that where another region
        # selects an original too, the copy comes first in document order and wins preemption.
        block = added.before.setdefault(min(handling.candidates), [])
        for leaf, owed in pending.items():
            for index in handling.candidates:
                transition = machine.transitions[index]
                target = transition.target
                if target is not None:
                    target = _entry(saga, owed, target, chains[index])
                block.append(dataclasses.replace(transition, source=leaf, target=target))
            if handling.refusal is not None and handling.terminal in ("reject", "ignore"):
                added.rejects.append(dataclasses.replace(handling.refusal, state=leaf))


def _entry(saga: ir.Saga, owed: Pending, target: str, chain: dict[str, str]) -> str:
    """Where an exit owing `owed` goes first: the latest compensation, or `compensation_failed`."""
    if owed.post_pivot:
        return saga.compensation_failed or target
    if owed.undo:
        return chain[owed.undo[0].state]
    return target


def _chain(
    machine: ir.Machine,
    hierarchy: Hierarchy,
    saga: ir.Saga,
    exit_: ir.Transition,
    label: str,
    needed: set[str],
    added: _Added,
) -> dict[str, str]:
    """The exit's compensation states, by step state; the earliest one's `done` enters the exit's target."""
    assert exit_.target is not None
    parent = hierarchy.domain(exit_.source, exit_.target)
    compensable = [s for s in saga.steps if s.compensation is not None and s.state in needed]
    names: dict[str, str] = {}
    following = exit_.target
    for step in compensable:  # earliest first: each one's `done` continues with the one before it
        assert step.compensation is not None
        name = _unique(f"{saga.state}.{label}.{step.compensation}", added.names, machine)
        names[step.state] = name
        added.states.setdefault(parent, []).append(
            ir.State(
                name=name,
                kind="atomic",
                parent=parent,
                role="compensation",
                invoke=ir.Invoke(
                    step.compensation, step.compensation_key, step.service, step.retry, None, span=step.span
                ),
                doc=f"undoes `{step.action}` before `{exit_.target}` is entered "
                f"({label} left `{saga.state}`)",
                span=step.span,
            )
        )
        added.rejects.extend(
            ir.Reject(name, event.name, "reject", f"`{saga.state}` is being undone before `{exit_.target}`")
            for event in machine.events
        )
        added.transitions.append(ir.Transition(name, "done", following, span=step.span))
        if saga.compensation_failed is not None:
            failed = added.failed.get(saga.state, ())
            added.transitions.append(
                ir.Transition(name, "error", saga.compensation_failed, actions=failed, span=step.span)
            )
            if step.timeout_ms is not None:
                added.transitions.append(
                    ir.Transition(
                        name,
                        "timeout",
                        saga.compensation_failed,
                        after_ms=step.timeout_ms,
                        actions=failed,
                        span=step.span,
                    )
                )
        following = name
    return names


def _unique(name: str, taken: set[str], machine: ir.Machine) -> str:
    """`name`, or `name_2`, ... when a state of that name exists (names are global)."""
    existing = {s.name for s in machine.states}
    candidate, number = name, 1
    while candidate in taken or candidate in existing:
        number += 1
        candidate = f"{name}_{number}"
    taken.add(candidate)
    return candidate


def _with_children(
    states: tuple[ir.State, ...], added: dict[str | None, list[ir.State]]
) -> tuple[ir.State, ...]:
    """`states` with the new ones as the last children of their parents, the tuple kept in pre-order."""
    if not added:
        return states
    by_name = {s.name: s for s in states}
    for parent, children in added.items():
        if parent is not None:
            owner = by_name[parent]
            by_name[parent] = dataclasses.replace(
                owner, children=(*owner.children, *(c.name for c in children))
            )
    ordered: list[ir.State] = []

    def visit(state: ir.State) -> None:
        ordered.append(state)
        for child in state.children:
            visit(by_name[child] if child in by_name else extra[child])

    extra = {c.name: c for children in added.values() for c in children}
    for state in states:
        if state.parent is None:
            visit(by_name[state.name])
    for state in added.get(None, []):
        ordered.append(state)
    return tuple(ordered)
