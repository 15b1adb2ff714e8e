"""Benchmark: what a user waits for at the prompt — `statewright check` and `--version`, whole processes.

Usage: python -m benchmarks.check_latency [--repeats 15] [--spec examples/order_fulfilment.wf] [--json]

Every contender is a fresh process, run in turn (interleaved, the order rotated
each round); each run's cost is its CPU time, user plus system, read from
`resource.getrusage(RUSAGE_CHILDREN)` before and after, so imports, start-up and
exit all count and other work on a shared machine does not:

- `statewright check SPEC` through the console script (`statewright.launch`),
  output discarded, no configuration above the spec's temporary copy;
- `statewright --version`;
- `mypy --strict` with a warm cache on a fixed, generated 460-line module
  (`reference_module`: typed dataclasses, enums, protocols and functions over the
  standard library only), in a temporary directory with its own cache directory;
  one unmeasured run first fills the cache;
- `python -c pass`, the interpreter's own start, for the details.

Bytecode is cached as an installed package's is (pip compiles it on install):
the children run with `PYTHONPYCACHEPREFIX` in the scratch directory and without
`PYTHONDONTWRITEBYTECODE`, and one unmeasured run of each contender fills it, so
no run pays for compiling sources and the working tree is left alone.

The rows: `check` over mypy warm, the median of the per-round ratios (goal:
at most 2.5x, issue 20), and `--version`'s median CPU time (goal: at most 0.06 s).
The profile is one `check` in a fresh interpreter under cProfile, imports included.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from benchmarks.common import Groups, Report, Row, interleaved, paired

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "examples" / "order_fulfilment.wf"
CHECK_GOAL = 2.5
"""`check` at most this many times mypy --strict's warm run (issue 20)."""
VERSION_GOAL_S = 0.06
"""`statewright --version` at most this much CPU time (issue 20)."""

PROFILE_GROUPS: Groups = (
    (
        "lark: grammar analysis and LALR tables",
        ("lark/load_grammar", "lark/parsers/lalr_analysis", "grammar"),
    ),
    ("lark: lexing and parsing", ("lark/",)),
    ("z3", ("z3",)),
    ("typer, click and pydantic (arguments)", ("typer/", "pydantic")),
    ("rich (output)", ("rich/",)),
    ("statewright: parse actions and AST", ("statewright/dsl/",)),
    ("statewright: lowering", ("statewright/compiler/lower", "statewright/compiler/typecheck")),
    ("statewright: verification rules and SMT", ("statewright/compiler/",)),
    ("statewright: summary, recommendation, report", ("statewright/report/",)),
    ("statewright: other", ("statewright/",)),
    (
        "module loading (compile, unmarshal, exec)",
        ("<frozen", "marshal", "builtins.exec", "builtins.compile"),
    ),
    ("dataclass creation", ("dataclasses.py",)),
    ("class creation (module bodies)", ("__build_class__",)),
    (
        "type introspection (typing, inspect: typer, pydantic)",
        ("typing.py", "inspect.py", "typing_extensions"),
    ),
    ("file system (finding modules)", ("posix.", "io.open_code", "_imp.exec_dynamic", "dlopen")),
    ("regular expressions", ("re/", "sre_", "_sre")),
)
"""Where one `check` process goes, for the profile summary (first match wins)."""


def reference_module(lines: int = 460) -> str:
    """A fixed, typed, standard-library-only module of about `lines` lines: what mypy checks for reference."""
    head = [
        '"""A generated module for the mypy reference run: typed, standard library only."""',
        "",
        "from __future__ import annotations",
        "",
        "import enum",
        "from collections.abc import Iterable, Mapping, Sequence",
        "from dataclasses import dataclass, field",
        "from typing import Protocol",
        "",
        "",
    ]
    body: list[str] = []
    index = 0
    while len(head) + len(body) < lines:
        body += [
            f"class Kind{index}(enum.Enum):",
            f'    """Kinds of record {index}."""',
            "",
            '    A = "a"',
            '    B = "b"',
            "",
            "",
            "@dataclass(frozen=True, slots=True)",
            f"class Record{index}:",
            f'    """Record {index}: a name, a kind and some counts."""',
            "",
            "    name: str",
            f"    kind: Kind{index}",
            "    counts: tuple[int, ...] = ()",
            "    tags: Mapping[str, str] = field(default_factory=dict)",
            "",
            "    def total(self) -> int:",
            '        """The sum of the counts."""',
            "        return sum(self.counts)",
            "",
            "",
            f"class Source{index}(Protocol):",
            f'    """Where records {index} come from."""',
            "",
            f"    def records(self) -> Iterable[Record{index}]: ...",
            "",
            "",
            f"def summarise{index}(source: Source{index}, wanted: Sequence[str]) -> dict[str, int]:",
            f'    """Totals of the wanted records {index} by name."""',
            "    totals: dict[str, int] = {}",
            "    for record in source.records():",
            f"        if record.name in wanted and record.kind is Kind{index}.A:",
            "            totals[record.name] = totals.get(record.name, 0) + record.total()",
            "    return totals",
            "",
            "",
        ]
        index += 1
    return "\n".join((head + body)[:lines]).rstrip() + "\n"


