"""One invocation of a command over `.wf` inputs (`check`, `build`, `fmt`, `test`).

Input discovery, compiling each input, the per-file reports, and the exit-code policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from statewright.cli.codes import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, NO_INPUTS
from statewright.cli.files import is_dir
from statewright.cli.output import severity_counts
from statewright.diagnostics import Diagnostic, Severity, has_errors
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

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Return every finding about this input, sorted by place."""
        return sorted_findings((*self.front, *self.later))

    def ok(self, strict: bool) -> bool:
        """Return True when nothing about this input fails the run."""
        found = self.diagnostics
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

    def all(self) -> tuple[Diagnostic, ...]:
        """Return every finding of the run, run-level ones first, then by file and place."""
        per_file = [d for report in self.reports for d in report.diagnostics]
        return (*self.plugin, *sorted_findings(self.usage), *per_file)

    def exit_code(self) -> int:
        """Apply the exit-code policy described in the `statewright.cli` package docstring."""
        if has_errors(self.usage) or any(has_errors(r.front) for r in self.reports):
            return EXIT_USAGE
        everything = self.all()
        if has_errors(everything):
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
            "diagnostics": [d.to_dict() for d in (*self.plugin, *sorted_findings(self.usage))],
            "summary": self.summary(),
        }


def compile_input(
    path: Path, rules: Sequence[Rule], max_bytes: int, strict: bool, smt_timeout_ms: int | None = None
) -> tuple[FileReport, Machine | None]:
    """Compile one input and, when the front end succeeded, verify it."""
    from statewright.compiler.verify import verify

    result: CompileResult = compile_path(path, max_bytes=max_bytes)
    report = FileReport(result.name, result.source, result.diagnostics)
    if result.machine is not None and not has_errors(result.diagnostics):
        settings = {} if smt_timeout_ms is None else {SMT_TIMEOUT_SETTING: str(smt_timeout_ms)}
        context = RuleContext(strict=strict, settings=settings)
        report.run = context.run_for(result.machine)
        report.later.extend(verify(result.machine, rules, replace(context, run=report.run)))
    return report, result.machine
