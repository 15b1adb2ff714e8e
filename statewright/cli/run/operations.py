"""`statewright run reroute|rollback|redrive`: an operator's repairs of one instance.

Each needs `--actor`, `--reason` and the operator permission (`--permission
role:operator`, plus `--scope` where the workflow declares one), records one
audit record of its kind, and shows it like any other step. A refusal
(SW070-SW074, SW968, SW971) changes nothing and exits 1; bad input exits 2.
docs/OPERATIONS.md explains the operations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from statewright.cli.guard import guarded
from statewright.cli.run.commands import (
    ActorOpt,
    AuditKeyOpt,
    Common,
    DbOpt,
    FormatOpt,
    IdArg,
    NowOpt,
    SpecArg,
    _mutate,
)
from statewright.cli.run.session import OutputFormat, Session, execute
from statewright.runtime.runner import Runtime

ReasonOpt = Annotated[
    str, typer.Option("--reason", metavar="TEXT", help="Why (recorded in the audit log).", show_default=False)
]
PermissionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--permission",
        metavar="P",
        help="A permission the operator presents (repeatable); repairs need `role:operator`.",
    ),
]
ScopeOpt = Annotated[
    str | None,
    typer.Option("--scope", metavar="SCOPE", help="The scope the request names (the workflow's)."),
]
ToStateOpt = Annotated[
    str, typer.Option("--to", metavar="STATE", help="The state to move the instance to.", show_default=False)
]
SagaOpt = Annotated[
    str | None, typer.Option("--saga", metavar="SAGA", help="Only this saga (default: every active one).")
]

Repair = Callable[[Runtime], object]


def _repair(common: Common, instance_id: str, repair: Repair) -> int:
    """Run one repair on the instance and show its record and where the instance is now."""

    def step(session: Session) -> list[str]:
        repair(session.runtime)
        return []

    return execute(common.format, lambda: _mutate(common, instance_id, step))


def _actor(actor: str | None) -> str:
    if not (actor or "").strip():
        raise typer.BadParameter("say who repairs: --actor ACTOR", param_hint="--actor")
    return actor or ""


@guarded
def reroute(
    spec: SpecArg,
    instance: IdArg,
    db: DbOpt,
    to: ToStateOpt,
    reason: ReasonOpt,
    actor: ActorOpt = None,
    permission: PermissionOpt = None,
    scope: ScopeOpt = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Move an instance to STATE by hand: exits and entries as a transition; a saga left compensates."""
    who = _actor(actor)
    return _repair(
        Common(spec, db, now, format, audit_key_file),
        instance,
        lambda runtime: runtime.reroute(
            instance, to, reason=reason, actor=who, permissions=permission or (), scope=scope
        ),
    )


@guarded
def rollback(
    spec: SpecArg,
    instance: IdArg,
    db: DbOpt,
    reason: ReasonOpt,
    actor: ActorOpt = None,
    permission: PermissionOpt = None,
    scope: ScopeOpt = None,
    saga: SagaOpt = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Undo the running saga: its completed steps are compensated, latest first, by its own chain."""
    who = _actor(actor)
    return _repair(
        Common(spec, db, now, format, audit_key_file),
        instance,
        lambda runtime: runtime.rollback(
            instance, reason=reason, actor=who, permissions=permission or (), scope=scope, saga=saga
        ),
    )


@guarded
def redrive(
    spec: SpecArg,
    instance: IdArg,
    db: DbOpt,
    reason: ReasonOpt,
    actor: ActorOpt = None,
    permission: PermissionOpt = None,
    scope: ScopeOpt = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Run the failed (or dead-lettered) work again, under its idempotency key, from attempt 1."""
    who = _actor(actor)
    return _repair(
        Common(spec, db, now, format, audit_key_file),
        instance,
        lambda runtime: runtime.redrive(
            instance, reason=reason, actor=who, permissions=permission or (), scope=scope
        ),
    )
