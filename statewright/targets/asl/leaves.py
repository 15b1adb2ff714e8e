"""The states of one IR leaf: its marker, the callback Task it waits in, and the Choice that decides.

A leaf with invoked work waits in `L | work`: the work's resource gets the
task token and answers `{"kind": "done"}` (or fails with the error's name),
while events for the state are delivered to the same token. After the work is
done the leaf waits in `L | wait` (the event queue). A refused event passes
`L | refused` and returns to the same wait, changing nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from statewright import ir
from statewright.semantics.inputs import RESULT_INVALID
from statewright.semantics.spelling import field_types
from statewright.targets.asl import actions, approvals, choice, gates
from statewright.targets.asl.codes import (
    EVALUATOR_USED,
    RETRY_APPROXIMATED,
    SOFT_TIMEOUT_DROPPED,
    TIMER_ROUNDED,
    UNBOUNDED_WAIT,
)
from statewright.targets.asl.evaluator import CHECK, CHECK_KEYS
from statewright.targets.asl.expressions import field_to_data
from statewright.targets.asl.resources import EVALUATOR, EVENT_QUEUE
from statewright.targets.asl.retry import HEARTBEAT_ERROR, error_name, retriers, seconds
from statewright.targets.asl.scopes import Scope
from statewright.targets.asl.tasks import callback_task, request_task

if TYPE_CHECKING:
    from statewright.targets.asl.build import Builder


def generate(b: Builder, scope: Scope, leaf: str) -> None:
    """Add every state of `leaf` to `scope`."""
    state = b.h.states[leaf]
    marker = b.layout.markers[leaf]
    scope.states[marker] = {}  # the marker comes first in the definition
    if state.kind == "final" and _final(b, scope, state, marker):
        return
    body: dict[str, Any] = {"Type": "Pass", "Comment": b.describe(state)}
    level = b.levels.get(leaf)
    if level is not None:
        key, votes = approvals.initial_votes(b, leaf)
        body["Result"] = votes
        body["ResultPath"] = f"$.votes.{key}"
    for soft in state.soft_timeouts:
        body["Comment"] += f" [warn after {soft.after_ms} ms: {soft.message or 'still waiting'}]"
        b.note(
            SOFT_TIMEOUT_DROPPED, f"`warn after` on `{leaf}` is not expressed in Step Functions", soft.span
        )
    work = state.invoke is not None
    routes = [b.machine.transitions[i] for i in b.dispatch.eventless(b.h.chain(leaf), "always")]
    settled = any(t.is_else or t.guard is None for t in routes)
    first = "" if settled else _wait(b, scope, leaf, "work" if work else "wait")
    body["Next"] = _route(b, scope, leaf, routes, first) if routes else first
    b.layout.entries.add((marker, body["Next"]))
    scope.states[marker] = body


def _final(b: Builder, scope: Scope, state: ir.State, marker: str) -> bool:
    """A final leaf's marker: Succeed/Fail at the top, the end of a branch, or its parent's completion."""
    parent = state.parent
    if parent is None:
        if state.outcome == "failure":
            scope.states[marker] = {
                "Type": "Fail",
                "Comment": b.describe(state),
                "Error": state.name,
                "Cause": state.outcome_reason or f"the workflow ended in {state.name}",
            }
        else:
            scope.states[marker] = {"Type": "Succeed", "Comment": b.describe(state)}
        return True
    grand = b.h.states[parent].parent
    if grand is not None and b.h.states[grand].kind == "parallel":
        scope.states[marker] = {"Type": "Succeed", "Comment": b.describe(state) + "; this region is done"}
        return True
    completion = b.transitions(parent, "completion")
    if not completion:
        return False
    transition = completion[0]
    steps = b.completion_steps([state.name], transition)
    scope.states[marker] = {
        "Type": "Pass",
        "Comment": b.describe(state),
        "Next": b.chain(scope, (state.name, "done"), steps, transition.target, None),
    }
    return True


def _wait(b: Builder, scope: Scope, leaf: str, variant: str) -> str:
    """The callback Task of one variant (`work` or `wait`), with its evaluate and decide states."""
    name = b.namer.name(leaf, variant)
    if name in scope.states:
        return name
    scope.states[name] = {}
    state = b.h.states[leaf]
    b.layout.waits[name] = leaf
    events = _events(b, leaf, refusals=False)
    body_message: dict[str, Any] = {
        "token.$": "$$.Task.Token",
        "workflow": b.machine.name,
        "state": leaf,
        "kind": variant,
        "events": events,
    }
    if variant == "work" and state.invoke is not None:
        body_message["action"] = state.invoke.action
        body_message["key"] = state.invoke.key
        if state.invoke.service is not None:
            body_message["service"] = state.invoke.service
        resource = b.resources.resource(state.invoke.action)
    else:
        resource = b.resources.resource(EVENT_QUEUE)
    body_message["execution.$"] = "$$.Execution.Id"
    body_message["context.$"] = "$.context"
    task = callback_task(resource, body_message)
    task["Comment"] = (
        f"{leaf}: runs {state.invoke.action} and waits for it or an event"
        if variant == "work" and state.invoke
        else f"{leaf}: waits for an event"
    ) + (f" ({b.cite(state.span)})" if b.cite(state.span) else "")
    timers = [(level, t) for level in b.h.chain(leaf) for t in b.transitions(level, "timeout")]
    catches: list[dict[str, Any]] = []
    if timers:
        soonest = min(timers, key=lambda item: item[1].after_ms or 0)
        task["TimeoutSeconds"] = seconds(soonest[1].after_ms or 0)
        for _, timer in timers:
            if (timer.after_ms or 0) % 1000:
                b.note(
                    TIMER_ROUNDED,
                    f"timeout of {timer.after_ms} ms on `{timer.source}` rounded up",
                    timer.span,
                )
        for level, transition in timers:
            catches.append(
                {
                    "ErrorEquals": [f"Timer.{level}"],
                    "ResultPath": "$.error",
                    "Next": _transition(b, scope, leaf, transition, name),
                }
            )
        catches.append(
            {
                "ErrorEquals": ["States.Timeout"],
                "ResultPath": "$.error",
                "Next": _transition(b, scope, leaf, soonest[1], name),
            }
        )
    else:
        task["TimeoutSeconds"] = b.max_wait_s
        b.note(
            UNBOUNDED_WAIT,
            f"`{leaf}` waits with no timeout; its callback is bounded by {b.max_wait_s} s",
            state.span,
        )
        catches.append(
            {
                "ErrorEquals": ["States.Timeout"],
                "ResultPath": "$.error",
                "Next": _fail(
                    b, scope, leaf, "expired", "statewright.WaitExpired", f"{leaf} waited {b.max_wait_s} s"
                ),
            }
        )
    timer_errors = [f"Timer.{level}" for level, _ in timers] + ["States.Timeout"]
    if variant == "work" and state.invoke is not None:
        if (
            state.invoke.heartbeat_ms is not None
            and seconds(state.invoke.heartbeat_ms) < task["TimeoutSeconds"]
        ):
            task["HeartbeatSeconds"] = seconds(state.invoke.heartbeat_ms)
        retry = retriers(
            state.invoke.retry,
            timer_errors,
            leaf,
            lambda code, text: b.note(code, text, state.invoke.span if state.invoke else state.span),
            heartbeat="HeartbeatSeconds" in task,
        )
        if retry:
            task["Retry"] = retry
        heartbeat = "HeartbeatSeconds" in task
        for error in _caught_names(b, leaf):
            if error == HEARTBEAT and heartbeat:
                continue  # the heartbeat's own entry below
            catches.append(
                {
                    "ErrorEquals": [error_name(error)],
                    "ResultPath": "$.error",
                    "Next": _caught(b, scope, leaf, error, name),
                }
            )
        target = _caught(b, scope, leaf, None, name)
        catches.append({"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": target})
        if heartbeat:  # before States.Timeout, which matches a missed heartbeat too
            missed = _heartbeat_missed(b, scope, leaf, name, state.invoke.heartbeat_ms or 0)
            catches.insert(0, {"ErrorEquals": [HEARTBEAT_ERROR], "ResultPath": "$.error", "Next": missed})
    else:
        failed = _fail(
            b,
            scope,
            leaf,
            "callback failed",
            "statewright.CallbackFailed",
            f"the wait in {leaf} was failed by its caller",
        )
        catches.append({"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": failed})
    task["ResultPath"] = "$.signal"
    task["Catch"] = catches
    task["Next"] = _checked(b, scope, leaf, variant, name, _decide(b, scope, leaf, variant, name))
    scope.states[name] = task
    return name


HEARTBEAT = "HeartbeatTimeout"
"""The runtime's name of a missed heartbeat (`error.name`); Step Functions says `States.HeartbeatTimeout`."""


