"""Retry policies as Step Functions `Retry` entries, and durations as whole seconds.

Step Functions retries with exponential growth (`BackoffRate` >= 1), whole-second
intervals, a `MaxDelaySeconds` cap and jitter `NONE` or `FULL`. What the DSL
says beyond that is approximated and reported (SW922), never silently changed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from statewright import ir
from statewright.diagnostics import Code
from statewright.targets.asl.codes import RETRY_APPROXIMATED

Note = Callable[[Code, str], None]

UNLIMITED_ATTEMPTS = 99999999
"""Step Functions' largest MaxAttempts, used for `retry unlimited`."""

HEARTBEAT_ERROR = "States.HeartbeatTimeout"


def seconds(ms: int) -> int:
    """Milliseconds as whole seconds, rounded up (at least 1)."""
    return max(1, -(-ms // 1000))


def error_name(name: str) -> str:
    """A DSL error kind as Step Functions names it (HeartbeatTimeout is States.HeartbeatTimeout)."""
    return HEARTBEAT_ERROR if name == "HeartbeatTimeout" else name


def retries_heartbeat(policy: ir.RetryPolicy | None) -> bool:
    """Whether the policy retries a missed heartbeat (it retries every error, or names HeartbeatTimeout)."""
    if policy is None or policy.max_retries == 0:
        return False
    return not policy.retry_on or "HeartbeatTimeout" in policy.retry_on


def heartbeat_budget_split(policy: ir.RetryPolicy | None, heartbeat: bool) -> bool:
    """Whether a missed heartbeat is retried on a budget of its own (see `retriers`)."""
    return heartbeat and retries_heartbeat(policy) and policy is not None and not policy.retry_on


def retriers(
    policy: ir.RetryPolicy | None,
    timer_errors: list[str],
    where: str,
    note: Note,
    heartbeat: bool = False,
) -> list[dict[str, Any]]:
    """The Retry list of a work Task: timers are never retried, the policy's errors are.

    `heartbeat` says the Task has HeartbeatSeconds. Step Functions' `States.Timeout`
    also matches a missed heartbeat, so the timers' entry (MaxAttempts 0) would
    swallow it; a miss is a failed attempt like any other error (LANGUAGE.md §7),
    so where the policy retries it, an entry naming `States.HeartbeatTimeout` comes
    first: the policy's own when it lists its errors, or, when it retries every
    error (`States.ALL` must come after the timers'), a copy of it for the
    heartbeat, whose attempts Step Functions then counts apart (reported, SW922).
    """
    entries: list[dict[str, Any]] = []
    timers = [{"ErrorEquals": timer_errors, "MaxAttempts": 0}] if timer_errors else []
    if policy is None or policy.max_retries == 0:
        return timers
    entry: dict[str, Any] = {
        "ErrorEquals": [error_name(e) for e in policy.retry_on] or ["States.ALL"],
        "IntervalSeconds": seconds(policy.base_ms),
        "MaxAttempts": UNLIMITED_ATTEMPTS if policy.max_retries is None else policy.max_retries,
        "BackoffRate": _rate(policy, where, note),
    }
    if policy.cap_ms is not None:
        entry["MaxDelaySeconds"] = seconds(policy.cap_ms)
    if policy.base_ms % 1000:
        note(
            RETRY_APPROXIMATED,
            f"{where}: retry interval {policy.base_ms} ms rounded up to {entry['IntervalSeconds']} s",
        )
    if policy.jitter != "none":
        entry["JitterStrategy"] = "FULL"
        if policy.jitter != "full":
            note(
                RETRY_APPROXIMATED,
                f"{where}: jitter `{policy.jitter}` is not in Step Functions; FULL is used",
            )
    if heartbeat_budget_split(policy, heartbeat):
        note(
            RETRY_APPROXIMATED,
            f"{where}: missed heartbeats are retried by an entry of their own, so Step Functions "
            f"counts their {entry['MaxAttempts']} retries apart from the other errors'",
        )
        entries.append({**entry, "ErrorEquals": [HEARTBEAT_ERROR]})
        return [*entries, *timers, entry]
    if heartbeat and retries_heartbeat(policy):
        return [entry, *timers]  # it names no timer, and must see the heartbeat before States.Timeout
    return [*timers, entry]


def _rate(policy: ir.RetryPolicy, where: str, note: Note) -> Decimal:
    if policy.backoff == "exponential":
        return max(Decimal(1), policy.factor)
    if policy.backoff == "linear":
        note(
            RETRY_APPROXIMATED,
            f"{where}: linear backoff is not in Step Functions; retries wait the base interval "
            f"({seconds(policy.base_ms)} s) each time (BackoffRate 1.0)",
        )
    return Decimal("1.0")
