"""A Hypothesis `RuleBasedStateMachine` derived from a workflow's IR, run against its generated code.

`DesignDriver` runs one instance of the generated durable workflow class on an
in-memory store with a clock it moves itself and handlers that fail when told
to. Every step (an event, time passing, owed work, pause/resume, redelivery of
an earlier event with its idempotency key) is followed by the checks in
`invariants`, against the spec's IR; the first violation raises
`DesignViolation`, which carries the numbered steps of the run, so the
shrunk counterexample Hypothesis ends with is printed as a readable sequence.

`design_machine` builds the state machine class: one rule per event, enabled
while the configuration has a transition for it (payload and approval senders
drawn from the IR), one that sends any event (mostly refused ones), plus tick,
work, pause, resume and redeliver rules, and one that pokes a finished
instance; the start context is drawn from the declared types and bounds.

Data (issue 17): events are sent with payloads drawn from their declared
fields, and work returns results drawn from its `returns`. One send in
`BAD_DATA_RATE` carries data that does not fit (`values.ill_typed`: a wrong
kind, a bound passed, a field missing or undeclared): the runtime must refuse
it with `PayloadInvalid` (SW974) and apply nothing (`payload-not-refused`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import strategies as st
from hypothesis import target
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from statewright import ir
from statewright.runtime import replay
from statewright.runtime.definition import Definition
from statewright.runtime.errors import PayloadInvalid, WorkflowError
from statewright.runtime.memory import MemoryStore
from statewright.runtime.model import Instance, Record, Timer, Work
from statewright.runtime.runner import Call
from statewright.runtime.store import Store
from statewright.runtime.workflow import InstanceHandle, Workflow
from statewright.semantics.calls import handler_names
from statewright.source import NO_SPAN
from statewright.testing.invariants import (
    FINISHED,
    Spec,
    Violation,
    check_finished_and_paused,
    check_records,
    check_sagas,
)
from statewright.testing.python_engine import START_MS
from statewright.testing.scenario import Scenario, Send, Timeout, WorkDone, scope_lock, show_data
from statewright.testing.scenario import Step as ScenarioStep
from statewright.testing.values import (
    Literals,
    event_payload,
    ill_typed,
    literals,
    payload_values,
    start_contexts,
    work_result,
)

INSTANCE = "design"
PEOPLE = ("alice", "bob", "carol")
OUTSIDER = "mallory"
DECISIONS = ("approve", "reject", "delegate")
OTHER_ERROR = "Failed"
DELAYS_MS = (1_000, 60_000, 3_600_000, 86_400_000)
BAD_DATA_RATE = 12
"""One send in this many carries a payload that does not fit its event's fields."""


class DesignViolation(AssertionError):
    """An invariant broke; the message holds the violation, its DSL line and the steps that led there."""

    def __init__(self, violation: Violation, steps: Sequence[str], source_name: str) -> None:
        self.violation = violation
        self.steps = tuple(steps)
        where = ""
        if violation.span is not None and violation.span != NO_SPAN:  # an embedded IR has no positions
            where = f"  --> {source_name}:{violation.span.line}:{violation.span.column}\n"
        numbered = "\n".join(f"  {i}. {step}" for i, step in enumerate(steps))
        super().__init__(
            f"invariant `{violation.invariant}` broken: {violation.message}\n{where}steps:\n{numbered}"
        )


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sends an event and what they present."""

    actor: str | None = None
    permissions: tuple[str, ...] = ()
    delegate_to: str | None = None
    evidence: tuple[tuple[str, str], ...] = ()
    key: str | None = None
    data: tuple[tuple[str, object], ...] = ()
    """The payload sent (`event.F`); when `ill_typed`, one that does not fit and must be refused."""
    ill_typed: bool = False

    def describe(self) -> str:
        """The sender as report text (the payload first, as `(amount=10001.00)`)."""
        parts = []
        if self.data or self.ill_typed:
            parts.append((show_data(self.data) or "()") + (" [ill-typed]" if self.ill_typed else ""))
        if self.actor is not None:
            parts.append(f"as {self.actor}")
        if self.permissions:
            parts.append("holding " + ",".join(self.permissions))
        if self.delegate_to is not None:
            parts.append(f"to {self.delegate_to}")
        if self.evidence:
            parts.append("evidence " + ",".join(name for name, _ in self.evidence))
        if self.key is not None:
            parts.append(f"key {self.key}")
        return " ".join(parts)


@dataclass
class Handlers:
    """Action handlers that record their calls and fail when the next outcome says so."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    next_error: str | None = None
    next_result: Mapping[str, object] | None = None
    next_message: str | None = None

    def __call__(self, call: Call) -> Mapping[str, object] | None:
        """Record the call; raise the planned error (once), as an exception of that name; else the result."""
        self.calls.append((call.action, call.key))
        error, self.next_error = self.next_error, None
        result, self.next_result = self.next_result, None
        message, self.next_message = self.next_message, None
        if error is not None:
            raise type(error, (Exception,), {})(message or f"{call.action} failed on purpose")
        return result


