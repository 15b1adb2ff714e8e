"""Smoke tests of the durable order benchmark (tiny sizes; no time is asserted)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from benchmarks import order_durable, order_scenario
from benchmarks.order_durable import OURS, REFERENCE, Contender
from statewright.runtime.sqlite import SQLiteStore
from tests.benchmarks.test_smoke import run_module


def test_both_contenders_ship_every_order_and_the_hand_written_one_commits_once_per_transition(
    tmp_path: Path,
) -> None:
    module = order_scenario.generated_module(tmp_path)
    with SQLiteStore(tmp_path / "ours.db", synchronous="NORMAL") as store:
        assert order_durable.run_durable(module, store, range(5)) == ["Shipped"] * 5
        assert store.work() == []  # every item of work ran and was marked done
    conn = order_durable.connect(tmp_path / "hand.db", "NORMAL")
    try:
        assert order_durable.run_hand_written(conn, range(5)) == ["Shipped"] * 5
        transitions = conn.execute("SELECT count(*) FROM history").fetchone()[0]
        assert transitions == 4 * 8 + 10  # start, submit, valid, five saga steps; two approvals more
        assert conn.execute("SELECT DISTINCT state FROM orders").fetchall() == [("Shipped",)]
    finally:
        conn.close()
    statements, commits, synced = order_durable.counts(Contender(REFERENCE, module, "FULL", tmp_path), 5)
    assert commits == synced == transitions / 5 and statements == 4 * commits  # BEGIN, UPDATE, INSERT, COMMIT
    _, commits, synced = order_durable.counts(Contender(OURS, module, "FULL", tmp_path), 5)
    # The validation work's outcome is a step of ours (an audit record); the marks of `do` work alone
    # (the saga's exit and Shipped's entry work) are synced with the next commit.
    assert synced == transitions / 5 + 1 < commits
    assert all(
        not path.name.endswith(".db") or path.name in ("ours.db", "hand.db") for path in tmp_path.iterdir()
    )


def test_order_durable_benchmark_reports_a_row_per_synchronous_level(tmp_path: Path) -> None:
    arguments = ("--orders", "5", "--repeats", "1", "--dir", str(tmp_path), "--json")
    result = run_module("order_durable", *arguments, timeout=300)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["name"] == "order_durable"
    assert set(document) == {"name", "rows", "details", "profile"}
    rows = document["rows"]
    assert [row["case"].split(",")[1].strip() for row in rows] == ["synchronous=NORMAL", "synchronous=FULL"]
    assert [row["goal"] for row in rows] == ["<= 1.5x hand-written (cpu)", "<= 1.2x hand-written (wall)"]
    for row in rows:
        assert set(row) == {"benchmark", "case", "ours", "reference", "result", "goal", "met"}
        assert isinstance(row["met"], bool)
        assert row["reference"].startswith(REFERENCE)
        assert "statements" in row["ours"] and "commits" in row["ours"]
    assert OURS and document["profile"][0].startswith("5 durable orders, synchronous=NORMAL")
    assert list(tmp_path.iterdir()) == []  # every database file was removed


def test_the_hand_written_machine_keeps_state_context_and_history_in_sqlite(tmp_path: Path) -> None:
    conn = order_durable.connect(tmp_path / "hand.db", "FULL")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        order_durable.run_hand_written(conn, range(order_scenario.LARGE_EVERY))
        context = json.loads(conn.execute("SELECT context FROM orders WHERE id = 'order-4'").fetchone()[0])
        assert context["payment_receipt"] == "rcpt-1" and context["amount"] == "15000.00"
    finally:
        conn.close()
    assert sqlite3.sqlite_version
