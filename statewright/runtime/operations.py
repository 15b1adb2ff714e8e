"""An operator's repairs of a running instance: reroute, rollback and redrive (docs/OPERATIONS.md).

Pure step functions, as `engine`'s: each takes a `Definition`, an `Instance`
and what the operator asked, and returns a `Step` holding the one `Commit` a
store applies atomically, with an audit record of its own kind (`reroute`,
`rollback`, `redrive`) naming the actor, the permissions presented and the
reason. A refused operation raises before anything is computed into a commit,
so nothing is recorded and nothing changes (the operator's tool prints why).

Who may repair: every operation needs an actor, a non-empty reason and the
permission `role:operator` (`OPERATOR`); a workflow that declares a governance
`scope` also needs the request to name that scope, as a `requires` transition
does (LANGUAGE.md §13).

- **reroute** moves the instance to a declared state as an external transition
  from its first active leaf: the states below the domain are exited (exit
  actions, timers cancelled, pending work dropped), then the target is entered
  (entry actions, timers, invoked work). Leaving a saga with completed
  compensable steps owes their compensations, latest first, with their own
  keys (`semantics.sagas.pending_undo`, the debt an event exit pays);
- **rollback** takes the running saga step's `error` move, as a cancel inside a
  saga does (`engine._saga_undo`): the saga's own compensation chain runs in
  reverse order and the saga leaves through `compensated`;
- **redrive** owes the failed invoke again with the same idempotency key and a
  fresh attempt count: a failed instance (nothing handled the failure) runs
  again from the failed state; one waiting where a catch sent the failure (the
  dead letter) goes back to the failed state.
"""

from __future__ import annotations

from typing import Final

from statewright import ir
from statewright.diagnostics import Code
from statewright.diagnostics.catalog.operations import (
    NOTHING_TO_REDRIVE,
    NOTHING_TO_ROLL_BACK,
    OPERATION_DENIED,
    REROUTE_TARGET_INVALID,
    REROUTE_UNKNOWN_STATE,
)
from statewright.runtime.definition import Definition
from statewright.runtime.draft import Draft, Request, Step
from statewright.runtime.engine import _clean, _saga_undo
from statewright.runtime.errors import NotRunning, WorkflowError
from statewright.runtime.model import Instance, Timer
from statewright.semantics.inputs import input_name
from statewright.semantics.sagas import Pending, pending_undo

OPERATOR: Final = "role:operator"
"""The permission an operator presents for a reroute, rollback or redrive."""
ROLLED_BACK: Final = "RolledBack"
"""The failure a rollback stands for: the compensation chain reads it as `error.name` (its reason as
`error.message`)."""
REROUTABLE: Final = frozenset({"state", "saga", "approval", "checkpoint"})
"""The roles of the states a reroute may target: those the spec declares by name. The states the
compiler makes (saga steps, compensations, approval levels and regions) are entered only as their
own workflow enters them."""

__all__ = [
    "OPERATOR",
    "OperationRefusedError",
    "authorise",
    "redrive",
    "reroute",
    "rollback",
]


class OperationRefusedError(WorkflowError):
    """An operator repair refused (SW070-SW074): nothing was recorded or changed."""

    code = OPERATION_DENIED

    def __init__(self, message: str, code: Code = OPERATION_DENIED) -> None:
        super().__init__(message, code=code)


def authorise(definition: Definition, request: Request, reason: str) -> None:
    """Refuse (SW070) a repair without an actor, a reason, `role:operator` or the workflow's scope."""
    if not (request.actor or "").strip():
        raise OperationRefusedError("an operator repair needs an actor: say who repairs (`--actor`)")
    if not reason.strip():
        raise OperationRefusedError("an operator repair needs a reason: say why (`--reason`)")
    if OPERATOR not in request.permissions:
        raise OperationRefusedError(
            f"actor `{request.actor}` does not present `{OPERATOR}`, the permission operator repairs need"
        )
    scope = definition.machine.scope
    if scope is not None and request.scope != scope:
        named = "names no scope" if request.scope is None else f"names scope `{request.scope}`"
        raise OperationRefusedError(
            f"{definition.name} runs under the scope lock `{scope}`; the request {named}"
        )


