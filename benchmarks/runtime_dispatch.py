"""Benchmark: in-memory event dispatch against a dict-of-dicts floor, `transitions` and python-statemachine.

Usage: python -m benchmarks.runtime_dispatch [--states 100] [--events 200000] [--repeats 5] [--json]

All contenders run the same machine in one process: a ring of `--states` states
where `next` moves on and `back` moves back. The floor is the least any
dispatcher can do: `state = table[state][event]` in a loop. Each contender's
time per event is the median of `--repeats` runs, interleaved, reported as a
ratio to the floor's time in the same round (the median over rounds). Times are
the process's CPU time (`time.process_time`), so other work on a shared machine
does not count. The goal for the generated module's compiled dispatch
(`RingMachine.send`, every move a pure move through `runtime/fastpath.py`) is
<= 1.5x the floor; the engine's pure step
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

from benchmarks.common import Report, Row, paired
from statewright import ir
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
    started = time.process_time()
    for event in events:
        state = table[state][event]
    return time.process_time() - started


def pure_engine(machine: ir.Machine, events: list[str]) -> float:
    """Seconds for `engine.send` on an in-memory snapshot (no store)."""
    definition = Definition(machine)
    instance = engine.start(definition, "bench", {}, 0).commit.instance
    started = time.process_time()
    for event in events:
        instance = engine.send(definition, instance, event, 0).commit.instance
    return time.process_time() - started


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
    started = time.process_time()
    for event in events:
        send(event)
    return time.process_time() - started


def generated_methods(module: Any, events: list[str]) -> float:
    """Seconds for the generated event methods (`ring.next()`, `ring.back()`)."""
    fast = module.RingMachine(clock=lambda: 0)
    calls: list[Callable[[], Any]] = [fast.next if event == "next" else fast.back for event in events]
    started = time.process_time()
    for call in calls:
        call()
    return time.process_time() - started


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
    started = time.process_time()
    for event in events:
        trigger(event)
    return time.process_time() - started


def statemachine_ring(states: int) -> Any:
    """The ring as a python-statemachine `StateMachine` class (events `next` and `back`)."""
    from statemachine import State, StateMachine

    members: dict[str, Any] = {f"S{i}": State(initial=(i == 0)) for i in range(states)}
    forward = members["S0"].to(members["S1"])
    backward = members["S0"].to(members[f"S{states - 1}"])
    for i in range(1, states):
        forward |= members[f"S{i}"].to(members[f"S{(i + 1) % states}"])
        backward |= members[f"S{i}"].to(members[f"S{(i - 1) % states}"])
    members["next"] = forward
    members["back"] = backward
    return type("RingSM", (StateMachine,), members)


def with_python_statemachine(states: int, events: list[str]) -> float:
    """Seconds for python-statemachine's `StateMachine.send`."""
    ring = statemachine_ring(states)()
    send = ring.send
    started = time.process_time()
    for event in events:
        send(event)
    return time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    """Run every contender on the same events, interleaved, and print medians as ratios to the floor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=100)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON document for benchmarks.run")
    args = parser.parse_args(argv)
    timings = measure(args.states, args.events, args.repeats)
    if args.json:
        report_of(timings, args.states, args.events, args.repeats).emit()
        return 0
    print(f"events: {args.events} on a ring of {args.states} states")
    for name, times in timings.items():
        per = statistics.median(times) / args.events * 1e9
        print(f"{name}: {per:,.0f} ns/event, {paired(timings, name, FLOOR):,.2f}x floor")
    print(
        f"median of {args.repeats} interleaved runs; goal for Machine.send: <= {GOAL}x floor; "
        f"Python {platform.python_version()}, {platform.machine()}, {_versions()}"
    )
    return 0


FLOOR = "dict-of-dicts floor"
OURS = "statewright generated Machine.send"


def measure(states: int, count: int, repeats: int) -> dict[str, list[float]]:
    """Every contender's seconds for `count` events, by round, interleaved over `repeats` rounds."""
    machine = compile_text(spec(states), "ring.wf").machine
    assert machine is not None
    events = events_of(count)
    peer_events = events[: max(1, count // 20)]  # the peers are slow; time fewer events, scale
    scale = len(events) / len(peer_events)
    module = generated_module(machine)
    contenders: list[tuple[str, Callable[[], float]]] = [
        (FLOOR, lambda: floor(states, events)),
        (OURS, lambda: generated(module, events)),
        ("statewright generated event methods", lambda: generated_methods(module, events)),
        ("statewright engine.send (pure step)", lambda: pure_engine(machine, peer_events) * scale),
        ("transitions Machine.trigger", lambda: with_transitions(states, peer_events) * scale),
        ("python-statemachine send", lambda: with_python_statemachine(states, peer_events) * scale),
    ]
    timings: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for round_ in range(repeats):
        shift = round_ % len(contenders)
        for name, run in contenders[shift:] + contenders[:shift]:
            timings[name].append(run())
    return timings


def report_of(timings: dict[str, list[float]], states: int, count: int, repeats: int) -> Report:
    """The dispatch rows: ours against the floor (the goal), every other contender for comparison."""
    medians = {name: statistics.median(times) for name, times in timings.items()}
    base = medians[FLOOR]
    report = Report("dispatch")
    case = f"{states} states, {count:,} events"
    floor_text = f"floor {base / count * 1e9:,.0f} ns/event"
    for name, seconds in medians.items():
        if name == FLOOR:
            continue
        ratio = paired(timings, name, FLOOR)
        report.rows.append(
            Row(
                "dispatch (in memory)",
                case,
                f"{name.removeprefix('statewright ')}: {seconds / count * 1e9:,.0f} ns/event",
                floor_text,
                f"{ratio:,.2f}x floor",
                f"<= {GOAL}x floor" if name == OURS else "(comparison)",
                ratio <= GOAL if name == OURS else None,
            )
        )
    report.details.append(
        f"median of {repeats} interleaved runs (order rotating), ratios paired by round; "
        "the peers and the engine are timed on 1/20 of the events and scaled"
    )
    return report


def _versions() -> str:
    from importlib.metadata import version

    return ", ".join(
        f"{name} {version(name)}" for name in ("statewright", "transitions", "python-statemachine")
    )


if __name__ == "__main__":
    sys.exit(main())
