"""Benchmark: the BPMN target's own stages (graph, layout, XML) at scale, against a bare lark parse.

Usage: python -m benchmarks.bpmn_stages [--sizes 10000,50000] [--repeats 2] [--json]

`benchmarks/compile.py` times whole `statewright build --target bpmn` processes;
this module says where the target's share of that time goes and how each stage
grows. For each size a synthetic spec (`benchmarks/synth.py`) is compiled once
in this process; then, round by round (order rotated each round), CPU time
(`time.process_time`) of:

- bare parse: lark's LALR parser built from the shipped grammar with a no-op
  action, parsing the same text (`compile.child_bare`, the build rows' reference);
- graph: `target.build_model` (lowering to the BPMN graph, SW950 and the other checks);
- layout: `layout.layout` of that graph;
- xml: `xml.to_xml` in the generic flavor.

Rows: the target (graph + layout + xml) over the bare parse in the same round,
at each size (goal: <= 2x, the target's half of the build's 4x once the front
end takes about 2x), each stage's growth between the last two sizes (goal <=
1.1x the growth in states: 5.5x for 5x), and the share of the target's time the
cyclic garbage collector takes (measured with `gc.callbacks`, for the report).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import synth
from benchmarks.common import Groups, Report, Row, interleaved, self_time_shares
from benchmarks.compile import child_bare
from statewright.ir import Machine
from statewright.pipeline import compile_text
from statewright.targets.bpmn.flavors import FLAVORS
from statewright.targets.bpmn.layout import Layout, layout
from statewright.targets.bpmn.model import Model
from statewright.targets.bpmn.target import build_model
from statewright.targets.bpmn.xml import to_xml

SIZES = (10_000, 50_000)
QUICK_SIZES = (300, 1_500)
GOAL_RATIO = 2.0
"""The target's own time over a bare parse (half of the build's 4x budget)."""
GOAL_GROWTH = 1.1
"""A stage's growth over the growth in states (5.5x for 5x the states)."""
STAGES = ("graph", "layout", "xml")
PROFILE_GROUPS: Groups = (
    ("graph: lowering (lower, paths, graph, resolve, semantics)", ("bpmn/lower", "bpmn/paths", "bpmn/graph")),
    ("graph: lowering (lower, paths, graph, resolve, semantics)", ("bpmn/resolve", "semantics/")),
    ("graph: SW950 and other checks", ("bpmn/checks",)),
    ("layout: layers and crossing minimisation", ("bpmn/layering", "bpmn/ordering")),
    ("layout: rows, bands, tracks, text", ("bpmn/layout", "bpmn/bands", "bpmn/routing", "bpmn/text")),
    ("xml: writer and flavor text", ("bpmn/xml", "bpmn/textxml", "bpmn/flavors", "bpmn/conditions")),
    ("xml: writer and flavor text", ("bpmn/feel", "bpmn/javascript")),
)
"""Where the target's time goes, for the profile summary."""


def timed(work: Callable[[], object]) -> float:
    """CPU seconds `work` takes."""
    started = time.process_time()
    work()
    return time.process_time() - started


class Stages:
    """One machine's target stages, each timed on its own (the later ones reuse the earlier results)."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.model: Model = build_model(machine)[0]
        self.placed: Layout = layout(self.model)

    def graph(self) -> float:
        """Lower the machine to the BPMN graph again."""
        return timed(lambda: build_model(self.machine))

    def layout(self) -> float:
        """Lay the graph out again."""
        return timed(lambda: layout(self.model))

    def xml(self) -> float:
        """Write the generic flavor's document again."""
        return timed(lambda: to_xml(self.model, self.placed, FLAVORS["generic"]))

    def whole(self) -> None:
        """All three stages once, as the target runs them (for the profile and the GC share)."""
        model = build_model(self.machine)[0]
        to_xml(model, layout(model), FLAVORS["generic"])


def collector_share(run: Callable[[], object]) -> float:
    """The share of `run`'s CPU time spent in the cyclic garbage collector."""
    spent = [0.0, 0.0]

    def watch(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            spent[1] = time.process_time()
        else:
            spent[0] += time.process_time() - spent[1]

    gc.callbacks.append(watch)
    try:
        total = timed(run)
    finally:
        gc.callbacks.remove(watch)
    return spent[0] / total if total else 0.0


def measure_size(states: int, repeats: int, folder: Path) -> dict[str, list[float]]:
    """Every contender's seconds by round at one size."""
    text = synth.spec(states)
    path = folder / f"synthetic_{states}.wf"
    path.write_text(text, "utf-8")
    machine = compile_text(text, path.name).machine
    assert machine is not None, "the synthetic spec compiles"
    stages = Stages(machine)
    contenders: dict[str, Callable[[], float]] = {
        "bare parse": lambda: child_bare(path)["seconds"],
        "graph": stages.graph,
        "layout": stages.layout,
        "xml": stages.xml,
    }
    return interleaved(contenders, repeats)


def _ratio(results: dict[str, list[float]]) -> float:
    """Median over rounds of the target's stages over the bare parse in the same round."""
    bare = results["bare parse"]
    ours = [sum(results[name][round_] for name in STAGES) for round_ in range(len(bare))]
    return statistics.median(a / b for a, b in zip(ours, bare, strict=True))


def measure(sizes: list[int], repeats: int) -> Report:
    """Time every size; the rows, details and the profile at the largest size."""
    report = Report("bpmn_stages")
    measured: dict[int, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for states in sizes:
            measured[states] = measure_size(states, repeats, Path(folder))
    for states, results in measured.items():
        median = {name: statistics.median(times) for name, times in results.items()}
        ratio = _ratio(results)
        stages = ", ".join(f"{name} {median[name]:.2f} s" for name in STAGES)
        report.rows.append(
            Row(
                "bpmn target stages (graph + layout + xml)",
                f"{states:,} states",
                f"{sum(median[name] for name in STAGES):.2f} s ({stages})",
                f"bare lark parse {median['bare parse']:.2f} s",
                f"{ratio:.1f}x bare parse",
                f"<= {GOAL_RATIO:.0f}x bare parse",
                ratio <= GOAL_RATIO,
            )
        )
    if len(sizes) >= 2:
        small, large = sizes[-2], sizes[-1]
        allowed = GOAL_GROWTH * large / small
        for name in (*STAGES, "bare parse"):
            growth = statistics.median(measured[large][name]) / statistics.median(measured[small][name])
            report.rows.append(
                Row(
                    "bpmn target growth",
                    f"{name}, {small:,} -> {large:,} states",
                    f"{growth:.1f}x",
                    f"states {large / small:.1f}x",
                    f"growth {growth:.1f}x ({growth / (large / small):.2f}x linear)",
                    f"<= {allowed:.1f}x" if name != "bare parse" else "(reference)",
                    growth <= allowed if name != "bare parse" else None,
                )
            )
    largest = sizes[-1]
    machine = compile_text(synth.spec(largest), "synthetic.wf").machine
    assert machine is not None
    whole = Stages(machine)
    share = collector_share(whole.whole)
    report.details.append(
        f"{repeats} interleaved round(s) per size, CPU time, generic flavor; "
        f"cyclic GC took {100 * share:.0f}% of the target's time at {largest:,} states"
    )
    report.profile += self_time_shares(
        whole.whole, PROFILE_GROUPS, f"the bpmn target at {largest:,} synthetic states"
    )
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print it (or, with `--json`, hand it to the runner)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON document for benchmarks.run")
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    report = measure(sizes, args.repeats)
    return report.show(args.json)


if __name__ == "__main__":
    sys.exit(main())
