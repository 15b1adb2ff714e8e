"""Benchmark: `statewright build --target T` for every registered target against bare lark parsing.

Usage: python -m benchmarks.compile [--sizes 10000,50000] [--repeats 3] [--targets asl,ir] [--json]

For each size a synthetic spec (`benchmarks/synth.py`) is written to a temporary
directory; then, round by round (`--repeats` rounds, one at 50,000 states and
more), each in a fresh process and in an order rotated every round:

- bare parse: a fresh process builds the same lark LALR parser from the shipped
  grammar (same lexer, `keep_all_tokens`) with a no-op grammar action (every rule
  returns None; `_inline` rules hand lark their children, which lark requires)
  and parses the file;
- build: for every registered target T (asl, bpmn and any plugin included, as
  soon as they are installed) except those in `EXTERNAL`, a fresh process runs
  the real command, `statewright build FILE --target T --out DIR`. `EXTERNAL`
  targets' time is an outside program's (the `svg` target and the `report`
  page's statechart are Graphviz's `dot` laying out the graph); they are timed,
  wall clock, in a stage breakdown at `EXTERNAL_SIZE` states only (`dot` needs
  minutes, and times out, beyond that).

At the largest size one more process builds every timed target at once (`--target
all` as the issue measures it: its peak memory). Every process times its own work
in CPU time (`time.process_time`: all are single-threaded and CPU-bound, and other
work on a shared machine does not count), imports excluded, lark's grammar
construction included, and reports its peak resident memory.

One row per target: the median over rounds of build / bare parse in the same
round at every size, the growth from the second-largest size to the largest, and
the peak memory at the largest. Goals (issue 20): <= 4x bare parse at 10k and 50k
states, growth <= 5.5x for 5x the states (1.1x linear; scaled for other sizes),
<= 1 GiB peak at 50k for any target and for `--target all`.

A stage breakdown (one more process at 10k states and at the largest size, in-process
timers) says where the build's time goes: parse, lower, each verification family, each target.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from benchmarks import synth
from benchmarks.common import Report, Row

SIZES = (10_000, 50_000)
QUICK_SIZES = (300, 1_000)
GOAL_RATIO = 4.0
"""Each target's build over a bare parse of the same file, at every size."""
GOAL_GROWTH = 1.1
"""Build time growth over the growth in states (5.5x for 5x the states)."""
GOAL_MIB = 1024.0
"""Peak resident memory of one build, any target or all of them, at `MEMORY_SIZE` states."""
MEMORY_SIZE = 50_000
EXTERNAL = {
    "svg": "Graphviz `dot` lays out the graph",
    "report": "Graphviz `dot` lays out the page's statechart (it gives up after 60 s at 10k states)",
}
"""Targets left out of the timed build because their time is another program's, and why."""
BREAKDOWN_SIZE = 10_000
"""The stage breakdown runs at this size (when measured) and at the largest."""
EXTERNAL_SIZE = 1_000
"""The size whose stage breakdown times the external targets (at most the smallest size measured)."""


# --------------------------------------------------------------------------- the child processes


