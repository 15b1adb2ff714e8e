"""Smoke test of the front-end benchmark (tiny sizes; no time is asserted)."""

from __future__ import annotations

import json

from tests.benchmarks.test_smoke import run_module


def test_front_end_benchmark_reports_every_size_the_growth_and_the_memory() -> None:
    result = run_module("front_end", "--sizes", "60,120", "--repeats", "1", "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["name"] == "front_end"
    assert set(document) == {"name", "rows", "details", "profile"}
    rows = document["rows"]
    for row in rows:
        assert set(row) == {"benchmark", "case", "ours", "reference", "result", "goal", "met"}
        assert isinstance(row["met"], bool)
    cases = [row["case"] for row in rows]
    assert cases == [
        "parse + lower + verify, 60 states",
        "parse + lower + verify, 120 states",
        "growth 60 -> 120 states",
        "peak memory, 120 states",
    ]
    assert all(row["reference"].startswith("bare parse") for row in rows[:2])
    assert rows[0]["goal"] == "<= 2x bare parse"
    assert all("SMT queries" in line and "verify" in line for line in document["details"])
    assert document["profile"][0].startswith("verify, synthetic_60")
