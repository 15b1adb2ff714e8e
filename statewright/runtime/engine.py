"""The step function: one event, timer or work result applied to an instance snapshot.

Every function here is pure: it takes a `Definition`, an `Instance` and what
happened, and returns a `Step` holding the one `Commit` a store applies
atomically (new snapshot, audit record, timer changes, owed work) and, for a
refusal, the error to raise once the refusal is recorded. Nothing is half
applied: the whole step is computed first, checked (domains, invariants), and
only then committed; a refusal commits a record and nothing else.

Semantics (statecharts, as the verifier's graph assumes):

- an event is offered to every active leaf; each walks outwards (leaf, parent,
  ...) to the first level that decides it: the first transition whose guard
  holds (an unguarded one always holds), else its `else` branch, else a
  `reject`/`ignore` there; a level whose guards all fail passes the event on;
- the selected transitions run in document order, skipping any whose exit set
  meets one already taken (SCXML's preemption); a transition exits the active
  states below its domain (innermost first, exit actions, timers cancelled),
  runs its actions, and enters the states down to its target (outermost first,
  entry actions, timers started, work invoked);
- eventless transitions (`always`, and `completion` when a compound's child or
  every region of a parallel state is final) are separate steps, taken by
  `settle` until none is enabled; so every committed snapshot is a stable or
  settling configuration, never a half-taken transition.

Speed without a second semantics: what a step derives from the definition alone
(ancestor chains, exit and entry sets per configuration, timer keys, the domain
check of each field) is computed once per definition in a `plan.Plan`; guards,
invariants and `set` actions are walked once through `interpret` over a staging
algebra whose every primitive is `values.VALUES`' own, so they compute exactly
what `values.holds` and `values.apply_sets` do. A step's audit record is encoded
once: `codec.seal` stamps it and hands its canonical JSON to the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal

from statewright import ir
from statewright.runtime.definition import Definition, Level
from statewright.runtime.draft import NO_REQUEST, Draft, Request, Step
from statewright.runtime.errors import (
    BadContext,
    EventNotAllowed,
    EventRejected,
    NoGuardHolds,
    NotRunning,
    PayloadInvalid,
    PermissionDenied,
    WorkflowError,
)
from statewright.runtime.model import (
    Decision,
    Instance,
    RecordKind,
    Timer,
    Vote,
    Work,
)
from statewright.runtime.plan import Plan, plan_of
from statewright.semantics import approvals, inputs, retries
from statewright.semantics.dispatch import EventlessKind, preempted
from statewright.semantics.inputs import check_fields, input_name
from statewright.semantics.retries import backoff_ms

_DECISIONS: frozenset[str] = frozenset({"approve", "reject", "delegate"})
"""The approval events, counted at the levels whose approvers include the actor."""
RESULT_INVALID = inputs.RESULT_INVALID
"""The error name of work whose result does not fit the fields its `invoke ... returns` declares."""
CANCELLED = "Cancelled"
CANCELLED_MESSAGE = "the instance was cancelled"
"""The failure a cancel inside a saga stands for: its moves read them as `error.name`, `error.message`."""
MAX_MESSAGE = 2000
"""Characters of a failure's message kept (`error.message`, the audit record); the rest is cut."""

__all__ = [
    "Request",
    "Step",
    "backoff_ms",
    "control",
    "finish",
    "fire",
    "initial_context",
    "refused_payload",
    "send",
    "settle",
    "start",
]


# --------------------------------------------------------------------------- starting


def start(
    definition: Definition,
    instance_id: str,
    values: Mapping[str, ir.Value],
    now_ms: int,
    request: Request | None = None,
) -> Step:
    """Create an instance in the initial state with `values` over the defaults (validated first).

    Raises `BadContext` (nothing is created) when a value is unknown, of the wrong
    type, out of range, missing without a default, or breaks an invariant.
    """
    machine = definition.machine
    context = initial_context(definition, values)
    blank = Instance(
        id=instance_id,
        workflow=machine.name,
        workflow_version=machine.version,
        active=(),
        context=context,
        status="running",
        version=0,
        created_ms=now_ms,
        updated_ms=now_ms,
        definition=definition.identity,
    )
    plan = plan_of(definition)
    draft = Draft(definition, blank, now_ms, plan)
    for name in plan.initial_entry:
        draft.enter(name)
    draft.active = list(definition.hierarchy.initial_leaves)
    draft.finish_if_final()
    problem = draft.check()
    if problem is not None:
        raise BadContext(str(problem.args[0]))
    return draft.commit("start", request or NO_REQUEST, inputs=dict(values))


