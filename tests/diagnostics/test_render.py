"""Reporters: the full, concise and JSON forms of a finding."""

from __future__ import annotations

import json

from statewright.diagnostics import Diagnostic, codes
from statewright.diagnostics.render import render_concise, render_full, render_json
from statewright.source import NO_SPAN, Span

SOURCE = {1: "workflow W {", 2: "  initial state A { on go -> Nowhere }"}


def _lookup(_file: str, line: int) -> str:
    return SOURCE.get(line, "")


def test_full_form_has_code_location_source_caret_and_help() -> None:
    diag = Diagnostic.of(
        codes.UNKNOWN_STATE,
        "unknown state `Nowhere`",
        "w.wf",
        Span(2, 31, 2, 38),
        label="not a state of this workflow",
        help="declare the state, or fix the name",
        counterexample=("go",),
    )
    assert render_full(diag, _lookup).splitlines() == [
        "error[SW102]: unknown state `Nowhere`",
        " --> w.wf:2:31",
        "  |",
        "2 |   initial state A { on go -> Nowhere }",
        "  |                               ^^^^^^^ not a state of this workflow",
        "  |",
        "  = counterexample: go",
        "  = help: declare the state, or fix the name",
    ]


def test_findings_about_the_run_show_no_invented_position() -> None:
    diag = Diagnostic.of(codes.NOT_A_FILE, "no inputs", "<command line>", NO_SPAN)
    assert " --> <command line>" in render_full(diag).splitlines()
    assert render_concise(diag).startswith("<command line>: SW002 error:")
    real = Diagnostic.of(codes.NOT_A_FILE, "x", "w.wf", NO_SPAN)
    assert render_concise(real).startswith("w.wf:1:1: SW002")


def test_json_is_sorted_by_place_and_complete() -> None:
    later = Diagnostic.of(codes.SYNTAX, "b", "w.wf", Span(3, 1, 3, 2))
    earlier = Diagnostic.of(codes.SYNTAX, "a", "w.wf", Span(1, 5, 1, 6), witness=[("x", "6")])
    data = json.loads(render_json([later, earlier]))
    assert [d["message"] for d in data] == ["a", "b"]
    assert data[0]["span"] == {"line": 1, "column": 5, "end_line": 1, "end_column": 6}
    assert data[0]["witness"] == {"x": "6"}