def _caught_names(b: Builder, leaf: str) -> list[str]:
    """The error names some level of `leaf` catches by name (`on error NAME`), innermost first."""
    names: list[str] = []
    for level in b.h.chain(leaf):
        for transition in b.transitions(level, "error"):
            if transition.event is not None and transition.event not in names:
                names.append(transition.event)
    return names


def _caught(b: Builder, scope: Scope, leaf: str, error: str | None, wait: str) -> str:
    """Where a final failure named `error` (None: any other) goes: `semantics.dispatch.caught`'s order.

    The first catch naming it whose guard holds, then the catch-alls (the dead
    letter); when none holds, the execution fails as the runtime's instance does.
    """
    state = b.h.states[leaf]
    action = state.invoke.action if state.invoke is not None else leaf
    candidates = b.dispatch.caught(b.h.chain(leaf), error)
    failed = ""
    if not _settled(b, candidates):
        failed = b.namer.name(leaf, "failed")
        if failed not in scope.states:
            _fail(
                b, scope, leaf, "failed", "statewright.WorkFailed", f"{action} failed and nothing handles it"
            )
    key = ("caught", error) if error is not None else ("caught",)
    route = _choose(b, scope, leaf, key, candidates, failed, wait, f"{leaf}: who handles the failure")
    if not any(_reads(b.machine.transitions[i], "error") for i in candidates):
        return route
    return _with_message(b, scope, leaf, key, route)


