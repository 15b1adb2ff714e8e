"""The `fmt` command: rewrite workflows in the canonical layout, or check or diff them."""

from __future__ import annotations

import difflib
import stat
from typing import Annotated

import typer
from rich.text import Text

from statewright.cli.codes import EXIT_FINDINGS, EXIT_OK, OUTPUT_NOT_WRITABLE
from statewright.cli.files import write_atomic
from statewright.cli.guard import guarded
from statewright.cli.invocation import FileReport, Invocation, find_inputs
from statewright.cli.options import MaxBytesOpt, PathsArg
from statewright.cli.output import (
    ReportFormat,
    make_console,
    plural,
    print_findings,
    problems_text,
    severity_counts,
)
from statewright.diagnostics import Diagnostic, has_errors
from statewright.pipeline import DEFAULT_MAX_BYTES, read_source
from statewright.source import NO_SPAN


@guarded
def fmt(
    paths: PathsArg,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when any file would be reformatted.")
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Write nothing; print a unified diff of the changes.")
    ] = False,
    max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
) -> int:
    """Rewrite workflows in the canonical layout (comments kept); files that fail to parse are left alone."""
    from statewright.dsl.format import format_text

    files, problems = find_inputs(paths)
    invocation = Invocation(usage=problems)
    status = make_console(stderr=diff)
    changed = 0
    for path in files:
        source = read_source(path, max_bytes=max_bytes)
        if isinstance(source, Diagnostic):
            invocation.reports.append(FileReport(str(path), None, (source,)))
            continue
        result = format_text(source)
        invocation.reports.append(FileReport(source.name, source, tuple(result.diagnostics)))
        if result.text is None or has_errors(result.diagnostics) or result.text == source.text:
            continue
        changed += 1
        if diff:
            typer.echo(_unified_diff(source.name, source.text, result.text), nl=False)
        if check or diff:
            status.print(f"would reformat {source.name}")
            continue
        try:
            target = path.resolve() if path.is_symlink() else path
            write_atomic(target, result.text.encode("utf-8"), stat.S_IMODE(target.stat().st_mode))
        except OSError as exc:
            message = f"cannot write `{path}`: {exc.strerror or type(exc).__name__}"
            invocation.usage.append(Diagnostic.of(OUTPUT_NOT_WRITABLE, message, str(path), NO_SPAN))
            continue
        status.print(f"reformatted {source.name}")
    findings = invocation.all()
    print_findings(status, findings, invocation.lookup(), ReportFormat.TEXT)
    if findings:
        status.print()
    unchanged = len(invocation.reports) - changed - sum(1 for r in invocation.reports if has_errors(r.front))
    verb = "would be reformatted" if (check or diff) else "reformatted"
    summary = f"{plural(changed, 'file')} {verb}, {unchanged} already formatted"
    if findings:
        summary += f"; {problems_text(severity_counts(findings))}"
    status.print(Text(summary, style="bold"))
    code = invocation.exit_code()
    if code == EXIT_OK and check and changed:
        return EXIT_FINDINGS
    return code


def _unified_diff(name: str, before: str, after: str) -> str:
    """Return a unified diff between the file's text and its formatted form."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