def peak_mib() -> float:
    """The peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def child_bare(path: Path) -> dict[str, float]:
    """Build the lark parser with a no-op action and parse `path`; seconds and peak MiB."""
    from lark import Lark, Transformer

    from statewright.dsl.parser import grammar_text

    class Inline:
        """What an `_inline` rule must return: lark splices its children into the parent."""

        __slots__ = ("children",)

        def __init__(self, children: list[Any]) -> None:
            self.children = children

    class NoOp(Transformer[Any, Any]):
        """Every grammar action does nothing."""

        def __default__(self, data: Any, children: list[Any], meta: Any) -> Any:
            return Inline(children) if str(data).startswith("_") else None

    text = path.read_text("utf-8")
    comments: list[Any] = []
    started = time.process_time()
    parser = Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        transformer=NoOp(),
        keep_all_tokens=True,
        maybe_placeholders=False,
        lexer_callbacks={"COMMENT": comments.append},
    )
    parser.parse(text)
    return {"seconds": time.process_time() - started, "mib": peak_mib()}


def build_arguments(path: Path, out: Path, targets: list[str]) -> list[str]:
    """The `statewright build` command line for `targets` (format json: the report is not the point)."""
    arguments = ["build", str(path), "--out", str(out), "--format", "json"]
    for name in targets:
        arguments += ["--target", name]
    return arguments


def child_build(path: Path, out: Path, targets: list[str]) -> dict[str, float]:
    """Run `statewright build` in this process; seconds, peak MiB and the exit code."""
    from statewright.cli import main

    arguments = build_arguments(path, out, targets)
    code = 0
    sink = io.StringIO()
    started = time.process_time()
    with contextlib.redirect_stdout(sink):
        try:
            main(arguments)
        except SystemExit as stop:
            code = int(stop.code or 0)
    return {"seconds": time.process_time() - started, "mib": peak_mib(), "exit": float(code)}


def child_stages(path: Path, targets: list[str]) -> dict[str, float]:
    """Time each stage of a build in this process: parse, lower, verify (by family), each target."""
    from statewright.compiler.collector import collector_paused
    from statewright.compiler.lower import lower
    from statewright.compiler.verify import verify
    from statewright.dsl.parser import parse
    from statewright.plugins.api import RuleContext, TargetOptions
    from statewright.plugins.manager import get_plugin_manager
    from statewright.source import SourceText

    stages: dict[str, float] = defaultdict(float)
    manager = get_plugin_manager()
    rules = manager.rules()
    registered = manager.targets()
    source = SourceText(str(path), path.read_text("utf-8"))
    started = time.process_time()
    with collector_paused():  # as `pipeline.compile_source` runs them
        parsed = parse(source)
    stages["parse (lark + AST builder)"] = time.process_time() - started
    assert parsed.workflow is not None, parsed.diagnostics
    started = time.process_time()
    with collector_paused():
        machine, _ = lower(parsed.workflow, source.name)
    stages["lower to IR"] = time.process_time() - started
    assert machine is not None
    shared = RuleContext()
    shared = replace(shared, run=shared.run_for(machine))  # one run for every rule, as `build` verifies
    for rule in rules:
        started = time.process_time()
        verify(machine, [rule], shared)
        stages[f"verify: {rule.family}"] += time.process_time() - started
    for name in targets:
        print(json.dumps({**stages, RUNNING: name}), flush=True)  # so a timeout still says how far it got
        clock = time.perf_counter if name in EXTERNAL else time.process_time  # its work is another process's
        started = clock()
        try:
            with collector_paused():  # as `build` runs a target
                output = registered[name].generate(machine, TargetOptions(source_name=source.name))
        except Exception as exc:  # another plugin's bug must not hide the other stages
            stages[f"target: {name} (failed: {type(exc).__name__})"] = clock() - started
            continue
        stages[f"target: {name}"] = clock() - started
        codes = sorted({d.code for d in output.diagnostics if d.severity.value == "error"})
        if codes:
            stages[f"target: {name} (errors: {', '.join(codes)})"] = 0.0
    return dict(stages)


CHILD_TIMEOUT = 600.0
"""Seconds one measurement may take before it is reported as unfinished."""


class ChildTimeoutError(RuntimeError):
    """A measurement did not finish within CHILD_TIMEOUT."""


RUNNING = "(running)"
"""The key of the stage breakdown's progress lines that names the target being generated."""


def run_child(*arguments: str, limit: float = CHILD_TIMEOUT) -> dict[str, float]:
    """Run this module in a fresh process with `arguments`; its JSON answer.

    A stage breakdown that runs out of time answers with the stages it finished and
    `target: NAME (did not finish ...)` for the one it was in.
    """
    try:
        result = subprocess.run(
            [sys.executable, "-m", "benchmarks.compile", "--child", *arguments],
            capture_output=True,
            text=True,
            check=False,
            timeout=limit,
        )
    except subprocess.TimeoutExpired as exc:
        partial = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        lines = [line for line in partial.splitlines() if line.startswith("{")]
        if arguments[0] != "stages" or not lines:
            raise ChildTimeoutError(f"{arguments[0]} did not finish in {limit:.0f} s") from None
        progress = json.loads(lines[-1])
        running = progress.pop(RUNNING, "?")
        progress[f"target: {running} (did not finish in the {limit:.0f} s left)"] = 0.0
        return {stage: float(seconds) for stage, seconds in progress.items()}
    if result.returncode != 0:
        raise RuntimeError(f"child {arguments[0]} failed: {result.stderr.strip()[-2000:]}")
    answer: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


