"""The `table` target: the state x event table (Markdown and CSV) and the saga compensation tables."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from statewright import cli
from statewright.cli import build as build_command
from statewright.compiler.verify.result import verification_of
from statewright.plugins.api import TargetOptions
from statewright.plugins.run import VerificationRun
from statewright.semantics.facts import Facts
from statewright.targets.table import TableTarget, md_code, md_text, sagas_md, transitions_csv, transitions_md
from tests.targets.specs import APPROVE, CHECKS, SHOP, TRICKY, example, example_paths, machine_of, manager

ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "STATEWRIGHT_DEBUG": None, "COLUMNS": "200"}


def facts_of(text: str) -> Facts:
    """The facts the `table` target presents for `text`, with what verification proved."""
    machine = machine_of(text)
    return Facts(machine, verification_of(VerificationRun(machine)).exhaustive)


def csv_rows(text: str) -> list[list[str]]:
    """Parse CSV text back with the csv module."""
    return list(csv.reader(io.StringIO(text, newline="")))


def split_md_row(line: str) -> list[str]:
    """Split a GFM table row on unescaped pipes (a `\\|` stays in its cell)."""
    assert line.startswith("| ") and line.endswith(" |"), line
    cells = re.split(r"(?<!\\) \| ", line[2:-2])
    return cells


def md_tables(text: str) -> list[list[list[str]]]:
    """Every table of a Markdown document, as rows of cells (the separator row dropped)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(split_md_row(line))
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    for table in tables:
        width = len(table[0])
        assert all(len(row) == width for row in table), table
        assert set(table[1]) == {"---"}
        del table[1]
    return tables


