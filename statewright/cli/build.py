"""The `build` command: compile and verify workflows, then write each target's files atomically.

With `--format sarif` stdout holds one SARIF 2.1.0 log of the findings; the files written are
listed in the run's `properties.artifacts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from statewright.cli.codes import (
    ARTIFACT_COLLISION,
    BAD_ARTIFACT_PATH,
    OUTPUT_NOT_WRITABLE,
    TARGET_FAILED,
    TARGET_SKIPPED,
)
from statewright.cli.files import artifact_problem, exists, is_dir, write_atomic
from statewright.cli.guard import guarded
from statewright.cli.invocation import FileReport, Invocation, compile_input, find_inputs
from statewright.cli.options import FormatOpt, MaxBytesOpt, PathsArg, SmtTimeoutOpt
from statewright.cli.output import (
    ReportFormat,
    emit_json,
    make_console,
    plural,
    print_findings,
    problems_text,
    severity_counts,
)
from statewright.cli.target_findings import merged
from statewright.compiler.smt import DEFAULT_TIMEOUT_MS
from statewright.diagnostics import Diagnostic, has_errors
from statewright.ir import Machine
from statewright.pipeline import DEFAULT_MAX_BYTES
from statewright.plugins.api import Target, TargetOptions, TargetOutput
from statewright.plugins.manager import UNKNOWN_TARGET, PluginManager, UnknownTargetError, get_plugin_manager
from statewright.report.sarif import sarif_log
from statewright.source import NO_SPAN

Planned = dict[Path, tuple[FileReport, str, bytes]]


@guarded
def build(
    paths: PathsArg,
    target: Annotated[
        list[str],
        typer.Option(
            "--target",
            "-t",
            metavar="NAME",
            help="Target to generate (repeatable); `all` = every registered target.",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Output directory; files go to DIR/<target>/.")
    ] = Path("build"),
    format: FormatOpt = ReportFormat.TEXT,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option", metavar="KEY=VALUE", help="Target-specific setting as key=value (repeatable)."
        ),
    ] = None,
    max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
    smt_timeout: SmtTimeoutOpt = DEFAULT_TIMEOUT_MS,
) -> int:
    """Compile and verify workflows, then write each target's files under DIR/<target>/ (default: build/)."""
    extra = _parse_options(option or [])
    manager = get_plugin_manager()
    targets, problems = _select_targets(manager, target)
    rules = manager.rules()
    files, missing = find_inputs(paths)
    invocation = Invocation(plugin=manager.diagnostics, usage=[*problems, *missing])
    if exists(out) and not is_dir(out):
        invocation.usage.append(
            Diagnostic.of(
                OUTPUT_NOT_WRITABLE, f"output path `{out}` exists and is not a directory", str(out), NO_SPAN
            )
        )
    planned: Planned = {}
    for path in files:
        report, machine = compile_input(path, rules, max_bytes, False, smt_timeout)
        invocation.reports.append(report)
        if has_errors(invocation.usage) or machine is None or has_errors(report.diagnostics):
            continue
        from statewright.report.review import reviewed_verification  # z3 once there is a machine

        verification = (
            reviewed_verification(report.run, rules, report.diagnostics, report.name)
            if report.run is not None
            else None
        )
        options = TargetOptions(source_name=report.name, extra=extra, verification=verification)
        said: list[tuple[str, tuple[Diagnostic, ...]]] = []
        for name, chosen in targets.items():
            configured = {**report.config.target_options(name), **extra}  # `--option` wins
            output = _generate(chosen, machine, replace(options, extra=configured), report.name)
            said.append((name, tuple(output.diagnostics)))
            if has_errors(output.diagnostics):
                continue
            _plan(planned, out / name, name, output, report)
        report.later.extend(merged(said))
    if not has_errors(invocation.usage):
        _write_planned(planned, invocation)
    if format is ReportFormat.JSON:
        emit_json(invocation.document())
        return invocation.exit_code()
    if format is ReportFormat.SARIF:
        written_files = [w for r in invocation.reports for w in r.written]
        emit_json(
            sarif_log(
                invocation.all(),
                root=Path.cwd(),
                exit_code=invocation.exit_code(),
                run_properties={"artifacts": written_files},
            )
        )
        return invocation.exit_code()
    console = make_console()
    findings = invocation.all()
    print_findings(console, findings, invocation.lookup(), format)
    if findings and format is ReportFormat.TEXT:
        console.print()
    written = [w for r in invocation.reports for w in r.written]
    for item in written:
        console.print(f"{item['status']:<9} {item['path']}")
    fresh = sum(1 for w in written if w["status"] == "wrote")
    summary = (
        f"built {plural(len(invocation.reports), 'file')} for {plural(len(targets), 'target')}: "
        f"{fresh} written, {len(written) - fresh} unchanged; {problems_text(severity_counts(findings))}"
    )
    console.print(Text(summary, style="bold"))
    return invocation.exit_code()


