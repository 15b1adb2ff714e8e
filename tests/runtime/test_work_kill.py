"""`run_work` under kill -9: work is never marked done before its handler returned, and nothing is lost.

A child process (`work_worker.py`) runs orders of the order example through
their validation and saga work while the test kills it at random moments (12
runs on one file; each run resumes what the last left). `run_work` marks the
`do` work it ran done with the instance's next commit, or at the end of the run
(LANGUAGE.md §6), so a kill between a handler and its mark runs it again; it
must never mark done what did not run, nor lose what is owed. After each kill:
every instance's log replays to it; every work item marked done, or finished by
a step, was called (its key is in the handlers' log); and after the last kill a
fresh runtime finishes every order, each ending `Shipped`.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from statewright.runtime import replay
from statewright.runtime.runner import Runtime
from statewright.runtime.sqlite import SQLiteStore
from tests.conftest import ROOT
from tests.runtime import work_worker


def _start(db: Path, calls: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.Popen(
        [sys.executable, "-m", "tests.runtime.work_worker", str(db), str(calls)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )


def _finished_keys(db: Path) -> set[tuple[str, str]]:
    """(instance, key) of every work item the store no longer owes: marked done, or dropped."""
    conn = sqlite3.connect(db)
    try:
        return {(name, key) for name, key in conn.execute("SELECT instance, key FROM work WHERE done = 1")}
    finally:
        conn.close()


def test_killed_run_work_never_marks_unrun_work_done_and_loses_nothing(tmp_path: Path) -> None:
    db, calls = tmp_path / "work.db", tmp_path / "calls.log"
    definition = work_worker.definition()
    rng = random.Random(20_261_207)
    for _ in range(12):
        process = _start(db, calls)
        try:
            assert process.stdout is not None
            line = process.stdout.readline().decode().strip()
            assert line == "ready", process.stderr.read().decode() if process.stderr else line
            time.sleep(rng.uniform(0.05, 0.4))
        finally:
            process.kill()
            process.communicate(timeout=10)
        assert process.returncode == -9
        called = set(calls.read_text("utf-8").split()) if calls.exists() else set()
        with SQLiteStore(db) as store:
            names = [instance.id for instance in store.instances()]
            for name in names:
                replay.check(definition, store, name)
        assert {key for _, key in _finished_keys(db)} <= called
    with SQLiteStore(db) as store:
        runtime = Runtime(definition, store, work_worker.handlers(str(calls)), clock=lambda: 1_000)
        for name in names:
            work_worker.drive(runtime, name)
        assert {instance.active for instance in store.instances()} == {("Shipped",)}
        assert store.work() == []
    assert len(names) > 3
