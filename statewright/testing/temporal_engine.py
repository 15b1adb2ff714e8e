"""The Temporal target as a scenario engine: the generated workflow run on a real Temporal server.

`TemporalEngine.run` has the `temporal` target generate the machine's module
(its public `generate`), imports it, and runs each scenario as one workflow on
`temporal server start-dev` (`testing.temporal_server.shared_server`, or the
server `STATEWRIGHT_TEMPORAL_ADDRESS` names) with an in-process worker on its
own task queue. One server, one event loop and one worker per machine serve
every scenario of an engine instance.

Activities are answered by the harness: each attempt of invoked work waits
until the scenario's `WorkDone(state, error, result, message)` answers it (a
result, or an `ApplicationError` of type `error`); `do` work succeeds at once.
Retries are Temporal's (`RetryPolicy`), so a failure the policy retries comes
back as the next attempt, which the next `WorkDone` answers. Each step ends
when the workflow is quiet: every owed invoke is an activity attempt waiting at
the harness, no `do` is owed and no timer firing is pending.

Time without waiting, and without a way to change production behaviour: the
generated class never fires a timer early, and nothing in it can be told to.
The worker here registers a SUBCLASS of the generated workflow class (same
workflow name), defined in this module and registered only in this test
worker, that overrides the shell's protected clock hooks
(`StatewrightWorkflow._clock_ms`, `_due_timers`, `_sleep`, `_settings`):

- its clock starts at `python_engine.START_MS` and moves only when a timer
  fires, to that timer's due time (as `Runtime.fire_now` in the reference);
- a timer fires only when the harness sends the test-only signal
  `statewright_test_fire(timer_key)`, declared on the subclass alone
  (`Timeout(state)` fires the state's hard timeout or heartbeat due first);
- retry intervals are scaled down to `RETRY_MS` (the dev server still waits
  about a second before a retry) and heartbeat timeouts to `HEARTBEAT_MS`, so
  a missed heartbeat (`Timeout(state)` on a heartbeat: the harness stops
  heartbeating that attempt) is Temporal's real heartbeat timeout, seconds
  later; the test-only signal `statewright_test_retried(state)` restarts the
  heartbeat timer of an attempt Temporal retries, as the runtime's retry does;
- the test-only query `statewright_test_view` reports the leaves entered so
  far, the steps taken, the timers with their due times and the owed work.

A production worker registers the generated class, which has no handler for
these signals and this query: nothing outside the test worker can move its time.

Observations: the leaves entered, the active leaves, the status and the
context (codec JSON decoded by the declared types), as the Python runtime
reports them. `Unsupported` steps: a compensation owed while another of the
same saga runs (the shell runs a saga's compensations one at a time; the IR
never owes two of one saga at once, so this guards the harness, not a case).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import itertools
import logging
import sys
import threading
import time
import types
import uuid
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import RPCError

from statewright import ir
from statewright.plugins.api import Target, TargetOptions
from statewright.runtime import codec
from statewright.runtime.definition import Definition
from statewright.runtime.engine import initial_context
from statewright.runtime.errors import WorkflowError
from statewright.runtime.model import Timer, Work
from statewright.semantics import retries
from statewright.semantics.calls import handler_names
from statewright.semantics.inputs import RESULT_INVALID, check_fields
from statewright.temporal.activities import define, policy_of
from statewright.temporal.ledger import Ledger
from statewright.temporal.protocol import (
    SEND_UPDATE,
    SNAPSHOT_QUERY,
    ActivityCall,
    ActivitySettings,
    SendAnswer,
    SendRequest,
    Snapshot,
    StartInput,
)
from statewright.temporal.shell import StatewrightWorkflow
from statewright.temporal.worker import make_worker
from statewright.testing.generated import import_source
from statewright.testing.python_engine import HARD_TIMERS, START_MS
from statewright.testing.scenario import (
    Observation,
    Scenario,
    Send,
    Status,
    Step,
    Timeout,
    Unsupported,
    WorkDone,
    observed_context,
    scope_lock,
)

TEST_FIRE = "statewright_test_fire"
"""The test-only signal (declared on the test subclass alone): fire this timer now."""
TEST_RETRIED = "statewright_test_retried"
"""The test-only signal: the harness failed an attempt Temporal will retry (the heartbeat is re-armed)."""
TEST_VIEW = "statewright_test_view"
"""The test-only query (declared on the test subclass alone): a `TestView`."""
RETRY_MS = 20
"""Every retry interval in the test worker (scenarios skip backoff time, as the reference does)."""
HEARTBEAT_MS = 1500
"""Every heartbeat timeout in the test worker; the harness heartbeats a waiting attempt every `BEAT_S`
(and the SDK passes each on at once), so only a silenced attempt misses it, even on a loaded machine."""
BEAT_S = 0.1
QUEUE_PREFIX = "statewright-test-"
"""The test workers' task queues start with it."""
SETTLE_LIMIT_S = 120.0
"""How long one step may take before the run is declared stuck."""
POLL_S = 0.005
"""How often the harness asks whether the workflow is quiet."""
COMPENSATIONS_SERIAL = (
    "a compensation is owed while another of its saga runs: the shell runs a saga's compensations "
    "one at a time, in the order owed (docs/targets/temporal.md)"
)
_STATUS: dict[str, Status] = {"completed": "succeeded", "failed": "failed", "cancelled": "failed"}
_modules = itertools.count(1)
T = TypeVar("T")


