"""The review's sections of the report: the validation summary, the known risks and the findings.

All three come from `Verification.review` (see `plugins/review.py`); without
one, each section says the machine was not verified. A finding is a button
whose `data-finding` indexes the page's data block, where the script finds the
element ids of its states and of its counterexample's steps.
"""

from __future__ import annotations

from statewright.plugins.review import Review, ReviewFinding
from statewright.targets.report.markup import esc, lines, table

NOT_VERIFIED = (
    '<p class="sw-none">Not available: this page was made from a machine that was not verified. '
    "<code>statewright build --target report</code> includes the verification results.</p>"
)


def _status(status: str) -> str:
    return f'<span class="sw-status sw-{esc(status.split()[0].lower())}">{esc(status)}</span>'


def summary_section(review: Review | None) -> str:
    """Each check family's status, with the evidence and notes behind it and its counterexample."""
    parts = ['<section id="summary">', "<h2>Validation summary</h2>"]
    if review is None:
        parts.append(NOT_VERIFIED)
    else:
        rows = []
        for check in review.checks:
            evidence = lines((*check.evidence, *check.notes))
            if check.counterexample is not None:
                path = " → ".join(check.counterexample) or "(initial state)"
                evidence += (
                    f'<p class="sw-path">counterexample ({esc(check.counterexample_code or "")}): '
                    f"<code>{esc(path)}</code></p>"
                )
            rows.append([_status(check.status), esc(check.title), evidence])
        parts.append(table(["status", "check", "evidence"], rows, "sw-summary"))
    parts.append("</section>")
    return "\n".join(parts)


def risks_section(review: Review | None) -> str:
    """The known risks: findings that are not info, compensations that can fail, races, unbounded waits."""
    parts = ['<section id="risks">', "<h2>Known risks</h2>"]
    if review is None:
        parts.append(NOT_VERIFIED)
    elif not review.risks:
        parts.append('<p class="sw-none">none</p>')
    else:
        items = "".join(
            f'<li><span class="sw-kind">{esc(risk.kind)}</span> {esc(risk.message)}</li>'
            for risk in review.risks
        )
        parts.append(f'<ul class="sw-risks">{items}</ul>')
    parts.append("</section>")
    return "\n".join(parts)


def _finding(index: int, finding: ReviewFinding) -> str:
    diagnostic = finding.diagnostic
    where = f"line {diagnostic.span.line}:{diagnostic.span.column}" if diagnostic.span.line else ""
    states = ", ".join(finding.states) or "—"
    path = " → ".join(step.label or "start" for step in finding.path)
    walk = f'<span class="sw-path">counterexample: <code>{esc(path)}</code></span>' if finding.path else ""
    return (
        f'<li><button type="button" class="sw-finding sw-{esc(diagnostic.severity.value)}" '
        f'data-finding="{index}">'
        f'<span class="sw-code">{esc(diagnostic.code)}</span> '
        f'<span class="sw-severity">{esc(diagnostic.severity.value)}</span> '
        f'<span class="sw-where">{esc(where)}</span> '
        f'<span class="sw-message">{esc(diagnostic.message)}</span> '
        f'<span class="sw-states">states: {esc(states)}</span>{walk}</button></li>'
    )


def findings_section(review: Review | None) -> str:
    """Every finding about the file, as buttons that highlight their states and play their counterexample."""
    parts = ['<section id="findings">', "<h2>Findings</h2>"]
    if review is None:
        parts.append(NOT_VERIFIED)
    elif not review.findings:
        parts.append('<p class="sw-none">none: every check passed without a finding</p>')
    else:
        items = "".join(_finding(index, finding) for index, finding in enumerate(review.findings))
        parts.append(f'<ol class="sw-findings">{items}</ol>')
    parts.append("</section>")
    return "\n".join(parts)
