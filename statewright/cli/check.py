"""The `check` command: parse, lower and verify workflows and report every finding."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from statewright.cli.guard import guarded
from statewright.cli.options import FormatOpt, MaxBytesOpt, PathsArg
from statewright.cli.output import (
    ReportFormat,
    emit_json,
    make_console,
    plural,
    print_findings,
    problems_text,
    severity_counts,
)
from statewright.cli.run import Run, compile_input, find_inputs
from statewright.pipeline import DEFAULT_MAX_BYTES
from statewright.plugins.manager import get_plugin_manager


@guarded
def check(
    paths: PathsArg,
    format: FormatOpt = ReportFormat.TEXT,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as failures (exit 1).")] = False,
    max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
) -> int:
    """Parse, lower and verify workflows; report every finding."""
    manager = get_plugin_manager()
    rules = manager.rules()
    files, problems = find_inputs(paths)
    run = Run(plugin=manager.diagnostics, usage=problems, strict=strict)
    for path in files:
        report, _machine = compile_input(path, rules, max_bytes, strict)
        run.reports.append(report)
    if format is ReportFormat.JSON:
        emit_json(run.document())
    else:
        counts = severity_counts(run.all())
        _print_run(run, format, f"checked {plural(len(run.reports), 'file')}: {problems_text(counts)}")
    return run.exit_code()


def _print_run(run: Run, style: ReportFormat, summary: str) -> None:
    """Print a run's findings and one summary line in the text or concise form."""
    console = make_console()
    findings = run.all()
    print_findings(console, findings, run.lookup(), style)
    if findings and style is ReportFormat.TEXT:
        console.print()
    console.print(Text(summary, style="bold"))
