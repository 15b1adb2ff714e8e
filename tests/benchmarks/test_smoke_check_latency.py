"""Smoke test of `benchmarks/check_latency.py`: one round, every contender reported, the JSON shape."""

from __future__ import annotations

import ast
import json

from benchmarks.check_latency import reference_module
from benchmarks.common import report_of
from tests.benchmarks.test_smoke import run_module


def test_one_round_reports_both_rows_with_their_references_and_a_profile() -> None:
    done = run_module("check_latency", "--repeats", "1", "--json", timeout=300)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert set(document) == {"name", "rows", "details", "profile"}
    report = report_of(document)
    assert report.name == "check_latency"
    check, version = report.rows
    assert check.benchmark == "check latency" and "order_fulfilment.wf" in check.case
    assert check.reference.startswith("mypy --strict warm")
    assert check.goal == "<= 2.5x mypy warm" and isinstance(check.met, bool)
    assert version.benchmark == "start-up" and "--version" in version.case
    assert version.goal == "<= 0.06 s" and isinstance(version.met, bool)
    medians = next(line for line in report.details if line.startswith("medians: "))
    assert all(name in medians for name in ("check", "version", "mypy", "python"))
    assert report.profile[0].startswith("imports of one check process")
    assert any(line.startswith("one check process") for line in report.profile)


def test_the_mypy_reference_module_is_fixed_valid_python_of_460_lines() -> None:
    text = reference_module()
    assert text == reference_module()
    assert len(text.splitlines()) == 460
    ast.parse(text)