def initial_context(definition: Definition, values: Mapping[str, ir.Value]) -> dict[str, ir.Value]:
    """The defaults overridden by `values`, validated against the declared types and invariants."""
    fields = definition.fields
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise BadContext(
            f"unknown context field `{unknown[0]}`; the fields are: {', '.join(fields) or 'none'}"
        )
    plan = plan_of(definition)
    context: dict[str, ir.Value] = {}
    for name, accepts, field_type in plan.checks:  # `value_in_domain` per field, in declaration order
        value = values.get(name, fields[name].default)
        if value is None:
            raise BadContext(f"`{name}` has no default: give it a value ({field_type.describe()})")
        if not accepts(value):
            raise BadContext(f"`{name}` = {value!r} does not fit {field_type.describe()}")
        if field_type.name == "decimal" and not isinstance(value, Decimal):
            value = Decimal(int(value))
        context[name] = value
    for text, test in plan.invariants:  # `values.holds`, staged once per definition
        if not test(context):
            raise BadContext(f"the start context breaks the invariant `{text}`")
    return context


# --------------------------------------------------------------------------- events


Resolution = tuple[Literal["transition", "reject", "ignore", "other_region", "unhandled", "no_guard"], object]


def _resolve(draft: Draft, leaf: str, event: str) -> Resolution:
    """Walk `semantics.dispatch`'s candidates for `event` in `leaf`, evaluating guards on the context."""
    definition = draft.definition
    handling = definition.dispatch.handling(leaf, event)
    for index in handling.candidates:
        transition = definition.transitions[index]
        if transition.guard is None or transition.is_else:
            return ("transition", index)
        held = draft.plan.guard_holds(index, draft.env() if draft.inputs else draft.context)
        draft.guards.append((definition.guard_texts[index], held))
        if held:
            return ("transition", index)
    match handling.terminal:
        case "reject" | "ignore":
            return (handling.terminal, handling.refusal)
        case "other_region":
            return ("other_region", handling.region)
        case "no_guard":
            return ("no_guard", None)
    return ("unhandled", None)


