"""The `build` command: compile and verify workflows, then write each target's files atomically.

With `--format sarif` stdout holds one SARIF 2.1.0 log of the findings; the files written are
listed in the run's `properties.artifacts`.

Targets run one at a time and each one's files are written (`cli.artifacts`)
before the next target runs, so a big build holds one target's output at a
time. On a terminal a transient status line on stderr says which stage runs
(`cli.progress`); piped, or with `--no-progress`, nothing is shown.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from statewright.cli.artifacts import Writer
from statewright.cli.codes import OUTPUT_NOT_WRITABLE, TARGET_FAILED, TARGET_SKIPPED
from statewright.cli.files import exists, is_dir
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
from statewright.cli.progress import ProgressOpt, Stage, progress_line, wanted
from statewright.cli.target_findings import merged
from statewright.compiler.collector import collector_paused
from statewright.compiler.smt import DEFAULT_TIMEOUT_MS
from statewright.diagnostics import Diagnostic, has_errors
from statewright.ir import Machine
from statewright.pipeline import DEFAULT_MAX_BYTES
from statewright.plugins.api import Artifact, Rule, Target, TargetOptions, TargetOutput, streamed_item
from statewright.plugins.manager import UNKNOWN_TARGET, PluginManager, UnknownTargetError, get_plugin_manager
from statewright.report.sarif import sarif_log
from statewright.source import NO_SPAN


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
    progress: ProgressOpt = None,
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
    writer = Writer(out, invocation)
    blocked = has_errors(invocation.usage)  # known before any input is read: then nothing is written
    with progress_line(wanted(progress, format, sys.stderr), sys.stderr) as line:
        for path in files:
            stage = line.stage_for(str(path))
            _build_one(path, stage, targets, rules, extra, writer, max_bytes, smt_timeout, blocked)
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


def _build_one(
    path: Path,
    stage: Stage | None,
    targets: dict[str, Target],
    rules: Sequence[Rule],
    extra: dict[str, str],
    writer: Writer,
    max_bytes: int,
    smt_timeout: int,
    blocked: bool,
) -> None:
    """Compile and verify one input, then run each target and write its files before the next one runs.

    `blocked` (the command line or the output directory is wrong) compiles and verifies only.
    """
    report, machine = compile_input(path, rules, max_bytes, False, smt_timeout, stage=stage)
    writer.invocation.reports.append(report)
    if blocked or machine is None or has_errors(report.diagnostics):
        return
    from statewright.report.review import reviewed_verification  # z3 once there is a machine

    if stage is not None:
        stage("reviewing the proofs")
    verification = (
        reviewed_verification(report.run, rules, report.diagnostics, report.name)
        if report.run is not None
        else None
    )
    options = TargetOptions(source_name=report.name, extra=extra, verification=verification)
    said: list[tuple[str, tuple[Diagnostic, ...]]] = []
    for name, chosen in targets.items():
        if stage is not None:
            stage(f"generating {name}")
        configured = {**report.config.target_options(name), **extra}  # `--option` wins
        with collector_paused():  # a target builds one large structure: no full collection re-walks it
            found = _generate(chosen, machine, replace(options, extra=configured), report, writer, stage)
        said.append((name, found))
    report.later.extend(merged(said))


def _generate(
    target: Target,
    machine: Machine,
    options: TargetOptions,
    report: FileReport,
    writer: Writer,
    stage: Stage | None,
) -> tuple[Diagnostic, ...]:
    """Run one target and write its files (none when it reports an error); return its findings.

    A crash or a malformed result becomes an SW907 finding and writes nothing.
    """
    stream = getattr(target, "stream", None)
    if callable(stream):
        return _streamed(target, stream, machine, options, report, writer, stage)
    try:
        output = target.generate(machine, options)
        if not isinstance(output, TargetOutput):
            raise TypeError(f"generate() returned {type(output).__name__}, not TargetOutput")
    except Exception as exc:
        return (_failed(target, exc, report.name, machine),)
    if not has_errors(output.diagnostics):
        if stage is not None:
            stage(f"writing {target.name}")
        writer.whole(report, target.name, output.artifacts)
    return tuple(output.diagnostics)


def _streamed(
    target: Target,
    stream: Callable[[Machine, TargetOptions], Iterable[object]],
    machine: Machine,
    options: TargetOptions,
    report: FileReport,
    writer: Writer,
    stage: Stage | None,
) -> tuple[Diagnostic, ...]:
    """Run a streaming target: stage each file as it comes, then move them all into place, or none."""
    staging = writer.streamed(report, target.name)
    found: list[Diagnostic] = []
    try:
        for item in map(streamed_item, stream(machine, options)):
            if isinstance(item, Artifact):
                staging.add(item)
            else:
                found.append(item)
    except Exception as exc:
        staging.discard()
        return (_failed(target, exc, report.name, machine),)
    except BaseException:
        staging.discard()  # Ctrl-C: no temporary file is left behind
        raise
    if has_errors(found):
        staging.discard()
    else:
        if stage is not None:
            stage(f"writing {target.name}")
        staging.commit()
    return tuple(found)


def _failed(target: Target, exc: Exception, source: str, machine: Machine) -> Diagnostic:
    """The SW907 finding of a target that crashed or returned something malformed."""
    detail = str(exc).strip().splitlines()
    reason = f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__
    message = f"target `{target.name}` failed: {reason}"
    return Diagnostic.of(TARGET_FAILED, message, source, machine.span)
