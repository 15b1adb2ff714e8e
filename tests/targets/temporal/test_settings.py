"""The activity settings table: Temporal's numbers for each work state, with one meaning of a retry policy."""

from __future__ import annotations

import dataclasses
import random
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from statewright import ir
from statewright.ir.limits import MAX_DURATION_MS
from statewright.semantics import retries
from statewright.targets.temporal import checks
from statewright.targets.temporal.settings import (
    DO_MAXIMUM_INTERVAL_MS,
    Settings,
    retry_numbers,
    temporal_delay_ms,
    work_settings,
)
from statewright.temporal import protocol
from tests.targets.temporal.support import example, machine_of


def test_settings_mirror_the_protocol_field_for_field() -> None:
    """The target's `Settings` and the shell's `ActivitySettings` have the same fields, types and defaults."""
    ours = [(f.name, str(f.type), f.default) for f in dataclasses.fields(Settings)]
    theirs = [(f.name, str(f.type), f.default) for f in dataclasses.fields(protocol.ActivitySettings)]
    assert ours == theirs


def test_the_generic_update_name_is_the_protocols() -> None:
    assert checks.SEND_UPDATE == protocol.SEND_UPDATE


def test_order_fulfilment_settings_come_from_the_spec() -> None:
    """Timeouts, attempts, intervals, whitelists and the saga marking, each from the IR."""
    by_key = {item.key: item for item in work_settings(example("order_fulfilment"))}
    validating = by_key["Validating"].settings
    assert validating.start_to_close_ms == 120_000  # timeout 2m
    assert validating.maximum_attempts == 4  # retry 3
    assert (validating.initial_interval_ms, validating.backoff_coefficient) == (1000, 2.0)
    assert validating.maximum_interval_ms == 30_000
    assert validating.retry_on == ("Timeout", "Unavailable")
    assert not validating.wait_cancellation_completed
    charge = by_key["Fulfilling.charge_card"]
    assert charge.settings.wait_cancellation_completed and charge.kind == "invoke"
    assert charge.settings.backoff_coefficient == 1.0 and charge.settings.maximum_interval_ms == 500
    refund = by_key["Fulfilling.refund_card"]
    assert refund.kind == "compensate" and refund.settings.wait_cancellation_completed
    record = by_key["open_fulfilment_record"]
    assert record.kind == "do" and record.settings.maximum_attempts == 0  # a failed `do` stays owed
    assert record.settings.maximum_interval_ms == DO_MAXIMUM_INTERVAL_MS
    assert by_key["Fulfilling.book_courier"].settings.maximum_attempts == 1  # no retry policy


def test_heartbeat_and_ancestor_timeouts() -> None:
    machine = machine_of(
        """workflow Beat {
  initial state Outer {
    timeout 1h -> Done
    initial state Inner {
      invoke crunch key "k" heartbeat 30s
      timeout 2h -> Done
      done -> Done
    }
  }
  final state Done
}
"""
    )
    (item,) = work_settings(machine)
    assert item.settings.heartbeat_ms == 30_000
    assert item.settings.start_to_close_ms == 3_600_000  # the parent's shorter timeout bounds it


def _policy(**fields: object) -> ir.RetryPolicy:
    return ir.RetryPolicy(**fields)  # type: ignore[arg-type]


def test_no_policy_and_no_retries_are_one_attempt() -> None:
    assert retry_numbers(None).maximum_attempts == 1
    assert retry_numbers(_policy(max_retries=0, base_ms=5)).maximum_attempts == 1


def test_unlimited_retries_are_temporals_zero_attempts_and_state_their_maximum() -> None:
    numbers = retry_numbers(_policy(max_retries=None, backoff="exponential", base_ms=100))
    assert numbers.maximum_attempts == 0 == retries.maximum_attempts(_policy(max_retries=None))
    assert numbers.maximum_interval_ms == MAX_DURATION_MS  # not Temporal's implied 100 x initial


def test_a_zero_base_is_one_millisecond_not_temporals_default_second() -> None:
    assert retry_numbers(_policy(max_retries=2, base_ms=0)).initial_interval_ms == 1


def test_a_cap_below_the_base_waits_the_cap() -> None:
    numbers = retry_numbers(_policy(max_retries=2, backoff="fixed", base_ms=5000, cap_ms=1000))
    assert numbers.initial_interval_ms == numbers.maximum_interval_ms == 1000
    assert retries.backoff_ms(_policy(max_retries=2, base_ms=5000, cap_ms=1000), 1, random.Random(0)) == 1000


def test_what_temporal_cannot_say_is_noted() -> None:
    assert retry_numbers(_policy(max_retries=3, base_ms=10)).approximations == ()
    linear = retry_numbers(_policy(max_retries=3, backoff="linear", base_ms=10))
    assert linear.backoff_coefficient == 2.0 and "linear" in linear.approximations[0]
    slow = retry_numbers(_policy(max_retries=3, backoff="exponential", base_ms=10, factor=Decimal("0.5")))
    assert slow.backoff_coefficient == 1.0 and "below" in slow.approximations[0]
    for jitter in ("full", "equal", "decorrelated"):
        jittered = retry_numbers(_policy(max_retries=3, base_ms=10, jitter=jitter))
        assert f"`{jitter}` jitter" in jittered.approximations[0]


_POLICIES = st.builds(
    ir.RetryPolicy,
    max_retries=st.integers(1, 20),
    backoff=st.sampled_from(["fixed", "linear", "exponential"]),
    base_ms=st.integers(1, 10**7),
    cap_ms=st.none() | st.integers(1, 10**9),
    factor=st.sampled_from([Decimal(1), Decimal("1.5"), Decimal(2), Decimal("2.5"), Decimal(3), Decimal(10)]),
    jitter=st.just("none"),
)


@given(_POLICIES, st.integers(1, 20))
def test_temporal_waits_the_runtimes_delay_or_longer_never_shorter(
    policy: ir.RetryPolicy, retry: int
) -> None:
    """One meaning: without jitter, Temporal's delay before retry N is `semantics.retries`' delay.

    Linear backoff excepted: there it is never shorter, and equal for the first two retries.
    """
    numbers = retry_numbers(policy)
    ours = temporal_delay_ms(numbers, retry)
    spec = retries.backoff_ms(policy, retry, random.Random(0))
    if policy.backoff == "linear":
        assert ours >= spec
        if retry <= 2:
            assert ours == spec
    else:
        assert abs(ours - spec) <= 1  # float coefficient vs exact Decimal growth: at most rounding
    assert numbers.maximum_attempts == retries.maximum_attempts(policy)
    assert (
        numbers.maximum_interval_ms is not None and numbers.maximum_interval_ms >= numbers.initial_interval_ms
    )
