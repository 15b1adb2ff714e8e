"""Smoke test of `benchmarks.bpmn_stages`: it runs at tiny sizes and reports every row (no time asserted)."""

from __future__ import annotations

import json

from benchmarks.common import report_of
from tests.benchmarks.test_smoke import run_module


def test_bpmn_stages_reports_every_size_every_stage_and_the_profile() -> None:
    result = run_module("bpmn_stages", "--sizes", "60,120", "--repeats", "1", "--json")
    assert result.returncode == 0, result.stderr
    report = report_of(json.loads(result.stdout))
    assert report.name == "bpmn_stages"
    cases = [row.case for row in report.rows]
    assert cases[:2] == ["60 states", "120 states"]
    assert cases[2:] == [f"{stage}, 60 -> 120 states" for stage in ("graph", "layout", "xml", "bare parse")]
    assert all(row.met is None for row in report.rows if row.case.startswith("bare parse"))
    assert all(isinstance(row.met, bool) for row in report.rows if not row.case.startswith("bare parse"))
    assert all("bare lark parse" in row.reference for row in report.rows[:2])
    assert any("cyclic GC took" in line for line in report.details)
    assert report.profile and "cProfile" in report.profile[0]
