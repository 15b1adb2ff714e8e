"""Lowering of the items every kind of state may hold.

Transitions, rejects, entry/exit actions, docs, timers and retry policies.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from statewright import ir
from statewright.compiler.lowerctx import LoweringContext
from statewright.diagnostics import codes
from statewright.dsl import ast
from statewright.source import Span


def lower_common(ctx: LoweringContext, state: str, item: object, seen: dict[str, Span]) -> bool:
    """Lower an item any state kind may hold; return False when `item` is not one of them."""
    match item:
        case ast.Transition():
            lower_transition(ctx, state, item)
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
        ir.SoftTimeout(i.duration_ms, i.message, ctx.actions(i.actions), i.span)
        for i in items
        if isinstance(i, ast.SoftTimeout)
    )
    return BlockHeader(
        doc,
        ctx.actions(entry.actions) if entry else (),
        ctx.actions(exit_.actions) if exit_ else (),
        soft,
    )


def lower_transition(ctx: LoweringContext, state: str, node: ast.Transition) -> None:
    event = ctx.user_event(node.event, node.event_span)
    target = ctx.target(node.target, node.target_span)
    guard = None if node.guard is None else ctx.types.condition(node.guard, "guard")
    actions = ctx.actions(node.actions)
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
    actions = ctx.actions(node.actions)
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
