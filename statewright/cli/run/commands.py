"""The `run` group's subcommands: each compiles SPEC, opens a session on the store, and prints what it did.

The command-line form, the subcommands and the exit codes are described in the
`statewright.cli.run` package docstring.
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from statewright import ir
from statewright.cli.codes import EXIT_FINDINGS, EXIT_OK
from statewright.cli.guard import guarded
from statewright.cli.output import emit_json, plural
from statewright.cli.run.session import (
    OutputFormat,
    RunError,
    Session,
    compiled,
    execute,
    open_session,
)
from statewright.cli.run.values import context_values, iso, json_fields, pairs, parse_duration, roles
from statewright.cli.run.views import (
    LIST_HEADER,
    columns,
    instance_document,
    list_row,
    log_table,
    record_document,
    states,
    status_document,
    status_text,
)
from statewright.diagnostics.catalog.runtime import (
    AUDIT_KEY_MISMATCH,
    AUDIT_NOT_AUTHENTIC,
    DEFINITION_CHANGED,
    LOG_DOES_NOT_REPLAY,
    PAYLOAD_INVALID,
)
from statewright.diagnostics.codes import UNKNOWN_EVENT
from statewright.runtime import audit, codec
from statewright.runtime.definition import Definition
from statewright.runtime.engine import Request, initial_context
from statewright.runtime.errors import CONFLICT, PayloadInvalid, UnknownInstance, WorkflowError
from statewright.runtime.model import Instance, Record
from statewright.runtime.replay import ReplayError, check
from statewright.runtime.runner import definition_mismatch, request_difference
from statewright.semantics.inputs import FieldProblem, check_fields

_T = TypeVar("_T")

MAX_TICK_ROUNDS = 100
"""Rounds of `Runtime.tick` one `tick` runs: timers a fired step starts already due fire too."""

app = typer.Typer(
    name="run",
    help=(
        "Run workflow instances on a SQLite store: start, send events, approve, report work, "
        "tick the clock, pause/resume/cancel, and read status and the audit log. "
        "Form: statewright run SUBCOMMAND SPEC --db FILE ...; exit 0 done, 1 refused by the "
        "workflow, 2 usage or input error."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: flags shown as flags, not `<bool>`
)

SpecArg = Annotated[
    Path, typer.Argument(metavar="SPEC", help="The workflow's `.wf` file.", show_default=False)
]
IdArg = Annotated[str, typer.Argument(metavar="ID", help="The instance id.", show_default=False)]
DbOpt = Annotated[
    Path,
    typer.Option("--db", metavar="FILE", help="The SQLite store (`start` creates it).", show_default=False),
]
NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now",
        metavar="TIME",
        help="The command's time: ms since the epoch or ISO 8601 (UTC unless an offset is given). "
        "Default: the system clock.",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", case_sensitive=False, help="Output form: text or json.")
]
ActorOpt = Annotated[
    str | None, typer.Option("--actor", metavar="ACTOR", help="Who acts (recorded in the audit log).")
]
ApproverOpt = Annotated[
    str, typer.Option("--actor", metavar="ACTOR", help="Who decides (an approver id such as `user:bob`).")
]
RoleOpt = Annotated[
    list[str] | None,
    typer.Option("--role", metavar="ROLE", help="A role the actor holds (repeatable): `lead` = `role:lead`."),
]
KeyOpt = Annotated[
    str | None,
    typer.Option("--key", metavar="KEY", help="Idempotency key: a repeated key is applied only once."),
]


AuditKeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--audit-key-file",
        metavar="FILE",
        envvar="STATEWRIGHT_AUDIT_KEY_FILE",
        help="A file holding the audit key (at least 16 bytes): instances started with it keep an "
        "HMAC-SHA256 audit chain the store cannot re-stamp; `verify` then checks authenticity. "
        "The store records only the key's id.",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class Common:
    """The arguments every subcommand has."""

    spec: Path
    db: Path
    now: str | None
    format: OutputFormat
    audit_key_file: Path | None = None


@dataclass(frozen=True)
class Offer:
    """What an event is sent with: the governance gate's inputs and the idempotency key."""

    actor: str | None = None
    permissions: tuple[str, ...] = ()
    scope: str | None = None
    evidence: dict[str, str] | None = None
    key: str | None = None
    delegate_to: str | None = None
    data: str | None = None
    """The payload as given (`--data`, one JSON object), read by the event's declared fields."""