class DesignDriver:
    """One instance of the generated workflow, stepped and checked against the spec."""

    def __init__(
        self,
        machine: ir.Machine,
        workflow: type[Workflow],
        source_name: str,
        store: Callable[[], Store] = MemoryStore,
    ) -> None:
        self.spec = Spec(machine)
        self.checker = Definition(machine)
        self.source_name = source_name
        self.now = START_MS
        self.handlers = Handlers()
        actions = _action_names(machine)
        self.workflow = workflow(
            store(), handlers=dict.fromkeys(actions, self.handlers), clock=lambda: self.now
        )
        self.handle: InstanceHandle | None = None
        self.failed = False
        self.visited: set[str] = set()
        self.current: Instance | None = None
        """The snapshot after the last step (None until the instance started)."""
        self.steps: list[str] = []
        self.sent: list[tuple[str, Sender]] = []
        self._keys = 0

    # ------------------------------------------------------------------ state

    def snapshot(self) -> Instance:
        """The stored instance (read from the store, and kept as `current` for the rules' preconditions)."""
        self.current = self.workflow.runtime.store.load(INSTANCE)
        return self.current

    def records(self) -> int:
        """How many audit records the instance has."""
        return len(self.workflow.runtime.store.records(INSTANCE))

    def handles(self, event: str) -> bool:
        """True when some active state has a transition for `event` (it may still be refused)."""
        if not self.running:
            return False
        assert self.current is not None
        active = self.checker.hierarchy.active_states(self.current.active)
        return any((state, event) in self.checker.on_event for state in active)

    @property
    def running(self) -> bool:
        """True while the instance exists and has not finished."""
        return self.current is not None and self.current.status not in FINISHED

    # ------------------------------------------------------------------ steps

    def start(self, context: Mapping[str, ir.Value]) -> None:
        """Start the instance (a context the runtime refuses ends the run: nothing to check)."""
        self.steps.append("start {" + ", ".join(f"{k}={v}" for k, v in context.items()) + "}")
        try:
            self.workflow.runtime.start(dict(context), instance_id=INSTANCE)
        except WorkflowError:
            return
        self.handle = InstanceHandle(self.workflow, INSTANCE)
        records = self.workflow.runtime.store.records(INSTANCE)
        self._raise(
            check_records(self.spec, _before_start(self.snapshot(), records), records, self.snapshot())
        )
        self._settle_checks()

    def send(self, event: str, sender: Sender) -> None:
        """Send an event with a fresh idempotency key (so it can be redelivered later)."""
        self._keys += 1
        sender = replace(sender, key=f"k{self._keys}")
        self.sent.append((event, sender))
        label = f"send {event} {sender.describe()}".rstrip()
        if sender.ill_typed:
            self._refused(label, event, sender)
            return
        self._step(label, lambda: self._send(event, sender))

    def _refused(self, label: str, event: str, sender: Sender) -> None:
        """Send data that does not fit: refused with SW974 (while running), and nothing applied."""
        before, calls = self.snapshot(), len(self.handlers.calls)
        work = tuple(self.owed_work())
        raised: WorkflowError | None = None

        def send() -> None:
            nonlocal raised
            try:
                self._send(event, sender)
            except WorkflowError as error:
                raised = error
                raise

        self._step(label, send)
        after = self.snapshot()
        problems = []
        if before.status == "running" and not (
            isinstance(raised, PayloadInvalid) and raised.code.code == "SW974"
        ):
            got = "it was applied" if raised is None else f"{type(raised).__name__} ({raised.code.code})"
            problems.append(f"expected PayloadInvalid (SW974), but {got}")
        if (after.active, dict(after.context), after.status) != (
            before.active,
            dict(before.context),
            before.status,
        ):
            problems.append("the instance changed")
        if tuple(self.owed_work()) != work or len(self.handlers.calls) != calls:
            problems.append("work was owed or run")
        if problems:
            self._raise(
                [
                    Violation(
                        "payload-not-refused",
                        f"`{event}` sent with data that does not fit its payload: " + "; ".join(problems),
                    )
                ]
            )

    def _send(self, event: str, sender: Sender) -> None:
        active = self.checker.hierarchy.active_states(self.workflow.runtime.store.load(INSTANCE).active)
        self.workflow.runtime.send(
            INSTANCE,
            event,
            actor=sender.actor,
            permissions=sender.permissions,
            scope=scope_lock(self.spec.machine, active, event),
            evidence=dict(sender.evidence) or None,
            key=sender.key,
            delegate_to=sender.delegate_to,
            data=dict(sender.data) if sender.data or sender.ill_typed else None,
        )

    def tick(self, delay_ms: int | None) -> None:
        """Let time pass: to the next pending timer (None), or by `delay_ms`."""
        timers = self.workflow.runtime.store.timers(INSTANCE)
        if delay_ms is None:
            if not timers:
                return
            target = min(t.due_ms for t in timers)
        else:
            target = self.now + delay_ms
        self.now = max(self.now, target)
        self._step(f"clock to t+{(self.now - START_MS) // 1000}s", lambda: self.workflow.runtime.tick())

    def work(self, error: str | None, result: tuple[tuple[str, ir.Value], ...] = ()) -> None:
        """Run the first owed work (only it): its handler fails with `error`, else returns `result`."""
        owed = self.workflow.runtime.store.work(INSTANCE)
        if not owed:
            return
        first = owed[0]
        outcome = "succeeds" if error is None else f"fails with {error}"
        if error is None and result:
            outcome += f" returning {show_data(result)}"
        self.handlers.next_error = error
        self.handlers.next_result = dict(result) if error is None else None

        def run() -> None:
            self.workflow.runtime.run_work(INSTANCE, keys=(first.key,))

        self._step(f"work {first.action} ({first.kind}) {outcome}", run)
        self.handlers.next_error, self.handlers.next_result = None, None

    def control(self, action: str) -> None:
        """Pause or resume the instance."""
        runtime = self.workflow.runtime
        perform = runtime.pause if action == "pause" else runtime.resume
        self._step(action, lambda: perform(INSTANCE))

    def poke(self, event: str, delay_ms: int) -> None:
        """After the end (or a refused start): an event, time passing and owed work change nothing."""
        if self.handle is None:
            self.steps.append(f"send {event} to an instance that never started")
            return
        self.send(event, Sender())
        self.tick(delay_ms)
        self.work(None)

    def follow(self, step: ScenarioStep) -> None:
        """Take one step of a path scenario through the same rules (events, timeouts, work results)."""
        if isinstance(step, Send):
            sender = Sender(step.actor, step.permissions, step.delegate_to, step.payload, data=step.data)
            self.send(step.event, sender)
        elif isinstance(step, Timeout):
            due = [t.due_ms for t in self.pending_timers() if t.state == step.state and t.kind != "retry"]
            if due:
                self.tick(min(due) - self.now)
        else:
            self._work_of(step)

    def _work_of(self, step: WorkDone) -> None:
        owed = [w for w in self.owed_work() if w.kind == "invoke" and w.state == step.state]
        if not owed:
            return
        self.handlers.next_error = step.error
        self.handlers.next_result = dict(step.result) if step.error is None else None
        self.handlers.next_message = step.message or None
        label = "succeeds" if step.error is None else f"fails with {step.error}"
        key = owed[0].key

        def run() -> None:
            self.workflow.runtime.run_work(INSTANCE, keys=(key,))
            retry = [t for t in self.pending_timers() if t.kind == "retry" and t.state == step.state]
            if retry:  # as in the path scenario: the next attempt starts at once
                self.workflow.runtime.fire_now(INSTANCE, retry[0].key)

        self._step(f"work {owed[0].action} (invoke) {label}", run)
        self.handlers.next_error, self.handlers.next_result, self.handlers.next_message = None, None, None

    def pending_timers(self) -> Sequence[Timer]:
        """The instance's pending timers."""
        return self.workflow.runtime.store.timers(INSTANCE)

    def owed_work(self) -> Sequence[Work]:
        """The work the instance owes."""
        return self.workflow.runtime.store.work(INSTANCE)

    def redeliverable(self) -> list[tuple[str, Sender]]:
        """The events sent so far whose keys the store holds (they were applied or recorded)."""
        store = self.workflow.runtime.store
        return [(e, s) for e, s in self.sent if s.key is not None and store.find_key(INSTANCE, s.key)]

    def redeliver(self, index: int) -> None:
        """Send an earlier event again with its key: nothing may change and no action may run."""
        applied = self.redeliverable()
        if not applied:
            return  # only a key the store holds was delivered; a send refused before recording was not
        event, sender = applied[index % len(applied)]
        self.steps.append(f"redeliver {event} {sender.describe()}")
        before, count, calls = self.snapshot(), self.records(), len(self.handlers.calls)
        work = tuple(self.workflow.runtime.store.work(INSTANCE))
        with contextlib.suppress(WorkflowError):
            self._send(event, sender)
        after = self.snapshot()
        changed = after.version != before.version or self.records() != count
        changed = changed or tuple(self.workflow.runtime.store.work(INSTANCE)) != work
        if changed or len(self.handlers.calls) != calls:
            self._raise(
                [
                    Violation(
                        "redelivery-not-idempotent",
                        f"redelivering `{event}` with key `{sender.key}` "
                        "changed the instance or ran an action",
                    )
                ]
            )

    # ------------------------------------------------------------------ checking

    def _step(self, label: str, perform: Callable[[], object]) -> None:
        self.steps.append(label)
        before, count = self.snapshot(), self.records()
        try:
            perform()
        except WorkflowError:
            pass  # a refusal: it is recorded (or not) and checked like any step
        except Exception as error:  # the code under test crashed: that is a finding, with its steps
            self._raise([Violation("crash", f"{type(error).__name__}: {error}")])
        after = self.snapshot()
        records = self.workflow.runtime.store.records(INSTANCE)[count:]
        for record in records:
            self.visited.update(record.target)
        found = check_records(self.spec, before, records, after)
        found += check_finished_and_paused(before, records, after)
        self._raise(found)
        self._settle_checks()

    def _settle_checks(self) -> None:
        """The saga order over the whole log, after every step."""
        self._raise(check_sagas(self.spec, self.workflow.runtime.store.records(INSTANCE)))

    def finish(self) -> None:
        """At the end of a run: replaying the audit log against the spec rebuilds the instance."""
        # Steer generation towards runs that reach many states (deep saga and approval paths).
        target(float(len(self.visited)), label="states visited")
        if self.handle is None or self.failed:
            return  # nothing ran, or a step already failed (teardown runs after a failure too)
        self.steps.append("(end of run: replay the audit log)")
        records = self.workflow.runtime.store.records(INSTANCE)
        try:
            rebuilt = replay.replay(self.checker, records, self.workflow.runtime.seed)
        except WorkflowError as error:
            self._raise([Violation("replay", f"the audit log does not replay against the spec: {error}")])
            return
        now = self.snapshot()
        if tuple(rebuilt.active) != tuple(now.active) or dict(rebuilt.context) != dict(now.context):
            self._raise(
                [
                    Violation(
                        "replay",
                        f"replaying the audit log gives {list(rebuilt.active)}, "
                        f"the instance is in {list(now.active)}",
                    )
                ]
            )

    def _raise(self, found: Sequence[Violation]) -> None:
        if found:
            self.failed = True
            raise DesignViolation(found[0], self.steps, self.source_name)


