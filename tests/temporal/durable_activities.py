"""Activities of the durability test (tests/temporal/test_durability.py), run by separate worker processes.

Each activity stands for a call to an idempotent service: it records every
execution (action, key, attempt, pid) and applies its effect at most once per
idempotency key (`ActivityCall.key`), in one SQLite file the test reads. The
environment steers it:

- `DURABILITY_DB`: the SQLite file (tables made by `create_tables`);
- `DURABILITY_FLAGS`: a directory for flag files;
- `DURABILITY_BLOCK`: an action that, after applying its effect, writes the flag
  `<action>.blocked` and then hangs: when the test kills the worker, the effect
  is applied and Temporal never hears of it (the attempt is lost);
- `DURABILITY_DEFER`: an action that, after applying its effect, writes its
  Temporal task token (hex) to the flag `<action>.deferred` and completes
  asynchronously (`activity.raise_complete_async`): the service confirms later,
  through a client, whether or not a worker is alive then;
- `DURABILITY_FAIL`: an action that fails with the error `NoCourier`, which its
  retry policy does not retry (so the saga compensates).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from statewright.temporal.protocol import ActivityCall

FAILURE = "NoCourier"
"""The error the `DURABILITY_FAIL` action raises."""


def create_tables(db: Path) -> None:
    """Create the executions and effects tables the activities write."""
    with sqlite3.connect(db) as connection:
        connection.executescript(
            """
            CREATE TABLE executions (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                action TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL,
                instance TEXT NOT NULL, attempt INTEGER NOT NULL, pid INTEGER NOT NULL
            );
            CREATE TABLE effects (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                key TEXT NOT NULL UNIQUE, action TEXT NOT NULL, pid INTEGER NOT NULL
            );
            """
        )


def _record(call: ActivityCall, *, apply: bool) -> None:
    """Record one execution and, when `apply`, its effect (once per key: a repeat is ignored)."""
    with sqlite3.connect(os.environ["DURABILITY_DB"], timeout=30) as connection:
        connection.execute(
            "INSERT INTO executions (action, key, kind, instance, attempt, pid) VALUES (?, ?, ?, ?, ?, ?)",
            (call.action, call.key, call.kind, call.instance, call.attempt, os.getpid()),
        )
        if apply:
            connection.execute(
                "INSERT OR IGNORE INTO effects (key, action, pid) VALUES (?, ?, ?)",
                (call.key, call.action, os.getpid()),
            )


def _flag(name: str, text: str) -> None:
    """Write a flag file whole (written aside, then renamed), so the test never reads half of it."""
    flags = Path(os.environ["DURABILITY_FLAGS"])
    (flags / f"{name}.part").write_text(text)
    os.replace(flags / f"{name}.part", flags / name)


async def _perform(call: ActivityCall, result: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Run one activity as the environment says: fail, apply the effect (and maybe hang), return."""
    if os.environ.get("DURABILITY_FAIL") == call.action:
        _record(call, apply=False)
        raise ApplicationError("no courier is free today", type=FAILURE)
    _record(call, apply=True)
    if os.environ.get("DURABILITY_DEFER") == call.action:
        _flag(f"{call.action}.deferred", activity.info().task_token.hex())
        activity.raise_complete_async()
    if os.environ.get("DURABILITY_BLOCK") == call.action:
        _flag(f"{call.action}.blocked", str(os.getpid()))
        await asyncio.sleep(3600)  # the test kills this worker here: the completion is never reported
    return result


class DurableOrderActivities:
    """The implementation of every action of tests/temporal/data/durable_order.wf."""

    async def reserve_stock(self, call: ActivityCall) -> dict[str, Any] | None:
        """Reserve the order's stock."""
        return await _perform(call)

    async def release_stock(self, call: ActivityCall) -> dict[str, Any] | None:
        """Release the reserved stock (the compensation of reserve_stock)."""
        return await _perform(call)

    async def charge_card(self, call: ActivityCall) -> dict[str, Any] | None:
        """Charge the card; the receipt names the charge's key, so a repeat returns the same receipt."""
        return await _perform(call, {"receipt": f"receipt-{call.key}"})

    async def refund_card(self, call: ActivityCall) -> dict[str, Any] | None:
        """Refund the charge (the compensation of charge_card)."""
        return await _perform(call)

    async def book_courier(self, call: ActivityCall) -> dict[str, Any] | None:
        """Book a courier."""
        return await _perform(call)

    async def cancel_courier(self, call: ActivityCall) -> dict[str, Any] | None:
        """Cancel the courier (the compensation of book_courier)."""
        return await _perform(call)

    async def hand_over_parcel(self, call: ActivityCall) -> dict[str, Any] | None:
        """Hand the parcel over (the pivot)."""
        return await _perform(call)
