"""What the SMT rule modules share: the solver settings, witness formatting, and the SW409 finding.

Every refutation a rule reports is first replayed with the runtime's own
evaluator (`semantics.values`); a witness that does not check out is reported
as SW409 (z3 and the evaluator disagree) rather than as a claim about the
workflow, so a finding's example is always one the running workflow would see.
"""

from __future__ import annotations

from collections.abc import Hashable

from statewright import ir
from statewright.compiler.smt.analysis import GuardAnalysis, Outcome, analysis_of
from statewright.compiler.smt.prover import Witness
from statewright.compiler.verify.graph import MachineGraph
from statewright.diagnostics import Diagnostic
from statewright.diagnostics.catalog.guards import SOLVER_UNKNOWN
from statewright.ir.text import quote, render_value
from statewright.plugins.api import RuleContext
from statewright.source import Span

FAMILY = "guards"

DISAGREEMENT = (
    "z3's counterexample does not check out under the runtime evaluator; this is a statewright bug, "
    "please report it"
)


def file_of(machine: ir.Machine) -> str:
    """The file name findings about `machine` carry."""
    return machine.source or machine.name


def analysis_for(machine: ir.Machine, context: RuleContext) -> GuardAnalysis:
    """The run's shared analysis of `machine` (with the run's solver time limit)."""
    return analysis_of(context.run_for(machine))


def format_witness(witness: Witness, machine: ir.Machine) -> tuple[tuple[str, str], ...]:
    """A witness as (field, value) pairs written in the guard language (strings quoted)."""
    types = {f.name: f.type.name for f in machine.context}
    return tuple(
        (name, quote(str(value)) if types.get(name) == "string" else render_value(value))
        for name, value in witness
    )


def witness_text(witness: Witness, machine: ir.Machine) -> str:
    """A witness as `a = 1, b = "x"`, or `any context` when it constrains nothing."""
    pairs = format_witness(witness, machine)
    return ", ".join(f"{name} = {value}" for name, value in pairs) if pairs else "any context"


def unknown(machine: ir.Machine, what: str, outcome: Outcome, span: Span) -> Diagnostic:
    """The SW409 finding for an obligation z3 could not decide."""
    return Diagnostic.of(
        SOLVER_UNKNOWN, f"could not prove or refute that {what}: {outcome.reason}", file_of(machine), span
    )


def unconfirmed(
    analysis: GuardAnalysis, check: str, subject: Hashable, machine: ir.Machine, what: str, span: Span
) -> Diagnostic:
    """Record an obligation whose witness the evaluator rejects as unknown, and say so (SW409)."""
    outcome = analysis.record(check, subject, Outcome("unknown", reason=DISAGREEMENT))
    return unknown(machine, what, outcome, span)


def counterexample(graph: MachineGraph, state: str, event: str | None) -> tuple[str, ...] | None:
    """The shortest event path into `state`, then `event`; None when `state` is unreachable."""
    for leaf in graph.descendants.get(state, ()):
        if leaf in graph.reachable:
            path = graph.path_to(leaf)
            if path is not None:
                return (*path, event) if event else path
    return None
