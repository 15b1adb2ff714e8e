"""The step function: one event, timer or work result applied to an instance snapshot.

Every function here is pure: it takes a `Definition`, an `Instance` and what
happened, and returns a `Step` holding the one `Commit` a store applies
atomically (new snapshot, audit record, timer changes, owed work) and, for a
refusal, the error to raise once the refusal is recorded. Nothing is half
applied: the whole step is computed first, checked (domains, invariants), and
only then committed; a refusal commits a record and nothing else.

Semantics (statecharts, as the verifier's graph assumes):

- an event is offered to every active leaf; each walks outwards (leaf, parent,
  ...) to the first level that decides it: the first transition whose guard
  holds (an unguarded one always holds), else its `else` branch, else a
  `reject`/`ignore` there; a level whose guards all fail passes the event on;
- the selected transitions run in document order, skipping any whose exit set
  meets one already taken (SCXML's preemption); a transition exits the active
  states below its domain (innermost first, exit actions, timers cancelled),
  runs its actions, and enters the states down to its target (outermost first,
  entry actions, timers started, work invoked);
- eventless transitions (`always`, and `completion` when a compound's child or
  every region of a parallel state is final) are separate steps, taken by
  `settle` until none is enabled; so every committed snapshot is a stable or
  settling configuration, never a half-taken transition.

Speed without a second semantics: what a step derives from the definition alone
(ancestor chains, exit and entry sets per configuration, timer keys, the domain
check of each field) is computed once per definition in a `_Plan`; guards,
invariants and `set` actions are walked once through `interpret` over a staging
algebra whose every primitive is `values.VALUES`' own, so they compute exactly
what `values.holds` and `values.apply_sets` do. A step's audit record is encoded
once: `codec.seal` stamps it and hands its canonical JSON to the store.
"""

from __future__ import annotations

import itertools
import random
import re
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, TypeVar

from statewright.compiler import ir
from statewright.runtime import codec
from statewright.runtime.definition import Definition, Level
from statewright.runtime.errors import (
    BadContext,
    EventNotAllowed,
    EventRejected,
    InvariantBroken,
    NoGuardHolds,
    NotRunning,
    PermissionDenied,
    WorkflowError,
)
from statewright.runtime.model import (
    Commit,
    Instance,
    Outcome,
    Record,
    RecordKind,
    Status,
    Timer,
    Vote,
    Work,
    quick_init,
)
from statewright.semantics.interpret import INT_MAX, INT_MIN, assign, fields_of, interpret
from statewright.semantics.values import (
    VALUES,
    Term,
    apply_sets,
    environment,
    holds,
    to_value,
    value_in_domain,
)

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_T = TypeVar("_T")
_V = TypeVar("_V")


@quick_init
@dataclass(frozen=True, slots=True)
class Request:
    """Who sends an event and what they present: the governance gate's inputs."""

    actor: str | None = None
    permissions: tuple[str, ...] = ()
    scope: str | None = None
    evidence: Mapping[str, str] = field(default_factory=dict)
    key: str | None = None
    delegate_to: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Step:
    """The commit one step produces, and the error to raise after committing a refusal."""

    commit: Commit
    error: WorkflowError | None = None


_NO_REQUEST = Request()


# --------------------------------------------------------------------------- staged expressions

Staged = Callable[[Mapping[str, Term]], Term]
"""An expression walked once: a function of an evaluation environment (`values.environment`)."""
_Sets = Callable[[Mapping[str, ir.Value]], dict[str, ir.Value]]


