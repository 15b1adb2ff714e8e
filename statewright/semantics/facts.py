"""Facts computed from the IR that the reports and the table target share, read off `dispatch`.

- the state x event matrix: for every non-final leaf and every event, what the
  machine does, with the transitions, rejects and ignores written on the leaf's
  ancestors applied as statecharts do (an event the active state does not handle
  is offered to its parent; a level whose transitions are all guarded passes the
  event on when no guard holds, so the parent's entries follow, unless z3 proves
  that some guard always holds, exactly as the SW403 rule decides);
- the timer and work columns (timeouts of the leaf and of every ancestor, the
  `done`/`error` of invoked work, `always` routing);
- what happens when each saga step and each compensation fails;
- where each waiting state goes when its timeout runs out.

Everything here reads only the IR (and the proofs handed in); no cache outlives
the `Matrix` or `Facts` object a caller builds and holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from statewright import ir
from statewright.ir.text import format_duration, render
from statewright.semantics.dispatch import Dispatch, Level

EntryKind = Literal["move", "stay", "reject", "ignore"]
TimerKind = Literal["timeout", "done", "error", "always"]
TIMER_KINDS: tuple[TimerKind, ...] = ("timeout", "done", "error", "always")


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing that can happen to an event in a state: a move, a stay, a reject or an ignore."""

    kind: EntryKind
    owner: str
    target: str | None = None
    guard: str | None = None
    is_else: bool = False
    reason: str | None = None
    after_ms: int | None = None

    @property
    def unconditional(self) -> bool:
        """True when the entry always applies (no guard, `else`, or a reject/ignore)."""
        return self.guard is None or self.is_else

    def text(self) -> str:
        """Return the entry as plain text, e.g. `Fulfilling [amount <= 10]` or `reject: busy`."""
        match self.kind:
            case "reject":
                return f"reject: {self.reason}" if self.reason else "reject"
            case "ignore":
                return "ignore"
        head = "(stay)" if self.kind == "stay" else str(self.target)
        if self.after_ms is not None:
            head = f"after {format_duration(self.after_ms)}: {head}"
        if self.is_else:
            return f"{head} [else]"
        if self.guard is not None:
            return f"{head} [{self.guard}]"
        return head


Status = Literal["transition", "reject", "ignore", "other_region", "not_awaited", "unresolved"]
"""`not_awaited`: an approval or checkpoint event in a state that does not wait for it. No level
decides it, and every engine refuses it as not allowed (SW960): it is refused implicitly, by the
language (LANGUAGE.md), not left open. `unresolved`: an external event nothing decides."""


@dataclass(frozen=True, slots=True)
class Cell:
    """What one state x event pair resolves to, innermost level first.

    `other_region` names the parallel state when this leaf's own chain does not
    mention the event but a sibling region of that parallel state does: the
    event reaches every region, and another one reacts to it.
    """

    state: str
    event: str
    entries: tuple[Entry, ...]
    other_region: str | None = None
    awaited: bool = False
    """True for an approval or checkpoint event: only the states that wait for it take it."""

    @property
    def status(self) -> Status:
        """How the pair is resolved: transition, reject, ignore, another region, refused, or not at all."""
        if not self.entries:
            if self.other_region is not None:
                return "other_region"
            return "not_awaited" if self.awaited else "unresolved"
        first = self.entries[0].kind
        if first in ("reject", "ignore"):
            return first
        return "transition"

    @property
    def closed(self) -> bool:
        """True when some entry always applies (else the event may fall through every guard)."""
        return any(entry.unconditional for entry in self.entries)

    @property
    def guarded(self) -> bool:
        """True when the pair is decided by guards at its first level."""
        return any(entry.guard is not None for entry in self.entries)

    @property
    def choices(self) -> int:
        """How many entries the first deciding level offers (more than one means guards decide)."""
        if not self.entries:
            return 0
        owner = self.entries[0].owner
        return sum(1 for entry in self.entries if entry.owner == owner)


