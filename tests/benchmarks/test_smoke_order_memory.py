"""Smoke tests of the order scenario and its in-memory benchmark (tiny sizes; no time is asserted)."""

from __future__ import annotations

import json

from benchmarks import order_scenario
from benchmarks.order_memory import OURS, REFERENCE
from tests.benchmarks.test_smoke import run_module


def test_every_order_ends_shipped_in_memory_and_by_hand_and_every_fifth_is_approved_twice() -> None:
    module = order_scenario.generated_module()
    for i in range(10):
        assert order_scenario.run_in_memory(module, i) == order_scenario.hand_written(i) == "Shipped"
        approvals = [step for step in order_scenario.steps(i) if step.event == "approve"]
        assert len(approvals) == (2 if order_scenario.is_large(i) else 0)
    assert order_scenario.steps(3) == order_scenario.steps(3)  # deterministic


def test_order_memory_benchmark_reports_its_row_against_the_hand_written_reference() -> None:
    result = run_module("order_memory", "--orders", "5", "--repeats", "1", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["name"] == "order_memory"
    assert set(document) == {"name", "rows", "details", "profile"}
    [row] = document["rows"]
    assert set(row) == {"benchmark", "case", "ours", "reference", "result", "goal", "met"}
    assert row["goal"] == "<= 5x hand-written"
    assert isinstance(row["met"], bool)
    assert row["reference"].startswith(REFERENCE)
    assert OURS and row["ours"].endswith("us/order")
    assert document["profile"][0].startswith("5 orders in memory")
