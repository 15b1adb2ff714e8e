"""`statewright run reroute|rollback|redrive` on the order fulfilment example: output, records, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from statewright.runtime.sqlite import SQLiteStore
from tests.cli.test_cli import run
from tests.operations.support import ORDER

OPERATOR = ("--actor", "ann", "--reason", "the customer called", "--permission", "role:operator")


def cli(db: Path, *args: str, code: int = 0) -> Any:
    """Run `statewright run ARGS[0] ORDER ARGS[1:] --db DB --format json`; check the exit code; parse."""
    result = run("run", args[0], ORDER, *args[1:], "--db", db, "--format", "json", "--now", "1000000")
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def saga(tmp_path: Path) -> Path:
    """An order whose saga reserved stock and charged the card: it is booking the courier."""
    db = tmp_path / "o.db"
    cli(db, "start", "--id", "o1", "--set", "amount=120.00")
    cli(db, "send", "o1", "submit")
    cli(db, "send", "o1", "valid")
    cli(db, "work", "o1", "order-o1-reserve")
    cli(db, "work", "o1", "order-o1-charge", "--result", '{"receipt": "r-1"}')
    return db


def test_reroute_out_of_the_saga_from_the_command_line(tmp_path: Path) -> None:
    db = saga(tmp_path)
    shown = cli(db, "reroute", "o1", "--to", "Quarantine", *OPERATOR)
    assert shown["instance"]["active"] == ["Quarantine"]
    assert [r["kind"] for r in shown["records"]] == ["reroute"]
    owed = [w["action"] for w in shown["instance"]["owed_work"]]
    assert owed.index("refund_card") < owed.index("release_stock")
    assert run("run", "verify", ORDER, "o1", "--db", db).exit_code == 0


def test_rollback_from_the_command_line(tmp_path: Path) -> None:
    db = saga(tmp_path)
    shown = cli(db, "rollback", "o1", *OPERATOR)
    assert shown["instance"]["active"] == ["Fulfilling.refund_card"]
    assert run("run", "verify", ORDER, "o1", "--db", db).exit_code == 0


def test_refusals_exit_1_with_their_code_and_change_nothing(tmp_path: Path) -> None:
    db = saga(tmp_path)
    store = SQLiteStore(db)
    before = list(store.records("o1"))
    store.close()
    cases = [
        (("reroute", "o1", "--to", "Quarantine", "--actor", "ann", "--reason", "r"), "SW070"),
        (("reroute", "o1", "--to", "Nowhere", *OPERATOR), "SW071"),
        (("reroute", "o1", "--to", "Fulfilling.charge_card", *OPERATOR), "SW072"),
        (("redrive", "o1", *OPERATOR), "SW074"),
    ]
    for args, code in cases:
        shown = cli(db, *args, code=1)
        assert shown["error"]["code"] == code, shown
    store = SQLiteStore(db)
    assert list(store.records("o1")) == before
    store.close()


def test_bad_input_exits_2(tmp_path: Path) -> None:
    db = saga(tmp_path)
    missing_reason = run("run", "reroute", ORDER, "o1", "--to", "Quarantine", "--actor", "ann", "--db", db)
    assert missing_reason.exit_code == 2
    no_actor = run(
        "run", "rollback", ORDER, "o1", "--reason", "r", "--permission", "role:operator", "--db", db
    )
    assert no_actor.exit_code == 2
