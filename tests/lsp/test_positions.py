"""Offsets and protocol positions agree for any text and line breaks; UTF-16, UTF-8 and UTF-32 columns."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types

from statewright.lsp.positions import LineIndex
from statewright.source import SourceText

TEXTS = st.lists(st.sampled_from(["a", "é", "😀", "\n", "\r", "\r\n", " ", "\t"]), max_size=40).map("".join)


@given(TEXTS, st.sampled_from(["utf-8", "utf-16", "utf-32"]))
def test_offsets_round_trip_through_positions(text: str, encoding: str) -> None:
    index = LineIndex(text, encoding)  # type: ignore[arg-type]
    for offset in range(len(text) + 1):
        if offset and text[offset - 1] == "\r" and text[offset : offset + 1] == "\n":
            continue  # inside a `\r\n` break: not a place the protocol can name
        assert index.offset(index.position(offset)) == offset


@given(TEXTS)
def test_spans_map_to_the_same_characters(text: str) -> None:
    source = SourceText("t.wf", text)
    index = LineIndex(text)
    for start in range(len(text) + 1):
        span = source.span(start, len(text))
        assert index.span_offsets(span) == (start, len(text))


def test_utf16_columns_count_surrogate_pairs() -> None:
    index = LineIndex('x = "😀" y\r\nnext')
    assert index.position(7) == types.Position(line=0, character=8)  # after the closing quote
    assert index.position(11) == types.Position(line=1, character=0)
    assert LineIndex('"😀"', "utf-8").position(2) == types.Position(line=0, character=5)
    assert index.offset(types.Position(line=0, character=99)) == 9  # past the end: the line's end