def _with_message(b: Builder, scope: Scope, leaf: str, key: tuple[str, ...], route: str) -> str:
    """`route`, after making sure `$.error.Cause` is a string: a failure sent without a cause has none.

    `error.message` of a failure without a message is "" in the runtime.
    """
    name = b.namer.name(leaf, *key, "message?")
    if name in scope.states:
        return name
    blank = b.namer.name(leaf, *key, "no message")
    cause = "$.error.Cause"
    scope.states[name] = {
        "Type": "Choice",
        "Comment": 'a failure without a cause has the message ""',
        "Choices": [
            {
                "And": [{"Variable": cause, "IsPresent": True}, {"Variable": cause, "IsString": True}],
                "Next": route,
            }
        ],
        "Default": blank,
    }
    scope.states[blank] = {"Type": "Pass", "Result": "", "ResultPath": cause, "Next": route}
    b.layout.neutral.update((name, blank))
    return name


def _settled(b: Builder, candidates: tuple[int, ...]) -> bool:
    """Whether one of `candidates` always holds (unguarded, or an `else`): no fallback is needed."""
    return any(b.machine.transitions[i].guard is None or b.machine.transitions[i].is_else for i in candidates)


def _heartbeat_missed(b: Builder, scope: Scope, leaf: str, wait: str, beat_ms: int) -> str:
    """A missed heartbeat's route; where a catch reads `error.*`, the failure is named as the runtime does."""
    route = _caught(b, scope, leaf, HEARTBEAT, wait)
    candidates = b.dispatch.caught(b.h.chain(leaf), HEARTBEAT)
    if not any(_reads(b.machine.transitions[i], "error") for i in candidates):
        return route
    name = b.namer.name(leaf, "heartbeat missed")
    scope.states[name] = {
        "Type": "Pass",
        "Comment": "Step Functions says States.HeartbeatTimeout; error.name is the runtime's name",
        "Result": {"Error": HEARTBEAT, "Cause": f"no heartbeat within {beat_ms} ms"},
        "ResultPath": "$.error",
        "Next": route,
    }
    return name


def _reads(transition: ir.Transition, scope: ir.InputScope) -> bool:
    """Whether the guard or a `set` of `transition` reads an input of `scope`."""
    exprs = [transition.guard] if transition.guard is not None else []
    exprs += [a.value for a in transition.actions if isinstance(a, ir.Assign)]
    return any(
        (found := ir.input_of(name)) is not None and found[0] == scope
        for expr in exprs
        for name in field_types(expr)
    )


