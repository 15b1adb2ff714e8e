"""A workflow definition as the runtime executes it: the IR, indexed for dispatch.

Built once per workflow from an `ir.Machine` (generated modules build it from
their embedded IR). Every table is keyed for O(1) lookups on the hot path:
event transitions by (state, event), eventless ones by (state, kind), refusals
by (state, event), timers and invoked work by state, approval levels by state.
Which transitions an event may take is `semantics.dispatch`'s answer (`Definition.dispatch`).
Guards are evaluated by `semantics.values` unless a generated module supplies
compiled guard functions for speed; both come from the same definition of the
guard language.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from statewright import ir
from statewright.ir.identity import identity
from statewright.ir.text import render
from statewright.semantics.dispatch import Dispatch
from statewright.semantics.hierarchy import Hierarchy
from statewright.semantics.values import holds

if TYPE_CHECKING:
    from statewright.runtime.plan import Plan

GuardFn = Callable[[Mapping[str, ir.Value]], bool]


@dataclass(frozen=True, slots=True)
class Level:
    """An approval level as the runtime counts it (`approvers`: distinct, in the order written)."""

    state: str
    number: int
    approvers: tuple[str, ...]
    quorum: int
    delegation: bool


@dataclass
class Definition:
    """One workflow's tables for the runtime (treat as immutable once built)."""

    machine: ir.Machine
    guards: Mapping[int, GuardFn] = field(default_factory=dict)
    plan: Plan | None = field(default=None, init=False, repr=False, compare=False)
    """The per-definition step tables (`plan.plan_of` builds them on first use and keeps them here)."""
    seals: bool = field(default=True, kw_only=True, repr=False, compare=False)
    """Whether the engine stamps each step's audit record onto the hash chain (`codec.seal`).

    True for every definition a store with an audit log runs; `unsealed()` gives the
    in-memory machine's view, whose store keeps no log, so nothing reads the stamps."""

    def __post_init__(self) -> None:
        machine = self.machine
        self.hierarchy = Hierarchy(machine)
        self.states = self.hierarchy.states
        self.fields: dict[str, ir.ContextField] = {f.name: f for f in machine.context}
        self.dispatch = Dispatch(machine)
        self.on_event: Mapping[tuple[str, str], list[int]] = self.dispatch.on_event
        self.eventless: Mapping[tuple[str, str], list[int]] = self.dispatch.by_kind
        self.refusals: dict[tuple[str, str], ir.Reject] = {
            key: refusals[0] for key, refusals in self.dispatch.refusals.items()
        }
        self.levels: dict[str, Level] = {
            level.state: Level(
                level.state,
                level.number,
                tuple(dict.fromkeys(level.approvers)),
                level.quorum,
                approval.delegation,
            )
            for approval in machine.approvals
            for level in approval.levels
        }
        self.assignees: dict[str, str] = {
            checkpoint.state: checkpoint.assignee
            for checkpoint in machine.checkpoints
            if checkpoint.assignee is not None
        }
        """Checkpoint state -> who must acknowledge it (LANGUAGE.md §11)."""
        self.events = frozenset(e.name for e in machine.events)
        self.payloads: dict[str, tuple[ir.ContextField, ...]] = {
            e.name: e.payload for e in machine.events if e.payload
        }
        """Event -> the payload fields it declares (events without a payload are absent)."""
        self.results: dict[str, tuple[ir.ContextField, ...]] = {
            s.name: s.invoke.result for s in machine.states if s.invoke is not None and s.invoke.result
        }
        """State -> the result fields its invoked work returns (states without are absent)."""

    def unsealed(self) -> Definition:
        """The definition as a store that keeps no audit log runs it: its steps' records are not stamped.

        The in-memory machine's store (`EphemeralStore`) keeps no log, so the canonical
        JSON and SHA-256 stamp of every record would be computed for nobody; records
        and snapshots then carry the empty stamp. Everything else (tables, plan,
        identity) is shared with this definition, so instances behave identically.
        """
        from statewright.runtime.plan import plan_of  # the plan module imports this one

        plan_of(self)  # built first, so the copy shares it
        _ = self.identity, self.guard_texts  # computed once, shared too
        other = copy.copy(self)  # shares every table and the plan
        other.seals = False
        return other

    @property
    def name(self) -> str:
        """The workflow's name."""
        return self.machine.name

    @property
    def transitions(self) -> tuple[ir.Transition, ...]:
        """The IR transitions (indices are stable identifiers in records and timers)."""
        return self.machine.transitions

    def guard_holds(self, index: int, context: Mapping[str, ir.Value]) -> bool:
        """Evaluate transition `index`'s guard (True when it has none)."""
        compiled = self.guards.get(index)
        if compiled is not None:
            return compiled(context)
        guard = self.machine.transitions[index].guard
        return guard is None or holds(guard, context)

    @cached_property
    def identity(self) -> str:
        """The IR's identity (`ir.identity`): an instance records it and runs only on a definition with it."""
        return identity(self.machine)

    @cached_property
    def guard_texts(self) -> dict[int, str]:
        """Each guarded transition's guard as written, for audit records."""
        return {
            index: render(t.guard) for index, t in enumerate(self.machine.transitions) if t.guard is not None
        }