def _entry(transition: ir.Transition, guard_text: str | None) -> Entry:
    return Entry(
        kind="stay" if transition.target is None else "move",
        owner=transition.source,
        target=transition.target,
        guard=None if transition.is_else else guard_text,
        is_else=transition.is_else,
        after_ms=transition.after_ms if transition.kind == "timeout" else None,
    )


@dataclass(frozen=True, slots=True)
class MatrixStats:
    """How the row x event pairs of a machine resolve, counted."""

    rows: int
    events: int
    transition: int
    reject: int
    ignore: int
    other_region: int
    not_awaited: int
    """Approval and checkpoint events in states that do not wait for them: refused implicitly."""
    unresolved: int
    """External events nothing decides."""
    open_guarded: int
    choices: int

    @property
    def pairs(self) -> int:
        """Rows times events."""
        return self.rows * self.events


class Matrix:
    """The state x event matrix of one machine, with its timer and work columns.

    `exhaustive` holds the guard-only (state, event) levels proved to always decide;
    without it such a level passes the event on, so the enclosing states' entries show.
    """

    def __init__(
        self,
        machine: ir.Machine,
        exhaustive: Collection[tuple[str, str]] = frozenset(),
        dispatch: Dispatch | None = None,
    ) -> None:
        """Index the machine once (its `Dispatch`, unless the caller already holds one)."""
        self.machine = machine
        self.dispatch = dispatch or Dispatch(machine)
        self.states = self.dispatch.states
        self.exhaustive = exhaustive
        self._guards: dict[int, str] = {}
        self._entries: dict[tuple[str, str], tuple[Entry, ...]] = {}

    @cached_property
    def rows(self) -> tuple[str, ...]:
        """Every leaf state that is not final, in IR order."""
        return tuple(state.name for state in self.machine.states if state.kind == "atomic")

    @cached_property
    def events(self) -> tuple[str, ...]:
        """Every event the machine accepts, in IR order (external, then approval and checkpoint events)."""
        return tuple(event.name for event in self.machine.events)

    def chain(self, name: str) -> list[str]:
        """Return `name` and its ancestors, innermost first."""
        return list(self.dispatch.chain(name))

    def _guard(self, transition: ir.Transition) -> str | None:
        """The guard as text; a catch naming an error reads `error.name == "NAME"` (and its guard)."""
        guard = transition.guard
        if transition.kind == "error" and transition.event is not None:
            name = ir.Var("error.name", "string")
            caught = ir.BinOp("==", name, ir.Lit(transition.event, "string"), "bool")
            guard = caught if guard is None else ir.BinOp("and", caught, guard, "bool")
        if guard is None:
            return None
        key = id(transition)
        if key not in self._guards:
            self._guards[key] = render(guard)
        return self._guards[key]

    def _level_entries(self, level: Level, event: str) -> tuple[Entry, ...]:
        """The entries written on one level: its transitions in document order, then its refusals."""
        key = (level.state, event)
        found = self._entries.get(key)
        if found is None:
            transitions = self.machine.transitions
            found = (
                *(_entry(transitions[i], self._guard(transitions[i])) for i in level.written),
                *(Entry(kind=r.kind, owner=r.state, reason=r.reason) for r in level.refusals),
            )
            self._entries[key] = found
        return found

    def cell(self, state: str, event: str) -> Cell:
        """Resolve one pair: the dispatch levels outwards, up to one that always decides (or is proved to)."""
        found: tuple[Entry, ...] = ()
        chain = self.dispatch.chain(state)
        for level in self.dispatch.levels(chain, event):
            found += self._level_entries(level, event)
            if (level.state, event) in self.exhaustive:
                break
        if found:
            return Cell(state, event, found)
        return Cell(state, event, (), self.dispatch.other_region(chain, event), event in self._awaited)

    @cached_property
    def _awaited(self) -> frozenset[str]:
        """The approval and checkpoint events: the machine's events that are not external."""
        return frozenset(event.name for event in self.machine.events if event.kind != "external")

    def timer(self, state: str, kind: TimerKind) -> tuple[Entry, ...]:
        """The `timeout`/`done`/`error`/`always` moves out of a leaf, its ancestors' included."""
        return tuple(
            _entry(transition, self._guard(transition))
            for level in self.dispatch.chain(state)
            for transition in self.dispatch.transitions_of(level, kind)
        )

    @cached_property
    def cells(self) -> tuple[Cell, ...]:
        """Every row x event cell, row by row."""
        return tuple(self.cell(row, event) for row in self.rows for event in self.events)

    @cached_property
    def stats(self) -> MatrixStats:
        """Count how the row x event pairs resolve, without building a `Cell` per pair.

        Gives the same answers as counting over `cells` (the tests check that) in
        time proportional to the events each row's chain mentions, so a summary
        of a 50,000-state machine does not build a million cells.
        """
        own: dict[str, dict[str, tuple[str, bool, int]]] = {}
        for transition in self.machine.transitions:
            if transition.kind != "event" or transition.event is None:
                continue
            items = own.setdefault(transition.source, {})
            first, decided, seen = items.get(transition.event, ("transition", False, 0))
            unconditional = transition.guard is None or transition.is_else
            items[transition.event] = (first, decided or unconditional, seen + 1)
        for source, event in self.exhaustive:
            if event in own.get(source, {}):
                first, _decided, seen = own[source][event]
                own[source][event] = (first, True, seen)
        for reject in self.machine.rejects:
            items = own.setdefault(reject.state, {})
            first, _decided, seen = items.get(reject.event, (reject.kind, True, 0))
            items[reject.event] = (first, True, seen + 1)
        external = {event.name for event in self.machine.events if event.kind == "external"}
        all_events = set(self.events)
        found: Counter[str] = Counter()
        for row in self.rows:
            status: dict[str, str] = {}
            closed: set[str] = set()
            for level in self.dispatch.chain(row):
                for event, (kind, always, count) in own.get(level, {}).items():
                    if event in closed or event not in all_events:
                        continue
                    if event not in status:
                        status[event] = kind
                        if count > 1:
                            found["choices"] += 1
                    if always:
                        closed.add(event)
            found["open_guarded"] += len(status) - len(closed & status.keys())
            for kind in status.values():
                found[kind] += 1
            missing = all_events - status.keys()
            elsewhere = self.dispatch.elsewhere(row) & missing
            found["other_region"] += len(elsewhere)
            unresolved = missing - elsewhere
            found["unresolved"] += len(unresolved & external)
            found["not_awaited"] += len(unresolved - external)
        return MatrixStats(
            rows=len(self.rows),
            events=len(self.events),
            transition=found["transition"],
            reject=found["reject"],
            ignore=found["ignore"],
            other_region=found["other_region"],
            not_awaited=found["not_awaited"],
            unresolved=found["unresolved"],
            open_guarded=found["open_guarded"],
            choices=found["choices"],
        )

    @cached_property
    def by_pair(self) -> dict[tuple[str, str], Cell]:
        """Every cell, by (state, event)."""
        return {(cell.state, cell.event): cell for cell in self.cells}

    @cached_property
    def timer_columns(self) -> tuple[TimerKind, ...]:
        """The timer and work kinds that occur on some row (so the table shows only those)."""
        return tuple(kind for kind in TIMER_KINDS if any(self.timer(row, kind) for row in self.rows))

    def completions(self) -> Iterable[ir.Transition]:
        """The completion (join) transitions: they leave composite states, not rows."""
        return (t for t in self.machine.transitions if t.kind == "completion")