def send(
    definition: Definition,
    instance: Instance,
    event: str,
    now_ms: int,
    request: Request | None = None,
    data: Mapping[str, object] | None = None,
) -> Step:
    """Offer `event` with its payload `data` to the instance: the applied step, or a recorded refusal.

    The payload is checked against the event's declared fields before anything
    else (`semantics.inputs.check_fields`): a problem is a recorded `invalid`
    refusal raising `PayloadInvalid`, nothing applied. Guards and `set`s of the
    transitions it takes read the fields as `event.F`; the record keeps them.
    """
    request = request or NO_REQUEST
    plan = plan_of(definition)
    draft = Draft(definition, instance, now_ms, plan)
    if instance.status != "running":
        raise NotRunning(f"instance `{instance.id}` is {instance.status}; it takes no events")
    if event not in definition.events:
        shown = _clean(event, 200)  # any text a caller sent: as the audit log can store it
        return draft.refuse(
            "event",
            "not_allowed",
            EventNotAllowed(f"`{shown}` is not an event of {definition.name}"),
            request,
            event=shown,
        )
    fields = definition.payloads.get(event, ())
    if fields or data:
        values, problems = check_fields(fields, data or {})
        if problems:
            listed = "; ".join(str(problem) for problem in problems)
            error = PayloadInvalid(f"the payload of `{event}` does not fit: {listed}", problems)
            return draft.refuse("event", "invalid", error, request, event=event)
        draft.data = values
        draft.inputs = {input_name("event", name): value for name, value in values.items()}
    chosen: list[int] = []
    refusals: list[ir.Reject] = []
    no_guard = False
    for leaf in instance.active:
        kind, detail = _resolve(draft, leaf, event)
        if kind == "transition" and isinstance(detail, int):
            if detail not in chosen:
                chosen.append(detail)
        elif kind in ("reject", "ignore") and isinstance(detail, ir.Reject):
            refusals.append(detail)
        elif kind == "no_guard":
            no_guard = True
    if not chosen:
        return _refusal(draft, event, refusals, no_guard, request)
    chosen.sort()
    transitions = definition.transitions
    first = transitions[chosen[0]]
    decision: Decision | None = None
    if event in _DECISIONS and any(transitions[i].source in definition.levels for i in chosen):
        counted = _count_votes(draft, chosen, event, request)
        if isinstance(counted, WorkflowError):
            return draft.refuse("event", "denied", counted, request, event=event, transition=chosen[0])
        decision = event  # type: ignore[assignment]
        if not counted:  # counted, quorum not reached yet at any level
            return draft.commit("event", request, event=event, decision=decision)
        chosen = counted
    active = tuple(instance.active)

    def exits(index: int) -> tuple[str, ...]:
        target = transitions[index].target
        return () if target is None else plan.exits(active, transitions[index].source, target)

    taken = preempted(chosen, exits)
    for index in taken:  # every transition the event applies passes the gate, or none is applied
        denied = _gate(transitions[index], request, definition.machine.scope) or _assignee(
            definition, transitions[index], request
        )
        if denied is not None:
            return draft.refuse(
                "event",
                "denied",
                PermissionDenied(denied),
                request,
                event=event,
                transition=index,
                permissions=transitions[index].permissions,
                scope=transitions[index].scope,
            )
    for index in taken:
        draft.take(index)
    problem = draft.check()
    if problem is not None:
        return draft.fresh().refuse("event", "denied", problem, request, event=event)
    return draft.commit(
        "event",
        request,
        event=event,
        transition=taken[0],
        permissions=first.permissions,
        scope=first.scope,
        decision=decision,
    )


def refused_payload(
    definition: Definition, instance: Instance, event: str, now_ms: int, request: Request, reason: str
) -> Step:
    """The `invalid` refusal a payload got, rebuilt from its recorded reason (for replay).

    The log keeps why a payload was refused, not the payload (it may hold anything a
    caller sent); a refusal changes nothing, so its record is all there is to rebuild.
    """
    draft = Draft(definition, instance, now_ms)
    return draft.refuse("event", "invalid", PayloadInvalid(reason), request, event=event)


def _count_votes(draft: Draft, chosen: list[int], event: str, request: Request) -> list[int] | WorkflowError:
    """Count an approval decision at one waiting level: the first where the actor may decide.

    An actor belongs to a level (LANGUAGE.md §10), so one decision counts once, even
    for an actor who qualifies at several parallel levels; an approval counts at
    the first such level where the actor has not decided yet and some listed
    approver they stand for is still open. Returns the transitions to take: the
    non-level ones, and the level's when the decision settles it (a reject, a
    delegation, an approval reaching its quorum). An actor who may decide at no
    waiting level, or a delegation the level refuses, is refused.
    """
    definition = draft.definition
    kept: list[int] = []
    counted = False
    ineligible: WorkflowError | None = None
    if request.actor is None:
        return PermissionDenied(f"an approval decision (`{event}`) needs an actor: say who decides")
    for index in chosen:
        level = definition.levels.get(definition.transitions[index].source)
        if level is None:
            kept.append(index)
            continue
        if counted:
            continue  # the decision already counted at an earlier level
        votes = draft.votes.get(level.state, ())
        refused = _ineligible(level, votes, event, request)
        if refused is not None:
            ineligible = ineligible or PermissionDenied(refused)
            continue  # the decision may count at a later level
        decided = _vote(draft, level, event, request, votes)
        if isinstance(decided, WorkflowError):
            return decided
        counted = True
        if decided:
            kept.append(index)
    if not counted and ineligible is not None:
        return ineligible
    return kept


