"""Apply a configuration and a file's suppressions to its findings (one pure function).

In order: `select`/`ignore` drop findings of codes not selected; a suppression on the
line a finding starts drops it; `severity` overrides what is left. Then the suppressions'
own findings are added (SW065 unused, SW066 no reason, SW067 malformed), subject to the
same `select`/`ignore` and `severity`. A finding that stops compilation (an error with a
front-end code, SW001-SW299) is always reported as it is: without a machine there is
nothing else to check, and hiding it would hide why.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from statewright.config.settings import Config
from statewright.config.suppressions import Suppression
from statewright.diagnostics import Diagnostic, Severity, codes
from statewright.source import NO_SPAN

FRONT_END = re.compile(r"SW[0-2][0-9][0-9]")
"""The front end's codes (reading, syntax, names, types)."""

UNUSED_CHECKED_BELOW = "SW900"
"""Suppressions of codes below this are reported unused: every `check`, `build` and `test`
run computes those findings. Codes from SW900 up depend on the command and its targets."""


def stops_compilation(diagnostic: Diagnostic) -> bool:
    """True for an error with a front-end code (reading, syntax, names, types): never hidden."""
    return diagnostic.severity is Severity.ERROR and FRONT_END.fullmatch(diagnostic.code) is not None


def apply(
    config: Config,
    suppressions: Iterable[Suppression],
    file: str,
    diagnostics: Iterable[Diagnostic],
    *,
    known: Collection[str],
    malformed: Iterable[Diagnostic] = (),
    complete: bool = True,
) -> tuple[Diagnostic, ...]:
    """Return `diagnostics` as `config` and the file's `suppressions` leave them, plus their findings.

    `known` are the codes a suppression may name; `malformed` are the SW067 findings from
    reading the comments; `complete` says the file was verified, so an unused suppression
    is known to be unused (a file that did not compile reports none).
    """
    table = list(suppressions)
    by_line: dict[int, set[str]] = {}
    for suppression in table:
        by_line.setdefault(suppression.line, set()).update(code for code, _ in suppression.codes)
    used: set[tuple[int, str]] = set()
    kept: list[Diagnostic] = []
    for diagnostic in diagnostics:
        if stops_compilation(diagnostic):
            kept.append(diagnostic)
            continue
        if not config.enabled(diagnostic.code):
            continue
        line = diagnostic.span.line
        if (
            diagnostic.file == file
            and diagnostic.span != NO_SPAN
            and diagnostic.code in by_line.get(line, ())
        ):
            used.add((line, diagnostic.code))
            continue
        kept.append(_with_severity(config, diagnostic))
    own = [*malformed, *_own_findings(table, file, used, known, complete)]
    kept.extend(_with_severity(config, d) for d in own if config.enabled(d.code))
    return tuple(kept)


def _own_findings(
    table: list[Suppression], file: str, used: set[tuple[int, str]], known: Collection[str], complete: bool
) -> Iterable[Diagnostic]:
    """The suppressions' findings: unknown codes, no reason, and (for a verified file) unused codes."""
    for suppression in table:
        if not suppression.reason:
            message = "this suppression does not say why the finding does not apply"
            yield Diagnostic.of(codes.SUPPRESSION_WITHOUT_REASON, message, file, suppression.span)
        for code, span in suppression.codes:
            if code not in known:
                shown = "".join(c if c.isprintable() else "?" for c in code)[:40]
                message = f"`{shown}` in this suppression is not a known code"
                yield Diagnostic.of(codes.SUPPRESSION_MALFORMED, message, file, span)
            elif complete and code < UNUSED_CHECKED_BELOW and (suppression.line, code) not in used:
                message = f"unused suppression: no {code} finding points at line {suppression.line}"
                yield Diagnostic.of(codes.SUPPRESSION_UNUSED, message, file, span)


def _with_severity(config: Config, diagnostic: Diagnostic) -> Diagnostic:
    """`diagnostic` with the severity the configuration gives its code."""
    if stops_compilation(diagnostic):
        return diagnostic
    severity = config.severity_of(diagnostic.code, diagnostic.severity)
    if severity is diagnostic.severity:
        return diagnostic
    return Diagnostic(
        code=diagnostic.code,
        severity=severity,
        message=diagnostic.message,
        file=diagnostic.file,
        span=diagnostic.span,
        help=diagnostic.help,
        label=diagnostic.label,
        related=diagnostic.related,
        counterexample=diagnostic.counterexample,
        witness=diagnostic.witness,
    )
