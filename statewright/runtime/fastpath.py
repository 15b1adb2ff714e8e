"""The compiled dispatch table: the moves an in-memory machine can make with one dict lookup.

A *pure move* is an event step whose whole effect is to replace the active
leaf: nothing but the configuration changes, so it needs no audit record, no
timer change, no work and no check. `pure_moves` finds every (leaf, event)
pair whose step is pure whatever the context and whoever sends it, by asking
the same questions the engine asks of that step:

- the leaf is the whole configuration (no parallel state above it), the
  instance is running, and the leaf is not final;
- the event declares no payload (a payload is checked, and may be read, by the engine);
- the first level of the leaf's chain that mentions the event decides it with
  an unguarded transition or an `else` alone (no guard to evaluate, nothing to
  refuse), and it is not an approval decision (those count votes) nor the
  acknowledgement of a checkpoint with an assignee (the engine checks who sends it);
- that transition has a target, no actions, no permissions, scope or evidence
  (so the governance gate passes any request);
- every state it exits and enters has no entry/exit actions, no timers (hard
  or soft), no invoked work, and is not an approval level;
- it ends in one leaf that is not final and has no eventless transition
  (`always`, or a `completion` it could enable) on its chain.

A *timed move* (`timed_moves`) is the same but for timers: the states it exits
and enters may have hard and soft timeouts, which it cancels and starts, and
the level that decides the event may choose among guarded transitions (each a
timed move, with an `else` or an unguarded one last, so the level always
decides). Its effect is a new leaf plus timer changes, which the in-memory
machine applies to its store directly.

Every other step goes to the engine. The tests check both tables against the
engine step for step, and the conformance tests run the machine against the
reference interpreter.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from statewright import ir
from statewright.runtime.definition import Definition
from statewright.runtime.model import TimerKind
from statewright.runtime.plan import plan_of


def pure_moves(definition: Definition) -> dict[str, dict[str, str]]:
    """Map each leaf to the events whose step from it is a pure move, and the leaf each one reaches.

    A pure move is a timed move with nothing to choose and no timer to touch.
    """
    return {
        leaf: {
            event: choice[0][1].target
            for event, choice in moves.items()
            if len(choice) == 1 and not choice[0][1].cancel and not choice[0][1].start
        }
        for leaf, moves in timed_moves(definition).items()
    }


def _settles(definition: Definition, name: str) -> bool:
    """The state has an eventless transition that may fire once it is active."""
    return bool(definition.eventless.get((name, "always")) or definition.eventless.get((name, "completion")))


def rows(table: Mapping[str, Mapping[str, str]], leaf_key: object) -> dict[str, dict[object, Any]]:
    """Link the table into rows: each leaf's row maps an event to the next leaf's row.

    `row[leaf_key]` is the row's own leaf, so a machine that keeps only its
    current row knows its state (`leaf_key` must be something no event can be).
    A leaf with no pure moves still gets a row (every event from it goes to the
    engine).
    """
    linked: dict[str, dict[object, Any]] = {leaf: {leaf_key: leaf} for leaf in table}
    for leaf, moves in table.items():
        row = linked[leaf]
        for event, target in moves.items():
            # Interned keys: an event name written in the caller's code is then the very
            # same object, and the lookup never compares characters.
            row[sys.intern(event)] = linked.setdefault(target, {leaf_key: target})
    return linked


@dataclass(frozen=True, slots=True)
class TimedMove:
    """A move to `target` that cancels the exited states' timers and starts the entered states'."""

    target: str
    cancel: tuple[str, ...]
    start: tuple[tuple[str, int, TimerKind, str, int | None], ...]
    """(key, delay in ms, kind, state, transition index) of each timer the move starts."""


Choice = tuple[tuple[int | None, TimedMove], ...]
"""The candidates of one (leaf, event) in the engine's order: (guard's transition index, or None
when the transition is unguarded or the `else`, and the move it makes); the first that holds wins."""


def fast_leaves(definition: Definition) -> tuple[str, ...]:
    """The leaves a machine can be in alone: not final and under no parallel state."""
    hierarchy = definition.hierarchy
    states = definition.states
    return tuple(
        leaf
        for leaf in hierarchy.leaves
        if states[leaf].kind != "final"
        and not any(states[name].kind == "parallel" for name in hierarchy.ancestors(leaf))
    )


def timed_moves(definition: Definition) -> dict[str, dict[str, Choice]]:
    """Map each fast leaf to the events whose step from it is a timed move (guards chosen at run time)."""
    states = definition.states
    busy = {name for name, state in states.items() if not _quiet_but_timers(definition, state)}
    settles = {name for name in states if _settles(definition, name)}
    leaves = set(fast_leaves(definition))
    table: dict[str, dict[str, Choice]] = {}
    for leaf in sorted(leaves, key=definition.hierarchy.order.__getitem__):
        if leaf in busy:
            continue
        row: dict[str, Choice] = {}
        for event in sorted(definition.events - definition.payloads.keys()):  # a payload is checked first
            choice = _choice(definition, leaf, event, busy, settles, leaves)
            if choice is not None:
                row[event] = choice
        table[leaf] = row
    return table


def _choice(
    definition: Definition, leaf: str, event: str, busy: set[str], settles: set[str], leaves: set[str]
) -> Choice | None:
    """The candidates the deciding level offers, or None when the step is not a timed move.

    The deciding level and its candidates are `semantics.dispatch`'s; a timed move
    needs a level that always decides by a transition (unguarded or `else`).
    """
    levels = definition.dispatch.levels(definition.hierarchy.chain(leaf), event)
    if not levels:
        return None
    level = levels[0]
    if not (level.unguarded or level.fallback is not None) or level.state in definition.levels:
        return None  # refused, or guards alone (where none holds the event passes outwards)
    if event == "acknowledge" and level.state in definition.assignees:
        return None  # only the checkpoint's assignee may acknowledge: the engine checks who sends it
    candidates: list[tuple[int | None, TimedMove]] = []
    for index in level.candidates:
        transition = definition.transitions[index]
        move = _timed(definition, leaf, transition, busy, settles, leaves)
        if move is None or not _plain_but_guard(transition):
            return None
        unconditional = transition.guard is None or transition.is_else
        candidates.append((None if unconditional else index, move))
    return tuple(candidates)


def _timed(
    definition: Definition,
    leaf: str,
    transition: ir.Transition,
    busy: set[str],
    settles: set[str],
    leaves: set[str],
) -> TimedMove | None:
    if transition.target is None:
        return None
    plan = plan_of(definition)
    hierarchy = definition.hierarchy
    exits = hierarchy.exit_set([leaf], transition.source, transition.target)
    entries = hierarchy.entry_set(transition.source, transition.target)
    if any(name in busy for name in (*exits, *entries)):
        return None
    reached = hierarchy.entered(transition.source, transition.target)
    if len(reached) != 1 or reached[0] not in leaves:
        return None
    target = reached[0]
    if any(name in settles for name in hierarchy.chain(target)):
        return None
    cancel = tuple(dict.fromkeys(key for name in exits for key in plan.timer_keys[name]))
    start = tuple(
        (key, after, cast(TimerKind, kind), name, index)
        for name in entries
        for key, after, kind, index in plan.entry_timers[name]
    )
    return TimedMove(target, cancel, start)


def _plain_but_guard(transition: ir.Transition) -> bool:
    """No actions and nothing for the gate: what a timed move may carry besides a guard."""
    return (
        transition.target is not None
        and not transition.actions
        and not transition.permissions
        and transition.scope is None
        and not transition.evidence
    )


def _quiet_but_timers(definition: Definition, state: ir.State) -> bool:
    """Entering or leaving the state does nothing but change the configuration and its timers."""
    return not state.entry and not state.exit and state.invoke is None and state.name not in definition.levels
