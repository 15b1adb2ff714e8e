"""`statewright run`: instances of the examples driven end to end on SQLite, and hostile inputs."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from statewright.cli.run.values import iso, parse_duration, parse_time
from statewright.runtime import codec
from tests.cli.test_cli import run, write
from tests.conftest import EXAMPLES, ROOT

EXPENSE = EXAMPLES / "expense_approval.wf"
ORDER = EXAMPLES / "order_fulfilment.wf"
CLAIM = (
    "--set",
    "amount=12500.00",
    "--set",
    "category=equipment",
    "--set",
    "has_receipt=true",
    "--set",
    "cost_centre=CC-4711",
)
GATE = """workflow Gate {
  scope "ops"
  events { go, stop }
  initial state A {
    on go -> B requires "ops:release" evidence ticket
    reject stop "not while in A"
  }
  final state B
}
"""
ECHO = """workflow Echo {
  events { go, ping }
  initial state A { on go -> B { emit ping } }
  state B { on ping -> C  timeout 1m -> C }
  final state C
}
"""


@dataclass
class Store:
    """One spec on one store file: runs `statewright run COMMAND SPEC ARGS... --db FILE`."""

    spec: Path
    db: Path

    def __call__(self, command: str, *args: str | Path, code: int = 0) -> Result:
        """Run a subcommand and check its exit code."""
        result = run("run", command, self.spec, *args, "--db", self.db)
        assert result.exit_code == code, result.output
        return result

    def json(self, command: str, *args: str | Path, code: int = 0) -> Any:
        """Run a subcommand with `--format json` and parse its one document."""
        return json.loads(self(command, *args, "--format", "json", code=code).stdout)

    def log(self, instance: str) -> list[dict[str, Any]]:
        """The instance's audit records as JSON."""
        records: list[dict[str, Any]] = self.json("log", instance)["records"]
        return records

    def targets(self, instance: str) -> list[str]:
        """The states each record left the instance in."""
        return [",".join(record["target"]) for record in self.log(instance)]


@pytest.fixture
def expense(tmp_path: Path) -> Store:
    """The expense example on a fresh store."""
    return Store(EXPENSE, tmp_path / "runs.db")


@pytest.fixture
def order(tmp_path: Path) -> Store:
    """The order example on a fresh store."""
    return Store(ORDER, tmp_path / "runs.db")


def started_claim(expense: Store) -> None:
    """Claim `c1` waiting at approval level 1 (screened, within policy) on 2026-01-05."""
    expense("start", "--id", "c1", "--actor", "ann", *CLAIM, "--now", "2026-01-05T09:00:00Z")
    expense("send", "c1", "submit", "--actor", "ann", "--now", "2026-01-05T09:05:00Z")
    expense("work", "c1", "expense-c1-screen-0", "--now", "2026-01-05T09:06:00Z")
    expense("send", "c1", "within_policy", "--now", "2026-01-05T09:07:00Z")


# --------------------------------------------------------------------------- end to end