# --------------------------------------------------------------------------- starting and events


@app.command()
@guarded
def start(
    spec: SpecArg,
    db: DbOpt,
    instance_id: Annotated[
        str | None, typer.Option("--id", metavar="ID", help="The new instance's id (default: random).")
    ] = None,
    actor: ActorOpt = None,
    values: Annotated[
        list[str] | None,
        typer.Option(
            "--set", metavar="FIELD=VALUE", help="A context value, typed by the field (repeatable)."
        ),
    ] = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Start an instance with context values (the other fields take their defaults)."""
    if instance_id is not None and not instance_id.strip():
        raise typer.BadParameter("an instance id cannot be empty", param_hint="'--id'")
    common = Common(spec, db, now, format, audit_key_file)
    return execute(format, lambda: _start(common, instance_id or uuid.uuid4().hex, actor, values or []))


def _start(common: Common, instance_id: str, actor: str | None, assignments: Sequence[str]) -> None:
    """Validate the values (before any store is created), refuse an id in use, start, show the steps."""
    definition = Definition(compiled(common.spec))
    values = context_values(assignments, definition.fields)
    initial_context(definition, values)  # a missing value or a broken invariant: BadContext (SW966)
    with open_session(
        definition, common.db, common.now, create=True, audit_key=common.audit_key_file
    ) as session:
        try:
            session.store.load(instance_id)
        except UnknownInstance:
            pass
        else:
            raise RunError(
                CONFLICT,
                f"instance `{instance_id}` already exists in `{common.db}`",
                help="choose another `--id`, or leave it out for a random one",
            )
        session.cascade(instance_id, lambda: session.runtime.start(values, instance_id, actor))
        _show_steps(session, instance_id, 0, common.format)


@app.command()
@guarded
def send(
    spec: SpecArg,
    instance: IdArg,
    event: Annotated[str, typer.Argument(metavar="EVENT", help="The event to send.", show_default=False)],
    db: DbOpt,
    actor: ActorOpt = None,
    permission: Annotated[
        list[str] | None,
        typer.Option("--permission", metavar="P", help="A permission the actor presents (repeatable)."),
    ] = None,
    scope: Annotated[
        str | None, typer.Option("--scope", metavar="S", help="The scope the request is made in.")
    ] = None,
    evidence: Annotated[
        list[str] | None,
        typer.Option("--evidence", metavar="NAME=VALUE", help="Evidence presented (repeatable)."),
    ] = None,
    key: KeyOpt = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            metavar="JSON",
            help='The event\'s payload, one JSON object: \'{"amount": "12.50", "note": "rush"}\' '
            "(decimals as JSON numbers or strings). A payload that does not fit the event's fields "
            "is refused (SW974, exit 2) and nothing is applied.",
        ),
    ] = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Send an event (with its payload) to an instance; a refusal is recorded in the audit log and exits 1."""
    request = Offer(
        actor, tuple(permission or ()), scope, pairs(evidence or [], "--evidence"), key, data=data
    )
    common = Common(spec, db, now, format, audit_key_file)
    return execute(format, lambda: _send(common, instance, event, request))


def _send(common: Common, instance_id: str, event: str, request: Offer) -> None:
    """Send one event and show the steps it caused.

    An event the spec does not declare is a mistake on the command line, not a
    refusal by the workflow: SW103, exit 2, with the nearest declared names, and
    nothing is written to the store (no audit record).
    """

    def step(session: Session) -> list[str]:
        _known_event(session.definition, event)
        fields = session.definition.payloads.get(event, ())
        data = _json_fields(request.data, "--data", fields, f"the payload of `{event}`")
        if request.key is not None:
            found = session.store.find_key(instance_id, request.key)
            offered = Request(
                request.actor,
                request.permissions,
                request.scope,
                dict(request.evidence or {}),
                request.key,
                request.delegate_to,
            )
            values, problems = check_fields(fields, data or {})
            same = (
                found is not None and not problems and not request_difference(found, event, offered, values)
            )
            if found is not None and same:
                return [f"key `{request.key}` was applied in record {found.seq}; nothing changed"]
            # another request under a used key: the runtime refuses it (SW975)
        try:
            session.runtime.send(
                instance_id,
                event,
                actor=request.actor,
                permissions=request.permissions,
                scope=request.scope,
                evidence=request.evidence,
                key=request.key,
                delegate_to=request.delegate_to,
                data=data,
            )
        except PayloadInvalid as error:
            raise RunError.of(error, _problem_notes(error.problems)) from None
        except WorkflowError as error:
            raise RunError.of(error, _event_notes(session.definition, event)) from None
        return []

    _mutate(common, instance_id, step)


def _json_fields(
    text: str | None, option: str, fields: Sequence[ir.ContextField], what: str
) -> dict[str, object] | None:
    """`--data`/`--result` read by the declared fields; text that is not a JSON object is SW974 (exit 2)."""
    if text is None:
        return None
    try:
        return json_fields(text, option, fields)
    except ValueError as error:
        declared = ", ".join(f"{f.name}: {f.type.describe()}" for f in fields) or "no fields"
        raise RunError(PAYLOAD_INVALID, f"{what}: {error}", notes=[f"the fields are: {declared}"]) from None


def _problem_notes(problems: Sequence[FieldProblem]) -> list[str]:
    """One note per field a payload or result gets wrong."""
    return [str(problem) for problem in problems]


def _known_event(definition: Definition, event: str) -> None:
    """Refuse, before anything is written, an event the spec does not declare (did-you-mean in the help)."""
    if event in definition.events:
        return
    declared = [e.name for e in definition.machine.events]
    near = difflib.get_close_matches(event, declared, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(f'`{n}`' for n in near)}?" if near else UNKNOWN_EVENT.help
    raise RunError(
        UNKNOWN_EVENT,
        f"`{event}` is not an event of {definition.name}; nothing was sent",
        notes=[f"the events of {definition.name} are: {', '.join(declared)}"],
        help=hint,
    )


def _event_notes(definition: Definition, event: str) -> list[str]:
    """A note listing the declared events when `event` is not one of them."""
    if event in definition.events:
        return []
    declared = ", ".join(e.name for e in definition.machine.events)
    return [f"the events of {definition.name} are: {declared}"]


@app.command()
@guarded
def approve(
    spec: SpecArg,
    instance: IdArg,
    db: DbOpt,
    actor: ApproverOpt,
    role: RoleOpt = None,
    key: KeyOpt = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Approve at the current approval level (counts toward its quorum)."""
    request = Offer(actor, tuple(roles(role or [])), key=key)
    return execute(
        format, lambda: _send(Common(spec, db, now, format, audit_key_file), instance, "approve", request)
    )


@app.command()
@guarded
def reject(
    spec: SpecArg,
    instance: IdArg,
    db: DbOpt,
    actor: ApproverOpt,
    role: RoleOpt = None,
    key: KeyOpt = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Reject at the current approval level (one rejection decides it)."""
    request = Offer(actor, tuple(roles(role or [])), key=key)
    return execute(
        format, lambda: _send(Common(spec, db, now, format, audit_key_file), instance, "reject", request)
    )


@app.command()
@guarded
def delegate(
    spec: SpecArg,
    instance: IdArg,
    db: DbOpt,
    actor: ApproverOpt,
    to: Annotated[str, typer.Option("--to", metavar="ACTOR", help="Who may decide in the approver's place.")],
    role: RoleOpt = None,
    key: KeyOpt = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Delegate the decision at the current approval level to another actor."""
    request = Offer(actor, tuple(roles(role or [])), key=key, delegate_to=to)
    return execute(
        format, lambda: _send(Common(spec, db, now, format, audit_key_file), instance, "delegate", request)
    )


@app.command()
@guarded
def recall(
    spec: SpecArg,
    instance: IdArg,
    db: DbOpt,
    actor: ActorOpt = None,
    key: KeyOpt = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Recall an instance waiting for approval (the approval's `recall ->` target)."""
    request = Offer(actor, key=key)
    return execute(
        format, lambda: _send(Common(spec, db, now, format, audit_key_file), instance, "recall", request)
    )


# --------------------------------------------------------------------------- work, timers, control


@app.command()
@guarded
def work(
    spec: SpecArg,
    instance: IdArg,
    key: Annotated[str, typer.Argument(metavar="KEY", help="The owed work's key.", show_default=False)],
    db: DbOpt,
    fail: Annotated[
        str | None,
        typer.Option(
            "--error",
            "--fail",
            metavar="NAME",
            help="Report a failure with this error name (`on error NAME` catches it).",
        ),
    ] = None,
    message: Annotated[
        str | None,
        typer.Option("--message", metavar="TEXT", help="What the failure said (`error.message`)."),
    ] = None,
    result: Annotated[
        str | None,
        typer.Option(
            "--result",
            metavar="JSON",
            help="The work's result, one JSON object of the fields its invoke `returns` (decimals as "
            "JSON numbers or strings). A result that does not fit is refused (SW974, exit 2) and "
            "nothing is applied.",
        ),
    ] = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Report the outcome of owed work (`status` lists it): success (`--result`), or `--error NAME`."""
    if fail is not None and not fail.strip():
        raise typer.BadParameter("an error name cannot be empty", param_hint="'--error'")
    if fail is not None and result is not None:
        raise typer.BadParameter(
            "a failure has no result: give `--error` or `--result`", param_hint="'--result'"
        )
    if fail is None and message is not None:
        raise typer.BadParameter(
            "a message describes a failure: give `--error NAME` too", param_hint="'--message'"
        )
    common = Common(spec, db, now, format, audit_key_file)
    outcome = Outcome(fail, message, result)
    return execute(format, lambda: _mutate(common, instance, _reporter(instance, key, outcome)))


@dataclass(frozen=True)
class Outcome:
    """A work item's reported outcome: a failure's name and message, or a success's result (JSON)."""

    error: str | None = None
    message: str | None = None
    result: str | None = None


def _reporter(instance_id: str, key: str, outcome: Outcome) -> Callable[[Session], list[str]]:
    """The step that reports a work item's outcome, with a note for `do` actions (they take no step).

    A `--result` is checked here, before anything is reported: on the command line a
    result that does not fit is an input error to correct (SW974), where a handler's
    bad result is a `ResultInvalid` failure of the work.
    """
    failure = outcome.error

    def step(session: Session) -> list[str]:
        item = next((w for w in session.store.work(instance_id) if w.key == key), None)
        result: dict[str, object] | None = None
        if outcome.result is not None:
            state = item.state if item is not None and item.kind == "invoke" else None
            fields = session.definition.results.get(state or "", ())
            action = item.action if item is not None else key
            what = f"the result of `{action}`"
            result = _json_fields(outcome.result, "--result", fields, what) or {}
            if item is not None:
                _, problems = check_fields(fields, result)
                if problems:
                    listed = "; ".join(map(str, problems))
                    raise RunError(
                        PAYLOAD_INVALID, f"{what} does not fit: {listed}", notes=_problem_notes(problems)
                    )
        session.runtime.report(instance_id, key, failure, result=result, message=outcome.message)
        if item is None or item.kind != "do":
            return []
        if failure is None:
            return [f"`{key}` ({item.action}) is done"]
        return [f"`{key}` ({item.action}) failed with {failure} and stays owed; report it again later"]

    return step


@app.command()
@guarded
def tick(
    spec: SpecArg,
    db: DbOpt,
    advance: Annotated[
        str | None,
        typer.Option("--advance", metavar="DURATION", help="Tick at now + DURATION (30s, 5m, 1h30m, 2d)."),
    ] = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Fire every timer due by now (or now + --advance) of this workflow's running instances."""
    delay = 0 if advance is None else parse_duration(advance)
    return execute(format, lambda: _tick(Common(spec, db, now, format, audit_key_file), delay))


def _tick(common: Common, delay: int) -> None:
    """Tick until no due timer is left, deliver emitted events, and show the steps per instance."""
    definition = Definition(compiled(common.spec))
    with open_session(definition, common.db, common.now, audit_key=common.audit_key_file) as session:
        session.clock.now_ms += delay
        at = session.clock.now_ms
        before = _due_instances(session, at)
        fired = 0
        with session.runtime.batch():  # the timers and the emits they cause: all or none (SW979)
            for _ in range(MAX_TICK_ROUNDS):
                count = session.runtime.tick(at)
                fired += count
                if not count:
                    break
            for instance_id in before:
                session.deliver_emits(instance_id)
        steps = {name: session.records_after(name, version) for name, version in before.items()}
        _show_tick(session, common.format, at, fired, {name: found for name, found in steps.items() if found})


def _due_instances(session: Session, at: int) -> dict[str, int]:
    """The instances of this workflow with a timer due by `at`, and their versions now."""
    due = {timer.instance for timer in session.store.timers() if timer.due_ms <= at}
    name = session.definition.name
    return {i.id: i.version for i in session.store.instances() if i.id in due and i.workflow == name}


def _show_tick(
    session: Session, format: OutputFormat, at: int, fired: int, steps: dict[str, list[Record]]
) -> None:
    """Print what a tick did: the time, how many timers fired, and each instance's new records."""
    if format is OutputFormat.JSON:
        instances = [
            {
                "instance": instance_document(session.runtime.load(name)),
                "records": [record_document(record) for record in records],
            }
            for name, records in steps.items()
        ]
        emit_json({"at_ms": at, "at": iso(at), "fired": fired, "instances": instances})
        return
    typer.echo(f"tick at {iso(at)}: {plural(fired, 'timer')} fired")
    for name, records in steps.items():
        typer.echo(f"\n{name}:")
        typer.echo(log_table(records))
        typer.echo(_summary(session, session.runtime.load(name)))


def _control(common: Common, instance_id: str, action: str, actor: str | None) -> int:
    """Pause, resume or cancel an instance and show the step."""

    def step(session: Session) -> list[str]:
        runtime = session.runtime
        {"pause": runtime.pause, "resume": runtime.resume, "cancel": runtime.cancel}[action](
            instance_id, actor
        )
        return []

    return execute(common.format, lambda: _mutate(common, instance_id, step))


@app.command()
@guarded
def pause(
    spec: SpecArg,
    instance: IdArg,
    db: DbOpt,
    actor: ActorOpt = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Pause an instance: events are refused and timers wait until `resume`."""
    return _control(Common(spec, db, now, format, audit_key_file), instance, "pause", actor)


@app.command()
@guarded
def resume(
    spec: SpecArg,
    instance: IdArg,
    db: DbOpt,
    actor: ActorOpt = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Resume a paused instance (timers that fell due meanwhile fire on the next `tick`)."""
    return _control(Common(spec, db, now, format, audit_key_file), instance, "resume", actor)


@app.command()
@guarded
def cancel(
    spec: SpecArg,
    instance: IdArg,
    db: DbOpt,
    actor: ActorOpt = None,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Cancel an instance: its timers and owed work are dropped and it takes no more events."""
    return _control(Common(spec, db, now, format, audit_key_file), instance, "cancel", actor)


# --------------------------------------------------------------------------- reading


@app.command()
@guarded
def status(
    spec: SpecArg,
    instance: IdArg,
    db: DbOpt,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Show an instance: states, status, context, timers, owed work and the events it handles."""
    common = Common(spec, db, now, format, audit_key_file)
    return execute(format, lambda: _read(common, lambda session: _show_status(session, format, instance)))


def _show_status(session: Session, format: OutputFormat, instance_id: str) -> None:
    """Print an instance's status."""
    instance = session.runtime.load(instance_id)
    timers = session.store.timers(instance_id)
    owed = session.store.work(instance_id)
    if format is OutputFormat.JSON:
        emit_json(status_document(session.definition, instance, timers, owed))
    else:
        typer.echo(status_text(session.definition, instance, timers, owed))


@app.command()
@guarded
def log(
    spec: SpecArg,
    instance: IdArg,
    db: DbOpt,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Show an instance's audit log (JSON: every field of every record)."""
    common = Common(spec, db, now, format, audit_key_file)
    return execute(format, lambda: _read(common, lambda session: _show_log(session, format, instance)))


def _show_log(session: Session, format: OutputFormat, instance_id: str) -> None:
    """Print an instance's audit log."""
    records = session.runtime.audit(instance_id)
    if format is OutputFormat.JSON:
        emit_json({"instance": instance_id, "records": [record_document(record) for record in records]})
    else:
        typer.echo(log_table(records))


@app.command("list")
@guarded
def list_(
    spec: SpecArg,
    db: DbOpt,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """List the store's instances of this workflow, oldest first."""
    common = Common(spec, db, now, format, audit_key_file)
    return execute(format, lambda: _read(common, lambda session: _show_list(session, format)))


def _show_list(session: Session, format: OutputFormat) -> None:
    """Print the instances of the session's workflow."""
    name = session.definition.name
    found = [i for i in session.store.instances() if i.workflow == name]
    if format is OutputFormat.JSON:
        emit_json({"workflow": name, "instances": [instance_document(i) for i in found]})
    elif found:
        typer.echo(columns(LIST_HEADER, [list_row(i) for i in found]))
    else:
        typer.echo(f"no instances of {name} in `{session.store.path}`")


@app.command()
@guarded
def verify(
    spec: SpecArg,
    instance: IdArg,
    db: DbOpt,
    now: NowOpt = None,
    audit_key_file: AuditKeyOpt = None,
    format: FormatOpt = OutputFormat.TEXT,
) -> int:
    """Replay an instance's audit log through the engine: exit 0 when every record rebuilds exactly."""
    common = Common(spec, db, now, format, audit_key_file)
    return execute(format, lambda: _read(common, lambda session: _verify(session, format, instance)))


def _verify(session: Session, format: OutputFormat, instance_id: str) -> int:
    """Check the definition, the audit key, the stamp chain, then replay; print OK or what is wrong.

    With the audit key the stamps are checked as the keyed (HMAC-SHA256) chain: a log
    rewritten and re-stamped without the key fails (SW978), so OK means authentic. A plain
    chain can show only integrity: whoever can write the store can re-stamp it.
    """
    instance = session.store.load(instance_id)
    key = session.audit_key
    problems = _verify_problems(session, instance, list(session.store.records(instance_id)))
    records = len(session.store.records(instance_id))
    authentic = None if key is None else not problems
    if format is OutputFormat.JSON:
        seq, detail, code = problems[0] if problems else (None, None, None)
        document = {"instance": instance_id, "ok": not problems, "records": records}
        emit_json(
            document
            | {"seq": seq, "detail": detail, "code": code}
            | {
                "audit_key": key.id if key is not None else (instance.audit_key or None),
                "authentic": authentic,
            }
        )
    elif not problems:
        chain = (
            f"their HMAC-SHA256 stamps verify under audit key {key.id} (authentic)"
            if key is not None
            else "the stamps chain (plain SHA-256: integrity, not authenticity)"
        )
        typer.echo(
            f"OK    {instance_id}: {plural(records, 'audit record')} replay exactly and {chain}; "
            f"it is {instance.status} in {states(instance.active)}"
        )
    else:
        for seq, detail, code in problems:
            where = f"audit record {seq} " if seq else ""
            typer.echo(f"FAIL  {instance_id}: {where}{detail} [{code}]")
    return EXIT_OK if not problems else EXIT_FINDINGS


def _verify_problems(
    session: Session, instance: Instance, records: list[Record]
) -> list[tuple[int, str, str]]:
    """What is wrong with a stored instance, in order: (record seq or 0, what, code); empty when OK.

    A changed definition is reported and the log is still replayed (naming the first
    record the change affects); a chain that cannot be checked with the key at hand stops there.
    """
    problems: list[tuple[int, str, str]] = []
    identity = session.definition.identity
    if instance.definition != identity:
        problems.append((0, definition_mismatch(instance, identity), DEFINITION_CHANGED.code))
    key = session.audit_key
    mismatch = audit.mismatch(instance.id, instance.audit_key, key)
    if mismatch is not None:
        if key is not None and not instance.audit_key:
            mismatch += (
                "; a chain started with a key never turns plain: if this instance was started with "
                "the key, its log was rewritten and re-stamped without it"
            )
        return [*problems, (0, mismatch, AUDIT_KEY_MISMATCH.code)]
    broken = codec.verify_chain(records, key)
    if broken is not None:
        if key is not None:
            detail = (
                f"is not authentic: its stamp is not the HMAC-SHA256 stamp under audit key {key.id} "
                "(the log was rewritten, or re-stamped without the key)"
            )
            return [*problems, (broken, detail, AUDIT_NOT_AUTHENTIC.code)]
        detail = (
            "does not replay: its stamp or number does not chain onto the record before (the log was altered)"
        )
        return [*problems, (broken, detail, LOG_DOES_NOT_REPLAY.code)]
    try:
        check(session.definition, session.store, instance.id, key=key)
    except ReplayError as error:
        problems.append((error.seq, f"does not replay: {error.detail}", LOG_DOES_NOT_REPLAY.code))
    except WorkflowError as error:
        problems.append((0, f"replaying the log raised {error}", LOG_DOES_NOT_REPLAY.code))
    return problems


# --------------------------------------------------------------------------- shared steps


def _read(common: Common, show: Callable[[Session], _T]) -> _T:
    """Open the spec and the store (never creating one) and run a reading command."""
    definition = Definition(compiled(common.spec))
    with open_session(definition, common.db, common.now, audit_key=common.audit_key_file) as session:
        return show(session)


def _mutate(common: Common, instance_id: str, step: Callable[[Session], list[str]]) -> None:
    """Run one step on an existing instance, deliver its emitted events, and show what it recorded."""
    definition = Definition(compiled(common.spec))
    with open_session(definition, common.db, common.now, audit_key=common.audit_key_file) as session:
        version = session.instance(instance_id).version
        notes = session.cascade(instance_id, lambda: step(session))
        _show_steps(session, instance_id, version, common.format, notes)


def _show_steps(
    session: Session, instance_id: str, version: int, format: OutputFormat, notes: Sequence[str] = ()
) -> None:
    """Print the records an instance gained after `version` and where it is now."""
    instance = session.runtime.load(instance_id)
    records = session.records_after(instance_id, version)
    if format is OutputFormat.JSON:
        timers = session.store.timers(instance_id)
        owed = session.store.work(instance_id)
        emit_json(
            {
                "instance": status_document(session.definition, instance, timers, owed),
                "records": [record_document(record) for record in records],
                "notes": list(notes),
            }
        )
        return
    typer.echo(log_table(records) if records else "no new audit records")
    for note in notes:
        typer.echo(f"note: {note}")
    typer.echo(_summary(session, instance))


def _summary(session: Session, instance: Instance) -> str:
    """Where an instance is, the work it owes (with keys to report) and its next timer."""
    lines = [f"{instance.id} is {instance.status} in {states(instance.active)}"]
    for item in session.store.work(instance.id):
        lines.append(f"  owes {item.kind} {item.action}: key {item.key}")
    timers = session.store.timers(instance.id)
    if timers:
        first = timers[0]
        lines.append(f"  next timer {first.key} due {iso(first.due_ms)}")
    return "\n".join(lines)