# --------------------------------------------------------------------------- outcomes, sagas, waits


@dataclass(frozen=True, slots=True)
class StepFailure:
    """What one saga step is and what happens when it, or its compensation, fails."""

    step: ir.SagaStep
    on_failure: tuple[str, ...]
    on_compensation_failure: tuple[str, ...]
    undo: str


SAGA_TABLE_HEADER: tuple[str, ...] = (
    "order",
    "step",
    "service",
    "idempotency key",
    "compensation",
    "compensation key",
    "undo order",
    "retry",
    "timeout",
    "if the step fails",
    "if the compensation fails",
)
"""The columns of a saga's compensation table (the `table` target's Markdown, the design report)."""


@dataclass(frozen=True, slots=True)
class SagaRow:
    """One step's row of its saga's compensation table, as text; None where the table shows a dash.

    Each reporter escapes the text for its format and prints `key` and
    `compensation_key` as code, the move lists one per line.
    """

    order: int
    step: str
    service: str | None
    key: str | None
    compensation: str
    compensation_key: str | None
    undo_order: int | None
    retry: str
    timeout: str | None
    on_failure: tuple[str, ...]
    on_compensation_failure: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SagaTable:
    """A saga's compensation table: its outcomes, the LIFO undo chain, its services and one row per step."""

    saga: ir.Saga
    outcomes: tuple[tuple[str, str], ...]
    """(outcome keyword, where it leads, described), for the outcomes the saga declares."""
    chain: tuple[str, ...]
    """The compensations in the order they run: from the latest completed step back."""
    services: tuple[str, ...]
    rows: tuple[SagaRow, ...]


