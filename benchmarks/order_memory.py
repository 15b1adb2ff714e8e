"""Benchmark: the order example run in memory, against the same flow as a hand-written dict FSM.

Usage: python -m benchmarks.order_memory [--orders 1000] [--repeats 5] [--json]

Both contenders run the orders of `benchmarks/order_scenario.py` (submit, the
validation work, valid, the saga's five steps and its entry and exit work; every
fifth order large, with two approvals) in one process, interleaved:

- statewright: the generated module's `OrderFulfilmentMachine`, constructed per
  order, its events sent and its owed work run with `run_work()`;
- hand-written: `order_scenario.hand_written`, a plain-dict state machine that
  does what the flow needs and no more (the reference).

Each contender's time per order is the median of `--repeats` runs of `--orders`
orders (CPU time, `time.process_time`); the ratio is ours over the reference's,
paired by round. The issue's goal: at most 5x the hand-written machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks import order_scenario
from benchmarks.common import Groups, Report, Row, interleaved, paired, self_time_shares

GOAL = 5.0
OURS = "statewright in-memory machine"
REFERENCE = "hand-written dict FSM"
PROFILE_GROUPS: Groups = (
    ("engine steps: drafts, exits/entries, checks, commits", ("runtime/engine.py", "runtime/draft.py")),
    ("engine steps: drafts, exits/entries, checks, commits", ("runtime/plan.py", "runtime/emits.py")),
    ("staged guards, invariants and sets", ("runtime/staging.py", "runtime/compiled.py", "semantics/")),
    ("staged guards, invariants and sets", ("fractions.py", "decimal", "numbers.py")),
    ("audit record JSON and SHA-256 stamp (codec)", ("runtime/codec.py", "_hashlib", "encode_basestring")),
    ("Runtime driver (runner.py)", ("runtime/runner.py",)),
    ("EphemeralStore", ("runtime/ephemeral.py",)),
    ("in-memory Machine glue", ("runtime/machine.py", "runtime/fastpath.py", order_scenario.MODULE)),
    ("snapshots and records built (dataclasses)", ("dataclasses.py", "<string>", "runtime/model.py")),
    ("scenario driver and handlers", ("order_scenario.py",)),
)
"""Where running an order goes, for the profile summary."""


def per_order(run: Callable[[int], object], orders: int) -> float:
    """Seconds per order over orders 0 .. `orders` - 1."""
    started = time.process_time()
    for i in range(orders):
        run(i)
    return (time.process_time() - started) / orders


def measure(orders: int, repeats: int) -> Report:
    """Time both contenders, interleaved; the row, its details and the profile."""
    module: Any = order_scenario.generated_module()
    work = order_scenario.handlers()

    def ours(i: int) -> object:
        return order_scenario.run_in_memory(module, i, work)

    def reference(i: int) -> object:
        return order_scenario.hand_written(i, work)

    for i in range(order_scenario.LARGE_EVERY):  # warm, and both end where the flow ends
        assert ours(i) == reference(i) == order_scenario.order(i).final
    results = interleaved(
        {OURS: lambda: per_order(ours, orders), REFERENCE: lambda: per_order(reference, orders)}, repeats
    )
    median = {name: statistics.median(times) for name, times in results.items()}
    ratio = paired(results, OURS, REFERENCE)
    report = Report("order_memory")
    report.rows.append(
        Row(
            "order in memory (generated Machine)",
            f"order_fulfilment.wf, {orders:,} orders (1 in {order_scenario.LARGE_EVERY} approved twice)",
            f"{median[OURS] * 1e6:,.1f} us/order",
            f"{REFERENCE} {median[REFERENCE] * 1e6:,.1f} us/order",
            f"{ratio:,.1f}x",
            f"<= {GOAL:.0f}x hand-written",
            ratio <= GOAL,
        )
    )
    report.details.append(
        f"{orders:,} orders per run, median of {repeats} interleaved runs (CPU time), ratio paired by round"
    )
    report.profile += self_time_shares(
        lambda: per_order(ours, orders), PROFILE_GROUPS, f"{orders:,} orders in memory"
    )
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print it (or, with `--json`, hand it to the runner)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=order_scenario.ORDERS)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON document for benchmarks.run")
    args = parser.parse_args(argv)
    report = measure(args.orders, args.repeats)
    return report.show(args.json)


if __name__ == "__main__":
    sys.exit(main())
