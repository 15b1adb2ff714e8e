"""The `diff` command: a migration-safety report between two versions of one workflow.

For every state of OLD: kept, renamed (by NEW's `migrate` map) or removed, and
whether an instance waiting there can move to NEW (`compiler/migration.py`).
Text, JSON or SARIF; exit 0 when every state can migrate (some perhaps after a
per-instance check of the stored data), 1 when some state cannot, 2 when the
inputs do not compile or do not compare (another workflow, no greater version).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from statewright.cli.codes import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from statewright.cli.guard import guarded
from statewright.cli.output import ReportFormat, emit_json, make_console, print_findings
from statewright.compiler.migration import Migration, analyse, diagnostics
from statewright.diagnostics import Diagnostic, has_errors
from statewright.pipeline import CompileResult, compile_path
from statewright.report.sarif import dumps, sarif_log
from statewright.source import SourceText

OldArg = Annotated[
    Path, typer.Argument(metavar="OLD", help="The deployed version's `.wf` file.", show_default=False)
]
NewArg = Annotated[
    Path, typer.Argument(metavar="NEW", help="The new version's `.wf` file.", show_default=False)
]


@guarded
def diff(
    old: OldArg,
    new: NewArg,
    format: Annotated[
        ReportFormat,
        typer.Option("--format", help="text (findings, then a line per state), concise, json or sarif."),
    ] = ReportFormat.TEXT,
) -> int:
    """Report, for every state of OLD, whether an instance waiting there can move to NEW."""
    results = [compile_path(old), compile_path(new)]
    front = [d for r in results for d in r.diagnostics if not r.ok or d.severity.value == "error"]
    migration: Migration | None = None
    findings: list[Diagnostic] = list(front)
    if all(r.ok for r in results):
        old_machine, new_machine = results[0].machine, results[1].machine
        assert old_machine is not None and new_machine is not None
        migration = analyse(old_machine, new_machine, results[0].name, results[1].name)
        findings = diagnostics(migration, results[0].name)
    if migration is None or has_errors(migration.diagnostics):
        code = EXIT_USAGE
    else:
        code = EXIT_OK if migration.ok else EXIT_FINDINGS
    if format is ReportFormat.JSON:
        emit_json(_document(migration, findings, code))
    elif format is ReportFormat.SARIF:
        typer.echo(dumps(sarif_log(findings, exit_code=code)))
    else:
        _print(migration, findings, results, format)
    return code


def _document(migration: Migration | None, findings: list[Diagnostic], code: int) -> dict[str, Any]:
    """The report as JSON data (the `--format json` document)."""
    data: dict[str, Any] = {"ok": code == EXIT_OK, "exit_code": code}
    if migration is not None:
        data |= {
            "workflow": migration.workflow,
            "old_version": migration.old_version,
            "new_version": migration.new_version,
            "old_definition": migration.old_identity,
            "new_definition": migration.new_identity,
            "context": [_reason(r) for r in migration.context],
            "proved": list(migration.proved),
            "states": [
                {
                    "old": s.old,
                    "new": s.new,
                    "change": s.change,
                    "verdict": s.verdict,
                    "reasons": [_reason(r) for r in s.reasons if r.kind != "context"],
                }
                for s in migration.states
            ],
        }
    data["findings"] = [f.to_dict() for f in findings] if findings else []
    return data


def _reason(reason: Any) -> dict[str, str]:
    return {"kind": reason.kind, "blocks": reason.blocks, "text": reason.text}


def _print(
    migration: Migration | None, findings: list[Diagnostic], results: list[CompileResult], style: ReportFormat
) -> None:
    """The text report: the findings, then one line per state and the verdict."""
    console = make_console()
    sources: dict[str, SourceText] = {r.name: r.source for r in results if r.source is not None}

    def line(name: str, number: int) -> str:
        source = sources.get(name)
        return source.line_text(number) if source is not None else ""

    print_findings(console, findings, line, ReportFormat.CONCISE if style is ReportFormat.CONCISE else style)
    if findings:
        console.print()
    if migration is None or has_errors(migration.diagnostics):
        console.print(Text("the two definitions cannot be compared", style="bold red"))
        return
    console.print(
        Text(
            f"migration of {migration.workflow} from version {migration.old_version} "
            f"to version {migration.new_version}",
            style="bold",
        )
    )
    for note in migration.proved:
        console.print(f"  context: {note}")
    for reason in migration.context:
        console.print(f"  context: {reason.text}")
    width = max((len(s.old) for s in migration.states), default=0)
    for state in migration.states:
        became = {"kept": "kept", "renamed": f"renamed to {state.new}", "removed": "removed"}[state.change]
        own = [r.text for r in state.reasons if r.kind != "context"]
        verdict = {"safe": "SAFE  ", "check": "CHECK ", "unsafe": "UNSAFE"}[state.verdict]
        text = f"  {verdict} {state.old.ljust(width)}  {became}"
        if own:
            text += ": " + "; ".join(own)
        console.print(text, highlight=False, markup=False)
    counts = {v: sum(1 for s in migration.states if s.verdict == v) for v in ("safe", "check", "unsafe")}
    console.print(
        Text(
            f"{counts['safe']} safe, {counts['check']} checked per instance, "
            f"{counts['unsafe']} cannot migrate",
            style="bold",
        )
    )
