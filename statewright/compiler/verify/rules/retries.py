"""Retry and timeout rules (SW7xx): bounded work stays bounded, and failures go somewhere.

They read every state's invoked work (`State.invoke` with its `RetryPolicy`), including the
states the compiler makes for saga steps and compensations:

- SW701 retries are capped (`retry unlimited` is an error);
- SW702 a growing backoff (`linear`, `exponential`) has a cap (`BASE..CAP`);
- SW703 work with a retry policy has somewhere to go when its retries are spent: a
  `dead_letter -> State` (an `error` transition). Saga steps and compensations are exempt:
  their failure starts compensation or leads to `compensation_failed`;
- SW704 invoked work has a hard timeout (its state's or an enclosing state's) or a heartbeat.
  Compensations are the exception the language cannot yet fix: a step's `timeout` bounds only
  the step, and a saga takes no block-level timeout, so unbounded compensations are reported
  once per saga, as information (a known risk: a hung compensation never reaches
  `compensation_failed`), unless a timer on the saga or above bounds them;
- SW705 retries with `jitter none`: many instances failing together retry together;
- SW706 retried `invoke` work without an idempotency key: an attempt whose answer was lost
  is repeated, and the call runs twice (a double charge). Saga steps and compensations
  without a key are SW502's (an error);
- SW707 an `on error NAME` catch that can never fire: every work it could catch retries
  NAME without a limit (`retry unlimited` with NAME in `retry_on`, or no `retry_on`), so
  the failure is never final and never reaches the catch.

A compensation state runs with its step's retry policy; that policy is reported once, on the
step. Orphaned waiting states (no timeout at all) are the waits rules' SW601.
"""

from __future__ import annotations

from collections.abc import Iterator

from statewright import ir
from statewright.compiler.verify.graph import graph_of
from statewright.diagnostics import Diagnostic
from statewright.diagnostics.catalog.retries import (
    CATCH_NEVER_FIRES,
    NO_DEAD_LETTER,
    NO_JITTER,
    RETRY_WITHOUT_KEY,
    UNBOUNDED_WORK,
    UNCAPPED_BACKOFF,
    UNLIMITED_RETRIES,
)
from statewright.ir.text import format_duration
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.hookspecs import hookimpl

FAMILY = "retries"
SAGA_ROLES = ("saga_step", "compensation")


def _file(machine: ir.Machine) -> str:
    return machine.source or machine.name


def _shared_policies(machine: ir.Machine, states: dict[str, ir.State]) -> set[str]:
    """Compensation states whose retry policy is their step's (reported on the step instead)."""
    shared: set[str] = set()
    for saga in machine.sagas:
        for step in saga.steps:
            state = states.get(step.compensation_state or "")
            if state is not None and state.invoke is not None and state.invoke.retry == step.retry:
                shared.add(state.name)
    return shared


def _work(machine: ir.Machine, state: ir.State) -> str:
    """How a message names the work of `state`."""
    action = state.invoke.action if state.invoke else "?"
    if state.role == "saga_step" and state.parent is not None:
        return f"saga step `{action}` of `{state.parent}`"
    if state.role == "compensation" and state.parent is not None:
        return f"compensation `{action}` of `{state.parent}`"
    return f"`{action}` in `{state.name}`"


def _policies(machine: ir.Machine) -> Iterator[tuple[ir.State, ir.Invoke, ir.RetryPolicy]]:
    """Every retry policy once, with the state whose work it retries."""
    shared = _shared_policies(machine, {state.name: state for state in machine.states})
    for state in machine.states:
        if state.invoke is not None and state.invoke.retry is not None and state.name not in shared:
            yield state, state.invoke, state.invoke.retry


class RetryPolicyRule:
    """SW701 (uncapped retries), SW702 (uncapped backoff) and SW705 (no jitter)."""

    name = "retry-policy"
    family = FAMILY
    codes: tuple[str, ...] = (UNLIMITED_RETRIES.code, UNCAPPED_BACKOFF.code, NO_JITTER.code)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report each retry policy's missing caps and jitter."""
        graph = graph_of(context.run_for(machine))
        for state, _invoke, policy in _policies(machine):
            work = _work(machine, state)
            if policy.max_retries is None:
                yield Diagnostic.of(
                    UNLIMITED_RETRIES,
                    f"retries of {work} are unlimited: a permanent failure is retried forever",
                    _file(machine),
                    policy.span,
                    counterexample=graph.path_to(state.name),
                )
            if policy.backoff in ("linear", "exponential") and policy.cap_ms is None:
                yield Diagnostic.of(
                    UNCAPPED_BACKOFF,
                    f"the {policy.backoff} backoff of {work} has no cap: the delay between "
                    "attempts keeps growing",
                    _file(machine),
                    policy.span,
                    help=f"add a cap: `backoff {policy.backoff} {format_duration(policy.base_ms)}..5m`",
                    counterexample=graph.path_to(state.name),
                )
            if policy.jitter == "none" and (policy.max_retries is None or policy.max_retries > 0):
                yield Diagnostic.of(
                    NO_JITTER,
                    f"retries of {work} have no jitter: instances that fail together retry together",
                    _file(machine),
                    policy.span,
                    counterexample=graph.path_to(state.name),
                )


