"""lower(): AST to IR, resolving names, checking types, and flattening every construct.

Everything becomes ordinary states and transitions (sagas, approvals and checkpoints are
lowered in lower_patterns.py).  All findings are collected, none raised.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from statewright import ir
from statewright.compiler.lower_items import header_parts, lower_common, lower_retry
from statewright.compiler.lower_patterns import lower_approval, lower_checkpoint, lower_saga
from statewright.compiler.lower_saga_exits import lower_saga_exits
from statewright.compiler.lowerctx import Declared, LoweringContext
from statewright.compiler.typecheck import (
    BOOL,
    DECIMAL,
    INT,
    RESERVED,
    STRING,
    TType,
    TypeChecker,
    literal_value,
)
from statewright.diagnostics import Diagnostic, codes, has_errors
from statewright.dsl import ast
from statewright.ir.text import render
from statewright.source import Span

_STATE_NODES = (
    ast.State,
    ast.FinalState,
    ast.ParallelState,
    ast.SagaState,
    ast.ApprovalState,
    ast.CheckpointState,
)


def lower(workflow: ast.Workflow, file: str) -> tuple[ir.Machine | None, tuple[Diagnostic, ...]]:
    """Lower one parsed workflow to the IR; the machine is None when any error was found."""
    ctx = LoweringContext(file)
    header = _lower_header(ctx, workflow)
    _declare_states(ctx, workflow.items, parent=None)
    tops = [item for item in workflow.items if isinstance(item, _STATE_NODES)]
    initial = _pick_initial(ctx, tops, owner=None, span=workflow.name_span)
    for item in tops:
        lower_state(ctx, item, parent=None)
    ctx.check_implicit_uses()
    _default_refusal(ctx, workflow, tops)
    ctx.expand_wildcards()
    events = tuple(
        ir.Event(decl.name, "external", decl.doc, span=decl.span) for decl in ctx.events.values()
    ) + tuple(ir.Event(name, kind) for name, kind in ctx.used_implicit.items() if name not in ctx.events)
    diagnostics = tuple(ctx.diagnostics)
    if has_errors(diagnostics) or initial is None:
        return None, diagnostics
    machine = ir.Machine(
        name=workflow.name,
        initial=initial,
        states=tuple(ctx.states),
        transitions=tuple(ctx.transitions),
        events=events,
        rejects=tuple(ctx.rejects),
        context=header.context,
        invariants=header.invariants,
        sagas=tuple(ctx.sagas),
        approvals=tuple(ctx.approvals),
        checkpoints=tuple(ctx.checkpoints),
        version=header.version,
        doc=header.doc,
        scope=header.scope,
        source=file,
        span=workflow.span,
    )
    return lower_saga_exits(machine), diagnostics


def _default_refusal(ctx: LoweringContext, workflow: ast.Workflow, tops: list[ast.StateDecl]) -> None:
    """Apply a workflow-level `reject *` / `ignore *` to every top-level state that is not final.

    State-level wildcards are expanded first, so a state's own `reject *` wins.
    """
    seen: dict[str, Span] = {}
    for item in workflow.items:
        if isinstance(item, ast.Reject | ast.Ignore) and ctx.once(
            seen, "*", item.span, "a default `reject *`"
        ):
            kind: Literal["reject", "ignore"] = "reject" if isinstance(item, ast.Reject) else "ignore"
            reason = item.reason if isinstance(item, ast.Reject) else None
            for state in tops:
                if not isinstance(state, ast.FinalState):
                    ctx.wildcards.append(ir.Reject(state.name, "*", kind, reason, item.span))


# --------------------------------------------------------------------------- workflow header


class _Header:
    """The workflow-level items once lowered."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.doc: str | None = None
        self.scope: str | None = None
        self.context: tuple[ir.ContextField, ...] = ()
        self.invariants: tuple[ir.Invariant, ...] = ()


