"""Syntax errors that help wherever they happen (issue 21's rough edges).

A labelled mistake is recognised whatever surrounds it (an `initial` state, a
file with other blocks before it), not only in the exact context of its table
example; a file that ends with a `{` left open is reported at that `{`.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statewright.dsl.braces import unclosed_brace
from statewright.dsl.parser import parse
from statewright.source import SourceText

HEADER = "workflow W {\n  context { amount: int 0..10 = 0 }\n  events { go, stop }\n"
CASES = [
    (
        "  initial state A {\n    on go when amount = 5 -> B\n  }\n",
        "`=` assigns; comparisons use `==`",
        (5, 23),
    ),
    (
        "  state P {\n    initial state A {\n      always when amount = 5 -> B\n    }\n  }\n",
        "`=` assigns",
        (6, 26),
    ),
    ("  initial state A {\n    ignore go, stop\n  }\n", "`ignore` and `reject` name one event each", (5, 14)),
    ('  state A {\n    reject go, stop "no"\n  }\n', "`ignore` and `reject` name one event each", (5, 14)),
    ("  initial state A\n    invoke fetch\n  }\n", "a state's items go inside `{ ... }`", (5, 5)),
]


@pytest.mark.parametrize(("body", "message", "where"), CASES)
def test_a_labelled_mistake_is_named_in_any_context(body: str, message: str, where: tuple[int, int]) -> None:
    """The table's message and help, at the offending token, not a list of expected keywords."""
    text = HEADER + body + "  final state B\n}\n"
    (diagnostic,) = parse(SourceText("x.wf", text)).diagnostics
    assert diagnostic.code == "SW010"
    assert diagnostic.message.startswith(message)
    assert (diagnostic.span.line, diagnostic.span.column) == where
    assert "expected `acknowledged`" not in diagnostic.help


def test_an_unclosed_brace_is_reported_where_it_opens() -> None:
    """A forgotten `}` is reported at the `{` it should close, with the end of the file as a note."""
    text = HEADER + "  initial state A {\n    on go -> B\n\n  final state B {\n  }\n}\n"
    (diagnostic,) = parse(SourceText("x.wf", text)).diagnostics
    assert diagnostic.code == "SW014"
    assert (diagnostic.span.line, diagnostic.span.column) == (4, 19)
    assert diagnostic.related and diagnostic.related[0].span.line == 9


def test_braces_in_strings_and_comments_do_not_count() -> None:
    """`{` inside a string or after `#` opens nothing."""
    assert unclosed_brace('workflow W { doc "a { b"  # {\n}\n') is None
    assert unclosed_brace("workflow W {\n  state A {\n}\n") == 23


@given(st.lists(st.sampled_from(["{", "}", "x", "\n", " ", '"', "#"]), max_size=60))
def test_the_unclosed_brace_is_an_opening_brace_or_none(chars: list[str]) -> None:
    """Whatever the text, the answer is None or the offset of a `{` in it (and the scan terminates)."""
    text = "".join(chars)
    found = unclosed_brace(text)
    assert found is None or text[found] == "{"
