"""Smoke tests: every benchmark runs at tiny sizes and reports every contender (no time is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def run_module(module: str, *arguments: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """Run `python -m benchmarks.<module> ARGUMENTS` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )


def test_benchmark_runs_at_500_states_and_finds_the_planted_defects() -> None:
    result = run_module("verify_large", "--states", "500")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("states: 500 ")
    assert any(line.startswith("all rules:") for line in lines)
    findings = dict(item.split("=") for item in lines[-1].removeprefix("findings: ").split(", "))
    assert findings == {
        "SW301": "5",  # the island, state by state
        "SW302": "2",  # the trap cycle
        "SW303": "1",
        "SW304": "1",
        "SW305": "1",
        "SW310": "1",
        "SW311": "3",  # the planted states do not refuse the events they ignore
    }


def test_guard_benchmark_runs_at_100_pairs_and_finds_each_planted_defect() -> None:
    """The SMT benchmark generates a valid workflow and every guard rule reports its planted defect once."""
    result = run_module("guards_smt", "--pairs", "100")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("pairs: 100 guarded state x event pairs")
    assert any(line.startswith("all guard rules:") for line in lines)
    findings = dict(item.split("=") for item in lines[-1].removeprefix("findings: ").split(", "))
    assert findings == {"SW401": "1", "SW402": "1", "SW403": "1", "SW405": "1"}


def test_dispatch_benchmark_runs_every_contender_on_the_same_ring() -> None:
    """The dispatch benchmark runs at 2,000 events and reports every contender as a ratio to the floor."""
    result = run_module("runtime_dispatch", "--events", "2000", "--states", "5", "--repeats", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "events: 2000 on a ring of 5 states"
    names = [line.split(":")[0] for line in lines[1:-1]]
    assert names == [
        "dict-of-dicts floor",
        "statewright generated Machine.send",
        "statewright generated event methods",
        "statewright engine.send (pure step)",
        "transitions Machine.trigger",
        "python-statemachine send",
    ]
    assert lines[1].endswith("1.00x floor")
    assert all(line.endswith("x floor") for line in lines[1:-1])
    assert lines[-1].startswith("median of 1 interleaved runs; goal for Machine.send: <= 1.5x floor")


def _rows(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    rows = document["rows"]
    assert isinstance(rows, list)
    return rows


def test_every_benchmark_hands_the_runner_rows_with_a_goal_or_marked_as_comparison(tmp_path: Path) -> None:
    """With `--json` each benchmark prints one document whose rows the runner can tabulate."""
    runs = {
        "dispatch": run_module(
            "runtime_dispatch", "--events", "500", "--states", "5", "--repeats", "1", "--json"
        ),
        "guards": run_module("guards_smt", "--pairs", "20", "--json"),
        "verify": run_module("verify_large", "--states", "100", "--json"),
        "construction": run_module("construction", "--count", "20", "--repeats", "1", "--json"),
    }
    for name, result in runs.items():
        rows = _rows(result)
        assert rows, name
        for row in rows:
            assert set(row) == {"benchmark", "case", "ours", "reference", "result", "goal", "met"}, name
            assert row["met"] in (True, False, None), name
    construction = _rows(runs["construction"])
    assert [row["goal"] for row in construction] == [">= 100x faster", "(comparison)"]


def test_compile_benchmark_builds_with_every_registered_target_and_compares_with_bare_parsing() -> None:
    """At tiny sizes: a row per target (two asked for), `--target all`, the check stages, a breakdown."""
    from statewright.plugins.manager import get_plugin_manager

    arguments = ("--sizes", "60,80", "--repeats", "1", "--no-external", "--targets", "ir,table", "--json")
    result = run_module("compile", *arguments)
    rows = _rows(result)
    assert [row["benchmark"] for row in rows] == [
        "compile: build --target ir",
        "compile: build --target table",
        "compile: build --target all (peak memory)",
        "compile: parse + lower + verify only",
    ]
    assert rows[0]["case"] == "60 / 80 states"
    assert "growth" in str(rows[0]["result"]) and "MiB" in str(rows[2]["result"])
    assert all(
        str(row["reference"]).startswith("bare lark parse")
        for row in rows
        if "parse" in str(row["benchmark"])
    )
    document = json.loads(result.stdout)
    profile = "\n".join(document["profile"])
    assert "stage breakdown at 80 states" in profile
    assert "parse (lark + AST builder)" in profile
    targets = get_plugin_manager().targets()
    timed = document["details"][0]
    for name in targets:
        assert name in timed, name  # every registered target is built (or named as left out)


def test_runner_writes_the_markdown_table(tmp_path: Path) -> None:
    """`benchmarks.run` writes the report: environment, the table, a row per comparison."""
    out = tmp_path / "PERFORMANCE.md"
    result = run_module("run", "--quick", "--only", "construction", "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text("utf-8")
    assert text.startswith("# Performance\n")
    assert "machine: " in text and "python-statemachine" in text
    assert "| Benchmark | Case | Ours | Reference | Result | Goal | Verdict |" in text
    assert text.count("| instance construction |") == 2


def test_the_suite_runs_every_benchmark_module_and_only_those() -> None:
    """`make bench` lists every module that prints a report (`--json`), each under one name."""
    from benchmarks.run import BENCHMARKS

    listed = [benchmark.module for benchmark in BENCHMARKS]
    reporting = sorted(
        f"benchmarks.{path.stem}"
        for path in (ROOT / "benchmarks").glob("*.py")
        if '"--json"' in path.read_text("utf-8") and path.stem != "run"
    )
    assert sorted(listed) == reporting
    assert len({benchmark.name for benchmark in BENCHMARKS}) == len(BENCHMARKS)


def test_runner_measures_again_only_what_it_is_told_and_reuses_the_rest(tmp_path: Path) -> None:
    """`--only X --reuse saved.json`: X is measured now, every other row comes from the saved run, said so."""
    row = {
        "benchmark": "guards",
        "case": "saved case",
        "ours": "1 s",
        "reference": "",
        "result": "1 s",
        "goal": "<= 5 s",
        "met": True,
    }
    report = {"name": "guards", "rows": [row], "details": ["saved details"], "profile": []}
    saved = {
        "quick": True,
        "stamp": "2026-01-02 03:04 UTC",
        "seconds": 1.0,
        "reports": [{"report": report, "seconds": 1.0}],
    }
    reuse = tmp_path / "saved.json"
    reuse.write_text(json.dumps(saved), "utf-8")
    out = tmp_path / "PERFORMANCE.md"
    arguments = ("--quick", "--only", "construction", "--reuse", str(reuse), "--out", str(out))
    result = run_module("run", *arguments)
    assert result.returncode == 0, result.stderr
    text = out.read_text("utf-8")
    assert "construction measured again; every other row from the run of 2026-01-02 03:04 UTC" in text
    assert "| guards | saved case |" in text and "| instance construction |" in text
    assert text.index("| instance construction |") < text.index("| guards | saved case |")
