"""Durability on a real Temporal server: a worker killed in the middle of a saga, a new one finishes it.

The saga of tests/temporal/data/durable_order.wf (order_fulfilment's saga) is
generated with the `temporal` target; its worker runs as a separate process
(`python -m <generated module> --implementation ...`) with the activities of
tests/temporal/durable_activities.py, which apply each effect at most once per
idempotency key in a SQLite file and record every execution. Each test kills
the first worker with SIGKILL in the middle of the saga and starts a new
worker process, which picks the workflow up from Temporal's history:

- killed while `charge_card` waits for the payment service's confirmation
  (asynchronous completion): the service confirms while no worker runs, the
  new worker carries on, the order ships; no step runs twice;
- killed while `book_courier` runs (its completion is lost): the step times
  out on the new worker (a saga step has no heartbeat, so its timeout is how a
  dead worker is noticed) and the completed steps are compensated in reverse
  order, each once;
- killed while the compensation `refund_card` waits for its confirmation: the
  undo resumes on the new worker, in order, each compensation once.

Effects are checked per idempotency key (`ActivityCall.key`, the step's key
template filled with the workflow id).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle

from statewright.temporal.protocol import SEND_UPDATE, SendAnswer, SendRequest, Snapshot, StartInput
from tests.temporal.durable_activities import create_tables

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(__file__).parent / "data" / "durable_order.wf"
MODULE = "durable_order_temporal"
IMPLEMENTATION = "tests.temporal.durable_activities:DurableOrderActivities"
WORKFLOW = "DurableOrder"
BOUND_S = 120.0


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory holding the spec's generated Temporal module (`statewright build --target temporal`)."""
    out = tmp_path_factory.mktemp("durable-build")
    done = subprocess.run(
        [sys.executable, "-m", "statewright", "build", str(SPEC), "--target", "temporal", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    module = out / "temporal" / f"{MODULE}.py"
    assert module.exists(), sorted(str(path) for path in out.rglob("*"))
    return module.parent


@dataclass
class Run:
    """One durability run's files and its Temporal coordinates."""

    address: str
    generated: Path
    directory: Path
    queue: str
    workflow_id: str
    fail: str | None = None

    @property
    def db(self) -> Path:
        """The SQLite file the activities record into."""
        return self.directory / "effects.db"

    def worker(
        self, name: str, *, block: str | None = None, defer: str | None = None
    ) -> subprocess.Popen[bytes]:
        """Start a worker process of the generated module; `block` hangs in it, `defer` completes later."""
        env = dict(os.environ)
        paths = [str(self.generated), str(ROOT), env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
        env["DURABILITY_DB"] = str(self.db)
        env["DURABILITY_FLAGS"] = str(self.directory)
        env.pop("DURABILITY_BLOCK", None)
        env.pop("DURABILITY_FAIL", None)
        env.pop("DURABILITY_DEFER", None)
        if defer is not None:
            env["DURABILITY_DEFER"] = defer
        if block is not None:
            env["DURABILITY_BLOCK"] = block
        if self.fail is not None:
            env["DURABILITY_FAIL"] = self.fail
        command = [
            sys.executable,
            "-m",
            MODULE,
            "--address",
            self.address,
            "--task-queue",
            self.queue,
            "--implementation",
            IMPLEMENTATION,
        ]
        with (self.directory / f"{name}.log").open("wb") as log:
            return subprocess.Popen(
                command, env=env, cwd=self.directory, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self, name: str) -> str:
        """A worker's output, for failure messages."""
        path = self.directory / f"{name}.log"
        return path.read_text("utf-8", errors="replace")[-4000:] if path.exists() else ""

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        """Rows of a query over the activities' records."""
        with sqlite3.connect(self.db, timeout=30) as connection:
            return list(connection.execute(sql))

    def executions(self) -> list[tuple[str, str, int, int, str]]:
        """(action, key, attempt, pid, kind) of every execution, in order."""
        return [
            (str(a), str(k), int(str(n)), int(str(p)), str(kind))
            for a, k, n, p, kind in self.rows(
                "SELECT action, key, attempt, pid, kind FROM executions ORDER BY seq"
            )
        ]

    def effects(self) -> list[tuple[str, str]]:
        """(action, key) of every applied effect, in the order applied."""
        return [(str(a), str(k)) for a, k in self.rows("SELECT action, key FROM effects ORDER BY seq")]

    def key(self, suffix: str) -> str:
        """The idempotency key a step's template gives this instance (`order-{order_id}-<suffix>`)."""
        return f"order-{self.workflow_id}-{suffix}"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Worker processes a test started; any still running at the end are stopped."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        _stop(process)


def _wait_for_flag(run: Run, worker: subprocess.Popen[bytes], flag: Path) -> str:
    deadline = time.monotonic() + BOUND_S
    while not flag.exists():
        assert worker.poll() is None, f"worker 1 exited ({worker.returncode}):\n{run.log('worker1')}"
        assert time.monotonic() < deadline, f"{flag.name} never appeared:\n{run.log('worker1')}"
        time.sleep(0.05)
    return flag.read_text("utf-8")


async def _start(run: Run) -> tuple[Client, WorkflowHandle[Any, Snapshot]]:
    client = await Client.connect(run.address)
    handle = await client.start_workflow(
        WORKFLOW, StartInput(), id=run.workflow_id, task_queue=run.queue, result_type=Snapshot
    )
    answer = await handle.execute_update(SEND_UPDATE, SendRequest(event="submit"), result_type=SendAnswer)
    assert answer.status == "running"
    return client, handle


def _kill_mid_saga(
    run: Run,
    workers: list[subprocess.Popen[bytes]],
    *,
    block: str | None = None,
    defer: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> tuple[Snapshot, list[tuple[str, str, int, int, str]], int, int]:
    """Run the saga, SIGKILL worker 1 once `block` hangs or `defer` waits, and finish on worker 2.

    A deferred activity is confirmed with `confirm` through a client between the
    two workers, while none runs. Returns the final snapshot, every execution
    (action, key, attempt, pid, kind), and the pids of the killed and the
    surviving worker.
    """
    create_tables(run.db)
    first = run.worker("worker1", block=block, defer=defer)
    workers.append(first)
    flag = run.directory / (f"{defer}.deferred" if defer is not None else f"{block}.blocked")

    async def scenario() -> tuple[Snapshot, int]:
        client, handle = await _start(run)
        token = await asyncio.to_thread(_wait_for_flag, run, first, flag)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        if defer is not None:
            await client.get_async_activity_handle(task_token=bytes.fromhex(token)).complete(confirm)
        second = run.worker("worker2")
        workers.append(second)
        try:
            return await asyncio.wait_for(handle.result(), timeout=BOUND_S), second.pid
        except Exception as error:
            raise AssertionError(f"{error!r}\nworker 2:\n{run.log('worker2')}") from error

    snapshot, survivor = asyncio.run(scenario())
    return snapshot, run.executions(), first.pid, survivor


def _run(address: str, generated: Path, tmp_path: Path, fail: str | None = None) -> Run:
    suffix = uuid.uuid4().hex[:12]
    return Run(address, generated, tmp_path, f"durable-{suffix}", f"durable-{suffix}", fail)


def test_worker_killed_mid_step_is_replaced_and_the_saga_ships_each_effect_once(
    temporal_address: str, generated: Path, tmp_path: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    run = _run(temporal_address, generated, tmp_path)
    receipt = f"receipt-{run.key('charge')}"
    snapshot, executions, killed, survivor = _kill_mid_saga(
        run, workers, defer="charge_card", confirm={"receipt": receipt}
    )

    assert snapshot.status == "completed", snapshot
    assert snapshot.active == ["Shipped"]
    assert snapshot.context["payment_receipt"] == receipt
    assert run.effects() == [
        ("reserve_stock", run.key("reserve")),
        ("charge_card", run.key("charge")),
        ("book_courier", run.key("courier")),
        ("hand_over_parcel", run.key("handover")),
    ]
    # The steps before the kill are not run again; the rest run once, on the new worker.
    assert [(a, k, n, p, kind) for a, k, n, p, kind in executions] == [
        ("reserve_stock", run.key("reserve"), 1, killed, "invoke"),
        ("charge_card", run.key("charge"), 1, killed, "invoke"),
        ("book_courier", run.key("courier"), 1, survivor, "invoke"),
        ("hand_over_parcel", run.key("handover"), 1, survivor, "invoke"),
    ]


def test_a_lost_attempt_times_out_on_the_new_worker_and_the_saga_compensates_each_step_once(
    temporal_address: str, generated: Path, tmp_path: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    run = _run(temporal_address, generated, tmp_path)
    snapshot, executions, killed, survivor = _kill_mid_saga(run, workers, block="book_courier")

    assert snapshot.status == "failed", snapshot
    assert snapshot.active == ["Cancelled"]
    assert snapshot.context["payment_receipt"] == f"receipt-{run.key('charge')}"
    # book_courier's lost attempt applied its effect, but the step did not complete: only the
    # completed steps are compensated (LANGUAGE.md §9), in reverse order, each once.
    assert run.effects() == [
        ("reserve_stock", run.key("reserve")),
        ("charge_card", run.key("charge")),
        ("book_courier", run.key("courier")),
        ("refund_card", run.key("refund")),
        ("release_stock", run.key("release")),
    ]
    assert [(a, k, n, p, kind) for a, k, n, p, kind in executions] == [
        ("reserve_stock", run.key("reserve"), 1, killed, "invoke"),
        ("charge_card", run.key("charge"), 1, killed, "invoke"),
        ("book_courier", run.key("courier"), 1, killed, "invoke"),
        ("refund_card", run.key("refund"), 1, survivor, "compensate"),
        ("release_stock", run.key("release"), 1, survivor, "compensate"),
    ]


def test_worker_killed_mid_compensation_is_replaced_and_the_undo_finishes_each_once(
    temporal_address: str, generated: Path, tmp_path: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    run = _run(temporal_address, generated, tmp_path, fail="book_courier")
    snapshot, executions, killed, survivor = _kill_mid_saga(run, workers, defer="refund_card")

    assert snapshot.status == "failed", snapshot
    assert snapshot.active == ["Cancelled"]
    assert run.effects() == [
        ("reserve_stock", run.key("reserve")),
        ("charge_card", run.key("charge")),
        ("refund_card", run.key("refund")),
        ("release_stock", run.key("release")),
    ]
    assert [(a, k, n, p, kind) for a, k, n, p, kind in executions] == [
        ("reserve_stock", run.key("reserve"), 1, killed, "invoke"),
        ("charge_card", run.key("charge"), 1, killed, "invoke"),
        ("book_courier", run.key("courier"), 1, killed, "invoke"),
        ("refund_card", run.key("refund"), 1, killed, "compensate"),
        ("release_stock", run.key("release"), 1, survivor, "compensate"),
    ]


@pytest.fixture(scope="module")
def generated_quick(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same saga with `charge_card`'s step timeout cut to 3 s, generated as its own module."""
    out = tmp_path_factory.mktemp("durable-quick")
    spec = out / "durable_order.wf"
    text = SPEC.read_text("utf-8")
    assert text.count("service payments timeout 60s") == 1
    spec.write_text(text.replace("service payments timeout 60s", "service payments timeout 3s"), "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "statewright", "build", str(spec), "--target", "temporal", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out / "temporal"


def test_a_step_timeout_that_fires_while_no_worker_runs_wins_over_the_late_result(
    temporal_address: str, generated_quick: Path, tmp_path: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    """The timer fired first in the history: the saga compensates, the late receipt is dropped.

    The worker is killed while `charge_card` hangs; its 3 s timeout fires while
    no worker runs, and the retried attempt completes on the new worker, so the
    new worker receives the timer and the completion in one workflow task. The
    runtime would have fired the timer first, and so must the shell (it once
    applied the completion first and shipped the order).
    """
    run = _run(temporal_address, generated_quick, tmp_path)
    snapshot, executions, killed, _survivor = _kill_mid_saga(run, workers, block="charge_card")

    assert snapshot.status == "failed", snapshot
    assert snapshot.active == ["Cancelled"]
    assert snapshot.context["payment_receipt"] == ""
    undone = [(a, k) for a, k, _n, _p, kind in executions if kind == "compensate"]
    assert undone == [("release_stock", run.key("release"))]
    assert ("reserve_stock", run.key("reserve"), 1, killed, "invoke") in executions