def test_expense_claim_end_to_end(expense: Store) -> None:
    """Start, submit, screen, approve, escalate by timeout, quorum, a retried payout, paid, verified."""
    started = expense.json("start", "--id", "c1", "--actor", "ann", *CLAIM, "--now", "2026-01-05T09:00:00Z")
    context = started["instance"]["context"]
    assert context["amount"] == {"$decimal": "12500.00"}
    assert (context["category"], context["has_receipt"], context["nights"]) == ("equipment", True, 1)
    assert started["instance"]["active"] == ["Draft"]

    submitted = expense("send", "c1", "submit", "--actor", "ann", "--now", "2026-01-05T09:05:00Z").stdout
    assert "Draft -> PolicyScreening" in submitted
    assert "has_receipt or amount < 25.00: true" in submitted
    assert "owes invoke screen_claim: key expense-c1-screen-0" in submitted

    status = expense("status", "c1").stdout
    assert "accepts    within_policy, policy_violation" in status
    assert "expense-c1-screen-0  invoke screen_claim in PolicyScreening via policy_engine" in status
    assert "timeout -> Returned  due 2026-01-05T09:10:00Z" in status

    done = expense("work", "c1", "expense-c1-screen-0", "--now", "2026-01-05T09:06:00Z").stdout
    assert "screen_claim finished" in done
    routed = expense("send", "c1", "within_policy", "--now", "2026-01-05T09:07:00Z").stdout
    assert "PolicyScreening -> Approval.route" in routed
    assert "Approval.route -> Approval.level_1" in routed

    level_2 = expense.json(
        "approve", "c1", "--actor", "user:lena", "--role", "line_manager", "--now", "2026-01-05T10:00:00Z"
    )
    assert level_2["instance"]["active"] == ["Approval.level_2"]
    assert level_2["records"][0]["granted"] == ["role:line_manager"]
    assert level_2["instance"]["approvals"][0]["approvers"] == ["role:department_head"]

    ticked = expense("tick", "--now", "2026-01-12T00:00:00Z").stdout
    assert "tick at 2026-01-12T00:00:00Z: 1 timer fired" in ticked
    assert "Approval.level_2 -> Approval.level_3" in ticked

    expense(
        "approve", "c1", "--actor", "user:fd", "--role", "finance_director", "--now", "2026-01-12T09:00:00Z"
    )
    assert expense.json("status", "c1")["approvals"][0]["votes"] == [
        {"actor": "user:fd", "decision": "approve", "as": ["role:finance_director"]}
    ]
    paying = expense.json(
        "approve", "c1", "--actor", "user:cfo", "--role", "cfo", "--now", "2026-01-12T09:30:00Z"
    )
    assert paying["instance"]["active"] == ["Reimbursing"]
    assert [w["key"] for w in paying["instance"]["owed_work"]] == ["expense-c1-payout-0"]

    failed = expense(
        "work", "c1", "expense-c1-payout-0", "--fail", "BankUnavailable", "--now", "2026-01-12T09:31:00Z"
    )
    assert "BankUnavailable; retry 1 in" in failed.stdout
    assert "retry:Reimbursing" in expense("tick", "--now", "2026-01-12T09:31:00Z", "--advance", "1h").stdout
    expense("work", "c1", "expense-c1-payout-0", "--now", "2026-01-12T10:40:00Z")
    paid = expense.json("send", "c1", "paid", "--now", "2026-01-12T10:41:00Z")
    assert (paid["instance"]["status"], paid["instance"]["active"]) == ("completed", ["Reimbursed"])
    assert paid["instance"]["events"] == {"accepts": [], "ignores": [], "refuses": []}

    records = expense.log("c1")
    assert [(r["kind"], r["event"]) for r in records] == [
        ("start", None),
        ("event", "submit"),
        ("done", None),
        ("event", "within_policy"),
        ("always", None),
        ("event", "approve"),
        ("timeout", None),
        ("event", "approve"),
        ("event", "approve"),
        ("error", None),
        ("retry", None),
        ("done", None),
        ("event", "paid"),
    ]
    assert [",".join(r["target"]) for r in records][-8:] == [
        "Approval.level_2",
        "Approval.level_3",
        "Approval.level_3",
        "Reimbursing",
        "Reimbursing",
        "Reimbursing",
        "Reimbursing",
        "Reimbursed",
    ]
    assert {r["outcome"] for r in records} == {"applied"}
    assert records[6]["timer"] == "timeout:Approval.level_2:21"
    assert records[9]["failure"] == "BankUnavailable"
    assert records[6]["at"] == "2026-01-12T00:00:00Z"
    table = expense("log", "c1").stdout.splitlines()
    assert table[0].split() == [
        "seq",
        "at",
        "kind",
        "event",
        "outcome",
        "from",
        "->",
        "to",
        "actor",
        "key",
        "reason",
        "guards",
    ]
    assert len(table) == 1 + len(records)
    assert "2026-01-12T10:41:00Z  event    paid" in table[-1]

    verified = expense("verify", "c1").stdout
    assert verified.startswith("OK    c1: 13 audit records replay exactly")
    assert expense.json("verify", "c1") == {
        "instance": "c1",
        "ok": True,
        "records": 13,
        "seq": None,
        "detail": None,
        "code": None,
        "audit_key": None,
        "authentic": None,
    }


