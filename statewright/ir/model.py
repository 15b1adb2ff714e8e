"""The intermediate representation: one flat, explicit, typed machine.

Everything after lowering reads only these values: verification rules, every
target, the runtime's tables.  Sagas, approvals, checkpoints and retries are
already lowered into ordinary states and transitions here; their tables
(`Saga`, `Approval`, `Checkpoint`) keep what the runtime and the targets need
beyond the graph.  All collections are tuples in a deterministic order (source
order, nested states in pre-order) so the same source always gives the same IR.

The JSON form and its schema live in `json_form.py` and `schema/ir.schema.json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, TypeAlias

from statewright.source import NO_SPAN, Span

__all__ = [
    "ERROR_FIELDS",
    "INPUT_SCOPES",
    "IR_VERSION",
    "Action",
    "Approval",
    "ApprovalLevel",
    "Assign",
    "BackoffKind",
    "BinOp",
    "BinaryOp",
    "Call",
    "Checkpoint",
    "ContextField",
    "Durability",
    "Emit",
    "Event",
    "EventKind",
    "Expr",
    "FieldType",
    "Hosting",
    "In",
    "InputScope",
    "Invariant",
    "Invoke",
    "Jitter",
    "Language",
    "Lit",
    "Machine",
    "RateUnit",
    "Reject",
    "Rename",
    "Requirements",
    "RetryPolicy",
    "Routing",
    "Saga",
    "SagaStep",
    "SoftTimeout",
    "State",
    "StateKind",
    "StateRole",
    "Transition",
    "TransitionKind",
    "TypeName",
    "Unary",
    "UnaryOp",
    "Value",
    "Var",
    "VendorLock",
    "Volume",
    "input_of",
]

IR_VERSION = 2
"""Bumped whenever the shape of the IR (and so its JSON Schema) changes."""


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


# --------------------------------------------------------------------------- types and values

TypeName: TypeAlias = Literal["int", "decimal", "bool", "string", "enum"]
Value: TypeAlias = int | Decimal | bool | str
"""A context value. Its Python type follows its declared type: `int` for int, a
finite `Decimal` (or an `int`, which promotes) for decimal, `bool` for bool, `str`
for string and for enum members. Note that `True == 1` and `Decimal(5) == 5` in
Python, so compare JSON dumps when the value *type* matters."""


@dataclass(frozen=True, slots=True)
class FieldType:
    """A context field's type with its declared domain."""

    name: TypeName
    min: int | Decimal | None = None
    max: int | Decimal | None = None
    members: tuple[str, ...] = ()

    def describe(self) -> str:
        """Return the type as a user would write it."""
        if self.name == "enum":
            return "enum { " + ", ".join(self.members) + " }"
        if self.min is not None and self.max is not None:
            return f"{self.name} {self.min}..{self.max}"
        if self.min is not None:
            return f"{self.name} >= {self.min}"
        if self.max is not None:
            return f"{self.name} <= {self.max}"
        return self.name


@dataclass(frozen=True, slots=True)
class ContextField:
    """One typed context field; `default` is None when the caller must supply it."""

    name: str
    type: FieldType
    default: Value | None = None
    span: Span = _span()


# --------------------------------------------------------------------------- typed expressions


@dataclass(frozen=True, slots=True)
class Lit:
    """A constant; enum members carry `type` "enum" and the member name as value."""

    value: Value
    type: TypeName
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Var:
    """A reference to a context field, or to the data of the transition's trigger.

    A context field is its name (`amount`). Data that arrives with a transition
    is named by where it comes from, a dot, and the field (see `INPUT_SCOPES`):
    `event.amount` (the triggering event's payload), `result.receipt` (the
    finished work's result), `error.name` and `error.message` (the failure a
    dead letter, an error catch or `compensation_failed` handles). A name never
    holds a dot otherwise, so the two cannot clash.
    """

    name: str
    type: TypeName
    span: Span = _span()


InputScope: TypeAlias = Literal["event", "result", "error"]
INPUT_SCOPES: tuple[InputScope, ...] = ("event", "result", "error")
"""Where a transition's input comes from: an event's payload, work's result, a failure."""

ERROR_FIELDS: tuple[str, ...] = ("name", "message")
"""The fields of `error` (both strings): the error's name and its message."""


def input_of(name: str) -> tuple[InputScope, str] | None:
    """`event.amount` -> ("event", "amount"); None for a context field."""
    scope, dot, field_name = name.partition(".")
    if not dot:
        return None
    for known in INPUT_SCOPES:
        if scope == known:
            return known, field_name
    return None


UnaryOp: TypeAlias = Literal["-", "not"]
BinaryOp: TypeAlias = Literal["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or"]


