"""The parser: AST shape, spans, literals, comments, limits and labelled syntax errors."""

from __future__ import annotations

import io
import logging
from decimal import Decimal

import lark
import pytest

from statewright.diagnostics import Severity
from statewright.dsl import ast
from statewright.dsl.builder import MAX_DEPTH
from statewright.dsl.parser import ParseResult, grammar_text, parse
from statewright.dsl.syntax_errors import SYNTAX_ERRORS
from statewright.source import SourceText


def _parse(text: str) -> ParseResult:
    return parse(SourceText("t.wf", text))


def _ok(text: str) -> ast.Workflow:
    result = _parse(text)
    assert result.diagnostics == (), result.diagnostics
    assert result.workflow is not None
    return result.workflow


def _state(workflow: ast.Workflow, name: str) -> ast.StateDecl:
    kinds = ast.State | ast.FinalState | ast.SagaState | ast.ApprovalState | ast.CheckpointState
    for item in workflow.items:
        if isinstance(item, kinds) and item.name == name:
            return item
    raise KeyError(name)


def test_kitchen_sink_parses_into_items_in_source_order(kitchen_sink: str) -> None:
    workflow = _ok(kitchen_sink)
    kinds = [type(item).__name__ for item in workflow.items]
    assert kinds[:6] == ["Version", "Doc", "Context", "Invariant", "Events", "State"]
    assert workflow.name == "OrderFulfilment"
    assert [c.text for c in workflow.comments] == ["# bounded work"]


def test_spans_point_at_the_exact_characters() -> None:
    text = "workflow W {\n  events { go }\n  initial state A {\n    on go -> B\n  }\n  final state B\n}\n"
    workflow = _ok(text)
    state = _state(workflow, "A")
    assert isinstance(state, ast.State)
    transition = state.items[0]
    assert isinstance(transition, ast.Transition)
    assert (transition.span.line, transition.span.column) == (4, 5)
    assert (transition.target_span.line, transition.target_span.column) == (4, 14)
    assert (transition.span.end_line, transition.span.end_column) == (4, 15)
    assert text[transition.span.offset : transition.span.end_offset] == "on go -> B"
    assert (state.name_span.line, state.name_span.column) == (3, 17)


@pytest.mark.parametrize(
    ("literal", "millis"),
    [
        ("500ms", 500),
        ("30s", 30_000),
        ("5m", 300_000),
        ("2h", 7_200_000),
        ("7d", 604_800_000),
        ("1h30m", 5_400_000),
    ],
)
def test_durations_are_milliseconds(literal: str, millis: int) -> None:
    workflow = _ok(f"workflow W {{ initial state A {{ timeout {literal} -> B }} final state B }}")
    state = _state(workflow, "A")
    assert isinstance(state, ast.State)
    timeout = state.items[0]
    assert isinstance(timeout, ast.HardTimeout) and timeout.duration_ms == millis


def test_string_escapes_are_decoded() -> None:
    workflow = _ok('workflow W { doc "a\\"b\\\\c\\nd\\te\\u{1F600}é{x}" }')
    doc = workflow.items[0]
    assert isinstance(doc, ast.Doc)
    assert doc.text == 'a"b\\c\nd\te\U0001f600é{x}'


def test_unknown_escape_is_reported_with_its_position() -> None:
    result = _parse('workflow W {\n  doc "bad \\q here"\n}')
    (diag,) = result.diagnostics
    assert diag.code == "SW013"
    assert (diag.span.line, diag.span.column) == (2, 12)


def test_integer_overflow_is_reported() -> None:
    result = _parse("workflow W { version 99999999999999999999999 }")
    assert [d.code for d in result.diagnostics] == ["SW208"]


def test_decimals_stay_exact() -> None:
    workflow = _ok("workflow W { context { price: decimal 0.10..99.99 = 0.30 } }")
    context = workflow.items[0]
    assert isinstance(context, ast.Context)
    field = context.fields[0]
    assert field.type == ast.DecimalType(Decimal("0.10"), Decimal("99.99"))
    assert field.default == ast.DecimalLit(Decimal("0.30"))