def test_order_pause_resume_cancel_and_a_timeout(order: Store) -> None:
    """A paused order ignores its due timer until resumed; the timeout then fires; cancel ends it."""
    order(
        "start", "--id", "o1", "--set", "amount=120.00", "--set", "items=2", "--now", "2026-03-01T08:00:00Z"
    )
    order("send", "o1", "submit", "--now", "2026-03-01T08:01:00Z")
    paused = order("pause", "o1", "--actor", "ops", "--now", "2026-03-01T08:01:30Z").stdout
    assert "o1 is paused in Validating" in paused

    refused = order("send", "o1", "valid", "--now", "2026-03-01T08:02:00Z", code=1)
    assert "error[SW968]: instance `o1` is paused; it takes no events" in refused.stderr
    assert "fired" in order("tick", "--now", "2026-03-01T09:00:00Z").stdout
    assert order.json("tick", "--now", "2026-03-01T09:00:00Z")["fired"] == 0
    assert "(paused: resume it first)" in order("status", "o1").stdout

    order("resume", "o1", "--now", "2026-03-01T09:01:00Z")
    ticked = order.json("tick", "--now", "2026-03-01T09:02:00Z")
    assert ticked["fired"] == 2  # the 20s warning, then the 2m timeout
    kinds = [r["kind"] for r in ticked["instances"][0]["records"]]
    assert kinds == ["soft_timeout", "timeout"]
    assert ticked["instances"][0]["instance"]["active"] == ["Quarantine"]

    cancelled = order.json("cancel", "o1", "--now", "2026-03-01T09:03:00Z")
    assert cancelled["instance"]["status"] == "cancelled"
    assert cancelled["instance"]["timers"] == []
    assert "error[SW968]" in order("send", "o1", "reviewed", "--now", "2026-03-01T09:04:00Z", code=1).stderr
    assert "error[SW968]" in order("resume", "o1", code=1).stderr
    assert order.targets("o1") == [
        "Draft",
        "Validating",
        "Validating",
        "Validating",
        "Validating",
        "Quarantine",
        "Quarantine",
    ]
    kinds = [r["kind"] for r in order.log("o1")]
    assert kinds[2:] == ["pause", "resume", "soft_timeout", "timeout", "cancel"]
    assert order("verify", "o1").stdout.startswith("OK    o1: 7 audit records")


def test_refusals_are_recorded_and_exit_1(expense: Store) -> None:
    """A rejected or denied event exits 1 with its code; each refusal is in the log."""
    started_claim(expense)
    rejected = expense("send", "c1", "withdraw", "--now", "2026-01-05T09:08:00Z", code=1).stderr
    assert "error[SW961]: `withdraw` refused in `Approval`" in rejected
    assert "= help: the refusal and its reason are in the audit log" in rejected
    # an undeclared event is a usage error (exit 2), never offered to the instance, so not in the log
    undeclared = expense("send", "c1", "teleport", "--now", "2026-01-05T09:09:00Z", code=2).stderr
    assert "error[SW103]: `teleport` is not an event of ExpenseApproval; nothing was sent" in undeclared
    assert "= note: the events of ExpenseApproval are: submit, withdraw," in undeclared
    denied = expense("approve", "c1", "--actor", "user:mallory", "--now", "2026-01-05T09:10:00Z", code=1)
    assert "error[SW963]: `user:mallory` is not an approver at level 1 (role:line_manager)" in denied.stderr
    not_allowed = expense.json("send", "c1", "paid", "--now", "2026-01-05T09:11:00Z", code=1)
    assert not_allowed["error"]["code"] == "SW961"
    assert not_allowed["exit_code"] == 1
    assert [r["outcome"] for r in expense.log("c1")][-3:] == ["rejected", "denied", "rejected"]
    assert expense.json("status", "c1")["active"] == ["Approval.level_1"]


def test_two_holders_of_one_role_do_not_satisfy_quorum_all(expense: Store) -> None:
    """Level 3 lists finance director and CFO (`quorum all`): a second finance director is refused."""
    started_claim(expense)
    lena = ("--actor", "user:lena", "--role", "line_manager")
    expense("approve", "c1", *lena, "--now", "2026-01-05T10:00:00Z")
    expense("tick", "--now", "2026-01-12T00:00:00Z")  # level 2 is silent: escalated to level 3
    first = ("--actor", "user:fd", "--role", "finance_director", "--now", "2026-01-12T09:00:00Z")
    expense("approve", "c1", *first)
    second = ("--actor", "user:fd2", "--role", "finance_director", "--now", "2026-01-12T09:10:00Z")
    refused = expense("approve", "c1", *second, code=1).stderr
    assert "error[SW963]" in refused and "each needed by an approval already cast" in refused
    assert expense.json("status", "c1")["active"] == ["Approval.level_3"]


