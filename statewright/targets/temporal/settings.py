"""How each piece of work runs on Temporal: activity timeouts, heartbeat and RetryPolicy numbers, from the IR.

`work_settings` is a pure function of the machine: one `Settings` per state that
invokes work (saga steps and compensations included), keyed by the state, and
one per `do` action, keyed by the action's name (the keying of
`statewright.temporal.protocol.ActivitySettings`, whose fields `Settings`
mirrors: a target may not import the shell's layer, and a test checks that the
two agree field for field).

The retry numbers keep ONE meaning: the attempts come from
`semantics.retries.maximum_attempts`, and the delay before each retry is the
one `semantics.retries.backoff_ms` computes, as far as Temporal's RetryPolicy
(`initial * coefficient ** (n - 1)`, capped at a maximum interval, no jitter)
can say it. What it cannot say is a `Approximation` (reported as SW955):

- linear backoff (`base * n`) becomes a coefficient of 2: the first two retries
  wait exactly as written, later ones longer (never shorter), up to the cap;
- a factor below 1 becomes 1 (Temporal's coefficient is at least 1);
- jitter is dropped: each retry waits the delay before jitter (the longest a
  `full` or `equal` jitter would draw).

Temporal reads an unset maximum interval as 100 x the initial interval and a
zero initial interval as one second; both would change the spec's delays, so
the maximum is always stated (the cap, else the runtime's own bound
`MAX_DURATION_MS`) and the initial interval is at least 1 ms.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from statewright import ir
from statewright.ir.limits import MAX_DURATION_MS
from statewright.semantics import retries
from statewright.semantics.calls import do_calls
from statewright.source import Span

DO_INITIAL_INTERVAL_MS = 1000
"""A `do` action that fails stays owed and runs again (LANGUAGE.md): unlimited attempts, from 1 s ..."""
DO_BACKOFF_COEFFICIENT = 2.0
"""... doubling ..."""
DO_MAXIMUM_INTERVAL_MS = 100_000
"""... up to 100 s (Temporal's own default retry policy, stated rather than implied)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """One activity's Temporal settings, field for field `statewright.temporal.protocol.ActivitySettings`."""

    start_to_close_ms: int | None = None
    heartbeat_ms: int | None = None
    initial_interval_ms: int = 1000
    backoff_coefficient: float = 1.0
    maximum_interval_ms: int | None = None
    maximum_attempts: int = 1
    retry_on: tuple[str, ...] | None = None
    wait_cancellation_completed: bool = False
    source_line: int | None = None


@dataclass(frozen=True, slots=True)
class Approximation:
    """A part of a retry policy Temporal runs differently, and how (SW955)."""

    what: str
    span: Span


@dataclass(frozen=True, slots=True)
class WorkSettings:
    """The settings of one piece of work: its table key, action, kind, the IR it came from and the notes."""

    key: str
    action: str
    kind: str
    settings: Settings
    span: Span
    policy: ir.RetryPolicy | None = None
    timeout_span: Span | None = None
    approximations: tuple[Approximation, ...] = ()


@dataclass(frozen=True, slots=True)
class RetryNumbers:
    """The RetryPolicy part of `Settings`, and what of the policy it could not say."""

    initial_interval_ms: int
    backoff_coefficient: float
    maximum_interval_ms: int | None
    maximum_attempts: int
    retry_on: tuple[str, ...] | None
    approximations: tuple[str, ...] = ()


def retry_numbers(policy: ir.RetryPolicy | None) -> RetryNumbers:
    """Temporal's RetryPolicy numbers for an IR retry policy (None: one attempt, never retried)."""
    attempts = retries.maximum_attempts(policy)
    if policy is None or attempts == 1:
        return RetryNumbers(1000, 1.0, None, 1, None)
    notes: list[str] = []
    cap = policy.cap_ms
    initial = max(1, policy.base_ms if cap is None else min(policy.base_ms, cap))
    if policy.backoff == "exponential":
        coefficient = policy.factor
        if coefficient < 1:
            notes.append(
                f"backoff factor {policy.factor} is below Temporal's least coefficient 1: "
                "each retry waits the base interval"
            )
            coefficient = Decimal(1)
    elif policy.backoff == "linear":
        coefficient = Decimal(2)
        notes.append(
            "linear backoff is not in Temporal: a coefficient of 2 is used (the first two retries "
            "wait as written, later ones longer, up to the cap)"
        )
    else:
        coefficient = Decimal(1)
    maximum = cap if cap is not None else (initial if coefficient == 1 else MAX_DURATION_MS)
    if policy.jitter != "none":
        notes.append(f"`{policy.jitter}` jitter is not in Temporal: each retry waits the delay before jitter")
    return RetryNumbers(
        initial_interval_ms=initial,
        backoff_coefficient=float(coefficient),
        maximum_interval_ms=max(maximum, initial),
        maximum_attempts=attempts,
        retry_on=tuple(policy.retry_on) or None,
        approximations=tuple(notes),
    )


def temporal_delay_ms(numbers: RetryNumbers, retry: int) -> int:
    """The delay Temporal waits before retry number `retry` (1-based) under these numbers."""
    grown = Decimal(numbers.initial_interval_ms) * Decimal(str(numbers.backoff_coefficient)) ** (retry - 1)
    ceiling = numbers.maximum_interval_ms if numbers.maximum_interval_ms is not None else MAX_DURATION_MS
    return int(min(grown, Decimal(ceiling)))


def work_settings(machine: ir.Machine) -> tuple[WorkSettings, ...]:
    """Every activity's settings, in IR order: the work states first, then the `do` actions."""
    states = {state.name: state for state in machine.states}
    timeouts: dict[str, tuple[int, Span]] = {}
    for transition in machine.transitions:
        if transition.kind == "timeout" and transition.after_ms is not None:
            known = timeouts.get(transition.source)
            if known is None or transition.after_ms < known[0]:
                timeouts[transition.source] = (transition.after_ms, transition.span)
    found: list[WorkSettings] = []
    for state in machine.states:
        invoke = state.invoke
        if invoke is None:
            continue
        timeout = _timeout(state, states, timeouts)
        numbers = retry_numbers(invoke.retry)
        retry_span = invoke.retry.span if invoke.retry is not None else invoke.span
        settings = Settings(
            start_to_close_ms=None if timeout is None else timeout[0],
            heartbeat_ms=invoke.heartbeat_ms,
            initial_interval_ms=numbers.initial_interval_ms,
            backoff_coefficient=numbers.backoff_coefficient,
            maximum_interval_ms=numbers.maximum_interval_ms,
            maximum_attempts=numbers.maximum_attempts,
            retry_on=numbers.retry_on,
            wait_cancellation_completed=state.role in ("saga_step", "compensation"),
            source_line=invoke.span.line or None,
        )
        found.append(
            WorkSettings(
                key=state.name,
                action=invoke.action,
                kind="compensate" if state.role == "compensation" else "invoke",
                settings=settings,
                span=invoke.span,
                policy=invoke.retry,
                timeout_span=None if timeout is None else timeout[1],
                approximations=tuple(Approximation(note, retry_span) for note in numbers.approximations),
            )
        )
    for name, span in do_actions(machine).items():
        settings = Settings(
            initial_interval_ms=DO_INITIAL_INTERVAL_MS,
            backoff_coefficient=DO_BACKOFF_COEFFICIENT,
            maximum_interval_ms=DO_MAXIMUM_INTERVAL_MS,
            maximum_attempts=0,
            source_line=span.line or None,
        )
        found.append(WorkSettings(key=name, action=name, kind="do", settings=settings, span=span))
    return tuple(found)


def _timeout(
    state: ir.State, states: dict[str, ir.State], timeouts: dict[str, tuple[int, Span]]
) -> tuple[int, Span] | None:
    """The shortest `timeout` of the state or an ancestor: no attempt outlives it."""
    best: tuple[int, Span] | None = None
    current: ir.State | None = state
    while current is not None:
        found = timeouts.get(current.name)
        if found is not None and (best is None or found[0] < best[0]):
            best = found
        current = states.get(current.parent) if current.parent is not None else None
    return best


def do_actions(machine: ir.Machine) -> dict[str, Span]:
    """Every action a `do` calls (entry, exit, transition and soft-timeout actions), first use first."""
    found: dict[str, Span] = {}
    for call in do_calls(machine):
        found.setdefault(call.name, call.span)
    return found
