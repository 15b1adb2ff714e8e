"""The conformance harness: implementations of a workflow, driven in lockstep with the reference.

An `Implementation` runs one instance of one machine and answers every
operation (start, send, tick, work results, pause/resume/cancel) with an
`Observation`: the active leaves, the context, the status, the pending timers,
the owed work, and the outcome of the last operation. `Harness.apply` performs
an operation on the reference (`tests/runtime/reference.py`, the oracle) and on
every implementation, then asserts that each observation equals the
reference's; a divergence raises with the whole operation sequence, numbered.

Adapters here: the reference itself, and `Runtime` on a `MemoryStore` or on a
`SQLiteStore` file. Generated code (the python target) plugs in as one more
`Implementation`.

Operations name work by what it is, not by a key (keys without a template are
each implementation's own): "the work state S invoked" and "an owed `do A`
action with this rendered key (None: no template)". Emitted events are
delivered right after each operation (`deliver_emits`), as the language says
("processed after the current transition completes").

`operations` is the Hypothesis strategy that draws the next operation from the
reference's current state: events (mostly ones the configuration handles, but
also refused and unknown ones), with actors, permissions, scopes and evidence
drawn so that the gate and approval quorums are exercised both ways; clock
advances that land on, just before and just after timer due times; results of
owed work (success, a `retry_on` error, another error); `do` results; and
pause/resume/cancel now and then.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal, Protocol, TypeAlias

from hypothesis import strategies as st

from statewright import ir
from statewright.runtime import replay
from statewright.runtime.definition import Definition
from statewright.runtime.errors import (
    BadContext,
    EventNotAllowed,
    EventRejected,
    InvariantBroken,
    KeyReused,
    NoGuardHolds,
    NotRunning,
    PayloadInvalid,
    PermissionDenied,
    UnknownWork,
    WorkflowError,
)
from statewright.runtime.memory import MemoryStore
from statewright.runtime.runner import Runtime
from statewright.runtime.sqlite import SQLiteStore
from statewright.testing.values import Literals, field_values, literals, starts
from tests.runtime.reference import APPROVAL_EVENTS, START_MS, Presented, Reference

INSTANCE_ID = "wf-1"
ControlAction: TypeAlias = Literal["pause", "resume", "cancel"]


# --------------------------------------------------------------------------- operations


def _show(value: ir.Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Start:
    """Start the instance with these context values (the rest are defaults)."""

    values: tuple[tuple[str, ir.Value], ...] = ()

    def __repr__(self) -> str:
        return "start {" + ", ".join(f"{k}: {_show(v)}" for k, v in self.values) + "}"


Data: TypeAlias = tuple[tuple[str, object], ...]
"""A payload or result as drawn: (field, value) pairs, possibly ill-fitting (a float, a missing field)."""


def _data(pairs: Data) -> str:
    return "(" + ", ".join(f"{k}={v!r}" for k, v in pairs) + ")"


@dataclass(frozen=True, slots=True)
class Send:
    """Send an event with what the sender presents, and its payload (None: no payload given)."""

    event: str
    presented: Presented = Presented()
    data: Data | None = None

    def __repr__(self) -> str:
        p = self.presented
        parts = [f"send {self.event}" + ("" if self.data is None else _data(self.data))]
        if p.actor is not None:
            parts.append(f"as {p.actor}")
        if p.permissions:
            parts.append("holding " + ",".join(p.permissions))
        if p.scope is not None:
            parts.append(f"scope {p.scope}")
        if p.evidence:
            parts.append("evidence " + ",".join(p.evidence))
        if p.delegate_to is not None:
            parts.append(f"to {p.delegate_to}")
        if p.key is not None:
            parts.append(f"key {p.key}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Advance:
    """Move the clock to `to_ms` and fire due timers."""

    to_ms: int

    def __repr__(self) -> str:
        return f"tick at t+{self.to_ms - START_MS} ms"


@dataclass(frozen=True, slots=True)
class Report:
    """Report the result of the work `state` invoked: success (None, with `result`) or an error's name."""

    state: str
    error: str | None = None
    result: Data | None = None
    message: str | None = None

    def __repr__(self) -> str:
        if self.error is None:
            return f"report {self.state}: success" + ("" if self.result is None else _data(self.result))
        return f"report {self.state}: failed with {self.error}" + (
            "" if self.message is None else f" ({self.message!r})"
        )


