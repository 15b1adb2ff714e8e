"""One invocation of a command over `.wf` inputs (`check`, `build`, `fmt`, `test`).

Input discovery, compiling each input, the per-file reports, and the exit-code policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from statewright.cli.codes import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, NO_INPUTS
from statewright.cli.files import is_dir
from statewright.cli.output import severity_counts
from statewright.config import DEFAULT, Config, Suppression, apply, find_config, load_config, suppressions_of
from statewright.diagnostics import CODES, Diagnostic, Severity, has_errors
from statewright.diagnostics.render import SourceLookup
from statewright.ir import Machine
from statewright.pipeline import CompileResult, compile_path, discover
from statewright.plugins.api import SMT_TIMEOUT_SETTING, Rule, RuleContext
from statewright.plugins.run import VerificationRun
from statewright.source import NO_SPAN, SourceText


def sorted_findings(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Return findings sorted by file and place, errors before warnings at the same place."""
    return tuple(sorted(diagnostics, key=lambda d: (*d.sort_key(), d.severity.rank)))


def find_inputs(paths: Sequence[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Expand directories to their `.wf` files; a directory holding none is an SW906 error."""
    problems: list[Diagnostic] = []
    files: list[Path] = []
    for path in paths:
        if not is_dir(path):
            files.append(path)
            continue
        found = discover([path])
        if not found:
            problems.append(
                Diagnostic.of(NO_INPUTS, f"no `.wf` files found under `{path}`", str(path), NO_SPAN)
            )
        files.extend(found)
    return sorted(dict.fromkeys(files)), problems


@dataclass
class FileReport:
    """What happened to one input: front-end findings, later findings, and files written."""

    name: str
    source: SourceText | None
    front: tuple[Diagnostic, ...]
    later: list[Diagnostic] = field(default_factory=list)
    written: list[dict[str, str]] = field(default_factory=list)
    run: VerificationRun | None = None
    """The verification run of the input's machine (None when the front end failed)."""
    config: Config = DEFAULT
    """The input's `[tool.statewright]` (statewright.config), applied to its findings."""
    config_problems: tuple[Diagnostic, ...] = ()
    """What is wrong with that configuration (reported once per run, not per input)."""
    suppressions: tuple[tuple[Suppression, ...], tuple[Diagnostic, ...]] = ((), ())
    """The input's `# statewright: ignore[...]` comments, and the malformed ones as findings."""

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Return every finding about this input, configuration and suppressions applied, sorted by place."""
        table, malformed = self.suppressions
        found = (*self.front, *self.later)
        known = CODES.keys()
        complete = self.run is not None
        return sorted_findings(
            apply(self.config, table, self.name, found, known=known, malformed=malformed, complete=complete)
        )

    def ok(self, strict: bool) -> bool:
        """Return True when nothing about this input fails the run (`strict` or the config's `strict`)."""
        found = self.diagnostics
        strict = strict or self.config.strict
        return not has_errors(found) and not (strict and any(d.severity is Severity.WARNING for d in found))

    def to_dict(self, strict: bool) -> dict[str, Any]:
        """Return the JSON form of this report."""
        data: dict[str, Any] = {
            "file": self.name,
            "ok": self.ok(strict),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }
        if self.written:
            data["artifacts"] = list(self.written)
        return data


@dataclass
class Invocation:
    """Everything one command found: per-input reports, plugin warnings and run-level errors."""

    reports: list[FileReport] = field(default_factory=list)
    plugin: tuple[Diagnostic, ...] = ()
    usage: list[Diagnostic] = field(default_factory=list)
    strict: bool = False

    def config_problems(self) -> tuple[Diagnostic, ...]:
        """Return what is wrong with the inputs' configuration files, each finding once."""
        return sorted_findings(dict.fromkeys(d for r in self.reports for d in r.config_problems))

    def all(self) -> tuple[Diagnostic, ...]:
        """Return every finding of the run, run-level ones first, then by file and place."""
        per_file = [d for report in self.reports for d in report.diagnostics]
        return (*self.plugin, *sorted_findings(self.usage), *self.config_problems(), *per_file)

    def exit_code(self) -> int:
        """Apply the exit-code policy described in the `statewright.cli` package docstring.

        Bad configuration (SW060-SW063) is a usage error; a `strict = true` configuration
        fails the inputs under it on warnings, as `--strict` fails every input.
        """
        usage = (*self.usage, *self.config_problems())
        if has_errors(usage) or any(has_errors(r.front) for r in self.reports):
            return EXIT_USAGE
        everything = self.all()
        if has_errors(everything) or any(not r.ok(self.strict) for r in self.reports):
            return EXIT_FINDINGS
        if self.strict and any(d.severity is Severity.WARNING for d in everything):
            return EXIT_FINDINGS
        return EXIT_OK

    def lookup(self) -> SourceLookup:
        """Return a source-line lookup over every input that was decoded."""
        sources = {r.name: r.source for r in self.reports if r.source is not None}

        def line(name: str, number: int) -> str:
            source = sources.get(name)
            return source.line_text(number) if source is not None else ""

        return line

    def summary(self) -> dict[str, Any]:
        """Return the run's totals for the JSON summary."""
        failed = sum(1 for r in self.reports if not r.ok(self.strict))
        return {
            "files": len(self.reports),
            "failed": failed,
            **severity_counts(self.all()),
            "exit_code": self.exit_code(),
        }

    def document(self) -> dict[str, Any]:
        """Return the whole run as one JSON document."""
        return {
            "files": [r.to_dict(self.strict) for r in self.reports],
            "diagnostics": [
                d.to_dict() for d in (*self.plugin, *sorted_findings(self.usage), *self.config_problems())
            ],
            "summary": self.summary(),
        }


def compile_input(
    path: Path,
    rules: Sequence[Rule],
    max_bytes: int,
    strict: bool,
    smt_timeout_ms: int | None = None,
    stage: Callable[[str], None] | None = None,
) -> tuple[FileReport, Machine | None]:
    """Compile one input and, when the front end succeeded, verify it.

    The input's configuration (`[tool.statewright]` above it) is read first: its `strict`
    is the rules' strictness too, and it and the input's suppressions filter the report.
    `stage` (a progress display, or None) is told each stage as it starts.
    """
    from statewright.compiler.verify import verify

    result: CompileResult = compile_path(path, max_bytes=max_bytes, stage=stage)
    config, problems = configuration_of(path)
    strict = strict or config.strict
    report = FileReport(
        result.name, result.source, result.diagnostics, config=config, config_problems=problems
    )
    if result.source is not None:
        report.suppressions = suppressions_of(result.source)
    if result.machine is not None and not has_errors(result.diagnostics):
        settings = {} if smt_timeout_ms is None else {SMT_TIMEOUT_SETTING: str(smt_timeout_ms)}
        context = RuleContext(strict=strict, settings=settings)
        report.run = context.run_for(result.machine)
        report.later.extend(verify(result.machine, rules, replace(context, run=report.run), stage=stage))
    return report, result.machine


def configuration_of(path: Path) -> tuple[Config, tuple[Diagnostic, ...]]:
    """Return the configuration that governs the input `path` and what is wrong with it."""
    found = find_config(path)
    if found is None:
        return DEFAULT, ()
    from statewright.plugins.manager import get_plugin_manager

    return load_config(found, CODES.keys(), get_plugin_manager().target_names())