def _choose(
    b: Builder,
    scope: Scope,
    leaf: str,
    key: tuple[str, ...],
    candidates: tuple[int, ...],
    fallback: str,
    wait: str,
    comment: str,
) -> str:
    """A Choice taking the first of `candidates` (dispatch order) whose guard holds, else `fallback`.

    An unguarded candidate or an `else` is the Default; guards that Choice rules
    cannot test are computed by the evaluator first (with the inputs they read).
    """
    name = b.namer.name(leaf, *key)
    evaluate = b.namer.name(leaf, *key, "evaluate guards")
    if name in scope.states:
        return evaluate if evaluate in scope.states else name
    guards = _Guards(b)
    rules: list[dict[str, Any]] = []
    default = fallback
    for index in candidates:
        transition = b.machine.transitions[index]
        target = _transition(b, scope, leaf, transition, wait)
        if transition.guard is None or transition.is_else:
            default = target
            break
        rules.append({**choice.condition(transition.guard, guards.offload), "Next": target})
    if not rules:
        return default
    scope.states[name] = {"Type": "Choice", "Comment": comment, "Choices": rules, "Default": default}
    b.layout.neutral.add(name)
    return _evaluated_first(b, scope, guards, evaluate, name)


def _evaluated_first(b: Builder, scope: Scope, guards: _Guards, evaluate: str, choice_name: str) -> str:
    """Where the Choice `choice_name` is entered: itself, or the evaluator Task computing its guards."""
    if not guards.named:
        return choice_name
    task = request_task(
        b.resources.resource(EVALUATOR), actions.evaluator_body(b.machine, guards.named), list(guards.named)
    )
    task["Comment"] = "Choice rules cannot do arithmetic: the evaluator computes these comparisons"
    task["ResultPath"] = "$.guards"
    task["Next"] = choice_name
    scope.states[evaluate] = task
    b.layout.neutral.add(evaluate)
    return evaluate


def _checked(b: Builder, scope: Scope, leaf: str, variant: str, wait: str, decide: str) -> str:
    """The check of a callback answer's data before anything else, as the runtime's (or `decide`).

    An event's payload (`data`) and finished work's result (`result`) are checked
    by the evaluator with `semantics.inputs.check_fields`: a payload that does
    not fit refuses the event (nothing changes; the state waits on), a result
    that does not fit is the work's `ResultInvalid` failure. A valid answer
    comes back typed, defaults filled in, and replaces `$.signal`.
    """
    state = b.h.states[leaf]
    payloads = {e.name: [field_to_data(f) for f in e.payload] for e in b.machine.events if e.payload}
    # work that declares no `returns` has its return value ignored, as the runtime does: nothing to check
    work = variant == "work" and state.invoke is not None and bool(state.invoke.result)
    result = [field_to_data(f) for f in state.invoke.result] if work and state.invoke is not None else []
    if not payloads and not result:
        return decide
    if _CHECKED not in b.evaluated:  # once per machine, at its first declaration of data
        b.evaluated.add(_CHECKED)
        declared = next((e.span for e in b.machine.events if e.payload), state.span)
        b.note(
            EVALUATOR_USED,
            "payloads and work results are checked by the StatewrightEvaluator function",
            declared,
        )
    name = b.namer.name(leaf, variant, "check data")
    verdict = b.namer.name(leaf, variant, "data fits?")
    accept = b.namer.name(leaf, variant, "take data")
    invalid = b.namer.name(leaf, variant, "data refused")
    request: dict[str, Any] = {"payloads": payloads}
    if work and state.invoke is not None:
        request["result"] = result
        request["action"] = state.invoke.action
    body = {
        "workflow": b.machine.name,
        CHECK: request,
        "execution.$": "$$.Execution.Id",
        "signal.$": "$.signal",
    }
    task = request_task(b.resources.resource(EVALUATOR), body, list(CHECK_KEYS))
    task["Comment"] = "the answer's payload or result is checked against the declared fields first"
    task["ResultPath"] = "$.check"
    task["Next"] = verdict
    scope.states[name] = task
    rules: list[dict[str, Any]] = [{"Variable": "$.check.valid", "BooleanEquals": True, "Next": accept}]
    if work:
        rules.append(
            {
                "Variable": "$.signal.kind",
                "StringEquals": "done",
                "Next": _result_invalid(b, scope, leaf, wait),
            }
        )
    scope.states[verdict] = {
        "Type": "Choice",
        "Comment": f"{leaf}: does the answer's data fit?",
        "Choices": rules,
        "Default": invalid,
    }
    scope.states[accept] = {
        "Type": "Pass",
        "Comment": "the checked answer: values typed, defaults filled in",
        "InputPath": "$.check.signal",
        "ResultPath": "$.signal",
        "Next": decide,
    }
    scope.states[invalid] = {
        "Type": "Pass",
        "Comment": f"the event's payload does not fit (PayloadInvalid): refused in {leaf}, nothing changes",
        "Next": wait,
    }
    b.layout.neutral.update((name, verdict, accept))
    b.layout.refusals.add(invalid)
    return name


