"""What the SMT rule modules share: the solver settings, witness formatting, and the SW409 finding.

Every refutation a rule reports is first replayed with the runtime's own
evaluator (`semantics.values`); a witness that does not check out is reported
as SW409 (z3 and the evaluator disagree) rather than as a claim about the
workflow, so a finding's example is always one the running workflow would see.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from decimal import Decimal

from statewright import ir
from statewright.compiler.smt.analysis import GuardAnalysis, Outcome, analysis_of
from statewright.compiler.smt.answers import Inputs, Witness
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


@dataclass(frozen=True, slots=True)
class Trigger:
    """What a transition receives, so a witness can name its inputs as a reader would send them.

    `name` is the event (kind `event`) or the invoked action (kind `done`);
    `inputs` are the transition's typed inputs (`semantics.inputs`).
    """

    kind: ir.TransitionKind
    name: str
    inputs: Inputs

    def text(self, values: dict[str, str]) -> str:
        """`submit(amount=10001.00)`, `measure returned (rate=0.5000)` or `error(name="X")`."""
        shown = ", ".join(
            f"{scoped[1]}={values[f.name]}"
            for f in self.inputs
            if f.name in values and (scoped := ir.input_of(f.name)) is not None
        )
        if self.kind == "done":
            return f"{self.name} returned ({shown})"
        return f"{self.name}({shown})"


def trigger_of(machine: ir.Machine, transition: ir.Transition, inputs: Inputs) -> Trigger | None:
    """The trigger of a transition with inputs (None without: its witnesses are contexts only)."""
    if not inputs:
        return None
    if transition.kind == "event":
        return Trigger("event", transition.event or "?", inputs)
    if transition.kind == "done":
        state = next((s for s in machine.states if s.name == transition.source), None)
        action = state.invoke.action if state is not None and state.invoke is not None else "work"
        return Trigger("done", action, inputs)
    return Trigger(transition.kind, "error", inputs)


def format_witness(witness: Witness, machine: ir.Machine, inputs: Inputs = ()) -> tuple[tuple[str, str], ...]:
    """A witness as (field, value) pairs written in the guard language (strings quoted).

    An input is named as the guard language reads it (`event.amount`), and a
    decimal input is shown with as many fractional digits as its declared bounds
    (`10001.00` for `decimal 0.00..1000000.00`).
    """
    types = {f.name: f.type for f in (*machine.context, *inputs)}
    declared = {f.name for f in inputs}
    pairs: list[tuple[str, str]] = []
    for name, value in witness:
        kind = types.get(name)
        if kind is not None and kind.name == "string":
            pairs.append((name, quote(str(value))))
        elif name in declared and kind is not None and isinstance(value, Decimal):
            pairs.append((name, render_value(_padded(value, kind))))
        else:
            pairs.append((name, render_value(value)))
    return tuple(pairs)


def _padded(value: Decimal, kind: ir.FieldType) -> Decimal:
    """`value` with at least the fractional digits its type's bounds are written with."""
    digits = max((_digits(bound) for bound in (kind.min, kind.max) if isinstance(bound, Decimal)), default=0)
    return value.quantize(Decimal(1).scaleb(-digits)) if _digits(value) < digits else value


def _digits(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def witness_text(witness: Witness, machine: ir.Machine, trigger: Trigger | None = None) -> str:
    """A witness as `a = 1, b = "x"`, then its inputs as `submit(amount=10001.00)`; or `any context`."""
    inputs = trigger.inputs if trigger is not None else ()
    pairs = format_witness(witness, machine, inputs)
    names = {f.name for f in inputs}
    context = ", ".join(f"{name} = {value}" for name, value in pairs if name not in names)
    received = {name: value for name, value in pairs if name in names}
    if trigger is None or not received:
        return context or "any context"
    return f"{context}, {trigger.text(received)}" if context else trigger.text(received)


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
