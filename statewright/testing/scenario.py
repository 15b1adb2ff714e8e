"""Engine-neutral scenarios and what an engine shows after each step of one.

A `Scenario` is a starting context and a sequence of steps that every engine
can be driven with: send an event (with an actor and what it presents), let a
state's timeout fire, or finish the work a state invoked (success or a named
error). Each engine (`statewright.testing.engine.Engine`) runs a scenario and
returns one `Observation` per step, plus one for the start; two engines agree
on a scenario when their observations are equal.

Observations speak only IR names (state, event, action), so a Step Functions
execution, a SpiffWorkflow run and the Python runtime are compared directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from statewright import ir


@dataclass(frozen=True, slots=True)
class Send:
    """Deliver an external event; approval events carry the acting user and their permissions.

    `permissions` are the roles the sender holds (`role:...`), matched against
    approvers and `requires`; `delegate_to` names the delegate of a `delegate`
    event; `payload` is evidence recorded with the transition; `data` is the
    event's typed payload (its declared fields, `event.F` in the spec).
    """

    event: str
    actor: str | None = None
    permissions: tuple[str, ...] = ()
    payload: tuple[tuple[str, str], ...] = ()
    delegate_to: str | None = None
    data: tuple[tuple[str, ir.Value], ...] = ()

    def __str__(self) -> str:
        who = "" if self.actor is None else f" as {self.actor}"
        return f"send {self.event}{show_data(self.data)}{who}"


@dataclass(frozen=True, slots=True)
class Timeout:
    """Let the pending timeout of `state` fire (the clock moves to its due time, and no further)."""

    state: str

    def __str__(self) -> str:
        return f"timeout of {self.state}"


@dataclass(frozen=True, slots=True)
class WorkDone:
    """Finish the work `state` invoked (its `invoke`, a saga step or a compensation).

    `error` is None for success, else the error's name (matched against
    `retry_on` and `on error` catches) and `message` its message. A failure the
    retry policy allows is retried by the engine itself (backoff time is
    skipped), so the next `WorkDone` for the state answers the next attempt.
    `result` is what successful work returns (its `returns` fields, `result.F`).
    """

    state: str
    error: str | None = None
    result: tuple[tuple[str, ir.Value], ...] = ()
    message: str = ""

    def __str__(self) -> str:
        if self.error is None:
            return f"{self.state} work succeeds" + (
                f" returning {show_data(self.result)}" if self.result else ""
            )
        said = f" ({self.message!r})" if self.message else ""
        return f"{self.state} work fails with {self.error}{said}"


def show_data(values: tuple[tuple[str, object], ...]) -> str:
    """`(amount=10001.00, note='x')`, or nothing without values: how reports show data."""
    if not values:
        return ""
    return (
        "("
        + ", ".join(
            f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}" for name, value in values
        )
        + ")"
    )


Step: TypeAlias = Send | Timeout | WorkDone


@dataclass(frozen=True, slots=True)
class Scenario:
    """A starting context (fields not named take their defaults) and the steps to drive."""

    context: tuple[tuple[str, ir.Value], ...] = ()
    steps: tuple[Step, ...] = ()

    def describe(self) -> list[str]:
        """The scenario as numbered lines, for reports."""
        start = ", ".join(f"{name}={value}" for name, value in self.context)
        return [f"0. start {{{start}}}"] + [f"{i}. {step}" for i, step in enumerate(self.steps, 1)]


Status: TypeAlias = Literal["running", "succeeded", "failed"]


@dataclass(frozen=True, slots=True)
class Observation:
    """What one engine shows after one step.

    `entered` lists the leaf (atomic and final) states entered during the step,
    in order, a re-entered state again each time; entries in different parallel
    regions are grouped by region, regions in document order, so engines that
    run regions concurrently still report one order. `accepted` is False when
    the step was refused (an event the state rejects or ignores, a guard that
    holds nowhere) and then nothing was entered. `active` is the configuration
    after the step (leaf states, sorted); `status` says whether the instance
    has finished and how. `context` is every context field's value after the
    step, in IR order (`observed_context`), or None when the engine does not
    report its context: such an observation is compared on states alone, and
    the comparison says so (`equivalence.EngineResult.context_unreported`),
    never a silent pass. An empty tuple is a reported, empty context.
    """

    accepted: bool
    entered: tuple[str, ...]
    active: tuple[str, ...]
    status: Status
    context: tuple[tuple[str, ir.Value], ...] | None = None


def observed_context(machine: ir.Machine, values: Mapping[str, ir.Value]) -> tuple[tuple[str, ir.Value], ...]:
    """An engine's context as an observation carries it: every declared field, in IR order.

    A field the engine's values lack is left out, so the comparison reports it
    missing rather than inventing a value. Values are taken as given (a decimal
    is a `Decimal`, an int an `int`): engines convert what their executor holds
    (JSON numbers, strings) by the declared type before observing.
    """
    return tuple((f.name, values[f.name]) for f in machine.context if f.name in values)


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A scenario (or a step of it) this engine cannot express, and why; it is not a divergence."""

    step: int
    reason: str


def scope_lock(machine: ir.Machine, states: Iterable[str], event: str) -> str | None:
    """The scope lock a scenario's sender works under for `event` (LANGUAGE.md §13).

    A scenario says what a person does, not which lock their client holds, so
    every engine presents this one: the lock of the first transition on `event`
    leaving one of `states` (the active states, ancestors included) that runs
    under one (its own `scope`, else the workflow's for a transition with
    `requires`); None when there is none. A request naming no scope is refused
    by a lock, so without this the scenarios could never pass a locked gate.
    """
    active = set(states)
    for transition in machine.transitions:
        if transition.kind != "event" or transition.event != event or transition.source not in active:
            continue
        lock = transition.scope or (machine.scope if transition.permissions else None)
        if lock is not None:
            return lock
    return None
