"""The abstract syntax tree of a `.wf` file: frozen dataclasses, one per construct.

The tree keeps source order (the formatter prints it back) and a `Span` on every
node.  Spans and comments never take part in equality, so two trees are equal
when they say the same thing, however they are laid out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, TypeAlias

from statewright.source import NO_SPAN, Span


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class IntLit:
    """An integer literal (non-negative; negation is a `Negate` node)."""

    value: int
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DecimalLit:
    """A decimal literal such as `10.50`, kept exact."""

    value: Decimal
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class StringLit:
    """A string literal, already unescaped."""

    value: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BoolLit:
    """`true` or `false`."""

    value: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class NameRef:
    """A bare name: a context field or an enum member, resolved during lowering."""

    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class MemberRef:
    """`scope.field`: data arriving with a transition (`event.amount`, `result.rate`, `error.message`)."""

    scope: str
    field: str
    span: Span = _span()

    @property
    def name(self) -> str:
        """The written reference, `scope.field`."""
        return f"{self.scope}.{self.field}"


@dataclass(frozen=True, slots=True)
class Negate:
    """Arithmetic negation `-x`."""

    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Not:
    """Boolean negation `not x`."""

    operand: Expr
    span: Span = _span()


ArithOp: TypeAlias = Literal["+", "-", "*", "/", "%"]
CompareOp: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True, slots=True)
class Binary:
    """Left-associative arithmetic `left op right`."""

    op: ArithOp
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison `left op right`; comparisons do not chain."""

    op: CompareOp
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BoolOp:
    """`a and b and c` or `a or b`: flat, never directly nested with the same op."""

    op: Literal["and", "or"]
    operands: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class InSet:
    """Membership `x in {a, b}` (or `not in` when `negated`)."""

    operand: Expr
    members: tuple[Literal_, ...]
    negated: bool = False
    span: Span = _span()


Literal_: TypeAlias = IntLit | DecimalLit | StringLit | BoolLit | NameRef | Negate
Expr: TypeAlias = (
    IntLit
    | DecimalLit
    | StringLit
    | BoolLit
    | NameRef
    | MemberRef
    | Negate
    | Not
    | Binary
    | Compare
    | BoolOp
    | InSet
)


def make_boolop(op: Literal["and", "or"], operands: tuple[Expr, ...], span: Span = NO_SPAN) -> Expr:
    """Build a flat `and`/`or`, splicing in operands that use the same operator."""
    flat: list[Expr] = []
    for operand in operands:
        if isinstance(operand, BoolOp) and operand.op == op:
            flat.extend(operand.operands)
        else:
            flat.append(operand)
    if len(flat) == 1:
        return flat[0]
    return BoolOp(op, tuple(flat), span)


# --------------------------------------------------------------------------- context


@dataclass(frozen=True, slots=True)
class IntType:
    """`int`, optionally bounded (`int >= 0`, `int <= 9`, `int 1..5`)."""

    min: int | None = None
    max: int | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DecimalType:
    """`decimal`, optionally bounded like `int`."""

    min: Decimal | None = None
    max: Decimal | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BoolType:
    """`bool`."""

    span: Span = _span()


@dataclass(frozen=True, slots=True)
class StringType:
    """`string`."""

    span: Span = _span()


@dataclass(frozen=True, slots=True)
class EnumType:
    """`enum { a, b, c }`."""

    members: tuple[str, ...]
    span: Span = _span()


TypeSpec: TypeAlias = IntType | DecimalType | BoolType | StringType | EnumType


@dataclass(frozen=True, slots=True)
class Field:
    """One context field: `name: type [= default]`."""

    name: str
    type: TypeSpec
    default: Literal_ | None = None
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True, slots=True)
class Context:
    """The typed `context { ... }` block."""

    fields: tuple[Field, ...]
    span: Span = _span()


# --------------------------------------------------------------------------- workflow-level items


@dataclass(frozen=True, slots=True)
class Version:
    """`version N`."""

    value: int
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Doc:
    """`doc "text"` on a workflow, state or other block."""

    text: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ScopeDecl:
    """`scope "lock"`: the workflow's default scope lock for governed transitions."""

    scope: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Invariant:
    """`invariant EXPR`: must hold in every reachable context."""

    expr: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class EventDecl:
    """One declared event, with its typed payload (`None`: no parentheses written) and documentation."""

    name: str
    doc: str | None = None
    span: Span = _span()
    payload: tuple[Field, ...] | None = None


@dataclass(frozen=True, slots=True)
class Events:
    """The `events { ... }` block."""

    events: tuple[EventDecl, ...]
    span: Span = _span()


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True, slots=True)
class DoAction:
    """`do name [key "template"]`: call a user handler."""

    name: str
    key: str | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class SetAction:
    """`set field = expr`: update the context."""

    target: str
    value: Expr
    span: Span = _span()
    target_span: Span = _span()


@dataclass(frozen=True, slots=True)
class EmitAction:
    """`emit event`: raise an event processed after the current transition."""

    event: str
    span: Span = _span()