@dataclass(frozen=True)
class TestTimer:
    """A pending engine timer as the test subclass reports it."""

    key: str
    kind: str
    state: str
    due_ms: int


@dataclass(frozen=True)
class TestWork:
    """Owed work as the test subclass reports it: `launched` when its activity runs (`activity_id`)."""

    key: str
    seq: int
    action: str
    kind: str
    state: str | None
    launched: bool
    activity_id: str


@dataclass(frozen=True)
class TestView:
    """What the test query returns: the snapshot, the journal of entered leaves, timers and owed work."""

    snapshot: Snapshot
    entered: list[str] = field(default_factory=list)
    steps: int = 0
    timers: list[TestTimer] = field(default_factory=list)
    work: list[TestWork] = field(default_factory=list)
    firing: str | None = None


def activity_id(work: Work) -> str:
    """The activity id the shell gives `work`'s activity (`key#seq.attempt`)."""
    return f"{work.key}#{work.seq}.{work.attempt}"


class ScenarioHooks(StatewrightWorkflow):
    """The test-only clock, retries, heartbeats and view, mixed in before a generated workflow class.

    `scenario_class` puts it first in the bases of a new class registered only in
    the test worker; see the module's docstring for what it changes and why
    production cannot be made to do the same.
    """

    def __init__(self) -> None:
        super().__init__()
        self._test_now = START_MS
        self._test_firing: str | None = None
        self._test_entered: list[str] = []
        self._test_steps = 0

    def _clock_ms(self) -> int:
        """The scenario's clock: `START_MS`, moved only by the timers the harness fires."""
        return self._test_now

    def _due_timers(self, ledger: Ledger) -> list[Timer]:
        """The timer the harness asked to fire (the clock moves to its due time); a heartbeat is re-armed.

        A heartbeat is never fired by the engine: Temporal times the silent attempt
        out; its timer is re-armed one period later, as a retried attempt's is.
        """
        key, self._test_firing = self._test_firing, None
        timer = ledger.timers.get(key or "")
        if timer is None:
            return []
        self._test_now = max(self._test_now, timer.due_ms)
        if timer.kind == "heartbeat":
            state = self.definition.states[timer.state]
            beat = state.invoke.heartbeat_ms if state.invoke is not None else None
            ledger.timers[timer.key] = replace(timer, due_ms=timer.due_ms + (beat or 0))
            return []
        return [timer]

    async def _sleep(self, ledger: Ledger, changes: int) -> None:
        """Wait for a change or the harness's signal; no timer is ever due on its own."""
        await workflow.wait_condition(lambda: self._changes != changes or self._test_firing is not None)

    def _settings(self, work: Work) -> ActivitySettings:
        """The generated settings with retry intervals and heartbeat timeouts scaled down, no time bound."""
        settings = super()._settings(work)
        return replace(
            settings,
            start_to_close_ms=None,
            heartbeat_ms=None if settings.heartbeat_ms is None else HEARTBEAT_MS,
            initial_interval_ms=RETRY_MS,
            backoff_coefficient=1.0,
            maximum_interval_ms=RETRY_MS,
        )

    def _journal(self, entered: list[str], steps: int) -> None:
        """Keep every entered leaf (the harness reads the journal after each step)."""
        self._test_entered.extend(entered)
        self._test_steps += steps

    @workflow.signal(name=TEST_FIRE)
    def test_fire(self, key: str) -> None:
        """Fire the pending timer `key` now (test worker only)."""
        self._test_firing = key
        self._changed()

    @workflow.signal(name=TEST_RETRIED)
    def test_retried(self, state: str) -> None:
        """The state's failed attempt is retried by Temporal: its heartbeat restarts now (test worker only).

        As in the runtime, where the retry owes the work again and arms the heartbeat anew.
        """
        ledger = self._ledger
        timer = ledger.timers.get(f"heartbeat:{state}") if ledger is not None else None
        invoke = self.definition.states[state].invoke if state in self.definition.states else None
        if (
            ledger is not None
            and timer is not None
            and invoke is not None
            and invoke.heartbeat_ms is not None
        ):
            ledger.timers[timer.key] = replace(timer, due_ms=self._test_now + invoke.heartbeat_ms)

    @workflow.query(name=TEST_VIEW)
    def test_view(self) -> TestView:
        """The snapshot, the journal, the timers with due times and the owed work (test worker only)."""
        ledger = self._ledger
        if ledger is None:
            return TestView(self._snapshot())
        return TestView(
            self._snapshot(),
            list(self._test_entered),
            self._test_steps,
            [TestTimer(t.key, t.kind, t.state, t.due_ms) for t in ledger.timers.values()],
            [
                TestWork(
                    w.key,
                    w.seq,
                    w.action,
                    w.kind,
                    w.state,
                    self._started.get(w.key) == (w.seq, w.attempt),
                    activity_id(w),
                )
                for w in ledger.work.values()
                if w.kind != "emit"
            ],
            self._test_firing,
        )


