"""Runtime errors: each has a stable code (registered like every other code) and says what to do.

A refused step raises one of these after its refusal was recorded (where the
audit log asks for evidence); the instance itself is unchanged.
"""

from __future__ import annotations

from statewright.diagnostics import Code, Severity, register


def _code(code: str, name: str, title: str, help: str) -> Code:
    return register(Code(code, name, Severity.ERROR, title, help))


EVENT_NOT_ALLOWED = _code(
    "SW960",
    "event-not-allowed",
    "the event is not allowed in the instance's current state",
    "send one of the events the state handles (`statewright run status` lists them)",
)
EVENT_REJECTED = _code(
    "SW961",
    "event-rejected",
    "the workflow refuses this event in the current state",
    "the refusal and its reason are in the audit log; wait for a state that accepts it",
)
NO_GUARD_HOLDS = _code(
    "SW962",
    "no-guard-holds",
    "no guard of the event's transitions holds for the current context",
    "check the context values against the guards; `statewright check` reports such gaps (SW403)",
)
PERMISSION_DENIED = _code(
    "SW963",
    "permission-denied",
    "the actor lacks a permission or scope the transition requires",
    "send the event as an actor holding the permissions the transition `requires`",
)
UNKNOWN_INSTANCE = _code(
    "SW964",
    "unknown-instance",
    "no instance with this id exists in the store",
    "list instances with `statewright run list`",
)
BAD_STORE = _code(
    "SW965",
    "bad-store",
    "the database is not a statewright store, or is damaged",
    "point `--db` at a store statewright created, or at a new file",
)
BAD_CONTEXT = _code(
    "SW966",
    "bad-context-value",
    "a context value does not fit the field's declared type",
    "give a value of the declared type within its bounds (see the workflow's `context`)",
)
CONFLICT = _code(
    "SW967",
    "concurrent-update",
    "another writer changed the instance first",
    "reload the instance and send the event again; nothing was applied",
)
NOT_RUNNING = _code(
    "SW968",
    "instance-not-running",
    "the instance is paused, cancelled or finished",
    "resume a paused instance first; a cancelled or finished instance takes no events",
)
WRONG_WORKFLOW = _code(
    "SW969",
    "wrong-workflow",
    "the instance belongs to another workflow or version",
    "open the instance with the workflow definition that created it",
)
UNKNOWN_HANDLER = _code(
    "SW970",
    "unknown-handler",
    "no handler is registered for an action the workflow calls",
    "register a handler for every `do`/`invoke` action name before running work",
)
INVARIANT_BROKEN = _code(
    "SW971",
    "invariant-broken",
    "the step would break an invariant or a field's range",
    "nothing was applied; `statewright check` proves `set` actions safe (SW405/SW406)",
)
UNKNOWN_WORK = _code(
    "SW972",
    "unknown-work",
    "the instance owes no work with this key",
    "list the owed work with `statewright run status`; each item shows its key",
)
LOG_DOES_NOT_REPLAY = _code(
    "SW973",
    "log-does-not-replay",
    "an audit record does not replay: the log and the stored state disagree",
    "the log or the store was altered, or the instance ran on another definition; "
    "restore the store from a backup, and open it with the workflow version that wrote it",
)


class WorkflowError(Exception):
    """A refusal or failure of the runtime, with its stable code."""

    code: Code = EVENT_NOT_ALLOWED

    def __init__(self, message: str, *, code: Code | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code.code}: {self.args[0]}"


class EventNotAllowed(WorkflowError):
    """Nothing in the active states handles the event."""

    code = EVENT_NOT_ALLOWED


class EventRejected(WorkflowError):
    """An explicit `reject` refused the event."""

    code = EVENT_REJECTED


class NoGuardHolds(WorkflowError):
    """Guards decide the event and none holds."""

    code = NO_GUARD_HOLDS


class PermissionDenied(WorkflowError):
    """The governance gate refused the actor."""

    code = PERMISSION_DENIED


class UnknownInstance(WorkflowError):
    """No such instance in the store."""

    code = UNKNOWN_INSTANCE


class StoreError(WorkflowError):
    """The store is not usable (foreign or damaged database)."""

    code = BAD_STORE


class BadContext(WorkflowError):
    """A context value does not fit its field."""

    code = BAD_CONTEXT


class ConcurrentUpdate(WorkflowError):
    """Another writer committed first; nothing was applied."""

    code = CONFLICT


class NotRunning(WorkflowError):
    """The instance takes no events in its status."""

    code = NOT_RUNNING


class WrongWorkflow(WorkflowError):
    """The stored instance belongs to another workflow."""

    code = WRONG_WORKFLOW


class UnknownHandler(WorkflowError):
    """An action has no registered handler."""

    code = UNKNOWN_HANDLER


class InvariantBroken(WorkflowError):
    """Applying the step would break an invariant or a range."""

    code = INVARIANT_BROKEN


class UnknownWork(WorkflowError):
    """No owed work has the key a result was reported for."""

    code = UNKNOWN_WORK