def _lower_header(ctx: LoweringContext, workflow: ast.Workflow) -> _Header:
    header = _Header()
    seen: dict[str, Span] = {}
    invariants: list[ast.Invariant] = []
    context_fields: list[ir.ContextField] = []
    for item in workflow.items:
        match item:
            case ast.Version(value=value, span=span) if ctx.once(seen, "version", span, "`version`"):
                header.version = value
            case ast.Doc(text=text, span=span) if ctx.once(seen, "doc", span, "`doc`"):
                header.doc = text
            case ast.ScopeDecl(scope=scope, span=span) if ctx.once(seen, "scope", span, "`scope`"):
                header.scope = scope
            case ast.Context(span=span) if ctx.once(seen, "context", span, "`context` block"):
                context_fields = _lower_context(ctx, item)
            case ast.Events(span=span) if ctx.once(seen, "events", span, "`events` block"):
                _declare_events(ctx, item)
            case ast.Invariant():
                invariants.append(item)
    ctx.checker = TypeChecker(ctx.fields, ctx.report)
    lowered: list[ir.Invariant] = []
    for invariant in invariants:
        expr = ctx.types.condition(invariant.expr, "invariant")
        if expr is not None:
            lowered.append(ir.Invariant(expr, render(expr), invariant.span))
    header.context = tuple(context_fields)
    header.invariants = tuple(lowered)
    return header


def _lower_context(ctx: LoweringContext, context: ast.Context) -> list[ir.ContextField]:
    fields: list[ir.ContextField] = []
    first: dict[str, Span] = {}
    for decl in context.fields:
        if decl.name in first:
            ctx.report(
                codes.DUPLICATE_FIELD,
                f"context field `{decl.name}` declared twice",
                decl.name_span,
                related=[ctx.related(first[decl.name], "first declared here")],
            )
            continue
        first[decl.name] = decl.name_span
        if decl.name in RESERVED:
            ctx.report(
                codes.RESERVED_NAME,
                f"`{decl.name}` is a word of the guard language and cannot name a field",
                decl.name_span,
                help="rename the field",
            )
            continue
        field_type = _field_type(ctx, decl.type)
        ttype = TType(field_type.name, field_type.members)
        default = None
        if decl.default is not None:
            default = literal_value(decl.default, ttype)
            if default is None or not _within(default, field_type):
                ctx.report(
                    codes.BAD_DEFAULT,
                    f"default of `{decl.name}` does not fit {field_type.describe()}",
                    decl.default.span,
                )
                continue
        ctx.fields[decl.name] = ttype
        fields.append(ir.ContextField(decl.name, field_type, default, decl.span))
    members = {m: f for f, t in ctx.fields.items() for m in t.members}
    for name, span in first.items():
        if name in members and name in ctx.fields:
            ctx.report(
                codes.AMBIGUOUS_NAME,
                f"`{name}` is a context field and a member of the enum of `{members[name]}`",
                span,
            )
    return fields


def _field_type(ctx: LoweringContext, spec: ast.TypeSpec) -> ir.FieldType:
    match spec:
        case ast.IntType(min=low, max=high, span=span):
            _check_bounds(ctx, low, high, span)
            return ir.FieldType("int", low, high)
        case ast.DecimalType(min=low, max=high, span=span):
            _check_bounds(ctx, low, high, span)
            return ir.FieldType("decimal", low, high)
        case ast.BoolType():
            return ir.FieldType(BOOL.name)
        case ast.StringType():
            return ir.FieldType(STRING.name)
        case ast.EnumType(members=members, span=span):
            unique: list[str] = []
            for member in members:
                if member in unique:
                    ctx.report(codes.DUPLICATE_ENUM_MEMBER, f"enum member `{member}` listed twice", span)
                elif member in RESERVED:
                    ctx.report(codes.RESERVED_NAME, f"`{member}` cannot be an enum member", span)
                else:
                    unique.append(member)
            return ir.FieldType("enum", members=tuple(unique))
    raise AssertionError(f"unknown type {spec!r}")  # pragma: no cover


def _check_bounds(
    ctx: LoweringContext, low: int | Decimal | None, high: int | Decimal | None, span: Span
) -> None:
    if low is not None and high is not None and low > high:
        ctx.report(codes.BAD_BOUNDS, f"lower bound {low} is greater than upper bound {high}", span)


def _within(value: ir.Value, field_type: ir.FieldType) -> bool:
    if field_type.name not in (INT.name, DECIMAL.name) or isinstance(value, bool | str):
        return True
    if field_type.min is not None and value < field_type.min:
        return False
    return field_type.max is None or value <= field_type.max