def _before_start(after: Instance, records: Sequence[Record]) -> Instance:
    """The empty instance a start record starts from (its source is empty)."""
    first = records[0] if records else None
    source = tuple(first.source) if first is not None else ()
    context = dict(first.context) if first is not None else dict(after.context)
    return replace(after, active=source, context=context, status="running")


def _action_names(machine: ir.Machine) -> set[str]:
    """Every action a handler is needed for: the `do` actions and the invoked work."""
    return set(handler_names(machine))


# --------------------------------------------------------------------------- the state machine


def _data(
    machine: ir.Machine, event: str, found: Literals, bad_rate: int = BAD_DATA_RATE
) -> st.SearchStrategy[tuple[bool, dict[str, object]]]:
    """A payload for `event` and whether it is ill-typed: one in `bad_rate` does not fit.

    An event without a payload is sent without data (`send_any` and the path
    scenarios' strays already cover refusals there), so specs without data
    are explored exactly as before.
    """
    fields = event_payload(machine, event)
    if not fields:
        return st.just((False, {}))
    good = payload_values(fields, found).map(lambda values: (False, dict[str, object](values)))
    bad = ill_typed(fields).map(lambda values: (True, values))
    return st.integers(1, max(bad_rate, 1)).flatmap(lambda roll: bad if roll == 1 else good)