def _running(instance: Instance, operation: str) -> None:
    if instance.status != "running":
        hint = "; resume it first" if instance.status == "paused" else ""
        raise NotRunning(f"cannot {operation} instance `{instance.id}`: it is {instance.status}{hint}")


# --------------------------------------------------------------------------- reroute


def reroute(
    definition: Definition, instance: Instance, target: str, now_ms: int, request: Request, reason: str
) -> Step:
    """Move a running instance to the declared state `target` by hand, as an external transition.

    Raises `OperationRefusedError` (SW070 no permission, SW071 unknown state, SW072 a
    state the compiler made), `NotRunning` (SW968), or `InvariantBroken` when the
    target's entry actions would break a range or an invariant; nothing is then applied.
    """
    authorise(definition, request, reason)
    _running(instance, "reroute")
    state = definition.states.get(target)
    if state is None:
        raise OperationRefusedError(
            f"{definition.name} has no state `{_clean(target, 200)}`", code=REROUTE_UNKNOWN_STATE
        )
    if state.role not in REROUTABLE:
        raise OperationRefusedError(
            f"`{target}` is a {state.role.replace('_', ' ')} the compiler made; reroute to a state the spec "
            f"declares (its parent `{state.parent}`, say)",
            code=REROUTE_TARGET_INVALID,
        )
    draft = Draft(definition, instance, now_ms)
    exited, entry, after = draft.plan.move(tuple(draft.active), instance.active[0], target)
    for name in exited:
        draft.exit(name)
    owed = _compensations(definition, exited)
    if owed:
        draft.run_actions(owed, "reroute")
    for name in entry:
        draft.enter(name)
    draft.active = list(after)
    draft.finish_if_final()
    problem = draft.check()
    if problem is not None:
        raise problem
    return draft.commit("reroute", request, reason=reason, inputs={"to": target})


def _compensations(definition: Definition, exited: tuple[str, ...]) -> tuple[ir.Action, ...]:
    """The compensations owed for the saga leaves a move exits, latest first.

    A step leaf owes its saga's completed compensable steps' compensations
    (`semantics.sagas.pending_undo`; after the pivot nothing is undone
    automatically, LANGUAGE.md §9); a compensation leaf (of the saga's own chain or
    of an exit's) owes itself and the rest of its chain. Each runs as its
    compensation state's work would: the same action, key and service.
    """
    owed: dict[str, Pending] = {}
    for saga in definition.machine.sagas:
        owed.update(pending_undo(saga))
    calls: list[ir.Action] = []
    states = definition.states
    for leaf in exited:
        role = states[leaf].role
        if role == "compensation":
            names = _chain(definition, leaf)
        elif role == "saga_step" and leaf in owed and not owed[leaf].post_pivot:
            names = [step.compensation_state or "" for step in owed[leaf].undo]
        else:
            continue
        for name in names:
            work = states[name].invoke if name in states else None
            if work is not None:
                calls.append(ir.Call(work.action, work.key, work.service))
    return tuple(calls)


def _chain(definition: Definition, leaf: str) -> list[str]:
    """A compensation state and those its `done` moves lead through, in the order they would run."""
    chain: list[str] = []
    current: str | None = leaf
    while current is not None and current not in chain and definition.states[current].role == "compensation":
        chain.append(current)
        moves = definition.eventless.get((current, "done"), ())
        current = definition.transitions[moves[0]].target if moves else None
    return chain


# --------------------------------------------------------------------------- rollback


