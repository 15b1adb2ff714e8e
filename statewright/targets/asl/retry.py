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


def retriers(
    policy: ir.RetryPolicy | None, timer_errors: list[str], where: str, note: Note
) -> list[dict[str, Any]]:
    """The Retry list of a work Task: timers are never retried, then the policy's own entry."""
    entries: list[dict[str, Any]] = []
    if timer_errors:
        entries.append({"ErrorEquals": timer_errors, "MaxAttempts": 0})
    if policy is None or policy.max_retries == 0:
        return entries
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
    entries.append(entry)
    return entries


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
