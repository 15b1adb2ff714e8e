"""The invariants `statewright test` checks after every step, as pure functions over the audit trail.

Each check reads the spec's IR (never the code under test), the snapshot
before and after a step and the audit records the step appended, and returns
`Violation`s: a stable name, what went wrong, and the DSL span it concerns.
The checks are independent of the runtime's own bookkeeping: a transition is
allowed when the spec's IR has one with that kind, event, an active source,
a guard that held on the context before, and a target the new configuration
is inside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from statewright import ir
from statewright.runtime.model import Instance, Record
from statewright.semantics.hierarchy import Hierarchy
from statewright.semantics.interpret import fields_of
from statewright.semantics.values import apply_sets, holds
from statewright.source import Span

FINISHED = ("completed", "failed", "cancelled")
MOVING_KINDS = ("event", "timeout", "done", "error", "always", "completion")
"""Record kinds that may change the configuration, each through a transition of the same kind."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken invariant: a stable name, what happened, and where in the spec it applies."""

    invariant: str
    message: str
    span: Span | None = None


class Spec:
    """The spec's IR with the lookups the checks need, built once per machine."""

    def __init__(self, machine: ir.Machine) -> None:
        self.machine = machine
        self.hierarchy = Hierarchy(machine)
        self.leaves = frozenset(self.hierarchy.leaves)
        self.states = {state.name: state for state in machine.states}
        self.levels = {level.state: level for approval in machine.approvals for level in approval.levels}
        self.initial = tuple(sorted(self.hierarchy.initial_leaves))
        self.set_by_states = frozenset(
            action.field
            for state in machine.states
            for action in (
                *state.entry,
                *state.exit,
                *(a for soft in state.soft_timeouts for a in soft.actions),
            )
            if isinstance(action, ir.Assign)
        )
        """Fields some entry, exit or soft-timeout action sets (a record's context is after those)."""

    def active(self, leaves: Iterable[str]) -> set[str]:
        """The leaves and all their ancestors."""
        return set(self.hierarchy.active_states(leaves))

    def inside(self, leaf: str, state: str) -> bool:
        """True when `leaf` is `state` or one of its descendants."""
        return leaf == state or state in self.hierarchy.ancestors(leaf)


# --------------------------------------------------------------------------- per record


def check_records(
    spec: Spec, before: Instance, records: Sequence[Record], after: Instance
) -> list[Violation]:
    """Every record of one step: declared states, chained configurations, allowed moves, invariants."""
    found: list[Violation] = []
    leaves, context = tuple(before.active), dict(before.context)
    for record in records:
        if tuple(record.source) != leaves:
            found.append(
                Violation(
                    "hidden-leap",
                    f"record {record.seq} starts from {_names(record.source)}, but the instance was in "
                    f"{_names(leaves)}: the configuration changed without a record",
                )
            )
        found.extend(_declared(spec, record))
        if record.outcome == "applied":
            found.extend(_allowed(spec, record, context))
            found.extend(_quorum(spec, before, record))
            found.extend(_escalation(spec, record))
        elif tuple(record.target) != tuple(record.source) or dict(record.context) != context:
            found.append(
                Violation(
                    "refusal-changed-state",
                    f"record {record.seq} is a refusal ({record.outcome}) but changed the instance",
                )
            )
        found.extend(_invariants(spec, record))
        leaves, context = tuple(record.target), dict(record.context)
    if records and (tuple(after.active) != leaves or dict(after.context) != context):
        found.append(
            Violation(
                "hidden-leap",
                f"the instance is in {_names(after.active)}, but its last record left it in {_names(leaves)}",
            )
        )
    if not records and (tuple(after.active) != tuple(before.active) or after.context != before.context):
        found.append(Violation("hidden-leap", "the instance changed without an audit record"))
    return found


def _names(leaves: Iterable[str]) -> str:
    return "{" + ", ".join(leaves) + "}"


def _declared(spec: Spec, record: Record) -> list[Violation]:
    unknown = [leaf for leaf in record.target if leaf not in spec.leaves]
    if not unknown:
        return []
    return [
        Violation("undeclared-state", f"record {record.seq} enters undeclared state(s) {_names(unknown)}")
    ]