def _declare_events(ctx: LoweringContext, events: ast.Events) -> None:
    for decl in events.events:
        first = ctx.events.get(decl.name)
        if first is not None:
            ctx.report(
                codes.DUPLICATE_EVENT,
                f"event `{decl.name}` declared twice",
                decl.span,
                related=[ctx.related(first.span, "first declared here")],
            )
            continue
        ctx.events[decl.name] = decl


# --------------------------------------------------------------------------- state names


def _declare_states(ctx: LoweringContext, items: tuple[object, ...], parent: str | None) -> None:
    """Record every user-declared state (and region) name, reporting duplicates."""
    for item in items:
        if isinstance(item, (*_STATE_NODES, ast.Region)):
            first = ctx.declared.get(item.name)
            if first is not None:
                ctx.report(
                    codes.DUPLICATE_STATE,
                    f"state `{item.name}` is defined twice",
                    item.name_span,
                    related=[ctx.related(first.node.name_span, "first defined here")],
                )
                continue
            ctx.declared[item.name] = Declared(item, parent, isinstance(item, ast.Region))
            if isinstance(item, ast.State | ast.ParallelState | ast.Region):
                _declare_states(ctx, item.items, item.name)


def _pick_initial(
    ctx: LoweringContext, children: list[ast.StateDecl], owner: str | None, span: Span
) -> str | None:
    """Return the one child marked `initial`, reporting none or several."""
    marked = [c for c in children if c.initial]
    where = "the workflow" if owner is None else f"`{owner}`"
    if not marked:
        if children:
            ctx.report(
                codes.NO_INITIAL,
                f"{where} has no initial state",
                span,
                help=f"mark one state of {where} with `initial`, e.g. `initial state {children[0].name}`",
            )
        else:
            ctx.report(codes.NO_INITIAL, f"{where} has no states", span, help="declare at least one state")
        return None
    for extra in marked[1:]:
        ctx.report(
            codes.MANY_INITIAL,
            f"{where} has more than one initial state",
            extra.name_span,
            related=[ctx.related(marked[0].name_span, "first initial state")],
        )
    return marked[0].name


# --------------------------------------------------------------------------- states


def lower_state(ctx: LoweringContext, node: ast.StateDecl, parent: str | None) -> None:
    """Lower one declared state (and everything nested in it) into the context's output."""
    if ctx.declared.get(node.name, None) is None or ctx.declared[node.name].node is not node:
        return  # a duplicate definition, already reported
    match node:
        case ast.State():
            _lower_plain(ctx, node, parent)
        case ast.FinalState():
            _lower_final(ctx, node, parent)
        case ast.ParallelState():
            _lower_parallel(ctx, node, parent)
        case ast.SagaState():
            lower_saga(ctx, node, parent)
        case ast.ApprovalState():
            lower_approval(ctx, node, parent)
        case ast.CheckpointState():
            lower_checkpoint(ctx, node, parent)


def _lower_plain(ctx: LoweringContext, node: ast.State, parent: str | None) -> None:
    children = [i for i in node.items if isinstance(i, _STATE_NODES)]
    initial = _pick_initial(ctx, children, node.name, node.name_span) if children else None
    header = header_parts(ctx, node.items)
    seen: dict[str, Span] = {}
    invoke: ast.Invoke | None = None
    retry: ast.Retry | None = None
    heartbeat: ast.Heartbeat | None = None
    done: ast.Outcome | None = None
    for item in node.items:
        if lower_common(ctx, node.name, item, seen) or isinstance(item, _STATE_NODES):
            continue
        match item:
            case ast.Invoke(span=span) if ctx.once(seen, "invoke", span, "`invoke`"):
                invoke = item
            case ast.Retry(span=span) if ctx.once(seen, "retry", span, "`retry`"):
                retry = item
            case ast.Heartbeat(span=span) if ctx.once(seen, "heartbeat", span, "`heartbeat`"):
                heartbeat = item
            case ast.Outcome(span=span) if ctx.once(seen, "done", span, "`done`"):
                done = item
    lowered_invoke = _lower_invoke(ctx, node.name, invoke, retry, heartbeat)
    if done is not None:
        _lower_done(ctx, node.name, done, has_children=bool(children), has_invoke=invoke is not None)
    ctx.states.append(
        header.state(
            node.name,
            "compound" if children else "atomic",
            parent,
            node.span,
            initial=initial,
            children=tuple(c.name for c in children),
            invoke=lowered_invoke,
        )
    )
    for child in children:
        lower_state(ctx, child, node.name)