@dataclass(frozen=True, slots=True)
class Unary:
    """`-x` (numeric) or `not x` (bool)."""

    op: UnaryOp
    operand: Expr
    type: TypeName
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BinOp:
    """Arithmetic, comparison, or boolean `and`/`or` of two typed operands."""

    op: BinaryOp
    left: Expr
    right: Expr
    type: TypeName
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class In:
    """`operand in {values}` (or `not in`); always bool."""

    operand: Expr
    values: tuple[Lit, ...]
    negated: bool = False
    type: TypeName = "bool"
    span: Span = _span()


Expr: TypeAlias = Lit | Var | Unary | BinOp | In


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True, slots=True)
class Call:
    """Run a user handler by name; `key` is its idempotency key template."""

    name: str
    key: str | None = None
    service: str | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Assign:
    """Set a context field to the value of a typed expression."""

    field: str
    value: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Emit:
    """Raise an event, processed after the current transition completes."""

    event: str
    span: Span = _span()


Action: TypeAlias = Call | Assign | Emit


# --------------------------------------------------------------------------- policies


Jitter: TypeAlias = Literal["none", "full", "equal", "decorrelated"]
BackoffKind: TypeAlias = Literal["fixed", "linear", "exponential"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How failed work is retried. `max_retries` None means unlimited."""

    max_retries: int | None
    backoff: BackoffKind = "fixed"
    base_ms: int = 0
    cap_ms: int | None = None
    factor: Decimal = Decimal(2)
    jitter: Jitter = "none"
    retry_on: tuple[str, ...] = ()
    dead_letter: str | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Invoke:
    """Bounded work a state starts on entry; its outcome drives `done`/`error` transitions."""

    action: str
    key: str | None = None
    service: str | None = None
    retry: RetryPolicy | None = None
    heartbeat_ms: int | None = None
    result: tuple[ContextField, ...] = ()
    """The typed fields the work returns (`result.F` on its `done` transitions)."""
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class SoftTimeout:
    """A warn-only timer: after `after_ms` in the state, record a warning and run actions."""

    after_ms: int
    message: str | None = None
    actions: tuple[Action, ...] = ()
    span: Span = _span()


# --------------------------------------------------------------------------- states and transitions


StateKind: TypeAlias = Literal["atomic", "compound", "parallel", "final"]
StateRole: TypeAlias = Literal[
    "state",
    "region",
    "saga",
    "saga_step",
    "compensation",
    "approval",
    "approval_route",
    "approval_level",
    "approval_region",
    "approval_granted",
    "checkpoint",
]


@dataclass(frozen=True, slots=True)
class State:
    """One state. `parent` is None at top level; compound/parallel states list children."""

    name: str
    kind: StateKind
    parent: str | None = None
    initial: str | None = None
    children: tuple[str, ...] = ()
    role: StateRole = "state"
    entry: tuple[Action, ...] = ()
    exit: tuple[Action, ...] = ()
    invoke: Invoke | None = None
    soft_timeouts: tuple[SoftTimeout, ...] = ()
    waits: bool = False
    outcome: Literal["success", "failure"] | None = None
    outcome_reason: str | None = None
    doc: str | None = None
    span: Span = _span()


TransitionKind: TypeAlias = Literal["event", "timeout", "done", "error", "completion", "always"]
"""event: an external event; timeout: a timer ran out; done/error: the state's
invoked work finished or failed for good; completion: a compound state's child
(or every region of a parallel state) reached a final state; always: taken at
once when its guard holds (routing choices)."""


@dataclass(frozen=True, slots=True)
class Transition:
    """A move from `source` to `target` (None: stay, run actions only).

    `event` names the triggering event for kind `event`; for kind `error` it
    names the error the transition catches (`on error PaymentDeclined -> X`),
    None catching any error (a dead letter, a saga's failure path).
    """

    source: str
    kind: TransitionKind
    target: str | None
    event: str | None = None
    guard: Expr | None = None
    is_else: bool = False
    after_ms: int | None = None
    actions: tuple[Action, ...] = ()
    permissions: tuple[str, ...] = ()
    scope: str | None = None
    evidence: tuple[str, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Reject:
    """An explicit refusal (`reject`) or silent drop (`ignore`) of an event in a state."""

    state: str
    event: str
    kind: Literal["reject", "ignore"]
    reason: str | None = None
    span: Span = _span()


EventKind: TypeAlias = Literal["external", "approval", "checkpoint"]


@dataclass(frozen=True, slots=True)
class Event:
    """An event the machine accepts from outside; approval/checkpoint events are implicit."""

    name: str
    kind: EventKind = "external"
    doc: str | None = None
    payload: tuple[ContextField, ...] = ()
    """The typed fields the event carries (`event.F` on transitions it triggers); a
    field with a default may be left out when sending."""
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Invariant:
    """A boolean expression over the context that must always hold; `text` is its source."""

    expr: Expr
    text: str
    span: Span = _span()


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True, slots=True)
class SagaStep:
    """One saga step: its forward state and, if it has one, its compensation state."""

    index: int
    action: str
    state: str
    key: str | None
    compensation: str | None = None
    compensation_state: str | None = None
    compensation_key: str | None = None
    no_compensation: str | None = None
    pivot: bool = False
    service: str | None = None
    timeout_ms: int | None = None
    retry: RetryPolicy | None = None
    result: tuple[ContextField, ...] = ()
    """The typed fields the step's work returns (as its state's `Invoke.result`)."""
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Saga:
    """A saga's step table and outcomes; compensations run in reverse (LIFO) order."""

    state: str
    steps: tuple[SagaStep, ...]
    done: str | None
    compensated: str | None
    compensation_failed: str | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ApprovalLevel:
    """One approval level: who approves, how many must, and what happens on timeout."""

    number: int
    state: str
    approvers: tuple[str, ...]
    quorum: int
    condition: Expr | None = None
    timeout_ms: int | None = None
    escalate_to: str | None = None
    span: Span = _span()


Routing: TypeAlias = Literal["sequential", "parallel", "conditional"]


@dataclass(frozen=True, slots=True)
class Approval:
    """An approval flow: levels, routing, delegation, recall and outcomes."""

    state: str
    routing: Routing
    levels: tuple[ApprovalLevel, ...]
    delegation: bool
    approved: str | None
    rejected: str | None
    recall: str | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A human wait-for-acknowledgement with its timeout fallback."""

    state: str
    prompt: str | None
    assignee: str | None
    acknowledged: str | None
    timeout_ms: int | None
    fallback: str | None
    span: Span = _span()


# --------------------------------------------------------------------------- requirements

Durability: TypeAlias = Literal["none", "process_crash", "machine_loss", "zone_loss"]
"""What an instance must survive: nothing; its process crashing (state on a local disk);
losing its machine (replicated state); losing an availability zone (multi-zone state)."""
Hosting: TypeAlias = Literal["serverless", "managed", "self_hosted", "either"]
"""Who runs what: serverless (no servers of the team's, workers included); managed (a vendor
runs the engine, the team may run workers); self_hosted (the team runs everything); either."""
Language: TypeAlias = Literal["python", "typescript", "javascript", "java", "go", "dotnet", "any"]
"""The language the team writes its handlers (activities, job workers, task code) in."""
VendorLock: TypeAlias = Literal["avoid", "accept"]
"""Whether running only on one vendor's service is acceptable."""
RateUnit: TypeAlias = Literal["s", "m", "h", "d"]
"""The period of a volume: per second, minute, hour or day."""


@dataclass(frozen=True, slots=True)
class Volume:
    """Instances started per period at peak (`100/s` is count 100 per "s")."""

    count: int
    per: RateUnit


@dataclass(frozen=True, slots=True)
class Requirements:
    """What the workflow needs from the engine that runs it (`requirements { }`); None: not declared.

    Read only by the engine recommendation (`statewright check`): nothing an instance
    does depends on it, so it is not part of the definition's identity (`identity.py`)
    nor of the IR generated code embeds (`embedded.py`).
    """

    durability: Durability | None = None
    hosting: Hosting | None = None
    longest_run_ms: int | None = None
    volume: Volume | None = None
    human_steps: bool | None = None
    language: Language | None = None
    vendor_lock: VendorLock | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Rename:
    """`migrate { old -> new }`: a state of the previous version (`old`) is `new` in this one."""

    old: str
    new: str
    span: Span = _span()


# --------------------------------------------------------------------------- the machine


@dataclass(frozen=True, slots=True)
class Machine:
    """A whole lowered workflow."""

    name: str
    initial: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    events: tuple[Event, ...] = ()
    rejects: tuple[Reject, ...] = ()
    context: tuple[ContextField, ...] = ()
    invariants: tuple[Invariant, ...] = ()
    sagas: tuple[Saga, ...] = ()
    approvals: tuple[Approval, ...] = ()
    checkpoints: tuple[Checkpoint, ...] = ()
    version: int | None = None
    doc: str | None = None
    scope: str | None = None
    source: str = ""
    ir_version: int = IR_VERSION
    span: Span = _span()
    requirements: Requirements | None = None
    """Declared non-functional requirements; the JSON form leaves the member out when None."""
    migrations: tuple[Rename, ...] = ()
    """The previous version's states this one renames (`migrate { }`); the JSON form leaves the
    member out when empty, so a spec without the block keeps its JSON and identity."""

    def state(self, name: str) -> State:
        """Return the state called `name` (KeyError when there is none)."""
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(name)
