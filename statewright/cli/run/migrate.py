"""`statewright run migrate SPEC --db FILE --to NEW.wf`: move running instances to a new version.

The migration analysis (`compiler/migration.py`, what `statewright diff` shows)
decides per state; the runtime (`runtime/migrate.py`) checks each instance's
stored data and log and moves it in one store transaction with a `migration`
audit record, or refuses it (SW996) and changes nothing. Exit 0 when every
instance that was asked to move moved, 1 when some were refused, 2 when the two
specs do not compile or do not compare (SW990-SW992).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from statewright.cli.codes import EXIT_FINDINGS, EXIT_OK
from statewright.cli.guard import guarded
from statewright.cli.output import emit_json
from statewright.cli.run.commands import ActorOpt, AuditKeyOpt, DbOpt, FormatOpt, NowOpt, SpecArg
from statewright.cli.run.session import OutputFormat, RunError, compiled, execute, open_session
from statewright.cli.run.views import states
from statewright.compiler.migration import analyse
from statewright.diagnostics import has_errors
from statewright.diagnostics.catalog.migration import (
    INSTANCE_CANNOT_MIGRATE,
    MIGRATE_MAP_AMBIGUOUS,
    MIGRATE_UNKNOWN_STATE,
    MIGRATION_INPUT_INVALID,
)
from statewright.runtime.definition import Definition
from statewright.runtime.migrate import Outcome, Plan, migrate_instance

ToOpt = Annotated[
    Path,
    typer.Option("--to", metavar="NEW", help="The new version's `.wf` file.", show_default=False),
]

_INPUT_CODES = (MIGRATE_UNKNOWN_STATE, MIGRATE_MAP_AMBIGUOUS, MIGRATION_INPUT_INVALID)


@guarded
def migrate(
    spec: SpecArg,
    db: DbOpt,
    to: ToOpt,
    actor: ActorOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every instance and report; move none.")
    ] = False,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Move the running instances of SPEC to the version in NEW; refuse (and leave) those that cannot move."""
    return execute(format, lambda: _migrate(spec, db, to, actor, dry_run, now, audit_key_file, format))


def _migrate(
    spec: Path,
    db: Path,
    to: Path,
    actor: str | None,
    dry_run: bool,
    now: str | None,
    audit_key_file: Path | None,
    format: OutputFormat,
) -> int:
    old = Definition(compiled(spec))
    new = Definition(compiled(to))
    migration = analyse(old.machine, new.machine, str(spec), str(to))
    if has_errors(migration.diagnostics):
        first = migration.diagnostics[0]
        raise RunError(
            next(c for c in _INPUT_CODES if c.code == first.code),
            f"statewright run migrate: {first.message}",
            diagnostics=migration.diagnostics,
        )
    plan = Plan.of(migration.rows(), migration.transitions)
    with open_session(old, db, now, audit_key=audit_key_file) as session:
        found = [
            migrate_instance(
                session.store,
                old,
                new,
                plan,
                i.id,
                session.clock.now_ms,
                actor=actor,
                key=session.audit_key,
                dry_run=dry_run,
            )
            for i in session.store.instances()
        ]
    rows = [_row(outcome) for outcome in found if outcome is not None]
    refused = [row for row in rows if row["outcome"] == "refused"]
    if format is OutputFormat.JSON:
        emit_json(
            {
                "workflow": old.name,
                "from_version": old.machine.version,
                "to_version": new.machine.version,
                "dry_run": dry_run,
                "instances": rows,
                "exit_code": EXIT_FINDINGS if refused else EXIT_OK,
            }
        )
    else:
        for row in rows:
            typer.echo(_line(row))
        moved = sum(1 for row in rows if row["outcome"] in ("moved", "would move"))
        verb = "would move" if dry_run else "moved"
        typer.echo(
            f"{verb} {moved} of {len(rows)} instances of {old.name} to version {new.machine.version}; "
            f"{len(refused)} refused"
        )
    return EXIT_FINDINGS if refused else EXIT_OK


def _row(outcome: Outcome) -> dict[str, Any]:
    """One instance's outcome as JSON data."""
    row: dict[str, Any] = {
        "instance": outcome.instance,
        "outcome": outcome.outcome,
        "from": list(outcome.source),
    }
    if outcome.outcome == "refused":
        return row | {"code": INSTANCE_CANNOT_MIGRATE.code, "detail": outcome.detail}
    return row | {"to": list(outcome.target)} | ({"detail": outcome.detail} if outcome.detail else {})


def _line(row: dict[str, Any]) -> str:
    """One instance's line of the text report."""
    name = row["instance"]
    if row["outcome"] in ("moved", "would move"):
        verb = "MOVED  " if row["outcome"] == "moved" else "WOULD  "
        return f"{verb} {name}: {states(tuple(row['from']))} -> {states(tuple(row['to']))}"
    if row["outcome"] == "already":
        return f"SKIP    {name}: {row['detail']}"
    return f"REFUSED {name}: {row['detail']} [{row['code']}]"
