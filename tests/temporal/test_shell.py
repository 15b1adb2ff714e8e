"""The Temporal shell on a real server: the runtime's meaning, step by step, inside a Temporal workflow.

Each test starts `Shop` (tests/temporal/spec.py) on the session's
`temporal server start-dev` with a worker on its own task queue, answers the
activity attempts itself (`desk.Desk`) and compares with the Python runtime.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Replayer

from statewright.runtime.errors import WorkflowError
from statewright.runtime.memory import MemoryStore
from statewright.runtime.runner import Call, Runtime
from statewright.temporal.protocol import (
    SEND_SIGNAL,
    SEND_UPDATE,
    SNAPSHOT_QUERY,
    ActivitySettings,
    SendAnswer,
    SendRequest,
    Snapshot,
    StartInput,
)
from statewright.temporal.worker import make_worker, sandbox
from tests.temporal.desk import Desk
from tests.temporal.spec import ShopWorkflow, definition

DEFINITION = definition()
ShopWorkflow.definition = DEFINITION

Body = Callable[[WorkflowHandle[Any, Snapshot], Desk], Awaitable[None]]


def drive(address: str, body: Body, context: dict[str, object] | None = None) -> None:
    """Start `Shop` with a fresh worker and task queue, and run `body` against it."""

    async def main() -> None:
        client = await Client.connect(address)
        desk = Desk()
        queue = f"shell-{uuid.uuid4().hex}"
        worker = make_worker(client, queue, [ShopWorkflow], desk.activities(DEFINITION), ("tests",))
        async with worker:
            handle = await client.start_workflow(
                "Shop",
                StartInput(context=dict(context or {})),
                id=f"shop-{uuid.uuid4().hex}",
                task_queue=queue,
                result_type=Snapshot,
            )
            try:
                await body(handle, desk)
            finally:
                desk.beating = False
                while not desk.waiting.empty():
                    _, future = desk.waiting.get_nowait()
                    future.set_result(None)
                with_result = await handle.describe()
                if with_result.status is not None and with_result.status.name == "RUNNING":
                    await handle.terminate()

    asyncio.run(main())


async def send(handle: WorkflowHandle[Any, Snapshot], event: str, **data: object) -> SendAnswer:
    """Deliver one event through the generic update."""
    answer = await handle.execute_update(SEND_UPDATE, SendRequest(event, dict(data)), result_type=SendAnswer)
    assert isinstance(answer, SendAnswer)
    return answer


async def snapshot(handle: WorkflowHandle[Any, Snapshot]) -> Snapshot:
    """The instance now."""
    found = await handle.query(SNAPSHOT_QUERY, result_type=Snapshot)
    assert isinstance(found, Snapshot)
    return found


def python_run(outcomes: dict[str, list[object]]) -> tuple[Runtime, list[str]]:
    """The Python runtime on the same spec, its work answered from `outcomes` (results or errors)."""
    order: list[str] = []

    def handler(action: str) -> Callable[[Call], object]:
        def run(call: Call) -> object:
            order.append(action)
            outcome = outcomes[action].pop(0) if outcomes.get(action) else None
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        return run

    actions = {s.invoke.action for s in DEFINITION.states.values() if s.invoke is not None}
    runtime = Runtime(DEFINITION, MemoryStore(), {a: handler(a) for a in actions}, clock=lambda: 0)
    return runtime, order


class Declined(Exception):  # noqa: N818 (the error name the spec catches)
    """A failure the policy does not retry."""


class Busy(Exception):  # noqa: N818 (the error name the spec retries)
    """A failure the policy retries."""


def test_a_saga_runs_to_the_end_with_results_and_entered_leaves(temporal_address: str) -> None:
    async def body(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
        answer = await send(handle, "go", amount=7)
        assert answer.entered == ["Checking"] and answer.status == "running"
        call = await desk.answer("check")
        assert call.kind == "invoke" and call.state == "Checking" and call.attempt == 1
        reserve = await desk.answer("reserve")
        assert reserve.key == "r-7" and reserve.context["amount"] == 7
        await desk.answer("charge", {"receipt": "R1"})
        await desk.answer("ship")
        result = await handle.result()
        assert result.status == "completed" and result.active == ["Done"]
        assert result.context["receipt"] == "R1"

    drive(temporal_address, body)


REFUSED: tuple[tuple[str, dict[str, object]], ...] = (
    ("stop", {}),
    ("go", {"amount": 0}),
    ("nope", {}),
    ("go", {}),
)
"""Events `Checking` refuses: rejected, a payload out of range, not an event, a payload missing."""


def test_refusals_are_the_runtimes_and_change_nothing(temporal_address: str) -> None:
    runtime, _ = python_run({})
    instance = runtime.start(instance_id="py").id
    runtime.send(instance, "go", data={"amount": 5})
    expected: list[tuple[str, str]] = []
    for event, data in REFUSED:
        with pytest.raises(WorkflowError) as refused:
            runtime.send(instance, event, data=data or None)
        expected.append((type(refused.value).__name__, refused.value.code.code))
    names = ["EventRejected", "PayloadInvalid", "EventNotAllowed", "PayloadInvalid"]
    assert [name for name, _ in expected] == names

    async def body(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
        await send(handle, "go", amount=5)
        before = await snapshot(handle)
        seen: list[tuple[str, str]] = []
        for event, data in REFUSED:
            with pytest.raises(WorkflowUpdateFailedError) as failed:
                await send(handle, event, **data)
            cause = failed.value.cause
            assert isinstance(cause, ApplicationError) and cause.non_retryable
            refusal = cause.details[0]
            assert refusal["error"] == cause.type
            seen.append((str(cause.type), refusal["code"]))
        assert seen == expected
        assert await snapshot(handle) == before

    drive(temporal_address, body)


def test_retries_are_temporals_and_exhaustion_goes_to_the_dead_letter(temporal_address: str) -> None:
    runtime, order = python_run({"check": [Busy("1"), Busy("2"), Busy("3")]})
    instance = runtime.start(instance_id="py").id
    runtime.send(instance, "go", data={"amount": 3})
    for _ in range(5):
        runtime.run_work(instance)
        runtime.tick(10**12)
    expected = runtime.load(instance)

    async def body(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
        await send(handle, "go", amount=3)
        attempts = [(await desk.answer("check", Busy(str(n)))).attempt for n in (1, 2, 3)]
        assert attempts == [1, 2, 3]
        result = await handle.result()
        assert (result.active, result.context["why"]) == (list(expected.active), expected.context["why"])
        assert result.context["why"] == "Busy"

    assert order == ["check"] * 3
    drive(temporal_address, body)


def test_an_error_the_policy_does_not_retry_is_caught_at_once_with_its_message(temporal_address: str) -> None:
    async def body(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
        await send(handle, "go", amount=3)
        await desk.answer("check", Declined("card declined"))
        result = await handle.result()
        assert result.active == ["Failed"] and result.context["why"] == "card declined"
        assert [c.attempt for c in desk.seen] == [1]

    drive(temporal_address, body)


def test_an_empty_failure_message_stays_empty(temporal_address: str) -> None:
    """Temporal's converter fills an empty message in; the runtime's `error.message` stays ''."""

    async def body(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
        await send(handle, "go", amount=3)
        await desk.answer("check", Declined(""))
        result = await handle.result()
        assert result.active == ["Failed"] and result.context["why"] == ""

    drive(temporal_address, body, {"why": "unset"})


def test_a_result_that_does_not_fit_is_result_invalid(temporal_address: str) -> None:
    async def body(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
        await send(handle, "go", amount=3)
        await desk.answer("check")
        await desk.answer("reserve")
        await desk.answer("charge", {"receipt": 5})
        await desk.answer("release")
        result = await handle.result()
        assert result.active == ["Undone"]

    drive(temporal_address, body)


def test_saga_compensations_run_in_the_runtimes_order(temporal_address: str) -> None:
    runtime, order = python_run({"charge": [{"receipt": "R"}], "ship": [Declined("no van")]})
    instance = runtime.start(instance_id="py").id
    runtime.send(instance, "go", data={"amount": 4})
    for _ in range(10):
        runtime.run_work(instance)
    assert runtime.load(instance).active == ("Undone",)

    async def body(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
        await send(handle, "go", amount=4)
        seen = []
        for action, outcome in (
            ("check", None),
            ("reserve", None),
            ("charge", {"receipt": "R"}),
            ("ship", Declined("no van")),
            ("refund", None),
            ("release", None),
        ):
            call = await desk.answer(action, outcome)
            seen.append((call.action, call.kind))
        assert [action for action, _ in seen] == order
        assert seen[-2:] == [("refund", "compensate"), ("release", "compensate")]
        assert (await handle.result()).active == ["Undone"]

    drive(temporal_address, body)


def test_cancelling_the_workflow_compensates_the_running_saga(temporal_address: str) -> None:
    async def body(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
        await send(handle, "go", amount=4)
        await desk.answer("check")
        await desk.answer("reserve")
        charge, pending = await desk.next()
        assert charge.action == "charge"
        await handle.cancel()
        release = await desk.answer("release")
        assert release.kind == "compensate" and release.key == "rel-4"
        pending.set_result({"receipt": "late"})  # a late result of a state left: dropped
        result = await handle.result()
        assert result.active == ["Undone"] and result.context["receipt"] == ""

    drive(temporal_address, body)


def test_a_missed_heartbeat_is_temporals_heartbeat_timeout(temporal_address: str) -> None:
    settings = ActivitySettings(
        heartbeat_ms=1000, initial_interval_ms=100, maximum_attempts=2, retry_on=("Busy", "HeartbeatTimeout")
    )
    ShopWorkflow.activity_settings = {"Checking": settings}
    try:

        async def body(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
            await send(handle, "go", amount=3)
            first, _ = await desk.next()
            second, _ = await desk.next()  # the first missed its heartbeat: Temporal retried it
            assert (first.attempt, second.attempt) == (1, 2)
            result = await handle.result()
            assert result.active == ["Failed"] and result.context["why"] == "HeartbeatTimeout"

        drive(temporal_address, body)
        unlisted = replace(settings, retry_on=("Busy",), maximum_attempts=3)
        ShopWorkflow.activity_settings = {"Checking": unlisted}

        async def once(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
            await send(handle, "go", amount=3)
            await desk.next()
            result = await handle.result()  # not retried: the policy does not name HeartbeatTimeout
            assert result.context["why"] == "HeartbeatTimeout" and len(desk.seen) == 1

        drive(temporal_address, once)
    finally:
        ShopWorkflow.activity_settings = {}


def test_timers_are_workflow_timers_and_emits_are_delivered(temporal_address: str) -> None:
    async def body(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
        answer = await send(handle, "ping")
        assert answer.entered == ["Idle", "Pinged"] and answer.active == ["Pinged"]
        assert [w.action for w in (await snapshot(handle)).work] == ["note"]
        first = await desk.answer("note", Declined("flaky"))  # a `do` runs again until it succeeds
        second = await desk.answer("note")
        assert (first.kind, first.attempt, second.attempt, second.key) == ("do", 1, 2, first.key)
        for _ in range(500):
            if not (await snapshot(handle)).work:
                break
            await asyncio.sleep(0.02)
        assert (await snapshot(handle)).work == []

    drive(temporal_address, body)

    async def waits(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
        await send(handle, "stop")
        assert [t.rsplit(":", 1)[0] for t in (await snapshot(handle)).timers] == ["timeout:Waiting"]
        result = await handle.result()  # the 2 s timeout, on Temporal's clock
        assert result.active == ["Failed"]

    drive(temporal_address, waits)


def test_a_signalled_event_is_applied_and_a_refused_one_changes_nothing(temporal_address: str) -> None:
    async def body(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
        await handle.signal(SEND_SIGNAL, SendRequest("go", {"amount": 0}))  # refused: out of range
        await handle.signal(SEND_SIGNAL, SendRequest("ping"))
        await desk.answer("note")
        for _ in range(500):
            if (await snapshot(handle)).active == ["Pinged"]:
                break
            await asyncio.sleep(0.02)
        now = await snapshot(handle)
        assert now.active == ["Pinged"] and now.status == "running" and now.context["amount"] == 10

    drive(temporal_address, body)


def test_histories_replay_deterministically(temporal_address: str) -> None:
    """A saga that fails, compensates and ends replays from its history with no nondeterminism."""

    async def body(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
        await send(handle, "ping")
        await desk.answer("note")
        await send(handle, "go", amount=4)
        await desk.answer("check", Busy("once"))
        await desk.answer("check")
        await desk.answer("reserve")
        await desk.answer("charge", {"receipt": "R"})
        await desk.answer("ship", Declined("no van"))
        await desk.answer("refund")
        await desk.answer("release")
        assert (await handle.result()).active == ["Undone"]
        replayer = Replayer(workflows=[ShopWorkflow], workflow_runner=sandbox("tests"))
        await replayer.replay_workflow(await handle.fetch_history())

    drive(temporal_address, body)


def test_a_refused_timeout_stays_pending_and_is_not_fired_again_and_again(temporal_address: str) -> None:
    """`Stuck`'s timeout would break `amount`'s range: refused, the timer stays, no hot loop of timers."""

    async def body(handle: WorkflowHandle[Any, Snapshot], desk: Desk) -> None:
        await send(handle, "ping")
        await desk.answer("note")
        await send(handle, "stop")
        await asyncio.sleep(3)
        now = await snapshot(handle)
        assert now.active == ["Stuck"] and [t.split(":")[1] for t in now.timers] == ["Stuck"]
        history = await handle.fetch_history()
        assert len(history.events) < 60, len(history.events)
        assert (await send(handle, "stop")).active == ["Done"]

    drive(temporal_address, body)
