"""Benchmark: the front end of a build (parse, lower, verify) against bare lark parsing of the same file.

Usage: python -m benchmarks.front_end [--sizes 10000,50000] [--repeats 3] [--json]

For each size a synthetic spec (`benchmarks/synth.py`) is written to a temporary
directory; then, interleaved, `--repeats` times each (one round from 50,000
states on), a fresh process runs:

- bare parse: `benchmarks.compile.child_bare`, lark's LALR parser built from the
  shipped grammar with a no-op action, parsing the file (the reference of the
  compile benchmark too);
- front end: what `statewright build` does before any target: `parse`, `lower`
  and `verify` with every registered rule sharing one verification run, each
  stage timed in CPU time (`time.process_time`), imports excluded, with the
  cyclic collector paused as the pipeline pauses it; and its peak resident memory.

The ratio is the median over rounds of front end / bare parse in the same round.
Goals (issue 20): the front end <= 2x bare parse, so that every target's build
stays <= 4x; 50k/10k <= 5.5 (linear, as 50k/10k = 5); peak memory <= 1 GiB.
The details give each stage's share and the number of SMT queries; the profile
says where verification's time goes at the smallest size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import synth
from benchmarks.common import Groups, Report, Row, self_time_shares
from benchmarks.compile import child_bare, peak_mib

SIZES = (10_000, 50_000)
GOAL_RATIO = 2.0
GOAL_LINEAR = 5.5
GOAL_MIB = 1024.0
STAGES = ("parse", "lower", "verify")
CONTENDERS = ("front end", "bare parse")
"""The two measured processes: ours, then the reference."""

PROFILE_GROUPS: Groups = (
    ("z3 (solver calls and its Python API)", ("z3/", "z3core")),
    ("SMT encoding, queries and witnesses", ("compiler/smt/",)),
    ("guard language and facts (semantics)", ("statewright/semantics/",)),
    ("leaf graph", ("compiler/verify/graph.py",)),
    ("verification rules", ("compiler/verify/rules/",)),
    ("IR helpers", ("statewright/ir/",)),
)
"""Where verification's time goes, for the profile summary."""


# --------------------------------------------------------------------------- the child processes


def child_front(path: Path) -> dict[str, float]:
    """Parse, lower and verify `path` in this process; CPU seconds per stage, SMT queries and peak MiB."""
    from dataclasses import replace

    from statewright.compiler.collector import collector_paused
    from statewright.compiler.lower import lower
    from statewright.compiler.smt.analysis import GuardAnalysis
    from statewright.compiler.verify import verify
    from statewright.dsl.parser import parse
    from statewright.plugins.api import RuleContext
    from statewright.plugins.manager import get_plugin_manager
    from statewright.source import SourceText

    rules = get_plugin_manager().rules()
    source = SourceText(str(path), path.read_text("utf-8"))
    answer: dict[str, float] = {}
    started = time.process_time()
    with collector_paused():  # as `pipeline.compile_source` runs them
        parsed = parse(source)
    answer["parse"] = time.process_time() - started
    assert parsed.workflow is not None, parsed.diagnostics
    started = time.process_time()
    with collector_paused():
        machine, _ = lower(parsed.workflow, source.name)
    answer["lower"] = time.process_time() - started
    assert machine is not None
    context = RuleContext()
    run = context.run_for(machine)
    started = time.process_time()
    verify(machine, rules, replace(context, run=run))  # one run for every rule, as `build` does
    answer["verify"] = time.process_time() - started
    analysis = run.peek(GuardAnalysis, run.smt_timeout_ms)
    asked = analysis is not None and "prover" in vars(analysis)  # the prover is built by the first query
    answer["queries"] = float(analysis.prover.queries) if analysis is not None and asked else 0.0
    answer["mib"] = peak_mib()
    return answer


def run_child(kind: str, path: Path) -> dict[str, float]:
    """Run `kind` (`front` or `bare`) on `path` in a fresh process; its JSON answer."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.front_end", "--child", kind, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"child {kind} failed: {result.stderr.strip()[-2000:]}")
    answer: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


# --------------------------------------------------------------------------- the parent


def total(answer: dict[str, float]) -> float:
    """The front end's CPU seconds: parse, lower and verify."""
    return sum(answer[stage] for stage in STAGES)