Action: TypeAlias = DoAction | SetAction | EmitAction


# --------------------------------------------------------------------------- state items


@dataclass(frozen=True, slots=True)
class Transition:
    """`on EVENT [when GUARD | else] -> TARGET [requires ..] [scope ..] [evidence ..] [{ .. }]`."""

    event: str
    target: str
    guard: Expr | None = None
    is_else: bool = False
    error: str | None = None
    """`on error NAME`: the error name caught (then `event` is "error")."""
    requires: tuple[str, ...] = ()
    scope: str | None = None
    evidence: tuple[str, ...] = ()
    actions: tuple[Action, ...] | None = None
    span: Span = _span()
    event_span: Span = _span()
    target_span: Span = _span()


@dataclass(frozen=True, slots=True)
class Reject:
    """`reject EVENT ["reason"]`: the event is refused here, on purpose."""

    event: str
    reason: str | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Ignore:
    """`ignore EVENT`: the event is accepted and dropped here, on purpose."""

    event: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Entry:
    """`entry ACTION` or `entry { ACTIONS }`; `block` records which form was written."""

    actions: tuple[Action, ...]
    block: bool = field(default=False, compare=False)
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Exit:
    """`exit ACTION` or `exit { ACTIONS }`."""

    actions: tuple[Action, ...]
    block: bool = field(default=False, compare=False)
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Invoke:
    """`do ACTION [key "t"] [service name]` at state level: bounded work run on entry."""

    action: str
    key: str | None = None
    service: str | None = None
    span: Span = _span()
    returns: tuple[Field, ...] | None = None
    """`returns { fields }`: the work's typed result (None: no `returns` written)."""


Jitter: TypeAlias = Literal["none", "full", "equal", "decorrelated"]
BackoffKind: TypeAlias = Literal["fixed", "linear", "exponential"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """`backoff KIND BASE[..CAP] [factor X]`; durations in milliseconds."""

    kind: BackoffKind
    base_ms: int
    cap_ms: int | None = None
    factor: Decimal | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Retry:
    """A retry policy; `attempts` is None for `unlimited` (which the verifier flags)."""

    attempts: int | None
    backoff: Backoff | None = None
    jitter: Jitter | None = None
    retry_on: tuple[str, ...] = ()
    dead_letter: str | None = None
    span: Span = _span()
    dead_letter_span: Span = _span()
    dead_letter_actions: tuple[Action, ...] | None = None


@dataclass(frozen=True, slots=True)
class HardTimeout:
    """`timeout DURATION -> TARGET [{ actions }]`: leave the state when time runs out."""

    duration_ms: int
    target: str
    actions: tuple[Action, ...] | None = None
    span: Span = _span()
    target_span: Span = _span()


@dataclass(frozen=True, slots=True)
class SoftTimeout:
    """`warn after DURATION ["message"] [{ actions }]`: record a warning, stay put."""

    duration_ms: int
    message: str | None = None
    actions: tuple[Action, ...] | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """`heartbeat DURATION`: the invoked work must report progress this often."""

    duration_ms: int
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Outcome:
    """`KIND [when G | else] -> TARGET [{ actions }]`: a block's outcome (done, compensated, approved, ...).

    Only `done` of a plain or parallel state takes a guard.
    """

    kind: str
    target: str
    span: Span = _span()
    target_span: Span = _span()
    guard: Expr | None = None
    is_else: bool = False
    actions: tuple[Action, ...] | None = None


@dataclass(frozen=True, slots=True)
class Always:
    """`always [when G | else] -> TARGET [{ actions }]`: an eventless choice, taken on entry."""

    target: str
    guard: Expr | None = None
    is_else: bool = False
    actions: tuple[Action, ...] | None = None
    span: Span = _span()
    target_span: Span = _span()


@dataclass(frozen=True, slots=True)
class FinalOutcome:
    """`outcome success|failure ["reason"]` in a final state."""

    kind: Literal["success", "failure"]
    reason: str | None = None
    span: Span = _span()


# --------------------------------------------------------------------------- states


@dataclass(frozen=True, slots=True)
class State:
    """`[initial] state NAME [{ ... }]`: atomic, or compound when it holds states."""

    name: str
    items: tuple[StateItem, ...] = ()
    initial: bool = False
    has_body: bool = field(default=True, compare=False)
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True, slots=True)
class FinalState:
    """`[initial] final state NAME [{ doc / entry / outcome }]`."""

    name: str
    items: tuple[FinalItem, ...] = ()
    initial: bool = False
    has_body: bool = field(default=False, compare=False)
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True, slots=True)
class Region:
    """`region NAME { states }` inside a parallel state."""

    name: str
    items: tuple[Doc | StateDecl, ...] = ()
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True, slots=True)
class ParallelState:
    """`parallel NAME { regions, transitions, done -> T }`: regions run together."""

    name: str
    items: tuple[ParallelItem, ...] = ()
    initial: bool = False
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True, slots=True)
class Step:
    """`step ACTION [clauses]`: one saga step."""

    action: str
    key: str | None = None
    compensate: str | None = None
    compensate_key: str | None = None
    no_compensation: str | None = None
    pivot: bool = False
    service: str | None = None
    timeout_ms: int | None = None
    retry: Retry | None = None
    span: Span = _span()
    returns: tuple[Field, ...] | None = None
    then: tuple[Action, ...] | None = None


