"""Hypothesis strategies for random, schema-valid IR values: every type and every optional field.

The machines are valid in shape (what the JSON Schema promises), not in meaning: names
need not refer to declared states, so use them for serialisation, not for verification.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar, get_args

from hypothesis import strategies as st

from statewright import ir
from statewright.source import Span

T = TypeVar("T")

_AWKWARD = "\"'\\/\n\r\t\x00\x01\x1b\x1f\x7f\x85\u00a0\u2028\u2029\ufeff\U0001f600{}[]:,"
"""Characters that JSON encoders get wrong: quotes, backslashes, controls, odd line breaks."""

_chars = st.one_of(st.characters(), st.sampled_from(_AWKWARD))
texts: st.SearchStrategy[str] = st.text(_chars, max_size=12)
"""Any text, including the empty string."""
names: st.SearchStrategy[str] = st.text(_chars, min_size=1, max_size=10)
"""Non-empty text, as the schema demands of names."""
counts: st.SearchStrategy[int] = st.integers(min_value=0) | st.integers(min_value=2**63 - 2, max_value=2**70)
milliseconds = counts
ints: st.SearchStrategy[int] = st.integers() | st.sampled_from([0, -1, 2**64, -(2**64)])


def _decimal(sign: int, digits: list[int], exponent: int) -> Decimal:
    return Decimal((sign, tuple(digits), exponent))


decimals: st.SearchStrategy[Decimal] = st.one_of(
    st.builds(
        _decimal,
        st.integers(0, 1),
        st.lists(st.integers(0, 9), min_size=1, max_size=25),
        st.integers(-40, 40),
    ),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [Decimal("0"), Decimal("-0"), Decimal("1.50"), Decimal("1E+3"), Decimal("0E-7"), Decimal("5")]
    ),
)
"""Finite decimals with every exponent form: trailing zeros, negative zero, scientific notation."""
numbers: st.SearchStrategy[int | Decimal] = st.one_of(ints, decimals)


def optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    """Return `strategy` or None, so every optional field is exercised both ways."""
    return st.none() | strategy


def tuples(strategy: st.SearchStrategy[T], max_size: int = 3) -> st.SearchStrategy[tuple[T, ...]]:
    """Return short tuples of `strategy`, as the IR's collections are tuples."""
    return st.lists(strategy, max_size=max_size).map(tuple)


spans: st.SearchStrategy[Span] = st.builds(
    Span,
    line=st.integers(1, 10**6),
    column=st.integers(1, 10**4),
    end_line=st.integers(1, 10**6),
    end_column=st.integers(1, 10**4),
    offset=st.integers(0, 10**7),
    end_offset=st.integers(0, 10**7),
)
type_names: st.SearchStrategy[ir.TypeName] = st.sampled_from(get_args(ir.TypeName))


def values_of(type_name: ir.TypeName) -> st.SearchStrategy[ir.Value]:
    """Return values with the JSON form of `type_name` (an int may stand for a decimal)."""
    match type_name:
        case "int":
            return ints
        case "decimal":
            return numbers
        case "bool":
            return st.booleans()
        case "string":
            return texts
        case "enum":
            return names


# --------------------------------------------------------------------------- expressions and actions

lits: st.SearchStrategy[ir.Lit] = type_names.flatmap(
    lambda t: st.builds(ir.Lit, value=values_of(t), type=st.just(t), span=spans)
)
variables: st.SearchStrategy[ir.Var] = st.builds(ir.Var, name=names, type=type_names, span=spans)


def _compound(children: st.SearchStrategy[ir.Expr]) -> st.SearchStrategy[ir.Expr]:
    return st.one_of(
        st.builds(
            ir.Unary, op=st.sampled_from(get_args(ir.UnaryOp)), operand=children, type=type_names, span=spans
        ),
        st.builds(
            ir.BinOp,
            op=st.sampled_from(get_args(ir.BinaryOp)),
            left=children,
            right=children,
            type=type_names,
            span=spans,
        ),
        st.builds(ir.In, operand=children, values=tuples(lits), negated=st.booleans(), span=spans),
    )


