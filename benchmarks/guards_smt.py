"""Benchmark: the SMT guard and invariant rules on 1,000 guarded state x event pairs.

Usage: python -m benchmarks.guards_smt [--pairs 1000] [--timeout-ms 2000] [--json]

The workflow is generated as `.wf` text, deterministically: a chain of states,
each deciding two events (`submit`, `review`) by guards over a typed context
(a bounded decimal, an enum, a bounded int, a bool). Thresholds differ from
state to state, so no two pairs ask z3 the same question. Most pairs are
exclusive and exhaustive by construction; every 100th state plants one defect
of each kind (overlapping guards, a gap, a dead guard, an unsafe `set`), so
that every rule has something to report.

Times are CPU time (`time.process_time`; z3 runs in this thread), so other work on
a shared machine does not count. Prints the size, the time to compile, the time of each rule, the solver
queries, and the findings per code. The issue's goal: all guard rules on 1,000
pairs in at most 5 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from benchmarks.common import Report, Row
from statewright.compiler.smt.analysis import analysis_of
from statewright.compiler.verify import verify
from statewright.compiler.verify.rules import guards, invariants
from statewright.pipeline import compile_text
from statewright.plugins.api import RuleContext
from statewright.plugins.run import VerificationRun

GOAL_SECONDS = 5.0


def _state(index: int, count: int) -> str:
    """One state deciding `submit` and `review` by guards; every 100th plants defects."""
    following = f"S{index + 1}" if index + 1 < count else "Done"
    limit = 1000 + 37 * index
    bar = 10 + index % 80
    planted = index % 100 == 25
    lines = [f"  state S{index} {{"]
    lines.append(f"    on submit when amount > {limit}.00 and priority != low -> {following}")
    if planted:  # overlap with the first guard, and a gap for priority == low above the limit
        lines.append(f"    on submit when amount > {limit - 10}.00 and priority == high -> Rejected")
    else:
        lines.append(f"    on submit when amount > {limit}.00 and priority == low -> Rejected")
        lines.append(f"    on submit when amount <= {limit}.00 -> {following} {{ set attempts = 0 }}")
    lines.append(f"    on review when score >= {bar} and not flagged -> {following}")
    lines.append(
        f"    on review when score < {bar} and attempts < 5 and not flagged -> S{index} "
        "{ set attempts = attempts + 1 }"
    )
    if planted:  # dead guard, and a `set` that can break `attempts <= 5`
        lines.append("    on review when score > 100 -> Rejected")
        lines.append(
            f"    on review when flagged or (score < {bar} and attempts >= 5) -> Rejected "
            "{ set attempts = attempts + 2 }"
        )
    else:
        lines.append(f"    on review when flagged or (score < {bar} and attempts >= 5) -> Rejected")
    lines.append("  }")
    return "\n".join(lines)


def workflow(pairs: int) -> str:
    """The generated workflow with `pairs` guarded state x event pairs (two per state)."""
    count = max(1, pairs // 2)
    body = "\n".join(_state(i, count) for i in range(count))
    return f"""workflow GuardBench {{
  context {{
    amount: decimal 0.00..1000000.00 = 0.00
    priority: enum {{ low, normal, high }} = normal
    score: int 0..100 = 0
    flagged: bool = false
    attempts: int 0..10 = 0
  }}
  invariant attempts <= 5
  events {{ submit review }}
  initial state Start {{
    on submit -> S0
    on review -> S0
  }}
{body}
  final state Done
  final state Rejected
}}
"""


def main(argv: list[str] | None = None) -> int:
    """Generate, compile and verify; print timings and findings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--timeout-ms", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="print one JSON document for benchmarks.run")
    args = parser.parse_args(argv)
    report = Report("guards")
    print_ = report.details.append if args.json else print
    text = workflow(args.pairs)
    started = time.process_time()
    result = compile_text(text, "guard_bench.wf")
    compiled = time.process_time() - started
    machine = result.machine
    if machine is None:
        print("\n".join(d.message for d in result.diagnostics), file=sys.stderr)
        return 1
    groups = guards.groups_of(machine)
    event_pairs = sum(1 for g in groups if g.kind == "event" and g.source.startswith("S"))
    print_(f"pairs: {event_pairs} guarded state x event pairs, {len(machine.transitions)} transitions")
    print_(f"compile: {compiled:.2f} s")
    run = VerificationRun(machine, smt_timeout_ms=args.timeout_ms)
    context = RuleContext(run=run)
    findings: Counter[str] = Counter()
    total = 0.0
    for rule in (*guards.RULES, *invariants.RULES):
        started = time.process_time()
        found = verify(machine, [rule], context)
        elapsed = time.process_time() - started
        total += elapsed
        findings.update(d.code for d in found)
        print_(f"rule {rule.name}: {elapsed:.2f} s, {len(found)} findings")
    analysis = analysis_of(run)
    print_(f"solver queries: {analysis.prover.queries}")
    verdict = "within" if total <= GOAL_SECONDS else "OVER"
    print_(f"all guard rules: {total:.2f} s ({verdict} the {GOAL_SECONDS:.0f} s goal for 1,000 pairs)")
    print_("findings: " + ", ".join(f"{code}={count}" for code, count in sorted(findings.items())))
    if args.json:
        report.rows.append(
            Row(
                "SMT guard checks (all guard and invariant rules)",
                f"{event_pairs:,} guarded state x event pairs",
                f"{total:.2f} s",
                f"{analysis.prover.queries:,} solver queries",
                f"{total:.2f} s",
                f"<= {GOAL_SECONDS:.0f} s for 1,000 pairs",
                total <= GOAL_SECONDS if event_pairs >= 1000 else None,
            )
        )
        report.emit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
