"""Benchmark: in-memory event dispatch against a dict-of-dicts floor, `transitions` and python-statemachine.

Usage: python benchmarks/runtime_dispatch.py [--states 100] [--events 200000] [--repeats 5]

All contenders run the same machine in one process: a ring of `--states` states
where `next` moves on and `back` moves back. The floor is the least any
dispatcher can do: `state = table[state][event]` in a loop. Each contender's
time per event is the median of `--repeats` runs, interleaved, reported as a
ratio to the floor's median. The goal for the generated module's compiled
dispatch (`RingMachine.send`, every move a pure move through
`runtime/fastpath.py`) is <= 1.5x the floor; the engine's pure step
(`engine.send`, which also builds the audit record and its stamp for a durable
commit) is reported for comparison, as are the peers.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from statewright.compiler import ir
from statewright.pipeline import compile_text
from statewright.runtime import engine
from statewright.runtime.definition import Definition

GOAL = 1.5


def spec(states: int) -> str:
    """The ring workflow as `.wf` text."""
    lines = []
    for i in range(states):
        initial = "initial " if i == 0 else ""
        forward, backward = (i + 1) % states, (i - 1) % states
        lines.append(f"  {initial}state S{i} {{ on next -> S{forward}  on back -> S{backward} }}")
    body = "\n".join(lines)
    return f"workflow Ring {{\n  events {{ next, back }}\n{body}\n}}\n"


def events_of(count: int) -> list[str]:
    """A fixed, mixed event sequence (mostly forward, so the ring keeps turning)."""
    return ["back" if i % 5 == 4 else "next" for i in range(count)]


def floor(states: int, events: list[str]) -> float:
    """Seconds for the dict-of-dicts loop."""
    table = {f"S{i}": {"next": f"S{(i + 1) % states}", "back": f"S{(i - 1) % states}"} for i in range(states)}
    state = "S0"
    started = time.perf_counter()
    for event in events:
        state = table[state][event]
    return time.perf_counter() - started


def pure_engine(machine: ir.Machine, events: list[str]) -> float:
    """Seconds for `engine.send` on an in-memory snapshot (no store)."""
    definition = Definition(machine)
    instance = engine.start(definition, "bench", {}, 0).commit.instance
    started = time.perf_counter()
    for event in events:
        instance = engine.send(definition, instance, event, 0).commit.instance
    return time.perf_counter() - started


def generated_module(machine: ir.Machine) -> Any:
    """Generate the python target's module for the ring and import it."""
    from statewright.targets.python import render_module

    folder = Path(tempfile.mkdtemp(prefix="sw-bench-"))
    path = folder / "ring_generated.py"
    path.write_text(render_module(machine, "ring.wf"), "utf-8")
    module_spec = importlib.util.spec_from_file_location("ring_generated", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules["ring_generated"] = module
    module_spec.loader.exec_module(module)
    return module


def generated(module: Any, events: list[str]) -> float:
    """Seconds for the generated in-memory machine's `send(event)`."""
    fast = module.RingMachine(clock=lambda: 0)
    send: Callable[[str], Any] = fast.send
    started = time.perf_counter()
    for event in events:
        send(event)
    return time.perf_counter() - started


def generated_methods(module: Any, events: list[str]) -> float:
    """Seconds for the generated event methods (`ring.next()`, `ring.back()`)."""
    fast = module.RingMachine(clock=lambda: 0)
    calls: list[Callable[[], Any]] = [fast.next if event == "next" else fast.back for event in events]
    started = time.perf_counter()
    for call in calls:
        call()
    return time.perf_counter() - started


def with_transitions(states: int, events: list[str]) -> float:
    """Seconds for the `transitions` library's `Machine` with one model."""
    from transitions import Machine

    names = [f"S{i}" for i in range(states)]
    table = [["next", names[i], names[(i + 1) % states]] for i in range(states)]
    table += [["back", names[i], names[(i - 1) % states]] for i in range(states)]

    class Model:
        pass

    model = Model()
    Machine(model=model, states=names, transitions=table, initial="S0", auto_transitions=False)
    trigger = model.trigger  # type: ignore[attr-defined]
    started = time.perf_counter()
    for event in events:
        trigger(event)
    return time.perf_counter() - started


def with_python_statemachine(states: int, events: list[str]) -> float:
    """Seconds for python-statemachine's `StateMachine.send`."""
    from statemachine import State, StateMachine

    members: dict[str, Any] = {f"S{i}": State(initial=(i == 0)) for i in range(states)}
    forward = members["S0"].to(members["S1"])
    backward = members["S0"].to(members[f"S{states - 1}"])
    for i in range(1, states):
        forward |= members[f"S{i}"].to(members[f"S{(i + 1) % states}"])
        backward |= members[f"S{i}"].to(members[f"S{(i - 1) % states}"])
    members["next"] = forward
    members["back"] = backward
    ring = type("RingSM", (StateMachine,), members)()
    send = ring.send
    started = time.perf_counter()
    for event in events:
        send(event)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run every contender on the same events, interleaved, and print medians as ratios to the floor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=100)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    machine = compile_text(spec(args.states), "ring.wf").machine
    assert machine is not None
    events = events_of(args.events)
    peer_events = events[: max(1, args.events // 20)]  # the peers are slow; time fewer events, scale
    scale = len(events) / len(peer_events)
    module = generated_module(machine)
    contenders: list[tuple[str, Callable[[], float]]] = [
        ("dict-of-dicts floor", lambda: floor(args.states, events)),
        ("statewright generated Machine.send", lambda: generated(module, events)),
        ("statewright generated event methods", lambda: generated_methods(module, events)),
        ("statewright engine.send (pure step)", lambda: pure_engine(machine, peer_events) * scale),
        ("transitions Machine.trigger", lambda: with_transitions(args.states, peer_events) * scale),
        ("python-statemachine send", lambda: with_python_statemachine(args.states, peer_events) * scale),
    ]
    timings: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for _ in range(args.repeats):
        for name, run in contenders:
            timings[name].append(run())
    medians = {name: statistics.median(times) for name, times in timings.items()}
    base = medians["dict-of-dicts floor"]
    print(f"events: {args.events} on a ring of {args.states} states")
    for name, seconds in medians.items():
        per = seconds / args.events * 1e9
        print(f"{name}: {per:,.0f} ns/event, {seconds / base:,.2f}x floor")
    print(
        f"median of {args.repeats} interleaved runs; goal for Machine.send: <= {GOAL}x floor; "
        f"Python {platform.python_version()}, {platform.machine()}, {_versions()}"
    )
    return 0


def _versions() -> str:
    from importlib.metadata import version

    return ", ".join(
        f"{name} {version(name)}" for name in ("statewright", "transitions", "python-statemachine")
    )


if __name__ == "__main__":
    sys.exit(main())