exprs: st.SearchStrategy[ir.Expr] = st.recursive(st.one_of(lits, variables), _compound, max_leaves=8)
"""Expression trees of every node kind; types are random but each literal matches its own type."""

actions: st.SearchStrategy[ir.Action] = st.one_of(
    st.builds(ir.Call, name=names, key=optional(texts), service=optional(names), span=spans),
    st.builds(ir.Assign, field=names, value=exprs, span=spans),
    st.builds(ir.Emit, event=names, span=spans),
)

# --------------------------------------------------------------------------- context

field_types: st.SearchStrategy[ir.FieldType] = st.one_of(
    st.builds(ir.FieldType, name=st.just("int"), min=optional(ints), max=optional(ints)),
    st.builds(ir.FieldType, name=st.just("decimal"), min=optional(numbers), max=optional(numbers)),
    st.just(ir.FieldType("bool")),
    st.just(ir.FieldType("string")),
    st.builds(
        ir.FieldType,
        name=st.just("enum"),
        members=st.lists(names, min_size=1, max_size=4, unique=True).map(tuple),
    ),
)


def _default_for(field_type: ir.FieldType) -> st.SearchStrategy[ir.Value]:
    if field_type.name == "enum":
        return st.sampled_from(field_type.members)
    return values_of(field_type.name)


context_fields: st.SearchStrategy[ir.ContextField] = field_types.flatmap(
    lambda t: st.builds(
        ir.ContextField, name=names, type=st.just(t), default=optional(_default_for(t)), span=spans
    )
)

# --------------------------------------------------------------------------- policies, states, transitions

retry_policies: st.SearchStrategy[ir.RetryPolicy] = st.builds(
    ir.RetryPolicy,
    max_retries=optional(counts),
    backoff=st.sampled_from(get_args(ir.BackoffKind)),
    base_ms=milliseconds,
    cap_ms=optional(milliseconds),
    factor=decimals,
    jitter=st.sampled_from(get_args(ir.Jitter)),
    retry_on=tuples(texts),
    dead_letter=optional(names),
    span=spans,
)
invokes: st.SearchStrategy[ir.Invoke] = st.builds(
    ir.Invoke,
    action=names,
    key=optional(texts),
    service=optional(names),
    retry=optional(retry_policies),
    heartbeat_ms=optional(milliseconds),
    result=tuples(context_fields, 2),
    span=spans,
)
soft_timeouts: st.SearchStrategy[ir.SoftTimeout] = st.builds(
    ir.SoftTimeout, after_ms=milliseconds, message=optional(texts), actions=tuples(actions), span=spans
)
states: st.SearchStrategy[ir.State] = st.builds(
    ir.State,
    name=names,
    kind=st.sampled_from(get_args(ir.StateKind)),
    parent=optional(names),
    initial=optional(names),
    children=tuples(names),
    role=st.sampled_from(get_args(ir.StateRole)),
    entry=tuples(actions, 2),
    exit=tuples(actions, 2),
    invoke=optional(invokes),
    soft_timeouts=tuples(soft_timeouts, 2),
    waits=st.booleans(),
    outcome=optional(st.sampled_from(["success", "failure"])),
    outcome_reason=optional(texts),
    doc=optional(texts),
    span=spans,
)
transitions: st.SearchStrategy[ir.Transition] = st.builds(
    ir.Transition,
    source=names,
    kind=st.sampled_from(get_args(ir.TransitionKind)),
    target=optional(names),
    event=optional(names),
    guard=optional(exprs),
    is_else=st.booleans(),
    after_ms=optional(milliseconds),
    actions=tuples(actions, 2),
    permissions=tuples(texts),
    scope=optional(texts),
    evidence=tuples(texts),
    span=spans,
)
rejects: st.SearchStrategy[ir.Reject] = st.builds(
    ir.Reject,
    state=names,
    event=names,
    kind=st.sampled_from(["reject", "ignore"]),
    reason=optional(texts),
    span=spans,
)
events: st.SearchStrategy[ir.Event] = st.builds(
    ir.Event,
    name=names,
    kind=st.sampled_from(get_args(ir.EventKind)),
    doc=optional(texts),
    payload=tuples(context_fields, 2),
    span=spans,
)
invariants: st.SearchStrategy[ir.Invariant] = st.builds(ir.Invariant, expr=exprs, text=texts, span=spans)