@dataclass(frozen=True, slots=True)
class FinishAction:
    """A `do` handler returned (ok) or raised; `key` is its rendered template (None: none)."""

    action: str
    key: str | None
    ok: bool = True

    def __repr__(self) -> str:
        key = "" if self.key is None else f" [{self.key}]"
        return f"do {self.action}{key}: " + ("returned" if self.ok else "raised")


@dataclass(frozen=True, slots=True)
class Control:
    """Pause, resume or cancel the instance."""

    action: ControlAction

    def __repr__(self) -> str:
        return self.action


Operation: TypeAlias = Start | Send | Advance | Report | FinishAction | Control


# --------------------------------------------------------------------------- observations


def normal(value: ir.Value) -> str:
    """A context value as a comparable string that keeps its kind (`True == 1` in Python)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return "decimal " + format(value.normalize(), "f")
    if isinstance(value, int):
        return f"int {value}"
    return repr(value)


@dataclass(frozen=True, slots=True)
class Observation:
    """What an implementation shows after an operation; equal observations mean equal behaviour.

    Timers and invoked work are compared while the instance is running or paused
    (a finished instance's leftovers never fire); owed `do` actions always.
    """

    outcome: str
    active: tuple[str, ...]
    context: tuple[tuple[str, str], ...]
    status: str
    timers: tuple[tuple[str, str, str], ...]
    """(kind, state, due time); a jittered retry not yet adopted shows its window `low..high`."""
    invoked: tuple[tuple[str, str, int], ...]
    """(state, action, attempt) of owed invoked work."""
    actions: tuple[tuple[str, str], ...]
    """(action, rendered key or `-`) of owed `do` actions, sorted (a multiset)."""

    def differences(self, other: Observation) -> list[str]:
        """The fields that differ, each as `name: mine | theirs`."""
        return [
            f"{name}: {getattr(self, name)!r}\n        | {getattr(other, name)!r}"
            for name in Observation.__dataclass_fields__
            if getattr(self, name) != getattr(other, name)
        ]


def observation(
    outcome: str,
    active: Iterable[str],
    context: Mapping[str, ir.Value],
    status: str,
    timers: Iterable[tuple[str, str, str]],
    invoked: Iterable[tuple[str, str, int]],
    actions: Iterable[tuple[str, str]],
) -> Observation:
    """Build an observation in canonical (sorted) form."""
    live = status in ("running", "paused")
    return Observation(
        outcome,
        tuple(sorted(active)),
        tuple(sorted((name, normal(value)) for name, value in context.items())),
        status,
        tuple(sorted(timers)) if live else (),
        tuple(sorted(invoked)) if live else (),
        tuple(sorted(actions)),
    )


# --------------------------------------------------------------------------- implementations


class Implementation(Protocol):
    """One instance of one workflow, driven by the harness (the reference, the runtime, generated code).

    Each operation records its outcome, which `observe` reports: `applied`,
    `ignored`, `rejected`, `denied`, `invariant`, `not_allowed`, `no_guard`,
    `not_running`, `bad_context`, `invalid` (a payload that does not fit), `duplicate`,
    `key_reused`, `stale`, `unknown_work`, `done`,
    `kept`, `fired:N`, or `crash: ...` for an unexpected exception.
    """

    name: str
    outcome: str
    """The outcome of the last operation (the harness sets `crash: ...` when one raises)."""

    def start(self, values: Mapping[str, ir.Value]) -> None:
        """Create the instance at `START_MS`."""

    def send(self, event: str, presented: Presented, data: Mapping[str, object] | None = None) -> None:
        """Send an event with its payload (None: none given)."""

    def tick(self, now_ms: int) -> None:
        """Set the clock to `now_ms` and fire the due timers."""

    def report(
        self,
        state: str,
        error: str | None,
        result: Mapping[str, object] | None = None,
        message: str | None = None,
    ) -> None:
        """Report the result of the work `state` invoked (a success's result, a failure's message)."""

    def finish_action(self, action: str, key: str | None, ok: bool) -> None:
        """Report a `do` action's handler result."""

    def control(self, action: ControlAction) -> None:
        """Pause, resume or cancel."""

    def deliver_emits(self) -> None:
        """Deliver every emitted event still owed (without changing the recorded outcome)."""

    def observe(self) -> Observation:
        """What the implementation shows now."""

    def close(self) -> None:
        """Release resources."""


class ReferenceImplementation:
    """The oracle: the reference interpreter behind the `Implementation` protocol."""

    name = "reference"

    def __init__(self, machine: ir.Machine) -> None:
        self.reference = Reference(machine, INSTANCE_ID)
        self.outcome = ""

    def start(self, values: Mapping[str, ir.Value]) -> None:
        """Create the instance."""
        self.outcome = self.reference.start(values, START_MS)

    def send(self, event: str, presented: Presented, data: Mapping[str, object] | None = None) -> None:
        """Send an event."""
        started = self.reference.started
        self.outcome = self.reference.send(event, presented, data) if started else "unknown"

    def tick(self, now_ms: int) -> None:
        """Fire due timers."""
        self.outcome = self.reference.tick(now_ms)

    def report(
        self,
        state: str,
        error: str | None,
        result: Mapping[str, object] | None = None,
        message: str | None = None,
    ) -> None:
        """A work result."""
        self.outcome = self.reference.report(state, error, result, message)

    def finish_action(self, action: str, key: str | None, ok: bool) -> None:
        """A `do` result."""
        self.outcome = self.reference.finish_action(action, key, ok)

    def control(self, action: ControlAction) -> None:
        """Pause, resume, cancel."""
        self.outcome = self.reference.control(action)

    def deliver_emits(self) -> None:
        """Deliver owed emits, oldest first, until none is left."""
        for _ in range(100):
            emits = self.reference.owed_emits()
            if not emits:
                return
            for slot in emits:
                self.reference.deliver(slot)

    def observe(self) -> Observation:
        """The reference's instance."""
        ref = self.reference
        if not ref.started:
            return observation(self.outcome, (), {}, "none", (), (), ())
        inst = ref.inst
        timers = [
            (t.kind, t.state, f"{t.window[0]}..{t.window[1]}" if t.window else str(t.due))
            for t in inst.timers
        ]
        invoked = [(w.state or "", w.action, w.attempt) for w in inst.owed.values() if w.kind == "invoke"]
        actions = [(w.action, w.key or "-") for w in inst.owed.values() if w.kind == "do"]
        return observation(self.outcome, inst.leaves, inst.context, inst.status, timers, invoked, actions)

    def close(self) -> None:
        """Nothing to release."""


class FakeClock:
    """A clock the harness sets."""

    def __init__(self, now: int = START_MS) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


_ERRORS: tuple[tuple[type[WorkflowError], str], ...] = (
    (EventRejected, "rejected"),
    (PermissionDenied, "denied"),
    (InvariantBroken, "invariant"),
    (NoGuardHolds, "no_guard"),
    (EventNotAllowed, "not_allowed"),
    (NotRunning, "not_running"),
    (BadContext, "bad_context"),
    (UnknownWork, "unknown_work"),
    (KeyReused, "key_reused"),
    (PayloadInvalid, "invalid"),
)


def refusal(error: WorkflowError) -> str:
    """The outcome label of a runtime error."""
    for kind, label in _ERRORS:
        if isinstance(error, kind):
            return label
    return f"crash: {type(error).__name__}: {error}"


class RuntimeImplementation:
    """`Runtime` on a store (memory or SQLite), with a fake clock and no handlers (results are reported)."""

    def __init__(self, name: str, definition: Definition, store: MemoryStore | SQLiteStore) -> None:
        self.name = name
        self.definition = definition
        self.store = store
        self.clock = FakeClock()
        self.runtime = Runtime(definition, store, {}, clock=self.clock)
        self.created = False
        self.outcome = ""

    def _version(self) -> int:
        return self.store.load(INSTANCE_ID).version if self.created else 0

    def start(self, values: Mapping[str, ir.Value]) -> None:
        """Create the instance."""
        try:
            self.runtime.start(values, instance_id=INSTANCE_ID)
        except WorkflowError as error:
            self.outcome = refusal(error)
            return
        self.created = True
        self.outcome = "applied"

    def send(self, event: str, presented: Presented, data: Mapping[str, object] | None = None) -> None:
        """Send an event; an ignored event is recorded as such (`ignored` outcome or reason)."""
        before = self._version()
        try:
            self.runtime.send(
                INSTANCE_ID,
                event,
                actor=presented.actor,
                permissions=presented.permissions,
                scope=presented.scope,
                evidence={name: f"{name}-value" for name in presented.evidence},
                key=presented.key,
                delegate_to=presented.delegate_to,
                data=data,
            )
        except WorkflowError as error:
            self.outcome = refusal(error)
            return
        if self._version() == before:
            self.outcome = "duplicate"
            return
        record = self.store.records(INSTANCE_ID)[before]
        ignored = record.outcome == "ignored" or record.reason == "ignored"
        self.outcome = "ignored" if ignored else "applied"

    def tick(self, now_ms: int) -> None:
        """Fire due timers."""
        self.clock.now = now_ms
        self.outcome = f"fired:{self.runtime.tick(now_ms)}"

    def report(
        self,
        state: str,
        error: str | None,
        result: Mapping[str, object] | None = None,
        message: str | None = None,
    ) -> None:
        """Report the result of the work `state` invoked (found by state in the store's outbox)."""
        work = [w for w in self.store.work(INSTANCE_ID) if w.kind == "invoke" and w.state == state]
        if not work:
            self.outcome = "unknown_work"
            return
        before = self._version()
        try:
            self.runtime.report(INSTANCE_ID, work[0].key, error, result=result, message=message)
        except WorkflowError as failure:
            self.outcome = refusal(failure)
            return
        self.outcome = "applied" if self._version() != before else "stale"

    def _auto(self, key: str) -> bool:
        return key.startswith(f"{INSTANCE_ID}:")

    def finish_action(self, action: str, key: str | None, ok: bool) -> None:
        """Report a `do` result for the oldest owed `do action` with this key."""
        for work in self.store.work(INSTANCE_ID):
            if work.kind != "do" or work.action != action:
                continue
            if (key is None and self._auto(work.key)) or work.key == key:
                self.runtime.report(INSTANCE_ID, work.key, None if ok else "HandlerFailed")
                self.outcome = "done" if ok else "kept"
                return
        self.outcome = "unknown_work"

    def control(self, action: ControlAction) -> None:
        """Pause, resume, cancel."""
        try:
            {"pause": self.runtime.pause, "resume": self.runtime.resume, "cancel": self.runtime.cancel}[
                action
            ](INSTANCE_ID)
        except WorkflowError as error:
            self.outcome = refusal(error)
            return
        self.outcome = "applied"

    def deliver_emits(self) -> None:
        """Deliver owed emits as `run_work` does: the event from actor `workflow`, refusals swallowed.

        (`run_work` would also run every other owed item; the harness reports those itself.)
        """
        if not self.created:
            return
        for _ in range(100):
            emits = [w for w in self.store.work(INSTANCE_ID) if w.kind == "emit"]
            if not emits:
                return
            for work in emits:
                if self.store.load(INSTANCE_ID).status == "running":
                    with contextlib.suppress(WorkflowError):  # a refusal is recorded, not raised
                        self.runtime.send(INSTANCE_ID, work.action, actor="workflow")
                self.store.finish_work(INSTANCE_ID, work.key)

    def observe(self) -> Observation:
        """The stored instance, its timers and its outbox."""
        if not self.created:
            return observation(self.outcome, (), {}, "none", (), (), ())
        instance = self.store.load(INSTANCE_ID)
        timers = [(t.kind, t.state, str(t.due_ms)) for t in self.store.timers(INSTANCE_ID)]
        work = self.store.work(INSTANCE_ID)
        invoked = [(w.state or "", w.action, w.attempt) for w in work if w.kind == "invoke"]
        actions = [(w.action, "-" if self._auto(w.key) else w.key) for w in work if w.kind == "do"]
        return observation(
            self.outcome, instance.active, instance.context, instance.status, timers, invoked, actions
        )

    def check_replay(self) -> None:
        """The audit log replays through the engine to the stored instance, record for record."""
        if self.created:
            replay.check(self.definition, self.store, INSTANCE_ID)

    def close(self) -> None:
        """Close the store."""
        self.store.close()


def memory_runtime(definition: Definition) -> Callable[[], RuntimeImplementation]:
    """A factory of `Runtime` + `MemoryStore` implementations."""
    return lambda: RuntimeImplementation("runtime+memory", definition, MemoryStore())


def sqlite_runtime(definition: Definition, directory: Path) -> Callable[[], RuntimeImplementation]:
    """A factory of `Runtime` + `SQLiteStore` implementations, each on a new file in `directory`."""
    return lambda: RuntimeImplementation(
        "runtime+sqlite", definition, SQLiteStore(directory / f"run-{uuid.uuid4().hex}.db")
    )


# --------------------------------------------------------------------------- the harness


class DivergenceError(AssertionError):
    """An implementation's observation differs from the reference's."""


@dataclass
class Harness:
    """Apply operations to the oracle and every implementation; compare after each one."""

    spec: str
    oracle: ReferenceImplementation
    implementations: Sequence[Implementation]
    done: list[Operation] = field(default_factory=list)

    def apply(self, operation: Operation) -> None:
        """Perform one operation everywhere, deliver emits, and compare the observations."""
        self.done.append(operation)
        for implementation in (self.oracle, *self.implementations):
            perform(implementation, operation)
            try:
                implementation.deliver_emits()
            except Exception as error:  # a crash is a divergence, reported with the sequence
                crash = [f"crash delivering emits: {error!r}"]
                raise DivergenceError(self.explain(implementation.name, crash)) from error
        if not self.implementations:
            return
        self.adopt_jitter(self.implementations[0].observe())
        expected = self.oracle.observe()
        for implementation in self.implementations:
            actual = implementation.observe()
            if actual != expected:
                raise DivergenceError(self.explain(implementation.name, expected.differences(actual)))

    def adopt_jitter(self, seen: Observation) -> None:
        """Let the reference take a jittered retry's due time when it lies in the documented window."""
        for kind, state, due in seen.timers:
            if kind == "retry" and due.isdigit():
                self.oracle.reference.adopt_retry_due(state, int(due))

    def explain(self, name: str, differences: list[str]) -> str:
        """The numbered operation sequence and what differs."""
        lines = [
            f"`{name}` diverges from the reference on `{self.spec}` after operation {len(self.done)}:",
            *(f"  {number:3}. {op!r}" for number, op in enumerate(self.done)),
            "  differences (reference | implementation):",
            *(f"    {d}" for d in differences),
        ]
        return "\n".join(lines)

    def check_replay(self) -> None:
        """Each runtime's audit log rebuilds its stored instance."""
        for implementation in self.implementations:
            if isinstance(implementation, RuntimeImplementation):
                try:
                    implementation.check_replay()
                except replay.ReplayError as error:
                    raise DivergenceError(self.explain(implementation.name, [f"replay: {error}"])) from error


def perform(implementation: Implementation, operation: Operation) -> None:
    """Dispatch one operation; an unexpected exception becomes a `crash: ...` outcome."""
    try:
        match operation:
            case Start(values):
                implementation.start(dict(values))
            case Send(event, presented, data):
                implementation.send(event, presented, None if data is None else dict(data))
            case Advance(to_ms):
                implementation.tick(to_ms)
            case Report(state, error, result, message):
                implementation.report(state, error, None if result is None else dict(result), message)
            case FinishAction(action, key, ok):
                implementation.finish_action(action, key, ok)
            case Control(action):
                implementation.control(action)
    except Exception as error:
        implementation.outcome = f"crash: {type(error).__name__}: {error}"


# --------------------------------------------------------------------------- what to draw from


KNOWN_DIVERGENCES: frozenset[str] = frozenset()
"""Corners where the runtime is known to diverge from the documentation, each pinned by a test in
test_conformance.py; the harness keeps away from them so that everything else stays compared. None
now: `parallel-approval` (approval events while several levels of a parallel approval wait),
`paused-report` (work results while paused) and `decorrelated-jitter` (a decorrelated delay checked
against three times the previous one) were such corners until the runtime was fixed."""

_ACTORS = ("ann", "bea", "dan", "mallory")
_DELEGATES = ("dan", "eve")
_OTHER_ERROR = "Boom"


@dataclass(frozen=True)
class Tables:
    """What the strategies draw from, computed once per machine."""

    machine: ir.Machine
    events: tuple[str, ...]
    actors: tuple[str, ...]
    permissions: tuple[str, ...]
    evidence: tuple[str, ...]
    scopes: tuple[str, ...]
    errors: Mapping[str, tuple[str, ...]]
    numbers: tuple[int | Decimal, ...]
    strings: tuple[str, ...]
    level_states: frozenset[str]


def tables(machine: ir.Machine) -> Tables:
    """Collect events, actors, permissions, evidence, scopes, error names and guard literals."""
    approvers = sorted(
        {a for approval in machine.approvals for level in approval.levels for a in level.approvers}
        | {c.assignee for c in machine.checkpoints if c.assignee is not None}
    )
    users = [a for a in approvers if not a.startswith("role:") and not a.startswith("group:")]
    permissions = sorted({*approvers, *(p for t in machine.transitions for p in t.permissions)})
    evidence = sorted({e for t in machine.transitions for e in t.evidence})
    scopes = sorted({s for s in (machine.scope, *(t.scope for t in machine.transitions)) if s is not None})
    errors: dict[str, tuple[str, ...]] = {}
    caught = sorted({t.event for t in machine.transitions if t.kind == "error" and t.event is not None})
    for state in machine.states:
        if state.invoke is not None:
            policy = state.invoke.retry
            named = policy.retry_on if policy is not None else ()
            errors[state.name] = tuple(dict.fromkeys((*named, *caught, _OTHER_ERROR, "HeartbeatTimeout")))
    found = literals(machine)
    return Tables(
        machine,
        tuple(e.name for e in machine.events),
        (*_ACTORS, *users),
        tuple(permissions),
        tuple(evidence),
        tuple(scopes),
        errors,
        found.numbers,
        found.strings,
        frozenset(level.state for approval in machine.approvals for level in approval.levels),
    )


# --------------------------------------------------------------------------- start values


def _default(machine: ir.Machine, name: str) -> ir.Value | None:
    return next(f.default for f in machine.context if f.name == name)


@st.composite
def start_values(draw: st.DrawFn, t: Tables) -> dict[str, ir.Value]:
    """Context values from each field's type and bounds (and its default); rarely one that does not fit.

    Values that break an invariant fall back to the defaults, so most instances start.
    """
    values: dict[str, ir.Value] = {}
    for declared in t.machine.context:
        if declared.default is None or draw(st.booleans()):
            values[declared.name] = draw(
                field_values(declared, Literals(t.numbers, t.strings)), label=declared.name
            )
    if not starts(t.machine, values):
        values = {name: value for name, value in values.items() if _default(t.machine, name) is None}
    if t.machine.context and draw(st.sampled_from(range(40))) == 39:  # rare; shrinks away
        spoiled = draw(st.sampled_from(t.machine.context))
        values[spoiled.name] = "not a value" if spoiled.type.name != "string" else 7
    return values


# --------------------------------------------------------------------------- operations to draw


def presented(t: Tables) -> st.SearchStrategy[Presented]:
    """A sender: nobody in particular, or an actor with permissions, a scope, evidence, rarely a key."""
    every: st.SearchStrategy[list[str]] = st.just(list(t.permissions))
    some = st.lists(st.sampled_from(t.permissions), unique=True, max_size=3) if t.permissions else every
    nothing: st.SearchStrategy[list[str]] = st.just([])
    permissions = st.one_of(every, every, some, nothing)
    partial = st.lists(st.sampled_from(t.evidence), unique=True, max_size=2) if t.evidence else st.just([])
    evidence = st.one_of(*[st.just(list(t.evidence))] * 4, partial)
    scope = st.one_of(st.none(), st.none(), st.sampled_from([*t.scopes, "elsewhere.scope"]))
    key = st.sampled_from(range(30)).flatmap(
        lambda n: st.sampled_from(["client-1", "client-2"]) if n == 29 else st.none()
    )
    delegate = st.one_of(st.none(), st.sampled_from(_DELEGATES))
    anonymous = st.just(Presented())  # nobody in particular: the in-memory machine's plain `send(event)`
    return anonymous | st.builds(
        Presented,
        actor=st.sampled_from(t.actors),
        permissions=permissions.map(tuple),
        scope=scope,
        evidence=evidence.map(tuple),
        key=key,
        delegate_to=delegate,
    )


def fields_data(t: Tables, fields: Sequence[ir.ContextField]) -> st.SearchStrategy[Data | None]:
    """A payload or result for these fields: mostly fitting, rarely spoiled.

    A field with a default is sometimes left out; a spoiled one misses a field, has an
    undeclared one, a float, or a value of the wrong kind or out of its bounds.
    """
    found = Literals(t.numbers, t.strings)

    @st.composite
    def fitting(draw: st.DrawFn) -> Data:
        pairs: list[tuple[str, object]] = []
        for declared in fields:
            if declared.default is not None and draw(st.booleans()):
                continue
            pairs.append((declared.name, draw(field_values(declared, found), label=declared.name)))
        return tuple(pairs)

    def spoiled(pairs: Data, how: int) -> Data:
        if how == 0 and pairs:
            return pairs[1:]
        if how == 1:
            return (*pairs, ("undeclared", 1))
        if pairs:
            name = pairs[0][0]
            return (
                (name, 0.5 if how == 2 else "not a value" if isinstance(pairs[0][1], int) else 10**30),
                *pairs[1:],
            )
        return (("undeclared", 1),)

    rare = st.tuples(fitting(), st.integers(0, 3)).map(lambda p: spoiled(*p))
    if not fields:
        return st.one_of(*[st.none()] * 12, rare.map(lambda _: (("undeclared", 1),)))
    return st.integers(0, 15).flatmap(lambda n: rare if n == 15 else fitting())


def _sends(t: Tables, events: Sequence[str]) -> st.SearchStrategy[Operation]:
    payloads = {e.name: e.payload for e in t.machine.events}
    return st.sampled_from(events).flatmap(
        lambda event: st.builds(Send, st.just(event), presented(t), fields_data(t, payloads.get(event, ())))
    )


def _dues(ref: Reference, ending: bool) -> list[int]:
    """Due times of pending timers whose firing does (`ending`) or does not end the instance."""
    transitions = ref.machine.transitions
    found = {
        timer.due
        for timer in ref.inst.timers
        if timer.window is None
        and (timer.kind == "timeout" and ref.ends(transitions[timer.number].target)) == ending
    }
    return sorted(found)


def _advances(ref: Reference, dues: list[int]) -> st.SearchStrategy[Operation]:
    """Ticks at these due times (none given: just before or after any due time, or a little later)."""
    now = ref.now
    if dues:
        return st.sampled_from([max(now, due) for due in dues]).map(Advance)
    every = [timer.due for timer in ref.inst.timers if timer.window is None]
    times = {now + 1_000, *(due - 1 for due in every), *(due + 1 for due in every)}
    return st.sampled_from(sorted(t for t in times if t >= now)).map(Advance)


def _weighted(options: list[tuple[int, st.SearchStrategy[Operation]]]) -> st.SearchStrategy[Operation]:
    """Pick one strategy by weight (shrinking towards the first), then draw from it."""
    options = [(weight, strategy) for weight, strategy in options if weight > 0]
    total = sum(weight for weight, _ in options)

    def pick(number: int) -> st.SearchStrategy[Operation]:
        for weight, strategy in options:
            if number < weight:
                return strategy
            number -= weight
        raise AssertionError("unreachable")

    return st.integers(0, total - 1).flatmap(pick)


def operations(
    t: Tables, ref: Reference, avoid: frozenset[str] = KNOWN_DIVERGENCES
) -> st.SearchStrategy[Operation]:
    """The next operation, drawn from the reference's current state.

    While running: mostly events the configuration handles, results of owed work and
    ticks at due times, favouring those that do not end the instance (so runs get deep);
    sometimes other declared events, an unknown one, near-miss ticks, `do` results,
    pause or cancel. While paused: mostly resume.
    """
    inst = ref.inst
    status = inst.status
    blocked: set[str] = set()
    if "parallel-approval" in avoid and len(inst.leaves & t.level_states) > 1:
        blocked |= set(APPROVAL_EVENTS)
    handled = [e for e in ref.handled_events() if e not in blocked]
    ending = ref.ending_events()
    onward = [e for e in handled if e not in ending]
    final = [e for e in handled if e in ending]
    declared = [e for e in t.events if e not in blocked] or ["no_such_event"]
    owed = [state for state in inst.invoked if ref.owed_invoke(state) is not None]
    if "paused-report" in avoid and status == "paused":
        owed = []
    actions = sorted({(w.action, w.key) for w in inst.owed.values() if w.kind == "do"}, key=str)
    safe, deadly = _dues(ref, ending=False), _dues(ref, ending=True)
    running, paused = status == "running", status == "paused"
    results = {s.name: s.invoke.result for s in t.machine.states if s.invoke is not None}
    reports = st.sampled_from(owed or ["-"]).flatmap(
        lambda s: st.sampled_from([None] * 4 + list(t.errors.get(s, ()))).flatmap(
            lambda error: (
                st.builds(Report, st.just(s), st.just(None), fields_data(t, results.get(s, ())))
                if error is None
                else st.builds(
                    Report, st.just(s), st.just(error), st.none(), st.sampled_from([None, "", "it broke"])
                )
            )
        )
    )
    finishes = st.builds(
        lambda pair, ok: FinishAction(pair[0], pair[1], ok),
        st.sampled_from(actions or [("-", None)]),
        st.sampled_from([True, True, False]),
    )
    return _weighted(
        [
            (45 if onward else 0, _sends(t, onward)),
            ((20 if running else 3) if owed else 0, reports),
            ((12 if running else 3) if safe else 0, _advances(ref, safe)),
            (30 if paused else 1, st.just(Control("resume"))),
            (5 if final else 0, _sends(t, final)),
            (8 if running else 4, _sends(t, declared)),
            ((3 if running else 1) if deadly else 0, _advances(ref, deadly)),
            (3, _advances(ref, [])),
            (3 if actions else 0, finishes),
            (1, _sends(t, ["no_such_event"])),
            (2 if running else 1, st.just(Control("pause"))),
            (1, st.just(Control("cancel"))),
        ]
    )


# --------------------------------------------------------------------------- one run


@dataclass(frozen=True)
class Spec:
    """A machine under test: its name, IR, runtime definition and draw tables."""

    name: str
    machine: ir.Machine
    definition: Definition
    tables: Tables


def spec(name: str, machine: ir.Machine) -> Spec:
    """Prepare a machine for conformance runs."""
    return Spec(name, machine, Definition(machine), tables(machine))


def run_conformance(
    data: st.DataObject,
    subject: Spec,
    factories: Sequence[Callable[[], Implementation]],
    *,
    max_operations: int = 40,
    avoid: frozenset[str] = KNOWN_DIVERGENCES,
) -> Harness:
    """Draw start values and an operation sequence; compare every implementation after each step.

    After the sequence, every runtime's audit log must replay to its stored instance.
    """
    values = data.draw(start_values(subject.tables), label="start values")
    implementations = [factory() for factory in factories]
    oracle = ReferenceImplementation(subject.machine)
    oracle.reference.decorrelated_previous = "decorrelated-jitter" not in avoid
    harness = Harness(subject.name, oracle, implementations)
    try:
        harness.apply(Start(tuple(values.items())))
        if harness.oracle.reference.started:
            count = data.draw(st.integers(min(3, max_operations), max_operations), label="operations")
            after_end = 0
            for number in range(1, count + 1):
                ref = harness.oracle.reference
                if ref.inst.status in ("completed", "failed", "cancelled"):
                    after_end += 1
                    if after_end > 2:  # a couple of operations on a finished instance are enough
                        break
                op = data.draw(operations(subject.tables, ref, avoid), label=f"op {number}")
                harness.apply(op)
        harness.check_replay()
    finally:
        for implementation in implementations:
            implementation.close()
    return harness
