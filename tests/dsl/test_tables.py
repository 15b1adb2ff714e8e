"""The shipped LALR tables are the grammar's, and a parser loaded from them parses as one built from it."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from lark import Lark, Transformer, Tree, UnexpectedInput

from statewright.dsl import tables
from statewright.dsl.syntax_errors import SYNTAX_ERRORS
from tests.conftest import example_files


def _loaded() -> Lark:
    """A transformer-free parser from the shipped tables (as `make_parser` loads them)."""
    body = tables._stored(tables.grammar_text())
    assert body is not None
    return Lark.__new__(Lark)._load(pickle.loads(body))


def _outcome(parser: Lark, text: str) -> Any:
    """The parse tree, or what the syntax error says (where, which token, what was expected)."""
    try:
        tree: Tree[Any] = parser.parse(text)
    except UnexpectedInput as error:
        expected = sorted(getattr(error, "expected", None) or getattr(error, "allowed", None) or ())
        return (type(error).__name__, error.line, error.column, str(getattr(error, "token", "")), expected)
    return tree


def test_the_shipped_tables_are_the_grammars() -> None:
    assert tables._stored(tables.grammar_text()) is not None, (
        "statewright/grammar/statewright.lark.tables is stale: run `python -m statewright.dsl.tables`"
    )


def test_tables_for_another_grammar_are_ignored() -> None:
    assert tables._stored(tables.grammar_text() + "\n// edited\n") is None


def test_a_parser_is_built_from_the_grammar_when_the_tables_are_stale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tables, "_stored", lambda grammar: None)
    parser = tables.make_parser(Transformer(), {})
    assert parser.parse('workflow W { version 1 events { go "go" } initial state A { on go -> A } }')


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_loaded_and_built_parsers_agree_on_examples(path: Any, built: Lark) -> None:
    text = path.read_text("utf-8")
    assert _outcome(_loaded(), text) == _outcome(built, text)


def test_loaded_and_built_parsers_agree_on_every_labelled_mistake(built: Lark) -> None:
    loaded = _loaded()
    for label in SYNTAX_ERRORS:
        for example in label.examples:
            assert _outcome(loaded, example) == _outcome(built, example), (label.key, example)


@pytest.fixture(scope="module")
def built() -> Lark:
    """A transformer-free parser built from the grammar with the tables' options."""
    return Lark(tables.grammar_text(), **tables.OPTIONS)


def test_a_damaged_or_cut_short_file_is_no_tables() -> None:
    """A body that is not the one the key line was written with is ignored (then built from the grammar)."""
    grammar = tables.grammar_text()
    data = tables.serialise(grammar)
    assert tables.stored_body(data, grammar) is not None
    assert tables.stored_body(data[:-100], grammar) is None  # an interrupted write
    flipped = bytearray(data)
    flipped[-50] ^= 0xFF
    assert tables.stored_body(bytes(flipped), grammar) is None
    key, _, rest = data.partition(b" ")
    assert tables.stored_body(key + b"\n" + rest.partition(b"\n")[2], grammar) is None  # no digest


def test_tables_that_do_not_load_fall_back_to_the_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever slips past the key (a lark that reads the file differently) costs a build, not a parse."""
    monkeypatch.setattr(tables, "_stored", lambda grammar: b"not a pickle")
    parser = tables.make_parser(Transformer(), {})
    assert parser.parse('workflow W { version 1 events { go "go" } initial state A { on go -> A } }')


def test_writing_replaces_the_file_whole(tmp_path: Any) -> None:
    target = tmp_path / "t.tables"
    target.write_bytes(b"old")
    assert tables.write(target) == target
    assert tables.stored_body(target.read_bytes(), tables.grammar_text()) is not None
    assert [p.name for p in tmp_path.iterdir()] == ["t.tables"]  # no staged file left behind