class GenericHandlers(StatewrightWorkflow):
    """What a generated workflow class declares, for machines without a generated module here."""

    @workflow.update(name=SEND_UPDATE)
    async def send(self, request: SendRequest) -> SendAnswer:
        """Any event."""
        return await self._send(request)

    @send.validator
    def check_send(self, request: SendRequest) -> None:
        """Refusals before the history."""
        self._validate_send(request)

    @workflow.query(name=SNAPSHOT_QUERY)
    def snapshot(self) -> Snapshot:
        """The instance now."""
        return self._snapshot()


async def _run(self: StatewrightWorkflow, start: StartInput) -> Snapshot:
    """The test class's `@workflow.run` (Temporal wants it on the class itself): the shell's run."""
    return await self._execute(start)


def scenario_class(base: type[StatewrightWorkflow], name: str) -> type[StatewrightWorkflow]:
    """The test-only workflow class: `ScenarioHooks` over `base`, registered as workflow `name`.

    Built at run time, it gets a module of its own (Temporal's sandbox finds a
    workflow class by module and name, and wants `run` defined on the class).
    """
    module = _module()
    title = f"Scenario{name}"
    run = types.FunctionType(_run.__code__, _run.__globals__, "run")
    run.__qualname__, run.__module__, run.__doc__ = f"{title}.run", module.__name__, _run.__doc__
    run.__annotations__ = {"start": StartInput, "return": Snapshot}
    cls = types.new_class(
        title, (ScenarioHooks, base), {}, lambda ns: ns.update({"__module__": module.__name__})
    )
    cls.__qualname__ = title
    cls.run = workflow.run(run)  # type: ignore[attr-defined]
    setattr(module, title, cls)
    return workflow.defn(name=name)(cls)


