"""Lowering of the items every kind of state may hold.

Transitions, rejects, entry/exit actions, docs, timers and retry policies.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from statewright import ir
from statewright.compiler.lowerctx import LoweringContext
from statewright.compiler.typecheck import BOOL, DECIMAL, INT, RESERVED, STRING, Inputs, TType, literal_value
from statewright.diagnostics import codes
from statewright.dsl import ast
from statewright.source import Span


def lower_common(ctx: LoweringContext, state: str, item: object, seen: dict[str, Span]) -> bool:
    """Lower an item any state kind may hold; return False when `item` is not one of them."""
    match item:
        case ast.Transition(error=None):
            lower_transition(ctx, state, item)
        case ast.Transition(span=span):
            ctx.report(
                codes.MISSING_ITEM,
                f"`on error {item.error}` in `{state}` catches a failure of invoked work, "
                "but the state invokes nothing",
                span,
                help="catch errors in a plain state with `invoke action_name`; a saga's failures "
                "go to its `compensated` / `compensation_failed` outcomes",
            )
        case ast.Reject(event="*", span=span) | ast.Ignore(event="*", span=span):
            if ctx.once(seen, "*", span, "`reject *` / `ignore *`"):
                if isinstance(item, ast.Reject):
                    ctx.wildcards.append(ir.Reject(state, "*", "reject", item.reason, span))
                else:
                    ctx.wildcards.append(ir.Reject(state, "*", "ignore", None, span))
        case ast.Reject(event=event, reason=reason, span=span):
            if ctx.user_event(event, span) is not None:
                ctx.rejects.append(ir.Reject(state, event, "reject", reason, span))
        case ast.Ignore(event=event, span=span):
            if ctx.user_event(event, span) is not None:
                ctx.rejects.append(ir.Reject(state, event, "ignore", None, span))
        case ast.Doc(span=span):
            ctx.once(seen, "doc", span, "`doc`")
        case ast.Entry(span=span):
            ctx.once(seen, "entry", span, "`entry`")
        case ast.Exit(span=span):
            ctx.once(seen, "exit", span, "`exit`")
        case ast.HardTimeout(span=span):
            if ctx.once(seen, "timeout", span, "`timeout`"):
                lower_timeout(ctx, state, item)
        case ast.SoftTimeout():
            pass  # collected by header_parts
        case _:
            return False
    return True


class BlockHeader(NamedTuple):
    """The parts of a block that become fields of its IR state."""

    doc: str | None
    entry: tuple[ir.Action, ...]
    exit: tuple[ir.Action, ...]
    soft_timeouts: tuple[ir.SoftTimeout, ...]

    def state(self, name: str, kind: ir.StateKind, parent: str | None, span: Span, **fields: Any) -> ir.State:
        """Build the IR state that owns this block, with its doc, entry/exit actions and soft timers."""
        return ir.State(
            name,
            kind,
            parent=parent,
            entry=self.entry,
            exit=self.exit,
            soft_timeouts=self.soft_timeouts,
            doc=self.doc,
            span=span,
            **fields,
        )


def header_parts(ctx: LoweringContext, items: tuple[object, ...]) -> BlockHeader:
    """Return a block's doc, entry and exit actions (first of each) and its soft timeouts."""
    doc = next((i.text for i in items if isinstance(i, ast.Doc)), None)
    entry = next((i for i in items if isinstance(i, ast.Entry)), None)
    exit_ = next((i for i in items if isinstance(i, ast.Exit)), None)
    soft = tuple(
        ir.SoftTimeout(i.duration_ms, i.message, ctx.actions(i.actions, _SOFT), i.span)
        for i in items
        if isinstance(i, ast.SoftTimeout)
    )
    return BlockHeader(
        doc,
        ctx.actions(entry.actions, _ENTRY) if entry else (),
        ctx.actions(exit_.actions, _EXIT) if exit_ else (),
        soft,
    )


_ENTRY = Inputs(where="`entry` actions")
_EXIT = Inputs(where="`exit` actions")
_SOFT = Inputs(where="the actions of `warn after`")
_TIMEOUT = Inputs(where="the actions of `timeout`")


def event_inputs(ctx: LoweringContext, event: str, where: str) -> Inputs:
    """The inputs of a transition on `event`: its payload (implicit events carry none)."""
    return ctx.inputs("event", ctx.payloads.get(event, ()), where, event)


