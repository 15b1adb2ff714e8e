"""`statewright run migrate`: only the safe instances move, the others stay byte for byte, replay passes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from statewright.cli import app
from tests.migration import corpus

NOW = "2026-01-01T00:00:00Z"
LATER = "2026-01-01T01:00:00Z"
SPEC = str(corpus.OLD)


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, ["run", *args])


def _ok(*args: str) -> str:
    done = _run(*args)
    assert done.exit_code == 0, done.output
    return str(done.output)


class Store:
    """A store with instances of version 3 of the example, driven through the command line."""

    def __init__(self, tmp_path: Path) -> None:
        self.db = str(tmp_path / "o.db")
        self.tmp = tmp_path

    def start(self, name: str, *values: str) -> None:
        sets = [arg for value in values for arg in ("--set", value)]
        _ok("start", SPEC, "--db", self.db, "--id", name, "--now", NOW, *sets)

    def send(self, name: str, event: str, *extra: str) -> None:
        _ok("send", SPEC, name, event, "--db", self.db, "--now", NOW, *extra)

    def finish_work(self, name: str, *result: str) -> None:
        """Report the invoked work of the instance's state done (with `result`, JSON, if given)."""
        status = json.loads(_ok("status", SPEC, name, "--db", self.db, "--now", NOW, "--format", "json"))
        (key,) = status["work"].values()
        _ok("work", SPEC, name, key, "--db", self.db, "--now", NOW, *result)

    def rows(self, name: str) -> list[Any]:
        """Everything the store holds for one instance, as stored (bytes)."""
        with sqlite3.connect(self.db) as conn:
            found: list[Any] = []
            for table in ("instances", "records", "timers", "work"):
                column = "id" if table == "instances" else "instance"
                found += [
                    (table, *row)
                    for row in conn.execute(f"SELECT * FROM {table} WHERE {column} = ?", (name,))
                ]
            return sorted(found, key=repr)

    def new(self, text: str) -> str:
        path = self.tmp / "v4.wf"
        path.write_text(text, "utf-8")
        return str(path)

    def migrate(self, new: str, *extra: str) -> tuple[int, dict[str, Any]]:
        done = _run("migrate", SPEC, "--db", self.db, "--to", new, "--now", LATER, "--format", "json", *extra)
        return done.exit_code, json.loads(done.output)

    def verify(self, spec: str, name: str) -> None:
        _ok("verify", spec, name, "--db", self.db, "--now", LATER)


def _outcomes(document: dict[str, Any]) -> dict[str, str]:
    return {row["instance"]: row["outcome"] for row in document["instances"]}


def _quarantined(store: Store, name: str) -> None:
    store.start(name, "amount=100.00")
    store.send(name, "submit")
    store.send(name, "invalid")


