"""The `check` command: parse, lower and verify workflows and report every finding.

After the findings comes each verified file's validation summary (every check
family PASS, FAIL or NOT RUN with its evidence, then the known risks): in full
for `--format text`, one line per file for `concise`, under the top-level
`"validation"` key for `json`, and in the run's `properties.validation` for
`sarif`. The text forms omit it when no verification rule is registered at all
(there is nothing to summarise); the JSON and SARIF forms always carry it.

Then each file's engine recommendation (`report/recommendation.py`): the engines
that fit its `requirements` block and its design, ranked, or what to declare
when it has none; under `"recommendation"` in JSON, as SARIF notes (SW810-SW813)
and in the run's `properties.recommendation`; the text forms show it beside the
validation summary (so not without rules either). A file's `[tool.statewright]`
`select`/`ignore` of its code (SW811 without requirements, SW810 or SW812 with
them) hides the text section and the SARIF notes; JSON always carries it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from statewright.cli.guard import guarded
from statewright.cli.invocation import Invocation, compile_input, find_inputs
from statewright.cli.options import FormatOpt, MaxBytesOpt, PathsArg, SmtTimeoutOpt
from statewright.cli.output import (
    ReportFormat,
    emit_json,
    make_console,
    plural,
    print_findings,
    print_validation,
    problems_text,
    severity_counts,
)
from statewright.compiler.smt import DEFAULT_TIMEOUT_MS
from statewright.diagnostics import Diagnostic, has_errors
from statewright.pipeline import DEFAULT_MAX_BYTES
from statewright.plugins.manager import get_plugin_manager
from statewright.report.recommendation import Recommendation, recommend
from statewright.report.recommendation_text import (
    recommendation_findings,
    render_recommendation,
    render_recommendation_concise,
)
from statewright.report.sarif import sarif_log
from statewright.report.summary import Summary, summarize


@guarded
def check(
    paths: PathsArg,
    format: FormatOpt = ReportFormat.TEXT,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as failures (exit 1).")] = False,
    max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
    smt_timeout: SmtTimeoutOpt = DEFAULT_TIMEOUT_MS,
) -> int:
    """Parse, lower and verify workflows; report every finding and a validation summary per file."""
    manager = get_plugin_manager()
    rules = manager.rules()
    files, problems = find_inputs(paths)
    invocation = Invocation(plugin=manager.diagnostics, usage=problems, strict=strict)
    summaries: list[Summary] = []
    recommendations: list[Recommendation] = []
    notes: list[Diagnostic] = []
    for path in files:
        report, machine = compile_input(path, rules, max_bytes, strict, smt_timeout)
        invocation.reports.append(report)
        if machine is not None and not has_errors(report.front):
            strictly = strict or report.config.strict  # `strict = true` in [tool.statewright]
            summaries.append(summarize(machine, rules, report.diagnostics, report.name, report.run, strictly))
            recommendations.append(recommend(machine, report.run))
            notes += [
                n for n in recommendation_findings(recommendations[-1]) if report.config.enabled(n.code)
            ]
    validation = [summary.to_dict() for summary in summaries]
    if format is ReportFormat.JSON:
        document: dict[str, Any] = invocation.document()
        document["validation"] = validation
        document["recommendation"] = [rec.to_dict() for rec in recommendations]
        emit_json(document)
    elif format is ReportFormat.SARIF:
        emit_json(
            sarif_log(
                [
                    *invocation.all(),
                    *notes,
                ],
                root=Path.cwd(),
                exit_code=invocation.exit_code(),
                run_properties={
                    "validation": validation,
                    "recommendation": [rec.to_dict() for rec in recommendations],
                },
            )
        )
    else:
        counts = severity_counts(invocation.all())
        shown = summaries if rules else []
        _print_invocation(
            invocation,
            shown,
            [rec for rec in recommendations if rules and any(n.file == rec.file for n in notes)],
            format,
            f"checked {plural(len(invocation.reports), 'file')}: {problems_text(counts)}",
        )
    return invocation.exit_code()


def _print_invocation(
    invocation: Invocation,
    summaries: list[Summary],
    recommendations: list[Recommendation],
    style: ReportFormat,
    summary: str,
) -> None:
    """Print a run's findings, the validation summaries, the engine recommendations and one summary line."""
    console = make_console()
    findings = invocation.all()
    print_findings(console, findings, invocation.lookup(), style)
    if findings and style is ReportFormat.TEXT:
        console.print()
    if summaries:
        print_validation(console, summaries, style)
        if style is ReportFormat.TEXT:
            console.print()
    for rec in recommendations:
        concise = style is ReportFormat.CONCISE
        console.print(Text(render_recommendation_concise(rec) if concise else render_recommendation(rec)))
        if not concise:
            console.print()
    console.print(Text(summary, style="bold"))
