"""Smoke test of benchmarks/verify_large.py: the script runs, at 500 states, and every rule reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "verify_large.py"


def test_benchmark_runs_at_500_states_and_finds_the_planted_defects() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--states", "500"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
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


GUARDS_SCRIPT = ROOT / "benchmarks" / "guards_smt.py"


def test_guard_benchmark_runs_at_100_pairs_and_finds_each_planted_defect() -> None:
    """The SMT benchmark generates a valid workflow and every guard rule reports its planted defect once."""
    result = subprocess.run(
        [sys.executable, str(GUARDS_SCRIPT), "--pairs", "100"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("pairs: 100 guarded state x event pairs")
    assert any(line.startswith("all guard rules:") for line in lines)
    findings = dict(item.split("=") for item in lines[-1].removeprefix("findings: ").split(", "))
    assert findings == {"SW401": "1", "SW402": "1", "SW403": "1", "SW405": "1"}


DURABLE_SCRIPT = ROOT / "benchmarks" / "runtime_durable.py"


def test_durable_runtime_benchmark_reports_every_contender_at_both_synchronous_levels(tmp_path: Path) -> None:
    """The SQLite benchmark runs at 50 events and prints, for FULL and NORMAL, the four rates with ratios."""
    result = subprocess.run(
        [
            sys.executable,
            str(DURABLE_SCRIPT),
            "--events",
            "50",
            "--batch",
            "10",
            "--repeats",
            "2",
            "--warmup",
            "20",
            "--dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("events: 50 per run after 20 untimed, median of 2, record ")
    assert lines[1].startswith("machine: ") and " Python " in lines[1] and " SQLite " in lines[1]
    contenders = [
        "raw sqlite insert+commit",
        "runtime durable send",
        "raw sqlite batched (10/txn)",
        "runtime batched (10/txn)",
    ]
    assert len(lines) == 12
    assert [lines[2], lines[7]] == ["synchronous=FULL (WAL)", "synchronous=NORMAL (WAL)"]
    for block in (lines[3:7], lines[8:12]):
        assert [line.split(":")[0].strip() for line in block] == contenders
        assert "ratio" in block[1] and "ratio" in block[3]


DISPATCH_SCRIPT = ROOT / "benchmarks" / "runtime_dispatch.py"


def test_dispatch_benchmark_runs_every_contender_on_the_same_ring() -> None:
    """The dispatch benchmark runs at 2,000 events and reports every contender as a ratio to the floor."""
    result = subprocess.run(
        [sys.executable, str(DISPATCH_SCRIPT), "--events", "2000", "--states", "5", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
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