_CHECKED = "#checks"
"""Marks, among the expressions the evaluator computes, that it checks answers too (one SW921 note)."""


def _result_invalid(b: Builder, scope: Scope, leaf: str, wait: str) -> str:
    """Work whose result does not fit: a `ResultInvalid` failure, routed to the catches (never retried)."""
    state = b.h.states[leaf]
    policy = state.invoke.retry if state.invoke is not None else None
    if (
        policy is not None
        and policy.max_retries != 0
        and (not policy.retry_on or RESULT_INVALID in policy.retry_on)
    ):
        b.note(
            RETRY_APPROXIMATED,
            f"{leaf}: a result that does not fit is not retried in Step Functions (it arrives as a "
            "success); the ResultInvalid failure goes to the catches at once",
            state.invoke.span if state.invoke is not None else state.span,
        )
    name = b.namer.name(leaf, "result invalid")
    scope.states[name] = {
        "Type": "Pass",
        "Comment": "the result does not fit: the work failed with ResultInvalid",
        "InputPath": "$.check.error",
        "ResultPath": "$.error",
        "Next": _caught(b, scope, leaf, RESULT_INVALID, wait),
    }
    return name


def _fail(b: Builder, scope: Scope, leaf: str, what: str, error: str, cause: str) -> str:
    name = b.namer.name(leaf, what)
    scope.states[name] = {"Type": "Fail", "Error": error, "Cause": cause}
    return name


def _events(b: Builder, leaf: str, refusals: bool = True) -> list[str]:
    """The events some level above `leaf` has transitions for (and refuses), in first-mention order."""
    return list(b.dispatch.events_at(b.h.chain(leaf), refusals))


class _Guards:
    """Expressions one decide Choice hands to the evaluator, named g1, g2, ..."""

    def __init__(self, b: Builder) -> None:
        self.b = b
        self.named: dict[str, ir.Expr] = {}

    def offload(self, expr: ir.Expr) -> str:
        for key, known in self.named.items():
            if known == expr:
                return f"$.guards.{key}"
        key = f"g{len(self.named) + 1}"
        self.named[key] = expr
        self.b.note_evaluated(expr, expr.span)
        return f"$.guards.{key}"


def _decide(b: Builder, scope: Scope, leaf: str, variant: str, wait: str) -> str:
    """The Choice resolving the callback's answer (work done or an event) as the runtime does."""
    name = b.namer.name(leaf, variant, "decide")
    refused = b.namer.name(leaf, variant, "refused")
    scope.states[refused] = {
        "Type": "Pass",
        "Comment": f"the event is refused in {leaf}: nothing changes",
        "Next": wait,
    }
    b.layout.refusals.add(refused)
    unhandled = b.namer.name(leaf, variant, "not handled")
    scope.states[unhandled] = {
        "Type": "Pass",
        "Comment": f"no level of {leaf} handles the event: nothing changes",
        "Next": wait,
    }
    b.layout.unhandled.add(unhandled)
    b.layout.neutral.update((name, wait))
    guards = _Guards(b)
    rules: list[dict[str, Any]] = []
    if variant == "work":
        candidates = b.dispatch.eventless(b.h.chain(leaf), "done")
        finished = "" if _settled(b, candidates) else _finished(b, scope, leaf)
        target = _choose(
            b, scope, leaf, ("done",), candidates, finished, wait, f"{leaf}: where done work goes"
        )
        rules.append({"Variable": "$.signal.kind", "StringEquals": "done", "Next": target})
    for event in _events(b, leaf):
        rules.extend(_event_rules(b, scope, leaf, event, wait, refused, guards))
    choice_state: dict[str, Any] = {"Type": "Choice", "Comment": f"{leaf}: what the answer means here"}
    if rules:
        choice_state["Choices"] = rules
    choice_state["Default"] = unhandled
    if not rules:
        scope.states[name] = {"Type": "Pass", "Comment": f"{leaf} takes no events", "Next": unhandled}
        return name
    scope.states[name] = choice_state
    if not guards.named:
        return name
    return _evaluated_first(b, scope, guards, b.namer.name(leaf, variant, "evaluate guards"), name)


def _finished(b: Builder, scope: Scope, leaf: str) -> str:
    """The work is done and no `done ->` is taken: the leaf waits on for its events."""
    target = b.namer.name(leaf, "work finished")
    idle = _wait(b, scope, leaf, "wait")
    scope.states[target] = {
        "Type": "Pass",
        "Comment": f"the work of {leaf} is done; the state waits on for its events",
        "Next": idle,
    }
    b.layout.entries.add((target, idle))
    return target


