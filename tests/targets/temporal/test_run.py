"""A generated module on a real Temporal server: its worker, its typed updates, its query, its activities.

The equivalence with the Python runtime over every example is `statewright test
--targets temporal` (the test engine); this checks the generated module's own
surface: the typed update's kw-only input crosses Temporal's data converter,
decimals travel as the codec writes them, a refusal fails the update with the
runtime's reason, an activity's typed result reaches the context.
"""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from statewright.targets.temporal import render_module
from statewright.temporal import protocol
from statewright.temporal.worker import make_worker
from tests.targets.temporal.support import machine_of

SPEC = """workflow Till {
  context { total: decimal = 0  receipt: string = "" }
  events {
    pay(amount: decimal 0..1000, note: string = "")
    close
  }
  initial state Open {
    on pay when event.amount > 0 -> Charging { set total = event.amount }
    reject close "nothing was paid"
  }
  state Charging {
    invoke charge key "charge-{total}" returns { receipt: string }
    done -> Paid { set receipt = result.receipt }
  }
  state Paid { on close -> Closed }
  final state Closed
}
"""


@pytest.fixture
def module(tmp_path: Path) -> Iterator[ModuleType]:
    """The generated module, importable by name (the workflow sandbox re-imports it by name)."""
    name = f"till_temporal_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(render_module(machine_of(SPEC), "till.wf"), "utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


class Charges:
    """The activities' implementation: a receipt naming the idempotency key."""

    async def charge(self, call: protocol.ActivityCall) -> dict[str, Any]:
        return {"receipt": f"r-{call.key}"}


async def _scenario(module: ModuleType, address: str) -> tuple[Any, ...]:
    client = await Client.connect(address)
    queue = f"till-{uuid.uuid4().hex}"
    worker = make_worker(client, queue, [module.TillWorkflow], module.activities(Charges()))
    async with worker:
        handle = await client.start_workflow(
            module.TillWorkflow.run,
            module.TillStart(receipt="none yet").to_input(),
            id=f"till-{uuid.uuid4().hex}",
            task_queue=queue,
        )
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(module.TillWorkflow.close, module.CloseUpdate(actor="ann"))
        answer = await handle.execute_update(module.TillWorkflow.pay, module.PayUpdate(amount="12.50"))
        for _ in range(200):
            snapshot = await handle.query(module.TillWorkflow.snapshot)
            if snapshot.active == ["Paid"]:
                break
            await asyncio.sleep(0.05)
        await handle.execute_update(module.TillWorkflow.close, module.CloseUpdate())
        final = await handle.result()
    return refused.value, answer, snapshot, final


def test_the_module_runs_on_temporal(module: ModuleType, temporal_address: str) -> None:
    refused, answer, snapshot, final = asyncio.run(_scenario(module, temporal_address))
    cause = refused.cause
    assert isinstance(cause, ApplicationError) and cause.type == "EventRejected"
    assert "nothing was paid" in str(cause)
    assert answer.active == ["Charging"]
    assert Decimal(snapshot.context["total"]["$decimal"]) == Decimal("12.50")
    assert snapshot.context["receipt"].startswith("r-charge-12.5")
    assert final.status == "completed" and final.active == ["Closed"]
    assert Decimal(final.context["total"]["$decimal"]) == Decimal("12.50")


IMPLEMENTATION = """
class Charges:
    async def charge(self, call):
        return {"receipt": "r-" + call.key}
"""


async def _through_main(module: ModuleType, address: str, folder: Path) -> Any:
    """Run the module's own `__main__` worker in a process of its own and take one instance to its end."""
    (folder / "till_charges.py").write_text(IMPLEMENTATION, "utf-8")
    queue = f"till-main-{uuid.uuid4().hex}"
    arguments = ["--address", address, "--task-queue", queue, "--implementation", "till_charges:Charges"]
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module.__name__, *arguments, cwd=folder
    )
    try:
        client = await Client.connect(address)
        handle = await client.start_workflow(
            module.TillWorkflow.run, protocol.StartInput(), id=f"till-{uuid.uuid4().hex}", task_queue=queue
        )
        await handle.execute_update(module.TillWorkflow.pay, module.PayUpdate(amount="3.00"))
        for _ in range(400):
            if (await handle.query(module.TillWorkflow.snapshot)).active == ["Paid"]:
                break
            await asyncio.sleep(0.05)
        await handle.execute_update(module.TillWorkflow.close, module.CloseUpdate())
        return await asyncio.wait_for(handle.result(), 60)
    finally:
        worker.terminate()
        await worker.wait()


def test_the_modules_command_line_runs_a_worker(
    module: ModuleType, temporal_address: str, tmp_path: Path
) -> None:
    """`python -m <module> --implementation module:Class` serves the workflow and the activities."""
    final = asyncio.run(_through_main(module, temporal_address, tmp_path))
    assert final.status == "completed" and final.context["receipt"] == "r-charge-3"


def test_the_command_line_refuses_a_malformed_implementation(module: ModuleType, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module.__name__, "--implementation", "no_colon"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "module:Class" in done.stderr