def _allowed(spec: Spec, record: Record, context: Mapping[str, ir.Value]) -> list[Violation]:
    """A move follows a transition of the spec: right kind and event, active source, guard held, target."""
    if record.kind == "start":
        if tuple(sorted(record.target)) != spec.initial:
            return [
                Violation(
                    "hidden-leap",
                    f"the instance started in {_names(record.target)}, "
                    f"not the initial {_names(spec.initial)}",
                )
            ]
        return []
    moved = tuple(record.target) != tuple(record.source)
    changed = dict(record.context) != dict(context)
    if record.kind not in MOVING_KINDS or record.transition is None:
        if (moved or changed) and record.kind != "cancel":
            return [
                Violation(
                    "hidden-leap",
                    f"record {record.seq} ({record.kind}) changed the instance without taking a transition",
                )
            ]
        return []
    transitions = spec.machine.transitions
    if not 0 <= record.transition < len(transitions):
        return [
            Violation(
                "forbidden-transition",
                f"record {record.seq} took transition #{record.transition}, which the spec does not have",
            )
        ]
    taken = transitions[record.transition]
    problems = _mismatch(spec, record, taken, context)
    if problems:
        return [Violation("forbidden-transition", f"record {record.seq} {problems}", taken.span)]
    return _entered_by_the_spec(spec, record) + _data_applied(spec, record, taken, context)


def _data_applied(
    spec: Spec, record: Record, taken: ir.Transition, context: Mapping[str, ir.Value]
) -> list[Violation]:
    """Each `set` reading the step's data left the value the spec computes from the data the record kept.

    Only fields no entry, exit or soft-timeout action also sets are checked (the
    record's context is after those ran).
    """
    inputs = record_inputs(taken, record)
    reading = [
        action
        for action in taken.actions
        if isinstance(action, ir.Assign)
        and any(ir.input_of(name) is not None for name in fields_of(action.value))
        and action.field not in spec.set_by_states
    ]
    if not reading or not inputs:
        return []
    try:
        expected = apply_sets(taken.actions, {**context, **inputs}, spec.machine.context)
    except (ArithmeticError, KeyError, TypeError, ValueError):
        return []  # the spec's own arithmetic fails here: the runtime refuses such a step (invariants)
    found = []
    for action in reading:
        want, got = expected.get(action.field), record.context.get(action.field)
        if want is None or (type(want) is type(got) and want == got):
            continue
        found.append(
            Violation(
                "data-not-applied",
                f"record {record.seq} left `{action.field}` = {got!r}; the spec's `set` gives {want!r} "
                f"from the data it received ({_shown_inputs(inputs)})",
                action.span,
            )
        )
    return found


def _shown_inputs(inputs: Mapping[str, ir.Value]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in inputs.items()) or "none"


def _mismatch(spec: Spec, record: Record, taken: ir.Transition, context: Mapping[str, ir.Value]) -> str:
    where = f"took `{taken.source} -> {taken.target or '(stay)'}`"
    if taken.kind != record.kind:
        return f"{where}, a {taken.kind} transition, on a {record.kind} step"
    if record.kind == "event" and taken.event != record.event:
        return f"{where} on event `{record.event}`, but that transition is for `{taken.event}`"
    if taken.source not in spec.active(record.source):
        return f"{where} while `{taken.source}` was not active"
    if taken.guard is not None and not holds(taken.guard, {**context, **record_inputs(taken, record)}):
        return f"{where} although its guard did not hold"
    if taken.target is not None and taken.target not in spec.active(record.target):
        return f"{where} but ended in {_names(record.target)}"
    assigns = any(isinstance(action, ir.Assign) for action in taken.actions)
    if dict(record.context) != dict(context) and not assigns and record.kind == "event":
        return f"{where} and changed the context, though that transition sets nothing"
    return ""


def record_inputs(taken: ir.Transition, record: Record) -> dict[str, ir.Value]:
    """The inputs the taken transition read, as the record keeps them: `event.F`, `result.F`, `error.*`.

    A guard over data is checked against the data the step received, so the
    audit record is the evidence (LANGUAGE.md, "Data").
    """
    if taken.kind == "event":
        return {f"event.{name}": value for name, value in record.data.items()}
    if taken.kind == "done":
        return {f"result.{name}": value for name, value in record.result.items()}
    if taken.kind == "error":
        return {"error.name": record.failure or "", "error.message": record.message or ""}
    return {}


def _entered_by_the_spec(spec: Spec, record: Record) -> list[Violation]:
    """Each newly active leaf lies inside the target of a transition the spec has for this step."""
    source = spec.active(record.source)
    targets = [
        t.target
        for t in spec.machine.transitions
        if t.kind == record.kind
        and t.target is not None
        and t.source in source
        and (record.kind != "event" or t.event == record.event)
    ]
    new = [leaf for leaf in record.target if leaf not in record.source]
    stray = [leaf for leaf in new if not any(spec.inside(leaf, target) for target in targets)]
    if not stray:
        return []
    return [
        Violation(
            "forbidden-transition",
            f"record {record.seq} entered {_names(stray)}, which no {record.kind} transition "
            f"from {_names(record.source)} leads to",
        )
    ]


