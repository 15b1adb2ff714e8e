"""Formatting: the `fmt` printer as one whole-document edit; a file with syntax errors is refused."""

from __future__ import annotations

from lsprotocol import types

from statewright.diagnostics import has_errors
from statewright.dsl.format import format_text
from statewright.lsp.navigation import RefusedError
from statewright.lsp.positions import LineIndex
from statewright.source import SourceText


def format_document(name: str, text: str, lines: LineIndex) -> list[types.TextEdit]:
    """Return the edit that makes the buffer canonical (none when it already is), or raise `RefusedError`."""
    result = format_text(SourceText(name, text))
    if result.text is None or has_errors(result.diagnostics):
        first = next((d for d in result.diagnostics if d.severity.value == "error"), None)
        where = "" if first is None else f" (line {first.span.line}: {first.message})"
        raise RefusedError(f"not formatted: the file has syntax errors{where}; fix them first")
    if result.text == text:
        return []
    return [types.TextEdit(range=lines.range(0, len(text)), new_text=result.text)]
