"""The built-in `table` target: the full state x event transition table, and the saga compensation tables.

Artifacts, for a workflow `W`:
- `W.transitions.md`: a Markdown (GitHub-flavoured) table; rows are every
  leaf state that is not final, columns every event the machine accepts
  (external events, then the approval and checkpoint events the machine
  produces), then `(timeout)`, `(done)`, `(error)` and `(always)` when some
  state uses them. A cell holds the target (with its guard, or `[else]`), an
  explicit `reject: reason` or `ignore`, `(another region)` when only a
  sibling region of an enclosing parallel state reacts to the event,
  `(refused: not awaited here)` for an approval or checkpoint event in a state
  that does not wait for it (every engine refuses it as not allowed), or `—`
  when nothing handles an external event. Transitions, rejects and ignores written on
  enclosing states apply.
- `W.transitions.csv`: the same table as RFC 4180 CSV (CRLF records, quoting
  by the csv module); an unresolved cell is empty and several entries in one
  cell are separated by a line break.
- `W.sagas.md`, when the machine has sagas: per saga its outcomes, the
  compensation order, and a row per step: order, action, service,
  idempotency keys, compensation, retry, timeout, and what happens when the
  step or its compensation fails.

Output depends only on the IR, so equal machines give byte-identical files.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from statewright import ir
from statewright.ir.text import format_duration
from statewright.plugins.api import Artifact, Target, TargetOptions, TargetOutput
from statewright.plugins.hookspecs import hookimpl
from statewright.semantics.facts import SAGA_TABLE_HEADER, Cell, Entry, Facts, Matrix

UNRESOLVED_MD = "—"
_MD_ESCAPE = re.compile(r"[\\`*\[\]<|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_NEWLINES = re.compile(r"\r\n|\r|\n")


# --------------------------------------------------------------------------- Markdown helpers


def md_text(text: str) -> str:
    """Escape plain text for a GFM table cell: `|`, backslash, emphasis, code, links and HTML."""
    return _MD_ESCAPE.sub(lambda m: "\\" + m.group(0), _NEWLINES.sub(" ", text))


def md_code(text: str) -> str:
    """Return `text` as a code span that is safe in a GFM table cell (`|` escaped, fence long enough)."""
    text = _NEWLINES.sub(" ", text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith(("`", " ")) or text.endswith(("`", " ")):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def md_row(cells: Iterable[str]) -> str:
    """Return one table row from already-escaped cells."""
    return "| " + " | ".join(cells) + " |"


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """Return a GFM table: escaped header, separator and rows."""
    lines = [md_row(md_text(h) for h in header), md_row("---" for _ in header)]
    lines.extend(md_row(row) for row in rows)
    return lines


# --------------------------------------------------------------------------- cells


def entry_md(entry: Entry) -> str:
    """Render one entry for Markdown: names escaped, guards as code spans."""
    match entry.kind:
        case "reject":
            return f"reject: {md_text(entry.reason)}" if entry.reason else "reject"
        case "ignore":
            return "ignore"
    head = "(stay)" if entry.kind == "stay" else md_text(str(entry.target))
    if entry.after_ms is not None:
        head = f"after {format_duration(entry.after_ms)}: {head}"
    if entry.is_else:
        return f"{head} [else]"
    if entry.guard is not None:
        return f"{head} [{md_code(entry.guard)}]"
    return head


def entry_plain(entry: Entry) -> str:
    """Render one entry as plain text (CSV), line breaks in free text folded to spaces."""
    return _NEWLINES.sub(" ", entry.text())


OTHER_REGION = "(another region)"
NOT_AWAITED = "(refused: not awaited here)"
"""An approval or checkpoint event in a state that does not wait for it: every engine refuses it."""


def cell_md(cell: Cell | Sequence[Entry]) -> str:
    """Render a cell for Markdown; several entries are separated by `<br>`."""
    entries = cell.entries if isinstance(cell, Cell) else cell
    if entries:
        return "<br>".join(entry_md(e) for e in entries)
    if isinstance(cell, Cell) and cell.other_region is not None:
        return OTHER_REGION
    if isinstance(cell, Cell) and cell.status == "not_awaited":
        return NOT_AWAITED
    return UNRESOLVED_MD


def cell_plain(cell: Cell | Sequence[Entry]) -> str:
    """Render a cell for CSV; several entries are separated by a line break, unresolved is empty."""
    entries = cell.entries if isinstance(cell, Cell) else cell
    if entries:
        return "\n".join(entry_plain(e) for e in entries)
    if isinstance(cell, Cell) and cell.other_region is not None:
        return OTHER_REGION
    if isinstance(cell, Cell) and cell.status == "not_awaited":
        return NOT_AWAITED
    return ""


def _columns(matrix: Matrix) -> list[str]:
    return [*matrix.events, *(f"({kind})" for kind in matrix.timer_columns)]


def _row_entries(matrix: Matrix, row: str) -> list[Cell | tuple[Entry, ...]]:
    found: list[Cell | tuple[Entry, ...]] = [matrix.by_pair[row, event] for event in matrix.events]
    found.extend(matrix.timer(row, kind) for kind in matrix.timer_columns)
    return found


# --------------------------------------------------------------------------- documents


def transitions_csv(facts: Facts) -> str:
    """Return the state x event table as RFC 4180 CSV."""
    matrix = facts.matrix
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["state", *_columns(matrix)])
    for row in matrix.rows:
        writer.writerow([row, *(cell_plain(entries) for entries in _row_entries(matrix, row))])
    return buffer.getvalue()


def transitions_md(facts: Facts) -> str:
    """Return the state x event table, the completion transitions and the final states as Markdown."""
    machine = facts.machine
    matrix = facts.matrix
    lines = [
        f"# {md_text(machine.name)}: state x event transition table",
        "",
        "Generated by statewright. Rows: every leaf state that is not final "
        "(nested states by their full name). Columns: every event the workflow accepts, "
        "then timers and invoked work in parentheses. A cell is the target state, with its guard "
        "in brackets (`[else]` when no other guard holds), `reject: reason` or `ignore` for an "
        f"explicit refusal, or {UNRESOLVED_MD} where nothing handles the event. Transitions, rejects "
        "and ignores written on enclosing states apply to the states inside them; when every "
        "transition of a state is guarded, the enclosing state's entries follow, unless the guards "
        "are proved exhaustive (some guard holds in every context). Inside a parallel "
        f"state, {OTHER_REGION} marks an event this state's region does not mention but another "
        "region of the same parallel state handles (every region receives every event).",
        "",
    ]
    rows = [
        [md_text(row), *(cell_md(entries) for entries in _row_entries(matrix, row))] for row in matrix.rows
    ]
    lines.extend(md_table(["state", *_columns(matrix)], rows))
    completions = list(matrix.completions())
    if completions:
        lines += ["", "## Completion transitions", ""]
        completion_rows = []
        for transition in completions:
            state = matrix.states[transition.source]
            when = (
                "every region has reached a final state"
                if state.kind == "parallel"
                else "a final child state is reached"
            )
            entry = Entry("move", transition.source, transition.target)
            completion_rows.append([md_text(transition.source), when, entry_md(entry)])
        lines.extend(md_table(["state", "taken when", "target"], completion_rows))
    finals = [state for state in machine.states if state.kind == "final" and state.parent is None]
    if finals:
        lines += ["", "## Final states", ""]
        final_rows = [
            [md_text(state.name), state.outcome or "success", md_text(state.outcome_reason or "—")]
            for state in finals
        ]
        lines.extend(md_table(["state", "outcome", "reason"], final_rows))
    return "\n".join(lines) + "\n"


def sagas_md(facts: Facts) -> str:
    """Return one compensation table per saga as Markdown."""
    machine = facts.machine
    lines = [f"# {md_text(machine.name)}: saga compensation tables", ""]
    for saga in machine.sagas:
        shown = facts.saga_table(saga)
        lines += [f"## {md_text(saga.state)}", ""]
        outcomes = [f"`{label}` -> {md_text(target)}" for label, target in shown.outcomes]
        lines.append("Outcomes: " + ("; ".join(outcomes) if outcomes else "none declared") + ".")
        if shown.chain:
            chain = ", then ".join(md_text(compensation) for compensation in shown.chain)
            lines.append(
                f"Compensations run in reverse (LIFO) order, from the latest completed step: {chain}."
            )
        listed = ", ".join(md_text(s) for s in shown.services)
        lines.append(
            f"{len(saga.steps)} steps, {len(shown.services)} services" + (f" ({listed})." if listed else ".")
        )
        lines.append("")
        rows = [
            [
                str(row.order),
                md_text(row.step),
                md_text(row.service or "—"),
                md_code(row.key) if row.key else "—",
                md_text(row.compensation),
                md_code(row.compensation_key) if row.compensation_key else "—",
                str(row.undo_order) if row.undo_order is not None else "—",
                md_text(row.retry),
                row.timeout or "—",
                "<br>".join(md_text(move) for move in row.on_failure) or "—",
                "<br>".join(md_text(move) for move in row.on_compensation_failure) or "—",
            ]
            for row in shown.rows
        ]
        lines.extend(md_table(SAGA_TABLE_HEADER, rows))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


class TableTarget:
    """Writes the state x event transition table (Markdown and CSV) and the saga compensation tables."""

    name: str = "table"
    description: str = (
        "the full state x event transition table (<workflow>.transitions.md and .csv) "
        "and the saga compensation tables (<workflow>.sagas.md)"
    )

    def generate(self, machine: ir.Machine, options: TargetOptions) -> TargetOutput:
        """Return the tables of one machine; equal machines give byte-identical files.

        A guard-only level stops the walk outwards where `options.verification`
        says its guards are proved exhaustive; without proofs the enclosing
        states' entries show after it.
        """
        proved = options.verification.exhaustive if options.verification is not None else frozenset()
        facts = Facts(machine, proved)
        artifacts = [
            Artifact(f"{machine.name}.transitions.md", transitions_md(facts)),
            Artifact(f"{machine.name}.transitions.csv", transitions_csv(facts)),
        ]
        if machine.sagas:
            artifacts.append(Artifact(f"{machine.name}.sagas.md", sagas_md(facts)))
        return TargetOutput(artifacts=tuple(artifacts))


@hookimpl
def statewright_targets() -> list[Target]:
    """Provide the `table` target through the public plugin hook."""
    return [TableTarget()]
