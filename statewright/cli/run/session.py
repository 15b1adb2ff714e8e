"""One `statewright run` invocation: the compiled spec, the store, the runtime, its clock, and failures.

A command compiles SPEC first (`compiled`: front-end errors stop it, printed as
`check` prints them); its session opens the SQLite store (only `start` may create one), and builds a
`Runtime` whose clock is fixed for the whole command: `--now` when given, the
system clock otherwise. Without `--now`, a command on an instance never records
a time before the instance's last step (after `tick --advance` moved it ahead,
later commands use the instance's time until the system clock catches up); an
explicit `--now` before the last step is a usage error.

Failures become `RunError`s, printed as `error[SWxxx]: message` with the
code's help (text, on stderr) or as one JSON document (`--format json`, on
stdout). Exit codes: 1 when the workflow refused a well-formed request (the
refusal is in the audit log, or the instance's status forbids it); 2 for usage
and input errors (a spec that does not compile, a missing or foreign store,
unknown instances or work, bad context values).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.text import Text

from statewright import ir
from statewright.cli.codes import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, INTERNAL_ERROR
from statewright.cli.files import exists
from statewright.cli.output import ReportFormat, emit_json, make_console, plural, print_findings
from statewright.cli.run.values import iso, parse_time
from statewright.diagnostics import CODES, Code, Diagnostic, Severity, has_errors
from statewright.pipeline import CompileResult, compile_path
from statewright.runtime.audit import AuditKey
from statewright.runtime.definition import Definition
from statewright.runtime.emits import cascade, deliver_emits
from statewright.runtime.errors import BAD_STORE, WorkflowError
from statewright.runtime.model import Commit, Instance, Record, Timer, Work
from statewright.runtime.runner import Runtime, system_clock
from statewright.runtime.sqlite import SQLiteStore
from statewright.runtime.store import Store

REFUSALS = frozenset(
    {"SW960", "SW961", "SW962", "SW963", "SW967", "SW968", "SW971", "SW975", "SW979"}
    | {"SW070", "SW071", "SW072", "SW073", "SW074"}  # an operator repair refused (`run reroute` ...)
)
"""Codes of refusals of a well-formed request (exit 1); every other runtime code is an input error (2)."""
T = TypeVar("T")


class OutputFormat(enum.StrEnum):
    """How a `run` subcommand prints its result."""

    TEXT = "text"
    JSON = "json"


class RunError(Exception):
    """Why a `run` subcommand stopped: a code, a message, notes, and the exit code it implies."""

    def __init__(
        self,
        code: Code,
        message: str,
        *,
        notes: Sequence[str] = (),
        help: str | None = None,
        diagnostics: Sequence[Diagnostic] = (),
        result: CompileResult | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.notes = tuple(notes)
        self.help = code.help if help is None else help
        self.diagnostics = tuple(diagnostics)
        self.result = result

    @classmethod
    def of(cls, error: WorkflowError, notes: Sequence[str] = ()) -> RunError:
        """The failure for a runtime error (its stable code and message)."""
        return cls(error.code, str(error.args[0]), notes=notes)

    @property
    def exit_code(self) -> int:
        """1 for a refusal of a well-formed request, 2 for usage and input errors."""
        return EXIT_FINDINGS if self.code.code in REFUSALS else EXIT_USAGE

    def document(self) -> dict[str, Any]:
        """The failure as one JSON document."""
        return {
            "error": {
                "code": self.code.code,
                "name": self.code.name,
                "message": self.message,
                "notes": list(self.notes),
                "help": self.help,
            },
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "exit_code": self.exit_code,
        }


def report_failure(failure: RunError, format: OutputFormat) -> int:
    """Print a failure (text on stderr, or a JSON document on stdout); return its exit code."""
    if format is OutputFormat.JSON:
        emit_json(failure.document())
        return failure.exit_code
    console = make_console(stderr=True)
    if failure.result is not None:
        source = failure.result.source
        print_findings(
            console,
            failure.diagnostics,
            lambda _name, number: source.line_text(number) if source is not None else "",
            ReportFormat.TEXT,
        )
        console.print()
        console.print(Text(failure.message, style="bold"))
        return failure.exit_code
    head = f"error[{failure.code.code}]"
    line = Text(f"{head}: {failure.message}")
    line.stylize("bold red", 0, len(head))
    console.print(line)
    for note in failure.notes:
        console.print(f"  = note: {note}")
    if failure.help:
        console.print(f"  = help: {failure.help}")
    return failure.exit_code


def execute(format: OutputFormat, body: Callable[[], int | None]) -> int:
    """Run a subcommand's body: its exit code (0 when it returns None), or a printed failure's."""
    try:
        code = body()
    except RunError as failure:
        return report_failure(failure, format)
    except WorkflowError as error:
        return report_failure(RunError.of(error), format)
    except UnicodeEncodeError as error:  # bytes that are not UTF-8 on the command line (nothing was applied)
        bad = ascii(error.object[error.start : error.end])
        raise typer.BadParameter(f"the command line holds bytes that are not UTF-8 ({bad})") from None
    return EXIT_OK if code is None else code


# --------------------------------------------------------------------------- the session


class Clock:
    """The command's clock: one fixed instant, moved only by the session."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        """The current instant in milliseconds since the epoch."""
        return self.now_ms