def _event_rules(
    b: Builder, scope: Scope, leaf: str, event: str, wait: str, refused: str, guards: _Guards
) -> list[dict[str, Any]]:
    """The Choice rules for one event: `semantics.dispatch`'s candidates for the leaf, in order."""
    is_event = {"Variable": "$.signal.event", "StringEquals": event}
    handling = b.dispatch.handling(leaf, event)
    rules: list[dict[str, Any]] = []
    for index in handling.candidates:
        transition = b.machine.transitions[index]
        target = _transition(b, scope, leaf, transition, wait, refused)
        if transition.guard is None or transition.is_else:
            rules.append({**is_event, "Next": target})
            return rules
        rules.append({"And": [is_event, choice.condition(transition.guard, guards.offload)], "Next": target})
    if handling.refusal is not None:
        ignored = handling.refusal.kind == "ignore"
        rules.append({**is_event, "Next": _ignored(b, scope, leaf, wait) if ignored else refused})
    elif handling.candidates:  # only guards decide it, and none holds: refused
        rules.append({**is_event, "Next": refused})
    return rules


def _ignored(b: Builder, scope: Scope, leaf: str, wait: str) -> str:
    """`ignore EVENT`: the event is taken and dropped (recorded by the runtime, no change)."""
    name = b.namer.name(wait, "ignored")
    scope.states[name] = {"Type": "Pass", "Comment": f"the event is ignored in {leaf}", "Next": wait}
    b.layout.ignored.add(name)
    return name


def _transition(
    b: Builder, scope: Scope, leaf: str, transition: ir.Transition, wait: str, refused: str | None = None
) -> str:
    """The first state of taking `transition` from `leaf`: votes and gates first, then the chain."""
    index = b.index[id(transition)]
    back = wait if transition.target is None else None
    variant = wait.rsplit(" | ", 1)[-1]
    found = b.firsts.get((leaf, index, wait))
    if found is not None:
        return found
    label = _label(b, transition, index)
    chain = b.chains.get((leaf, index, back))
    if chain is None:  # the chain itself is the same from either wait of the leaf, unless it returns to it
        chain_label = label if back is None else f"{label} ({variant})"
        chain = b.chain(scope, (leaf, chain_label), b.steps_of(leaf, transition), transition.target, back)
        b.chains[(leaf, index, back)] = chain
    if b.h.states[leaf].invoke is not None:  # two waits: gates and votes refuse back to their own
        label = f"{label} ({variant})"
    refuse = refused or wait
    first = gates.gate(b, scope, leaf, label, transition, chain, refuse)
    first = approvals.vote(b, scope, leaf, label, transition, first, refuse, wait)
    b.firsts[(leaf, index, wait)] = first
    return first


def _label(b: Builder, transition: ir.Transition, index: int) -> str:
    label = transition.event if transition.kind == "event" and transition.event else transition.kind
    if transition.kind == "error" and transition.event is not None:
        label = f"error {transition.event}"
    same = b.alike.get((transition.source, transition.kind, transition.event), [])
    if len(same) > 1:
        label += f"#{same.index(index) + 1}"
    return label


def _route(b: Builder, scope: Scope, leaf: str, routes: list[ir.Transition], wait: str) -> str:
    """An eventless choice (conditional approval routing): the first `always` whose guard holds."""
    name = b.namer.name(leaf, "route")
    guards = _Guards(b)
    rules: list[dict[str, Any]] = []
    default = wait
    for transition in routes:
        target = _transition(b, scope, leaf, transition, wait)
        if transition.is_else or transition.guard is None:
            default = target
            break
        rules.append({**choice.condition(transition.guard, guards.offload), "Next": target})
    b.layout.entries.add((name, default))
    if rules:
        scope.states[name] = {
            "Type": "Choice",
            "Comment": f"{leaf}: the first route whose condition holds",
            "Choices": rules,
            "Default": default,
        }
    else:
        scope.states[name] = {"Type": "Pass", "Next": default}
    if not guards.named:
        return name
    evaluate = b.namer.name(leaf, "route", "evaluate guards")
    task = request_task(
        b.resources.resource(EVALUATOR), actions.evaluator_body(b.machine, guards.named), list(guards.named)
    )
    task["ResultPath"] = "$.guards"
    task["Next"] = name
    scope.states[evaluate] = task
    return evaluate