# --------------------------------------------------------------------------- tables

saga_steps: st.SearchStrategy[ir.SagaStep] = st.builds(
    ir.SagaStep,
    index=counts,
    action=names,
    state=names,
    key=optional(texts),
    compensation=optional(names),
    compensation_state=optional(names),
    compensation_key=optional(texts),
    no_compensation=optional(texts),
    pivot=st.booleans(),
    service=optional(names),
    timeout_ms=optional(milliseconds),
    retry=optional(retry_policies),
    result=tuples(context_fields, 2),
    span=spans,
)
sagas: st.SearchStrategy[ir.Saga] = st.builds(
    ir.Saga,
    state=names,
    steps=tuples(saga_steps),
    done=optional(names),
    compensated=optional(names),
    compensation_failed=optional(names),
    span=spans,
)
approval_levels: st.SearchStrategy[ir.ApprovalLevel] = st.builds(
    ir.ApprovalLevel,
    number=counts,
    state=names,
    approvers=tuples(texts),
    quorum=counts,
    condition=optional(exprs),
    timeout_ms=optional(milliseconds),
    escalate_to=optional(names),
    span=spans,
)
approvals: st.SearchStrategy[ir.Approval] = st.builds(
    ir.Approval,
    state=names,
    routing=st.sampled_from(get_args(ir.Routing)),
    levels=tuples(approval_levels),
    delegation=st.booleans(),
    approved=optional(names),
    rejected=optional(names),
    recall=optional(names),
    span=spans,
)
checkpoints: st.SearchStrategy[ir.Checkpoint] = st.builds(
    ir.Checkpoint,
    state=names,
    prompt=optional(texts),
    assignee=optional(texts),
    acknowledged=optional(names),
    timeout_ms=optional(milliseconds),
    fallback=optional(names),
    span=spans,
)

# --------------------------------------------------------------------------- the machine

requirements: st.SearchStrategy[ir.Requirements] = st.builds(
    ir.Requirements,
    durability=optional(st.sampled_from(get_args(ir.Durability))),
    hosting=optional(st.sampled_from(get_args(ir.Hosting))),
    longest_run_ms=optional(st.integers(min_value=1)),
    volume=optional(st.builds(ir.Volume, st.integers(1, 10**9), st.sampled_from(get_args(ir.RateUnit)))),
    human_steps=optional(st.booleans()),
    language=optional(st.sampled_from(get_args(ir.Language))),
    vendor_lock=optional(st.sampled_from(get_args(ir.VendorLock))),
    span=spans,
)

machines: st.SearchStrategy[ir.Machine] = st.builds(
    ir.Machine,
    name=names,
    initial=names,
    states=tuples(states),
    transitions=tuples(transitions),
    events=tuples(events),
    rejects=tuples(rejects),
    context=tuples(context_fields),
    invariants=tuples(invariants, 2),
    sagas=tuples(sagas, 2),
    approvals=tuples(approvals, 2),
    checkpoints=tuples(checkpoints, 2),
    version=optional(counts),
    doc=optional(texts),
    scope=optional(texts),
    source=texts,
    ir_version=st.just(ir.IR_VERSION),
    span=spans,
    requirements=optional(requirements),
    migrations=tuples(st.builds(ir.Rename, names, names, spans)),
)
"""Whole machines using every IR type and both sides of every optional field."""
