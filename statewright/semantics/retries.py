"""What a retry policy means: which failures it retries, how often, and how long it waits before each.

One meaning for every executor (LANGUAGE.md, retries): the runtime's step
functions (`runtime.engine`) schedule a retry timer with it, and the Temporal
shell's activity wrapper marks the failures the policy does not retry as
non-retryable before Temporal's own `RetryPolicy` sees them. So "is error E
retried under this policy" and "what is the delay before retry N" are answered
here, once, over the IR's `RetryPolicy` alone: no clock, no executor.

- `retryable(policy, error)`: `retry_on` is a whitelist (empty: every error);
- `may_retry(policy, error, failures)`: retryable and the budget (`max_retries`,
  None unlimited) is not spent after `failures` failed attempts;
- `maximum_attempts(policy)`: the attempts the budget allows, counting the
  first (0: unlimited), as Temporal counts them;
- `backoff_ms` / `retry_delay_ms`: the delay before retry number N (1-based),
  with the policy's growth, cap and jitter, jitter seeded so a run replays.
"""

from __future__ import annotations

import random
from decimal import Decimal, Overflow, localcontext

from statewright import ir
from statewright.ir.limits import MAX_DURATION_MS

__all__ = ["backoff_ms", "maximum_attempts", "may_retry", "retry_delay_ms", "retryable"]


def retryable(policy: ir.RetryPolicy | None, error: str) -> bool:
    """True when the policy retries a failure named `error` at all (no policy: never).

    `retry_on` lists the errors retried; an empty list retries every error.
    """
    return policy is not None and (not policy.retry_on or error in policy.retry_on)


def may_retry(policy: ir.RetryPolicy | None, error: str, failures: int) -> bool:
    """True when, after `failures` failed attempts (the last one `error`), another attempt is owed."""
    if policy is None or not retryable(policy, error):
        return False
    return policy.max_retries is None or failures <= policy.max_retries


def maximum_attempts(policy: ir.RetryPolicy | None) -> int:
    """How many attempts the policy allows in all, the first included; 0 when unlimited."""
    if policy is None:
        return 1
    return 0 if policy.max_retries is None else policy.max_retries + 1


def jitter_source(seed: int, instance: str, state: str, attempt: int) -> random.Random:
    """A jitter source that replays: seeded by the run's seed, the instance, state and attempt."""
    return random.Random(f"{seed}:{instance}:{state}:{attempt}")


def retry_delay_ms(policy: ir.RetryPolicy, failures: int, seed: int, instance: str, state: str) -> int:
    """The delay before retry number `failures` of `state`'s work in `instance`, jitter seeded by `seed`.

    Decorrelated jitter needs the previous retry's delay: it is recomputed (each
    draw is seeded), so the answer depends on nothing but the arguments.
    """
    previous: int | None = None
    if policy.jitter == "decorrelated":
        previous = policy.base_ms
        for number in range(1, failures):
            previous = backoff_ms(policy, number, jitter_source(seed, instance, state, number), previous)
    return backoff_ms(policy, failures, jitter_source(seed, instance, state, failures), previous)


def backoff_ms(policy: ir.RetryPolicy, failures: int, rng: random.Random, previous: int | None = None) -> int:
    """The delay before retry number `failures` (1-based), with the policy's growth, cap and jitter.

    Decorrelated jitter draws from [BASE, 3 x `previous`] (the previous retry's delay;
    BASE before the first), capped, as AWS's "decorrelated jitter" does.
    """
    base = policy.base_ms
    if policy.backoff == "linear":
        delay = base * failures
    elif policy.backoff == "exponential":
        with localcontext() as exact:  # growth past the bound is Infinity, clamped below
            exact.traps[Overflow] = False
            grown: Decimal = base * policy.factor ** (failures - 1)
            delay = int(min(grown, Decimal(MAX_DURATION_MS)))
    else:
        delay = base
    delay = min(delay, MAX_DURATION_MS)  # an uncapped policy grows at most to the longest duration
    if policy.cap_ms is not None:
        delay = min(delay, policy.cap_ms)
    match policy.jitter:
        case "full":
            delay = rng.randint(0, delay)
        case "equal":
            delay = delay // 2 + rng.randint(0, delay - delay // 2)
        case "decorrelated":
            high = max(base, 3 * (base if previous is None else previous))
            if policy.cap_ms is not None:
                high = min(high, max(base, policy.cap_ms))
            delay = rng.randint(base, high) if high > base else base
            if policy.cap_ms is not None:
                delay = min(delay, policy.cap_ms)
    return delay
