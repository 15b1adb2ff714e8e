"""Lowering of the workflow patterns: sagas, approval flows and human checkpoints.

Each becomes ordinary IR states and transitions plus a table (`ir.Saga`,
`ir.Approval`, `ir.Checkpoint`) that keeps what the graph alone cannot say.
Synthesised states are named `Owner.part`; a `.` never occurs in a user's
name, so they cannot collide with declared states.

Saga semantics: steps run in order; when step i fails for good (retries spent,
or its timeout), the compensations of the steps completed before it run in
reverse order, then the saga leaves through `compensated`.  Steps marked
`no_compensation` are skipped in that chain.  A `pivot` step is the point of no
return: once it completed, later failures cannot be undone and leave through
`compensation_failed` (manual intervention), as does a failing compensation.
A compensation runs with its step's retry policy and timeout.  The last step's
compensation can never run (no later step can fail), so it gets no state; the
saga table still records it.
"""

from __future__ import annotations

from dataclasses import dataclass

from statewright import ir
from statewright.compiler.lower_items import (
    BlockHeader,
    header_parts,
    lower_common,
    lower_fields,
    lower_retry,
)
from statewright.compiler.lowerctx import LoweringContext
from statewright.compiler.typecheck import ERROR_INPUTS, Inputs, balanced, reads_input
from statewright.diagnostics import codes
from statewright.dsl import ast
from statewright.source import Span


def _outcomes(
    ctx: LoweringContext, owner: str, items: tuple[object, ...], kinds: tuple[str, ...], seen: dict[str, Span]
) -> dict[str, str | None]:
    """Resolve `kind -> Target` outcome items of a block; missing ones map to None."""
    found: dict[str, str | None] = dict.fromkeys(kinds)
    for item in items:
        if (
            isinstance(item, ast.Outcome)
            and item.kind in kinds
            and ctx.once(seen, item.kind, item.span, f"`{item.kind}`")
        ):
            found[item.kind] = ctx.target(item.target, item.target_span)
    return found


def _outcome_actions(
    ctx: LoweringContext, owner: str, items: tuple[object, ...], kinds: tuple[str, ...]
) -> dict[str, tuple[ir.Action, ...]]:
    """Lower the actions of each outcome (`approved -> T { ... }`).

    Only a saga's `compensation_failed` actions may read the failure (`error.*`). A
    repeated outcome was reported by `_outcomes`; its actions are checked all the same.
    """
    found: dict[str, tuple[ir.Action, ...]] = dict.fromkeys(kinds, ())
    for item in items:
        if isinstance(item, ast.Outcome) and item.kind in kinds:
            where = f"the actions of `{item.kind}` of `{owner}`"
            site = (
                Inputs("error", ERROR_INPUTS, where, "the failure")
                if item.kind == "compensation_failed"
                else Inputs(where=where)
            )
            lowered = ctx.actions(item.actions, site)
            if not found[item.kind]:
                found[item.kind] = lowered
    return found


def _reads_error(actions: tuple[ir.Action, ...]) -> bool:
    return any(isinstance(a, ir.Assign) and reads_input(a.value, "error") for a in actions)


def _require(
    ctx: LoweringContext,
    owner: str,
    span: Span,
    found: dict[str, str | None],
    items: tuple[object, ...],
    *kinds: str,
) -> None:
    declared = {i.kind for i in items if isinstance(i, ast.Outcome)}
    for kind in kinds:
        if kind not in declared:
            ctx.report(
                codes.MISSING_ITEM,
                f"`{owner}` has no `{kind} -> State` outcome",
                span,
                help=f"add `{kind} -> SomeState` to `{owner}`",
            )


# --------------------------------------------------------------------------- sagas