def test_delegate_and_recall(expense: Store) -> None:
    """The line manager delegates to a deputy, who approves; the employee then recalls the claim."""
    started_claim(expense)
    lena = ("--actor", "user:lena", "--role", "line_manager")
    expense("delegate", "c1", *lena, "--to", "user:deputy", "--now", "2026-01-05T09:30:00Z")
    votes = expense.json("status", "c1")["approvals"][0]["votes"]
    assert votes == [
        {"actor": "user:lena", "decision": "delegate", "as": ["role:line_manager"], "to": "user:deputy"}
    ]
    assert "user:lena delegate to user:deputy" in expense("status", "c1").stdout
    again = expense("approve", "c1", *lena, "--now", "2026-01-05T09:35:00Z", code=1).stderr
    assert "delegated at level 1" in again  # a delegation transfers the vote
    approved = expense.json("approve", "c1", "--actor", "user:deputy", "--now", "2026-01-05T09:40:00Z")
    assert approved["instance"]["active"] == ["Approval.level_2"]
    recalled = expense.json("recall", "c1", "--actor", "ann", "--now", "2026-01-05T09:50:00Z")
    assert recalled["instance"]["active"] == ["Draft"]
    assert recalled["records"][0]["event"] == "recall"


def test_reject_ends_the_approval(expense: Store) -> None:
    """One rejection decides the level."""
    started_claim(expense)
    rejected = expense.json(
        "reject", "c1", "--actor", "user:lena", "--role", "line_manager", "--now", "2026-01-05T10:00:00Z"
    )
    assert (rejected["instance"]["status"], rejected["instance"]["active"]) == ("failed", ["Rejected"])


def test_governance_gate_and_idempotency_key(tmp_path: Path) -> None:
    """Permissions, scope and evidence reach the gate; a repeated key changes nothing."""
    gate = Store(write(tmp_path / "gate.wf", GATE), tmp_path / "gate.db")
    gate("start", "--id", "g1", "--now", "1000")
    denied = gate("send", "g1", "go", "--actor", "ann", "--now", "2000", code=1).stderr
    assert "error[SW963]: actor `ann` lacks `ops:release`" in denied
    missing = gate(
        "send", "g1", "go", "--permission", "ops:release", "--scope", "ops", "--now", "3000", code=1
    )
    assert "evidence missing: `ticket`" in missing.stderr
    release = ("--permission", "ops:release", "--evidence", "ticket=T-1")
    wrong_scope = gate("send", "g1", "go", *release, "--scope", "dev", "--now", "3500", code=1).stderr
    assert "the request's scope `dev` is not `ops`" in wrong_scope
    sent = gate.json(
        "send", "g1", "go", "--actor", "ann", *release, "--scope", "ops", "--key", "k-1", "--now", "4000"
    )
    assert sent["instance"]["status"] == "completed"
    assert sent["records"][0]["evidence"] == {"ticket": "T-1"}
    same = ("send", "g1", "go", "--actor", "ann", *release, "--scope", "ops", "--key", "k-1")
    again = gate.json(*same, "--now", "5000")
    assert again["records"] == []
    assert again["notes"] == ["key `k-1` was applied in record 5; nothing changed"]
    assert "note: key `k-1` was applied in record 5" in gate(*same).stdout
    other = gate("send", "g1", "go", "--key", "k-1", code=1).stderr  # another request under a used key
    assert "error[SW975]: idempotency key `k-1` was used by record 5" in other
    assert [r["outcome"] for r in gate.log("g1")] == ["applied", "denied", "denied", "denied", "applied"]


