"""The `test` command: property-test each workflow's generated code and check the targets agree.

For every input that compiles and verifies: a Hypothesis state machine derived
from the IR drives the generated Python module on an in-memory store and checks
the design's invariants after every step; a path-covering scenario suite is
searched; and each target in `--targets` other than python runs those
scenarios (plus drawn ones) on its engine, compared step by step with the
Python runtime. Exit 0 when everything held, 1 when a check failed, 2 for
usage and input errors (including a requested engine that is not installed).
The text report shows errors and the tests' own findings (SW980–SW989); the
verification rules' warnings are `statewright check`'s to show. On a terminal a
transient status line on stderr counts the design runs and each engine's
scenarios per workflow (`cli.progress`); piped, or with `--no-progress`, nothing.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from statewright.cli.codes import EXIT_USAGE
from statewright.cli.guard import guarded
from statewright.cli.interrupts import EXIT_INTERRUPTED, Interrupts, interruptible
from statewright.cli.invocation import Invocation, compile_input, find_inputs
from statewright.cli.options import MaxBytesOpt, PathsArg
from statewright.cli.output import ReportFormat, make_console, plural, print_findings
from statewright.cli.progress import ProgressOpt, progress_line, wanted
from statewright.diagnostics import Diagnostic, Severity, has_errors
from statewright.pipeline import DEFAULT_MAX_BYTES
from statewright.plugins.manager import get_plugin_manager
from statewright.report.sarif import sarif_log
from statewright.testing.codes import ENGINE_UNAVAILABLE
from statewright.testing.suite import SpecOutcome, TestOptions, test_machine


@guarded
def test(
    paths: PathsArg,
    targets: Annotated[
        str,
        typer.Option(
            "--targets",
            metavar="ENGINES",
            help="Comma-separated scenario engines: python (the reference), asl, bpmn, bpmn-engine, temporal",
        ),
    ] = "python",
    max_examples: Annotated[
        int,
        typer.Option(
            "--max-examples", metavar="N", min=1, help="Hypothesis runs of the design state machine."
        ),
    ] = 100,
    steps: Annotated[int, typer.Option("--steps", metavar="N", min=1, help="Steps per run.")] = 25,
    seed: Annotated[int, typer.Option("--seed", help="Seed: the same seed repeats the same runs.")] = 0,
    depth: Annotated[
        int, typer.Option("--depth", metavar="N", min=1, help="Longest path-covering scenario.")
    ] = 16,
    drawn: Annotated[
        int,
        typer.Option(
            "--drawn", metavar="N", min=0, help="Hypothesis scenarios per engine after the path ones."
        ),
    ] = 25,
    format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            case_sensitive=False,
            help="Report form: text, concise (one line per finding), json or sarif (SARIF 2.1.0).",
        ),
    ] = ReportFormat.TEXT,
    max_bytes: MaxBytesOpt = DEFAULT_MAX_BYTES,
    progress: ProgressOpt = None,
) -> int:
    """Property-test workflows on their generated code and check that every target behaves alike.

    Ctrl-C stops the run with exit code 130 and no verdict, whatever the tests were doing
    when it came (a swallowed interrupt or an error it caused is still an interrupt).
    """
    with interruptible() as interrupts:
        try:
            options = TestOptions((), max_examples, steps, seed, depth, drawn=drawn)
            shown = wanted(progress, format, sys.stderr)
            return _test(paths, targets, options, format, max_bytes, shown, interrupts)
        except typer.Exit:
            raise
        except BaseException:
            interrupts.raising = False
            if interrupts.seen:
                _stop()
            raise


def _test(
    paths: list[Path],
    targets: str,
    budget: TestOptions,
    format: ReportFormat,
    max_bytes: int,
    shown: bool,
    interrupts: Interrupts,
) -> int:
    """The test command's body: run every check, then report (unless interrupted).

    `budget` holds every option but the engines, which are read from `targets` here;
    with `shown`, a status line on stderr says what runs (erased before the report).
    """
    chosen = tuple(dict.fromkeys(t.strip() for t in targets.split(",") if t.strip())) or ("python",)
    manager = get_plugin_manager()
    engines = manager.engines()
    unknown = [t for t in chosen if t not in engines]
    if unknown:
        raise typer.BadParameter(
            f"no scenario engine for {', '.join(unknown)}; registered engines: {', '.join(engines)}",
            param_hint="'--targets'",
        )
    options = replace(budget, targets=chosen)
    files, problems = find_inputs(paths)
    invocation = Invocation(plugin=manager.diagnostics, usage=problems)
    outcomes: list[SpecOutcome] = []
    with progress_line(shown, sys.stderr) as line:
        for path in files:
            stage = line.stage_for(str(path))
            report, machine = compile_input(path, manager.rules(), max_bytes, False, stage=stage)
            invocation.reports.append(report)
            if machine is None or has_errors(report.diagnostics):
                continue
            tally = line.tally_for(report.name)
            outcome = test_machine(machine, report.name, options, manager=manager, tally=tally)
            outcomes.append(outcome)
            report.later.extend(outcome.diagnostics)
    code = invocation.exit_code()
    if any(d.code == ENGINE_UNAVAILABLE.code for o in outcomes for d in o.diagnostics):
        code = EXIT_USAGE
    interrupts.raising = False  # from here an interrupt is only noted: the report is all or nothing
    if interrupts.seen:
        _stop()
    if format is ReportFormat.JSON:
        document = invocation.document()
        document["tests"] = [o.to_dict() for o in outcomes]
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    elif format is ReportFormat.SARIF:
        log = sarif_log(
            _test_findings(invocation),
            root=Path.cwd(),
            exit_code=code,
            run_properties={"tests": [o.to_dict() for o in outcomes]},
        )
        text = json.dumps(log, indent=2, ensure_ascii=False) + "\n"
    else:
        text = _report(invocation, outcomes, options, chosen, format)
    if interrupts.seen:
        _stop()
    sys.stdout.write(text)
    sys.stdout.flush()
    return code


def _test_findings(invocation: Invocation) -> tuple[Diagnostic, ...]:
    """What `test` reports: errors and the tests' own findings (verification's belong to `check`)."""
    return tuple(d for d in invocation.all() if d.severity is Severity.ERROR or d.code.startswith("SW98"))


def _report(
    invocation: Invocation,
    outcomes: list[SpecOutcome],
    options: TestOptions,
    chosen: tuple[str, ...],
    style: ReportFormat,
) -> str:
    """The text or concise report, rendered (not yet written)."""
    console = make_console()
    with console.capture() as captured:
        _print_report(console, invocation, outcomes, options, chosen, style)
    return captured.get()


def _print_report(
    console: Console,
    invocation: Invocation,
    outcomes: list[SpecOutcome],
    options: TestOptions,
    chosen: tuple[str, ...],
    style: ReportFormat,
) -> None:
    findings = _test_findings(invocation)
    print_findings(console, findings, invocation.lookup(), style)
    if findings and style is ReportFormat.TEXT:
        console.print()
    for outcome in outcomes:
        console.print(_summary_line(outcome, options))
    passed = sum(1 for o in outcomes if o.passed)
    console.print(
        Text(
            f"tested {plural(len(outcomes), 'workflow')} on {', '.join(chosen)}: "
            f"{passed} passed, {len(outcomes) - passed} failed",
            style="bold",
        )
    )


def _stop() -> NoReturn:
    """End an interrupted run: one line on stderr, exit code 130, no verdict."""
    make_console(stderr=True).print("interrupted: no verdict")
    raise typer.Exit(EXIT_INTERRUPTED)


def _summary_line(outcome: SpecOutcome, options: TestOptions) -> str:
    verdict = "PASS" if outcome.passed else "FAIL"
    parts = [f"{verdict} {outcome.name}:"]
    if outcome.design is not None:
        state = "held" if outcome.design.passed else "BROKEN"
        parts.append(f"invariants {state} over {options.max_examples} runs x {options.steps} steps;")
    if outcome.coverage is not None:
        coverage = outcome.coverage
        parts.append(
            f"{coverage.covered}/{coverage.total} transitions in "
            f"{plural(len(coverage.scenarios), 'path scenario')};"
        )
    for result in outcome.engines:
        unsupported = sum(result.unsupported.values())
        state = "agrees" if result.passed else "DIVERGES"
        extra = f", {unsupported} unsupported" if unsupported else ""
        if result.context_unreported:
            extra += f", context NOT compared in {result.context_unreported}"
        elif result.context_compared:
            extra += ", contexts compared"
        parts.append(f"{result.target} {state} ({result.agreed} scenarios{extra});")
    return " ".join(parts).rstrip(";")