def _lower_invoke(
    ctx: LoweringContext,
    state: str,
    invoke: ast.Invoke | None,
    retry: ast.Retry | None,
    heartbeat: ast.Heartbeat | None,
) -> ir.Invoke | None:
    for orphan, what in ((retry, "`retry`"), (heartbeat, "`heartbeat`")):
        if orphan is not None and invoke is None:
            ctx.report(
                codes.MISSING_ITEM,
                f"{what} in state `{state}` applies to invoked work, but the state invokes nothing",
                orphan.span,
                help="add `invoke action_name` to the state, or remove it",
            )
    if invoke is None:
        return None
    policy = lower_retry(ctx, retry)
    if policy is not None and policy.dead_letter is not None:
        ctx.add_transition(
            ir.Transition(state, "error", policy.dead_letter, span=retry.span if retry else invoke.span)
        )
    return ir.Invoke(
        invoke.action,
        invoke.key,
        invoke.service,
        policy,
        heartbeat.duration_ms if heartbeat else None,
        span=invoke.span,
    )


def _lower_done(
    ctx: LoweringContext, state: str, done: ast.Outcome, *, has_children: bool, has_invoke: bool
) -> None:
    if not has_children and not has_invoke:
        ctx.report(
            codes.BAD_TARGET,
            f"`done` in state `{state}` needs child states or invoked work to complete",
            done.span,
            help="use `on EVENT -> TARGET`, or add `invoke action_name`",
        )
        return
    target = ctx.target(done.target, done.target_span)
    if target is not None:
        kind: ir.TransitionKind = "completion" if has_children else "done"
        ctx.add_transition(ir.Transition(state, kind, target, span=done.span))


def _lower_final(ctx: LoweringContext, node: ast.FinalState, parent: str | None) -> None:
    doc, entry, _, _ = header_parts(ctx, node.items)
    seen: dict[str, Span] = {}
    outcome: ast.FinalOutcome | None = None
    for item in node.items:
        match item:
            case ast.Doc(span=span):
                ctx.once(seen, "doc", span, "`doc`")
            case ast.Entry(span=span):
                ctx.once(seen, "entry", span, "`entry`")
            case ast.FinalOutcome(span=span) if ctx.once(seen, "outcome", span, "`outcome`"):
                outcome = item
    ctx.states.append(
        ir.State(
            name=node.name,
            kind="final",
            parent=parent,
            entry=entry,
            outcome=outcome.kind if outcome else "success",
            outcome_reason=outcome.reason if outcome else None,
            doc=doc,
            span=node.span,
        )
    )


def _lower_parallel(ctx: LoweringContext, node: ast.ParallelState, parent: str | None) -> None:
    regions = [i for i in node.items if isinstance(i, ast.Region)]
    if not regions:
        ctx.report(
            codes.EMPTY_BLOCK,
            f"parallel state `{node.name}` has no regions",
            node.name_span,
            help="add `region Name { initial state ... }` blocks",
        )
    header = header_parts(ctx, node.items)
    seen: dict[str, Span] = {}
    for item in node.items:
        if lower_common(ctx, node.name, item, seen) or isinstance(item, ast.Region):
            continue
        if isinstance(item, ast.Outcome) and ctx.once(seen, "done", item.span, "`done`"):
            target = ctx.target(item.target, item.target_span)
            if target is not None:
                ctx.add_transition(ir.Transition(node.name, "completion", target, span=item.span))
    own = tuple(r.name for r in regions if r.name in ctx.declared and ctx.declared[r.name].node is r)
    ctx.states.append(header.state(node.name, "parallel", parent, node.span, children=own))
    for region in regions:
        if ctx.declared.get(region.name) is None or ctx.declared[region.name].node is not region:
            continue
        states = [i for i in region.items if isinstance(i, _STATE_NODES)]
        initial = _pick_initial(ctx, states, region.name, region.name_span)
        region_doc = next((i.text for i in region.items if isinstance(i, ast.Doc)), None)
        ctx.states.append(
            ir.State(
                name=region.name,
                kind="compound",
                parent=node.name,
                initial=initial,
                children=tuple(s.name for s in states),
                role="region",
                doc=region_doc,
                span=region.span,
            )
        )
        for state in states:
            lower_state(ctx, state, region.name)
