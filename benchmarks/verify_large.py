"""Benchmark: the structure, determinism and completeness rules on a generated large machine.

Usage: python -m benchmarks.verify_large [--states 50000] [--incomplete] [--json]

The machine is built directly as IR, deterministically (no randomness): a few
compound *sections* run one after another; inside each, chains of states advance
on `advance`, and every tenth state branches to a new chain, so the chains form a
ternary tree (shallow enough that counterexamples stay short). Sections refuse the
events they do not handle, as a careful designer would; `--incomplete` drops those
refusals so that nearly every leaf gets an SW311 finding (the worst case for
findings and counterexamples). A handful of defects are planted so that every
rule has something to report: an unreachable island, a trap cycle, a deadlock,
a nondeterministic state, an unused event and a verb-named state.

Prints the machine size, the time to build the leaf graph, the time per rule and
the findings per code.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from typing import Literal

from benchmarks.common import Report, Row
from statewright import ir
from statewright.compiler.verify import verify
from statewright.compiler.verify.graph import graph_of
from statewright.compiler.verify.rules.structure import RULES
from statewright.plugins.api import RuleContext
from statewright.plugins.run import VerificationRun

CHAIN = 40
"""States per chain."""
BRANCH_EVERY = 10
"""States 10, 20 and 30 of chain c branch to chains 3c+1, 3c+2, 3c+3: a ternary tree of chains."""
SECTIONS = 8
"""Compound states that hold the chains."""
EVENTS = (
    "advance",
    "branch",
    "fail",
    "retry",
    "cancel",
    "pause",
    "resume",
    *(f"signal_{i}" for i in range(9)),
)
GUARD = ir.BinOp("<", ir.Var("attempts", "int"), ir.Lit(3, "int"), "bool")


class Builder:
    """Accumulates states (in pre-order), transitions and refusals."""

    def __init__(self) -> None:
        """Start with empty tables."""
        self.states: list[ir.State] = []
        self.transitions: list[ir.Transition] = []
        self.rejects: list[ir.Reject] = []

    def state(
        self,
        name: str,
        kind: ir.StateKind = "atomic",
        *,
        parent: str | None = None,
        initial: str | None = None,
        children: tuple[str, ...] = (),
        outcome: Literal["success", "failure"] | None = None,
    ) -> None:
        """Add a state."""
        self.states.append(
            ir.State(name, kind, parent=parent, initial=initial, children=children, outcome=outcome)
        )

    def on(
        self,
        source: str,
        event: str,
        target: str | None,
        *,
        guard: ir.Expr | None = None,
        is_else: bool = False,
    ) -> None:
        """Add an event transition."""
        self.transitions.append(
            ir.Transition(source, "event", target, event=event, guard=guard, is_else=is_else)
        )


def section_chains(budget: int) -> list[int]:
    """Split a section's state budget into chain lengths (all CHAIN long but the last)."""
    lengths = [CHAIN] * (budget // CHAIN)
    if budget % CHAIN:
        lengths.append(budget % CHAIN)
    return lengths


def build_machine(total: int, *, incomplete: bool = False) -> ir.Machine:
    """Return a deterministic machine with exactly `total` states (at least 60)."""
    b = Builder()
    top = ["Start", "Done", "Failed", "Cancelled", "TrapA", "TrapB", "Stuck", "Choosing", "PublishReport"]
    island = [f"Island{i}" for i in range(5)]
    fixed = len(top) + len(island) + SECTIONS * 2  # each section: the compound and its final child
    budget = total - fixed
    if budget < SECTIONS:
        raise SystemExit(f"--states must be at least {fixed + SECTIONS}")
    per_section = [budget // SECTIONS + (1 if k < budget % SECTIONS else 0) for k in range(SECTIONS)]

    b.state("Start")
    b.on("Start", "advance", "Section0")
    b.on("Start", "cancel", "Cancelled")
    for event in EVENTS:
        if event not in ("advance", "cancel", "signal_8"):
            b.rejects.append(ir.Reject("Start", event, "reject", "not started"))

    handled = {"advance", "cancel"}  # on every state of a section; the rest is refused by the section
    for k, size in enumerate(per_section):
        section = f"Section{k}"
        end = f"Section{k}.end"
        lengths = section_chains(size)
        names = [[f"S{k}_{c}_{j}" for j in range(length)] for c, length in enumerate(lengths)]
        b.state(
            section, "compound", initial=names[0][0], children=(*[n for chain in names for n in chain], end)
        )
        after = f"Section{k + 1}" if k + 1 < SECTIONS else "Done"
        b.transitions.append(ir.Transition(section, "completion", after))
        b.on(section, "cancel", "Cancelled")
        b.transitions.append(ir.Transition(section, "timeout", "Failed", after_ms=86_400_000))
        if not incomplete:
            for event in EVENTS:
                if event not in handled:
                    b.rejects.append(ir.Reject(section, event, "ignore" if event == "pause" else "reject"))
        for c, chain in enumerate(names):
            for j, name in enumerate(chain):
                b.state(name, parent=section)
                nxt = chain[j + 1] if j + 1 < len(chain) else end
                b.on(name, "advance", nxt)
                branch = j // BRANCH_EVERY  # states 10, 20, 30 start chains 3c+1, 3c+2, 3c+3
                child = 3 * c + branch
                if j % BRANCH_EVERY == 0 and 1 <= branch <= 3 and child < len(names):
                    b.on(name, "branch", names[child][0])
                if j % 5 == 4:
                    b.on(name, "retry", name, guard=GUARD)
                    b.on(name, "retry", "Failed", is_else=True)
                if j % 7 == 3:
                    b.on(name, "fail", "Failed")
        b.state(end, "final", parent=section)

    # planted defects
    first = "S0_0_1"
    b.on(first, "signal_7", "TrapA")  # a trap cycle
    b.on(first, "signal_7", "Stuck")  # nondeterminism (two unguarded signal_7) and a deadlock
    b.on("Start", "signal_8", "Choosing")
    b.state("Done", "final")
    b.state("Failed", "final", outcome="failure")
    b.state("Cancelled", "final", outcome="failure")
    b.state("TrapA")
    b.on("TrapA", "signal_7", "TrapB")
    b.state("TrapB")
    b.on("TrapB", "signal_7", "TrapA")
    b.state("Stuck")
    b.state("Choosing")
    b.transitions.append(ir.Transition("Choosing", "always", "PublishReport", guard=GUARD))
    b.transitions.append(ir.Transition("Choosing", "always", "Done", is_else=True))
    b.state("PublishReport")  # a verb-named state
    b.on("PublishReport", "advance", "Done")
    for i, name in enumerate(island):  # unreachable: nothing enters Island0
        b.state(name)
        b.on(name, "advance", island[i + 1] if i + 1 < len(island) else "Done")

    machine = ir.Machine(
        "Large",
        "Start",
        tuple(b.states),
        tuple(b.transitions),
        events=(*(ir.Event(e) for e in EVENTS), ir.Event("never_sent")),
        rejects=tuple(b.rejects),
        context=(ir.ContextField("attempts", ir.FieldType("int", 0, 10), 0),),
        source="<generated>",
    )
    assert len(machine.states) == total, (len(machine.states), total)
    return machine


def main(argv: list[str] | None = None) -> int:
    """Build the machine, time the graph and every rule, print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=50_000)
    parser.add_argument("--incomplete", action="store_true", help="drop the sections' refusals")
    parser.add_argument("--json", action="store_true", help="print one JSON document for benchmarks.run")
    args = parser.parse_args(argv)
    report = Report("verify")
    print_ = report.details.append if args.json else print

    started = time.perf_counter()
    machine = build_machine(args.states, incomplete=args.incomplete)
    built = time.perf_counter()
    run = VerificationRun(machine)
    graph = graph_of(run)
    _ = graph.reachable, graph.can_finish
    graphed = time.perf_counter()
    print_(
        f"states: {len(machine.states)}  transitions: {len(machine.transitions)}  "
        f"events: {len(machine.events)}"
    )
    print_(f"generate IR:        {built - started:8.3f} s")
    print_(f"leaf graph + search:{graphed - built:8.3f} s")

    context = RuleContext(run=run)  # the rules share the run's graph, built and timed above
    counts: Counter[str] = Counter()
    total = 0.0
    for rule in RULES:
        t0 = time.perf_counter()
        found = verify(machine, [rule], context)
        elapsed = time.perf_counter() - t0
        total += elapsed
        counts.update(d.code for d in found)
        print_(f"{rule.name:<20}{elapsed:8.3f} s  {len(found)} finding(s)")
    print_(f"all rules:          {total:8.3f} s")
    print_(f"total:              {time.perf_counter() - started:8.3f} s")
    print_("findings: " + ", ".join(f"{code}={n}" for code, n in sorted(counts.items())))
    if args.json:
        report.rows.append(
            Row(
                "verify: structure rules on IR",
                f"{len(machine.states):,} states, {len(machine.transitions):,} transitions",
                f"{total:.2f} s",
                f"leaf graph {graphed - built:.2f} s",
                f"{total:.2f} s",
                "(comparison)",
                None,
            )
        )
        report.emit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
