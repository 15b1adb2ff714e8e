"""Generated code on SQLite under SIGKILL and under two racing processes: nothing lost, nothing doubled.

A child process imports a generated module and drives transitions through its
durable workflow class; the test kills it at random moments (20 runs on one
file). After each kill the store opens, the audit log replays to the stored
instance record for record, every event the driver saw acknowledged is in the
log, and no client key appears twice. Two processes sending to one instance
never apply a transition twice.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from statewright.pipeline import compile_text
from statewright.runtime import replay
from statewright.runtime.definition import Definition
from statewright.runtime.sqlite import SQLiteStore
from statewright.targets.python import render_module

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("generated_worker.py")

COUNTER = """workflow Counter {
  context { count: int >= 0 = 0 }
  events { ping, pong, bump }
  initial state A {
    on ping -> B { set count = count + 1 }
    on bump -> A { set count = count + 1 }
    timeout 1h -> B
  }
  state B { on pong -> A  on bump -> B { set count = count + 1 }  timeout 1h -> A }
}
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Definition]:
    """The counter's generated module in a folder of its own, and its definition."""
    result = compile_text(COUNTER, "counter.wf")
    assert result.machine is not None, result.diagnostics
    folder = tmp_path_factory.mktemp("generated")
    (folder / "counter.py").write_text(render_module(result.machine, "counter.wf"), "utf-8")
    return folder, Definition(result.machine)


def start(*args: str) -> subprocess.Popen[bytes]:
    """Start the worker."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )


def first_line(process: subprocess.Popen[bytes], expected: str) -> None:
    """Read the worker's next line; fail with its stderr unless it starts with `expected`."""
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    if not line.startswith(expected):
        process.kill()
        _, errors = process.communicate(timeout=10)
        pytest.fail(f"worker said {line!r}, not {expected!r}:\n{errors.decode()}")


def test_sigkill_loses_and_doubles_nothing(generated: tuple[Path, Definition], tmp_path: Path) -> None:
    """20 kills at random moments: the log replays, holds every acknowledged event once, in order."""
    folder, definition = generated
    db = tmp_path / "crash.db"
    rng = random.Random(20_261_203)
    applied_before = 0
    for _ in range(20):
        process = start("drive", str(folder), str(db), "c1")
        try:
            first_line(process, "started")
            time.sleep(rng.uniform(0.02, 0.25))
        finally:
            process.kill()
            output, _ = process.communicate(timeout=10)
        assert process.returncode == -9
        acked = [int(line.split()[1]) for line in output.decode().split("\n") if line.startswith("ack ")]
        with SQLiteStore(db) as store:
            rebuilt = replay.check(definition, store, "c1")
            records = list(store.records("c1"))
            keys = [r.key for r in records if r.key is not None]
            events = [r for r in records if r.kind == "event"]
        assert len(keys) == len(set(keys))
        assert keys == [f"k{n}" for n in range(1, len(keys) + 1)]
        assert all(f"k{n}" in keys for n in acked)
        assert len(events) >= applied_before
        assert rebuilt.context["count"] == sum(1 for r in events if r.event == "ping")
        applied_before = len(events)
    assert applied_before > 20


def test_two_processes_never_apply_a_transition_twice(
    generated: tuple[Path, Definition], tmp_path: Path
) -> None:
    """Two drivers bump one instance 60 times each: 120 increments, each key once, the log replays."""
    folder, definition = generated
    db = tmp_path / "race.db"
    result = compile_text(COUNTER, "counter.wf")
    assert result.machine is not None
    sys.path.insert(0, str(folder))
    try:
        import counter  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(folder))
    with counter.Counter(db, clock=lambda: 1_000) as flow:
        flow.start(instance_id="r1")
    times = 60
    workers = [start("race", str(folder), str(db), "r1", str(times), name) for name in ("left", "right")]
    try:
        for process in workers:
            first_line(process, "ready")
        for process in workers:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            process.stdin.flush()
        for process in workers:
            first_line(process, "done")
            process.communicate(timeout=120)
            assert process.returncode == 0
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=10)
    with SQLiteStore(db) as store:
        rebuilt = replay.check(definition, store, "r1")
        keys = [r.key for r in store.records("r1") if r.key is not None]
    assert rebuilt.context["count"] == 2 * times
    assert sorted(keys) == sorted(f"{name}:{n}" for name in ("left", "right") for n in range(times))