def rollback(
    definition: Definition,
    instance: Instance,
    now_ms: int,
    request: Request,
    reason: str,
    saga: str | None = None,
) -> Step:
    """Start undoing the running saga (`saga`, or every active one): its compensation chain runs.

    Takes the running step's `error` move with `error.name` = `RolledBack`, as
    a cancel inside a saga does, so the completed compensable steps are undone
    in reverse order by the saga's own chain, which leaves through `compensated`
    (a failing compensation through `compensation_failed`). Raises
    `OperationRefusedError` (SW070, SW073 nothing to roll back), `NotRunning`, or
    `InvariantBroken`.
    """
    authorise(definition, request, reason)
    _running(instance, "roll back")
    owing = {
        leaf
        for each in definition.machine.sagas
        if saga is None or each.state == saga
        for leaf, owed in pending_undo(each).items()
        if owed.undo and not owed.post_pivot and leaf in {step.state for step in each.steps}
    }
    moves = [i for i in _saga_undo(definition, instance) if definition.transitions[i].source in owing]
    if not moves:
        which = "no active saga has" if saga is None else f"saga `{saga}` has no"
        where = ", ".join(f"`{leaf}`" for leaf in instance.active)
        raise OperationRefusedError(
            f"instance `{instance.id}` has nothing to roll back: {which} completed steps to undo "
            f"before its pivot (it is in {where})",
            code=NOTHING_TO_ROLL_BACK,
        )
    draft = Draft(definition, instance, now_ms)
    draft.inputs = {
        input_name("error", "name"): ROLLED_BACK,
        input_name("error", "message"): _clean(reason),
    }
    for index in moves:
        draft.take(index)
    problem = draft.check()
    if problem is not None:
        raise problem
    given: dict[str, ir.Value] = {"saga": saga} if saga is not None else {}
    return draft.commit("rollback", request, transition=moves[0], reason=reason, inputs=given)


# --------------------------------------------------------------------------- redrive


def redrive(
    definition: Definition,
    instance: Instance,
    state: str,
    key: str,
    now_ms: int,
    request: Request,
    reason: str,
) -> Step:
    """Owe `state`'s failed invoke again under its idempotency `key`, attempt 1.

    A failed instance runs again in `state` (its timers start again, as on
    entry); a running one, waiting where the failure was caught, moves back to
    `state` as an external transition (the catch's state is exited, `state`
    entered). `runtime.failures.failure_of` finds `state` and `key` in the log.
    Raises `OperationRefusedError` (SW070, SW074 nothing to redrive), `NotRunning`
    for a paused, cancelled or completed instance, or `InvariantBroken`.
    """
    authorise(definition, request, reason)
    if instance.status not in ("running", "failed"):
        _running(instance, "redrive")
    found = definition.states.get(state)
    if found is None or found.invoke is None:
        raise OperationRefusedError(f"`{state}` invokes no work to run again", code=NOTHING_TO_REDRIVE)
    invoke = found.invoke
    draft = Draft(definition, instance, now_ms)
    draft.cause = {"work": key}
    active_states = draft.plan.states_of(tuple(instance.active))
    if instance.status == "failed":
        if state not in active_states:
            where = ", ".join(f"`{leaf}`" for leaf in instance.active)
            raise OperationRefusedError(
                f"instance `{instance.id}` ended in {where} after `{state}` failed: a finished "
                "instance is not redriven",
                code=NOTHING_TO_REDRIVE,
            )
        draft.status = "running"
        draft.attempts.pop(state, None)
        draft.invoked[state] = key
        for timer, delay, kind, index in draft.plan.entry_timers[state]:
            draft.set_timer(Timer(instance.id, timer, now_ms + delay, kind, state, index))  # type: ignore[arg-type]
        draft.invoke(state, invoke, attempt=1)
    else:
        if state in active_states:
            raise OperationRefusedError(
                f"instance `{instance.id}` is still in `{state}`: its work is owed or retrying",
                code=NOTHING_TO_REDRIVE,
            )
        left, entered, leaves = draft.plan.move(tuple(draft.active), instance.active[0], state)
        for name in left:
            draft.exit(name)
        draft.invoked[state] = key  # entering `state` owes its work under the failed attempt's key
        for name in entered:
            draft.enter(name)
        draft.active = list(leaves)
    problem = draft.check()
    if problem is not None:
        raise problem
    return draft.commit("redrive", request, reason=reason, inputs={"state": state})