# --------------------------------------------------------------------------- the parent


def registered_targets() -> tuple[list[str], list[str]]:
    """Every registered target that can run here, split into timed and external ones."""
    from statewright.plugins.manager import get_plugin_manager

    timed: list[str] = []
    external: list[str] = []
    for name, target in get_plugin_manager().targets().items():
        check = getattr(target, "unavailable", None)
        if callable(check) and check():
            continue
        (external if name in EXTERNAL else timed).append(name)
    return timed, external


ALL = "all"
"""The contender that builds every timed target in one process (`--target all`)."""


@dataclass
class Sized:
    """What one size measured: per contender, seconds by round (None: did not finish) and peak MiB."""

    size: int
    kib: float
    rounds: int
    seconds: dict[str, list[float | None]] = field(default_factory=lambda: defaultdict(list))
    mib: dict[str, float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def ratio(self, name: str) -> float | None:
        """The median over rounds of `name` over the bare parse of the same round."""
        pairs = [
            b / a
            for a, b in zip(self.seconds["bare"], self.seconds[name], strict=False)
            if a is not None and b is not None
        ]
        return statistics.median(pairs) if pairs and name not in self.failed else None

    def median(self, name: str) -> float | None:
        """The median seconds of `name` (None when a round did not finish)."""
        found = [value for value in self.seconds[name] if value is not None]
        return statistics.median(found) if found and name not in self.failed else None


def measure(
    sizes: list[int],
    repeats: int,
    folder: Path,
    *,
    external_targets: bool = True,
    only: list[str] | None = None,
) -> Report:
    """Run the comparison at every size; the rows, detail lines and stage breakdowns.

    Sizes of 50,000 states and more take one round (`repeats` is for the smaller sizes): a build
    there takes a minute of CPU, and the ratio's noise is small next to its size. `only` limits
    the targets given a row of their own; the `--target all` build and the breakdown build all.
    """
    timed, external = registered_targets()
    rowed = [name for name in timed if not only or name in only]
    report = Report("compile")
    report.details.append(
        f"targets timed: {', '.join(timed)}; left out: "
        + (", ".join(f"{name} ({EXTERNAL[name]})" for name in external) or "none")
    )
    measured: list[Sized] = []
    for size in sizes:
        path = folder / f"synthetic_{size}.wf"
        path.write_text(synth.spec(size), "utf-8")
        rounds = 1 if size >= 50_000 else repeats
        sized = Sized(size, path.stat().st_size / 1024, rounds)
        _rounds(report, sized, path, rowed, timed, last=size == max(sizes))
        measured.append(sized)
        if size not in (BREAKDOWN_SIZE, max(sizes)):
            continue
        try:
            _stages(report, path, size, timed, [], sized.median("bare"))
        except (ChildTimeoutError, RuntimeError) as exc:
            report.profile.append(f"stage breakdown at {size:,} states: {exc}")
    if external and external_targets:
        size = min(EXTERNAL_SIZE, *sizes)
        path = folder / f"synthetic_{size}.wf"
        path.write_text(synth.spec(size), "utf-8")
        try:
            _stages(report, path, size, [], external, None)
        except (ChildTimeoutError, RuntimeError) as exc:
            report.profile.append(f"stage breakdown of {', '.join(external)} at {size:,} states: {exc}")
    stage_rows, report.rows = report.rows, []
    for name in rowed:
        report.rows.append(_target_row(name, measured))
    if len(timed) > 1:
        report.rows.append(_all_row(measured[-1]))
    report.rows += stage_rows  # the check stages and external targets, for comparison
    report.details.append(
        "per size: "
        + "; ".join(
            f"{s.size:,} states ({s.kib:,.0f} KiB), {s.rounds} round{'s' if s.rounds > 1 else ''}, "
            f"bare parse {_seconds(s.median('bare'))}"
            for s in measured
        )
        + "; every measurement in a fresh process, the order rotated each round"
    )
    return report


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _rounds(
    report: Report, sized: Sized, path: Path, rowed: list[str], timed: list[str], *, last: bool
) -> None:
    """Every round at one size: the bare parse and each target's build, the order rotated per round."""
    out = path.parent / f"out_{sized.size}"
    contenders = ["bare", *rowed]
    for round_ in range(sized.rounds):
        shift = round_ % len(contenders)
        for name in contenders[shift:] + contenders[:shift]:
            if name in sized.failed:
                sized.seconds[name].append(None)
                continue
            _one(report, sized, name, path, out, [name])
    if last and len(timed) > 1:
        _one(report, sized, ALL, path, out, timed)


def _one(report: Report, sized: Sized, name: str, path: Path, out: Path, targets: list[str]) -> None:
    """One measurement: its seconds and peak memory into `sized` (a failure is recorded, not raised)."""
    try:
        if name == "bare":
            answer = run_child("bare", str(path))
        else:
            limit = CHILD_TIMEOUT * (2 if len(targets) > 1 else 1)  # `all` builds every target
            answer = run_child("build", str(path), str(out), *targets, limit=limit)
    except (ChildTimeoutError, RuntimeError) as exc:
        sized.failed[name] = str(exc).splitlines()[0][:200]
        sized.seconds[name].append(None)
        return
    if answer.get("exit", 0) != 0 and name not in sized.mib:
        report.details.append(
            f"`build --target {name}` exited {answer['exit']:.0f} at {sized.size:,} states: the target "
            "reported an error finding (see the stage breakdown), so nothing was written"
        )
    sized.seconds[name].append(answer["seconds"])
    sized.mib[name] = max(sized.mib.get(name, 0.0), answer["mib"])


def _target_row(name: str, measured: list[Sized]) -> Row:
    """One target's row: the ratio at every size, the growth between the last two, the peak memory."""
    ratios = [sized.ratio(name) for sized in measured]
    ours = " / ".join(_seconds(sized.median(name)) for sized in measured)
    reference = "bare lark parse " + " / ".join(_seconds(sized.median("bare")) for sized in measured)
    result = " / ".join("-" if ratio is None else f"{ratio:.2f}x" for ratio in ratios)
    met: bool | None = all(ratio is not None and ratio <= GOAL_RATIO for ratio in ratios)
    goal = f"<= {GOAL_RATIO:.0f}x"
    if len(measured) > 1:
        growth, limit = _growth(name, measured[-2], measured[-1])
        result += "; growth " + ("-" if growth is None else f"{growth:.2f}")
        goal += f"; growth <= {limit:.1f}"
        met = met and growth is not None and growth <= limit
    last = measured[-1]
    peak = last.mib.get(name)
    result += "; " + ("-" if peak is None else f"{peak:.0f} MiB")
    if last.size >= MEMORY_SIZE:
        goal += f"; <= {GOAL_MIB:.0f} MiB at {MEMORY_SIZE // 1000}k"
        met = met and peak is not None and peak <= GOAL_MIB
    failures = [f"{sized.size:,}: {sized.failed[name]}" for sized in measured if name in sized.failed]
    if failures:
        result += " (" + "; ".join(failures) + ")"
    return Row(
        f"compile: build --target {name}",
        " / ".join(f"{sized.size:,}" for sized in measured) + " states",
        ours,
        reference,
        result,
        goal,
        met,
    )


def _growth(name: str, small: Sized, large: Sized) -> tuple[float | None, float]:
    """The build time growth from `small` to `large`, and its limit (1.1x the growth in states)."""
    limit = GOAL_GROWTH * large.size / small.size
    before, after = small.median(name), large.median(name)
    return (None if before is None or after is None else after / before), limit


def _all_row(sized: Sized) -> Row:
    """`--target all` at the largest size: its time against the bare parse and its peak memory."""
    seconds = sized.median(ALL)
    bare = sized.median("bare")
    peak = sized.mib.get(ALL)
    ratio = None if seconds is None or bare is None else seconds / bare
    result = ("-" if peak is None else f"{peak:.0f} MiB") + (
        "" if ratio is None else f" ({ratio:.1f}x bare parse)"
    )
    if ALL in sized.failed:
        result += f" ({sized.failed[ALL]})"
    memory_goal = sized.size >= MEMORY_SIZE
    return Row(
        "compile: build --target all (peak memory)",
        f"{sized.size:,} states",
        _seconds(seconds),
        f"bare lark parse {_seconds(bare)}",
        result,
        f"<= {GOAL_MIB:.0f} MiB at {MEMORY_SIZE // 1000}k" if memory_goal else "(peak memory)",
        (peak is not None and peak <= GOAL_MIB) if memory_goal else None,
    )


FRONT = ("parse", "lower", "verify")
"""The stages of `statewright check`: everything but the targets."""


def _stages(
    report: Report, path: Path, size: int, timed: list[str], outside: list[str], bare: float | None
) -> None:
    """The stage breakdown of one build (a row for the check stages, and for each external target)."""
    stages = run_child("stages", str(path), *timed, *outside)
    front = sum(seconds for stage, seconds in stages.items() if stage.startswith(FRONT))
    if bare is not None:
        report.rows.append(
            Row(
                "compile: parse + lower + verify only",
                f"{size:,} states",
                f"{front:.2f} s",
                f"bare lark parse {bare:.2f} s",
                f"{front / bare:.2f}x",
                "(comparison: the check stages, from the breakdown)",
                None,
            )
        )
    for name in outside:
        spent = sum(seconds for stage, seconds in stages.items() if stage.startswith(f"target: {name}"))
        errors = [stage for stage in stages if stage.startswith(f"target: {name} (")]
        report.rows.append(
            Row(
                f"compile: `{name}` target alone",
                f"{size:,} states",
                f"{spent:.1f} s (wall clock)",
                EXTERNAL[name],
                errors[0].removeprefix(f"target: {name} ") if errors else "ok",
                "(not timed in the build)",
                None,
            )
        )
        for stage in [f"target: {name}", *errors]:
            stages.pop(stage, None)
    total = sum(stages.values())
    report.profile.append(f"stage breakdown at {size:,} states (one in-process run, {total:.2f} s CPU):")
    for stage, seconds in sorted(stages.items(), key=lambda item: -item[1]):
        if seconds >= 0.01 * total or "(" in stage:
            report.profile.append(f"  {stage}: {seconds:.2f} s ({100 * seconds / total:.0f}%)")


def main(argv: list[str] | None = None) -> int:
    """Run the compile comparison (or, with `--child`, one measurement) and print the results."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--child"]:
        kind, path = args[1], Path(args[2])
        if kind == "bare":
            answer = child_bare(path)
        elif kind == "build":
            answer = child_build(path, Path(args[3]), args[4:])
        else:
            answer = child_stages(path, args[3:])
        print(json.dumps(answer))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="states, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--no-external",
        action="store_true",
        help=f"skip the targets left out of the build ({', '.join(EXTERNAL)})",
    )
    parser.add_argument(
        "--targets",
        default="",
        help="only these targets get a row of their own, comma-separated (default: every one)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document for benchmarks.run")
    options = parser.parse_args(args)
    only = [name.strip() for name in options.targets.split(",") if name.strip()]
    sizes = [int(size) for size in options.sizes.split(",") if size.strip()]
    with tempfile.TemporaryDirectory(prefix="sw-compile-") as folder:
        report = measure(
            sizes, options.repeats, Path(folder), external_targets=not options.no_external, only=only
        )
    return report.show(options.json)


if __name__ == "__main__":
    sys.exit(main())
