"""Reporters: the full, concise and JSON forms of a finding."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from statewright.diagnostics import Diagnostic, codes
from statewright.diagnostics.render import SHOWN_WIDTH, render_concise, render_full, render_json
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


def test_a_ten_megabyte_line_is_shown_as_a_bounded_window_around_the_caret() -> None:
    """Issue 16: one 10 MB line used to print 20 MB (the line and a caret line as long)."""
    line = "workflow W {" + " " * 10_000_000 + "@ }"
    column = line.index("@") + 1
    diag = Diagnostic.of(
        codes.UNEXPECTED_CHAR, "unexpected character `@`", "w.wf", Span(1, column, 1, column + 1)
    )
    text = render_full(diag, lambda _file, _line: line)
    assert len(text) < 1_000
    shown, caret = text.splitlines()[3], text.splitlines()[4]
    assert shown[caret.index("^")] == "@"


@given(st.integers(0, 400), st.integers(1, 400), st.integers(1, 50))
def test_the_caret_stays_under_its_character_in_any_window(before: int, after: int, width: int) -> None:
    line = "x" * before + "@" * width + "y" * after
    column = before + 1
    diag = Diagnostic.of(codes.UNEXPECTED_CHAR, "m", "w.wf", Span(1, column, 1, column + width))
    lines = render_full(diag, lambda _file, _line: line).splitlines()
    shown, caret = lines[3], lines[4]
    assert len(shown) <= len("1 | ") + SHOWN_WIDTH + 2
    start = caret.index("^")
    assert set(shown[start : start + caret.count("^")]) == {"@"}