def generic_class(definition: Definition) -> type[StatewrightWorkflow]:
    """A stand-in for a generated class over `definition` (the generic update and the snapshot query)."""
    module = _module()
    title = f"Generic{definition.name}"
    cls = types.new_class(
        title, (GenericHandlers,), {}, lambda ns: ns.update({"__module__": module.__name__})
    )
    cls.__qualname__ = title
    setattr(cls, "definition", definition)  # noqa: B010 (a class built at run time)
    setattr(module, title, cls)
    return cls


def _module() -> types.ModuleType:
    """A fresh module in `sys.modules` for classes built here, so the sandbox finds them by name."""
    module = types.ModuleType(f"statewright_temporal_scenarios_{next(_modules)}")
    sys.modules[module.__name__] = module
    return module


class TargetRefusedError(RuntimeError):
    """The `temporal` target wrote no module for a machine (its capability lint found an error)."""


def generated_class(target: Target, machine: ir.Machine) -> tuple[type[StatewrightWorkflow], str]:
    """The workflow class the `temporal` target's module defines (imported in memory), its module name."""
    output = target.generate(machine, TargetOptions())
    module_text = next((a.content for a in output.artifacts if a.path.endswith(".py")), None)
    if module_text is None:
        findings = "; ".join(f"{d.code}: {d.message}" for d in output.diagnostics) or "no findings"
        raise TargetRefusedError(f"the temporal target wrote no module for this workflow ({findings})")
    module = import_source(module_text, f"temporal_{machine.name.lower()}")
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, StatewrightWorkflow)
        and value is not StatewrightWorkflow
    ]
    if len(found) != 1:
        raise LookupError(
            f"expected one StatewrightWorkflow subclass in the generated module, found {len(found)}"
        )
    return found[0], module.__name__


# --------------------------------------------------------------------------- the harness


@dataclass
class _Attempt:
    """One activity attempt waiting for the harness."""

    call: ActivityCall
    activity_id: str
    answer: asyncio.Future[Any]
    beating: bool = True


class _Desk:
    """Activity attempts of every workflow of one worker, by workflow id, each answered by a scenario step."""

    def __init__(self) -> None:
        self.waiting: dict[str, dict[str, _Attempt]] = {}

    async def attend(self, call: ActivityCall) -> Mapping[str, Any] | None:
        if call.kind == "do":
            return None  # `do` work succeeds: a scenario exercises the workflow, not its side effects
        info = activity.info()
        attempt = _Attempt(call, info.activity_id, asyncio.get_running_loop().create_future())
        mine = self.waiting.setdefault(info.workflow_id or "", {})
        mine[f"{info.activity_id}@{info.attempt}"] = attempt
        try:
            while True:
                done, _ = await asyncio.wait({attempt.answer}, timeout=BEAT_S)
                if done:
                    break
                if attempt.beating:
                    activity.heartbeat()
        except asyncio.CancelledError:  # a silenced attempt Temporal timed out: expected, not a warning
            raise ApplicationError("cancelled", category=ApplicationErrorCategory.BENIGN) from None
        outcome = attempt.answer.result()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome  # type: ignore[no-any-return]

    def pending(self, workflow_id: str) -> dict[str, _Attempt]:
        """The attempts of one workflow waiting for an answer, by activity id (silenced ones left out)."""
        return {
            attempt.activity_id: attempt
            for attempt in self.waiting.get(workflow_id, {}).values()
            if not attempt.answer.done() and attempt.beating
        }

    def release(self, workflow_id: str) -> None:
        """End every attempt of a finished scenario's workflow (they would wait forever)."""
        for attempt in self.waiting.pop(workflow_id, {}).values():
            if not attempt.answer.done():
                attempt.answer.set_result(None)


