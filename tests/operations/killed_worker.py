"""A child process for the kill -9 test: runs one operator repair on a SQLite store.

`python -m tests.operations.killed_worker DB OPERATION` prints `ready` once the
runtime is open, then applies the repair to instance `o1` (at a fixed time, so
every run computes the same commit) and prints `done`. The test kills it at a
random moment in between.
"""

from __future__ import annotations

import sys

from statewright.runtime.runner import Runtime
from statewright.runtime.sqlite import SQLiteStore
from tests.operations.support import OPERATOR, Handlers, order

NOW = 10_000_000
"""The repair's time: the same in every run."""


def repair(runtime: Runtime, operation: str) -> None:
    """Apply `operation` (reroute, rollback or redrive) to instance `o1`."""
    if operation == "reroute":
        runtime.reroute("o1", "Quarantine", **OPERATOR)
    elif operation == "rollback":
        runtime.rollback("o1", **OPERATOR)
    else:
        runtime.redrive("o1", **OPERATOR)


def main(path: str, operation: str) -> None:
    """Open the store, say so, and repair."""
    runtime = Runtime(order(), SQLiteStore(path), Handlers().table(), clock=lambda: NOW)
    runtime.load("o1")
    print("ready", flush=True)
    repair(runtime, operation)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