def lower_saga(ctx: LoweringContext, node: ast.SagaState, parent: str | None) -> None:
    """Lower a saga into a compound state of step and compensation states."""
    seen: dict[str, Span] = {}
    header = header_parts(ctx, node.items)
    for item in node.items:
        if not isinstance(item, ast.Step | ast.Outcome):
            lower_common(ctx, node.name, item, seen)
    kinds = ("done", "compensated", "compensation_failed")
    outcomes = _outcomes(ctx, node.name, node.items, kinds, seen)
    actions = _outcome_actions(ctx, node.name, node.items, kinds)
    _require(ctx, node.name, node.name_span, outcomes, node.items, "done", "compensated")
    steps = [i for i in node.items if isinstance(i, ast.Step)]
    if not steps:
        ctx.report(
            codes.EMPTY_BLOCK,
            f"saga `{node.name}` has no steps",
            node.name_span,
            help='add `step action_name compensate undo_action key "..."`',
        )
        return
    names: dict[str, Span] = {}
    table: list[ir.SagaStep] = []
    then: dict[str, tuple[ir.Action, ...]] = {}
    for index, step in enumerate(steps):
        state = f"{node.name}.{step.action}"
        if not ctx.once(names, state, step.span, f"step `{step.action}`"):
            continue
        comp_state = None
        # The last step's compensation never runs (no later step can fail), so it gets no state.
        if step.compensate is not None and index < len(steps) - 1:
            comp_state = f"{node.name}.{step.compensate}"
            ctx.once(names, comp_state, step.span, f"compensation `{step.compensate}`")
        _check_step(ctx, step)
        result = (
            ()
            if step.returns is None
            else lower_fields(ctx, step.returns, f"the result of step `{step.action}`")
        )
        site = ctx.inputs(
            "result", result, f"the `then` of step `{step.action}`", f"the work `{step.action}`"
        )
        then[state] = ctx.actions(step.then, site)
        table.append(
            ir.SagaStep(
                index=index,
                action=step.action,
                state=state,
                key=step.key,
                compensation=step.compensate,
                compensation_state=comp_state,
                compensation_key=step.compensate_key,
                no_compensation=step.no_compensation,
                pivot=step.pivot,
                service=step.service,
                timeout_ms=step.timeout_ms,
                retry=lower_retry(ctx, step.retry),
                result=result,
                span=step.span,
            )
        )
    for written in steps:
        if written.retry is not None and written.retry.dead_letter is not None:
            ctx.report(
                codes.BAD_TARGET,
                f"saga step `{written.action}` cannot have a dead letter: its failure starts compensation",
                written.retry.dead_letter_span,
                help="remove `dead_letter -> ...`; use the saga's `compensation_failed` outcome",
            )
    children = tuple(s.state for s in table) + tuple(
        s.compensation_state for s in table if s.compensation_state
    )
    ctx.states.append(
        header.state(
            node.name,
            "compound",
            parent,
            node.span,
            initial=table[0].state if table else None,
            children=children,
            role="saga",
        )
    )
    _check_failed_actions(ctx, node, table, actions["compensation_failed"])
    ctx.saga_failed[node.name] = actions["compensation_failed"]
    _saga_graph(ctx, node.name, table, outcomes, _Edges(then, actions))
    ctx.sagas.append(
        ir.Saga(
            node.name,
            tuple(table),
            outcomes["done"],
            outcomes["compensated"],
            outcomes["compensation_failed"],
            node.span,
        )
    )


def _check_step(ctx: LoweringContext, step: ast.Step) -> None:
    markers = [
        m
        for m, on in (
            ("compensate", step.compensate is not None),
            ("no_compensation", step.no_compensation is not None),
            ("pivot", step.pivot),
        )
        if on
    ]
    if len(markers) > 1:
        ctx.report(
            codes.DUPLICATE_CLAUSE,
            f"step `{step.action}` is marked both {' and '.join(f'`{m}`' for m in markers)}",
            step.span,
            help="a step either has a compensation, needs none (`no_compensation`), or is the `pivot`",
        )
    if step.compensate_key is not None and step.compensate is None:
        ctx.report(
            codes.MISSING_ITEM,
            f"step `{step.action}` has `compensate_key` but no `compensate` action",
            step.span,
        )


def _check_failed_actions(
    ctx: LoweringContext, node: ast.SagaState, steps: list[ir.SagaStep], actions: tuple[ir.Action, ...]
) -> None:
    """`compensation_failed` actions that read the failure cannot also run after a timeout (no failure)."""
    if not _reads_error(actions):
        return
    timed = _timed_failures(steps)
    if timed is not None:
        outcome = next(
            i for i in node.items if isinstance(i, ast.Outcome) and i.kind == "compensation_failed"
        )
        ctx.report(
            codes.INPUT_NOT_AVAILABLE,
            f"the actions of `compensation_failed` of `{node.name}` read `error.*`, but step "
            f"`{timed.action}`'s timeout also leads there, and a timeout carries no failure",
            outcome.span,
            help="remove the step's `timeout`, or record the failure without reading `error.name` / "
            "`error.message`",
        )


