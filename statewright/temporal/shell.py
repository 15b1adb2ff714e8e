"""The Temporal shell: the runtime's pure step functions driven inside a Temporal workflow.

`StatewrightWorkflow` is the base class of every generated Temporal workflow
(`protocol.py` says what the generated class sets and declares). It holds the
instance in workflow memory (`ledger.Ledger`; Temporal's event history is the
durable log) and drives `runtime.engine` exactly as `runtime.runner.Runtime`
drives it over a store, so the workflow has one semantics, the runtime's:

- `_execute` starts the instance (`engine.start`), follows its eventless steps
  (`engine.settle`) and delivers emitted events (`engine.send` as the workflow,
  at most `runtime.emits.MAX_EMITTED_STEPS` after one external step, or the
  whole external step is refused, SW979), then loops: owed work becomes
  activities, the earliest pending timer a workflow timer, a due timer
  `engine.fire`, until the instance is completed, failed or cancelled;
- an event (`_send`, every update's body) is `engine.send`; a refusal fails the
  update with `ApplicationError(type=<runtime error class>, details=[Refusal])`
  and nothing is applied (the validator `_validate_send` refuses it before it
  reaches the history at all);
- owed work (invoke, compensation, `do`) runs as the activity registered under
  the action's name with the options `activity_settings` gives (timeouts,
  heartbeat, `RetryPolicy`); Temporal applies the retry policy (the activity
  wrapper, `activities.define`, marks what the policy does not retry), and the
  final outcome goes to `engine.finish(..., final=True)`, so a failure is routed
  through the catches and the dead letter at once. A missed heartbeat is
  Temporal's heartbeat timeout, reported to the engine as `HeartbeatTimeout`;
  the engine's own heartbeat timers are kept (a snapshot shows them) but never
  fired here. A saga's compensations run one at a time, in the order owed (the
  IR chains them LIFO; sagas in parallel regions compensate side by side),
  shielded from the workflow's cancellation and with
  `WAIT_CANCELLATION_COMPLETED`;
- a cancellation of the workflow is `engine.control(..., "cancel")`: inside a
  saga it takes the running step's `error` move, so the compensations run and
  the workflow goes on as the IR says; otherwise the instance is cancelled and
  the workflow ends cancelled. Late results of work whose state was left are
  dropped, as the runtime drops them (the activity is not cancelled).

Workflow code stays deterministic: time is `workflow.now()` (`_clock_ms`), no
randomness (retry jitter is Temporal's) and no I/O. Tests change time only
through the protected clock hooks `_clock_ms`, `_due_timers`, `_sleep` and
`_settings` in a subclass registered only in a test worker
(`statewright.testing.temporal_engine`); nothing here fires a timer early.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutType
from temporalio.exceptions import TimeoutError as ActivityTimeout

from statewright.diagnostics.catalog.runtime import EMIT_CASCADE
from statewright.runtime import codec, engine
from statewright.runtime.definition import Definition
from statewright.runtime.engine import Request
from statewright.runtime.errors import KeyReused, NotRunning, WorkflowError
from statewright.runtime.model import Commit, Timer, Work
from statewright.semantics import retries
from statewright.temporal.ledger import Ledger
from statewright.temporal.protocol import (
    ActivityCall,
    ActivitySettings,
    OwedWork,
    Refusal,
    SendAnswer,
    SendRequest,
    Snapshot,
    StartInput,
)

MAX_SETTLE = 1000
"""Eventless steps one step may cause before the shell stops following them (as `runtime.runner`)."""
MAX_EMITTED_STEPS = 1000
"""Steps emitted events may take after one external step (SW979 beyond; as `runtime.emits`)."""
UNBOUNDED = timedelta(days=3650)
"""The start-to-close timeout of work the IR does not bound (Temporal needs one)."""
DO_RETRIES = RetryPolicy(maximum_attempts=0)
"""A `do` action runs until it succeeds (the runtime keeps failed `do` work owed and runs it again)."""
HEARTBEAT_TIMEOUT = "HeartbeatTimeout"
"""The error a missed heartbeat is, as the runtime names it (`engine.fire` on a heartbeat timer)."""
ACTIVITY_TIMEOUT = "Timeout"
"""The error an activity that ran past its start-to-close timeout is."""
TEMPORAL_HEARTBEAT = "TemporalTimeout:Heartbeat"
"""The non-retryable error type Temporal matches a heartbeat timeout against."""


class EmitCascadeError(WorkflowError):
    """Emitted events kept re-triggering each other past the bound (SW979); the step was refused whole."""

    code = EMIT_CASCADE


def refusal_error(error: WorkflowError) -> ApplicationError:
    """The `ApplicationError` a refusal fails an update (or the start) with: its class, a `Refusal`."""
    message = str(error.args[0]) if error.args else str(error)
    refusal = Refusal(error.code.code, type(error).__name__, message)
    return ApplicationError(message, refusal, type=refusal.error, non_retryable=True)


def decoded(data: Mapping[str, Any]) -> dict[str, object]:
    """Codec JSON values as context values; a value that is not one is kept as sent (the check refuses it)."""
    values: dict[str, object] = {}
    for name, value in data.items():
        try:
            values[name] = codec.decode_value(value)
        except ValueError:
            values[name] = value
    return values


def retry_policy(settings: ActivitySettings) -> RetryPolicy:
    """The activity's Temporal `RetryPolicy` from its settings.

    `retry_on` is the policy's whitelist; Temporal's list is a blacklist, so the
    activity wrapper marks unlisted failures non-retryable (`activities.define`).
    A heartbeat timeout never reaches the wrapper: when the whitelist leaves it
    out, it is named non-retryable here under the type Temporal matches.
    """
    blacklist: list[str] = []
    if settings.retry_on is not None and HEARTBEAT_TIMEOUT not in settings.retry_on:
        blacklist.append(TEMPORAL_HEARTBEAT)
    return RetryPolicy(
        initial_interval=timedelta(milliseconds=max(1, settings.initial_interval_ms)),
        backoff_coefficient=max(1.0, settings.backoff_coefficient),
        maximum_interval=(
            None
            if settings.maximum_interval_ms is None
            else timedelta(milliseconds=settings.maximum_interval_ms)
        ),
        maximum_attempts=settings.maximum_attempts,
        non_retryable_error_types=blacklist or None,
    )


def settings_for(definition: Definition, work: Work) -> ActivitySettings:
    """Settings from the IR alone, for work the generated table does not list (one attempt, no bounds)."""
    if work.state is None:
        return ActivitySettings()
    state = definition.states[work.state]
    invoke = state.invoke
    policy = invoke.retry if invoke is not None else None
    return ActivitySettings(
        heartbeat_ms=invoke.heartbeat_ms if invoke is not None else None,
        initial_interval_ms=max(1, policy.base_ms) if policy is not None else 1000,
        backoff_coefficient=float(policy.factor)
        if policy is not None and policy.backoff == "exponential"
        else 1.0,
        maximum_interval_ms=policy.cap_ms if policy is not None else None,
        maximum_attempts=retries.maximum_attempts(policy),
        retry_on=(policy.retry_on or None) if policy is not None else None,
        wait_cancellation_completed=state.role in ("saga_step", "compensation"),
    )


def work_kind(definition: Definition, work: Work) -> str:
    """Owed work's kind on the wire: `compensate` for a compensation state's work, else the runtime's."""
    if (
        work.kind == "invoke"
        and work.state is not None
        and definition.states[work.state].role == "compensation"
    ):
        return "compensate"
    return work.kind