def by_state(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    """Index table rows by their first cell, then by column header."""
    header = rows[0]
    return {row[0]: dict(zip(header[1:], row[1:], strict=True)) for row in rows[1:]}


# --------------------------------------------------------------------------- the state x event table


def test_csv_has_every_non_final_leaf_and_every_event() -> None:
    rows = csv_rows(transitions_csv(facts_of(TRICKY)))
    assert rows[0] == ["state", "go", "stop", "poke", "(timeout)"]
    assert [row[0] for row in rows[1:]] == ["Idle", "Inner", "Inner2", "note", "end"]
    table = by_state(rows)
    assert table["Idle"]["go"] == 'Busy [label == "x|y \\"quoted\\" é"]\nBusy [amount > 3]'
    assert table["Idle"]["poke"] == "reject: not now | later — «bientôt»"
    assert table["Idle"]["(timeout)"] == ""


def test_ancestors_apply_and_guarded_children_fall_through() -> None:
    table = by_state(csv_rows(transitions_csv(facts_of(TRICKY))))
    # Inner's only `go` is guarded, so Busy's unguarded `go` follows it
    assert table["Inner"]["go"] == "Inner2 [amount > 3]\nnote"
    assert table["Inner"]["stop"] == "Done"  # from Busy
    assert table["Inner2"]["stop"] == "reject"  # the child's own refusal wins over Busy's transition
    assert table["Inner2"]["poke"] == "ignore"
    assert table["Inner"]["poke"] == ""  # unresolved
    assert table["Inner"]["(timeout)"] == "after 5s: Idle"  # Busy's timer covers its children


EXHAUSTIVE_CHILD = """workflow Split {
  context { amount: int 0..10 = 0 }
  events { go }
  initial state Outer {
    on go -> Done
    initial state Inner {
      on go when amount > 3 -> Done
      on go when amount <= 3 -> Other
    }
  }
  state Other { on go -> Done }
  final state Done
}
"""


@pytest.mark.parametrize(
    ("second_guard", "expected"),
    [
        ("amount <= 3", "Done [amount > 3]\nOther [amount <= 3]"),
        ("amount < 3", "Done [amount > 3]\nOther [amount < 3]\nDone"),
    ],
)
def test_guarded_level_stops_the_walk_exactly_when_z3_proves_it_exhaustive(
    second_guard: str, expected: str
) -> None:
    """Exhaustive child guards hide the parent's entry; with a gap (amount == 3) the parent's entry shows."""
    spec = EXHAUSTIVE_CHILD.replace("amount <= 3 -> Other", f"{second_guard} -> Other")
    table = by_state(csv_rows(transitions_csv(facts_of(spec))))
    assert table["Inner"]["go"] == expected


def test_the_target_shows_only_what_it_is_handed_as_proved() -> None:
    """Without a verification result the target proves nothing itself: the parent's entry shows."""
    machine = machine_of(EXHAUSTIVE_CHILD)
    proved = verification_of(VerificationRun(machine))
    assert proved.exhaustive == {("Inner", "go")}

    def cell(options: TargetOptions) -> str:
        [csv_file] = [
            a for a in TableTarget().generate(machine, options).artifacts if a.path.endswith(".csv")
        ]
        return by_state(csv_rows(csv_file.content))["Inner"]["go"]

    assert cell(TargetOptions(verification=proved)) == "Done [amount > 3]\nOther [amount <= 3]"
    assert cell(TargetOptions()) == "Done [amount > 3]\nOther [amount <= 3]\nDone"


def test_csv_is_rfc4180() -> None:
    text = transitions_csv(facts_of(TRICKY))
    assert text.endswith("\r\n")
    records = text.split("\r\n")
    assert records[0] == "state,go,stop,poke,(timeout)"
    # a cell holding quotes and a line break is quoted, with quotes doubled
    assert records[1].startswith('Idle,"Busy [label == ""x|y \\""quoted\\"" é""]\nBusy [amount > 3]",')


def test_markdown_escapes_pipes_and_keeps_guards_as_code() -> None:
    text = transitions_md(facts_of(TRICKY))
    (table, finals) = md_tables(text)
    assert table[0] == ["state", "go", "stop", "poke", "(timeout)"]
    rows = by_state(table)
    assert rows["Idle"]["go"] == 'Busy [`label == "x\\|y \\"quoted\\" é"`]<br>Busy [`amount > 3`]'
    assert rows["Idle"]["poke"] == "reject: not now \\| later — «bientôt»"
    assert rows["Inner"]["poke"] == "—"
    assert rows["Idle"]["(timeout)"] == "—"
    assert finals == [["state", "outcome", "reason"], ["Done", "success", "—"]]


def test_markdown_helpers() -> None:
    assert md_text("a|b") == "a\\|b"
    assert (
        md_text("x_y _z_ *w* <b> [l](u) `c` & ~s~")
        == "x_y \\_z\\_ \\*w\\* \\<b> \\[l\\](u) \\`c\\` \\& \\~s\\~"
    )
    assert md_text("two\nlines") == "two lines"
    assert md_code("a | b") == "`a \\| b`"
    assert md_code('s == "`x`"') == '``s == "`x`"``'
    assert md_code("`edge") == "`` `edge ``"


def test_approval_table() -> None:
    (table, finals) = md_tables(transitions_md(facts_of(APPROVE)))
    assert table[0] == ["state", "submit", "cancel", "approve", "reject", "delegate", "(timeout)"]
    rows = by_state(table)
    assert list(rows) == ["Draft", "Review.level_1", "Review.level_2"]
    assert rows["Review.level_1"]["cancel"] == "Cancelled"  # from the approval around it
    assert rows["Review.level_1"]["approve"] == "Review.level_2"
    assert rows["Review.level_1"]["delegate"] == "(stay)"
    assert rows["Review.level_2"]["(timeout)"] == "after 2d: Rejected"
    # issue 16: an approval event outside its approval is refused (SW960), not left open
    assert rows["Draft"]["approve"] == "(refused: not awaited here)"
    assert rows["Draft"]["submit"] != "—"
    assert "Done" not in rows  # final states are not rows
    assert ["Rejected", "failure", "not approved"] in finals


def test_parallel_regions_mark_events_another_region_handles() -> None:
    (table, *_rest) = md_tables(transitions_md(facts_of(CHECKS)))
    rows = by_state(table)
    assert rows["SmokeRunning"]["probe_ok"] == "(another region)"
    assert rows["SmokeRunning"]["smoke_ok"] == "SmokeDone"
    assert rows["Probing"]["abort"] == "Aborted"  # from the parallel state
    assert rows["Idle"]["probe_ok"] == "—"
    csv_table = by_state(csv_rows(transitions_csv(facts_of(CHECKS))))
    assert csv_table["Probing"]["smoke_ok"] == "(another region)"
    assert csv_table["Idle"]["probe_ok"] == ""


def test_completion_transitions_are_listed() -> None:
    text = transitions_md(facts_of(CHECKS))
    assert "## Completion transitions" in text
    (_table, completions, _finals) = md_tables(text)
    assert completions[1:] == [["Verifying", "every region has reached a final state", "Deployed"]]


# --------------------------------------------------------------------------- the saga table


def test_saga_table_lists_order_keys_compensations_and_failures() -> None:
    text = sagas_md(facts_of(SHOP))
    assert text.startswith("# Shop: saga compensation tables\n\n## Fulfilling\n")
    assert (
        "Compensations run in reverse (LIFO) order, from the latest completed step: "
        "refund_card, then release_stock." in text
    )
    assert "`compensation_failed` -> ManualReview" in text
    assert "`compensated` -> Cancelled (failure: order cancelled)" in text
    (table,) = md_tables(text)
    assert table[0] == [
        "order",
        "step",
        "service",
        "idempotency key",
        "compensation",
        "compensation key",
        "undo order",
        "retry",
        "timeout",
        "if the step fails",
        "if the compensation fails",
    ]
    steps = {row[1]: dict(zip(table[0], row, strict=True)) for row in table[1:]}
    assert list(steps) == ["reserve_stock", "charge_card", "hand_over", "notify"]
    assert [step["order"] for step in steps.values()] == ["1", "2", "3", "4"]
    reserve = steps["reserve_stock"]
    assert (reserve["service"], reserve["timeout"]) == ("inventory", "30s")
    assert reserve["idempotency key"] == "`r-{id}`"
    assert reserve["compensation"] == "compensate with release_stock"
    assert reserve["compensation key"] == "`rr-{id}`"
    assert reserve["undo order"] == "2"
    assert reserve["retry"] == "3 retries, exponential 1s..30s x2, jitter full, on Timeout"
    assert reserve["if the step fails"].startswith(
        "fails -> Cancelled (failure: order cancelled), the saga's compensated outcome"
    )
    failing = reserve["if the compensation fails"].split("<br>")
    assert "fails -> ManualReview, the saga's compensation_failed outcome" in failing
    assert steps["charge_card"]["undo order"] == "1"
    assert steps["charge_card"]["if the step fails"].startswith(
        "fails -> compensate with release_stock (Fulfilling.release_stock)"
    )
    assert steps["hand_over"]["compensation"] == "pivot: point of no return, no automatic undo"
    assert steps["hand_over"]["undo order"] == "—"
    assert steps["notify"]["compensation"] == "no compensation: an email cannot be recalled"
    assert steps["notify"]["if the step fails"].startswith("fails -> ManualReview")
    assert steps["notify"]["if the compensation fails"] == "—"


def test_sagas_file_only_when_the_machine_has_sagas() -> None:
    with_saga = TableTarget().generate(machine_of(SHOP), TargetOptions())
    assert [a.path for a in with_saga.artifacts] == [
        "Shop.transitions.md",
        "Shop.transitions.csv",
        "Shop.sagas.md",
    ]
    without = TableTarget().generate(machine_of(TRICKY), TargetOptions())
    assert [a.path for a in without.artifacts] == ["Tricky.transitions.md", "Tricky.transitions.csv"]
    assert not with_saga.diagnostics and not without.diagnostics
    rows = by_state(csv_rows(transitions_csv(facts_of(SHOP))))
    assert rows["Fulfilling.charge_card"]["cancel"] == "reject: being fulfilled | ask support"
    assert rows["ManualReview"]["cancel"] == "ignore"


# --------------------------------------------------------------------------- plugin, build, determinism


def test_the_target_is_registered_through_the_hook() -> None:
    targets = manager().targets()
    assert isinstance(targets["table"], TableTarget)


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.name)
def test_tables_are_deterministic(path: Path) -> None:
    first = TableTarget().generate(example(path.stem), TargetOptions())
    second = TableTarget().generate(example(path.stem), TargetOptions())
    assert first == second
    for artifact in first.artifacts:
        if artifact.path.endswith(".md"):
            md_tables(artifact.content)  # every row has as many cells as its header
        else:
            rows = csv_rows(artifact.content)
            assert len({len(row) for row in rows}) == 1


def test_build_writes_the_tables_byte_identically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_command, "get_plugin_manager", manager)
    spec = tmp_path / "tricky.wf"
    spec.write_text(TRICKY, "utf-8")
    runner = CliRunner()
    first = runner.invoke(
        cli.app, ["build", str(spec), "--target", "table", "--out", str(tmp_path / "a")], env=ENV
    )
    assert first.exit_code == 0, first.stdout
    second = runner.invoke(
        cli.app, ["build", str(spec), "--target", "table", "--out", str(tmp_path / "b")], env=ENV
    )
    assert second.exit_code == 0, second.stdout
    for name in ("Tricky.transitions.md", "Tricky.transitions.csv"):
        a = (tmp_path / "a" / "table" / name).read_bytes()
        assert a == (tmp_path / "b" / "table" / name).read_bytes()
    assert (tmp_path / "a" / "table" / "Tricky.transitions.csv").read_bytes().count(
        b"\r\n"
    ) == 6  # header and 5 rows