def _timed_failures(steps: list[ir.SagaStep]) -> ir.SagaStep | None:
    """The first step whose timeout can lead to `compensation_failed` (after the pivot, or compensating)."""
    pivot_seen = False
    for step in steps:
        if step.timeout_ms is not None and (pivot_seen or step.compensation_state is not None):
            return step
        pivot_seen = pivot_seen or step.pivot
    return None


@dataclass(frozen=True, slots=True)
class _Edges:
    """The actions lowered onto a saga's edges: each step's `then`, and each outcome's."""

    then: dict[str, tuple[ir.Action, ...]]
    outcome: dict[str, tuple[ir.Action, ...]]


def _saga_graph(
    ctx: LoweringContext,
    saga: str,
    steps: list[ir.SagaStep],
    outcomes: dict[str, str | None],
    edges: _Edges,
) -> None:
    """Add step states, compensation states, and the transitions between them."""
    pivot_seen = False
    failed = edges.outcome["compensation_failed"]
    for position, step in enumerate(steps):
        ctx.states.append(
            ir.State(
                name=step.state,
                kind="atomic",
                parent=saga,
                role="saga_step",
                invoke=ir.Invoke(
                    step.action, step.key, step.service, step.retry, None, step.result, span=step.span
                ),
                span=step.span,
            )
        )
        last = position + 1 == len(steps)
        after = outcomes["done"] if last else steps[position + 1].state
        if after is not None:
            done = edges.then.get(step.state, ()) + (edges.outcome["done"] if last else ())
            ctx.add_transition(ir.Transition(step.state, "done", after, actions=done, span=step.span))
        if pivot_seen:
            failure, on_failure = outcomes["compensation_failed"], failed
        else:
            failure, on_failure = _undo_from(steps[:position], outcomes), ()
            if failure == outcomes["compensated"] and not _compensates(steps[:position]):
                on_failure = edges.outcome["compensated"]
        if failure is not None:
            ctx.add_transition(
                ir.Transition(step.state, "error", failure, actions=on_failure, span=step.span)
            )
            if step.timeout_ms is not None:
                ctx.add_transition(
                    ir.Transition(
                        step.state,
                        "timeout",
                        failure,
                        after_ms=step.timeout_ms,
                        actions=on_failure,
                        span=step.span,
                    )
                )
        pivot_seen = pivot_seen or step.pivot
    for position, step in enumerate(steps):
        if step.compensation_state is None or step.compensation is None:
            continue
        ctx.states.append(
            ir.State(
                name=step.compensation_state,
                kind="atomic",
                parent=saga,
                role="compensation",
                invoke=ir.Invoke(
                    step.compensation, step.compensation_key, step.service, step.retry, None, span=step.span
                ),
                span=step.span,
            )
        )
        following = _undo_from(steps[:position], outcomes)
        if following is not None:
            undone = () if _compensates(steps[:position]) else edges.outcome["compensated"]
            ctx.add_transition(
                ir.Transition(step.compensation_state, "done", following, actions=undone, span=step.span)
            )
        if outcomes["compensation_failed"] is not None:
            ctx.add_transition(
                ir.Transition(
                    step.compensation_state,
                    "error",
                    outcomes["compensation_failed"],
                    actions=failed,
                    span=step.span,
                )
            )
        if step.timeout_ms is not None and outcomes["compensation_failed"] is not None:
            ctx.add_transition(
                ir.Transition(
                    step.compensation_state,
                    "timeout",
                    outcomes["compensation_failed"],
                    after_ms=step.timeout_ms,
                    actions=failed,
                    span=step.span,
                )
            )


def _compensates(completed: list[ir.SagaStep]) -> bool:
    """True when some completed step has a compensation state (so undoing goes there first)."""
    return any(step.compensation_state is not None for step in completed)


def _undo_from(completed: list[ir.SagaStep], outcomes: dict[str, str | None]) -> str | None:
    """Where compensation starts when `completed` steps are done: the latest compensable one."""
    for step in reversed(completed):
        if step.compensation_state is not None:
            return step.compensation_state
    return outcomes["compensated"]


# --------------------------------------------------------------------------- approvals


