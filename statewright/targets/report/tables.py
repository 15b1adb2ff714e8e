"""The report's tables from `semantics/facts.py`: the state x event matrix and the saga compensation tables.

The same facts the `table` target writes as Markdown: rows are the leaf states
that are not final, columns the events the machine accepts and then the timer
and work columns; a cell lists what happens, innermost level first, with its
explicit `reject: reason` and `ignore` entries. Each cell carries its status
as a class (`sw-transition`, `sw-reject`, `sw-ignore`, `sw-other_region`,
`sw-not_awaited`, `sw-unresolved`) so refusals stand out.
"""

from __future__ import annotations

from collections.abc import Sequence

from statewright.ir.text import format_duration
from statewright.semantics.facts import Cell, Entry, Facts, describe_retry
from statewright.targets.report.markup import esc, table

OTHER_REGION = "(another region)"
NOT_AWAITED = "(refused: not awaited here)"
UNRESOLVED = "—"


def _entries(entries: Sequence[Entry]) -> str:
    return "<br>".join(esc(entry.text()) for entry in entries)


def _cell(cell: Cell) -> str:
    if cell.entries:
        text = _entries(cell.entries)
    elif cell.status == "other_region":
        text = esc(OTHER_REGION)
    elif cell.status == "not_awaited":
        text = esc(NOT_AWAITED)
    else:
        text = UNRESOLVED
    return f'<span class="sw-cell sw-{cell.status}">{text}</span>'


def transitions_section(facts: Facts) -> str:
    """The full state x event table, explicit rejects and ignores included, then the completions."""
    matrix = facts.matrix
    header = ["state", *matrix.events, *(f"({kind})" for kind in matrix.timer_columns)]
    rows = []
    for row in matrix.rows:
        cells = [_cell(matrix.by_pair[row, event]) for event in matrix.events]
        cells.extend(_entries(matrix.timer(row, kind)) or UNRESOLVED for kind in matrix.timer_columns)
        rows.append([esc(row), *cells])
    parts = [
        '<section id="transitions">',
        "<h2>State × event transitions</h2>",
        '<p class="sw-note">Every leaf state that is not final against every event the workflow accepts, '
        "then timers and invoked work. A cell is the target (with its guard, or <code>[else]</code>), an "
        f"explicit <code>reject: reason</code> or <code>ignore</code>, {esc(OTHER_REGION)} when a sibling "
        f"region handles it, {esc(NOT_AWAITED)} for an approval or checkpoint event nothing waits for here, "
        f"or {UNRESOLVED} when nothing handles it.</p>",
        '<div class="sw-scroll">' + table(header, rows, "sw-matrix", row_header=True) + "</div>",
    ]
    completions = list(matrix.completions())
    if completions:
        completion_rows = [
            [esc(transition.source), esc(facts.describe_target(transition.target))]
            for transition in completions
        ]
        parts += ["<h3>Completion transitions</h3>", table(["state", "target"], completion_rows)]
    parts.append("</section>")
    return "\n".join(parts)


def compensation_section(facts: Facts) -> str:
    """Per saga: its outcomes, the compensation order, and a row per step with what happens when it fails."""
    machine = facts.machine
    parts = ['<section id="compensation">', "<h2>Compensation</h2>"]
    if not machine.sagas:
        parts.append('<p class="sw-none">no sagas</p>')
    for saga in machine.sagas:
        parts.append(f"<h3>{esc(saga.state)}</h3>")
        outcomes = [
            f"<code>{label}</code> → {esc(facts.describe_target(target))}"
            for label, target in (
                ("done", saga.done),
                ("compensated", saga.compensated),
                ("compensation_failed", saga.compensation_failed),
            )
            if target is not None
        ]
        parts.append("<p>Outcomes: " + ("; ".join(outcomes) or "none declared") + ".</p>")
        undo = [step for step in saga.steps if step.compensation]
        order = {step.index: position for position, step in enumerate(reversed(undo), start=1)}
        if undo:
            chain = ", then ".join(esc(str(step.compensation)) for step in reversed(undo))
            parts.append(
                f"<p>Compensations run in reverse (LIFO) order, from the latest completed step: {chain}.</p>"
            )
        rows = []
        for failure in facts.saga_failures(saga):
            step = failure.step
            rows.append(
                [
                    str(step.index + 1),
                    esc(step.action),
                    esc(step.service or "—"),
                    f"<code>{esc(step.key)}</code>" if step.key else "—",
                    esc(failure.undo),
                    f"<code>{esc(step.compensation_key)}</code>" if step.compensation_key else "—",
                    str(order[step.index]) if step.index in order else "—",
                    esc(describe_retry(step.retry)),
                    format_duration(step.timeout_ms) if step.timeout_ms is not None else "—",
                    "<br>".join(esc(move) for move in failure.on_failure) or "—",
                    "<br>".join(esc(move) for move in failure.on_compensation_failure) or "—",
                ]
            )
        header = [
            "order",
            "step",
            "service",
            "idempotency key",
            "compensation",
            "compensation key",
            "undo order",
            "retry",
            "timeout",
            "if the step fails",
            "if the compensation fails",
        ]
        parts.append('<div class="sw-scroll">' + table(header, rows, "sw-saga") + "</div>")
    parts.append("</section>")
    return "\n".join(parts)
