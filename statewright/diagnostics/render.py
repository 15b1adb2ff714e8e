"""Reporters: turn collected findings into text (full or concise) or JSON.

The full form follows ruff and rustc: code and message, `--> file:line:col`,
the source line with a caret under the span, then help and context notes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from statewright.diagnostics.model import Diagnostic

SourceLookup = Callable[[str, int], str]
"""Return line `n` (1-based) of file `name`, or '' when it is not known."""


def _no_source(_file: str, _line: int) -> str:
    return ""


def render_full(diagnostic: Diagnostic, source_line: SourceLookup = _no_source) -> str:
    """Render one finding in the full, compiler-style form."""
    span = diagnostic.span
    gutter = len(str(span.line)) + 1
    pad = " " * gutter
    where = diagnostic.file if _unplaced(diagnostic) else f"{diagnostic.file}:{span.line}:{span.column}"
    lines = [
        f"{diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}",
        f"{pad[:-1]}--> {where}",
    ]
    text = source_line(diagnostic.file, span.line)
    if text:
        shown = text.expandtabs(4) if "\t" not in text[: span.column] else text
        if span.end_line == span.line:
            width = max(1, span.end_column - span.column)
        else:
            width = max(1, len(text) - span.column + 1)
        shown, column, width = _window(shown, span.column, width)
        caret = " " * (column - 1) + "^" * min(width, max(1, len(shown) - column + 2))
        label = f" {diagnostic.label}" if diagnostic.label else ""
        lines += [f"{pad}|", f"{span.line:>{gutter - 1}} | {shown}", f"{pad}| {caret}{label}", f"{pad}|"]
    if diagnostic.counterexample is not None:
        path = " -> ".join(diagnostic.counterexample) if diagnostic.counterexample else "(initial state)"
        lines.append(f"{pad}= counterexample: {path}")
    if diagnostic.witness is not None:
        values = ", ".join(f"{name} = {value}" for name, value in diagnostic.witness)
        lines.append(f"{pad}= witness: {values}")
    for related in diagnostic.related:
        lines.append(
            f"{pad}= note: {related.message} at {related.file}:{related.span.line}:{related.span.column}"
        )
    if diagnostic.help:
        lines.append(f"{pad}= help: {diagnostic.help}")
    return "\n".join(lines)


SHOWN_WIDTH = 120
"""Most characters of a source line the full form shows; a longer line is cut around the caret."""
_BEFORE_CARET = 40


def _window(line: str, column: int, width: int) -> tuple[str, int, int]:
    """The part of `line` to show around `column` (1-based), with the caret's new column and width.

    A generated or minified spec can hold one line of megabytes; printing it (and a
    caret line as long) for each finding would flood the terminal, so at most
    SHOWN_WIDTH characters are shown, `…` marking each cut side.
    """
    if len(line) <= SHOWN_WIDTH:
        return line, column, width
    start = max(0, min(column - 1 - _BEFORE_CARET, len(line) - SHOWN_WIDTH))
    end = start + SHOWN_WIDTH
    head = "…" if start > 0 else ""
    tail = "…" if end < len(line) else ""
    new_column = column - start + len(head)
    return head + line[start:end] + tail, new_column, min(width, end - (column - 1))


def _unplaced(diagnostic: Diagnostic) -> bool:
    """True for findings about the run itself (`<command line>`, `<plugin x>`): no position to show."""
    return diagnostic.file.startswith("<") and diagnostic.file.endswith(">")


def render_concise(diagnostic: Diagnostic) -> str:
    """Render one finding on one line: `file:line:col: CODE severity: message`."""
    span = diagnostic.span
    where = diagnostic.file if _unplaced(diagnostic) else f"{diagnostic.file}:{span.line}:{span.column}"
    return f"{where}: {diagnostic.code} {diagnostic.severity.value}: {diagnostic.message}"


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    """Render findings as a stable, sorted JSON array."""
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    return json.dumps([d.to_dict() for d in ordered], indent=2, ensure_ascii=False, sort_keys=False)
