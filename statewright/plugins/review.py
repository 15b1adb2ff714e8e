"""What a design review of one machine found, as plain data a target may present (the `report` target).

The verifier and the validation summary live above the targets, so a target
that shows them (the design report) is handed this instead, inside
`Verification.review`: each check family's verdict with its evidence, the
known risks, and every finding with the states it is about and its
counterexample replayed as states. `statewright.report.review` builds it; a
library caller that builds none gets a report without those sections.
"""

from __future__ import annotations

from dataclasses import dataclass

from statewright.diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class ReviewCheck:
    """One row of the validation summary: a check family, its status and the evidence behind it."""

    key: str
    title: str
    status: str
    """PASS, WARN, FAIL or NOT RUN."""
    evidence: tuple[str, ...]
    notes: tuple[str, ...] = ()
    """The summary's further lines: findings by code, crashed rules, a partial search."""
    counterexample: tuple[str, ...] | None = None
    counterexample_code: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewRisk:
    """One known risk: its kind (finding, compensation, race, wait), its text and the code behind it."""

    kind: str
    message: str
    code: str | None = None


@dataclass(frozen=True, slots=True)
class PathStep:
    """One step of a replayed counterexample: the label taken (`""` for the start) and the states it reaches.

    `states` are leaves of the machine; empty when the label is not a move (the
    event a finding says is unhandled, say), which ends the replay.
    """

    label: str
    states: tuple[str, ...]
    transition: int | None = None
    """The index of the IR transition the label took (None for the start and for a label that is no move)."""


@dataclass(frozen=True, slots=True)
class ReviewFinding:
    """One finding, the states it is about, and its counterexample as a walk through the states."""

    diagnostic: Diagnostic
    states: tuple[str, ...]
    path: tuple[PathStep, ...] = ()


@dataclass(frozen=True, slots=True)
class Review:
    """The validation summary, the known risks and the findings of one machine."""

    verdict: str
    """PASS, WARN, FAIL or INCOMPLETE."""
    checks: tuple[ReviewCheck, ...] = ()
    risks: tuple[ReviewRisk, ...] = ()
    findings: tuple[ReviewFinding, ...] = ()