def _refusal(draft: Draft, event: str, refusals: list[ir.Reject], no_guard: bool, request: Request) -> Step:
    rejects = [r for r in refusals if r.kind == "reject"]
    if rejects:
        reason = rejects[0].reason or "refused in this state"
        error: WorkflowError = EventRejected(f"`{event}` refused in `{rejects[0].state}`: {reason}")
        return draft.refuse("event", "rejected", error, request, event=event)
    if no_guard:
        where = ", ".join(f"`{leaf}`" for leaf in draft.before.active)
        return draft.refuse(
            "event", "no_guard", NoGuardHolds(f"no guard on `{event}` holds in {where}"), request, event=event
        )
    if refusals:
        return draft.commit("event", request, "ignored", event=event, reason="ignored")
    where = ", ".join(f"`{leaf}`" for leaf in draft.before.active)
    return draft.refuse(
        "event", "not_allowed", EventNotAllowed(f"`{event}` is not allowed in {where}"), request, event=event
    )


def _gate(transition: ir.Transition, request: Request, workflow_scope: str | None) -> str | None:
    """The governance gate: required permissions, scope and evidence; the reason it refuses, or None.

    The scope lock is the transition's `scope`, else, for a transition with
    `requires`, the workflow's; a request must name exactly that scope (naming
    none is refused, LANGUAGE.md §13).
    """
    if not transition.permissions and not transition.evidence and transition.scope is None:
        return None  # an open transition
    missing = [p for p in transition.permissions if p not in request.permissions]
    if missing:
        return f"actor `{request.actor or 'anonymous'}` lacks {', '.join(f'`{p}`' for p in missing)}"
    scope = transition.scope or (workflow_scope if transition.permissions else None)
    if scope is not None and request.scope != scope:
        if request.scope is None:
            return f"the transition runs under the scope lock `{scope}`; the request names no scope"
        return f"the request's scope `{request.scope}` is not `{scope}`"
    absent = [name for name in transition.evidence if name not in request.evidence]
    if absent:
        return f"evidence missing: {', '.join(f'`{name}`' for name in absent)}"
    return None


def _assignee(definition: Definition, transition: ir.Transition, request: Request) -> str | None:
    """A checkpoint is acknowledged only by its assignee (by id or a held role); the reason, or None."""
    assignee = definition.assignees.get(transition.source)
    if assignee is None or transition.event != "acknowledge":
        return None
    if assignee == request.actor or assignee in request.permissions:
        return None
    who = request.actor or "anonymous"
    return f"only `{assignee}` may acknowledge `{transition.source}`; `{who}` neither is nor holds it"


def _standing(level: Level, votes: tuple[Vote, ...], request: Request) -> tuple[str, ...]:
    """The listed approvers the actor stands for at the level, in the order written.

    Those the actor is (by id) or holds (a presented role), and those delegated to
    the actor at this level; none once the actor has delegated there.
    """
    actor = request.actor
    if any(v.decision == "delegate" and v.actor == actor for v in votes):
        return ()
    held = {actor, *request.permissions}
    received = {a for v in votes if v.decision == "delegate" and v.to == actor for a in v.approvers}
    return tuple(a for a in level.approvers if a in held or a in received)


def _approvals(votes: tuple[Vote, ...]) -> list[tuple[str, ...]]:
    """The approvals cast at a level, each as the listed approvers its actor stood for."""
    return [v.approvers for v in votes if v.decision == "approve"]


def _ineligible(level: Level, votes: tuple[Vote, ...], event: str, request: Request) -> str | None:
    """Why the actor's decision cannot count at this level (None: it can)."""
    actor = request.actor
    if any(v.decision == "delegate" and v.actor == actor for v in votes):
        return f"`{actor}` delegated at level {level.number} and no longer decides there"
    if event in ("approve", "delegate") and any(v.actor == actor and v.decision == "approve" for v in votes):
        return f"`{actor}` already approved at level {level.number}"
    standing = _standing(level, votes, request)
    if not standing:
        return f"`{actor}` is not an approver at level {level.number} ({', '.join(level.approvers)})"
    if event == "approve" and not approvals.counts(_approvals(votes), standing):
        return (
            f"`{actor}` stands for {', '.join(standing)} at level {level.number}, "
            "each needed by an approval already cast: one approval fills one listed approver"
        )
    return None