def _invariants(spec: Spec, record: Record) -> list[Violation]:
    broken = [inv for inv in spec.machine.invariants if not holds(inv.expr, dict(record.context))]
    return [
        Violation("invariant", f"`invariant {inv.text}` does not hold after record {record.seq}", inv.span)
        for inv in broken
    ]


def _quorum(spec: Spec, before: Instance, record: Record) -> list[Violation]:
    """An approval that decides a level had the level's quorum of distinct approvers."""
    if record.decision != "approve" or record.transition is None:
        return []
    if not 0 <= record.transition < len(spec.machine.transitions):
        return []
    level = spec.levels.get(spec.machine.transitions[record.transition].source)
    if level is None:
        return []
    votes = before.votes.get(level.state, ())
    approvers = {v.actor for v in votes if v.decision == "approve"} | {record.actor or ""}
    if len(approvers) >= level.quorum:
        return []
    return [
        Violation(
            "approval-without-quorum",
            f"level {level.number} decided with {len(approvers)} approval(s); its quorum is {level.quorum}",
            level.span,
        )
    ]


def _escalation(spec: Spec, record: Record) -> list[Violation]:
    """A level's timeout goes where the level escalates to."""
    if record.kind != "timeout" or record.transition is None:
        return []
    if not 0 <= record.transition < len(spec.machine.transitions):
        return []
    taken = spec.machine.transitions[record.transition]
    level = spec.levels.get(taken.source)
    if level is None or level.escalate_to is None or taken.target == level.escalate_to:
        return []
    return [
        Violation(
            "wrong-escalation",
            f"level {level.number} timed out into `{taken.target}`, "
            f"but it escalates to `{level.escalate_to}`",
            level.span,
        )
    ]


# --------------------------------------------------------------------------- per step


def check_finished_and_paused(
    before: Instance, records: Sequence[Record], after: Instance
) -> list[Violation]:
    """Final states are absorbing and a paused instance does not move (until resumed or cancelled)."""
    applied = [r for r in records if r.outcome == "applied" and r.kind not in ("resume", "cancel")]
    if before.status in FINISHED and (applied or tuple(after.active) != tuple(before.active)):
        return [
            Violation("final-not-absorbing", f"a {before.status} instance moved to {_names(after.active)}")
        ]
    if (
        before.status == "paused"
        and after.status == "paused"
        and (applied or tuple(after.active) != tuple(before.active) or after.context != before.context)
    ):
        return [Violation("paused-moved", "a paused instance changed")]
    return []


def check_sagas(spec: Spec, records: Sequence[Record]) -> list[Violation]:
    """Over the whole log: a saga's compensations run for exactly its completed steps, in reverse order."""
    found: list[Violation] = []
    for saga in spec.machine.sagas:
        found.extend(_saga(spec, saga, records))
    return found


def _saga(spec: Spec, saga: ir.Saga, records: Sequence[Record]) -> list[Violation]:
    steps = {step.state: step for step in saga.steps}
    compensations = {step.compensation_state: step for step in saga.steps if step.compensation_state}
    completed: list[ir.SagaStep] = []
    entered: list[str] = []
    found: list[Violation] = []
    for record in records:
        if record.outcome != "applied":
            continue
        starting = record.kind == "start" or (saga.steps and _enters(record, saga.steps[0].state))
        if starting and not any(leaf in compensations for leaf in record.source):
            completed, entered = [], []
        if record.kind == "done":
            completed.extend(steps[leaf] for leaf in record.source if leaf in steps)
        entered.extend(leaf for leaf in record.target if leaf in compensations and _enters(record, leaf))
        expected = [s.compensation_state for s in reversed(completed) if s.compensation_state]
        if entered != expected[: len(entered)]:
            found.append(
                Violation(
                    "saga-compensation-order",
                    f"saga `{saga.state}` ran compensations {entered} after completing "
                    f"{[s.action for s in completed]}; expected a prefix of {expected}",
                    saga.span,
                )
            )
            break
        inside = any(spec.inside(leaf, saga.state) for leaf in record.source)
        if not inside:
            continue
        reached = saga.compensated is not None and _enters(record, saga.compensated)
        if reached and entered != expected:
            found.append(
                Violation(
                    "saga-compensation-missing",
                    f"saga `{saga.state}` reached `{saga.compensated}` after compensations {entered}; "
                    f"the completed steps need {expected}",
                    saga.span,
                )
            )
            break
    return found


def _enters(record: Record, state: str) -> bool:
    """True when the record makes `state` (or a leaf inside it named alike) newly active."""
    return state in record.target and (state not in record.source or record.transition is not None)
