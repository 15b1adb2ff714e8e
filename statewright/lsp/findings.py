"""Compiler findings as protocol diagnostics: same codes, UTF-16 ranges, counterexamples as related places."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from statewright.diagnostics import Diagnostic, Severity
from statewright.lsp.analysis import Analysis

SOURCE = "statewright"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def to_protocol(analysis: Analysis, uri: str, found: Diagnostic) -> types.Diagnostic:
    """Convert one finding: its code, message and help, related places and counterexample steps."""
    here = analysis.lines.span_range(found.span)
    related: list[types.DiagnosticRelatedInformation] = []
    for other in found.related:
        place = here if other.file != found.file else analysis.lines.span_range(other.span)
        target = uri if other.file == found.file else _uri_of(other.file)
        related.append(types.DiagnosticRelatedInformation(types.Location(target, place), other.message))
    for number, step in enumerate(found.counterexample or (), start=1):
        declared = None if analysis.index is None else analysis.index.definition("event", step)
        place = here if declared is None else analysis.lines.span_range(declared.span)
        message = f"counterexample step {number}: {step}"
        related.append(types.DiagnosticRelatedInformation(types.Location(uri, place), message))
    message = found.message + (f"\nhelp: {found.help}" if found.help else "")
    return types.Diagnostic(
        range=here,
        message=message,
        severity=_SEVERITY[found.severity],
        code=found.code,
        source=SOURCE,
        related_information=related or None,
    )


def _uri_of(file: str) -> str:
    """Return the URI of a file a related place names (an absolute path, or one under the cwd)."""
    try:
        return Path(file).resolve().as_uri()
    except ValueError:  # pragma: no cover - resolve() always gives an absolute path
        return file
