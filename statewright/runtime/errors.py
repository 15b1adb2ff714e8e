"""Runtime errors: each has a stable code (in `diagnostics.catalog.runtime`) and says what to do.

A refused step raises one of these after its refusal was recorded (where the
audit log asks for evidence); the instance itself is unchanged.
"""

from __future__ import annotations

from statewright.diagnostics import Code
from statewright.diagnostics.catalog.runtime import (
    AUDIT_KEY_MISMATCH,
    AUDIT_NOT_AUTHENTIC,
    BAD_CONTEXT,
    DEFINITION_CHANGED,
    EVENT_NOT_ALLOWED,
    EVENT_REJECTED,
    INVARIANT_BROKEN,
    KEY_REUSED,
    NO_GUARD_HOLDS,
    NOT_RUNNING,
    PAYLOAD_INVALID,
    PERMISSION_DENIED,
    UNKNOWN_HANDLER,
    UNKNOWN_INSTANCE,
    UNKNOWN_WORK,
    WRONG_WORKFLOW,
)
from statewright.diagnostics.catalog.runtime import BAD_STORE as BAD_STORE
from statewright.diagnostics.catalog.runtime import CONFLICT as CONFLICT
from statewright.diagnostics.catalog.runtime import LOG_DOES_NOT_REPLAY as LOG_DOES_NOT_REPLAY
from statewright.semantics.inputs import FieldProblem


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


class InstanceExists(ConcurrentUpdate):
    """`start` named an instance id the store already holds; nothing was created.

    A `ConcurrentUpdate` (two starters racing for one id is the same conflict),
    with its own name so a caller can tell "choose another id" from "reload".
    """

    @classmethod
    def of(cls, instance_id: str) -> InstanceExists:
        """The error for `instance_id`, worded once for every store."""
        return cls(
            f"instance `{instance_id}` already exists; start it under another id (or none, for a fresh one)"
        )


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


class KeyReused(WorkflowError):
    """An idempotency key already applied to one request came with a different one; nothing changed."""

    code = KEY_REUSED


class DefinitionChanged(WorkflowError):
    """The instance was started by a definition whose IR differs from this one (same name and version)."""

    code = DEFINITION_CHANGED


class AuditKeyMismatch(WorkflowError):
    """The instance's audit chain is keyed with another key (or none) than the runtime holds."""

    code = AUDIT_KEY_MISMATCH


class AuditNotAuthentic(WorkflowError):
    """An audit stamp does not verify under the audit key."""

    code = AUDIT_NOT_AUTHENTIC


class PayloadInvalid(WorkflowError):
    """An event's payload is missing a field, has one the event does not declare, or one that does not fit.

    Checked before anything else (`semantics.inputs.check_fields`); the refusal is
    recorded and nothing is applied. `problems` are the fields and what is wrong.
    """

    code = PAYLOAD_INVALID

    def __init__(self, message: str, problems: tuple[FieldProblem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems
