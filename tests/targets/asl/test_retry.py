"""Retry policies as Retry entries: what maps exactly, what is approximated (SW922), timers never retried."""

from __future__ import annotations

from decimal import Decimal

from statewright import ir
from statewright.diagnostics import Code
from statewright.targets.asl.retry import UNLIMITED_ATTEMPTS, error_name, retriers, seconds


def mapped(
    policy: ir.RetryPolicy, timers: list[str] | None = None
) -> tuple[list[dict[str, object]], list[str]]:
    """The Retry list and the notes it produced."""
    notes: list[str] = []

    def note(code: Code, text: str) -> None:
        notes.append(f"{code.code} {text}")

    return retriers(policy, timers or [], "S", note), notes


def test_exponential_full_jitter_maps_exactly() -> None:
    """Policy `retry 3 backoff exponential 1s..30s factor 2.5 jitter full retry_on Timeout."""
    policy = ir.RetryPolicy(3, "exponential", 1000, 30000, Decimal("2.5"), "full", ("Timeout",))
    entries, notes = mapped(policy)
    assert entries == [
        {
            "ErrorEquals": ["Timeout"],
            "IntervalSeconds": 1,
            "MaxAttempts": 3,
            "BackoffRate": Decimal("2.5"),
            "MaxDelaySeconds": 30,
            "JitterStrategy": "FULL",
        }
    ]
    assert notes == []


def test_timers_come_first_and_are_never_retried() -> None:
    """The state's timer errors get MaxAttempts 0 ahead of a `States.ALL` retrier, which stays last."""
    entries, _ = mapped(ir.RetryPolicy(2), ["Timer.S", "States.Timeout"])
    assert entries[0] == {"ErrorEquals": ["Timer.S", "States.Timeout"], "MaxAttempts": 0}
    assert entries[1]["ErrorEquals"] == ["States.ALL"]


def test_approximations_are_reported() -> None:
    """Linear backoff, equal and decorrelated jitter, sub-second intervals: each a SW922 note."""
    _, linear = mapped(ir.RetryPolicy(3, "linear", 10000, 60000, jitter="full"))
    assert len(linear) == 1 and "linear" in linear[0] and linear[0].startswith("SW922")
    entries, jitter = mapped(ir.RetryPolicy(3, "fixed", 500, jitter="equal"))
    assert entries[0]["JitterStrategy"] == "FULL" and entries[0]["IntervalSeconds"] == 1
    assert len(jitter) == 2
    entries, none = mapped(ir.RetryPolicy(1, "fixed", 30000, jitter="none"))
    assert "JitterStrategy" not in entries[0] and entries[0]["BackoffRate"] == Decimal("1.0") and none == []


def test_unlimited_and_zero_retries() -> None:
    """`retry unlimited` is Step Functions' largest MaxAttempts; `retry 0` has no entry."""
    entries, _ = mapped(ir.RetryPolicy(None, "exponential", 1000, 60000))
    assert entries[0]["MaxAttempts"] == UNLIMITED_ATTEMPTS
    assert mapped(ir.RetryPolicy(0))[0] == []


def test_whole_seconds_and_error_names() -> None:
    """Durations round up to whole seconds; the runtime's HeartbeatTimeout is States.HeartbeatTimeout."""
    assert [seconds(ms) for ms in (0, 1, 999, 1000, 1001, 120000)] == [1, 1, 1, 1, 2, 120]
    assert error_name("HeartbeatTimeout") == "States.HeartbeatTimeout"
    assert error_name("GatewayTimeout") == "GatewayTimeout"