class _Loop:
    """A private event loop on a daemon thread: the client, the workers and the harness live there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="statewright-temporal", daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclass
class _Machine:
    """One machine's worker: its task queue, the definition its class runs and the desk answering it."""

    queue: str
    definition: Definition
    desk: _Desk
    worker: Any
    task: asyncio.Task[None]


class TemporalEngine:
    """Runs scenarios on a real Temporal server against the `temporal` target's generated workflow."""

    name = "temporal"

    def __init__(self, target: Target | None = None, address: str | None = None) -> None:
        """Run the `target`'s generated module (None: a class declared here over the runtime definition)."""
        self.target = target
        self.address = address
        self._loop: _Loop | None = None
        self._client: Client | None = None
        self._machines: dict[str, _Machine] = {}
        self.timings: list[float] = []
        """Seconds each scenario took on the server (for reports and the test suite's budget)."""

    # ------------------------------------------------------------------ lifecycle

    def connect(self) -> None:
        """Reach the server now (starting the shared one if needed), so a missing server is found early."""
        self._connect()

    def _connect(self) -> tuple[_Loop, Client]:
        if self._loop is None or self._client is None:
            address = self.address
            if address is None:
                from statewright.testing.temporal_server import shared_server

                address = shared_server().address
            loop = _Loop()
            self._client = loop.run(Client.connect(address, runtime=_quiet_runtime()), 60)
            logging.getLogger("temporalio.activity").addFilter(_FILTER)
            self._loop = loop
            atexit.register(self.close)
        return self._loop, self._client

    def __enter__(self) -> TemporalEngine:
        """`statewright test` holds the engine open for one machine's scenarios (`close` on exit)."""
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers and the event loop (the shared server stays up for other users)."""
        if self._loop is None:
            return
        loop, self._loop = self._loop, None
        logging.getLogger("temporalio.activity").removeFilter(_FILTER)

        async def shutdown() -> None:
            for machine in self._machines.values():
                for workflow_id in list(machine.desk.waiting):
                    machine.desk.release(workflow_id)
                await machine.worker.shutdown()
                await asyncio.gather(machine.task, return_exceptions=True)

        with contextlib.suppress(Exception):  # a worker that will not stop: the thread ends with the process
            loop.run(shutdown(), 30)
        loop.stop()
        self._machines.clear()

    def _machine(self, machine: ir.Machine) -> _Machine:
        """The worker serving `machine`, started on first use."""
        definition = Definition(machine)
        known = self._machines.get(definition.identity)
        if known is not None:
            return known
        passed: tuple[str, ...] = ()
        if self.target is not None:
            base, module_name = generated_class(self.target, machine)
            definition = base.definition
            passed = (module_name,)
        else:
            base = generic_class(definition)
        loop, client = self._connect()
        test_class = scenario_class(base, machine.name)
        desk = _Desk()
        actions = sorted(handler_names(machine))
        activities = [define(definition, action, desk.attend) for action in actions]
        queue = f"{QUEUE_PREFIX}{uuid.uuid4().hex}"

        async def start() -> tuple[Any, asyncio.Task[None]]:
            worker = make_worker(
                client,
                queue,
                [test_class],
                activities,
                (*passed, test_class.__module__),
                heartbeat_throttle=timedelta(seconds=BEAT_S),
            )
            return worker, asyncio.get_running_loop().create_task(worker.run())

        worker, task = loop.run(start(), 30)
        served = _Machine(queue, definition, desk, worker, task)
        self._machines[definition.identity] = served
        return served

    # ------------------------------------------------------------------ scenarios

    def run(self, machine: ir.Machine, scenario: Scenario) -> Sequence[Observation] | Unsupported:
        """One observation for the start, then one per step (or why a step cannot run here)."""
        try:
            served = self._machine(machine)
        except TargetRefusedError as error:
            return Unsupported(0, str(error))
        try:
            initial_context(served.definition, dict(scenario.context))
        except WorkflowError as error:
            return Unsupported(0, f"the instance does not start: {error}")
        loop, client = self._connect()
        began = time.perf_counter()
        try:
            return loop.run(
                _Run(client, machine, served).scenario(scenario), SETTLE_LIMIT_S * (2 + len(scenario.steps))
            )
        finally:
            self.timings.append(time.perf_counter() - began)


class _HarnessFailures(logging.Filter):
    """Drops the SDK's "activity failed" records of the test workers' activities (a scenario's failures)."""

    def filter(self, record: logging.LogRecord) -> bool:
        details = getattr(record, "temporal_activity", None)
        queue = details.get("task_queue") if isinstance(details, dict) else None
        return not (isinstance(queue, str) and queue.startswith(QUEUE_PREFIX))


_FILTER = _HarnessFailures()


def _quiet_runtime() -> Runtime:
    """A Temporal runtime whose core logs only errors.

    A scenario's finished workflow leaves activity attempts behind, whose late
    completions the core would warn about.
    """
    quiet = TelemetryFilter(core_level="ERROR", other_level="ERROR")
    return Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=quiet)))


