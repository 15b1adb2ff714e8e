"""The canonical formatter: round trips, idempotence, comments, strings and layout rules."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from statewright.dsl import ast
from statewright.dsl.format import (
    FormatResult,
    format_decimal,
    format_expr,
    format_string,
    format_text,
    format_workflow,
)
from statewright.dsl.parser import parse
from statewright.ir.text import format_duration
from statewright.source import SourceText
from tests import strategies
from tests.conftest import example_files

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _parse_ok(text: str) -> ast.Workflow:
    result = parse(SourceText("t.wf", text))
    assert result.diagnostics == (), (text, result.diagnostics)
    assert result.workflow is not None
    return result.workflow


def _fmt(text: str) -> str:
    result = format_text(SourceText("t.wf", text))
    assert result.diagnostics == () and result.text is not None, result.diagnostics
    return result.text


def _comment_texts(text: str) -> list[str]:
    return [c.text.rstrip() for c in _parse_ok(text).comments]


def _assert_canonical(source: str) -> str:
    """Format `source`; check the AST, the comments and idempotence; return the output."""
    output = _fmt(source)
    assert _parse_ok(output) == _parse_ok(source)
    assert _comment_texts(output) == _comment_texts(source)
    assert _fmt(output) == output
    assert output.endswith("\n") and not output.endswith("\n\n")
    assert all(line == line.rstrip() for line in output.splitlines())
    return output


# --------------------------------------------------------------------------- properties


@given(strategies.workflows())
def test_generated_workflows_round_trip_and_format_idempotently(workflow: ast.Workflow) -> None:
    text = format_workflow(workflow)
    reparsed = _parse_ok(text)
    assert reparsed == workflow
    assert format_workflow(reparsed) == text


@given(strategies.expressions(depth=4))
def test_generated_expressions_round_trip(expr: ast.Expr) -> None:
    workflow = ast.Workflow("W", (ast.Invariant(expr),))
    assert _parse_ok(format_workflow(workflow)) == workflow


@given(strategies.strings())
def test_generated_strings_round_trip(value: str) -> None:
    workflow = ast.Workflow("W", (ast.Doc(value),))
    assert _parse_ok(format_workflow(workflow)) == workflow


def _gaps(text: str) -> Iterator[int]:
    """Yield the offsets of spaces that separate tokens (never those inside a string)."""
    in_string = escaped = False
    for offset, char in enumerate(text):
        if in_string:
            in_string = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"':
            in_string = True
        elif char == " ":
            yield offset


@st.composite
def _commented_sources(draw: st.DrawFn) -> tuple[ast.Workflow, str, list[str]]:
    """Return a workflow and its text with comments put between random tokens and lines."""
    workflow = draw(strategies.workflows())
    text = format_workflow(workflow)
    gaps = [*_gaps(text), *(i for i, c in enumerate(text) if c == "\n")]
    chosen = sorted(draw(st.sets(st.sampled_from(gaps), max_size=6)))
    pieces, texts, start = [], [], 0
    for number, offset in enumerate(chosen):
        comment = f"# c{number}"
        own_line = draw(st.booleans())
        pieces.append(text[start:offset] + ("\n" if own_line else " ") + comment + "\n")
        texts.append(comment)
        start = offset + 1
    pieces.append(text[start:])
    return workflow, "".join(pieces), texts


@settings(max_examples=60)
@given(_commented_sources())
def test_comments_anywhere_survive_in_order(case: tuple[ast.Workflow, str, list[str]]) -> None:
    workflow, source, texts = case
    assert _parse_ok(source) == workflow
    output = _assert_canonical(source)
    assert _comment_texts(output) == texts


# --------------------------------------------------------------------------- comments


COMMENTED = """\
# top 1
# top 2
workflow W {  # header
  # before version
  version 1  # after version
  context {  # context header
    # before field
    a: int >= 0  # after field
    b: enum { x,  # inside enum
      y }
    # closing context
  }  # after context
  events { go, stop # after stop
  }


  # before state A
  initial state A {  # A header
    on go -> B  # trailing transition
    on stop
      when a > 1  # inside guard
      -> B {
      do x  # after x
      # between actions
      set a = a + 1
      # before block close
    }
    entry {
      do y  # single action in block
    }
    # closing A
  }
  saga S {
    step a   # inside step
      compensate b
      # own line inside step
      key "k"
    done -> B
  }  # after S
  approval P { level 1 { approvers role:boss  # inside level
    quorum 1 } }
  state Empty {  # empty header
    # inside empty
  }
  state Plain { } # after plain
  final state B
  # before close
}  # after close
# end 1

