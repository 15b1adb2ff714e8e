"""`statewright diff`: the verdict of every state for each version pair of the corpus, and its exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from statewright.cli import app
from statewright.compiler.migration import Migration, analyse
from statewright.pipeline import compile_path, compile_text
from tests.migration import corpus


def _analyse(text: str) -> Migration:
    old = compile_path(corpus.OLD).machine
    new = compile_text(text, "new.wf").machine
    assert old is not None and new is not None
    return analyse(old, new, str(corpus.OLD), "new.wf")


def _verdicts(migration: Migration) -> dict[str, str]:
    return {s.old: s.verdict for s in migration.states}


def test_renamed_state_and_a_field_with_a_default_are_safe_everywhere() -> None:
    migration = _analyse(corpus.RENAMED)
    assert set(_verdicts(migration).values()) == {"safe"}
    report = migration.state("Quarantine")
    assert (report.change, report.new) == ("renamed", "ReviewQueue")
    assert any("`channel` = web" in note for note in migration.proved)
    assert migration.ok


def test_a_removed_state_and_the_state_whose_moves_led_there_are_unsafe() -> None:
    migration = _analyse(corpus.REMOVED)
    verdicts = _verdicts(migration)
    assert migration.state("Quarantine").change == "removed"
    assert {name for name, v in verdicts.items() if v != "safe"} == {"Quarantine", "Validating"}
    kinds = {r.kind for r in migration.state("Validating").reasons}
    assert {"timeouts", "transitions"} <= kinds
    assert not migration.ok


@pytest.mark.parametrize("text", [corpus.NARROWED, corpus.INVARIANT], ids=["narrowed", "invariant"])
def test_a_narrowed_type_or_new_invariant_is_checked_per_instance_with_a_counterexample(text: str) -> None:
    migration = _analyse(text)
    assert set(_verdicts(migration).values()) == {"check"}
    (reason,) = migration.context
    assert reason.blocks == "context" and "for example" in reason.text
    assert migration.ok  # nothing is unsafe for every instance


def test_a_widened_type_is_proved_safe_by_the_smt_layer() -> None:
    migration = _analyse(corpus.edited(("items: int 1..500 = 1", "items: int 0..1000 = 1")))
    assert set(_verdicts(migration).values()) == {"safe"}
    assert any("(proved)" in note for note in migration.proved)


def test_an_implied_new_invariant_is_proved_safe() -> None:
    text = corpus.edited(
        (
            "  invariant validation_attempts <= 3\n",
            "  invariant validation_attempts <= 3\n  invariant items <= 500\n",
        )
    )
    assert set(_verdicts(_analyse(text)).values()) == {"safe"}


def test_a_removed_compensation_blocks_the_states_after_the_compensated_step_only() -> None:
    verdicts = _verdicts(_analyse(corpus.NO_COMPENSATION))
    assert verdicts["Fulfilling.reserve_stock"] == "safe"
    assert verdicts["Fulfilling.charge_card"] == "safe"
    for later in ("Fulfilling.book_courier", "Fulfilling.cancel_courier", "Fulfilling.refund_card"):
        assert verdicts[later] == "unsafe", later
    reasons = _analyse(corpus.NO_COMPENSATION).state("Fulfilling.book_courier").reasons
    assert any(r.kind == "saga" and "refund_card" in r.text for r in reasons)


def test_changed_approvers_block_only_instances_with_votes() -> None:
    migration = _analyse(corpus.APPROVERS)
    verdicts = _verdicts(migration)
    assert verdicts["ManagerApproval.level_1"] == "check"
    assert {v for k, v in verdicts.items() if k != "ManagerApproval.level_1"} == {"safe"}
    (reason,) = migration.state("ManagerApproval.level_1").reasons
    assert reason.blocks == "votes"


def test_a_changed_timeout_is_unsafe_for_that_state() -> None:
    verdicts = _verdicts(_analyse(corpus.TIMEOUT))
    assert {k for k, v in verdicts.items() if v != "safe"} == {"Quarantine"}


# --------------------------------------------------------------------------- the command


def _write(tmp_path: Path, text: str, name: str = "new.wf") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_exit_0_for_a_safe_migration_and_1_when_a_state_cannot_migrate(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["diff", str(corpus.OLD), str(_write(tmp_path, corpus.RENAMED))])
    assert ok.exit_code == 0, ok.output
    assert "renamed to ReviewQueue" in ok.output
    bad = runner.invoke(app, ["diff", str(corpus.OLD), str(_write(tmp_path, corpus.REMOVED))])
    assert bad.exit_code == 1, bad.output
    assert "SW995" in bad.output and "SW993" in bad.output and "UNSAFE" in bad.output


def test_json_and_sarif(tmp_path: Path) -> None:
    runner = CliRunner()
    new = str(_write(tmp_path, corpus.REMOVED))
    done = runner.invoke(app, ["diff", str(corpus.OLD), new, "--format", "json"])
    document = json.loads(done.output)
    states = {s["old"]: s for s in document["states"]}
    assert states["Quarantine"]["change"] == "removed" and states["Quarantine"]["verdict"] == "unsafe"
    assert states["Draft"]["verdict"] == "safe" and document["exit_code"] == 1
    sarif = json.loads(runner.invoke(app, ["diff", str(corpus.OLD), new, "--format", "sarif"]).output)
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert rules == {"SW993", "SW995"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (None, "SW992"),  # the same spec as OLD
        ("version 3", "SW992"),  # changed, but no greater version
        ("workflow Other {", "SW992"),
        ("migrate { Quarantin -> Quarantine }", "SW990"),  # an old name OLD lacks
        ("migrate { Quarantine -> Draft }", "SW991"),  # OLD has its own Draft
    ],
)
def test_inputs_that_do_not_compare_exit_2_with_a_code(tmp_path: Path, text: str | None, code: str) -> None:
    if text is None:
        new = corpus.OLD.read_text("utf-8")
    elif text.startswith("workflow"):
        new = corpus.edited(("workflow OrderFulfilment {", text))
    elif text.startswith("version"):
        new = corpus.OLD.read_text("utf-8").replace("failure_reason: string", "failure_note: string x")
        new = new.replace("failure_note: string x", "failure_reason: string").replace(
            "invariant validation_attempts <= 3", "invariant validation_attempts <= 2"
        )
    else:
        new = corpus.edited(("  context {\n", f"  {text}\n  context {{\n"))
    done = CliRunner().invoke(app, ["diff", str(corpus.OLD), str(_write(tmp_path, new)), "--format", "json"])
    assert done.exit_code == 2, done.output
    assert [f["code"] for f in json.loads(done.output)["findings"]] == [code]


def test_a_spec_that_does_not_compile_exits_2(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["diff", str(corpus.OLD), str(_write(tmp_path, "workflow {"))])
    assert done.exit_code == 2
    assert "SW0" in done.output