@dataclass
class Session:
    """The spec's definition, the store and a runtime on them, and the command's clock."""

    definition: Definition
    store: SQLiteStore
    clock: Clock
    fixed: bool
    """True when `--now` was given (the clock is then never moved to an instance's time)."""
    audit_key: AuditKey | None = None
    """The key of the keyed audit chain (`--audit-key-file`); None: the plain chain."""
    runtime: Runtime = field(init=False)

    def __post_init__(self) -> None:
        self.runtime = Runtime(self.definition, self.store, clock=self.clock, audit_key=self.audit_key)

    def instance(self, instance_id: str) -> Instance:
        """Load an instance of this workflow and keep the clock from running behind its last step."""
        instance = self.runtime.load(instance_id)
        if instance.updated_ms > self.clock.now_ms:
            if self.fixed:
                raise typer.BadParameter(
                    f"{iso(self.clock.now_ms)} is before the last step of `{instance_id}` "
                    f"({iso(instance.updated_ms)}); an audit log runs forward in time",
                    param_hint="'--now'",
                )
            self.clock.now_ms = instance.updated_ms
        return instance

    def records_after(self, instance_id: str, version: int) -> list[Record]:
        """The audit records of an instance after `version`."""
        return [record for record in self.store.records(instance_id) if record.seq > version]

    def deliver_emits(self, instance_id: str) -> None:
        """Send the events the instance's actions emitted (the only owed work the CLI runs itself).

        At most MAX_EMITTED_STEPS steps; past them SW979 (`runtime.emits`).
        """
        deliver_emits(self._courier(), instance_id)

    def cascade(self, instance_id: str, step: Callable[[], T]) -> T:
        """Take `step` on the instance and deliver what it emits, all or none (SW979 past the bound)."""
        return cascade(self.runtime, self._courier(), instance_id, step)

    def _courier(self) -> Runtime:
        """A runtime that sees only emitted events as owed work, so it needs no handlers."""
        return Runtime(self.definition, EmitsOnly(self.store), clock=self.clock, audit_key=self.audit_key)


@contextmanager
def open_session(
    definition: Definition, db: Path, now: str | None, *, create: bool = False, audit_key: Path | None = None
) -> Iterator[Session]:
    """Open the store at `db` (created only when `create`) for `definition`, and fix the clock.

    `audit_key` is the file holding the audit key, read before the store is opened.
    """
    now_ms = system_clock() if now is None else parse_time(now)
    key = None if audit_key is None else read_audit_key(audit_key)
    if not create and not exists(db):
        raise RunError(
            BAD_STORE,
            f"there is no store at `{db}`",
            help="`statewright run start SPEC --db FILE` creates one; check the path",
        )
    try:
        store = SQLiteStore(db)
    except WorkflowError as error:
        raise RunError.of(error) from None
    with store:
        yield Session(definition, store, Clock(now_ms), fixed=now is not None, audit_key=key)


def read_audit_key(path: Path) -> AuditKey:
    """The audit key in the file at `path`; a missing, unreadable or short file is a usage error."""
    try:
        return AuditKey.from_file(path)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise typer.BadParameter(
            f"cannot use `{path}` as the audit key: {reason}", param_hint="'--audit-key-file'"
        ) from None


def compiled(spec: Path) -> ir.Machine:
    """Compile SPEC with the front end; its errors stop the command (exit 2), printed like `check`."""
    result = compile_path(spec)
    if result.machine is not None and not has_errors(result.diagnostics):
        return result.machine
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    code = CODES.get(errors[0].code, INTERNAL_ERROR) if errors else INTERNAL_ERROR
    raise RunError(
        code,
        f"statewright run: `{spec}` does not compile: {plural(len(errors), 'error')}",
        help="fix the spec; `statewright check` reports every finding",
        diagnostics=result.diagnostics,
        result=result,
    )


# --------------------------------------------------------------------------- emitted events


class EmitsOnly:
    """A view of a store whose owed work is only emitted events, so `run_work` needs no handlers."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def apply(self, commit: Commit) -> None:
        """Apply a step to the underlying store."""
        self._store.apply(commit)

    def load(self, instance_id: str) -> Instance:
        """The stored snapshot."""
        return self._store.load(instance_id)

    def instances(self) -> Sequence[Instance]:
        """Every stored instance."""
        return self._store.instances()

    def records(self, instance_id: str) -> Sequence[Record]:
        """An instance's audit log."""
        return self._store.records(instance_id)

    def find_key(self, instance_id: str, key: str) -> Record | None:
        """The record an idempotency key was applied with."""
        return self._store.find_key(instance_id, key)

    def timers(self, instance_id: str | None = None) -> Sequence[Timer]:
        """Pending timers."""
        return self._store.timers(instance_id)

    def work(self, instance_id: str | None = None) -> Sequence[Work]:
        """Owed emitted events only (handler work stays for `statewright run work`)."""
        return [item for item in self._store.work(instance_id) if item.kind == "emit"]

    def finish_work(self, instance_id: str, key: str) -> None:
        """Mark owed work done."""
        self._store.finish_work(instance_id, key)

    def drop_timer(self, instance_id: str, key: str) -> None:
        """Remove a timer."""
        self._store.drop_timer(instance_id, key)

    def close(self) -> None:
        """Nothing to release: the underlying store belongs to the session."""