def _senders(machine: ir.Machine, event: str, bad_rate: int = BAD_DATA_RATE) -> st.SearchStrategy[Sender]:
    """Senders for one event: anonymous, an approver (by id or role), an outsider; with evidence and data."""
    approvers = sorted(
        {a for approval in machine.approvals for level in approval.levels for a in level.approvers}
    )
    assignees = sorted({c.assignee for c in machine.checkpoints if c.assignee is not None})
    if event == "acknowledge":
        approvers = assignees
    handling = [t for t in machine.transitions if t.kind == "event" and t.event == event]
    evidence = sorted({e for t in handling for e in t.evidence})
    permissions = sorted({p for t in handling for p in t.permissions})
    found = literals(machine)

    @st.composite
    def sender(draw: st.DrawFn) -> Sender:
        actor: str | None = None
        held: tuple[str, ...] = ()
        if event in (*DECISIONS, "acknowledge") and approvers:
            who = draw(st.sampled_from((*approvers, OUTSIDER)))
            if who.startswith(("role:", "group:")):
                actor, held = draw(st.sampled_from(PEOPLE)), (who,)
            else:
                actor = who
        elif permissions:
            granted: bool = draw(st.booleans())
            if granted:
                actor, held = draw(st.sampled_from(PEOPLE)), tuple(permissions)
        delegate = draw(st.sampled_from(PEOPLE)) if event == "delegate" else None
        given = tuple((name, f"{name}-1") for name in evidence if draw(st.booleans()))
        bad, data = draw(_data(machine, event, found, bad_rate))
        return Sender(actor, held, delegate, given, data=tuple(data.items()), ill_typed=bad)

    return sender()


