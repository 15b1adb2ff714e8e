"""A store-writing process for the crash and concurrency tests (run with the repository root on PYTHONPATH).

`loop PATH ID [--batch N]`: create the counter instance if it is missing, print
`started`, then increment it forever (N increments per `batch()` if given), each
increment with the idempotency key `n<new count>`; the test kills it.

`count PATH ID N NAME`: print `ready`, wait for a line on stdin, then increment
the counter N times (load, build, apply; retrying on `ConcurrentUpdate`) with
the keys `NAME:<i>`, and print `done <conflicts>`.
"""

from __future__ import annotations

import argparse
import sys

from statewright.runtime.errors import ConcurrentUpdate, UnknownInstance
from statewright.runtime.sqlite import SQLiteStore
from tests.runtime.commits import count_of, created, incremented


def loop(store: SQLiteStore, instance_id: str, batch: int) -> None:
    """Increment the counter forever."""
    try:
        instance = store.load(instance_id)
    except UnknownInstance:
        commit = created(instance_id)
        store.apply(commit)
        instance = commit.instance
    print("started", flush=True)
    while True:
        if batch > 1:
            with store.batch():
                for _ in range(batch):
                    commit = incremented(instance, key=f"n{count_of(instance) + 1}")
                    store.apply(commit)
                    instance = commit.instance
        else:
            commit = incremented(instance, key=f"n{count_of(instance) + 1}")
            store.apply(commit)
            instance = commit.instance


def count(store: SQLiteStore, instance_id: str, times: int, name: str) -> int:
    """Increment the counter `times` times against another writer; return how many conflicts were retried."""
    print("ready", flush=True)
    sys.stdin.readline()
    conflicts = 0
    for number in range(times):
        while True:
            commit = incremented(store.load(instance_id), key=f"{name}:{number}")
            try:
                store.apply(commit)
                break
            except ConcurrentUpdate:
                conflicts += 1
    return conflicts


def main() -> None:
    """Parse the arguments and run one mode."""
    parser = argparse.ArgumentParser(description=__doc__)
    modes = parser.add_subparsers(dest="mode", required=True)
    looping = modes.add_parser("loop")
    looping.add_argument("path")
    looping.add_argument("instance")
    looping.add_argument("--batch", type=int, default=1)
    counting = modes.add_parser("count")
    counting.add_argument("path")
    counting.add_argument("instance")
    counting.add_argument("times", type=int)
    counting.add_argument("name")
    args = parser.parse_args()
    with SQLiteStore(args.path) as store:
        if args.mode == "loop":
            loop(store, args.instance, args.batch)
        else:
            conflicts = count(store, args.instance, args.times, args.name)
            print(f"done {conflicts}", flush=True)


if __name__ == "__main__":
    main()
