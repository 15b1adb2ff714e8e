"""lower(): AST to IR, resolving names, checking types, and flattening every construct.

Everything becomes ordinary states and transitions (sagas, approvals and checkpoints are
lowered in lower_patterns.py).  All findings are collected, none raised.
"""

from __future__ import annotations

from typing import Literal

from statewright import ir
from statewright.compiler.lower_items import (
    header_parts,
    lower_common,
    lower_field,
    lower_fields,
    lower_retry,
)
from statewright.compiler.lower_migrate import lower_migrate
from statewright.compiler.lower_patterns import lower_approval, lower_checkpoint, lower_saga
from statewright.compiler.lower_requirements import lower_requirements
from statewright.compiler.lower_saga_exits import lower_saga_exits
from statewright.compiler.lowerctx import Declared, LoweringContext
from statewright.compiler.typecheck import ERROR_INPUTS, Inputs, TType, TypeChecker
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
    migrations = lower_migrate(
        ctx, [item for item in workflow.items if isinstance(item, ast.Migrate)], {s.name for s in ctx.states}
    )
    events = tuple(
        ir.Event(decl.name, "external", decl.doc, payload=ctx.payloads.get(decl.name, ()), span=decl.span)
        for decl in ctx.events.values()
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
        requirements=header.requirements,
        migrations=migrations,
    )
    return lower_saga_exits(machine, ctx.saga_failed), diagnostics


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
        self.requirements: ir.Requirements | None = None


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
            case ast.Requirements(span=span) if ctx.once(seen, "requirements", span, "`requirements` block"):
                header.requirements = lower_requirements(ctx, item)
    payloads = {
        event: {f.name: TType(f.type.name, f.type.members) for f in fields}
        for event, fields in ctx.payloads.items()
    }
    ctx.checker = TypeChecker(ctx.fields, ctx.report, payloads)
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
        lowered = lower_field(ctx, decl)
        if lowered is None:
            continue
        ctx.fields[decl.name] = TType(lowered.type.name, lowered.type.members)
        fields.append(lowered)
    members = {m: f for f, t in ctx.fields.items() for m in t.members}
    for name, span in first.items():
        if name in members and name in ctx.fields:
            ctx.report(
                codes.AMBIGUOUS_NAME,
                f"`{name}` is a context field and a member of the enum of `{members[name]}`",
                span,
            )
    return fields


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
        if decl.payload:
            ctx.payloads[decl.name] = lower_fields(ctx, decl.payload, f"the payload of `{decl.name}`")


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
    done: list[ast.Outcome] = []
    catches: list[ast.Transition] = []
    always: list[ast.Always] = []
    for item in node.items:
        if isinstance(item, ast.Transition) and item.error is not None:
            catches.append(item)
            continue
        if isinstance(item, ast.Always):
            always.append(item)
            continue
        if lower_common(ctx, node.name, item, seen) or isinstance(item, _STATE_NODES):
            continue
        match item:
            case ast.Invoke(span=span) if ctx.once(seen, "invoke", span, "`invoke`"):
                invoke = item
            case ast.Retry(span=span) if ctx.once(seen, "retry", span, "`retry`"):
                retry = item
            case ast.Heartbeat(span=span) if ctx.once(seen, "heartbeat", span, "`heartbeat`"):
                heartbeat = item
            case ast.Outcome(span=span) if _done_once(ctx, seen, item):
                done.append(item)
    lowered_invoke = _lower_invoke(ctx, node.name, invoke, retry, heartbeat, catches)
    if always:
        _lower_always(ctx, node, always, waits=invoke is not None or bool(children))
    for outcome in done:
        _lower_done(ctx, node.name, outcome, has_children=bool(children), invoke=lowered_invoke)
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


def _done_once(ctx: LoweringContext, seen: dict[str, Span], item: ast.Outcome) -> bool:
    """Several guarded `done` lines are allowed; an unguarded `done` or a `done else` only once."""
    if item.guard is not None:
        return True
    key = "done else" if item.is_else else "done"
    return ctx.once(seen, key, item.span, f"`{key}`")


def _lower_always(ctx: LoweringContext, node: ast.State, always: list[ast.Always], *, waits: bool) -> None:
    """Lower `always [when G | else] -> T`: eventless choices of a state that only routes."""
    events = [i for i in node.items if isinstance(i, ast.Transition) and i.error is None]
    if waits or events:
        what = (
            f"`on {events[0].event}`"
            if events
            else "child states"
            if any(isinstance(i, _STATE_NODES) for i in node.items)
            else "invoked work"
        )
        ctx.report(
            codes.ALWAYS_IN_WAITING_STATE,
            f"state `{node.name}` has `always` transitions and also {what}",
            always[0].span,
            help="a state with `always` only routes, at once, on data it already has: move the waiting "
            "into its own state and route to it",
        )
        return
    where = Inputs(where=f"`always` in state `{node.name}`")
    for item in always:
        target = ctx.target(item.target, item.target_span)
        guard = None if item.guard is None else ctx.types.at(where).condition(item.guard, "guard")
        actions = ctx.actions(item.actions, where)
        if target is None or (item.guard is not None and guard is None):
            continue
        ctx.add_transition(
            ir.Transition(
                node.name,
                "always",
                target,
                guard=guard,
                is_else=item.is_else,
                actions=actions,
                span=item.span,
            )
        )