@dataclass(frozen=True, slots=True)
class WaitBound:
    """A waiting state and where its timeouts (its own or an ancestor's) lead."""

    state: str
    timeouts: tuple[tuple[int, str | None], ...]

    @property
    def bounded(self) -> bool:
        """True when some timer ends the wait."""
        return bool(self.timeouts)


class Facts:
    """One machine's facts for reports and tables: its matrix, outcomes, saga failure moves and waits.

    Build one per machine and keep it while presenting that machine; `exhaustive`
    is handed to its `Matrix` (see there).
    """

    def __init__(self, machine: ir.Machine, exhaustive: Collection[tuple[str, str]] = frozenset()) -> None:
        """Index `machine` once: its dispatch tables, and its transitions by source."""
        self.machine = machine
        self.dispatch = Dispatch(machine)
        self.matrix = Matrix(machine, exhaustive, self.dispatch)
        self.states = self.dispatch.states
        leaving: dict[str, list[ir.Transition]] = {}
        for transition in machine.transitions:
            leaving.setdefault(transition.source, []).append(transition)
        self.leaving = {source: tuple(moves) for source, moves in leaving.items()}

    def entered_leaves(self, name: str) -> tuple[str, ...]:
        """Return the leaves entered when the machine enters state `name`."""
        states = self.states

        def enter(current: str) -> tuple[str, ...]:
            state = states[current]
            if state.kind in ("atomic", "final"):
                return (current,)
            if state.kind == "parallel":
                return tuple(leaf for region in state.children for leaf in enter(region))
            return enter(state.initial) if state.initial is not None else ()

        return enter(name) if name in states else ()

    def outcome_of(self, target: str | None) -> tuple[str, str | None] | None:
        """If entering `target` ends the workflow, return (outcome, reason); outcomes default to success."""
        if target is None:
            return None
        for leaf in self.entered_leaves(target):
            state = self.states[leaf]
            if state.kind == "final" and state.parent is None:
                return (state.outcome or "success", state.outcome_reason)
        return None

    def describe_target(self, target: str | None) -> str:
        """Return a target with its outcome when it ends the workflow (`Rejected (failure: not approved)`)."""
        if target is None:
            return "(stay)"
        outcome = self.outcome_of(target)
        if outcome is None:
            return target
        kind, reason = outcome
        return f"{target} ({kind}: {reason})" if reason else f"{target} ({kind})"

    def _failure_moves(self, saga: ir.Saga, state: str | None) -> tuple[str, ...]:
        if state is None:
            return ()
        compensations = {step.compensation_state: step for step in saga.steps if step.compensation_state}
        moves: list[str] = []
        for transition in self.leaving.get(state, ()):
            if transition.kind not in ("error", "timeout"):
                continue
            after = format_duration(transition.after_ms or 0)
            when = "fails" if transition.kind == "error" else f"times out ({after})"
            step = compensations.get(transition.target) if transition.target is not None else None
            if step is not None:
                where = f"compensate with {step.compensation} ({transition.target})"
            else:
                where = self.describe_target(transition.target)
                for label, outcome in (
                    ("compensated", saga.compensated),
                    ("compensation_failed", saga.compensation_failed),
                    ("done", saga.done),
                ):
                    if outcome is not None and transition.target == outcome:
                        where += f", the saga's {label} outcome"
                        break
            moves.append(f"{when} -> {where}")
        return tuple(dict.fromkeys(moves))

    def saga_failures(self, saga: ir.Saga) -> tuple[StepFailure, ...]:
        """Return, for each step of `saga`, where the machine goes when the step or its compensation fails."""
        rows: list[StepFailure] = []
        for step in saga.steps:
            if step.compensation:
                undo = f"compensate with {step.compensation}"
            elif step.pivot:
                undo = "pivot: point of no return, no automatic undo"
            elif step.no_compensation is not None:
                undo = (
                    f"no compensation: {step.no_compensation}" if step.no_compensation else "no compensation"
                )
            else:
                undo = "none declared"
            rows.append(
                StepFailure(
                    step=step,
                    on_failure=self._failure_moves(saga, step.state),
                    on_compensation_failure=self._failure_moves(saga, step.compensation_state),
                    undo=undo,
                )
            )
        return tuple(rows)

    def saga_table(self, saga: ir.Saga) -> SagaTable:
        """The compensation table of `saga`: what both the Markdown table and the design report show."""
        outcomes = tuple(
            (label, self.describe_target(target))
            for label, target in (
                ("done", saga.done),
                ("compensated", saga.compensated),
                ("compensation_failed", saga.compensation_failed),
            )
            if target is not None
        )
        undo = [step for step in saga.steps if step.compensation]
        order = {step.index: position for position, step in enumerate(reversed(undo), start=1)}
        rows = tuple(
            SagaRow(
                order=failure.step.index + 1,
                step=failure.step.action,
                service=failure.step.service,
                key=failure.step.key,
                compensation=failure.undo,
                compensation_key=failure.step.compensation_key,
                undo_order=order.get(failure.step.index),
                retry=describe_retry(failure.step.retry),
                timeout=None if failure.step.timeout_ms is None else format_duration(failure.step.timeout_ms),
                on_failure=failure.on_failure,
                on_compensation_failure=failure.on_compensation_failure,
            )
            for failure in self.saga_failures(saga)
        )
        return SagaTable(
            saga=saga,
            outcomes=outcomes,
            chain=tuple(str(step.compensation) for step in reversed(undo)),
            services=tuple(dict.fromkeys(step.service for step in saga.steps if step.service)),
            rows=rows,
        )

    def waits(self) -> tuple[WaitBound, ...]:
        """Return every waiting state (approval levels, checkpoints, callbacks) with its timeouts."""
        found: list[WaitBound] = []
        for state in self.machine.states:
            if not state.waits:
                continue
            timers = tuple(
                (entry.after_ms or 0, entry.target) for entry in self.matrix.timer(state.name, "timeout")
            )
            found.append(WaitBound(state.name, timers))
        return tuple(found)


def describe_retry(policy: ir.RetryPolicy | None) -> str:
    """Return a retry policy as one short phrase (`3 retries, exponential 1s..30s x2, jitter full`)."""
    if policy is None:
        return "none"
    parts = ["unlimited retries" if policy.max_retries is None else f"{policy.max_retries} retries"]
    if policy.base_ms or policy.backoff != "fixed":
        delay = format_duration(policy.base_ms)
        if policy.cap_ms is not None:
            delay += f"..{format_duration(policy.cap_ms)}"
        backoff = f"{policy.backoff} {delay}"
        if policy.backoff == "exponential":
            backoff += f" x{policy.factor}"
        parts.append(backoff)
    if policy.jitter != "none":
        parts.append(f"jitter {policy.jitter}")
    if policy.retry_on:
        parts.append("on " + ", ".join(policy.retry_on))
    if policy.dead_letter:
        parts.append(f"dead letter -> {policy.dead_letter}")
    return ", ".join(parts)