# end 2
"""

COMMENTED_FORMATTED = """\
# top 1
# top 2
workflow W {  # header
  # before version
  version 1  # after version
  context {  # context header
    # before field
    a: int >= 0  # after field
    # inside enum
    b: enum { x, y }
    # closing context
  }  # after context
  events {
    go
    stop  # after stop
  }

  # before state A
  initial state A {  # A header
    on go -> B  # trailing transition
    on stop when a > 1 -> B {
      # inside guard
      do x  # after x
      # between actions
      set a = a + 1
      # before block close
    }
    # single action in block
    entry do y
    # closing A
  }

  saga S {
    # inside step
    # own line inside step
    step a key "k" compensate b
    done -> B
  }  # after S

  approval P {
    # inside level
    level 1 { approvers role:boss quorum 1 }
  }

  # empty header
  # inside empty
  state Empty

  state Plain  # after plain

  final state B
  # before close
}  # after close
# end 1
# end 2
"""


def test_comments_in_every_position_keep_their_place() -> None:
    assert _assert_canonical(COMMENTED) == COMMENTED_FORMATTED


def test_comment_texts_keep_inner_spacing_but_lose_trailing_whitespace() -> None:
    source = "workflow W {\r\n  #  two  spaces\t \r\n  version 1 #\tx  \r\n}\r\n"
    assert _fmt(source) == "workflow W {\n  #  two  spaces\n  version 1  #\tx\n}\n"


def test_only_comments_and_an_empty_workflow() -> None:
    assert _assert_canonical("# a\nworkflow W { # b\n# c\n}\n# d\n") == "# a\n# b\n# c\nworkflow W {}\n# d\n"


# --------------------------------------------------------------------------- layout


def test_kitchen_sink_is_canonical_after_one_pass(kitchen_sink: str) -> None:
    output = _assert_canonical(kitchen_sink)
    assert "  final state Shipped\n\n  final state Cancelled\n" in output
    assert '    warn after 10s "slow validation" { do page_oncall }\n' in output


def test_layout_rules() -> None:
    source = """workflow W { version 2 doc "d" events { go }
      initial state A { on go -> B { do a } on go else -> B { do a do b } entry { do x }
        exit { } state Inner final state Done { } }
      saga S { step s key "k" retry 2 compensate c  done -> B }
      approval P { level 1 { } }
      final state B }"""
    assert _assert_canonical(source) == (
        "workflow W {\n"
        "  version 2\n"
        '  doc "d"\n'
        "  events { go }\n"
        "\n"
        "  initial state A {\n"
        "    on go -> B { do a }\n"
        "    on go else -> B {\n"
        "      do a\n"
        "      do b\n"
        "    }\n"
        "    entry do x\n"
        "    exit {}\n"
        "    state Inner\n"
        "    final state Done\n"
        "  }\n"
        "\n"
        "  saga S {\n"
        '    step s key "k" compensate c retry 2\n'
        "    done -> B\n"
        "  }\n"
        "\n"
        "  approval P { level 1 {} }\n"
        "\n"
        "  final state B\n"
        "}\n"
    )


def test_the_authors_blank_lines_and_one_line_blocks_are_kept() -> None:
    """One blank line where the author left some (never more), and short one-line blocks stay on one line."""
    head = "workflow W {\n  version 1\n"
    context = "  # events\n  events { go }\n  context {\n    a: int\n\n    b: int\n  }\n"
    state = "  initial state A {\n    on go -> B\n\n    timeout 1s -> B\n  }\n"
    final = '  final state B { outcome failure "late" }\n}\n'
    source = head + "\n\n" + context + state + final
    assert _assert_canonical(source) == head + "\n" + context + "\n" + state + "\n" + final
    expanded = source.replace(final, '  final state B {\n    outcome failure "late"\n  }\n}\n')
    assert '  final state B {\n    outcome failure "late"\n  }\n' in _assert_canonical(expanded)


def test_approvers_print_bare_when_they_are_names() -> None:
    workflow = _parse_ok(
        'workflow W { checkpoint C { assignee user:"ann" } approval A { level 1 '
        '{ approvers user:"ann@x.com", role:"", team:"done" } } }'
    )
    output = format_workflow(workflow)
    assert "checkpoint C { assignee user:ann }\n" in output
    assert 'approvers user:"ann@x.com", role:"", team:done ' in output


# --------------------------------------------------------------------------- leaves


@pytest.mark.parametrize(
    ("millis", "text"),
    [
        (0, "0s"),
        (1, "1ms"),
        (1500, "1s500ms"),
        (60_500, "1m500ms"),
        (90_000, "1m30s"),
        (86_400_000, "1d"),
        (90_061_001, "1d1h1m1s1ms"),
    ],
)
def test_durations_use_the_largest_units_first(millis: int, text: str) -> None:
    assert format_duration(millis) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1.50"), "1.50"),
        (Decimal(2), "2.0"),
        (Decimal("1E+2"), "100.0"),
        (Decimal("1.5E-7"), "0.00000015"),
        (Decimal("-3"), "-3.0"),
    ],
)
def test_decimals_always_have_a_point(value: Decimal, text: str) -> None:
    assert format_decimal(value) == text


@pytest.mark.parametrize(
    "value",
    [
        'say "hi"',
        "back\\slash",
        "two\nlines",
        "tab\there",
        "cr\rlf",
        "é ü 日本 😀",
        "{braces} {id}",
        "\u202e ${Name} ]]> --> */ coding:utf-7",  # controls are refused: tests/front/test_bounds.py
        "\u2028\u2029",
        "\\u{41}",
        "",
        "# not a comment",
    ],
)
def test_strings_round_trip(value: str) -> None:
    workflow = _parse_ok(f"workflow W {{ doc {format_string(value)} }}")
    assert workflow.items == (ast.Doc(value),)


def test_string_escapes() -> None:
    assert format_string('a"b\\c\nd\te\rf') == '"a\\"b\\\\c\\nd\\te\\rf"'
    assert format_string("\x01\u2028é") == '"\\u{1}\\u{2028}é"'


@pytest.mark.parametrize(
    "text",
    [
        "a - (b - c)",
        "a - b - c",
        "(a + b) * c",
        "a * (b / c)",
        "a * b % c",
        "-(a + b)",
        "- -a",
        "a - -1",
        "-1.5 * -b",
        "not a < b",
        "not (a and b)",
        "not not a",
        "a or b and c",
        "(a or b) and c",
        "a and (b or c) and d",
        "(a < b) == c",
        "a == (b < c)",
        'a + 1 in { 1, -2, 3.5, "s", true, x }',
        "a not in { x }",
        "not a in { x }",
        "(not a) in { x }",
        "a + (not b)",
        "(a and b) + 1",
        "a * (b < c)",
        "(a == b) != (c == d)",
    ],
)
def test_expressions_print_with_minimal_parentheses(text: str) -> None:
    workflow = _parse_ok(f"workflow W {{ invariant {text} }}")
    invariant = workflow.items[0]
    assert isinstance(invariant, ast.Invariant)
    assert format_expr(invariant.expr) == text


# --------------------------------------------------------------------------- format_text and examples


def test_format_text_returns_diagnostics_and_no_text_on_errors() -> None:
    result = format_text(SourceText("bad.wf", "workflow W { state }"))
    assert isinstance(result, FormatResult)
    assert result.text is None
    assert result.diagnostics and result.diagnostics[0].code == "SW010"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.wf")), ids=lambda p: p.name)
def test_examples_are_preserved_and_idempotent(path: Path) -> None:
    _assert_canonical(path.read_text("utf-8"))


# --------------------------------------------------------------------------- the strategies themselves


def _walk(node: Any) -> Iterator[Any]:
    """Yield every AST node under `node` (dataclasses inside fields and tuples)."""
    if isinstance(node, tuple):
        for element in node:
            yield from _walk(element)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        yield node
        for f in dataclasses.fields(node):
            if f.compare:
                yield from _walk(getattr(node, f.name))


def _states(value: object) -> set[str]:
    """Name how a field is filled: `set`, or `unset` plus `none`, `empty` or `false`."""
    if value is None:
        return {"unset", "none"}
    if value is False:
        return {"unset", "false"}
    return {"unset", "empty"} if value == () else {"set"}


def _requirements(kind: type) -> set[tuple[str, str, str]]:
    """What a strategy for `kind` must show: the node, and every optional field both set and unset."""
    required = {(kind.__name__, "", "")}
    for f in dataclasses.fields(kind):
        optional = f.default is not dataclasses.MISSING or f.name == "attempts"
        if f.compare and optional and (kind, f.name) != (ast.Workflow, "items"):
            required |= {(kind.__name__, f.name, "set"), (kind.__name__, f.name, "unset")}
        if f.name == "actions" and kind is not ast.Entry and kind is not ast.Exit:
            required |= {(kind.__name__, f.name, "none"), (kind.__name__, f.name, "empty")}
    return required


_STATE_KINDS = {
    ast.State,
    ast.FinalState,
    ast.ParallelState,
    ast.SagaState,
    ast.ApprovalState,
    ast.CheckpointState,
}
_EXPRESSIONS = {ast.Not, ast.Binary, ast.Compare, ast.BoolOp, ast.InSet}
_LITERALS = {ast.IntLit, ast.DecimalLit, ast.StringLit, ast.BoolLit, ast.NameRef, ast.Negate}
_COMMON = {
    ast.Doc,
    ast.Transition,
    ast.Reject,
    ast.Ignore,
    ast.Entry,
    ast.Exit,
    ast.HardTimeout,
    ast.SoftTimeout,
}
_HEADER = {
    ast.Version,
    ast.Doc,
    ast.ScopeDecl,
    ast.Context,
    ast.Invariant,
    ast.Events,
    ast.Requirements,
    ast.Migrate,
}
_COVERAGE: dict[str, tuple[st.SearchStrategy[Any], set[type], set[type]]] = {
    # name: (strategy, node types whose optional fields it must fill both ways, node types it must reach)
    "expressions": (strategies.expressions(), _LITERALS | _EXPRESSIONS | {ast.MemberRef}, set()),
    "literals": (strategies.literals(), _LITERALS, set()),
    "type_specs": (
        strategies.type_specs(),
        {ast.IntType, ast.DecimalType, ast.BoolType, ast.StringType, ast.EnumType},
        set(),
    ),
    "contexts": (strategies.contexts(), {ast.Context, ast.Field}, set()),
    "events": (strategies.events(), {ast.Events, ast.EventDecl}, set()),
    "actions": (strategies.actions(), {ast.DoAction, ast.SetAction, ast.EmitAction}, set()),
    "common_items": (strategies.common_items(), _COMMON - {ast.Transition}, {ast.Transition}),
    "transitions": (strategies.transitions(), {ast.Transition}, set()),
    "hard_timeouts": (strategies.hard_timeouts(), {ast.HardTimeout}, set()),
    "soft_timeouts": (strategies.soft_timeouts(), {ast.SoftTimeout}, set()),
    "invokes": (strategies.invokes(), {ast.Invoke}, set()),
    "retries": (strategies.retries(), {ast.Retry, ast.Backoff}, set()),
    "steps": (strategies.steps(), {ast.Step}, set()),
    "levels": (strategies.levels(), {ast.Level}, set()),
    "approvers": (strategies.approvers(), {ast.Approver}, set()),
    "plain_states": (
        strategies.plain_states(1),
        {ast.State, ast.Heartbeat, ast.Outcome, ast.Always},
        _STATE_KINDS | {ast.Invoke, ast.Retry} | _COMMON,
    ),
    "final_states": (strategies.final_states(), {ast.FinalState, ast.FinalOutcome}, {ast.Doc, ast.Entry}),
    "parallel_states": (strategies.parallel_states(1), {ast.ParallelState, ast.Region}, {ast.Outcome}),
    "sagas": (strategies.sagas(), {ast.SagaState}, {ast.Step, ast.Outcome} | (_COMMON - {ast.HardTimeout})),
    "approvals": (
        strategies.approvals(),
        {ast.ApprovalState, ast.Routing, ast.Delegation},
        {ast.Level, ast.Outcome} | _COMMON,
    ),
    "checkpoints": (
        strategies.checkpoints(),
        {ast.CheckpointState, ast.Prompt, ast.Assignee},
        {ast.Outcome} | _COMMON,
    ),
    "requirements": (strategies.requirements(), {ast.Requirements, ast.Requirement}, set()),
    "migrates": (strategies.migrates(), {ast.Migrate, ast.Rename}, set()),
    "workflows": (strategies.workflows(), {ast.Workflow}, _HEADER | _STATE_KINDS),
}
_NODE_TYPES = {
    obj
    for obj in vars(ast).values()
    if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == ast.__name__
}


def test_coverage_table_names_every_node_type() -> None:
    covered = set().union(*(own | reached for _, own, reached in _COVERAGE.values()))
    assert _NODE_TYPES - covered == {ast.Comment}


@pytest.mark.parametrize("name", sorted(_COVERAGE))
def test_strategies_reach_every_node_type_and_optional_field(name: str) -> None:
    """Search until the strategy has shown each of its node types and both states of their optional fields."""
    strategy, own, reached = _COVERAGE[name]
    required = {(kind.__name__, "", "") for kind in reached}.union(*(_requirements(kind) for kind in own))
    seen: set[tuple[str, str, str]] = set()

    def covered(sample: Any) -> bool:
        for node in _walk(sample):
            seen.add((type(node).__name__, "", ""))
            for f in dataclasses.fields(node):
                seen.update((type(node).__name__, f.name, state) for state in _states(getattr(node, f.name)))
        return seen >= required

    with contextlib.suppress(NoSuchExample):
        find(strategy, covered, settings=settings(max_examples=2000, phases=[Phase.generate], database=None))
    assert required - seen == set()


# --------------------------------------------------------------------------- grammar corners found here


@pytest.mark.parametrize("name", ["timeout", "state", "done", "key"])
def test_keyword_field_after_a_numeric_bound(name: str) -> None:
    _parse_ok(f"workflow W {{ context {{ limit: int >= 0 {name}: int }} }}")


def test_saga_timeout_after_a_step_is_the_steps_clause() -> None:
    result = parse(SourceText("t.wf", "workflow W { saga S { step a timeout 5s -> B } final state B }"))
    assert [d.code for d in result.diagnostics] == ["SW010"]


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_examples_are_in_canonical_form(path: Path) -> None:
    text = path.read_text("utf-8")
    assert format_text(SourceText(str(path), text)).text == text, f"run `statewright fmt {path}`"