def lower_approval(ctx: LoweringContext, node: ast.ApprovalState, parent: str | None) -> None:
    """Lower an approval flow into level states (sequential/conditional) or regions (parallel)."""
    seen: dict[str, Span] = {}
    header = header_parts(ctx, node.items)
    routing: ir.Routing = "sequential"
    delegation = False
    levels: list[ast.Level] = []
    for item in node.items:
        match item:
            case ast.Routing(kind=kind, span=span) if ctx.once(seen, "routing", span, "`routing`"):
                routing = kind
            case ast.Delegation(allowed=allowed, span=span) if ctx.once(
                seen, "delegation", span, "`delegation`"
            ):
                delegation = allowed
            case ast.Level():
                levels.append(item)
            case ast.Outcome():
                pass
            case _:
                lower_common(ctx, node.name, item, seen)
    outcomes = _outcomes(ctx, node.name, node.items, ("approved", "rejected", "recall"), seen)
    actions = _outcome_actions(ctx, node.name, node.items, ("approved", "rejected", "recall"))
    _require(ctx, node.name, node.name_span, outcomes, node.items, "approved", "rejected")
    if not levels:
        ctx.report(
            codes.EMPTY_BLOCK,
            f"approval `{node.name}` has no levels",
            node.name_span,
            help="add `level 1 { approvers role:manager quorum 1 timeout 24h escalate -> ... }`",
        )
        return
    table = _levels(ctx, node, levels, routing)
    if routing == "parallel":
        _parallel_approval(ctx, node, table, outcomes, actions, delegation, parent, header)
    else:
        _sequential_approval(ctx, node, table, outcomes, actions, delegation, parent, header, routing)
    if outcomes["recall"] is not None:
        ctx.event("recall", node.span, "approval")
        ctx.add_transition(
            ir.Transition(
                node.name,
                "event",
                outcomes["recall"],
                event="recall",
                actions=actions["recall"],
                span=node.span,
            )
        )
    ctx.approvals.append(
        ir.Approval(
            node.name,
            routing,
            tuple(table),
            delegation,
            outcomes["approved"],
            outcomes["rejected"],
            outcomes["recall"],
            node.span,
        )
    )


def _levels(
    ctx: LoweringContext, node: ast.ApprovalState, levels: list[ast.Level], routing: str
) -> list[ir.ApprovalLevel]:
    numbers: dict[str, Span] = {}
    valid: list[ast.Level] = []
    for level in levels:
        first = numbers.get(str(level.number))
        if first is None:
            numbers[str(level.number)] = level.span
            valid.append(level)
        else:
            ctx.report(
                codes.DUPLICATE_LEVEL,
                f"level {level.number} of `{node.name}` is defined twice",
                level.span,
                related=[ctx.related(first, "first defined here")],
            )
    known = {level.number for level in valid}
    table: list[ir.ApprovalLevel] = []
    for level in valid:
        state = f"{node.name}.level_{level.number}"
        if routing == "parallel":
            state += ".pending"
        if not level.approvers:
            ctx.report(
                codes.MISSING_ITEM,
                f"level {level.number} of `{node.name}` has no approvers",
                level.span,
                help="add `approvers role:manager`",
            )
        approvers = _distinct_approvers(ctx, node, level)
        quorum = len(approvers) if level.quorum_all else (level.quorum if level.quorum is not None else 1)
        condition = None
        if level.condition is not None:
            if routing != "conditional":
                ctx.report(
                    codes.BAD_TARGET,
                    f"level {level.number} has a `when` condition but routing is {routing}",
                    level.condition.span,
                    help="add `routing conditional` to the approval",
                )
            condition = ctx.types.condition(level.condition, "level condition")
        escalate = _escalation(ctx, node, level, known, routing)
        table.append(
            ir.ApprovalLevel(
                number=level.number,
                state=state,
                approvers=approvers,
                quorum=quorum,
                condition=condition,
                timeout_ms=level.timeout_ms,
                escalate_to=escalate,
                span=level.span,
            )
        )
    return table


def _distinct_approvers(ctx: LoweringContext, node: ast.ApprovalState, level: ast.Level) -> tuple[str, ...]:
    """The level's approvers, each once; a repeated one is SW120 (it would be a quorum place twice)."""
    first: dict[str, Span] = {}
    for approver in level.approvers:
        name = str(approver)
        if name in first:
            ctx.report(
                codes.DUPLICATE_APPROVER,
                f"`{name}` is listed twice among the approvers of level {level.number} of `{node.name}`",
                approver.span,
                related=[ctx.related(first[name], "first listed here")],
            )
        else:
            first[name] = approver.span
    return tuple(first)


