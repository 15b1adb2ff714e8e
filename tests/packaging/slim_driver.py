"""Replays scenarios on generated `python` modules with nothing but `statewright-runtime` installed.

Run by `test_slim_runtime.py` inside a fresh virtual environment that holds only
the slim runtime wheel (no lark, z3, hypothesis, lxml, typer, jinja2): it imports
each generated module, starts a durable instance on SQLite through the module's
own `DEFINITION`, drives the steps read from a JSON file (as the reference
engine, `statewright.testing.python_engine`, does: `do` work succeeds at once,
a timeout fires the state's hard timer, work is reported, retries start at once)
and prints what it saw as JSON: the active states and status after every step.
It must import only the standard library and `statewright.runtime`, like a
deployed service.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
from collections.abc import Mapping
from typing import Any

from statewright.runtime.codec import decode_value
from statewright.runtime.errors import WorkflowError
from statewright.runtime.runner import Call, Runtime
from statewright.runtime.sqlite import SQLiteStore

INSTANCE = "slim"
START_MS = 1_767_225_600_000


class Clock:
    """A clock that moves only when a timeout fires."""

    def __init__(self) -> None:
        self.now = START_MS

    def __call__(self) -> int:
        return self.now


def succeed(call: Call) -> None:
    """Every `do` handler succeeds."""


def status(runtime: Runtime) -> str:
    """The instance's status as scenarios name it."""
    value = runtime.load(INSTANCE).status
    return {"completed": "succeeded", "failed": "failed", "cancelled": "failed"}.get(value, "running")


def drain(runtime: Runtime) -> None:
    """Run `do` actions and deliver emitted events until none is owed."""
    for _ in range(1000):
        if runtime.load(INSTANCE).status == "paused" or runtime.run_work(INSTANCE, kinds=("do", "emit")) == 0:
            return


def retry_now(runtime: Runtime, store: SQLiteStore, state: str) -> None:
    """Fire the state's pending retry timer: scenarios skip backoff time."""
    for timer in store.timers(INSTANCE):
        if timer.kind == "retry" and timer.state == state:
            runtime.fire_now(INSTANCE, timer.key)


def perform(runtime: Runtime, store: SQLiteStore, clock: Clock, step: Mapping[str, Any]) -> bool:
    """One step; False when it was refused or had nothing to act on."""
    if step["kind"] == "send":
        runtime.send(
            INSTANCE,
            step["event"],
            actor=step["actor"],
            permissions=step["permissions"],
            scope=step["scope"],
            evidence=step["evidence"] or None,
            delegate_to=step["delegate_to"],
            data={k: decode_value(v) for k, v in step["data"].items()} or None,
        )
        return True
    if step["kind"] == "timeout":
        timers = [
            t
            for t in store.timers(INSTANCE)
            if t.state == step["state"] and t.kind in ("timeout", "heartbeat")
        ]
        if not timers:
            return False
        timer = min(timers, key=lambda t: (t.due_ms, t.key))
        clock.now = max(clock.now, timer.due_ms)
        before = runtime.load(INSTANCE).version
        runtime.fire_now(INSTANCE, timer.key)
        retry_now(runtime, store, step["state"])
        return runtime.load(INSTANCE).version != before
    work = next((w for w in store.work(INSTANCE) if w.kind == "invoke" and w.state == step["state"]), None)
    if work is None:
        return False
    runtime.report(
        INSTANCE,
        work.key,
        step["error"],
        result={k: decode_value(v) for k, v in step["result"].items()} if step["error"] is None else None,
        message=step["message"] if step["error"] is not None else None,
    )
    retry_now(runtime, store, step["state"])
    return True


def replay(module_name: str, database: str, scenario: Mapping[str, Any]) -> list[list[Any]]:
    """[active, status] after the start and after each step of one scenario."""
    module = importlib.import_module(module_name)
    clock = Clock()
    with SQLiteStore(database) as store:
        runtime = Runtime(
            module.DEFINITION,
            store,
            handlers=dict.fromkeys(scenario["do_actions"], succeed),
            clock=clock,
        )
        context = {k: decode_value(v) for k, v in scenario["context"].items()}
        runtime.start(context, instance_id=INSTANCE)
        drain(runtime)
        seen = [[sorted(runtime.load(INSTANCE).active), status(runtime)]]
        for step in scenario["steps"]:
            with contextlib.suppress(WorkflowError):  # a refused step is observed like any other
                perform(runtime, store, clock, step)
            drain(runtime)
            seen.append([sorted(runtime.load(INSTANCE).active), status(runtime)])
        return seen


def main() -> None:
    """`slim_driver.py PLAN.json MODULES_DIR OUT_DIR`: replay the plan's scenarios, print what was seen."""
    sys.path.insert(0, sys.argv[2])
    with open(sys.argv[1], encoding="utf-8") as plan_file:
        plan = json.load(plan_file)
    out: dict[str, list[list[list[Any]]]] = {}
    for module_name, scenarios in plan.items():
        out[module_name] = [
            replay(module_name, f"{sys.argv[3]}/{module_name}-{number}.db", scenario)
            for number, scenario in enumerate(scenarios)
        ]
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
