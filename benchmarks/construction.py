"""Benchmark: constructing an in-memory instance, against python-statemachine and `transitions`.

Usage: python -m benchmarks.construction [--states 100] [--count 2000] [--repeats 5] [--json]

All contenders build a fresh instance of the same 100-state ring
(`benchmarks/runtime_dispatch.py`), in one process, interleaved:

- statewright: the generated module's `RingMachine(clock=...)`, ready for `send`:
  the ring's start only enters `S0`, so construction checks the context, reads
  the clock and defers the engine's start step (with that time) to the first
  look at the instance or the first step through the engine (pure moves need
  neither);
- python-statemachine: `RingSM()`, the class built once, as its users do;
- transitions: `Machine(model=..., states=..., transitions=...)`, which has no
  separate class step, so each instance builds its machine.

Each contender's time per instance is the median of `--repeats` runs of
`--count` constructions; the ratio is python-statemachine's time over ours,
measured in the same round. Times are CPU time (`time.process_time`), so other work
on a shared machine does not count. The issue's goal: at least 100x faster than
python-statemachine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks.common import Groups, Report, Row, interleaved, paired, self_time_shares
from benchmarks.runtime_dispatch import generated_module, spec, statemachine_ring
from statewright.pipeline import compile_text

GOAL = 100.0
PROFILE_GROUPS: Groups = (
    ("engine start: initial entry, draft, commit", ("runtime/engine.py", "runtime/draft.py", "runtime/plan")),
    ("engine start: initial entry, draft, commit", ("runtime/staging.py", "semantics/")),
    ("audit record JSON and SHA-256 stamp (codec)", ("runtime/codec.py", "_hashlib", "encode_basestring")),
    (
        "Runtime, EphemeralStore, Machine setup",
        ("runtime/runner.py", "runtime/ephemeral.py", "runtime/machine"),
    ),
    ("instance id (uuid4)", ("uuid.py", "urandom")),
    ("clock", ("<lambda>",)),
    ("generated __init__", ("_generated",)),
)
"""Where constructing one machine goes, for the profile summary."""


def statewright_factory(states: int) -> Callable[[], object]:
    """A function that builds one generated in-memory machine."""
    machine = compile_text(spec(states), "ring.wf").machine
    assert machine is not None
    cls: Any = generated_module(machine).RingMachine

    def clock() -> int:
        return 0

    return lambda: cls(clock=clock)


def snapshot_of(factory: Callable[[], object]) -> Callable[[], object]:
    """A function that builds one machine with `factory` and reads its snapshot (its start step taken)."""

    def build() -> object:
        machine: Any = factory()
        return machine.snapshot()

    return build


def statemachine_factory(states: int) -> Callable[[], object]:
    """A function that builds one python-statemachine instance of the ring (the class is built once)."""
    ring = statemachine_ring(states)
    return lambda: ring()


def transitions_factory(states: int) -> Callable[[], object]:
    """A function that builds one `transitions` machine with its model."""
    from transitions import Machine

    names = [f"S{i}" for i in range(states)]
    table = [["next", names[i], names[(i + 1) % states]] for i in range(states)]
    table += [["back", names[i], names[(i - 1) % states]] for i in range(states)]

    class Model:
        pass

    def build() -> object:
        model = Model()
        Machine(model=model, states=names, transitions=table, initial="S0", auto_transitions=False)
        return model

    return build


def per_instance(factory: Callable[[], object], count: int) -> float:
    """Seconds per construction over `count` constructions."""
    started = time.process_time()
    for _ in range(count):
        factory()
    return (time.process_time() - started) / count


def measure(states: int, count: int, repeats: int) -> Report:
    """Time every contender, interleaved; the rows."""
    ours = statewright_factory(states)
    peer = statemachine_factory(states)
    other = transitions_factory(states)
    ours(), peer(), other()  # warm: class-level tables, imports
    peer_count = max(1, count // 20)  # the peers are slow; build fewer
    results = interleaved(
        {
            "statewright": lambda: per_instance(ours, count),
            "python-statemachine": lambda: per_instance(peer, peer_count),
            "transitions": lambda: per_instance(other, peer_count),
        },
        repeats,
    )
    median = {name: statistics.median(times) for name, times in results.items()}
    speedup = paired(results, "python-statemachine", "statewright")
    report = Report("construction")
    case = f"{states}-state ring"
    report.rows.append(
        Row(
            "instance construction",
            case,
            f"{median['statewright'] * 1e6:,.1f} us",
            f"python-statemachine {median['python-statemachine'] * 1e6:,.0f} us",
            f"{speedup:,.1f}x faster",
            f">= {GOAL:.0f}x faster",
            speedup >= GOAL,
        )
    )
    report.rows.append(
        Row(
            "instance construction",
            case,
            f"{median['statewright'] * 1e6:,.1f} us",
            f"transitions {median['transitions'] * 1e6:,.0f} us",
            f"{paired(results, 'transitions', 'statewright'):,.1f}x faster",
            "(comparison)",
            None,
        )
    )
    report.details.append(
        f"{count:,} constructions per run (peers {peer_count:,}), median of {repeats} interleaved runs"
    )
    snapshot_of(ours)()  # warm: the first start step of the class
    looked = statistics.median(per_instance(snapshot_of(ours), count) for _ in range(repeats))
    report.details.append(
        f"constructing, then reading the snapshot (the deferred start step taken): {looked * 1e6:,.1f} us "
        f"({median['python-statemachine'] / looked:,.1f}x faster than python-statemachine's construction)"
    )
    report.profile += self_time_shares(
        lambda: per_instance(ours, count), PROFILE_GROUPS, f"{count:,} statewright constructions"
    )
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print it (or, with `--json`, hand it to the runner)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--states", type=int, default=100)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON document for benchmarks.run")
    args = parser.parse_args(argv)
    report = measure(args.states, args.count, args.repeats)
    return report.show(args.json)


if __name__ == "__main__":
    sys.exit(main())
