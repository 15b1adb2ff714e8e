"""Character offsets to LSP positions and back: lines as LSP counts them, columns in UTF-16 units.

Spans (statewright/source.py) count Python characters on lines ended by `\\n`. The
protocol counts lines ended by `\\r\\n`, `\\n` or `\\r`, and columns in the units of
the negotiated position encoding: UTF-16 code units unless the client offers
another. Every conversion goes through character offsets, so both line rules agree.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from lsprotocol import types

from statewright.source import Span

Encoding: TypeAlias = Literal["utf-8", "utf-16", "utf-32"]
_BREAK = re.compile(r"\r\n|\n|\r")


def _units(text: str, encoding: Encoding) -> int:
    """Return how many code units `text` takes in `encoding`."""
    if encoding == "utf-32" or text.isascii():
        return len(text)
    if encoding == "utf-16":
        return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)
    return len(text.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class LineIndex:
    """The protocol's view of one text: where each line starts, for offset <-> position."""

    text: str
    encoding: Encoding = "utf-16"
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _newlines: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """Where lines start as spans count them (after each `\\n` only)."""

    def __post_init__(self) -> None:
        starts = [0] + [m.end() for m in _BREAK.finditer(self.text)]
        object.__setattr__(self, "_starts", tuple(starts))
        newlines = [0] + [m.end() for m in re.finditer("\n", self.text)]
        object.__setattr__(self, "_newlines", tuple(newlines))

    def _line_end(self, line: int) -> int:
        """Return the offset where line `line` (0-based) ends, before its break."""
        if line + 1 < len(self._starts):
            end = self._starts[line + 1]
            return end - 2 if self.text[end - 2 : end] == "\r\n" else end - 1
        return len(self.text)

    def position(self, offset: int) -> types.Position:
        """Return the protocol position of a character offset (clamped to the text)."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._starts, offset) - 1
        start = self._starts[line]
        offset = min(offset, self._line_end(line))
        return types.Position(line=line, character=_units(self.text[start:offset], self.encoding))

    def offset(self, position: types.Position) -> int:
        """Return the character offset of a protocol position; past a line's end is its end."""
        if position.line >= len(self._starts):
            return len(self.text)
        start = self._starts[max(0, position.line)]
        end = self._line_end(max(0, position.line))
        units = 0
        for index in range(start, end):
            if units >= position.character:
                return index
            units += _units(self.text[index], self.encoding)
        return end

    def range(self, start: int, end: int) -> types.Range:
        """Return the protocol range of character offsets [start, end)."""
        return types.Range(start=self.position(start), end=self.position(max(start, end)))

    def span_offsets(self, span: Span) -> tuple[int, int]:
        """Return a span's character offsets, computed from its lines and columns (always set)."""
        start = self._span_offset(span.line, span.column)
        return start, max(start, self._span_offset(span.end_line, span.end_column))

    def _span_offset(self, line: int, column: int) -> int:
        """Return the offset of a span's 1-based line and column (lines end at `\\n`)."""
        line = max(1, min(line, len(self._newlines)))
        return min(len(self.text), self._newlines[line - 1] + max(0, column - 1))

    def span_range(self, span: Span) -> types.Range:
        """Return the protocol range of a span of this text."""
        return self.range(*self.span_offsets(span))