def test_a_refused_request_does_not_use_up_its_key(tmp_path: Path) -> None:
    """Issue 16: refused for a missing permission, then re-sent with it under the same key: it applies."""
    gate = Store(write(tmp_path / "gate.wf", GATE), tmp_path / "gate.db")
    gate("start", "--id", "g1", "--now", "1000")
    offer = (
        "send",
        "g1",
        "go",
        "--actor",
        "ann",
        "--scope",
        "ops",
        "--evidence",
        "ticket=T-1",
        "--key",
        "k-1",
    )
    assert "error[SW963]" in gate(*offer, "--now", "2000", code=1).stderr
    sent = gate.json(*offer, "--permission", "ops:release", "--now", "3000")
    assert sent["instance"]["status"] == "completed" and sent["notes"] == []
    assert [(r["outcome"], r["key"]) for r in gate.log("g1")][1:] == [("denied", "k-1"), ("applied", "k-1")]


def test_emitted_events_are_delivered(tmp_path: Path) -> None:
    """An `emit` is sent to the instance within the same command."""
    echo = Store(write(tmp_path / "echo.wf", ECHO), tmp_path / "echo.db")
    echo("start", "--id", "e1", "--now", "1000")
    sent = echo.json("send", "e1", "go", "--now", "2000")
    assert [(r["event"], r["actor"]) for r in sent["records"]] == [("go", None), ("ping", "workflow")]
    assert sent["instance"]["status"] == "completed"


def test_do_work_is_reported_without_a_step(expense: Store) -> None:
    """A `do` action has no outcome transition: success marks it done, a failure keeps it owed."""
    expense(
        "start",
        "--id",
        "c2",
        "--set",
        "amount=80.00",
        "--set",
        "category=meals",
        "--now",
        "2026-01-05T09:00:00Z",
    )
    expense("send", "c2", "submit", "--now", "2026-01-05T09:01:00Z")
    owed = expense.json("status", "c2")["owed_work"]
    assert [(w["kind"], w["action"]) for w in owed] == [("do", "ask_for_receipt")]
    key = owed[0]["key"]
    failed = expense("work", "c2", key, "--fail", "MailDown", "--now", "2026-01-05T09:02:00Z").stdout
    assert "no new audit records" in failed
    assert f"`{key}` (ask_for_receipt) failed with MailDown and stays owed" in failed
    assert "done" in expense("work", "c2", key, "--now", "2026-01-05T09:03:00Z").stdout
    assert expense.json("status", "c2")["owed_work"] == []
    assert "error[SW972]" in expense("work", "c2", key, code=2).stderr


def test_list_in_both_formats(expense: Store) -> None:
    """`list` shows this workflow's instances, oldest first."""
    expense("start", "--id", "a", "--set", "amount=1.00", "--set", "category=meals", "--now", "1000")
    expense("start", "--id", "b", "--set", "amount=2.00", "--set", "category=other", "--now", "2000")
    lines = expense("list").stdout.splitlines()
    assert lines[0].split() == ["id", "status", "state", "records", "updated"]
    assert [line.split()[:3] for line in lines[1:]] == [["a", "running", "Draft"], ["b", "running", "Draft"]]
    listed = expense.json("list")
    assert [i["id"] for i in listed["instances"]] == ["a", "b"]
    assert listed["instances"][1]["created"] == "1970-01-01T00:00:02Z"


def test_the_clock_never_runs_backwards(expense: Store) -> None:
    """An explicit --now before the last step is refused; without --now the instance's time is kept."""
    expense("start", "--id", "c1", *CLAIM, "--now", "2999-01-01T00:00:00Z")
    early = expense("send", "c1", "submit", "--now", "2998-12-31", code=2)
    assert "is before the last step of `c1`" in early.output
    submitted = expense.json("send", "c1", "submit")
    assert submitted["records"][0]["at"] == "2999-01-01T00:00:00Z"


# --------------------------------------------------------------------------- verify


def test_verify_finds_an_altered_log(expense: Store) -> None:
    """Editing a stored record breaks the stamp chain: FAIL, exit 1."""
    started_claim(expense)
    with sqlite3.connect(expense.db) as conn:
        (data,) = conn.execute("SELECT data FROM records WHERE instance = 'c1' AND seq = 2").fetchone()
        conn.execute(
            "UPDATE records SET data = ? WHERE instance = 'c1' AND seq = 2", (data.replace('"ann"', '"eve"'),)
        )
    conn.close()
    failed = expense("verify", "c1", code=1).stdout
    assert failed.startswith("FAIL  c1: audit record 2 does not replay: its stamp")
    assert expense.json("verify", "c1", code=1)["seq"] == 2


