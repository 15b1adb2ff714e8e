"""The keystroke-latency benchmark runs and hands the runner one row per example (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import example_files
from tests.tools import ROOT


def test_latency_benchmark_reports_every_example_and_a_goal_for_the_largest() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.lsp_latency", "--edits", "2", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["rows"]
    assert len(rows) == len(example_files())
    assert [row["met"] is not None for row in rows].count(True) == 1
    assert all(row["ours"].startswith("median ") for row in rows)