def _lower_invoke(
    ctx: LoweringContext,
    state: str,
    invoke: ast.Invoke | None,
    retry: ast.Retry | None,
    heartbeat: ast.Heartbeat | None,
    catches: list[ast.Transition],
) -> ir.Invoke | None:
    for orphan, what in ((retry, "`retry`"), (heartbeat, "`heartbeat`")):
        if orphan is not None and invoke is None:
            ctx.report(
                codes.MISSING_ITEM,
                f"{what} in state `{state}` applies to invoked work, but the state invokes nothing",
                orphan.span,
                help="add `invoke action_name` to the state, or remove it",
            )
    for catch in catches if invoke is None else ():
        ctx.report(
            codes.MISSING_ITEM,
            f"`on error {catch.error}` in state `{state}` catches a failure of invoked work, "
            "but the state invokes nothing",
            catch.span,
            help="add `invoke action_name` to the state, or remove it",
        )
    if invoke is None:
        return None
    policy = lower_retry(ctx, retry)
    _lower_catches(ctx, state, catches)
    if policy is not None and policy.dead_letter is not None:
        assert retry is not None
        failure = ctx.inputs("error", (), f"`dead_letter` of state `{state}`", "the failure")
        actions = ctx.actions(retry.dead_letter_actions, _error_inputs(failure))
        ctx.add_transition(
            ir.Transition(state, "error", policy.dead_letter, actions=actions, span=retry.span)
        )
    elif retry is not None and retry.dead_letter_actions is not None:
        ctx.actions(retry.dead_letter_actions, _error_inputs(Inputs(where=f"`dead_letter` of `{state}`")))
    result = (
        ()
        if invoke.returns is None
        else lower_fields(ctx, invoke.returns, f"the result of `{invoke.action}`")
    )
    return ir.Invoke(
        invoke.action,
        invoke.key,
        invoke.service,
        policy,
        heartbeat.duration_ms if heartbeat else None,
        result=result,
        span=invoke.span,
    )


def _error_inputs(site: Inputs) -> Inputs:
    """`site` with the failure's fields (`error.name`, `error.message`) available."""
    return Inputs("error", ERROR_INPUTS, site.where, "the failure")


def _lower_catches(ctx: LoweringContext, state: str, catches: list[ast.Transition]) -> None:
    """Lower `on error NAME [when G | else] -> T { actions }`: kind-error transitions naming the error.

    In document order; like an event's, several guarded catches of one name may be
    written, but one unguarded and one `else` at most. Guards and actions read the failure.
    """
    seen: dict[str, Span] = {}
    for catch in catches:
        assert catch.error is not None
        key = f"on error {catch.error}" + (" else" if catch.is_else else "")
        if catch.guard is None and not ctx.once(seen, key, catch.span, f"`{key}`"):
            continue
        if catch.requires or catch.scope or catch.evidence:
            ctx.report(
                codes.GUARD_NOT_ALLOWED,
                f"`on error {catch.error}` takes no `requires`, `scope` or `evidence`",
                catch.span,
                help="a failure is no request: nobody presents permissions or evidence for it; "
                "gate the transitions that leave the target state instead",
            )
            continue
        target = ctx.target(catch.target, catch.target_span)
        site = _error_inputs(Inputs(where=f"`on error {catch.error}` in state `{state}`"))
        guard = None if catch.guard is None else ctx.types.at(site).condition(catch.guard, "guard")
        actions = ctx.actions(catch.actions, site)
        if target is not None and (catch.guard is None or guard is not None):
            ctx.add_transition(
                ir.Transition(
                    state,
                    "error",
                    target,
                    event=catch.error,
                    guard=guard,
                    is_else=catch.is_else,
                    actions=actions,
                    span=catch.span,
                )
            )


def _lower_done(
    ctx: LoweringContext, state: str, done: ast.Outcome, *, has_children: bool, invoke: ir.Invoke | None
) -> None:
    if not has_children and invoke is None:
        ctx.report(
            codes.BAD_TARGET,
            f"`done` in state `{state}` needs child states or invoked work to complete",
            done.span,
            help="use `on EVENT -> TARGET`, or add `invoke action_name`",
        )
        return
    if has_children and (done.guard is not None or done.is_else):
        _no_guard(ctx, f"`done` of compound state `{state}`", done.span)
        return
    if invoke is not None and not has_children:
        site = ctx.inputs(
            "result", invoke.result, f"`done` of state `{state}`", f"the work `{invoke.action}`"
        )
    else:
        site = Inputs(where=f"`done` of compound state `{state}`")
    guard = None if done.guard is None else ctx.types.at(site).condition(done.guard, "guard")
    actions = ctx.actions(done.actions, site)
    target = ctx.target(done.target, done.target_span)
    if target is not None and (done.guard is None or guard is not None):
        kind: ir.TransitionKind = "completion" if has_children else "done"
        ctx.add_transition(
            ir.Transition(
                state, kind, target, guard=guard, is_else=done.is_else, actions=actions, span=done.span
            )
        )


def _no_guard(ctx: LoweringContext, what: str, span: Span) -> None:
    ctx.report(
        codes.GUARD_NOT_ALLOWED,
        f"{what} takes no guard or `else`",
        span,
        help="a compound state completes once; route on data after it with `always when ... -> T`",
    )


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
            if item.guard is not None or item.is_else:
                _no_guard(ctx, f"`done` of parallel state `{node.name}`", item.span)
                continue
            target = ctx.target(item.target, item.target_span)
            where = Inputs(where=f"`done` of parallel state `{node.name}`")
            actions = ctx.actions(item.actions, where)
            if target is not None:
                ctx.add_transition(
                    ir.Transition(node.name, "completion", target, actions=actions, span=item.span)
                )
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