def _vote(
    draft: Draft, level: Level, event: str, request: Request, votes: tuple[Vote, ...]
) -> WorkflowError | bool:
    """Count an eligible actor's decision; True when it decides the level, False while quorum is short.

    An approval records every listed approver the actor stands for; the level is
    approved once `quorum` listed approvers can be filled at once, each by a
    different approving actor (a maximum matching, `semantics.approvals`), so
    the order of approvals never matters. A delegation hands the delegator's
    standing to the delegate and ends the delegator's part.
    """
    actor = request.actor or ""
    if event == "delegate":
        if not level.delegation:
            return PermissionDenied(f"delegation is forbidden at level {level.number}")
        if not request.delegate_to:
            return PermissionDenied("say whom to delegate to")
        if request.delegate_to == actor:
            return PermissionDenied(f"`{actor}` cannot delegate to themselves")
        standing = _standing(level, votes, request)
        draft.votes[level.state] = (*votes, Vote(actor, "delegate", standing, request.delegate_to))
        return True
    if event == "reject":
        return True
    standing = _standing(level, votes, request)
    draft.votes[level.state] = (*votes, Vote(actor, "approve", standing))
    return approvals.filled([*_approvals(votes), standing]) >= level.quorum


# --------------------------------------------------------------------------- eventless steps


def settle(definition: Definition, instance: Instance, now_ms: int) -> Step | None:
    """The next enabled eventless transition (`always`, `completion`) as a step; None when stable."""
    if instance.status != "running":
        return None
    plan = plan_of(definition)
    if not plan.settling:
        return None
    names = plan.settle_states(tuple(instance.active))
    if not names:
        return None
    draft = Draft(definition, instance, now_ms, plan)
    for name in names:
        for index in definition.dispatch.eventless((name,), "always"):
            if definition.transitions[index].is_else or draft.guard_holds(index):
                if definition.transitions[index].guard is not None:
                    draft.guards.append((definition.guard_texts[index], True))
                return _eventless(draft, index, "always")
        completion = definition.eventless.get((name, "completion"), ())
        if completion and _complete(definition, plan, name, instance.active):
            return _eventless(draft, completion[0], "completion")
    return None


def _complete(definition: Definition, plan: Plan, name: str, active: Iterable[str]) -> bool:
    """A compound state's child, or every region of a parallel state, is in a final state."""
    states = definition.states
    state = states[name]
    below = plan.below[name]
    leaves = [leaf for leaf in active if leaf in below]
    if state.kind == "parallel":
        return all(
            any(states[leaf].kind == "final" and states[leaf].parent == region for leaf in leaves)
            for region in state.children
        )
    return any(states[leaf].kind == "final" and states[leaf].parent == name for leaf in leaves)


def _eventless(draft: Draft, index: int, kind: RecordKind) -> Step:
    draft.take(index)
    return _checked(draft, kind, transition=index)


def _checked(draft: Draft, kind: RecordKind, **fields: Any) -> Step:
    """The draft's commit, or, when the new context breaks a range or an invariant, a refusal.

    A refused step records why and changes nothing else: a timer that caused it
    stays pending and work whose result caused it stays owed.
    """
    problem = draft.check()
    if problem is None:
        return draft.commit(kind, NO_REQUEST, **fields)
    return draft.fresh().refuse(kind, "denied", problem, NO_REQUEST, transition=fields.get("transition"))


# --------------------------------------------------------------------------- timers and work


