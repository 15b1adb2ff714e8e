"""The one meaning of a retry policy (`semantics.retries`), shared by the runtime and the Temporal shell."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from statewright import ir
from statewright.semantics.retries import maximum_attempts, may_retry, retry_delay_ms, retryable


def test_retry_on_is_a_whitelist_and_empty_retries_every_error() -> None:
    assert retryable(ir.RetryPolicy(2), "Anything")
    assert retryable(ir.RetryPolicy(2, retry_on=("Busy",)), "Busy")
    assert not retryable(ir.RetryPolicy(2, retry_on=("Busy",)), "Declined")
    assert not retryable(None, "Busy")


@given(
    max_retries=st.none() | st.integers(0, 6),
    failures=st.integers(1, 10),
    listed=st.booleans(),
)
def test_the_budget_and_temporals_maximum_attempts_say_the_same(
    max_retries: int | None, failures: int, listed: bool
) -> None:
    """Another attempt is owed after `failures` failures exactly when Temporal's attempt count allows it."""
    policy = ir.RetryPolicy(max_retries, retry_on=("Busy",))
    error = "Busy" if listed else "Declined"
    attempts = maximum_attempts(policy)
    temporal_retries = listed and (attempts == 0 or failures < attempts)
    assert may_retry(policy, error, failures) == temporal_retries


def test_decorrelated_delays_replay_from_the_seed() -> None:
    policy = ir.RetryPolicy(5, backoff="exponential", base_ms=100, cap_ms=5000, jitter="decorrelated")
    first = [retry_delay_ms(policy, n, 7, "i", "S") for n in range(1, 6)]
    assert first == [retry_delay_ms(policy, n, 7, "i", "S") for n in range(1, 6)]
    assert all(100 <= delay <= 5000 for delay in first)
