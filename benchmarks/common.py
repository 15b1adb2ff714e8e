"""What every benchmark shares: the environment line, medians of interleaved runs, and result rows.

A benchmark script prints a human-readable report; with `--json` it prints one
JSON document instead (`emit`), which `benchmarks/run.py` turns into the table of
docs/PERFORMANCE.md. A row is one comparison: our number, the reference's, the
ratio measured in the same run, the goal and whether it is met.
"""

from __future__ import annotations

import cProfile
import json
import os
import platform
import pstats
import sqlite3
import statistics
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version

PACKAGES = ("statewright", "lark", "z3-solver", "transitions", "python-statemachine")
"""The packages whose versions the numbers depend on."""


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the results table."""

    benchmark: str
    case: str
    ours: str
    reference: str
    result: str
    goal: str
    met: bool | None
    """True or False when the row has a goal; None for a row shown for comparison only."""


@dataclass(slots=True)
class Report:
    """What one benchmark script hands the runner: rows, detail lines and a profile summary."""

    name: str
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    profile: list[str] = field(default_factory=list)

    def emit(self) -> None:
        """Print the report as one JSON document on stdout (for `benchmarks/run.py`)."""
        document = {
            "name": self.name,
            "rows": [asdict(row) for row in self.rows],
            "details": self.details,
            "profile": self.profile,
        }
        json.dump(document, sys.stdout, indent=1)
        sys.stdout.write("\n")

    def show(self, as_json: bool) -> int:
        """Hand the report to the runner (`--json`) or print it for a person; the exit code (0)."""
        if as_json:
            self.emit()
            return 0
        print(environment())
        for row in self.rows:
            versus = f"{row.ours} vs {row.reference or '-'}"
            print(f"{row.benchmark} [{row.case}]: {versus} -> {row.result} ({row.goal})")
        print("\n".join(self.details + self.profile))
        return 0


def report_of(document: dict[str, object]) -> Report:
    """Read a report back from the JSON `Report.emit` printed."""
    rows = document.get("rows", [])
    details = document.get("details", [])
    profile = document.get("profile", [])
    assert isinstance(rows, list) and isinstance(details, list) and isinstance(profile, list)
    return Report(
        str(document.get("name", "?")),
        [Row(**row) for row in rows],
        [str(line) for line in details],
        [str(line) for line in profile],
    )


def versions(names: Sequence[str] = PACKAGES) -> str:
    """The installed versions of `names`, as `name X.Y, ...`."""
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def cpu_model() -> str:
    """The processor's model name (Linux), or the platform's description."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> str:
    """The machine, Python, SQLite and package versions the numbers were measured on."""
    return (
        f"machine: {platform.platform()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu_model()}); "
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; {versions()}"
    )


def interleaved(contenders: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Run every contender `repeats` times, rotating the order each round; each one's results, by round."""
    results: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_ in range(repeats):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].append(contenders[name]())
    return results


def paired(results: dict[str, list[float]], name: str, reference: str) -> float:
    """The median over rounds of `name`'s result over `reference`'s result in the same round."""
    return statistics.median(a / b for a, b in zip(results[name], results[reference], strict=True))


def verdict(met: bool | None) -> str:
    """How a row's goal reads in the table."""
    return "—" if met is None else "met" if met else "**missed**"


Groups = Sequence[tuple[str, tuple[str, ...]]]
"""Profile groups: a label and the substrings of a function's file (or built-in's name) it covers."""


def self_time_shares(run: Callable[[], object], groups: Groups, title: str) -> list[str]:
    """Run `run` under cProfile and say what share of the self time each group of code took.

    A profile summary for the report: measured in the same run, coarse on purpose
    (cProfile inflates Python calls, so the shares say where time goes, not how long).
    """
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    totals: Counter[str] = Counter()
    for (file, _line, function), row in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        where = f"{file} {function}"
        label = next((name for name, needles in groups if any(n in where for n in needles)), "other")
        totals[label] += row[2]
    total = sum(totals.values()) or 1.0
    lines = [f"{title} (cProfile, share of self time):"]
    lines += [f"  {label}: {100 * seconds / total:.0f}%" for label, seconds in totals.most_common()]
    return lines