def test_and_or_chains_are_flat_and_parenthesised_groups_fold_in() -> None:
    workflow = _ok("workflow W { invariant (a or b) or c and d and (e and f) }")
    invariant = workflow.items[0]
    assert isinstance(invariant, ast.Invariant)
    expr = invariant.expr
    assert isinstance(expr, ast.BoolOp) and expr.op == "or"
    assert [type(o).__name__ for o in expr.operands] == ["NameRef", "NameRef", "BoolOp"]
    inner = expr.operands[2]
    assert isinstance(inner, ast.BoolOp) and len(inner.operands) == 4


def test_keywords_can_name_states_and_events() -> None:
    workflow = _ok(
        "workflow W { events { done, reject } initial state state { on done -> final } final state final }"
    )
    assert [getattr(i, "name", None) for i in workflow.items[1:]] == ["state", "final"]


def test_empty_and_comment_only_inputs_are_reported() -> None:
    for text in ("", "   \n\n", "# only a comment\n"):
        result = _parse(text)
        assert [d.code for d in result.diagnostics] == ["SW005"]
        assert result.workflow is None


def test_second_workflow_in_a_file_is_reported() -> None:
    result = _parse("workflow A { }\nworkflow B { }")
    assert [d.code for d in result.diagnostics] == ["SW017"]
    assert result.diagnostics[0].span.line == 2


@pytest.mark.parametrize(
    "build",
    [
        lambda n: "workflow W { " + "state S { " * n + "}" * n + " }",
        lambda n: "workflow W { invariant " + "(" * n + "x" + ")" * n + " }",
        lambda n: "workflow W { invariant " + "not " * n + "x }",
        lambda n: "workflow W { invariant x" + " + x" * n + " > 0 }",
    ],
    ids=["states", "parentheses", "not", "sum"],
)
def test_nesting_ten_thousand_deep_is_a_diagnostic_not_a_crash(build: object) -> None:
    assert callable(build)
    result = _parse(build(10_000))
    assert [d.code for d in result.diagnostics] == ["SW006"]
    assert result.workflow is None


def test_nesting_at_the_limit_is_accepted() -> None:
    depth = MAX_DEPTH - 1
    text = "workflow W { invariant " + "(" * depth + "x" + ")" * depth + " }"
    assert _parse(text).diagnostics == ()


def test_lexical_errors_are_collected_and_parsing_goes_on() -> None:
    result = _parse("workflow W {\n  state A ; { }\n  state B $ { }\n}")
    assert [d.code for d in result.diagnostics] == ["SW011", "SW011"]
    assert [d.span.line for d in result.diagnostics] == [2, 3]
    assert result.workflow is None


def test_unterminated_string_reports_once() -> None:
    result = _parse('workflow W {\n  doc "no end\n}\n')
    assert [d.code for d in result.diagnostics] == ["SW012"]


def test_end_of_file_inside_a_block_names_the_missing_brace() -> None:
    result = _parse("workflow W {\n  initial state A {\n    on go -> B\n")
    (diag,) = result.diagnostics
    assert diag.code == "SW014"
    assert "`}`" in diag.message


@pytest.mark.parametrize(
    ("key", "example"),
    [(label.key, example) for label in SYNTAX_ERRORS for example in label.examples],
)
def test_every_labelled_bad_input_gets_its_label(key: str, example: str) -> None:
    label = next(lab for lab in SYNTAX_ERRORS if lab.key == key)
    result = _parse(example)
    assert result.workflow is None
    diag = result.diagnostics[-1]
    assert diag.code == "SW010"
    assert diag.message == label.message
    assert diag.help == label.help
    assert diag.severity is Severity.ERROR
    assert 1 <= diag.span.line <= example.count("\n") + 1


def test_unlabelled_syntax_error_lists_what_was_expected() -> None:
    result = _parse("workflow W { context { x: int = } }")
    diag = result.diagnostics[-1]
    assert diag.code == "SW010"
    assert "expected" in diag.help


def test_the_grammar_has_no_lalr_conflicts() -> None:
    """A conflict silently resolved as shift makes some valid input unparseable."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    lark.logger.addHandler(handler)
    previous = lark.logger.level
    lark.logger.setLevel(logging.DEBUG)
    try:
        lark.Lark(grammar_text(), parser="lalr", lexer="contextual", keep_all_tokens=True, debug=True)
    finally:
        lark.logger.removeHandler(handler)
        lark.logger.setLevel(previous)
    assert "conflict" not in stream.getvalue().lower(), stream.getvalue()