def lower_transition(ctx: LoweringContext, state: str, node: ast.Transition) -> None:
    """Lower `on E ... -> T`; its guard and actions may read E's payload (`event.F`)."""
    event = ctx.user_event(node.event, node.event_span)
    target = ctx.target(node.target, node.target_span)
    inputs = event_inputs(ctx, node.event, f"`on {node.event}` in state `{state}`")
    guard = None if node.guard is None else ctx.types.at(inputs).condition(node.guard, "guard")
    actions = ctx.actions(node.actions, inputs)
    if event is None or target is None or (node.guard is not None and guard is None):
        return
    ctx.add_transition(
        ir.Transition(
            source=state,
            kind="event",
            target=target,
            event=event,
            guard=guard,
            is_else=node.is_else,
            actions=actions,
            permissions=node.requires,
            scope=node.scope,
            evidence=node.evidence,
            span=node.span,
        )
    )


def lower_timeout(ctx: LoweringContext, state: str, node: ast.HardTimeout) -> None:
    """Lower `timeout D -> T` into a timer transition."""
    target = ctx.target(node.target, node.target_span)
    actions = ctx.actions(node.actions, _TIMEOUT)
    if target is not None:
        ctx.add_transition(
            ir.Transition(
                state, "timeout", target, after_ms=node.duration_ms, actions=actions, span=node.span
            )
        )


def lower_retry(ctx: LoweringContext, node: ast.Retry | None) -> ir.RetryPolicy | None:
    """Lower a retry policy; the dead-letter target is resolved by the caller."""
    if node is None:
        return None
    backoff = node.backoff
    dead_letter = None
    if node.dead_letter is not None:
        dead_letter = ctx.target(node.dead_letter, node.dead_letter_span)
    if backoff is not None and backoff.cap_ms is not None and backoff.cap_ms < backoff.base_ms:
        ctx.report(
            codes.BAD_BOUNDS,
            f"backoff cap {backoff.cap_ms} ms is below its base {backoff.base_ms} ms",
            backoff.span,
        )
    return ir.RetryPolicy(
        max_retries=node.attempts,
        backoff=backoff.kind if backoff else "fixed",
        base_ms=backoff.base_ms if backoff else 0,
        cap_ms=backoff.cap_ms if backoff else None,
        factor=backoff.factor if backoff and backoff.factor is not None else Decimal(2),
        jitter=node.jitter or "none",
        retry_on=node.retry_on,
        dead_letter=dead_letter,
        span=node.span,
    )


def lower_fields(
    ctx: LoweringContext, decls: tuple[ast.Field, ...], owner: str
) -> tuple[ir.ContextField, ...]:
    """Lower the typed fields of a payload or a result: names unique, types and defaults valid."""
    fields: list[ir.ContextField] = []
    first: dict[str, Span] = {}
    for decl in decls:
        if decl.name in first:
            ctx.report(
                codes.DUPLICATE_INPUT_FIELD,
                f"field `{decl.name}` declared twice in {owner}",
                decl.name_span,
                related=[ctx.related(first[decl.name], "first declared here")],
            )
            continue
        first[decl.name] = decl.name_span
        lowered = lower_field(ctx, decl)
        if lowered is not None:
            fields.append(lowered)
    return tuple(fields)


def lower_field(ctx: LoweringContext, decl: ast.Field) -> ir.ContextField | None:
    """Lower one typed field (context, payload or result); None, reported, when it is ill-formed."""
    if decl.name in RESERVED:
        ctx.report(
            codes.RESERVED_NAME,
            f"`{decl.name}` is a word of the guard language and cannot name a field",
            decl.name_span,
            help="rename the field",
        )
        return None
    field_type = field_type_of(ctx, decl.type)
    default = None
    if decl.default is not None:
        default = literal_value(decl.default, TType(field_type.name, field_type.members))
        if default is None or not _within(default, field_type):
            ctx.report(
                codes.BAD_DEFAULT,
                f"default of `{decl.name}` does not fit {field_type.describe()}",
                decl.default.span,
            )
            return None
    return ir.ContextField(decl.name, field_type, default, decl.span)


def field_type_of(ctx: LoweringContext, spec: ast.TypeSpec) -> ir.FieldType:
    """Lower a written type, reporting bad bounds and bad enum members."""
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