def fire(definition: Definition, instance: Instance, timer: Timer, now_ms: int) -> Step | None:
    """A due timer: a hard timeout moves, a soft one warns, a retry re-owes work, a heartbeat fails it.

    None when the timer no longer applies (its state was left).
    """
    plan = plan_of(definition)
    if instance.status != "running" or timer.state not in plan.states_of(tuple(instance.active)):
        return None
    draft = Draft(definition, instance, now_ms, plan)
    draft.cause = {"timer": timer.key}
    draft.cancel(timer.key)
    state = definition.states[timer.state]
    if timer.kind == "timeout" and timer.transition is not None:
        draft.take(timer.transition)
        return _checked(draft, "timeout", transition=timer.transition)
    if timer.kind == "soft_timeout":
        number = int(timer.key.rsplit(":", 1)[1])
        soft = state.soft_timeouts[number]
        draft.run_actions(soft.actions, timer.key)
        return _checked(draft, "soft_timeout", reason=soft.message or "still waiting")
    if timer.kind == "retry" and state.invoke is not None:
        draft.invoke(timer.state, state.invoke, attempt=draft.attempts.get(timer.state, 0) + 1)
        return draft.commit("retry", NO_REQUEST, reason=f"attempt {draft.attempts.get(timer.state, 0) + 1}")
    draft.cause["failure"] = "HeartbeatTimeout"
    beat = state.invoke.heartbeat_ms if state.invoke is not None else None
    message = f"no heartbeat within {beat} ms" if beat is not None else "no heartbeat"
    return _failed(draft, timer.state, "HeartbeatTimeout", message=message)


def finish(
    definition: Definition,
    instance: Instance,
    work: Work,
    error: str | None,
    now_ms: int,
    seed: int = 0,
    result: Mapping[str, object] | None = None,
    message: str | None = None,
    final: bool = False,
) -> Step | None:
    """A handler's outcome for owed work: `done`/`error` transitions or a retry for invoked work.

    Success (`error` None) carries `result`, checked against the fields the
    invoke `returns` (`semantics.inputs.check_fields`); a result that does not
    fit is a failure named `ResultInvalid` whose message says what is wrong, and
    goes through the retry policy and the catches like any failure. A failure
    carries its `message` (`error.message`). None when the outcome is stale (its
    state was left, or a newer attempt owns it): the work is then simply marked
    done. `do` and `emit` results change nothing but the outbox, which the
    caller marks done in the step that sent the emit. `final`: the executor
    (Temporal's activity retries) already applied the retry policy, so a failure
    goes to the catches (or the dead letter) at once, no retry timer.
    """
    if work.kind != "invoke" or work.state is None:
        return None
    if instance.status != "running" or instance.work.get(work.state) != work.key:
        return None
    if error is not None:
        error = _clean(error)  # a name the audit log can store (UTF-8 text, not too long)
    fields = definition.results.get(work.state, ())
    values: dict[str, ir.Value] = {}
    if error is None and fields:  # work that declares no `returns` has its value ignored, in every engine
        values, problems = check_fields(fields, result or {})
        if problems:
            error = RESULT_INVALID
            message = inputs.result_invalid_message(work.action, problems)
    draft = Draft(definition, instance, now_ms)
    draft.cause = {"work": work.key, "failure": error}
    draft.done_work.append(work.key)
    draft.cancel(f"heartbeat:{work.state}")
    if error is None:
        draft.result = values
        draft.inputs = {input_name("result", name): value for name, value in values.items()}
        draft.invoked.pop(work.state, None)
        draft.attempts.pop(work.state, None)
        index = _eventless_from(definition, work.state, "done", draft)
        if index is None:
            return draft.commit("done", NO_REQUEST, reason=f"{work.action} finished")
        draft.take(index)
        return _checked(draft, "done", transition=index)
    return _failed(draft, work.state, error, seed, message or "", final)


def _failed(
    draft: Draft, name: str, error: str, seed: int = 0, message: str = "", final: bool = False
) -> Step:
    """An attempt failed: retry per the policy (a backoff timer), or route the failure.

    `final`: the executor already applied the retry policy (`semantics.retries`),
    so the failure is routed at once, never retried again here.

    Routing (`semantics.dispatch.caught`): the first catch naming the error whose
    guard holds, else a catch-all (the dead letter), else the instance fails.
    The transition reads `error.name` and `error.message`.
    """
    definition = draft.definition
    message = _clean(message)
    draft.message = message
    draft.inputs = {input_name("error", "name"): error, input_name("error", "message"): message}
    state = definition.states[name]
    policy = state.invoke.retry if state.invoke is not None else None
    failures = draft.attempts.get(name, 0) + 1
    if policy is not None and not final and retries.may_retry(policy, error, failures):
        draft.attempts[name] = failures
        delay = retries.retry_delay_ms(policy, failures, seed, draft.before.id, name)
        draft.set_timer(Timer(draft.before.id, f"retry:{name}", draft.now + delay, "retry", name))
        return draft.commit("error", NO_REQUEST, reason=f"{error}; retry {failures} in {delay} ms")
    pending = draft.invoked.pop(name, None)
    if pending is not None:
        draft.done_work.append(pending)
    index = next(
        (
            i
            for i in definition.dispatch.caught(definition.hierarchy.chain(name), error)
            if draft.guard_holds(i)
        ),
        None,
    )
    if index is None:
        draft.status = "failed"
        return draft.commit("error", NO_REQUEST, reason=f"{error}; nothing handles the failure")
    draft.take(index)
    return _checked(draft, "error", transition=index, reason=error)


