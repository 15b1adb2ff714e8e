"""Benchmark: durable transitions per second on SQLite, against a raw SQLite insert+commit loop.

Usage: python benchmarks/runtime_durable.py [--events 2000] [--batch 50] [--dir DIR]

Both sides use the same file system, journal mode (WAL) and `synchronous=FULL`,
so both pay one durable commit per step. The floor inserts one row of the same
size as an audit record and commits; the runtime applies a real step (snapshot
update, hash-chained audit record, idempotency key, timer changes) of a
two-state ping-pong workflow. A batched mode applies `--batch` steps per
transaction (what a bulk importer would use). The issue's goal: the runtime
reaches at least 0.8x the raw loop's rate.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from statewright.compiler import ir
from statewright.pipeline import compile_text
from statewright.runtime import engine
from statewright.runtime.definition import Definition
from statewright.runtime.runner import Runtime
from statewright.runtime.sqlite import SQLiteStore

PING_PONG = """workflow PingPong {
  context { count: int >= 0 = 0 }
  events { ping, pong }
  initial state A { on ping -> B { set count = count + 1 }  timeout 1h -> B }
  state B { on pong -> A  timeout 1h -> A }
}
"""
GOAL = 0.8


def raw_loop(path: Path, count: int, payload: str) -> float:
    """Steps per second of a bare INSERT + COMMIT loop in WAL mode with synchronous=FULL."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, data TEXT)")
    started = time.perf_counter()
    for _ in range(count):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO rows (data) VALUES (?)", (payload,))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


def runtime_loop(path: Path, count: int) -> tuple[float, int]:
    """Events per second through `Runtime.send` on a `SQLiteStore`; also the size of one record."""
    definition = Definition(_machine())
    with SQLiteStore(path) as store:
        runtime = Runtime(definition, store, clock=lambda: 1_000)
        runtime.start(instance_id="bench")
        started = time.perf_counter()
        for number in range(count):
            runtime.send("bench", "ping" if number % 2 == 0 else "pong")
        elapsed = time.perf_counter() - started
        size = len(str(store.records("bench")[-1]))
    return count / elapsed, size


def batched_loop(path: Path, count: int, batch: int) -> float:
    """Events per second when `batch` steps share one transaction (`SQLiteStore.batch`)."""
    definition = Definition(_machine())
    with SQLiteStore(path) as store:
        step = engine.start(definition, "bench", {}, 1_000)
        store.apply(step.commit)
        instance = step.commit.instance
        started = time.perf_counter()
        done = 0
        while done < count:
            with store.batch():
                for _ in range(min(batch, count - done)):
                    event = "ping" if done % 2 == 0 else "pong"
                    step = engine.send(definition, instance, event, 1_000)
                    store.apply(step.commit)
                    instance = step.commit.instance
                    done += 1
        elapsed = time.perf_counter() - started
    return count / elapsed


def _machine() -> ir.Machine:
    result = compile_text(PING_PONG, "ping_pong.wf")
    assert result.machine is not None, result.diagnostics
    return result.machine


def main(argv: list[str] | None = None) -> int:
    """Run the three loops in one process, on one directory, and print rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        rate, size = runtime_loop(folder / "runtime.db", args.events)
        floor = raw_loop(folder / "raw.db", args.events, "x" * size)
        batched = batched_loop(folder / "batched.db", args.events, args.batch)
    print(f"events: {args.events} (record size ~{size} bytes)")
    print(f"raw sqlite insert+commit: {floor:,.0f}/s")
    print(f"runtime durable send:     {rate:,.0f}/s  ratio {rate / floor:.2f}x (goal >= {GOAL}x)")
    print(f"runtime batched ({args.batch}/txn):  {batched:,.0f}/s  ratio {batched / floor:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