@dataclass(frozen=True, slots=True)
class SagaState:
    """`saga NAME { steps, outcomes }`."""

    name: str
    items: tuple[SagaItem, ...] = ()
    initial: bool = False
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True, slots=True)
class Approver:
    """`kind:name`, e.g. `role:manager` or `user:"ann@example.com"`."""

    kind: str
    name: str
    quoted: bool = field(default=False, compare=False)
    span: Span = _span()

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True, slots=True)
class Level:
    """`level N [when GUARD] { approvers .. quorum .. timeout .. escalate -> .. }`."""

    number: int
    condition: Expr | None = None
    approvers: tuple[Approver, ...] = ()
    quorum: int | None = None
    quorum_all: bool = False
    timeout_ms: int | None = None
    escalate_level: int | None = None
    escalate_state: str | None = None
    span: Span = _span()
    escalate_span: Span = _span()


@dataclass(frozen=True, slots=True)
class Routing:
    """`routing sequential|parallel|conditional`."""

    kind: Literal["sequential", "parallel", "conditional"]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Delegation:
    """`delegation allowed|forbidden`."""

    allowed: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ApprovalState:
    """`approval NAME { levels, routing, delegation, outcomes }`."""

    name: str
    items: tuple[ApprovalItem, ...] = ()
    initial: bool = False
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True, slots=True)
class Prompt:
    """`prompt "text"`: what the person at a checkpoint is asked."""

    text: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Assignee:
    """`assignee kind:name`: who must acknowledge a checkpoint."""

    approver: Approver
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class CheckpointState:
    """`checkpoint NAME { prompt, assignee, acknowledged -> T, timeout D -> F }`."""

    name: str
    items: tuple[CheckpointItem, ...] = ()
    initial: bool = False
    span: Span = _span()
    name_span: Span = _span()


StateDecl: TypeAlias = State | FinalState | ParallelState | SagaState | ApprovalState | CheckpointState
CommonItem: TypeAlias = Doc | Transition | Reject | Ignore | Entry | Exit
StateItem: TypeAlias = (
    CommonItem | StateDecl | Invoke | Retry | HardTimeout | SoftTimeout | Heartbeat | Outcome | Always
)
FinalItem: TypeAlias = Doc | Entry | FinalOutcome
ParallelItem: TypeAlias = CommonItem | HardTimeout | SoftTimeout | Region | Outcome
SagaItem: TypeAlias = CommonItem | SoftTimeout | Step | Outcome
ApprovalItem: TypeAlias = CommonItem | HardTimeout | SoftTimeout | Routing | Level | Delegation | Outcome
CheckpointItem: TypeAlias = CommonItem | HardTimeout | SoftTimeout | Prompt | Assignee | Outcome


# --------------------------------------------------------------------------- the file


@dataclass(frozen=True, slots=True)
class Comment:
    """A `# ...` comment with its position, kept so the formatter can print it back."""

    text: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Requirement:
    """`key: value` in a `requirements` block, kept as written; lowering checks key and value.

    `kind` is how the value was written: a `word` (`machine_loss`, `yes`), a `duration`
    (`90d`, `amount` in milliseconds), a `rate` (`100/s`: `amount` 100, `unit` "s") or a
    bare `number` (`amount`; never valid, reported with a hint).
    """

    key: str
    kind: Literal["word", "duration", "rate", "number"]
    word: str | None = None
    amount: int | None = None
    unit: str | None = None
    span: Span = _span()
    key_span: Span = _span()
    value_span: Span = _span()


@dataclass(frozen=True, slots=True)
class Requirements:
    """`requirements { key: value ... }`: what the workflow needs from its engine."""

    items: tuple[Requirement, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Rename:
    """`Old -> New` in a `migrate` block: a state of the previous version and its name in this one."""

    old: str
    new: str
    span: Span = _span()
    old_span: Span = _span()
    new_span: Span = _span()


@dataclass(frozen=True, slots=True)
class Migrate:
    """`migrate { Old -> New ... }`: the states of the previous version this one renames."""

    renames: tuple[Rename, ...]
    span: Span = _span()


WorkflowItem: TypeAlias = (
    Version
    | Doc
    | ScopeDecl
    | Context
    | Invariant
    | Events
    | StateDecl
    | Reject
    | Ignore
    | Requirements
    | Migrate
)


@dataclass(frozen=True, slots=True)
class Workflow:
    """One `workflow NAME { ... }` with its items in source order."""

    name: str
    items: tuple[WorkflowItem, ...] = ()
    comments: tuple[Comment, ...] = field(default=(), compare=False)
    span: Span = _span()
    name_span: Span = _span()