class StatewrightWorkflow:
    """The base of a generated Temporal workflow: one statewright instance per workflow run.

    The generated subclass sets `definition` and `activity_settings` and declares
    every Temporal handler itself, delegating to `_execute`, `_send`,
    `_validate_send` and `_snapshot` (`protocol.py`).
    """

    definition: ClassVar[Definition]
    """The runtime definition (from the generated module's embedded IR)."""
    activity_settings: ClassVar[Mapping[str, ActivitySettings]] = {}
    """Per invoking state (or action name, for `do` work): how its activity runs on Temporal."""

    def __init__(self) -> None:
        self._ledger: Ledger | None = None
        self._seed = 0
        self._changes = 0
        """Bumped on every change; the main loop wakes on it."""
        self._started: dict[str, tuple[int, int]] = {}
        """Owed work key -> the (seq, attempt) of the work whose activity runs."""
        self._compensating: dict[str, str] = {}
        """Saga state -> the key of its compensation whose activity runs (one at a time per saga)."""
        self._answers: dict[str, tuple[SendRequest, SendAnswer]] = {}
        """Idempotency key -> the request applied under it and its answer."""
        self._held: dict[str, int] = {}
        """Timer key -> the instance version its firing was refused at (`_timers`)."""
        self._tasks: set[asyncio.Task[None]] = set()
        """The running activities' tasks (kept referenced until done)."""

    # ------------------------------------------------------------------ clock hooks (tests override)

    def _clock_ms(self) -> int:
        """Now, in milliseconds since the epoch: the workflow's deterministic clock."""
        return int(workflow.now().timestamp() * 1000)

    def _timers(self, ledger: Ledger) -> list[Timer]:
        """The timers the shell fires: not heartbeats (Temporal's heartbeat timeouts), not one held.

        A timer whose firing was refused (its move would break a range or an
        invariant) stays pending, as in the runtime, and is held until the
        instance changes otherwise, so it is not fired again and again.
        """
        version = ledger.instance.version
        return [
            t for t in ledger.timers.values() if t.kind != "heartbeat" and self._held.get(t.key) != version
        ]

    def _due_timers(self, ledger: Ledger) -> list[Timer]:
        """The pending timers due now, earliest first (heartbeats are Temporal's heartbeat timeouts)."""
        now = self._clock_ms()
        due = [t for t in self._timers(ledger) if t.due_ms <= now]
        return sorted(due, key=lambda t: (t.due_ms, t.key))

    async def _sleep(self, ledger: Ledger, changes: int) -> None:
        """Wait until something changes or the earliest pending timer is due (a workflow timer)."""
        due = [t.due_ms for t in self._timers(ledger)]
        timeout = None
        if due:
            timeout = timedelta(milliseconds=max(0, min(due) - self._clock_ms()))
        try:
            await workflow.wait_condition(lambda: self._changes != changes, timeout=timeout)
        except TimeoutError:
            return

    def _settings(self, work: Work) -> ActivitySettings:
        """How `work`'s activity runs: the generated table's entry (by state, else action), else the IR's."""
        found = self.activity_settings.get(work.state or "") or self.activity_settings.get(work.action)
        return found if found is not None else settings_for(self.definition, work)

    # ------------------------------------------------------------------ the run

    async def _execute(self, start: StartInput) -> Snapshot:
        """Start the instance and drive it until it completes, fails or is cancelled; its last snapshot."""
        definition = self.definition
        self._seed = start.seed
        try:
            step = engine.start(
                definition,
                workflow.info().workflow_id,
                decoded(start.context),  # type: ignore[arg-type]
                self._clock_ms(),
                Request(actor=start.actor),
            )
        except WorkflowError as error:
            raise refusal_error(error) from None
        ledger = Ledger(step.commit.instance)
        ledger.apply(definition, step.commit)
        try:
            self._follow(ledger)
        except EmitCascadeError as error:
            raise refusal_error(error) from None
        self._swap(ledger)
        while True:
            ledger = self._current()
            self._launch(ledger)
            if ledger.instance.status not in ("running", "paused"):
                break
            changes = self._changes
            try:
                await self._sleep(ledger, changes)
            except asyncio.CancelledError:
                if self._cancel():
                    raise
                continue
            self._fire_due()
        if ledger.instance.status == "cancelled":
            raise asyncio.CancelledError
        return self._snapshot()

    def _cancel(self) -> bool:
        """The workflow was cancelled: `engine.control(cancel)`; True when the instance is now cancelled."""
        ledger = self._current()
        try:
            step = engine.control(self.definition, ledger.instance, "cancel", self._clock_ms())
        except NotRunning:
            return True
        working = ledger.copy()
        working.apply(self.definition, step.commit)
        if step.error is not None:  # the compensating move breaks a range: refused, as the runtime refuses it
            workflow.logger.warning("statewright: cancellation refused: %s", step.error)
        else:
            working = self._followed(working, ledger, step.commit)
        self._swap(working)
        return working.instance.status != "running"

    def _fire_due(self) -> None:
        """Fire the timers due now, one step each (an earlier one may cancel a later one)."""
        for timer in self._due_timers(self._current()):
            ledger = self._current()
            if ledger.timers.get(timer.key) != timer or ledger.instance.status != "running":
                continue
            step = engine.fire(self.definition, ledger.instance, timer, self._clock_ms())
            working = ledger.copy()
            if step is None:
                working.timers.pop(timer.key, None)
            else:
                working.apply(self.definition, step.commit)
                if step.error is None:
                    working = self._followed(working, ledger, step.commit)
                else:
                    self._held[timer.key] = working.instance.version
            self._swap(working)

    def _followed(self, working: Ledger, ledger: Ledger, commit: Commit) -> Ledger:
        """`working` (`ledger` with `commit` applied) followed; past the emit bound, the commit alone.

        An internal step (a timer, a work outcome, a cancellation) cannot be refused
        the way an event is: its own step stands, and emitted events that keep
        re-triggering each other past the bound are left undelivered (SW979 logged).
        """
        try:
            self._follow(working)
        except EmitCascadeError as error:
            workflow.logger.warning("statewright: %s", error)
            working = ledger.copy()
            working.apply(self.definition, commit)
        return working

    def _follow(self, ledger: Ledger) -> None:
        """Settle, then deliver emitted events (each settled) on `ledger`; EmitCascadeError past the bound."""
        self._settle(ledger)
        delivered = 0
        while True:
            emit = next((w for w in ledger.work.values() if w.kind == "emit"), None)
            if emit is None:
                return
            if delivered >= MAX_EMITTED_STEPS:
                raise EmitCascadeError(
                    f"instance `{ledger.instance.id}`: emitted events took {delivered} steps after one "
                    "external step and still emit more; the workflow's emits re-trigger each other "
                    "(see SW312)"
                )
            delivered += 1
            if ledger.instance.status != "running":
                ledger.work.pop(emit.key, None)
                continue
            step = engine.send(
                self.definition, ledger.instance, emit.action, self._clock_ms(), Request(actor="workflow")
            )
            if step.error is not None:  # a refused emitted event is dropped (its refusal recorded)
                ledger.work.pop(emit.key, None)
                continue
            ledger.apply(self.definition, step.commit)
            ledger.work.pop(emit.key, None)
            self._settle(ledger)

    def _settle(self, ledger: Ledger) -> None:
        """Follow enabled eventless transitions on `ledger`; a refused one is recorded and ends settling."""
        for _ in range(MAX_SETTLE):
            step = engine.settle(self.definition, ledger.instance, self._clock_ms())
            if step is None:
                return
            ledger.apply(self.definition, step.commit)
            if step.error is not None:
                return

    def _changed(self) -> None:
        self._changes += 1

    def _swap(self, working: Ledger) -> None:
        """Keep a working copy as the instance's ledger; journal the leaves its steps entered."""
        self._journal(working.entered, working.steps)
        working.entered = []
        working.steps = 0
        self._ledger = working
        self._changed()

    def _journal(self, entered: list[str], steps: int) -> None:
        """Hook: the leaves entered (and how many steps) by a change just kept; tests record them."""

    def _current(self) -> Ledger:
        if self._ledger is None:
            raise NotRunning("the instance has not started yet")
        return self._ledger

    # ------------------------------------------------------------------ work as activities

    def _launch(self, ledger: Ledger) -> None:
        """Start an activity for each owed invoke and `do` not yet running; compensations one at a time."""
        if ledger.instance.status != "running":
            return
        for work in ledger.work.values():
            if work.kind == "emit" or self._started.get(work.key) == (work.seq, work.attempt):
                continue
            compensation = work_kind(self.definition, work) == "compensate"
            if compensation:
                saga = self.definition.states[work.state or ""].parent or ""
                running = self._compensating.get(saga)
                if running is not None and running != work.key and running in ledger.work:
                    continue  # the saga's next compensation starts when its running one is finished
                self._compensating[saga] = work.key
            self._started[work.key] = (work.seq, work.attempt)
            call = ActivityCall(
                action=work.action,
                key=work.key,
                instance=ledger.instance.id,
                state=work.state,
                attempt=work.attempt,
                kind=work_kind(self.definition, work),
                context=codec.encode_context(ledger.instance.context),
            )
            task = asyncio.create_task(self._perform(work, call, compensation))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _perform(self, work: Work, call: ActivityCall, compensation: bool) -> None:
        """Run one owed work item as its activity and hand the final outcome to the engine."""
        settings = self._settings(work)
        handle = workflow.start_activity(
            work.action,
            call,
            start_to_close_timeout=(
                UNBOUNDED
                if settings.start_to_close_ms is None
                else timedelta(milliseconds=settings.start_to_close_ms)
            ),
            heartbeat_timeout=None
            if settings.heartbeat_ms is None
            else timedelta(milliseconds=settings.heartbeat_ms),
            retry_policy=DO_RETRIES if work.kind == "do" else retry_policy(settings),
            cancellation_type=(
                workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
                if settings.wait_cancellation_completed or compensation
                else workflow.ActivityCancellationType.TRY_CANCEL
            ),
            activity_id=f"{work.key}#{work.seq}.{work.attempt}",
        )
        error: str | None = None
        message: str | None = None
        result: Mapping[str, Any] | None = None
        try:
            returned = await (asyncio.shield(handle) if compensation else handle)
        except ActivityError as failure:
            error, message = self._failure(work, failure)
        else:
            result = returned if isinstance(returned, Mapping) else None
        self._outcome(work, error, result, message)

    def _failure(self, work: Work, failure: ActivityError) -> tuple[str, str]:
        """The error name and message of an activity's final failure, as the engine names them."""
        cause = failure.cause
        if isinstance(cause, ApplicationError):  # the raw message: the converter fills in an empty one
            said = cause.failure.message if cause.failure is not None else cause.message
            return cause.type or type(cause).__name__, said
        if isinstance(cause, ActivityTimeout) and cause.type == TimeoutType.HEARTBEAT:
            state = self.definition.states.get(work.state or "")
            beat = state.invoke.heartbeat_ms if state is not None and state.invoke is not None else None
            return HEARTBEAT_TIMEOUT, f"no heartbeat within {beat} ms" if beat is not None else "no heartbeat"
        if isinstance(cause, ActivityTimeout):
            return ACTIVITY_TIMEOUT, cause.message
        if cause is not None:
            return type(cause).__name__, cause.message if hasattr(cause, "message") else str(cause)
        return type(failure).__name__, failure.message

    def _outcome(
        self, work: Work, error: str | None, result: Mapping[str, Any] | None, message: str | None
    ) -> None:
        """The final outcome of `work`'s activity: `engine.finish(..., final=True)`, then its consequences.

        Timers already due fire first: a timer and an activity's completion can
        reach the workflow in one task, and the timer, due earlier, came first in
        the history (as the runtime would have fired it before the late result).
        """
        self._fire_due()
        ledger = self._current()
        if self._started.get(work.key) == (work.seq, work.attempt):
            del self._started[work.key]
        for saga, key in list(self._compensating.items()):
            if key == work.key:
                del self._compensating[saga]
        owed = ledger.work.get(work.key)
        if owed is None or owed.seq != work.seq:
            self._changed()
            return  # stale: its state was left (or the instance ended) while it ran
        working = ledger.copy()
        if work.kind == "do":
            if error is None:
                working.work.pop(work.key, None)
            else:  # failed for good (a non-retryable error): it stays owed, not started again
                self._started[work.key] = (work.seq, work.attempt)
        elif ledger.instance.status == "running":
            step = engine.finish(
                self.definition,
                ledger.instance,
                work,
                error,
                self._clock_ms(),
                self._seed,
                decoded(result) if result is not None else None,
                message,
                final=True,
            )
            if step is None:
                working.work.pop(work.key, None)
            else:
                working.apply(self.definition, step.commit)
                if step.error is None:
                    working = self._followed(working, ledger, step.commit)
        self._swap(working)

    # ------------------------------------------------------------------ events

    def _validate_send(self, request: SendRequest) -> None:
        """Refuse an event the instance would refuse, before it enters the history (nothing is applied)."""
        if self._ledger is None:
            return  # not started yet: the update body waits for the start and decides then
        if self._repeated(request) is None:
            self._step(request)

    async def _send(self, request: SendRequest) -> SendAnswer:
        """Deliver one event: the applied step (settled, its emitted events delivered), or a refusal."""
        await workflow.wait_condition(lambda: self._ledger is not None)
        self._fire_due()  # a timer due before the event arrived has fired (see `_outcome`)
        answered = self._repeated(request)
        if answered is not None:
            return answered
        working = self._step(request)
        answer = SendAnswer(
            entered=list(working.entered),
            active=sorted(working.instance.active),
            status=working.instance.status,
        )
        self._swap(working)
        if request.key is not None:
            self._answers[request.key] = (request, answer)
        return answer

    async def _deliver(self, request: SendRequest) -> None:
        """An event sent as a signal (`protocol.SEND_SIGNAL`): applied as `_send` does, a refusal logged."""
        try:
            await self._send(request)
        except ApplicationError as refused:
            workflow.logger.info("statewright: event `%s` refused: %s", request.event, refused.message)

    def _step(self, request: SendRequest) -> Ledger:
        """The ledger after `request` (a working copy), or the refusal raised as an `ApplicationError`."""
        ledger = self._current()
        try:
            step = engine.send(
                self.definition,
                ledger.instance,
                request.event,
                self._clock_ms(),
                Request(
                    request.actor,
                    tuple(request.permissions),
                    request.scope,
                    dict(request.evidence),
                    request.key,
                    request.delegate_to,
                ),
                decoded(request.data) if request.data else None,
            )
        except WorkflowError as error:
            raise refusal_error(error) from None
        if step.error is not None:
            raise refusal_error(step.error)
        working = ledger.copy()
        working.apply(self.definition, step.commit)
        try:
            self._follow(working)
        except EmitCascadeError as error:
            raise refusal_error(error) from None
        return working

    def _repeated(self, request: SendRequest) -> SendAnswer | None:
        """The answer given before under the request's key; `KeyReused` for another request under it."""
        if request.key is None or request.key not in self._answers:
            return None
        prior, answer = self._answers[request.key]
        differs = [
            name
            for name, same in (
                ("event", prior.event == request.event),
                ("data", prior.data == request.data),
                ("actor", prior.actor == request.actor),
                ("scope", prior.scope == request.scope),
                ("evidence", prior.evidence == request.evidence),
                ("delegate", prior.delegate_to == request.delegate_to),
            )
            if not same
        ]
        if differs:
            raise refusal_error(
                KeyReused(
                    f"idempotency key `{request.key}` was used for another request (its {', '.join(differs)} "
                    "differ); nothing was applied"
                )
            )
        return answer

    # ------------------------------------------------------------------ queries

    def _snapshot(self) -> Snapshot:
        """The instance as a query sees it (before the start: nothing active, status `starting`)."""
        ledger = self._ledger
        if ledger is None:
            return Snapshot(workflow=self.definition.name, active=[], status="starting", context={})
        instance = ledger.instance
        return Snapshot(
            workflow=instance.workflow,
            active=sorted(instance.active),
            status=instance.status,
            context=codec.encode_context(instance.context),
            work=[
                OwedWork(w.action, w.state, w.key, w.attempt, work_kind(self.definition, w))
                for w in ledger.work.values()
                if w.kind != "emit"
            ],
            timers=sorted(ledger.timers),
            warnings=list(ledger.warnings),
        )
