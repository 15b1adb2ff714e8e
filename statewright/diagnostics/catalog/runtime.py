"""SW960-SW979: runtime refusals and failures.

Raised by `runtime/` as `WorkflowError`s (`runtime/errors.py`) and printed by
`statewright run`; every code has a help line that says what to do.
"""

from statewright.diagnostics.model import Code, Severity

EVENT_NOT_ALLOWED = Code(
    "SW960",
    "event-not-allowed",
    Severity.ERROR,
    "the event is not allowed in the instance's current state",
    "send one of the events the state handles (`statewright run status` lists them)",
)
EVENT_REJECTED = Code(
    "SW961",
    "event-rejected",
    Severity.ERROR,
    "the workflow refuses this event in the current state",
    "the refusal and its reason are in the audit log; wait for a state that accepts it",
)
NO_GUARD_HOLDS = Code(
    "SW962",
    "no-guard-holds",
    Severity.ERROR,
    "no guard of the event's transitions holds for the current context",
    "check the context values against the guards; `statewright check` reports such gaps (SW403)",
)
PERMISSION_DENIED = Code(
    "SW963",
    "permission-denied",
    Severity.ERROR,
    "the actor lacks a permission or scope the transition requires",
    "send the event as an actor holding the permissions the transition `requires`",
)
UNKNOWN_INSTANCE = Code(
    "SW964",
    "unknown-instance",
    Severity.ERROR,
    "no instance with this id exists in the store",
    "list instances with `statewright run list`",
)
BAD_STORE = Code(
    "SW965",
    "bad-store",
    Severity.ERROR,
    "the database is not a statewright store, or is damaged",
    "point `--db` at a store statewright created, or at a new file",
)
BAD_CONTEXT = Code(
    "SW966",
    "bad-context-value",
    Severity.ERROR,
    "a context value does not fit the field's declared type",
    "give a value of the declared type within its bounds (see the workflow's `context`)",
)
CONFLICT = Code(
    "SW967",
    "concurrent-update",
    Severity.ERROR,
    "another writer changed the instance first",
    "reload the instance and send the event again; nothing was applied",
)
NOT_RUNNING = Code(
    "SW968",
    "instance-not-running",
    Severity.ERROR,
    "the instance is paused, cancelled or finished",
    "resume a paused instance first; a cancelled or finished instance takes no events",
)
WRONG_WORKFLOW = Code(
    "SW969",
    "wrong-workflow",
    Severity.ERROR,
    "the instance belongs to another workflow or version",
    "open the instance with the workflow definition that created it",
)
UNKNOWN_HANDLER = Code(
    "SW970",
    "unknown-handler",
    Severity.ERROR,
    "no handler is registered for an action the workflow calls",
    "register a handler for every `do`/`invoke` action name before running work",
)
INVARIANT_BROKEN = Code(
    "SW971",
    "invariant-broken",
    Severity.ERROR,
    "the step would break an invariant or a field's range",
    "nothing was applied; `statewright check` proves `set` actions safe (SW405/SW406)",
)
UNKNOWN_WORK = Code(
    "SW972",
    "unknown-work",
    Severity.ERROR,
    "the instance owes no work with this key",
    "list the owed work with `statewright run status`; each item shows its key",
)
LOG_DOES_NOT_REPLAY = Code(
    "SW973",
    "log-does-not-replay",
    Severity.ERROR,
    "an audit record does not replay: the log and the stored state disagree",
    "the log or the store was altered, or the instance ran on another definition; "
    "restore the store from a backup, and open it with the workflow version that wrote it",
)
PAYLOAD_INVALID = Code(
    "SW974",
    "payload-invalid",
    Severity.ERROR,
    "an event's payload (or a reported work result) does not fit the fields declared for it",
    "give every declared field (one with a default may be left out), no other, each of its declared "
    "type within its bounds; nothing was applied",
)
KEY_REUSED = Code(
    "SW975",
    "idempotency-key-reused",
    Severity.ERROR,
    "the idempotency key was already applied to a different request",
    "give each new request its own key; re-sending the same request with the same key returns its result",
)
DEFINITION_CHANGED = Code(
    "SW976",
    "definition-changed",
    Severity.ERROR,
    "the instance was started by another definition of this workflow and version",
    "run each instance with the spec that started it; to change a deployed spec, bump its `version` and "
    "move the instances with `statewright run migrate` (`statewright diff` shows which can move)",
)
AUDIT_KEY_MISMATCH = Code(
    "SW977",
    "audit-key-mismatch",
    Severity.ERROR,
    "the instance's audit chain is keyed with another audit key, or with none",
    "open the instance with the audit key that started it (`--audit-key-file` or STATEWRIGHT_AUDIT_KEY_FILE)",
)
AUDIT_NOT_AUTHENTIC = Code(
    "SW978",
    "audit-not-authentic",
    Severity.ERROR,
    "an audit stamp does not verify under the audit key: the log was rewritten",
    "someone without the key wrote the store; restore it from a backup and find who had write access",
)
EMIT_CASCADE = Code(
    "SW979",
    "emit-cascade",
    Severity.ERROR,
    "emitted events kept re-triggering each other past the bound on one external step",
    "nothing was applied; break the cycle of emits the verifier reports as SW312 (an emit that "
    "moves on, or a guard that stops it)",
)
