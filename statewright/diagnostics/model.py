"""The values of a finding: its severity, its code's definition, and the Diagnostic itself."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from statewright.source import Span


class Severity(enum.Enum):
    """How bad a finding is; errors make `check` fail and `build` refuse."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Return a number that orders severities, errors first."""
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Code:
    """A diagnostic code's definition: its stable id, a kebab-case name, default severity, title and help.

    The id (`SW301`) and name (`unreachable-state`) never change once published; reports print
    the title, and the help unless a finding gives its own.
    """

    code: str
    name: str
    severity: Severity
    title: str
    help: str = ""


@dataclass(frozen=True, slots=True)
class Related:
    """A secondary location that explains a finding (e.g. the first definition)."""

    file: str
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding. Stages collect these; a separate reporter prints them."""

    code: str
    severity: Severity
    message: str
    file: str
    span: Span
    help: str = ""
    label: str = ""
    related: tuple[Related, ...] = ()
    counterexample: tuple[str, ...] | None = None
    witness: tuple[tuple[str, str], ...] | None = None

    @classmethod
    def of(
        cls,
        code: Code,
        message: str,
        file: str,
        span: Span,
        *,
        help: str | None = None,
        label: str = "",
        severity: Severity | None = None,
        related: Iterable[Related] = (),
        counterexample: Iterable[str] | None = None,
        witness: Iterable[tuple[str, str]] | None = None,
    ) -> Diagnostic:
        """Build a diagnostic from a registered code; help defaults to the code's help."""
        return cls(
            code=code.code,
            severity=severity or code.severity,
            message=message,
            file=file,
            span=span,
            help=code.help if help is None else help,
            label=label,
            related=tuple(related),
            counterexample=None if counterexample is None else tuple(counterexample),
            witness=None if witness is None else tuple(witness),
        )

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order findings by file, position, then code, so reports are deterministic."""
        return (self.file, self.span.line, self.span.column, self.code, self.message)

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as plain JSON-ready data."""
        data: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "span": self.span.to_dict(),
            "help": self.help,
        }
        if self.label:
            data["label"] = self.label
        if self.related:
            data["related"] = [
                {"file": r.file, "span": r.span.to_dict(), "message": r.message} for r in self.related
            ]
        if self.counterexample is not None:
            data["counterexample"] = list(self.counterexample)
        if self.witness is not None:
            data["witness"] = {name: value for name, value in self.witness}
        return data


@dataclass(frozen=True)
class DiagnosticError(Exception):
    """Raised where a stage cannot produce a value at all; carries its findings."""

    diagnostics: tuple[Diagnostic, ...] = field(default=())

    def __str__(self) -> str:
        return "; ".join(f"{d.code}: {d.message}" for d in self.diagnostics)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """Return True when any finding has error severity."""
    return any(d.severity is Severity.ERROR for d in diagnostics)