def _escalation(
    ctx: LoweringContext, node: ast.ApprovalState, level: ast.Level, known: set[int], routing: str
) -> str | None:
    if (level.escalate_level is not None or level.escalate_state is not None) and level.timeout_ms is None:
        ctx.report(
            codes.MISSING_ITEM,
            f"level {level.number} escalates but has no `timeout`",
            level.escalate_span,
            help="add `timeout 24h` to say when it escalates",
        )
    if level.escalate_level is not None:
        if routing == "parallel":
            ctx.report(
                codes.BAD_TARGET,
                "with parallel routing a level escalates to a state, not another level",
                level.escalate_span,
            )
            return None
        if level.escalate_level not in known:
            ctx.report(
                codes.UNKNOWN_LEVEL,
                f"`{node.name}` has no level {level.escalate_level}",
                level.escalate_span,
                help=f"levels: {', '.join(str(n) for n in sorted(known))}",
            )
            return None
        return f"{node.name}.level_{level.escalate_level}"
    if level.escalate_state is not None:
        return ctx.target(level.escalate_state, level.escalate_span)
    return None


def _level_waits(
    ctx: LoweringContext,
    level: ir.ApprovalLevel,
    parent: str,
    outcomes: dict[str, str | None],
    rejected: tuple[ir.Action, ...],
    delegation: bool,
) -> None:
    """Add a waiting level state with its reject, delegate and timeout transitions."""
    ctx.states.append(
        ir.State(level.state, "atomic", parent=parent, role="approval_level", waits=True, span=level.span)
    )
    if outcomes["rejected"] is not None:
        ctx.event("reject", level.span, "approval")
        ctx.add_transition(
            ir.Transition(
                level.state,
                "event",
                outcomes["rejected"],
                event="reject",
                actions=rejected,
                span=level.span,
            )
        )
    ctx.event("delegate", level.span, "approval")
    if delegation:
        ctx.add_transition(ir.Transition(level.state, "event", None, event="delegate", span=level.span))
    else:
        ctx.rejects.append(
            ir.Reject(level.state, "delegate", "reject", "delegation is not allowed", level.span)
        )
    if level.timeout_ms is not None and level.escalate_to is not None:
        ctx.add_transition(
            ir.Transition(
                level.state, "timeout", level.escalate_to, after_ms=level.timeout_ms, span=level.span
            )
        )


def _sequential_approval(
    ctx: LoweringContext,
    node: ast.ApprovalState,
    table: list[ir.ApprovalLevel],
    outcomes: dict[str, str | None],
    actions: dict[str, tuple[ir.Action, ...]],
    delegation: bool,
    parent: str | None,
    header: BlockHeader,
    routing: str,
) -> None:
    conditional = routing == "conditional"
    route = f"{node.name}.route"
    children = ((route,) if conditional else ()) + tuple(level.state for level in table)
    ctx.states.append(
        header.state(
            node.name,
            "compound",
            parent,
            node.span,
            initial=children[0] if children else None,
            children=children,
            role="approval",
        )
    )
    ctx.event("approve", node.span, "approval")
    if conditional:
        ctx.states.append(ir.State(route, "atomic", parent=node.name, role="approval_route", span=node.span))
        _choose_next(ctx, route, "always", None, table, outcomes["approved"], actions["approved"], node.span)
    for position, level in enumerate(table):
        _level_waits(ctx, level, node.name, outcomes, actions["rejected"], delegation)
        rest = table[position + 1 :]
        if conditional:
            _choose_next(
                ctx,
                level.state,
                "event",
                "approve",
                rest,
                outcomes["approved"],
                actions["approved"],
                level.span,
            )
        else:
            after = rest[0].state if rest else outcomes["approved"]
            if after is not None:
                ctx.add_transition(
                    ir.Transition(
                        level.state,
                        "event",
                        after,
                        event="approve",
                        actions=() if rest else actions["approved"],
                        span=level.span,
                    )
                )