class _Staging:
    """An algebra whose terms are functions of an environment, each primitive `VALUES`' own.

    `interpret` over it walks an expression once and returns a function that
    computes, on any environment, exactly what `interpret` over `VALUES` would:
    every primitive is delegated to `VALUES` when the function runs (both
    branches of an `ite` are staged, only the chosen one runs).
    """

    def int_lit(self, value: int) -> Staged:
        """A constant."""
        term = VALUES.int_lit(value)
        return lambda env: term

    def decimal_lit(self, value: Fraction) -> Staged:
        """A constant."""
        term = VALUES.decimal_lit(value)
        return lambda env: term

    def bool_lit(self, value: bool) -> Staged:
        """A constant."""
        term = VALUES.bool_lit(value)
        return lambda env: term

    def string_lit(self, value: str) -> Staged:
        """A constant."""
        term = VALUES.string_lit(value)
        return lambda env: term

    def enum_lit(self, member: str) -> Staged:
        """A constant."""
        term = VALUES.enum_lit(member)
        return lambda env: term

    def add(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.add` of both."""
        op = VALUES.add
        return lambda env: op(left(env), right(env))

    def sub(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.sub` of both."""
        op = VALUES.sub
        return lambda env: op(left(env), right(env))

    def mul(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.mul` of both."""
        op = VALUES.mul
        return lambda env: op(left(env), right(env))

    def neg(self, operand: Staged) -> Staged:
        """`VALUES.neg`."""
        op = VALUES.neg
        return lambda env: op(operand(env))

    def divide(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.divide` of both."""
        op = VALUES.divide
        return lambda env: op(left(env), right(env))

    def floor(self, operand: Staged) -> Staged:
        """`VALUES.floor`."""
        op = VALUES.floor
        return lambda env: op(operand(env))

    def to_decimal(self, operand: Staged) -> Staged:
        """`VALUES.to_decimal`."""
        op = VALUES.to_decimal
        return lambda env: op(operand(env))

    def eq(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.eq` of both."""
        op = VALUES.eq
        return lambda env: op(left(env), right(env))

    def lt(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.lt` of both."""
        op = VALUES.lt
        return lambda env: op(left(env), right(env))

    def not_(self, operand: Staged) -> Staged:
        """`VALUES.not_`."""
        op = VALUES.not_
        return lambda env: op(operand(env))

    def and_(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.and_` of both (both evaluated, as `interpret` does)."""
        op = VALUES.and_
        return lambda env: op(left(env), right(env))

    def or_(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.or_` of both (both evaluated, as `interpret` does)."""
        op = VALUES.or_
        return lambda env: op(left(env), right(env))

    def ite(self, condition: Staged, then: Callable[[], Staged], otherwise: Callable[[], Staged]) -> Staged:
        """`VALUES.ite`: both branches staged now, the one the condition picks run."""
        yes, no = then(), otherwise()
        op = VALUES.ite
        return lambda env: op(condition(env), lambda: yes(env), lambda: no(env))


_STAGING = _Staging()


def _staged_test(expr: ir.Expr) -> Callable[[Mapping[str, ir.Value]], bool]:
    """`values.holds` for one guard or invariant, walked once."""
    staged = interpret(expr, _STAGING, _variables(fields_of(expr)))
    return lambda context: bool(staged(environment(context)))


def _staged_sets(actions: tuple[ir.Action, ...], fields: tuple[ir.ContextField, ...]) -> _Sets:
    """`values.apply_sets` for one list of actions, walked once."""
    types = {field_.name: field_.type for field_ in fields}
    variables = _variables(types)
    after = assign(actions, _STAGING, variables, types)
    changed = tuple((name, term) for name, term in after.items() if term is not variables.get(name))

    def run(context: Mapping[str, ir.Value]) -> dict[str, ir.Value]:
        env = environment(context, fields)
        values = {name: term(env) for name, term in changed}  # each from the values before the actions
        env.update(values)
        return {name: to_value(term) for name, term in env.items()}

    return run


def _variables(names: Iterable[str]) -> dict[str, Staged]:
    return {name: _reader(name) for name in names}


def _reader(name: str) -> Staged:
    return lambda env: env[name]


# --------------------------------------------------------------------------- the definition's derived tables

_Key = tuple[str, ...]
_MEMO_MAX = 4096
"""Entries a plan memoizes per table (configurations) before it starts over."""


class _Plan:
    """What the step functions derive from a definition, computed once (or once per configuration).

    Every table is a pure function of the definition (and, for the memoized ones,
    of an active configuration or a transition), so a step reads the same values
    the hierarchy functions would compute, without walking the hierarchy again.
    """

    def __init__(self, definition: Definition) -> None:
        hierarchy = definition.hierarchy
        states = definition.states
        self.hierarchy = hierarchy
        self.order = hierarchy.order
        self.chain: dict[str, tuple[str, ...]] = {name: tuple(hierarchy.chain(name)) for name in states}
        self.below: dict[str, frozenset[str]] = {
            name: frozenset(leaves) for name, leaves in hierarchy.descendants.items()
        }
        self.top_final = frozenset(name for name in states if hierarchy.is_top_final(name))
        self.timer_keys: dict[str, tuple[str, ...]] = {name: _timer_keys(definition, name) for name in states}
        every = [key for keys in self.timer_keys.values() for key in keys]
        self.cancel_keys: dict[str, tuple[str, ...]] = {}
        """Per state, the timer keys leaving it cancels: those starting with its prefixes."""
        for name in states:
            prefixes = (f"timeout:{name}:", f"soft:{name}:", f"retry:{name}", f"heartbeat:{name}")
            self.cancel_keys[name] = tuple(dict.fromkeys(key for key in every if key.startswith(prefixes)))
        self.entry_timers: dict[str, tuple[tuple[str, int, str, int | None], ...]] = {}
        """Per state, the timers entering it starts: (key, delay, kind, transition)."""
        for name, state in states.items():
            specs: list[tuple[str, int, str, int | None]] = [
                (f"timeout:{name}:{index}", definition.transitions[index].after_ms or 0, "timeout", index)
                for index in definition.eventless.get((name, "timeout"), ())
            ]
            specs += [
                (f"soft:{name}:{number}", soft.after_ms, "soft_timeout", None)
                for number, soft in enumerate(state.soft_timeouts)
            ]
            self.entry_timers[name] = tuple(specs)
        self.settling = frozenset(
            name
            for name in states
            if definition.eventless.get((name, "always")) or definition.eventless.get((name, "completion"))
        )
        """States with an eventless transition (`always`, `completion`) that `settle` must look at."""
        self.checks: tuple[tuple[str, Callable[[ir.Value], bool], ir.FieldType], ...] = tuple(
            (name, _accepts(field_.type), field_.type) for name, field_ in definition.fields.items()
        )
        self.definition_guards = definition.guards
        self.transitions = definition.transitions
        self.fields = tuple(definition.machine.context)
        self.invariants = tuple(
            (invariant.text, _staged_or(invariant.expr)) for invariant in definition.machine.invariants
        )
        self._guards: dict[int, Callable[[Mapping[str, ir.Value]], bool]] = {}
        self._sets: dict[int, tuple[tuple[ir.Action, ...], _Sets | None]] = {}
        self._states: dict[_Key, tuple[str, ...]] = {}
        self._held: dict[_Key, frozenset[str]] = {}
        self._settle: dict[_Key, tuple[str, ...]] = {}
        self._exits: dict[tuple[_Key, str, str], tuple[str, ...]] = {}
        self._moves: dict[tuple[_Key, str, str], tuple[tuple[str, ...], tuple[str, ...], _Key]] = {}
        self._entries: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def guard_holds(self, index: int, context: Mapping[str, ir.Value]) -> bool:
        """`Definition.guard_holds`: a compiled guard the definition supplies, else the staged guard."""
        compiled = self.definition_guards.get(index)
        if compiled is not None:
            return compiled(context)
        test = self._guards.get(index)
        if test is None:
            guard = self.transitions[index].guard
            if guard is None:
                return True
            test = self._guards[index] = _staged_or(guard)
        return test(context)

    def sets(self, actions: tuple[ir.Action, ...]) -> _Sets | None:
        """`apply_sets` for these actions (walked once), or None when none of them is a `set`."""
        found = self._sets.get(id(actions))
        if found is not None and found[0] is actions:
            return found[1]
        fields = self.fields
        run: _Sets | None = None
        if any(isinstance(action, ir.Assign) for action in actions):
            try:
                run = _staged_sets(actions, fields)
            except Exception:  # a malformed action raises where `apply_sets` raises: when it runs

                def run(context: Mapping[str, ir.Value]) -> dict[str, ir.Value]:
                    return apply_sets(actions, context, fields)

        _memo(self._sets, id(actions), (actions, run))  # the actions are the IR's: alive while this plan is
        return run

    def states_of(self, active: _Key) -> tuple[str, ...]:
        """Every state active when the leaves `active` are, in IR order (`Hierarchy.active_states`)."""
        found = self._states.get(active)
        if found is None:
            found = tuple(self.hierarchy.active_states(active))
            _memo(self._states, active, found)
        return found

    def held(self, active: _Key) -> frozenset[str]:
        """The timer keys that may be pending in configuration `active` (those its states own)."""
        found = self._held.get(active)
        if found is None:
            found = frozenset(key for name in self.states_of(active) for key in self.timer_keys[name])
            _memo(self._held, active, found)
        return found

    def settle_states(self, active: _Key) -> tuple[str, ...]:
        """The active states, in IR order, that have an eventless transition."""
        found = self._settle.get(active)
        if found is None:
            found = tuple(name for name in self.states_of(active) if name in self.settling)
            _memo(self._settle, active, found)
        return found

    def exits(self, active: _Key, source: str, target: str) -> tuple[str, ...]:
        """`Hierarchy.exit_set` of a transition taken in configuration `active`."""
        key = (active, source, target)
        found = self._exits.get(key)
        if found is None:
            found = tuple(self.hierarchy.exit_set(active, source, target))
            _memo(self._exits, key, found)
        return found

    def move(self, active: _Key, source: str, target: str) -> tuple[tuple[str, ...], tuple[str, ...], _Key]:
        """A transition taken in configuration `active`: what it exits, what it enters, the leaves after."""
        key = (active, source, target)
        found = self._moves.get(key)
        if found is None:
            exited = self.exits(active, source, target)
            entry, entered = self.entries(source, target)
            kept = [leaf for leaf in active if leaf not in exited]
            found = (exited, entry, tuple(sorted({*kept, *entered}, key=self.order.__getitem__)))
            _memo(self._moves, key, found)
        return found

    def entries(self, source: str, target: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """`Hierarchy.entry_set` and `Hierarchy.entered` of a transition."""
        key = (source, target)
        found = self._entries.get(key)
        if found is None:
            hierarchy = self.hierarchy
            found = (tuple(hierarchy.entry_set(source, target)), hierarchy.entered(source, target))
            _memo(self._entries, key, found)
        return found


def _staged_or(expr: ir.Expr) -> Callable[[Mapping[str, ir.Value]], bool]:
    """The staged test of a guard or invariant, or `holds` itself if it does not stage."""
    try:
        return _staged_test(expr)
    except Exception:
        return lambda context: holds(expr, context)


def _memo(table: dict[_T, _V], key: _T, value: _V) -> None:
    if len(table) >= _MEMO_MAX:
        table.clear()
    table[key] = value


def _timer_keys(definition: Definition, name: str) -> tuple[str, ...]:
    """Every timer key a state can own."""
    state = definition.states[name]
    keys = [f"timeout:{name}:{i}" for i in definition.eventless.get((name, "timeout"), ())]
    keys += [f"soft:{name}:{i}" for i in range(len(state.soft_timeouts))]
    if state.invoke is not None:
        keys += [f"retry:{name}", f"heartbeat:{name}"]
    return tuple(keys)


def _accepts(field_type: ir.FieldType) -> Callable[[ir.Value], bool]:
    """`value_in_domain` for one field type: inlined for ints and bools, remembered per value otherwise."""
    kind = field_type.name
    if kind == "int":
        low = INT_MIN if field_type.min is None else int(field_type.min)
        high = INT_MAX if field_type.max is None else int(field_type.max)
        return lambda value: isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    if kind == "bool":
        return lambda value: isinstance(value, bool)
    known: dict[tuple[type, ir.Value], bool] = {}

    def accepts(value: ir.Value) -> bool:
        key = (value.__class__, value)  # the class too: `True == 1`, `Decimal(1) == 1`
        try:
            return known[key]
        except KeyError:
            pass
        except TypeError:  # unhashable (not a value at all, or a signalling NaN)
            return value_in_domain(value, field_type)
        found = value_in_domain(value, field_type)
        _memo(known, key, found)
        return found

    return accepts


_PLANS: dict[int, tuple[weakref.ref[Definition], _Plan]] = {}


def _plan(definition: Definition) -> _Plan:
    """The definition's plan, built on first use and dropped with the definition."""
    key = id(definition)
    found = _PLANS.get(key)
    if found is not None and found[0]() is definition:
        return found[1]
    plan = _Plan(definition)

    def forget(ref: weakref.ref[Definition], key: int = key) -> None:
        entry = _PLANS.get(key)
        if entry is not None and entry[0] is ref:
            del _PLANS[key]

    _PLANS[key] = (weakref.ref(definition, forget), plan)
    return plan


# --------------------------------------------------------------------------- the working copy


class _Draft:
    """The mutable working copy of one step (local to the pure step functions)."""

    __slots__ = (
        "active",
        "attempts",
        "before",
        "cancelled",
        "cause",
        "context",
        "definition",
        "done_work",
        "guards",
        "invoked",
        "now",
        "plan",
        "seq",
        "status",
        "timers",
        "votes",
        "work",
    )

    def __init__(
        self, definition: Definition, instance: Instance, now_ms: int, plan: _Plan | None = None
    ) -> None:
        self.definition = definition
        self.plan = plan or _plan(definition)
        self.before = instance
        self.now = now_ms
        self.active: list[str] = list(instance.active)
        self.context: dict[str, ir.Value] = dict(instance.context)
        self.status: Status = instance.status
        self.votes = dict(instance.votes)
        self.attempts = dict(instance.attempts)
        self.invoked = dict(instance.work)
        self.timers: dict[str, Timer] = {}
        self.cancelled: set[str] = set()
        self.work: list[Work] = []
        self.done_work: list[str] = []
        self.guards: list[tuple[str, bool]] = []
        self.seq = instance.version + 1
        self.cause: dict[str, str | None] = {}

    # ------------------------------------------------------------------ keys and actions

    def render(self, template: str) -> str:
        """Fill `{name}` placeholders: a context field's value, any other name the instance id."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.context:
                return self.before.id
            found = self.context[name]
            if isinstance(found, bool):
                return "true" if found else "false"
            return format(found, "f") if isinstance(found, Decimal) else str(found)

        return _PLACEHOLDER.sub(value, template)

    def run_actions(self, actions: Iterable[ir.Action], where: str) -> None:
        """`set` updates the context; `do` and `emit` become owed work with stable keys."""
        actions = tuple(actions)
        if not actions:
            return
        sets = self.plan.sets(actions)
        if sets is not None:
            self.context = sets(self.context)
        for number, action in enumerate(actions, start=1):
            if isinstance(action, ir.Call):
                key = (
                    self.render(action.key) if action.key else f"{self.before.id}:{self.seq}:{where}:{number}"
                )
                self.work.append(
                    Work(self.before.id, key, action.name, "do", None, 1, self.seq, action.service)
                )
            elif isinstance(action, ir.Emit):
                key = f"{self.before.id}:{self.seq}:{where}:{number}:emit"
                self.work.append(Work(self.before.id, key, action.event, "emit", None, 1, self.seq))

    # ------------------------------------------------------------------ entering and exiting

    def exit(self, name: str) -> None:
        """Leave one state: exit actions, its timers, votes, retry counters and pending work."""
        state = self.definition.states[name]
        if state.exit:
            self.run_actions(state.exit, f"exit:{name}")
        held = self.plan.held(self.before.active)
        timers = self.timers
        for key in self.plan.cancel_keys[name]:
            if key in held or key in timers:
                self.cancel(key)
        self.votes.pop(name, None)
        self.attempts.pop(name, None)
        pending = self.invoked.pop(name, None)
        if pending is not None:
            self.done_work.append(pending)

    def before_timers(self) -> list[str]:
        """Timer keys that may be pending from earlier steps (derived from the active states)."""
        plan = self.plan
        return [key for name in plan.states_of(self.before.active) for key in plan.timer_keys[name]]

    def timer_keys(self, name: str) -> list[str]:
        """Every timer key a state can own."""
        return list(self.plan.timer_keys[name])

    def cancel(self, key: str) -> None:
        """Cancel a timer, whether set earlier or in this step."""
        self.timers.pop(key, None)
        self.cancelled.add(key)

    def set_timer(self, timer: Timer) -> None:
        """Set (or reset) a timer."""
        self.cancelled.discard(timer.key)
        self.timers[timer.key] = timer

    def enter(self, name: str) -> None:
        """Enter one state: entry actions, its timers, and the work it invokes."""
        state = self.definition.states[name]
        if state.entry:
            self.run_actions(state.entry, f"entry:{name}")
        instance, now = self.before.id, self.now
        for key, after, kind, index in self.plan.entry_timers[name]:
            self.set_timer(Timer(instance, key, now + after, kind, name, index))  # type: ignore[arg-type]
        if state.invoke is not None:
            self.invoke(name, state.invoke, attempt=1)

    def invoke(self, name: str, invoke: ir.Invoke, attempt: int) -> None:
        """Owe one attempt of a state's work (the same key on every attempt) and arm its heartbeat."""
        key = self.invoked.get(name)
        if key is None:
            key = self.render(invoke.key) if invoke.key else f"{self.before.id}:{self.seq}:{name}"
            self.invoked[name] = key
        self.work.append(
            Work(self.before.id, key, invoke.action, "invoke", name, attempt, self.seq, invoke.service)
        )
        if invoke.heartbeat_ms is not None:
            self.set_timer(
                Timer(self.before.id, f"heartbeat:{name}", self.now + invoke.heartbeat_ms, "heartbeat", name)
            )

    def take(self, index: int) -> None:
        """Take transition `index`: exit, act, enter (a targetless one only acts)."""
        transition = self.definition.transitions[index]
        source, target = transition.source, transition.target
        if target is None:
            self.run_actions(transition.actions, f"t{index}")
            return
        exited, entry, after = self.plan.move(tuple(self.active), source, target)
        for name in exited:
            self.exit(name)
        if transition.actions:
            self.run_actions(transition.actions, f"t{index}")
        for name in entry:
            self.enter(name)
        self.active = list(after)
        self.finish_if_final()

    def finish_if_final(self) -> None:
        """A top-level final state ends the instance: completed, or failed for a failure outcome."""
        top_final = self.plan.top_final
        for leaf in self.active:
            if leaf in top_final:
                outcome = self.definition.states[leaf].outcome
                self.status = "failed" if outcome == "failure" else "completed"
                for key in [*self.plan.held(self.before.active), *self.timers]:
                    self.cancel(key)
                return

    # ------------------------------------------------------------------ the result

    def check(self) -> WorkflowError | None:
        """The new context must fit every field's type and every invariant."""
        context = self.context
        for name, accepts, field_type in self.plan.checks:
            if name in context and not accepts(context[name]):
                return InvariantBroken(
                    f"`{name}` would become {context[name]!r}, outside {field_type.describe()}"
                )
        for text, test in self.plan.invariants:
            if not test(context):
                return InvariantBroken(f"the step would break the invariant `{text}`")
        return None

    def commit(self, kind: RecordKind, request: Request, **fields: Any) -> Step:
        """The applied step as one commit."""
        active = tuple(self.active)
        record = self.record(kind, "applied", request, active, self.context, self.status, **fields)
        before = self.before
        # The draft's own copies become the snapshot's (the draft is not used after this).
        instance = Instance(
            before.id,
            before.workflow,
            before.workflow_version,
            active,
            self.context,
            self.status,
            self.seq,
            before.created_ms,
            self.now,
            record.stamp,
            self.votes,
            self.attempts,
            self.invoked,
        )
        pending = self.timers
        if len(pending) > 1:
            timers = tuple(sorted(pending.values(), key=lambda t: t.key))
        else:
            timers = tuple(pending.values())
        cancelled = self.cancelled
        if cancelled:
            cancel = tuple(sorted(cancelled - pending.keys()) if pending else sorted(cancelled))
        else:
            cancel = ()
        return Step(
            Commit(instance, before.version, record, timers, cancel, tuple(self.work), tuple(self.done_work))
        )

    def refuse(
        self, kind: RecordKind, outcome: Outcome, error: WorkflowError, request: Request, **fields: Any
    ) -> Step:
        """A refusal: a record with the instance unchanged, and the error to raise."""
        before = self.before
        record = self.record(
            kind,
            outcome,
            request,
            before.active,
            before.context,
            before.status,
            reason=str(error.args[0]),
            **fields,
        )
        instance = replace(before, version=self.seq, updated_ms=self.now, stamp=record.stamp)
        return Step(Commit(instance, before.version, record), error)

    def record(
        self,
        kind: RecordKind,
        outcome: Outcome,
        request: Request,
        target: tuple[str, ...],
        context: Mapping[str, ir.Value],
        status: Status,
        **fields: Any,
    ) -> Record:
        """The audit record of this step, stamped onto the instance's chain (and its JSON remembered).

        `fields` are the record's own (event, transition, permissions, scope, reason,
        decision, inputs); the step's cause (timer, work, failure) comes from the draft.
        """
        before = self.before
        get, cause = fields.get, self.cause
        record = Record(  # positionally, in field order: a third faster than by keyword
            before.id,
            self.seq,
            self.now,
            kind,
            outcome,
            tuple(before.active),
            tuple(target),
            dict(context),
            status,
            get("event"),
            get("transition"),
            tuple(self.guards),
            request.actor,
            get("permissions", ()),
            tuple(request.permissions),
            get("scope"),
            dict(request.evidence),
            request.key,
            get("reason"),
            get("decision"),
            request.scope,
            request.delegate_to,
            get("inputs", {}),
            cause.get("timer"),
            cause.get("work"),
            cause.get("failure"),
        )
        stamp, text = codec.seal(before.stamp or codec.GENESIS, record)
        object.__setattr__(record, "stamp", stamp)  # still private to this step: set before anyone sees it
        codec.remember(record, text)
        return record


# --------------------------------------------------------------------------- starting


def start(
    definition: Definition,
    instance_id: str,
    values: Mapping[str, ir.Value],
    now_ms: int,
    request: Request | None = None,
) -> Step:
    """Create an instance in the initial state with `values` over the defaults (validated first).

    Raises `BadContext` (nothing is created) when a value is unknown, of the wrong
    type, out of range, missing without a default, or breaks an invariant.
    """
    machine = definition.machine
    context = initial_context(definition, values)
    blank = Instance(
        id=instance_id,
        workflow=machine.name,
        workflow_version=machine.version,
        active=(),
        context=context,
        status="running",
        version=0,
        created_ms=now_ms,
        updated_ms=now_ms,
    )
    draft = _Draft(definition, blank, now_ms)
    hierarchy = definition.hierarchy
    for name in _entry_from_root(definition, machine.initial):
        draft.enter(name)
    draft.active = list(hierarchy.initial_leaves)
    draft.finish_if_final()
    problem = draft.check()
    if problem is not None:
        raise BadContext(str(problem.args[0]))
    return draft.commit("start", request or _NO_REQUEST, inputs=dict(values))


def _entry_from_root(definition: Definition, initial: str) -> list[str]:
    """The states entered when the machine starts, outermost first."""
    hierarchy = definition.hierarchy
    entered: set[str] = set()
    for leaf in hierarchy.initial_leaves:
        entered.update(hierarchy.chain(leaf))
    return sorted(entered, key=lambda n: (len(hierarchy.ancestors(n)), hierarchy.order[n]))


def initial_context(definition: Definition, values: Mapping[str, ir.Value]) -> dict[str, ir.Value]:
    """The defaults overridden by `values`, validated against the declared types and invariants."""
    fields = definition.fields
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise BadContext(
            f"unknown context field `{unknown[0]}`; the fields are: {', '.join(fields) or 'none'}"
        )
    context: dict[str, ir.Value] = {}
    for name, field_ in fields.items():
        value = values.get(name, field_.default)
        if value is None:
            raise BadContext(f"`{name}` has no default: give it a value ({field_.type.describe()})")
        if not value_in_domain(value, field_.type):
            raise BadContext(f"`{name}` = {value!r} does not fit {field_.type.describe()}")
        if field_.type.name == "decimal" and not isinstance(value, Decimal):
            value = Decimal(int(value))
        context[name] = value
    for invariant in definition.machine.invariants:
        if not holds(invariant.expr, context):
            raise BadContext(f"the start context breaks the invariant `{invariant.text}`")
    return context


# --------------------------------------------------------------------------- events


Resolution = tuple[Literal["transition", "reject", "ignore", "other_region", "unhandled", "no_guard"], object]


def _resolve(draft: _Draft, leaf: str, event: str) -> Resolution:
    """Walk from `leaf` outwards to the level that decides `event` (guards evaluated on the context)."""
    definition = draft.definition
    guarded_only = False
    chain = draft.plan.chain[leaf]
    for level in chain:
        indices = definition.on_event.get((level, event), ())
        fallback: int | None = None
        for index in indices:
            transition = definition.transitions[index]
            if transition.is_else:
                fallback = index
                continue
            if transition.guard is None:
                return ("transition", index)
            held = draft.plan.guard_holds(index, draft.context)
            draft.guards.append((definition.guard_texts[index], held))
            if held:
                return ("transition", index)
        if fallback is not None:
            return ("transition", fallback)
        refusal = definition.refusals.get((level, event))
        if refusal is not None:
            return (refusal.kind, refusal)
        if indices:
            guarded_only = True
    for inner, outer in itertools.pairwise(chain):
        parallel = definition.states[outer]
        if parallel.kind == "parallel" and any(
            event in definition.mentioned_below[region] for region in parallel.children if region != inner
        ):
            return ("other_region", outer)
    return ("no_guard", None) if guarded_only else ("unhandled", None)


def send(
    definition: Definition, instance: Instance, event: str, now_ms: int, request: Request | None = None
) -> Step:
    """Offer `event` to the instance: the applied step, or a recorded refusal with its error."""
    request = request or _NO_REQUEST
    plan = _plan(definition)
    draft = _Draft(definition, instance, now_ms, plan)
    if instance.status != "running":
        raise NotRunning(f"instance `{instance.id}` is {instance.status}; it takes no events")
    if event not in definition.events:
        return draft.refuse(
            "event",
            "not_allowed",
            EventNotAllowed(f"`{event}` is not an event of {definition.name}"),
            request,
            event=event,
        )
    chosen: list[int] = []
    refusals: list[ir.Reject] = []
    no_guard = False
    for leaf in instance.active:
        kind, detail = _resolve(draft, leaf, event)
        if kind == "transition" and isinstance(detail, int):
            if detail not in chosen:
                chosen.append(detail)
        elif kind in ("reject", "ignore") and isinstance(detail, ir.Reject):
            refusals.append(detail)
        elif kind == "no_guard":
            no_guard = True
    if not chosen:
        return _refusal(draft, event, refusals, no_guard, request)
    if len(chosen) > 1:
        chosen.sort()
    first = definition.transitions[chosen[0]]
    denied = _gate(first, request, definition.machine.scope)
    if denied is not None:
        return draft.refuse(
            "event",
            "denied",
            PermissionDenied(denied),
            request,
            event=event,
            transition=chosen[0],
            permissions=first.permissions,
            scope=first.scope,
        )
    level = definition.levels.get(first.source)
    if level is not None and event in ("approve", "reject", "delegate"):
        vote = _vote(draft, level, event, request)
        if isinstance(vote, WorkflowError):
            return draft.refuse("event", "denied", vote, request, event=event, transition=chosen[0])
        if vote is False:  # counted, quorum not reached yet
            return draft.commit("event", request, event=event, decision="approve")
    taken: list[int] = []
    exited: set[str] = set()
    for index in chosen:
        transition = definition.transitions[index]
        if transition.target is not None and len(chosen) > 1:  # one alone is neither preempted nor stale
            exits = plan.exits(tuple(draft.active), transition.source, transition.target)
            below = plan.below[transition.source]
            if not exited.isdisjoint(exits) or not any(leaf in below for leaf in draft.active):
                continue  # preempted, or no longer active below its source
            exited.update(exits)
        draft.take(index)
        taken.append(index)
    problem = draft.check()
    if problem is not None:
        return _Draft(definition, instance, now_ms, plan).refuse(
            "event", "denied", problem, request, event=event
        )
    decision = "reject" if level is not None and event == "reject" else None
    return draft.commit(
        "event",
        request,
        event=event,
        transition=taken[0],
        permissions=first.permissions,
        scope=first.scope,
        decision=decision,
    )


def _refusal(draft: _Draft, event: str, refusals: list[ir.Reject], no_guard: bool, request: Request) -> Step:
    rejects = [r for r in refusals if r.kind == "reject"]
    if rejects:
        reason = rejects[0].reason or "refused in this state"
        error: WorkflowError = EventRejected(f"`{event}` refused in `{rejects[0].state}`: {reason}")
        return draft.refuse("event", "rejected", error, request, event=event)
    if no_guard:
        where = ", ".join(f"`{leaf}`" for leaf in draft.before.active)
        return draft.refuse(
            "event", "no_guard", NoGuardHolds(f"no guard on `{event}` holds in {where}"), request, event=event
        )
    if refusals:
        return draft.commit("event", request, event=event, reason="ignored")
    where = ", ".join(f"`{leaf}`" for leaf in draft.before.active)
    return draft.refuse(
        "event", "not_allowed", EventNotAllowed(f"`{event}` is not allowed in {where}"), request, event=event
    )


def _gate(transition: ir.Transition, request: Request, workflow_scope: str | None) -> str | None:
    """The governance gate: required permissions, scope and evidence; the reason it refuses, or None."""
    if not transition.permissions and not transition.evidence and transition.scope is None:
        return None  # an open transition
    missing = [p for p in transition.permissions if p not in request.permissions]
    if missing:
        return f"actor `{request.actor or 'anonymous'}` lacks {', '.join(f'`{p}`' for p in missing)}"
    scope = transition.scope or (workflow_scope if transition.permissions else None)
    if scope is not None and request.scope is not None and request.scope != scope:
        return f"the request's scope `{request.scope}` is not `{scope}`"
    absent = [name for name in transition.evidence if name not in request.evidence]
    if absent:
        return f"evidence missing: {', '.join(f'`{name}`' for name in absent)}"
    return None


def _eligible(level: Level, votes: tuple[Vote, ...], request: Request) -> bool:
    """An approver of the level (by actor id or a held role), or someone an approver delegated to."""
    names = {request.actor, *request.permissions} - {None}
    if names & set(level.approvers):
        return True
    return any(v.decision == "delegate" and v.actor == request.actor for v in votes)


def _vote(draft: _Draft, level: Level, event: str, request: Request) -> WorkflowError | bool:
    """Count an approval decision; True when it decides the level, False while the quorum is short."""
    votes = draft.votes.get(level.state, ())
    if not _eligible(level, votes, request):
        return PermissionDenied(
            f"`{request.actor or 'anonymous'}` is not an approver at level {level.number} "
            f"({', '.join(level.approvers)})"
        )
    actor = request.actor or ""
    if event == "delegate":
        if not level.delegation:
            return PermissionDenied(f"delegation is forbidden at level {level.number}")
        if not request.delegate_to:
            return PermissionDenied("say whom to delegate to")
        draft.votes[level.state] = (*votes, Vote(request.delegate_to, "delegate"))
        return True
    if event == "reject":
        return True
    approvals = {v.actor for v in votes if v.decision == "approve"} | {actor}
    draft.votes[level.state] = (*votes, Vote(actor, "approve"))
    return len(approvals) >= level.quorum


# --------------------------------------------------------------------------- eventless steps


def settle(definition: Definition, instance: Instance, now_ms: int) -> Step | None:
    """The next enabled eventless transition (`always`, `completion`) as a step; None when stable."""
    if instance.status != "running":
        return None
    plan = _plan(definition)
    if not plan.settling:
        return None
    names = plan.settle_states(tuple(instance.active))
    if not names:
        return None
    draft = _Draft(definition, instance, now_ms, plan)
    for name in names:
        for index in definition.eventless.get((name, "always"), ()):
            if draft.plan.guard_holds(index, draft.context) or definition.transitions[index].is_else:
                if definition.transitions[index].guard is not None:
                    draft.guards.append((definition.guard_texts[index], True))
                return _eventless(draft, index, "always")
        completion = definition.eventless.get((name, "completion"), ())
        if completion and _complete(definition, plan, name, instance.active):
            return _eventless(draft, completion[0], "completion")
    return None


def _complete(definition: Definition, plan: _Plan, name: str, active: Iterable[str]) -> bool:
    """A compound state's child, or every region of a parallel state, is in a final state."""
    states = definition.states
    state = states[name]
    below = plan.below[name]
    leaves = [leaf for leaf in active if leaf in below]
    if state.kind == "parallel":
        return all(
            any(states[leaf].kind == "final" and states[leaf].parent == region for leaf in leaves)
            for region in state.children
        )
    return any(states[leaf].kind == "final" and states[leaf].parent == name for leaf in leaves)


def _eventless(draft: _Draft, index: int, kind: RecordKind) -> Step:
    draft.take(index)
    problem = draft.check()
    if problem is not None:
        draft.status = "failed"
        return _Draft(draft.definition, draft.before, draft.now, draft.plan).refuse(
            kind, "denied", problem, _NO_REQUEST
        )
    return draft.commit(kind, _NO_REQUEST, transition=index)


# --------------------------------------------------------------------------- timers and work


def fire(definition: Definition, instance: Instance, timer: Timer, now_ms: int) -> Step | None:
    """A due timer: a hard timeout moves, a soft one warns, a retry re-owes work, a heartbeat fails it.

    None when the timer no longer applies (its state was left).
    """
    plan = _plan(definition)
    if instance.status != "running" or timer.state not in plan.states_of(tuple(instance.active)):
        return None
    draft = _Draft(definition, instance, now_ms, plan)
    draft.cause = {"timer": timer.key}
    draft.cancel(timer.key)
    state = definition.states[timer.state]
    if timer.kind == "timeout" and timer.transition is not None:
        draft.take(timer.transition)
        return draft.commit("timeout", _NO_REQUEST, transition=timer.transition)
    if timer.kind == "soft_timeout":
        number = int(timer.key.rsplit(":", 1)[1])
        soft = state.soft_timeouts[number]
        draft.run_actions(soft.actions, timer.key)
        return draft.commit("soft_timeout", _NO_REQUEST, reason=soft.message or "still waiting")
    if timer.kind == "retry" and state.invoke is not None:
        draft.invoke(timer.state, state.invoke, attempt=draft.attempts.get(timer.state, 0) + 1)
        return draft.commit("retry", _NO_REQUEST, reason=f"attempt {draft.attempts.get(timer.state, 0) + 1}")
    draft.cause["failure"] = "HeartbeatTimeout"
    return _failed(draft, timer.state, "HeartbeatTimeout")


def finish(
    definition: Definition, instance: Instance, work: Work, error: str | None, now_ms: int, seed: int = 0
) -> Step | None:
    """A handler's result for owed work: `done`/`error` transitions or a retry for invoked work.

    None when the result is stale (its state was left, or a newer attempt owns it):
    the work is then simply marked done. `do` and `emit` results change nothing
    but the outbox, which the caller marks done in the step that sent the emit.
    """
    if work.kind != "invoke" or work.state is None:
        return None
    if instance.status != "running" or instance.work.get(work.state) != work.key:
        return None
    draft = _Draft(definition, instance, now_ms)
    draft.cause = {"work": work.key, "failure": error}
    draft.done_work.append(work.key)
    draft.cancel(f"heartbeat:{work.state}")
    if error is None:
        draft.invoked.pop(work.state, None)
        draft.attempts.pop(work.state, None)
        index = _eventless_from(definition, work.state, "done", draft)
        if index is None:
            return draft.commit("done", _NO_REQUEST, reason=f"{work.action} finished")
        draft.take(index)
        return draft.commit("done", _NO_REQUEST, transition=index)
    return _failed(draft, work.state, error, seed)


def _failed(draft: _Draft, name: str, error: str, seed: int = 0) -> Step:
    """An attempt failed: retry per the policy (a backoff timer), or take the `error` transition."""
    definition = draft.definition
    state = definition.states[name]
    policy = state.invoke.retry if state.invoke is not None else None
    failures = draft.attempts.get(name, 0) + 1
    retryable = policy is not None and (not policy.retry_on or error in policy.retry_on)
    if policy is not None and retryable and (policy.max_retries is None or failures <= policy.max_retries):
        draft.attempts[name] = failures
        delay = backoff_ms(policy, failures, _rng(seed, draft.before.id, name, failures))
        draft.set_timer(Timer(draft.before.id, f"retry:{name}", draft.now + delay, "retry", name))
        return draft.commit("error", _NO_REQUEST, reason=f"{error}; retry {failures} in {delay} ms")
    pending = draft.invoked.pop(name, None)
    if pending is not None:
        draft.done_work.append(pending)
    index = _eventless_from(definition, name, "error", draft)
    if index is None:
        draft.status = "failed"
        return draft.commit("error", _NO_REQUEST, reason=f"{error}; nothing handles the failure")
    draft.take(index)
    return draft.commit("error", _NO_REQUEST, transition=index, reason=error)


def _eventless_from(definition: Definition, name: str, kind: str, draft: _Draft) -> int | None:
    """The `done`/`error` transition of a state or its nearest ancestor that has one."""
    for level in definition.hierarchy.chain(name):
        for index in definition.eventless.get((level, kind), ()):
            if draft.plan.guard_holds(index, draft.context):
                return index
    return None


def _rng(seed: int, instance: str, state: str, attempt: int) -> random.Random:
    """A jitter source that replays: seeded by the run's seed, the instance, state and attempt."""
    return random.Random(f"{seed}:{instance}:{state}:{attempt}")


def backoff_ms(policy: ir.RetryPolicy, failures: int, rng: random.Random) -> int:
    """The delay before retry number `failures` (1-based), with the policy's growth, cap and jitter."""
    base = policy.base_ms
    if policy.backoff == "linear":
        delay = base * failures
    elif policy.backoff == "exponential":
        delay = int(base * policy.factor ** (failures - 1))
    else:
        delay = base
    if policy.cap_ms is not None:
        delay = min(delay, policy.cap_ms)
    match policy.jitter:
        case "full":
            delay = rng.randint(0, delay)
        case "equal":
            delay = delay // 2 + rng.randint(0, delay - delay // 2)
        case "decorrelated":
            high = max(base, delay * 3)
            delay = rng.randint(base, high) if high > base else base
            if policy.cap_ms is not None:
                delay = min(delay, policy.cap_ms)
    return delay


# --------------------------------------------------------------------------- control


def control(
    definition: Definition,
    instance: Instance,
    action: Literal["pause", "resume", "cancel"],
    now_ms: int,
    request: Request | None = None,
) -> Step:
    """Pause, resume or cancel: a recorded status change (timers are kept while paused)."""
    request = request or _NO_REQUEST
    draft = _Draft(definition, instance, now_ms)
    allowed = {"pause": ("running",), "resume": ("paused",), "cancel": ("running", "paused")}
    if instance.status not in allowed[action]:
        raise NotRunning(f"cannot {action} instance `{instance.id}`: it is {instance.status}")
    draft.status = {"pause": "paused", "resume": "running", "cancel": "cancelled"}[action]  # type: ignore[assignment]
    if action == "cancel":
        for key in draft.before_timers():
            draft.cancel(key)
        draft.done_work.extend(draft.invoked.values())
        draft.invoked.clear()
    return draft.commit(action, request)