def _errors(machine: ir.Machine) -> tuple[str | None, ...]:
    """Errors work fails with: each retried or caught by name, another, and (mostly) none."""
    named = sorted(
        {
            error
            for state in machine.states
            if state.invoke is not None and state.invoke.retry is not None
            for error in state.invoke.retry.retry_on
        }
        | {t.event for t in machine.transitions if t.kind == "error" and t.event is not None}
    )
    return (None, None, None, *named, OTHER_ERROR)


def design_machine(
    machine: ir.Machine,
    workflow: type[Workflow],
    source_name: str,
    store: Callable[[], Store] = MemoryStore,
    paths: Sequence[Scenario] = (),
    bad_data_rate: int = BAD_DATA_RATE,
) -> type[RuleBasedStateMachine]:
    """The rule-based state machine that tests `workflow` (generated from `machine`) against the spec.

    One send in `bad_data_rate` carries a payload that does not fit.
    """

    def running(self: Any) -> bool:
        return bool(self.driver is not None and self.driver.running)

    namespace: dict[str, Any] = {}

    def __init__(self: Any) -> None:
        RuleBasedStateMachine.__init__(self)
        self.driver = None

    # A run starts from a drawn context, or from a path-covering scenario cut after some step, so
    # that random exploration also begins deep inside sagas and approval chains.
    prefixes = st.none() if not paths else st.none() | st.sampled_from(tuple(paths))

    @initialize(context=start_contexts(machine), path=prefixes, cut=st.integers(1, 40))
    def start(self: Any, context: tuple[tuple[str, ir.Value], ...], path: Scenario | None, cut: int) -> None:
        self.driver = DesignDriver(machine, workflow, source_name, store)
        if path is None:
            self.driver.start(dict(context))
            return
        self.driver.start(dict(path.context))
        for step in path.steps[:cut]:
            if not self.driver.running:
                break
            self.driver.follow(step)

    namespace.update(__init__=__init__, start=start)
    for event in machine.events:
        namespace[f"send_{event.name}"] = _event_rule(machine, event.name, bad_data_rate)

    @precondition(running)
    @rule(event=st.sampled_from([e.name for e in machine.events]))
    def send_any(self: Any, event: str) -> None:
        self.driver.send(event, Sender())  # mostly one the configuration does not handle: refused alike

    namespace["send_any"] = send_any

    def timers(self: Any) -> bool:
        return running(self) and bool(self.driver.pending_timers())

    def owed(self: Any) -> bool:
        return running(self) and bool(self.driver.owed_work())

    def status_is(status: str) -> Callable[[Any], bool]:
        return lambda self: running(self) and self.driver.current.status == status

    @precondition(timers)
    @rule(delay=st.sampled_from((None, None, *DELAYS_MS)))
    def tick(self: Any, delay: int | None) -> None:
        self.driver.tick(delay)

    found = literals(machine)

    def result_for(data: st.DataObject, driver: DesignDriver) -> tuple[tuple[str, ir.Value], ...]:
        """A result drawn from the `returns` of the first owed work's state (none for other work)."""
        first = driver.owed_work()[0]
        if first.kind != "invoke" or first.state is None:
            return ()
        return data.draw(payload_values(work_result(machine, first.state), found), label="result")

    @precondition(owed)
    @rule(error=st.sampled_from(_errors(machine)), data=st.data())
    def work(self: Any, error: str | None, data: st.DataObject) -> None:
        self.driver.work(error, result_for(data, self.driver) if error is None else ())

    @precondition(owed)
    @rule(data=st.data())
    def work_succeeds(self: Any, data: st.DataObject) -> None:
        self.driver.work(None, result_for(data, self.driver))  # progress is likelier than failure

    @precondition(status_is("running"))
    @rule()
    def pause(self: Any) -> None:
        self.driver.control("pause")

    @precondition(status_is("paused"))
    @rule()
    def resume(self: Any) -> None:
        self.driver.control("resume")

    @precondition(lambda self: running(self) and bool(self.driver.redeliverable()))
    @rule(index=st.integers(0, 40))
    def redeliver(self: Any, index: int) -> None:
        self.driver.redeliver(index)

    @precondition(lambda self: self.driver is not None and not self.driver.running)
    @rule(event=st.sampled_from([e.name for e in machine.events]), delay=st.sampled_from(DELAYS_MS))
    def after_the_end(self: Any, event: str, delay: int) -> None:
        self.driver.poke(event, delay)

    def teardown(self: Any) -> None:
        if self.driver is not None:
            self.driver.finish()

    namespace.update(
        tick=tick,
        work=work,
        work_succeeds=work_succeeds,
        pause=pause,
        resume=resume,
        redeliver=redeliver,
        after_the_end=after_the_end,
        teardown=teardown,
    )
    name = f"{machine.name}Design"
    return type(name, (RuleBasedStateMachine,), namespace)


def _event_rule(machine: ir.Machine, event: str, bad_rate: int) -> Any:
    """The rule sending `event`, enabled while the configuration has a transition for it."""

    def send(self: Any, sender: Sender) -> None:
        self.driver.send(event, sender)

    def handled(self: Any) -> bool:
        return bool(self.driver is not None and self.driver.handles(event))

    send.__name__ = send.__qualname__ = f"send_{event}"
    return precondition(handled)(rule(sender=_senders(machine, event, bad_rate))(send))