def test_verify_with_a_changed_spec_names_the_first_difference(expense: Store, tmp_path: Path) -> None:
    """The same log replayed on a spec whose guard changed differs at the record that guard decided."""
    started_claim(expense)
    text = EXPENSE.read_text("utf-8").replace(
        'cost_centre in { "CC-0000", "" }', 'cost_centre in { "CC-0000" }'
    )
    changed = Store(write(tmp_path / "expense_approval.wf", text), expense.db)
    first, second = changed("verify", "c1", code=1).stdout.splitlines()
    assert first.startswith("FAIL  c1: instance `c1` was started by a definition of `ExpenseApproval`")
    assert first.endswith("[SW976]")
    assert second.startswith("FAIL  c1: audit record 4 does not replay: `guards` is")
    assert changed.json("verify", "c1", code=1)["code"] == "SW976"


def test_a_spec_edited_without_a_new_version_is_refused(expense: Store, tmp_path: Path) -> None:
    """Issue 16: a renamed state with the same `version` used to crash (SW909 KeyError); now SW976, exit 2."""
    started_claim(expense)
    text = EXPENSE.read_text("utf-8").replace("Reimbursing", "Paying")
    changed = Store(write(tmp_path / "expense_approval.wf", text), expense.db)
    for command in ("status", "send"):
        extra = ("paid",) if command == "send" else ()
        result = changed(command, "c1", *extra, code=2)
        assert "error[SW976]" in result.stderr and "bump `version`" in result.stderr
        assert "Traceback" not in result.stderr
    assert expense("verify", "c1").stdout.startswith("OK    c1:")  # nothing was written


