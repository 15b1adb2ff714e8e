"""`statewright run` with data (issue 17): `send --data`, `work --result`, `work --error --message`.

A payload or result that does not fit is a diagnostic with its code (SW974) and the
field, exit 2, and nothing applied; good data reaches guards, `set`s and the log.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import write
from tests.cli.test_run_cli import Store

PAY = """workflow Pay {
  context {
    amount: decimal 0.00..1000.00 = 0.00
    note: string = ""
    receipt: string = ""
    last_error: string = ""
  }
  events {
    submit(amount: decimal 0.00..1000.00, note: string = "") "the customer placed the order"
    again
  }
  initial state Review {
    on submit when event.amount > 100.00 -> Charging { set amount = event.amount  set note = event.note }
    on submit else -> Small { set note = event.note }
  }
  state Charging {
    invoke charge key "c-{id}" returns { receipt: string, ok: bool }
      retry 1 backoff fixed 1s retry_on Unavailable dead_letter -> Broken { set last_error = error.message }
    on error QuotaExceeded -> Throttled { set last_error = error.name }
    done when result.ok -> Paid { set receipt = result.receipt }
    done else -> Review
  }
  state Small { on again -> Review }
  state Throttled { on again -> Review }
  state Broken { on again -> Review }
  final state Paid
}
"""
NOW = ("--now", "2026-01-05T09:00:00Z")


@pytest.fixture
def pay(tmp_path: Path) -> Store:
    """The spec on a fresh store, with one instance `p` in `Review`."""
    store = Store(write(tmp_path / "pay.wf", PAY), tmp_path / "runs.db")
    store("start", "--id", "p", *NOW)
    return store


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("{}", "amount"),
        ('{"amount": "lots"}', "amount"),
        ('{"amount": 1000.01}', "amount"),
        ('{"amount": true}', "amount"),
        ('{"amount": 5, "tip": 1}', "tip"),
        ('{"amount": 5, "note": null}', "note"),
        ('{"amount": 5, "note": ["a"]}', "note"),
    ],
)
def test_a_bad_payload_is_refused_with_the_field_and_code(pay: Store, data: str, field: str) -> None:
    before = pay.log("p")
    failed = pay.json("send", "p", "submit", "--data", data, *NOW, code=2)
    assert failed["error"]["code"] == "SW974"
    assert any(note.startswith(f"`{field}`") for note in failed["error"]["notes"]), failed
    after = pay.log("p")
    assert len(after) == len(before) + 1 and after[-1]["outcome"] == "invalid"
    assert pay.json("status", "p")["active"] == ["Review"]
    text = pay("send", "p", "submit", "--data", data, *NOW, code=2).stderr
    assert "error[SW974]" in text and f"`{field}`" in text
    pay("verify", "p")


@pytest.mark.parametrize("data", ["{not json", "[1]", '"x"', '{"amount": NaN}', "1" * 5000])
def test_text_that_is_not_a_json_object_is_refused_before_anything(pay: Store, data: str) -> None:
    before = pay.log("p")
    failed = pay.json("send", "p", "submit", "--data", data, *NOW, code=2)
    assert failed["error"]["code"] == "SW974"
    assert pay.log("p") == before


def test_payloads_results_and_errors_flow_end_to_end(pay: Store) -> None:
    done = pay.json("send", "p", "submit", "--data", '{"amount": "250.00", "note": "rush"}', *NOW)
    assert done["instance"]["active"] == ["Charging"]
    assert done["records"][-1]["data"] == {"amount": {"$decimal": "250.00"}, "note": "rush"}
    shown = pay("log", "p").stdout
    assert 'submit(amount=250.00, note="rush")' in shown
    (owed,) = pay.json("status", "p")["owed_work"]
    bad = pay.json("work", "p", owed["key"], "--result", '{"receipt": 7, "ok": true}', *NOW, code=2)
    assert bad["error"]["code"] == "SW974" and any("`receipt`" in n for n in bad["error"]["notes"])
    assert pay.json("status", "p")["active"] == ["Charging"]  # nothing reported
    paid = pay.json("work", "p", owed["key"], "--result", '{"receipt": "R-9", "ok": true}', *NOW)
    assert paid["instance"]["status"] == "completed"
    assert paid["instance"]["context"]["receipt"] == "R-9"
    assert paid["records"][-1]["result"] == {"ok": True, "receipt": "R-9"}
    pay("verify", "p")


def test_a_named_error_and_a_message(pay: Store) -> None:
    pay("send", "p", "submit", "--data", '{"amount": 500}', *NOW)
    (owed,) = pay.json("status", "p")["owed_work"]
    caught = pay.json("work", "p", owed["key"], "--error", "QuotaExceeded", "--message", "later", *NOW)
    assert caught["instance"]["active"] == ["Throttled"]
    assert caught["instance"]["context"]["last_error"] == "QuotaExceeded"
    assert caught["records"][-1]["message"] == "later"
    pay("send", "p", "again", *NOW)
    pay("send", "p", "submit", "--data", '{"amount": 500}', *NOW)
    (owed,) = pay.json("status", "p")["owed_work"]
    broken = pay.json("work", "p", owed["key"], "--fail", "Declined", "--message", "card declined", *NOW)
    assert broken["instance"]["active"] == ["Broken"]
    assert broken["instance"]["context"]["last_error"] == "card declined"
    assert "Declined: card declined" in pay("log", "p").stdout
    pay("verify", "p")


def test_option_combinations_that_mean_nothing_are_usage_errors(pay: Store) -> None:
    assert "--result" in pay("work", "p", "k", "--error", "X", "--result", "{}", code=2).output
    assert "--message" in pay("work", "p", "k", "--message", "m", code=2).output


def test_status_shows_what_data_the_next_steps_take(pay: Store) -> None:
    shown = pay("status", "p").stdout
    assert 'submit(amount: decimal 0.00..1000.00, note: string = "")  (send --data)' in shown
    assert pay.json("status", "p")["events"]["payloads"] == {
        "submit": 'amount: decimal 0.00..1000.00, note: string = ""'
    }
    pay("send", "p", "submit", "--data", '{"amount": 500}', *NOW)
    assert "returns { receipt: string, ok: bool }" in pay("status", "p").stdout