def test_renamed_state_moves_with_its_timers_and_replays_under_the_new_definition(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _quarantined(store, "q")
    store.start("d", "amount=5.00")
    new = store.new(corpus.RENAMED)
    code, document = store.migrate(new, "--actor", "ops:ann")
    assert code == 0, document
    assert _outcomes(document) == {"q": "moved", "d": "moved"}
    status = json.loads(_ok("status", new, "q", "--db", store.db, "--now", LATER, "--format", "json"))
    assert status["active"] == ["ReviewQueue"] and status["context"]["channel"] == "web"
    assert sorted(t["key"] for t in status["timers"])[-1].startswith("timeout:ReviewQueue:")
    log = json.loads(_ok("log", new, "q", "--db", store.db, "--now", LATER, "--format", "json"))
    last = log["records"][-1]
    assert last["kind"] == "migration" and last["actor"] == "ops:ann"
    assert (last["source"], last["target"]) == (["Quarantine"], ["ReviewQueue"])
    for name in ("q", "d"):
        store.verify(new, name)
    # The instance runs on under the new definition: its re-keyed timeout fires, and replay still passes.
    _ok("tick", new, "--db", store.db, "--now", "2026-01-09T00:00:00Z")
    status = json.loads(
        _ok("status", new, "q", "--db", store.db, "--now", "2026-01-09T00:00:00Z", "--format", "json")
    )
    assert status["active"] == ["Cancelled"]
    store.verify(new, "q")
    # The old spec no longer runs it: a clear refusal, not a crash.
    refused = _run("send", SPEC, "q", "reviewed", "--db", store.db, "--now", "2026-01-09T00:00:00Z")
    assert refused.exit_code != 0 and "SW969" in refused.output


def test_a_narrowed_type_moves_exactly_the_instances_that_fit(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.start("small", "amount=5.00", "items=50")
    store.start("large", "amount=5.00", "items=300")
    before = store.rows("large")
    code, document = store.migrate(store.new(corpus.NARROWED))
    assert code == 1
    outcomes = _outcomes(document)
    assert outcomes == {"small": "moved", "large": "refused"}
    (row,) = [r for r in document["instances"] if r["instance"] == "large"]
    assert row["code"] == "SW996" and "items" in row["detail"]
    assert store.rows("large") == before
    store.verify(str(tmp_path / "v4.wf"), "small")
    store.verify(SPEC, "large")


def test_a_new_invariant_refuses_the_contexts_that_break_it(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.start("cheap", "amount=100.00")
    store.start("dear", "amount=60000.00")
    before = store.rows("dear")
    code, document = store.migrate(store.new(corpus.INVARIANT))
    assert code == 1 and _outcomes(document) == {"cheap": "moved", "dear": "refused"}
    assert "amount <= 50000.00" in document["instances"][1]["detail"]
    assert store.rows("dear") == before


def test_a_removed_state_refuses_its_instances_and_moves_the_others(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _quarantined(store, "q")
    store.start("d", "amount=5.00")
    before = store.rows("q")
    code, document = store.migrate(store.new(corpus.REMOVED))
    assert code == 1 and _outcomes(document) == {"q": "refused", "d": "moved"}
    assert "Quarantine" in document["instances"][0]["detail"]
    assert store.rows("q") == before
    store.verify(str(tmp_path / "v4.wf"), "d")


def test_a_removed_compensation_refuses_instances_past_the_charge(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for name in ("early", "late"):
        store.start(name, "amount=100.00")
        store.send(name, "submit")
        store.send(name, "valid")
    store.finish_work("late")  # reserve_stock
    store.finish_work("late", "--result", '{"receipt": "r-1"}')  # charge_card: the refund is owed now
    status = json.loads(_ok("status", SPEC, "late", "--db", store.db, "--now", NOW, "--format", "json"))
    assert status["active"] == ["Fulfilling.book_courier"]
    before = store.rows("late")
    code, document = store.migrate(store.new(corpus.NO_COMPENSATION))
    assert code == 1 and _outcomes(document) == {"early": "moved", "late": "refused"}
    assert "refund_card" in document["instances"][1]["detail"]
    assert store.rows("late") == before
    store.verify(str(tmp_path / "v4.wf"), "early")


def test_changed_approvers_refuse_an_instance_with_votes_cast_at_that_level(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for name in ("voted", "fresh"):
        store.start(name, "amount=20000.00")
        store.send(name, "submit")
        store.send(name, "valid")
    _ok(
        "delegate", SPEC, "voted", "--db", store.db, "--now", NOW,
        "--actor", "user:bob", "--role", "sales_manager", "--to", "user:eve",
    )  # fmt: skip
    before = store.rows("voted")
    code, document = store.migrate(store.new(corpus.APPROVERS))
    assert code == 1 and _outcomes(document) == {"voted": "refused", "fresh": "moved"}
    assert "votes were cast" in document["instances"][0]["detail"]
    assert store.rows("voted") == before
    store.verify(str(tmp_path / "v4.wf"), "fresh")


def test_dry_run_moves_nothing_and_a_second_run_skips_moved_instances(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.start("d", "amount=5.00")
    before = store.rows("d")
    new = store.new(corpus.RENAMED)
    code, document = store.migrate(new, "--dry-run")
    assert code == 0 and _outcomes(document) == {"d": "would move"}
    assert store.rows("d") == before
    assert store.migrate(new)[0] == 0
    code, document = store.migrate(new)
    assert code == 0 and _outcomes(document) == {"d": "already"}


@pytest.mark.parametrize("same", [True, False], ids=["same-spec", "unknown-old-state"])
def test_inputs_that_do_not_compare_exit_2_and_change_nothing(tmp_path: Path, same: bool) -> None:
    store = Store(tmp_path)
    store.start("d", "amount=5.00")
    before = store.rows("d")
    text = (
        corpus.OLD.read_text("utf-8")
        if same
        else corpus.edited(("  context {\n", "  migrate { Nope -> Draft }\n  context {\n"))
    )
    done = _run(
        "migrate", SPEC, "--db", store.db, "--to", store.new(text), "--now", LATER, "--format", "json"
    )
    assert done.exit_code == 2
    assert json.loads(done.output)["error"]["code"] == ("SW992" if same else "SW990")
    assert store.rows("d") == before


def test_a_keyed_audit_chain_stays_authentic_across_the_migration(tmp_path: Path) -> None:
    key = tmp_path / "audit.key"
    key.write_bytes(b"k" * 32)
    store = Store(tmp_path)
    _ok(
        "start",
        SPEC,
        "--db",
        store.db,
        "--id",
        "k",
        "--now",
        NOW,
        "--set",
        "amount=5.00",
        "--audit-key-file",
        str(key),
    )
    new = store.new(corpus.RENAMED)
    code, document = store.migrate(new, "--audit-key-file", str(key))
    assert code == 0 and _outcomes(document) == {"k": "moved"}
    done = _ok("verify", new, "k", "--db", store.db, "--now", LATER, "--audit-key-file", str(key))
    assert "authentic" in done