class DeadLetterRule:
    """SW703: retried work goes to a dead-letter state when its retries are spent."""

    name = "retry-dead-letter"
    family = FAMILY
    codes: tuple[str, ...] = (NO_DEAD_LETTER.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report non-saga work with a retry policy and no `error` transition."""
        graph = graph_of(context.run_for(machine))
        errors = {t.source for t in machine.transitions if t.kind == "error" and t.target is not None}
        for state, _invoke, policy in _policies(machine):
            if state.role in SAGA_ROLES or state.name in errors:
                continue
            if policy.dead_letter is not None:
                message = (
                    f"the retry policy of {_work(machine, state)} names dead letter "
                    f"`{policy.dead_letter}`, but the machine has no `error` transition to it"
                )
            else:
                message = (
                    f"when the retries of {_work(machine, state)} are spent, the failure goes nowhere: "
                    "the state has no dead-letter target"
                )
            yield Diagnostic.of(
                NO_DEAD_LETTER, message, _file(machine), policy.span, counterexample=graph.path_to(state.name)
            )


class BoundedWorkRule:
    """SW704: invoked work is bounded by a timeout or a heartbeat."""

    name = "bounded-work"
    family = FAMILY
    codes: tuple[str, ...] = (UNBOUNDED_WORK.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report invoked work with no timer on its state (or above) and no heartbeat."""
        graph = graph_of(context.run_for(machine))
        timed = {t.source for t in machine.transitions if t.kind == "timeout" and t.target is not None}
        compensated = {step.state for saga in machine.sagas for step in saga.steps if step.compensation_state}
        for state in machine.states:
            if state.invoke is None or state.invoke.heartbeat_ms is not None:
                continue
            if state.role == "compensation":
                continue  # bounded by its step's timeout, and reported with its step
            if state.name in timed or any(a in timed for a in graph.ancestors(state.name)):
                continue
            also = " (nor has its compensation, which runs under the step's timeout)"
            if state.name not in compensated:
                also = ""
            fix = (
                "add `timeout D` to the step; its compensation gets the same bound"
                if state.role == "saga_step"
                else "add `timeout D -> State` or `heartbeat D` to the state"
            )
            yield Diagnostic.of(
                UNBOUNDED_WORK,
                f"{_work(machine, state)} has neither a timeout nor a heartbeat{also}: if it hangs, the "
                "instance waits forever",
                _file(machine),
                state.invoke.span,
                help=f"bounded work must be bounded: {fix}",
                counterexample=graph.path_to(state.name),
            )


class RetryKeyRule:
    """SW706: retried invoked work carries an idempotency key."""

    name = "retry-idempotency-key"
    family = FAMILY
    codes: tuple[str, ...] = (RETRY_WITHOUT_KEY.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report `invoke`s with a retry policy that can retry and no `key`."""
        graph = graph_of(context.run_for(machine))
        for state in machine.states:
            invoke = state.invoke
            if invoke is None or invoke.key is not None or state.role in SAGA_ROLES:
                continue
            policy = invoke.retry
            if policy is None or policy.max_retries == 0:
                continue
            yield Diagnostic.of(
                RETRY_WITHOUT_KEY,
                f"{_work(machine, state)} is retried but has no idempotency key: an attempt that "
                "succeeded but whose answer was lost runs again",
                _file(machine),
                invoke.span or state.span,
                help=f'add `key "{{workflow_id}}-{invoke.action}"` to the `invoke` (one key per intent), '
                "and have the service honour it",
                counterexample=graph.path_to(state.name),
            )


class CatchNeverFiresRule:
    """SW707: an `on error NAME` catch fires only if some work below it may fail with NAME for good."""

    name = "catch-reachable"
    family = FAMILY
    codes: tuple[str, ...] = (CATCH_NEVER_FIRES.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report catches naming an error that every work they could catch retries forever."""
        graph = graph_of(context.run_for(machine))
        states = {state.name: state for state in machine.states}
        for transition in machine.transitions:
            if transition.kind != "error" or transition.event is None:
                continue
            work = [
                states[leaf]
                for leaf in graph.descendants.get(transition.source, ())
                if states[leaf].invoke is not None
            ]
            policies = [s.invoke.retry for s in work if s.invoke is not None]
            if not policies or not all(_forever(policy, transition.event) for policy in policies):
                continue
            what = _work(machine, work[0]) if len(work) == 1 else f"the work in `{transition.source}`"
            yield Diagnostic.of(
                CATCH_NEVER_FIRES,
                f"`on error {transition.event}` in `{transition.source}` can never fire: {what} retries "
                f"`{transition.event}` without a limit, so that failure is never final",
                _file(machine),
                transition.span,
                counterexample=graph.path_to(transition.source),
            )


def _forever(policy: ir.RetryPolicy | None, error: str) -> bool:
    """True when `policy` retries failures named `error` without a limit."""
    return (
        policy is not None
        and policy.max_retries is None
        and (not policy.retry_on or error in policy.retry_on)
    )


@hookimpl
def statewright_rules() -> list[Rule]:
    """Return the retry and timeout rules (SW701–SW707)."""
    return [RetryPolicyRule(), DeadLetterRule(), BoundedWorkRule(), RetryKeyRule(), CatchNeverFiresRule()]
