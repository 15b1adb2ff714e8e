"""kill -9 during a repair: the stored instance is exactly as before or exactly as after, never between.

Each operation runs in a child process on a copy of a prepared SQLite store and is
killed (SIGKILL) at a random moment after the child opened the store, many times
within a time budget. Afterwards the store holds either the snapshot from before
the repair or the one a run left to finish makes (instance, audit log, timers,
owed work: all compared), and the log replays (`run verify`).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from statewright.runtime import replay
from statewright.runtime.runner import Runtime
from statewright.runtime.sqlite import SQLiteStore
from tests.conftest import ROOT
from tests.operations.support import Handlers, Timeout, into_saga, order, run_invoke, start

BUDGET_S = 25.0
"""Wall time each operation's kill loop may take (the machine is shared)."""
MIN_RUNS = 8
"""Kills each operation gets at least, whatever the budget."""


def prepared(path: Path, operation: str) -> None:
    """A store where `operation` applies to instance `o1`."""
    handlers = Handlers()
    if operation == "redrive":
        handlers.failing["validate_order"] = Timeout
    clock = [1_000]
    rt = Runtime(order(), SQLiteStore(path), handlers.table(), clock=lambda: clock[0])
    if operation == "redrive":
        start(rt)
        for _ in range(4):
            run_invoke(rt)
            clock[0] += 5_000
            rt.tick()
        assert rt.load("o1").active == ("Quarantine",)
    else:
        into_saga(rt, 2)
    rt.store.close()


def state(path: Path) -> tuple[Any, ...]:
    """Everything the repair may change, as stored."""
    store = SQLiteStore(path)
    try:
        found = (store.load("o1"), list(store.records("o1")), store.timers("o1"), store.work("o1"))
        replay.check(order(), store, "o1")
    finally:
        store.close()
    return found


def child(path: Path, operation: str) -> subprocess.Popen[str]:
    """Start the worker that repairs `o1` in the store at `path`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.operations.killed_worker", str(path), operation],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def finish(path: Path, operation: str) -> float:
    """Let the worker run to the end; return the seconds from its `ready` to its `done`."""
    process = child(path, operation)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    ready = time.monotonic()
    assert process.stdout.readline().strip() == "done"
    took = time.monotonic() - ready
    assert process.wait(timeout=120) == 0
    return took


@pytest.mark.parametrize("operation", ["reroute", "rollback", "redrive"])
def test_a_killed_repair_leaves_the_instance_before_or_after(tmp_path: Path, operation: str) -> None:
    base = tmp_path / "base.db"
    prepared(base, operation)
    before = state(base)
    done = tmp_path / "done.db"
    shutil.copy(base, done)
    took = finish(done, operation)
    after = state(done)
    assert after != before and after[1][-1].kind == operation
    seen: dict[str, int] = {"before": 0, "after": 0}
    rng = random.Random(19)
    deadline = time.monotonic() + BUDGET_S
    runs = 0
    while runs < MIN_RUNS or time.monotonic() < deadline:
        runs += 1
        path = tmp_path / f"run{runs}.db"
        shutil.copy(base, path)
        process = child(path, operation)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, took * 1.5))  # mostly while it repairs, now and then after
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        found = state(path)
        assert found in (before, after), f"run {runs}: the store is between before and after"
        seen["before" if found == before else "after"] += 1
        _cleanup(path)
    assert runs >= MIN_RUNS
    assert seen["before"] + seen["after"] == runs


def _cleanup(path: Path, remove: Callable[[Path], None] = Path.unlink) -> None:
    """Remove a run's store (and its journal files)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            remove(candidate)
