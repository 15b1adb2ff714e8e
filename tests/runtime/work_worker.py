"""A process running the order example's work on SQLite, for the kill -9 test of `run_work`.

`python -m tests.runtime.work_worker DB CALLS`: open the store, print `ready`, then
take orders `o0`, `o1`, ... through submit, the validation work, valid and the
saga's work with `Runtime.run_work`, resuming whatever a killed predecessor left
(an instance that exists is driven on from where it is). Every handler appends
its work key to CALLS and syncs it before it returns, so the file lists (at
least) every call that returned. The test kills the process at random moments.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from decimal import Decimal

from statewright.pipeline import compile_text
from statewright.runtime.definition import Definition
from statewright.runtime.errors import UnknownInstance, WorkflowError
from statewright.runtime.runner import Call, Runtime
from statewright.runtime.sqlite import SQLiteStore
from tests.conftest import ROOT

ACTIONS = (
    "validate_order",
    "open_fulfilment_record",
    "close_fulfilment_record",
    "reserve_stock",
    "charge_card",
    "book_courier",
    "hand_over_parcel",
    "send_dispatch_email",
    "publish_order_shipped",
)


def definition() -> Definition:
    """The order example's definition."""
    source = (ROOT / "examples" / "order_fulfilment.wf").read_text("utf-8")
    machine = compile_text(source, "order_fulfilment.wf").machine
    assert machine is not None
    return Definition(machine)


def handlers(calls: str) -> dict[str, Callable[[Call], object]]:
    """Handlers that record each call's key durably before returning."""
    handle = os.open(calls, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def run(call: Call) -> object:
        os.write(handle, f"{call.key}\n".encode())
        os.fsync(handle)
        return {"receipt": "r-1"} if call.action == "charge_card" else None

    return dict.fromkeys(ACTIONS, run)


def drive(runtime: Runtime, name: str) -> None:
    """Take one order on from wherever it is to `Shipped`, its work run."""
    try:
        instance = runtime.load(name)
    except UnknownInstance:
        instance = runtime.start({"amount": Decimal("99.50")}, instance_id=name)
    for _ in range(20):
        if instance.status != "running":
            runtime.run_work(name)  # the exit and entry work of the final step
            return
        leaf = instance.active[0]
        try:
            if leaf == "Draft":
                runtime.send(name, "submit")
            elif leaf == "Validating" and not runtime.store.work(name):
                runtime.send(name, "valid")
            else:
                runtime.run_work(name)
        except WorkflowError:
            pass
        instance = runtime.load(name)


def main(db: str, calls: str) -> None:
    """Drive orders until killed."""
    with SQLiteStore(db, synchronous="NORMAL") as store:
        runtime = Runtime(definition(), store, handlers(calls), clock=lambda: 1_000)
        print("ready", flush=True)
        number = 0
        while True:
            drive(runtime, f"o{number}")
            number += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