def cpu_of(command: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> float:
    """Run `command` to completion, output discarded; the CPU time (user + system) it took, in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        list(command), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-400:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def statewright_command() -> list[str]:
    """The console script beside the interpreter (as users run it), else `python -m statewright`."""
    script = Path(sys.executable).parent / "statewright"
    return [str(script)] if script.exists() else [sys.executable, "-m", "statewright"]


def mypy_command(module: Path, cache: Path) -> list[str]:
    """Run mypy --strict on `module` alone, with its own cache directory."""
    return [
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--no-error-summary",
        "--cache-dir",
        str(cache),
        str(module),
    ]


def child_environment(work: Path) -> dict[str, str]:
    """The children's environment: plain output, bytecode cached under `work` (see the module docstring)."""
    drop = ("FORCE_COLOR", "STATEWRIGHT_DEBUG", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(NO_COLOR="1", PYTHONPYCACHEPREFIX=str(work / "pycache"))
    return env


def contenders(spec: Path, work: Path) -> dict[str, Callable[[], float]]:
    """Each contender as a function that runs it once and returns its CPU time (each run once, unmeasured)."""
    copy = work / spec.name
    shutil.copyfile(spec, copy)  # away from the repository's pyproject.toml, so no configuration applies
    module = work / "reference.py"
    module.write_text(reference_module(), "utf-8")
    cache = work / ".mypy_cache"
    env = child_environment(work)
    statewright = statewright_command()
    runs: dict[str, Callable[[], float]] = {
        "check": lambda: cpu_of([*statewright, "check", copy.name], work, env),
        "version": lambda: cpu_of([*statewright, "--version"], work, env),
        "mypy": lambda: cpu_of(mypy_command(module, cache), work, env),
        "python": lambda: cpu_of([sys.executable, "-c", "pass"], work, env),
    }
    for run in runs.values():
        run()  # fills the bytecode and mypy caches: the measured runs are warm
    return runs


def profile_lines(spec: Path, work: Path) -> list[str]:
    """One `check` in a fresh interpreter under cProfile (imports included): the share of each group."""
    code = (
        "import contextlib, io, json, sys\n"
        "from benchmarks.check_latency import PROFILE_GROUPS\n"
        "from benchmarks.common import self_time_shares\n"
        "def run():\n"
        "    from statewright.cli import main\n"
        "    try:\n"
        "        with contextlib.redirect_stdout(io.StringIO()):\n"
        f"            main(['check', {str(work / spec.name)!r}])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(json.dumps(self_time_shares(run, PROFILE_GROUPS, 'one check process')))\n"
    )
    env = {**child_environment(work), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, check=True
    )
    lines: list[str] = json.loads(done.stdout.splitlines()[-1])
    return lines


def import_lines(spec: Path, work: Path, top: int = 12) -> list[str]:
    """One `check` under `python -X importtime`: each package's share of the self time of every import."""
    command = [sys.executable, "-X", "importtime", "-m", "statewright", "check", spec.name]
    env = child_environment(work)
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, check=False)
    totals: dict[str, int] = {}
    for line in done.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(fields) != 3 or not fields[0].strip().isdigit():
            continue
        parts = fields[2].strip().split(".")
        package = ".".join(parts[:2]) if parts[0] == "statewright" else parts[0]
        totals[package] = totals.get(package, 0) + int(fields[0])
    whole = sum(totals.values()) or 1
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    lines = [f"imports of one check process (-X importtime, share of {len(totals)} packages' self time):"]
    lines += [f"  {package}: {100 * micros / whole:.0f}%" for package, micros in ranked[:top]]
    return lines


def measure(spec: Path, repeats: int) -> Report:
    """Time every contender, interleaved, in fresh processes; the rows."""
    with tempfile.TemporaryDirectory(prefix="sw-check-latency-") as scratch:
        work = Path(scratch)
        runs = contenders(spec, work)
        results = interleaved(runs, repeats)
        profile = [*import_lines(spec, work), *profile_lines(spec, work)]
    median = {name: statistics.median(times) for name, times in results.items()}
    ratio = paired(results, "check", "mypy")
    lines = len(spec.read_text("utf-8").splitlines())
    report = Report("check_latency")
    report.rows.append(
        Row(
            "check latency",
            f"`statewright check` {spec.name} ({lines} lines), whole process",
            f"{median['check']:.3f} s CPU",
            f"mypy --strict warm, 460-line module: {median['mypy']:.3f} s",
            f"{ratio:.2f}x",
            f"<= {CHECK_GOAL:g}x mypy warm",
            ratio <= CHECK_GOAL,
        )
    )
    report.rows.append(
        Row(
            "start-up",
            "`statewright --version`, whole process",
            f"{median['version']:.3f} s CPU",
            f"python -c pass: {median['python']:.3f} s",
            f"{median['version']:.3f} s",
            f"<= {VERSION_GOAL_S:g} s",
            median["version"] <= VERSION_GOAL_S,
        )
    )
    report.details.append(
        f"fresh processes, CPU time (user + system) from getrusage(RUSAGE_CHILDREN), median of {repeats} "
        f"interleaved rounds; console script {' '.join(statewright_command())}"
    )
    report.details.append(
        "medians: " + ", ".join(f"{name} {seconds:.3f} s" for name, seconds in median.items())
    )
    report.profile += profile
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print it (or, with `--json`, hand it to the runner)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--json", action="store_true", help="print one JSON document for benchmarks.run")
    args = parser.parse_args(argv)
    report = measure(args.spec.resolve(), args.repeats)
    return report.show(args.json)


if __name__ == "__main__":
    sys.exit(main())
