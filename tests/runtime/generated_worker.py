"""A process driving a generated workflow module on SQLite, for the crash and concurrency tests.

`drive MODULE_DIR DB ID`: import the generated `counter` module from MODULE_DIR,
start instance ID unless it exists, print `started`, then send `ping` / `pong`
forever, each with the client key `k<n>` (n counts the events already in the
log, so a restarted driver continues where the log ends), printing `ack <n>`
once each send has returned; the test kills it.

`race MODULE_DIR DB ID N NAME`: print `ready`, wait for a line on stdin, then
send `bump` N times with the keys `NAME:<i>`, retrying on `ConcurrentUpdate`,
and print `done <conflicts>`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

from statewright.runtime.errors import ConcurrentUpdate, UnknownInstance


def _events_in_log(handle: Any) -> int:
    return sum(1 for record in handle.audit() if record.kind == "event" and record.outcome == "applied")


def drive(module: Any, db: str, instance_id: str) -> None:
    """Send events forever, acknowledging each on stdout after it returned."""
    with module.Counter(db, clock=lambda: 1_000) as flow:
        try:
            handle = flow.instance(instance_id)
        except UnknownInstance:
            handle = flow.start(instance_id=instance_id)
        print("started", flush=True)
        number = _events_in_log(handle)
        while True:
            number += 1
            event = "ping" if number % 2 else "pong"
            handle.send(event, key=f"k{number}")
            print(f"ack {number}", flush=True)


def race(module: Any, db: str, instance_id: str, times: int, name: str) -> int:
    """Bump the counter `times` times against another process; return the conflicts retried."""
    with module.Counter(db, clock=lambda: 1_000) as flow:
        handle = flow.instance(instance_id)
        print("ready", flush=True)
        sys.stdin.readline()
        conflicts = 0
        for number in range(times):
            while True:
                try:
                    handle.send("bump", key=f"{name}:{number}")
                    break
                except ConcurrentUpdate:
                    conflicts += 1
        return conflicts


def main() -> None:
    """Parse the arguments and run one mode."""
    parser = argparse.ArgumentParser(description=__doc__)
    modes = parser.add_subparsers(dest="mode", required=True)
    driving = modes.add_parser("drive")
    racing = modes.add_parser("race")
    for sub in (driving, racing):
        sub.add_argument("folder")
        sub.add_argument("db")
        sub.add_argument("instance")
    racing.add_argument("times", type=int)
    racing.add_argument("name")
    args = parser.parse_args()
    sys.path.insert(0, args.folder)
    module = importlib.import_module("counter")
    if args.mode == "drive":
        drive(module, args.db, args.instance)
    else:
        print(f"done {race(module, args.db, args.instance, args.times, args.name)}", flush=True)


if __name__ == "__main__":
    main()