def restamp_plain(db: Path, instance: str, keep_key_id: bool) -> None:
    """A writer without the key: change record 2's actor, re-stamp the whole chain with plain SHA-256."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT seq, data FROM records WHERE instance = ? ORDER BY seq", (instance,))
        previous = codec.GENESIS
        for number, data in rows.fetchall():
            body = json.loads(data)
            if number == 2:
                body["actor"] = "mallory"
            body["stamp"] = ""
            body["stamp"] = previous = hashlib.sha256((previous + codec.dumps(body)).encode()).hexdigest()
            conn.execute(
                "UPDATE records SET data = ? WHERE instance = ? AND seq = ?",
                (codec.dumps(body), instance, number),
            )
        (data,) = conn.execute("SELECT data FROM instances WHERE id = ?", (instance,)).fetchone()
        snapshot = json.loads(data)
        snapshot["stamp"] = previous
        if not keep_key_id:
            snapshot.pop("audit_key", None)
        conn.execute("UPDATE instances SET data = ? WHERE id = ?", (codec.dumps(snapshot), instance))
    conn.close()


@pytest.mark.parametrize(("keep_key_id", "code"), [(False, "SW977"), (True, "SW978")])
def test_a_keyed_chain_detects_a_rewrite_restamped_without_the_key(
    expense: Store, tmp_path: Path, keep_key_id: bool, code: str
) -> None:
    """Issue 16: with `--audit-key-file`, a rewritten and plainly re-stamped log fails `verify` (exit 1).

    Without the key, `verify` can show only integrity, and the re-stamped log passes: the
    documented limitation of the plain chain.
    """
    key = write(tmp_path / "audit.key", "a secret of at least sixteen bytes\n")
    expense("start", "--id", "c1", *CLAIM, "--actor", "ann", "--audit-key-file", key)
    expense("send", "c1", "submit", "--actor", "ann", "--audit-key-file", key)
    verified = expense("verify", "c1", "--audit-key-file", key).stdout
    assert verified.startswith("OK    c1: 2 audit records replay exactly and their HMAC-SHA256 stamps verify")
    assert "(authentic)" in verified
    unkeyed = expense("verify", "c1", code=1).stdout  # the key is needed to check a keyed chain at all
    assert "[SW977]" in unkeyed and "--audit-key-file" in unkeyed
    assert "error[SW977]" in expense("send", "c1", "submit", code=2).stderr  # nor may it be extended
    restamp_plain(expense.db, "c1", keep_key_id)
    failed = expense("verify", "c1", "--audit-key-file", key, code=1).stdout
    assert failed.startswith("FAIL  c1:") and failed.rstrip().endswith(f"[{code}]")
    document = expense.json("verify", "c1", "--audit-key-file", key, code=1)
    assert (document["ok"], document["authentic"], document["code"]) == (False, False, code)
    if not keep_key_id:
        plain = expense("verify", "c1").stdout
        assert plain.startswith("OK    c1:") and "integrity, not authenticity" in plain
    assert "sixteen" not in expense.db.read_text("latin-1")


def test_the_audit_key_comes_from_the_environment_and_must_be_long_enough(
    expense: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """STATEWRIGHT_AUDIT_KEY_FILE names the key file; a short or missing file is a usage error (exit 2)."""
    short = write(tmp_path / "short.key", "tiny")
    result = expense("start", "--id", "c1", *CLAIM, "--audit-key-file", short, code=2)
    assert "at least 16 bytes" in result.output
    result = expense("start", "--id", "c1", *CLAIM, "--audit-key-file", tmp_path / "missing.key", code=2)
    assert "audit key" in result.output
    key = write(tmp_path / "audit.key", "a secret of at least sixteen bytes")
    monkeypatch.setenv("STATEWRIGHT_AUDIT_KEY_FILE", str(key))
    expense("start", "--id", "c1", *CLAIM)
    assert "(authentic)" in expense("verify", "c1").stdout


# --------------------------------------------------------------------------- hostile inputs


def test_a_text_file_is_not_a_store(expense: Store) -> None:
    write(expense.db, "just some notes\n")
    result = expense("status", "c1", code=2)
    assert "error[SW965]: store" in result.stderr
    assert "is not a SQLite database" in result.stderr
    assert expense.json("list", code=2)["error"]["code"] == "SW965"


def test_another_applications_database_is_refused(expense: Store) -> None:
    with sqlite3.connect(expense.db) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.close()
    result = expense("start", *CLAIM, code=2)
    assert "another application's SQLite database" in result.stderr
    with sqlite3.connect(expense.db) as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall() == [
            ("customers",)
        ]
    conn.close()


def test_reading_commands_never_create_a_store(expense: Store) -> None:
    result = expense("list", code=2)
    assert f"error[SW965]: there is no store at `{expense.db}`" in result.stderr
    assert not expense.db.exists()


def test_unknown_instance(expense: Store) -> None:
    expense("start", "--id", "c1", *CLAIM)
    for command in ("status", "log", "verify", "pause"):
        assert "error[SW964]: no instance `ghost`" in expense(command, "ghost", code=2).stderr
    assert "error[SW964]" in expense("send", "ghost", "submit", code=2).stderr


def test_an_instance_of_another_workflow(expense: Store) -> None:
    expense("start", "--id", "c1", *CLAIM)
    result = run("run", "status", ORDER, "c1", "--db", expense.db)
    assert result.exit_code == 2
    assert "error[SW969]: instance `c1` runs `ExpenseApproval`, not `OrderFulfilment`" in result.stderr
    assert "no instances of OrderFulfilment" in run("run", "list", ORDER, "--db", expense.db).stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("amount=12,50", "`amount` = '12,50' is not a decimal"),
        ("amount=1e3", "`amount` = '1e3' is not a decimal"),
        ("amount=-0.01", "`amount` = -0.01 does not fit decimal >= 0.00"),
        ("nights=two", "`nights` = 'two' is not an int"),
        ("nights=61", "`nights` = 61 does not fit int 1..60"),
        ("has_receipt=yes", "`has_receipt` = 'yes' is not a bool (`true` or `false`)"),
        ("category=boat", "`category` = 'boat' is not a member of enum { travel, meals,"),
        ("colour=red", "`colour` is not a context field of this workflow; the fields are: amount,"),
        ("amount", "`--set amount`: expected field=value"),
    ],
)
def test_wrong_context_values(expense: Store, value: str, message: str) -> None:
    result = expense("start", "--set", value, "--set", "category=meals", code=2)
    assert result.stderr.startswith("error[SW966]: ")
    assert message in result.stderr
    assert not expense.db.exists()


def test_a_missing_field_and_a_repeated_one(expense: Store) -> None:
    assert "`category` has no default" in expense("start", "--set", "amount=1.00", code=2).stderr
    assert not expense.db.exists()
    twice = expense("start", *CLAIM, "--set", "amount=2.00", code=2).stderr
    assert "error[SW966]: `amount` is set twice" in twice


def test_a_duplicate_id_is_refused(expense: Store) -> None:
    expense("start", "--id", "c1", *CLAIM)
    result = expense("start", "--id", "c1", *CLAIM, code=1)
    assert "error[SW967]: instance `c1` already exists" in result.stderr
    assert len(expense.log("c1")) == 1


def test_a_missing_spec(tmp_path: Path) -> None:
    result = run("run", "start", tmp_path / "nope.wf", "--db", tmp_path / "x.db")
    assert result.exit_code == 2
    assert "error[SW001]" in result.stderr
    assert "does not compile: 1 error" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_spec_with_a_syntax_error(tmp_path: Path) -> None:
    spec = write(tmp_path / "bad.wf", "workflow W {\n  initial state A { on go -> }\n}\n")
    result = run("run", "status", spec, "x", "--db", tmp_path / "x.db")
    assert result.exit_code == 2
    assert "error[SW010]" in result.stderr
    assert "2 |   initial state A { on go -> }" in result.stderr
    document = json.loads(run("run", "list", spec, "--db", tmp_path / "x.db", "--format", "json").stdout)
    assert document["error"]["code"] == "SW010"
    assert document["diagnostics"][0]["span"]["line"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--now", "yesterday"), "is neither milliseconds since the epoch nor an ISO 8601 time"),
        (("--now", "99999-01-01"), "neither milliseconds"),
        (("--now", "-5"), "outside 1970..9999"),
        (("--advance", "5x"), "is not a duration"),
        (("--advance", "-1d"), "is not a duration"),
    ],
)
def test_bad_times(expense: Store, args: tuple[str, ...], message: str) -> None:
    expense("start", *CLAIM)
    result = expense("tick", *args, code=2)
    assert message in result.output


def test_bad_pairs_and_names(expense: Store) -> None:
    expense("start", "--id", "c1", *CLAIM)
    assert "expected name=value" in expense("send", "c1", "submit", "--evidence", "ticket", code=2).output
    assert (
        "given twice"
        in expense("send", "c1", "submit", "--evidence", "a=1", "--evidence", "a=2", code=2).output
    )
    assert "cannot be empty" in expense("work", "c1", "k", "--fail", " ", code=2).output
    assert "cannot be empty" in expense("start", "--id", "", *CLAIM, code=2).output


# --------------------------------------------------------------------------- values, and the demo


def test_times_and_durations() -> None:
    assert parse_time("0") == 0
    assert parse_time("2026-01-02") == parse_time("2026-01-02T00:00:00Z") == 1_767_312_000_000
    assert parse_time("2026-01-02T02:00:00+02:00") == 1_767_312_000_000
    assert parse_time("2026-01-02T00:00:00.250Z") == 1_767_312_000_250
    assert parse_duration("1h30m") == 5_400_000
    assert parse_duration("2d") == 172_800_000
    assert parse_duration("500ms") == 500
    assert iso(1_767_312_000_000) == "2026-01-02T00:00:00Z"
    assert iso(1_767_312_000_250) == "2026-01-02T00:00:00.250Z"


def test_make_demo_script(tmp_path: Path) -> None:
    """The demo script replaces whatever is at its db path, drives one claim to Reimbursed, and replays it."""
    statewright = Path(sys.executable).with_name("statewright")
    env = {**os.environ, "STATEWRIGHT": str(statewright), "NO_COLOR": "1"}
    db = write(tmp_path / "demo.db", "left over from an older run")
    done = subprocess.run(
        ["sh", str(EXAMPLES / "run_demo.sh"), str(db)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    log = done.stdout.split("== statewright run log", 1)[1].splitlines()
    assert len(log) == 1 + 1 + 13 + 2  # the heading, the table's header, 13 records, a blank line, verify
    assert "Approval.level_2 -> Approval.level_3" in log[8]
    assert "Reimbursing -> Reimbursed" in log[14]
    assert log[-1].startswith("OK    claim-1: 13 audit records replay exactly")


def test_bytes_that_are_not_utf8(expense: Store) -> None:
    """An argument holding undecodable bytes (surrogate escapes) is a usage error, and nothing is stored."""
    result = expense("start", "--id", "bad\udcff", *CLAIM, code=2)
    assert "bytes that are not UTF-8" in result.output
    assert expense.json("list")["instances"] == []