def measure(sizes: list[int], repeats: int, folder: Path) -> Report:
    """Compare the front end with bare parsing at every size; rows, stage details and a profile."""
    report = Report("front_end")
    totals: dict[int, float] = {}
    peak = 0.0
    for size in sizes:
        path = folder / f"synthetic_{size}.wf"
        path.write_text(synth.spec(size), "utf-8")
        rounds = 1 if size >= 50_000 else repeats
        fronts: list[dict[str, float]] = []
        bares: list[float] = []
        for round_ in range(rounds):  # interleaved, the order alternating
            kinds = ("front", "bare") if round_ % 2 == 0 else ("bare", "front")
            for kind in kinds:
                answer = run_child(kind, path)
                if kind == "front":
                    fronts.append(answer)
                else:
                    bares.append(answer["seconds"])
        ratio = statistics.median(total(f) / b for f, b in zip(fronts, bares, strict=True))
        ours = statistics.median(total(f) for f in fronts)
        bare = statistics.median(bares)
        totals[size] = ours
        peak = max(peak, max(f["mib"] for f in fronts))
        report.rows.append(
            Row(
                "front_end",
                f"parse + lower + verify, {size:,} states",
                f"{ours:.2f} s",
                f"bare parse {bare:.2f} s",
                f"{ratio:.2f}x",
                f"<= {GOAL_RATIO:g}x bare parse",
                ratio <= GOAL_RATIO,
            )
        )
        stages = ", ".join(
            f"{stage} {statistics.median(f[stage] for f in fronts):.2f} s "
            f"({statistics.median(f[stage] / b for f, b in zip(fronts, bares, strict=True)):.2f}x)"
            for stage in STAGES
        )
        queries = int(statistics.median(f["queries"] for f in fronts))
        report.details.append(
            f"{size:,} states: {stages}; {queries:,} SMT queries; "
            f"peak {max(f['mib'] for f in fronts):.0f} MiB; {rounds} round(s)"
        )
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        growth = totals[large] / totals[small]
        linear = large / small
        goal = GOAL_LINEAR * linear / 5
        report.rows.append(
            Row(
                "front_end",
                f"growth {small:,} -> {large:,} states",
                f"{totals[large]:.2f} s",
                f"{totals[small]:.2f} s",
                f"{growth:.2f}x",
                f"<= {goal:.3g}x (sizes x{linear:.3g})",
                growth <= goal,
            )
        )
    report.rows.append(
        Row(
            "front_end",
            f"peak memory, {max(sizes):,} states",
            f"{peak:.0f} MiB",
            "—",
            f"{peak:.0f} MiB",
            f"<= {GOAL_MIB:.0f} MiB",
            peak <= GOAL_MIB,
        )
    )
    report.profile = _profile(folder / f"synthetic_{min(sizes)}.wf")
    return report


def _profile(path: Path) -> list[str]:
    """Where verification's time goes on `path` (in this process, after parse and lower)."""
    from statewright.compiler.verify import verify
    from statewright.pipeline import compile_path
    from statewright.plugins.manager import get_plugin_manager

    machine = compile_path(path).machine
    assert machine is not None
    rules = get_plugin_manager().rules()
    return self_time_shares(lambda: verify(machine, rules), PROFILE_GROUPS, f"verify, {path.stem}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a report (or, with --json, one JSON document)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON document for benchmarks.run")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        kind, where = options.child
        answer = child_front(Path(where)) if kind == "front" else child_bare(Path(where))
        print(json.dumps(answer))
        return 0
    sizes = sorted(int(s) for s in options.sizes.split(","))
    with tempfile.TemporaryDirectory(prefix="statewright-front-end-") as folder:
        report = measure(sizes, max(1, options.repeats), Path(folder))
    return report.show(options.json)


if __name__ == "__main__":
    sys.exit(main())