def _parse_options(pairs: Sequence[str]) -> dict[str, str]:
    """Turn repeated `--option key=value` into a mapping; malformed pairs are usage errors."""
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected key=value, got {pair!r}", param_hint="'--option'")
        options[key.strip()] = value
    return options


def _select_targets(
    manager: PluginManager, names: Sequence[str]
) -> tuple[dict[str, Target], list[Diagnostic]]:
    """Resolve `--target` names (`all` = every registered target); unknown names are SW901 errors."""
    chosen: dict[str, Target] = {}
    problems: list[Diagnostic] = []
    for name in names:
        if name == "all":
            for target_name, target in manager.targets().items():
                reason = _unavailable(target)
                if reason is None:
                    chosen[target_name] = target
                else:
                    message = f"`all` skipped the `{target_name}` target: {reason}"
                    problems.append(Diagnostic.of(TARGET_SKIPPED, message, "<command line>", NO_SPAN))
            continue
        try:
            chosen[name] = manager.target(name)
        except UnknownTargetError as error:
            problems.append(error.diagnostic)
    if not chosen and not problems:
        message = "no targets are registered, so there is nothing to build"
        problems.append(Diagnostic.of(UNKNOWN_TARGET, message, "<command line>", NO_SPAN))
    return {name: chosen[name] for name in sorted(chosen)}, problems


def _unavailable(target: Target) -> str | None:
    """Ask a target whether it can run here (optional `unavailable()` method); None means yes."""
    check = getattr(target, "unavailable", None)
    if not callable(check):
        return None
    try:
        reason = check()
    except Exception as exc:  # a broken check must not stop the build
        return f"its availability check failed ({type(exc).__name__})"
    return reason if isinstance(reason, str) and reason else None


def _generate(target: Target, machine: Machine, options: TargetOptions, source: str) -> TargetOutput:
    """Run one target; a crash or a malformed result becomes an SW907 finding."""
    try:
        output = target.generate(machine, options)
        if not isinstance(output, TargetOutput):
            raise TypeError(f"generate() returned {type(output).__name__}, not TargetOutput")
    except Exception as exc:
        detail = str(exc).strip().splitlines()
        reason = f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__
        message = f"target `{target.name}` failed: {reason}"
        return TargetOutput(diagnostics=(Diagnostic.of(TARGET_FAILED, message, source, machine.span),))
    return output


def _plan(planned: Planned, directory: Path, target: str, output: TargetOutput, report: FileReport) -> None:
    """Record one target's artifacts for writing, all or none: an unsafe path or a collision plans none."""
    chosen: Planned = {}
    found: list[Diagnostic] = []
    for artifact in output.artifacts:
        problem = artifact_problem(artifact.path)
        if problem is not None:
            message = f"target `{target}` produced the path {artifact.path!r}, which {problem}"
            found.append(Diagnostic.of(BAD_ARTIFACT_PATH, message, report.name, NO_SPAN))
            continue
        destination = directory / artifact.path
        data = artifact.content.encode("utf-8")
        previous = planned.get(destination)
        if previous is not None and (previous[0] is not report or previous[2] != data):
            message = f"`{destination}` would be written for both `{previous[0].name}` and `{report.name}`"
            found.append(Diagnostic.of(ARTIFACT_COLLISION, message, report.name, NO_SPAN))
            continue
        chosen[destination] = (report, target, data)
    report.later.extend(found)
    if not found:
        planned.update(chosen)


def _write_planned(planned: Planned, invocation: Invocation) -> None:
    """Write the planned artifacts, atomically, in path order.

    Only inputs that compiled and verified without errors have plans, and a target
    that failed planned nothing, so one failing target (SW907) still leaves every
    other target's files written (and the exit code says it failed).
    """
    for destination in sorted(planned):
        report, target, data = planned[destination]
        try:
            changed = write_atomic(destination, data)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            message = f"cannot write `{destination}`: {reason}"
            invocation.usage.append(Diagnostic.of(OUTPUT_NOT_WRITABLE, message, str(destination), NO_SPAN))
            continue
        status = "wrote" if changed else "unchanged"
        report.written.append({"target": target, "path": str(destination), "status": status})
