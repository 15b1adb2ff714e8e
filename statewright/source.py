"""Source text and positions: the one place that knows about lines and columns.

Every later stage carries a `Span` so that any finding can point back at the
exact characters of the `.wf` file it came from.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open region of a source file; lines and columns are 1-based."""

    line: int
    column: int
    end_line: int
    end_column: int
    offset: int = field(default=0, compare=False)
    end_offset: int = field(default=0, compare=False)

    def to_dict(self) -> dict[str, int]:
        """Return the span as plain JSON-ready data (offsets are not part of it)."""
        return {
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }


NO_SPAN = Span(1, 1, 1, 1)


@dataclass(frozen=True)
class SourceText:
    """The decoded text of one input with a line index for span lookups."""

    name: str
    text: str
    _line_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = [0]
        text = self.text
        index = text.find("\n")
        while index >= 0:
            starts.append(index + 1)
            index = text.find("\n", index + 1)
        object.__setattr__(self, "_line_starts", tuple(starts))

    def line_text(self, line: int) -> str:
        """Return line `line` (1-based) without its line break; '' past the end."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        text = self.text[start:] if end < 0 else self.text[start:end]
        return text.rstrip("\r")

    def position(self, offset: int) -> tuple[int, int]:
        """Return the 1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line_index = bisect.bisect_right(self._line_starts, offset) - 1
        return line_index + 1, offset - self._line_starts[line_index] + 1

    def span(self, start: int, end: int) -> Span:
        """Return the span covering character offsets [start, end)."""
        line, column = self.position(start)
        end_line, end_column = self.position(max(start, end))
        return Span(line, column, end_line, end_column, start, max(start, end))