class StuckError(RuntimeError):
    """A step did not settle within `SETTLE_LIMIT_S`."""


class _Run:
    """One scenario as one workflow: start it, drive its steps, observe after each."""

    def __init__(self, client: Client, machine: ir.Machine, served: _Machine) -> None:
        self.client = client
        self.machine = machine
        self.served = served
        self.definition = served.definition
        self.workflow_id = f"scenario-{uuid.uuid4().hex}"
        self.handle: WorkflowHandle[Any, Any] | None = None
        self.seen = 0
        self.view: TestView | None = None

    async def scenario(self, scenario: Scenario) -> Sequence[Observation] | Unsupported:
        context = {name: codec.encode_value(value) for name, value in scenario.context}
        self.handle = await self.client.start_workflow(
            self.machine.name,
            StartInput(context=context),
            id=self.workflow_id,
            task_queue=self.served.queue,
        )
        try:
            await self.quiet()
            observations = [self.observe(True)]
            for number, step in enumerate(scenario.steps, 1):
                accepted = await self.perform(step)
                if isinstance(accepted, Unsupported):
                    return replace(accepted, step=number)
                await self.quiet()
                observations.append(self.observe(accepted))
            return observations
        finally:
            self.served.desk.release(self.workflow_id)
            if self.running:
                with contextlib.suppress(RPCError):
                    await self.handle.terminate("scenario finished")

    @property
    def running(self) -> bool:
        return self.view is None or self.view.snapshot.status in ("running", "paused", "starting")

    # ------------------------------------------------------------------ steps

    async def perform(self, step: Step) -> bool | Unsupported:
        if not self.running:
            return False
        if isinstance(step, Send):
            return await self.send(step)
        if isinstance(step, Timeout):
            return await self.timeout(step.state)
        return await self.work_done(step)

    async def send(self, step: Send) -> bool:
        assert self.handle is not None and self.view is not None
        active = self.definition.hierarchy.active_states(tuple(self.view.snapshot.active))
        request = SendRequest(
            event=step.event,
            data={name: codec.encode_value(value) for name, value in step.data},
            actor=step.actor,
            permissions=list(step.permissions),
            scope=scope_lock(self.machine, active, step.event),
            evidence=dict(step.payload),
            delegate_to=step.delegate_to,
        )
        try:
            await self.handle.execute_update(SEND_UPDATE, request, result_type=SendAnswer)
        except WorkflowUpdateFailedError as failed:
            if isinstance(failed.cause, ApplicationError):
                return False
            raise
        return True

    async def timeout(self, state: str) -> bool:
        assert self.handle is not None and self.view is not None
        timers = [t for t in self.view.timers if t.state == state and t.kind in HARD_TIMERS]
        if not timers:
            return False
        timer = min(timers, key=lambda t: (t.due_ms, t.key))
        before = self.view.steps
        if timer.kind == "heartbeat":
            owed = next((w for w in self.view.work if w.state == state and w.kind == "invoke"), None)
            attempt = self.served.desk.pending(self.workflow_id).get(owed.activity_id) if owed else None
            if attempt is None:
                return False
            await self.handle.signal(TEST_FIRE, timer.key)
            await self.quiet(firing_only=True)
            attempt.beating = False  # silence: Temporal times the attempt out
            return True
        await self.handle.signal(TEST_FIRE, timer.key)
        await self.quiet()
        assert self.view is not None
        return self.view.steps != before

    async def work_done(self, step: WorkDone) -> bool | Unsupported:
        assert self.view is not None
        owed = next((w for w in self.view.work if w.state == step.state and w.kind == "invoke"), None)
        if owed is None:
            return False
        if not owed.launched:
            return Unsupported(0, COMPENSATIONS_SERIAL)
        attempt = self.served.desk.pending(self.workflow_id).get(owed.activity_id)
        if attempt is None:
            raise StuckError(f"the attempt of `{step.state}`'s work is not waiting at the harness")
        error = step.error
        fields = self.definition.results.get(step.state, ())
        if error is None and fields and check_fields(fields, dict(step.result))[1]:
            error = RESULT_INVALID
        if error is not None and retries.may_retry(
            policy_of(self.definition, step.state), error, attempt.call.attempt
        ):
            assert self.handle is not None  # Temporal retries it: the next attempt beats from now on
            await self.handle.signal(TEST_RETRIED, step.state)
        if step.error is None:
            result = {name: codec.encode_value(value) for name, value in step.result}
            attempt.answer.set_result(result)
        else:
            failure = ApplicationError(
                step.message, type=step.error, category=ApplicationErrorCategory.BENIGN
            )
            attempt.answer.set_result(failure)  # benign: an expected failure, not logged as a warning
        return True

    # ------------------------------------------------------------------ quiet and observations

    async def quiet(self, firing_only: bool = False) -> None:
        """Wait until the workflow is quiet: every owed invoke waits at the harness, nothing else pending."""
        assert self.handle is not None
        deadline = time.monotonic() + SETTLE_LIMIT_S
        while True:
            view = await self.handle.query(TEST_VIEW, result_type=TestView)
            self.view = view
            if view.firing is None and (firing_only or self._settled(view)):
                return
            if time.monotonic() > deadline:
                raise StuckError(f"the workflow did not settle within {SETTLE_LIMIT_S} s: {view}")
            await asyncio.sleep(POLL_S)

    def _settled(self, view: TestView) -> bool:
        status = view.snapshot.status
        if status == "starting":
            return False
        if status not in ("running", "paused"):
            return True
        pending = self.served.desk.pending(self.workflow_id)
        running = any(
            w.launched and w.kind == "invoke" and _compensation(self.definition, w) for w in view.work
        )
        for work in view.work:
            if work.kind == "do":
                return False
            if work.launched:
                if work.activity_id not in pending:
                    return False
            elif not (_compensation(self.definition, work) and running):
                return False
        return True

    def observe(self, accepted: bool) -> Observation:
        assert self.view is not None
        view = self.view
        entered = tuple(view.entered[self.seen :])
        self.seen = len(view.entered)
        values = codec.decode_context(view.snapshot.context)
        return Observation(
            accepted,
            entered,
            tuple(sorted(view.snapshot.active)),
            _STATUS.get(view.snapshot.status, "running"),
            observed_context(self.machine, values),
        )


def _compensation(definition: Definition, work: TestWork) -> bool:
    state = definition.states.get(work.state or "")
    return state is not None and state.role == "compensation"
