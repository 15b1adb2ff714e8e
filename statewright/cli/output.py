"""Console output: consoles, findings, JSON documents, and counts and summary text."""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from statewright.diagnostics import Diagnostic, Severity
from statewright.diagnostics.render import SourceLookup, render_concise, render_full
from statewright.report.summary import Summary, render_summary, render_summary_concise


class ReportFormat(enum.StrEnum):
    """How findings are printed."""

    TEXT = "text"
    CONCISE = "concise"
    JSON = "json"
    SARIF = "sarif"


def make_console(*, stderr: bool = False) -> Console:
    """Return a console that never wraps or interprets markup; plain off a terminal or with NO_COLOR."""
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(
        stderr=stderr,
        color_system=None if plain else "auto",
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )


_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold cyan"}


def _styled(diagnostic: Diagnostic, rendered: str) -> Text:
    """Colour the `severity[CODE]` head of a rendered finding (no effect off a terminal)."""
    text = Text(rendered)
    head = len(f"{diagnostic.severity.value}[{diagnostic.code}]")
    text.stylize(_SEVERITY_STYLE[diagnostic.severity], 0, head)
    return text


def print_findings(
    console: Console, diagnostics: Sequence[Diagnostic], lookup: SourceLookup, style: ReportFormat
) -> None:
    """Print findings in the text or concise form, in the order given."""
    for index, diagnostic in enumerate(diagnostics):
        if style is ReportFormat.CONCISE:
            console.print(_styled(diagnostic, render_concise(diagnostic)))
            continue
        if index:
            console.print()
        console.print(_styled(diagnostic, render_full(diagnostic, lookup)))


_STATUS_STYLE = {"PASS": "bold green", "WARN": "bold yellow", "FAIL": "bold red", "NOT RUN": "bold yellow"}


def print_validation(console: Console, summaries: Sequence[Summary], style: ReportFormat) -> None:
    """Print each file's validation summary: in full for text, one line per file for concise."""
    for index, summary in enumerate(summaries):
        if style is ReportFormat.CONCISE:
            console.print(render_summary_concise(summary))
            continue
        if index:
            console.print()
        text = Text(render_summary(summary))
        for status, colour in _STATUS_STYLE.items():
            text.highlight_regex(rf"(?m)^  {status}\b", colour)
        console.print(text)


def emit_json(document: dict[str, Any]) -> None:
    """Write one JSON document to stdout."""
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def plural(count: int, word: str) -> str:
    """Return `count word`, with an `s` unless the count is one."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def severity_counts(diagnostics: Iterable[Diagnostic]) -> dict[str, int]:
    """Count findings per severity."""
    found = {"errors": 0, "warnings": 0, "infos": 0}
    for diagnostic in diagnostics:
        found[{"error": "errors", "warning": "warnings", "info": "infos"}[diagnostic.severity.value]] += 1
    return found


def problems_text(counts: dict[str, int]) -> str:
    """Return the summary's problem count, e.g. `1 error, 0 warnings`, or `no problems found`."""
    parts = [plural(counts["errors"], "error"), plural(counts["warnings"], "warning")]
    if counts["infos"]:
        parts.append(plural(counts["infos"], "note"))
    if not any(counts.values()):
        return "no problems found"
    return ", ".join(parts)
