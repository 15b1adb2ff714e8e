"""The `migrate { Old -> New }` block: parsed, formatted, lowered into the IR, and its bad maps refused."""

from __future__ import annotations

import pytest

from statewright.dsl.format import format_text
from statewright.ir import json_form
from statewright.ir.identity import identity
from statewright.pipeline import compile_text
from statewright.source import SourceText

BASE = """workflow W {{
  version 2
  {migrate}
  events {{ go }}
  initial state B {{ on go -> D }}
  final state D
  final state E
}}
"""


def _codes(text: str) -> list[str]:
    return [d.code for d in compile_text(text, "w.wf").diagnostics if d.severity.value == "error"]


def test_a_rename_is_lowered_into_the_ir_and_round_trips_through_json() -> None:
    machine = compile_text(BASE.format(migrate="migrate { A -> B, C -> D }"), "w.wf").machine
    assert machine is not None
    assert [(r.old, r.new) for r in machine.migrations] == [("A", "B"), ("C", "D")]
    assert json_form.load(json_form.dump(machine)) == machine


def test_a_spec_without_the_block_keeps_its_json_and_identity() -> None:
    machine = compile_text(BASE.format(migrate=""), "w.wf").machine
    assert machine is not None
    assert "migrations" not in json_form.dump(machine)
    assert "migrations" not in json_form.to_data(machine)
    with_map = compile_text(BASE.format(migrate="migrate { A -> B }"), "w.wf").machine
    assert with_map is not None and identity(with_map) != identity(machine)


def test_fmt_writes_one_rename_per_line_and_is_idempotent() -> None:
    text = BASE.format(migrate="migrate { A -> B, C -> D }")
    once = format_text(SourceText("w.wf", text)).text
    assert once is not None and "  migrate {\n    A -> B\n    C -> D\n  }\n" in once
    assert format_text(SourceText("w.wf", once)).text == once


@pytest.mark.parametrize(
    ("block", "codes"),
    [
        ("migrate { A -> Nope }", ["SW990"]),
        ("migrate { A -> B, A -> D }", ["SW991"]),
        ("migrate { A -> B, C -> B }", ["SW991"]),
        ("migrate { B -> D, D -> B }", ["SW991", "SW991"]),  # a cycle (a swap)
        ("migrate { A -> B, B -> D }", ["SW991", "SW991"]),  # a chain
        ("migrate { B -> B }", ["SW991"]),
    ],
)
def test_a_map_that_is_not_a_plain_renaming_is_refused(block: str, codes: list[str]) -> None:
    assert _codes(BASE.format(migrate=block)) == codes


def test_the_diagnostic_points_at_the_unknown_name() -> None:
    (finding,) = compile_text(BASE.format(migrate="migrate { A -> Nope }"), "w.wf").diagnostics
    assert finding.code == "SW990" and finding.span.line == 3
    assert "`Nope`" in finding.message and finding.help
