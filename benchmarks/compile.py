"""Benchmark: `statewright build` with every registered target against bare lark parsing of the same file.

Usage: python -m benchmarks.compile [--sizes 1000,10000,50000] [--repeats 3] [--json]

For each size a synthetic spec (`benchmarks/synth.py`) is written to a temporary
directory; then, interleaved, `--repeats` times each:

- bare parse: a fresh process builds the same lark LALR parser from the shipped
  grammar (same lexer, `keep_all_tokens`) with a no-op grammar action (every rule
  returns None; `_inline` rules hand lark their children, which lark requires)
  and parses the file;
- build: a fresh process runs the real command, `statewright build FILE --target
  T ... --out DIR` with every target the plugin manager registers (asl, bpmn and
  any plugin included, as soon as they are installed), except those in
  `EXTERNAL` — targets whose time is an outside program's (the `svg` target is
  Graphviz's `dot` laying out the graph); those are timed in the stage breakdown
  of the smallest size only (`dot` needs minutes, and times out, beyond that).

Both processes time their own work in CPU time (`time.process_time`: both are
single-threaded and CPU-bound, and other work on a shared machine does not
count), imports excluded, lark's grammar construction included in both, and
report their peak resident memory. The
ratio is the median over rounds of build / bare parse in the same round. Goals
(the issue): build <= 2x bare parse; 50k/10k build time <= 5.5 (linear, as
50k/10k = 5); peak memory <= 300 MiB at 50k.

A stage breakdown (one more process per size, in-process timers) says where the
build's time goes: parse, lower, each verification family, each target.
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
from pathlib import Path
from typing import Any

from benchmarks import synth
from benchmarks.common import Report, Row, environment, paired

SIZES = (1_000, 10_000, 50_000)
QUICK_SIZES = (300, 1_000)
GOAL_RATIO = 2.0
GOAL_LINEAR = 5.5
GOAL_MIB = 300.0
EXTERNAL = {"svg": "Graphviz `dot` lays out the graph"}
"""Targets left out of the timed build because their time is another program's, and why."""


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
    for rule in rules:
        started = time.process_time()
        verify(machine, [rule], RuleContext())
        stages[f"verify: {rule.family}"] += time.process_time() - started
    for name in targets:
        print(json.dumps({**stages, RUNNING: name}), flush=True)  # so a timeout still says how far it got
        clock = time.perf_counter if name in EXTERNAL else time.process_time  # its work is another process's
        started = clock()
        try:
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


def run_child(*arguments: str) -> dict[str, float]:
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
            timeout=CHILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        partial = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        lines = [line for line in partial.splitlines() if line.startswith("{")]
        if arguments[0] != "stages" or not lines:
            raise ChildTimeoutError(f"{arguments[0]} did not finish in {CHILD_TIMEOUT:.0f} s") from None
        progress = json.loads(lines[-1])
        running = progress.pop(RUNNING, "?")
        progress[f"target: {running} (did not finish in the {CHILD_TIMEOUT:.0f} s left)"] = 0.0
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
    there takes minutes of CPU, and the ratio's noise is small next to its size.
    """
    timed, external = registered_targets()
    if only:  # a diagnosis: some targets only (the table then does not measure the goal's build)
        timed = [name for name in timed if name in only]
        external = [name for name in external if name in only]
    report = Report("compile")
    report.details.append(
        f"targets timed: {', '.join(timed)}; left out: "
        + (", ".join(f"{name} ({EXTERNAL[name]})" for name in external) or "none")
    )
    medians: dict[int, float] = {}
    for size in sizes:
        path = folder / f"synthetic_{size}.wf"
        path.write_text(synth.spec(size), "utf-8")
        rounds = 1 if size >= 50_000 else repeats
        bare: float | None = None
        try:
            medians[size], bare = _compare(report, path, size, rounds, timed, last=size == max(sizes))
        except ChildTimeoutError as exc:
            report.rows.append(
                Row("compile: build vs bare parse", f"{size:,} states", "", "", str(exc), "", False)
            )
        outside = external if external_targets and size == min(sizes) else []
        try:
            _stages(report, path, size, timed, outside, bare)
        except ChildTimeoutError as exc:
            report.profile.append(f"stage breakdown at {size:,} states: {exc}")
    if 10_000 in medians and 50_000 in medians:
        linear = medians[50_000] / medians[10_000]
        report.rows.append(
            Row(
                "compile: scaling",
                "50k / 10k states",
                f"{linear:.2f}",
                "5.00 is linear",
                f"{linear:.2f}",
                f"<= {GOAL_LINEAR}",
                linear <= GOAL_LINEAR,
            )
        )
    report.details.append(f"median of {repeats} interleaved runs per size, each in a fresh process")
    return report


def _compare(
    report: Report, path: Path, size: int, rounds: int, timed: list[str], *, last: bool
) -> tuple[float, float]:
    """Bare parse and build of one spec, interleaved; add the ratio (and memory) rows; both medians."""
    out = path.parent / f"out_{size}"
    results: dict[str, list[float]] = {"bare": [], "build": []}
    memory: list[float] = []
    for round_ in range(rounds):
        order = ("bare", "build") if round_ % 2 == 0 else ("build", "bare")
        for name in order:
            if name == "bare":
                answer = run_child("bare", str(path))
            else:
                answer = run_child("build", str(path), str(out), *timed)
                if answer["exit"] != 0 and round_ == 0:
                    report.details.append(
                        f"statewright build exited {answer['exit']:.0f} at {size:,} states: a target "
                        "reported errors (see the stage breakdown), so nothing was written"
                    )
                memory.append(answer["mib"])
            results[name].append(answer["seconds"])
    bare, build = statistics.median(results["bare"]), statistics.median(results["build"])
    ratio = paired(results, "build", "bare")
    kib = path.stat().st_size / 1024
    report.rows.append(
        Row(
            "compile: build vs bare parse",
            f"{size:,} states ({kib:,.0f} KiB)" + (f", {rounds} rounds" if rounds > 1 else ", 1 round"),
            f"{build:.2f} s",
            f"bare lark parse {bare:.2f} s",
            f"{ratio:.2f}x",
            f"<= {GOAL_RATIO:.0f}x",
            ratio <= GOAL_RATIO,
        )
    )
    if last:
        peak = max(memory)
        report.rows.append(
            Row(
                "compile: peak memory",
                f"{size:,} states",
                f"{peak:.0f} MiB",
                "",
                f"{peak:.0f} MiB",
                f"<= {GOAL_MIB:.0f} MiB at 50k",
                peak <= GOAL_MIB if size >= 50_000 else None,
            )
        )
    return build, bare


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
    parser.add_argument("--targets", default="", help="only these targets, comma-separated (default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON document for benchmarks.run")
    options = parser.parse_args(args)
    only = [name.strip() for name in options.targets.split(",") if name.strip()]
    sizes = [int(size) for size in options.sizes.split(",") if size.strip()]
    with tempfile.TemporaryDirectory(prefix="sw-compile-") as folder:
        report = measure(
            sizes, options.repeats, Path(folder), external_targets=not options.no_external, only=only
        )
    if options.json:
        report.emit()
        return 0
    print(environment())
    for row in report.rows:
        print(
            f"{row.benchmark} [{row.case}]: {row.ours} vs {row.reference or '-'} -> {row.result} ({row.goal})"
        )
    print("\n".join(report.details + report.profile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