def _choose_next(
    ctx: LoweringContext,
    source: str,
    kind: ir.TransitionKind,
    event: str | None,
    rest: list[ir.ApprovalLevel],
    approved: str | None,
    on_approved: tuple[ir.Action, ...],
    span: Span,
) -> None:
    """Go to the first later level whose condition holds (exclusive guards), else to `approved`."""
    skipped: list[ir.Expr] = []
    for level in rest:
        if level.condition is None:
            guard = _all_not(skipped, span)
            ctx.add_transition(
                ir.Transition(source, kind, level.state, event=event, guard=guard, span=level.span)
            )
            return
        parts = [*(_negate(s, span) for s in skipped), level.condition]
        ctx.add_transition(
            ir.Transition(
                source, kind, level.state, event=event, guard=_conjoin(parts, span), span=level.span
            )
        )
        skipped.append(level.condition)
    if approved is not None:
        ctx.add_transition(
            ir.Transition(
                source, kind, approved, event=event, is_else=bool(skipped), actions=on_approved, span=span
            )
        )


def _negate(expr: ir.Expr, span: Span) -> ir.Expr:
    return ir.Unary("not", expr, "bool", span)


def _conjoin(parts: list[ir.Expr], span: Span) -> ir.Expr:
    return balanced("and", parts, span)


def _all_not(skipped: list[ir.Expr], span: Span) -> ir.Expr | None:
    return _conjoin([_negate(s, span) for s in skipped], span) if skipped else None


def _parallel_approval(
    ctx: LoweringContext,
    node: ast.ApprovalState,
    table: list[ir.ApprovalLevel],
    outcomes: dict[str, str | None],
    actions: dict[str, tuple[ir.Action, ...]],
    delegation: bool,
    parent: str | None,
    header: BlockHeader,
) -> None:
    regions = tuple(f"{node.name}.level_{level.number}" for level in table)
    ctx.states.append(
        header.state(
            node.name,
            "parallel",
            parent,
            node.span,
            children=regions,
            role="approval",
        )
    )
    ctx.event("approve", node.span, "approval")
    for region, level in zip(regions, table, strict=True):
        granted = f"{region}.granted"
        ctx.states.append(
            ir.State(
                region,
                "compound",
                parent=node.name,
                initial=level.state,
                children=(level.state, granted),
                role="approval_region",
                span=level.span,
            )
        )
        _level_waits(ctx, level, region, outcomes, actions["rejected"], delegation)
        ctx.states.append(
            ir.State(
                granted, "final", parent=region, role="approval_granted", outcome="success", span=level.span
            )
        )
        ctx.add_transition(ir.Transition(level.state, "event", granted, event="approve", span=level.span))
    if outcomes["approved"] is not None:
        ctx.add_transition(
            ir.Transition(
                node.name, "completion", outcomes["approved"], actions=actions["approved"], span=node.span
            )
        )


# --------------------------------------------------------------------------- checkpoints


def lower_checkpoint(ctx: LoweringContext, node: ast.CheckpointState, parent: str | None) -> None:
    """Lower a human checkpoint into a waiting state with acknowledge and timeout transitions."""
    seen: dict[str, Span] = {}
    header = header_parts(ctx, node.items)
    prompt: str | None = None
    assignee: str | None = None
    timeout = next((i for i in node.items if isinstance(i, ast.HardTimeout)), None)
    for item in node.items:
        match item:
            case ast.Prompt(text=text, span=span) if ctx.once(seen, "prompt", span, "`prompt`"):
                prompt = text
            case ast.Assignee(approver=approver, span=span) if ctx.once(seen, "assignee", span, "`assignee`"):
                assignee = str(approver)
            case ast.Outcome():
                pass
            case _:
                lower_common(ctx, node.name, item, seen)
    outcomes = _outcomes(ctx, node.name, node.items, ("acknowledged",), seen)
    actions = _outcome_actions(ctx, node.name, node.items, ("acknowledged",))
    _require(ctx, node.name, node.name_span, outcomes, node.items, "acknowledged")
    ctx.states.append(
        header.state(
            node.name,
            "atomic",
            parent,
            node.span,
            role="checkpoint",
            waits=True,
        )
    )
    if outcomes["acknowledged"] is not None:
        ctx.event("acknowledge", node.span, "checkpoint")
        ctx.add_transition(
            ir.Transition(
                node.name,
                "event",
                outcomes["acknowledged"],
                event="acknowledge",
                actions=actions["acknowledged"],
                span=node.span,
            )
        )
    fallback = timeout.target if timeout is not None and timeout.target in ctx.declared else None
    ctx.checkpoints.append(
        ir.Checkpoint(
            node.name,
            prompt,
            assignee,
            outcomes["acknowledged"],
            None if timeout is None else timeout.duration_ms,
            fallback,
            node.span,
        )
    )
