"""The engine recommendation as `statewright check` shows it: text, one line, and SARIF notes.

The values come from `recommendation.recommend`; this module only lays them out
(the JSON form is `Recommendation.to_dict`).
"""

from __future__ import annotations

from statewright import ir
from statewright.diagnostics import Code, Diagnostic
from statewright.diagnostics.catalog.recommendation import (
    ENGINE_RECOMMENDATION,
    NO_ENGINE_FITS,
    NO_REQUIREMENTS,
    REQUIREMENT_CONTRADICTS_DESIGN,
)
from statewright.ir.text import format_duration
from statewright.report.design_facts import DesignFacts
from statewright.report.recommendation import Recommendation, declared_values, example_block


def render_recommendation(rec: Recommendation) -> str:
    """The text section `statewright check` prints after a file's validation summary."""
    head = f"engine recommendation for {rec.workflow} ({rec.file})"
    design = _design_line(rec.design)
    if not rec.declared:
        items = [line.split("#")[0].strip() for line in example_block(rec.design).splitlines()[1:-1]]
        block = "requirements { " + ", ".join(items) + " }"
        return (
            f"{head}: none, no `requirements` block ({NO_REQUIREMENTS.code}).\n"
            f"  design: {design}\n"
            f"  declare what the workflow needs from its engine, e.g. {block}"
        )
    lines = [f"{head}:", f"  requirements: {_requirements_line(rec.requirements)}", f"  design: {design}"]
    lines += [f"  conflict ({REQUIREMENT_CONTRADICTS_DESIGN.code}): {text}" for text in rec.conflicts]
    if not rec.fitting:
        lines.append(f"  no engine fits every requirement ({NO_ENGINE_FITS.code})")
    for rank, fit in enumerate(rec.fitting, start=1):
        lines.append(f"  {rank}. {fit.engine.name} (target `{fit.engine.target}`)")
        lines += [f"       + {reason}" for reason in fit.reasons]
        lines += [f"       - loses: {loss}" for loss in fit.losses]
    unfit = [fit for fit in rec.ranked if not fit.fits]
    if unfit:
        lines.append("  does not fit:")
        for fit in unfit:
            lines.append(f"     {fit.engine.name}: {'; '.join(fit.blockers)}")
    if rec.missing():
        lines.append(f"  not declared: {', '.join(rec.missing())}")
    return "\n".join(lines)


def render_recommendation_concise(rec: Recommendation) -> str:
    """One line per workflow for `--format concise`."""
    if not rec.declared:
        return (
            f"engine recommendation for {rec.workflow}: none "
            f"(no requirements declared, {NO_REQUIREMENTS.code})"
        )
    fitting = ", ".join(fit.engine.id for fit in rec.fitting) or "no engine fits"
    unfit = len(rec.ranked) - len(rec.fitting)
    return f"engine recommendation for {rec.workflow}: {fitting}" + (
        f" ({unfit} do not fit)" if unfit else ""
    )


def recommendation_findings(rec: Recommendation) -> tuple[Diagnostic, ...]:
    """The recommendation as SARIF notes: SW810 (the ranking), SW811 (nothing declared), SW812, SW813."""
    if not rec.declared:
        return (_note(rec, NO_REQUIREMENTS, render_recommendation_concise(rec), example_block(rec.design)),)
    found = [_note(rec, REQUIREMENT_CONTRADICTS_DESIGN, text) for text in rec.conflicts]
    if rec.fitting:
        ranking = "; ".join(f"{rank}. {fit.engine.name}" for rank, fit in enumerate(rec.fitting, start=1))
        found.append(
            _note(rec, ENGINE_RECOMMENDATION, f"engine recommendation for {rec.workflow}: {ranking}")
        )
    else:
        blockers = "; ".join(f"{fit.engine.id}: {fit.blockers[0]}" for fit in rec.ranked)
        found.append(_note(rec, NO_ENGINE_FITS, f"no engine fits {rec.workflow}: {blockers}"))
    return tuple(found)


def _note(rec: Recommendation, code: Code, message: str, help: str | None = None) -> Diagnostic:
    return Diagnostic.of(code, message, rec.file, rec.span, help=help)


def _requirements_line(req: ir.Requirements | None) -> str:
    return ", ".join(f"{key} {value}" for key, value in declared_values(req).items())


def _design_line(design: DesignFacts) -> str:
    parts = []
    if design.longest_timer_ms is not None:
        parts.append(f"longest timer {format_duration(design.longest_timer_ms)}")
    if design.unbounded_waits:
        parts.append(f"{len(design.unbounded_waits)} wait(s) with no timer")
    parts.append("waits for events or work" if design.waits else "never waits")
    if design.human_steps:
        parts.append(f"human steps in {', '.join(design.human_steps)}")
    parts.append(
        "loops (no static history bound)" if design.loops else f"at most {design.longest_path} states"
    )
    if design.widest_parallel:
        parts.append(f"parallel up to {design.widest_parallel} regions")
    if design.string_fields:
        parts.append(f"{len(design.string_fields)} unbounded string field(s)")
    return ", ".join(parts)
