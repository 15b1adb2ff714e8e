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

from statewright.semantics.facts import SAGA_TABLE_HEADER, Cell, Entry, Facts
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
        shown = facts.saga_table(saga)
        parts.append(f"<h3>{esc(saga.state)}</h3>")
        outcomes = [f"<code>{label}</code> → {esc(target)}" for label, target in shown.outcomes]
        parts.append("<p>Outcomes: " + ("; ".join(outcomes) or "none declared") + ".</p>")
        if shown.chain:
            chain = ", then ".join(esc(compensation) for compensation in shown.chain)
            parts.append(
                f"<p>Compensations run in reverse (LIFO) order, from the latest completed step: {chain}.</p>"
            )
        rows = [
            [
                str(row.order),
                esc(row.step),
                esc(row.service or "—"),
                f"<code>{esc(row.key)}</code>" if row.key else "—",
                esc(row.compensation),
                f"<code>{esc(row.compensation_key)}</code>" if row.compensation_key else "—",
                str(row.undo_order) if row.undo_order is not None else "—",
                esc(row.retry),
                row.timeout or "—",
                "<br>".join(esc(move) for move in row.on_failure) or "—",
                "<br>".join(esc(move) for move in row.on_compensation_failure) or "—",
            ]
            for row in shown.rows
        ]
        parts.append('<div class="sw-scroll">' + table(list(SAGA_TABLE_HEADER), rows, "sw-saga") + "</div>")
    parts.append("</section>")
    return "\n".join(parts)