def _eventless_from(definition: Definition, name: str, kind: EventlessKind, draft: Draft) -> int | None:
    """The first of `semantics.dispatch`'s `done` candidates for `name` whose guard holds (inputs read)."""
    for index in definition.dispatch.eventless(definition.hierarchy.chain(name), kind):
        if definition.transitions[index].is_else or draft.guard_holds(index):
            return index
    return None


def _clean(message: str, limit: int = MAX_MESSAGE) -> str:
    """Text as a string value and the audit log can hold it: UTF-8 (lone surrogates replaced), cut short."""
    text = message.encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- control


def control(
    definition: Definition,
    instance: Instance,
    action: Literal["pause", "resume", "cancel"],
    now_ms: int,
    request: Request | None = None,
) -> Step:
    """Pause, resume or cancel: a recorded status change (timers are kept while paused).

    Cancelling an instance inside a saga with completed compensable steps does
    not simply stop it (LANGUAGE.md §9): like a step failing for good, it takes
    the running step's `error` move, so the compensations run in reverse order
    and the saga leaves through `compensated` (after the pivot, through
    `compensation_failed`). The instance keeps running until then; cancelling it
    again, while it compensates, stops it outright.
    """
    request = request or NO_REQUEST
    draft = Draft(definition, instance, now_ms)
    allowed = {"pause": ("running",), "resume": ("paused",), "cancel": ("running", "paused")}
    if instance.status not in allowed[action]:
        raise NotRunning(f"cannot {action} instance `{instance.id}`: it is {instance.status}")
    if action == "cancel":
        undo = _saga_undo(definition, instance)
        if undo:
            draft.status = "running"
            draft.inputs = {
                input_name("error", "name"): CANCELLED,
                input_name("error", "message"): CANCELLED_MESSAGE,
            }
            for index in undo:
                draft.take(index)
            return _checked_control(draft, request, undo[0])
    draft.status = {"pause": "paused", "resume": "running", "cancel": "cancelled"}[action]  # type: ignore[assignment]
    if action == "cancel":
        for key in draft.before_timers():
            draft.cancel(key)
        draft.done_work.extend(draft.invoked.values())
        draft.invoked.clear()
    return draft.commit(action, request)


def _saga_undo(definition: Definition, instance: Instance) -> list[int]:
    """The `error` moves of the running saga steps whose failure would undo something (or pass the pivot).

    A step whose failure goes straight to `compensated` has nothing to undo: cancel stops it.
    """
    outcome = {step.state: saga.compensated for saga in definition.machine.sagas for step in saga.steps}
    moves: list[int] = []
    for leaf in instance.active:
        if leaf not in outcome:
            continue
        for index in definition.dispatch.caught(definition.hierarchy.chain(leaf), None):
            target = definition.transitions[index].target
            if definition.transitions[index].source == leaf and target not in (None, outcome[leaf]):
                moves.append(index)
            break
    return moves


def _checked_control(draft: Draft, request: Request, transition: int) -> Step:
    """A cancel that compensates, committed, or refused whole when the move breaks a range or invariant."""
    problem = draft.check()
    if problem is None:
        return draft.commit("cancel", request, transition=transition, reason="compensating the saga first")
    return draft.fresh().refuse("cancel", "denied", problem, request, transition=transition)
