"""Invariant and `set` rules (SW405–SW408, SW409), proved with z3.

`set` actions run in blocks: a transition's actions (under its guard; an `else`
branch under "no other guard holds"), a state's entry and exit actions, and a
soft timeout's actions. Each block is checked on its own, assuming the
invariants and the declared domain before it (an inductive proof: if every
block preserves them and the start satisfies them, they hold in every reachable
context).

- SW405 `invariant-not-preserved` (error): a block can break an invariant that
  reads a field it sets. Witness: the values before; the message gives the after.
- SW406 `value-out-of-range` (error): a block can store a value outside the field's
  declared bounds. Leaving the 64-bit range of an int side without a declared
  bound (`set n = n + 1` on an `int >= 0`) is reported as information: the runtime
  refuses such a transition, but no realistic run gets there.
- SW407 `initial-context-invalid` (error): the defaults break an invariant, or no
  start values of the fields without defaults can satisfy the invariants.
- SW408 `division-by-zero` (warning): a divisor can be zero where the division is
  evaluated (`and`/`or` operands only count where they are reached). The language
  is total (`x / 0` is 0, `x % 0` is `x`), so this is a likely mistake, not a crash.
- SW409 `solver-unknown` (warning): as for the guard rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from statewright import ir
from statewright.compiler.smt.analysis import GuardAnalysis, negation
from statewright.compiler.verify.rules.guards import guards
from statewright.compiler.verify.rules.proofs import (
    FAMILY,
    Trigger,
    analysis_for,
    file_of,
    format_witness,
    trigger_of,
    unconfirmed,
    unknown,
    witness_text,
)
from statewright.diagnostics import Diagnostic, Related, Severity
from statewright.diagnostics.catalog.guards import (
    DIVISION_BY_ZERO,
    INITIAL_CONTEXT_INVALID,
    INVARIANT_NOT_PRESERVED,
    VALUE_OUT_OF_RANGE,
)
from statewright.ir.text import render
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.hookspecs import hookimpl
from statewright.semantics.hierarchy import Hierarchy
from statewright.semantics.inputs import all_inputs, input_name
from statewright.semantics.interpret import fields_of, in_bounds
from statewright.semantics.values import VALUES, apply_sets, evaluate, holds, to_term, value_in_domain
from statewright.source import Span


@dataclass(frozen=True, slots=True)
class Block:
    """Actions that run together, with what is known to hold when they start.

    `prefix` are the `set`s that run just before them (the exit actions of the
    states a transition leaves); the obligations cover `prefix + actions`.
    """

    where: str
    given: tuple[ir.Expr, ...]
    actions: tuple[ir.Action, ...]
    span: Span
    prefix: tuple[ir.Action, ...] = ()
    inputs: tuple[ir.ContextField, ...] = ()
    """What the actions may read besides the context (`semantics.inputs`), free in every obligation."""
    trigger: Trigger | None = None
    """How a witness names those inputs."""

    @property
    def sets(self) -> tuple[ir.Assign, ...]:
        """The block's own `set` actions, in order."""
        return tuple(a for a in self.actions if isinstance(a, ir.Assign))

    @property
    def run(self) -> tuple[ir.Action, ...]:
        """Everything that runs, in order: the prefix, then the block's own actions."""
        return (*self.prefix, *self.actions)


def blocks_of(machine: ir.Machine) -> tuple[Block, ...]:
    """Every action block that sets a field, in IR order: transitions, then states (a run shares one)."""
    found: list[Block] = []
    hierarchy = Hierarchy(machine)
    siblings: dict[tuple[str, str, str | None], list[ir.Transition]] | None = None
    caught = _caught_by_name(machine)
    for transition, inputs in zip(machine.transitions, all_inputs(machine), strict=True):
        if not transition.actions or not any(isinstance(a, ir.Assign) for a in transition.actions):
            continue
        if transition.is_else:
            if siblings is None:
                siblings = {}
                for other in machine.transitions:
                    siblings.setdefault((other.source, other.kind, other.event), []).append(other)
            others = siblings[(transition.source, transition.kind, transition.event)]
            given = tuple(negation(g) for g in guards([t for t in others if not t.is_else]))
        else:
            given = () if transition.guard is None else (transition.guard,)
        if transition.kind == "error":
            given = (*_error_names(transition, caught.get(transition.source, ())), *given)
        prefix, unsure = _exit_sets(hierarchy, transition)
        written = {a.field for a in prefix if isinstance(a, ir.Assign)}
        if unsure or any(fields_of(g) & written for g in given):
            given = ()  # exit actions may have changed what the guard read
        if transition.kind == "event":
            on = f"event `{transition.event}`"
        elif transition.kind == "error" and transition.event is not None:
            on = f"error `{transition.event}`"
        else:
            on = f"`{transition.kind}`"
        where = f"the transition from `{transition.source}` on {on}"
        trigger = trigger_of(machine, transition, inputs)
        found.append(Block(where, given, transition.actions, transition.span, prefix, inputs, trigger))
    for state in machine.states:
        if not (state.entry or state.exit or state.soft_timeouts):
            continue
        for what, actions in (("entry", state.entry), ("exit", state.exit)):
            if any(isinstance(a, ir.Assign) for a in actions):
                found.append(Block(f"the {what} actions of `{state.name}`", (), actions, state.span))
        for soft in state.soft_timeouts:
            if any(isinstance(a, ir.Assign) for a in soft.actions):
                found.append(Block(f"the warning timer of `{state.name}`", (), soft.actions, soft.span))
    result = tuple(found)
    return result


def _caught_by_name(machine: ir.Machine) -> dict[str, tuple[str, ...]]:
    """The error names a catch of each state always takes (unguarded or `else`): never its dead letter's."""
    found: dict[str, list[str]] = {}
    for transition in machine.transitions:
        if (
            transition.kind == "error"
            and transition.event is not None
            and (transition.guard is None or transition.is_else)
        ):
            found.setdefault(transition.source, []).append(transition.event)
    return {state: tuple(names) for state, names in found.items()}


def _error_names(transition: ir.Transition, caught: tuple[str, ...]) -> tuple[ir.Expr, ...]:
    """What an error transition knows of `error.name`: the name it catches, or none of those caught first."""
    name = ir.Var(input_name("error", "name"), "string")
    if transition.event is not None:
        return (ir.BinOp("==", name, ir.Lit(transition.event, "string"), "bool"),)
    return tuple(ir.BinOp("!=", name, ir.Lit(other, "string"), "bool") for other in caught)


def _exit_sets(hierarchy: Hierarchy, transition: ir.Transition) -> tuple[tuple[ir.Action, ...], bool]:
    """The `set`s of the exit actions a transition runs first, and whether more may run.

    States below the source may also be exited, depending on which is active; if
    any of them sets a field, the block cannot order those, so the caller stops
    assuming the guard.
    """
    if transition.target is None:
        return (), False
    states = hierarchy.states
    chain = hierarchy.below(transition.source, hierarchy.domain(transition.source, transition.target))
    prefix = tuple(a for name in chain for a in states[name].exit if isinstance(a, ir.Assign))
    below = {
        name
        for leaf in hierarchy.descendants[transition.source]
        for name in hierarchy.below(leaf, transition.source)
        if name != transition.source
    }
    unsure = any(isinstance(a, ir.Assign) for name in below for a in states[name].exit)
    return prefix, unsure


def _set_text(assign: ir.Assign) -> str:
    return f"set {assign.field} = {render(assign.value)}"


# --------------------------------------------------------------------------- SW405 / SW406


@dataclass(frozen=True, slots=True)
class InvariantRule:
    """SW405/SW406: every block of `set` actions keeps the invariants and the declared ranges."""

    name: str = "invariants-preserved"
    family: str = FAMILY
    codes: tuple[str, ...] = ("SW405", "SW406", "SW409")

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Prove, for each block, each invariant that reads a field it sets, then each set field's range."""
        analysis = analysis_for(machine, context)
        fields = {f.name: f for f in machine.context}
        for block in context.run_for(machine).derive(blocks_of):
            assigned = {a.field for a in block.sets}
            for invariant in machine.invariants:
                read = fields_of(invariant.expr) & assigned
                if not read:
                    continue
                subject = (block.where, block.span, invariant.text)
                outcome = analysis.record(
                    "invariants preserved",
                    subject,
                    analysis.preserves(invariant, block.given, block.run, block.inputs),
                )
                culprit = next(a for a in block.sets if a.field in read)
                what = f"{block.where} keeps `{invariant.text}`"
                if outcome.verdict == "unknown":
                    yield unknown(machine, what, outcome, culprit.span)
                    continue
                if not outcome.refuted:
                    continue
                before = dict(outcome.witness)
                after = apply_sets(block.run, before, machine.context)
                if not _holds_on(invariant.expr, before) or _holds_on(invariant.expr, after):
                    yield unconfirmed(analysis, "invariants preserved", subject, machine, what, culprit.span)
                    continue
                changed = tuple((name, after[name]) for name in sorted(read) if name in after)
                yield Diagnostic.of(
                    INVARIANT_NOT_PRESERVED,
                    f"`{_set_text(culprit)}` in {block.where} can break the invariant "
                    f"`{invariant.text}`: from {witness_text(outcome.witness, machine, block.trigger)} "
                    f"it sets {witness_text(changed, machine)}",
                    file_of(machine),
                    culprit.span,
                    related=[Related(file_of(machine), invariant.span, "the invariant")],
                    witness=format_witness(outcome.witness, machine, block.inputs),
                )
            for assign in block.sets:
                if _set_last(block, assign) is assign:
                    yield from _range(machine, analysis, block, assign, fields[assign.field].type)


def _range(
    machine: ir.Machine, analysis: GuardAnalysis, block: Block, assign: ir.Assign, kind: ir.FieldType
) -> Iterator[Diagnostic]:
    """SW406 for one stored number: its declared bounds (error), then the 64-bit range (info)."""
    if kind.name not in ("int", "decimal"):
        return
    declared = kind.min is not None or kind.max is not None
    checks: list[tuple[bool, str, Severity | None]] = []
    if declared:
        checks.append((True, kind.describe(), None))
    if kind.name == "int" and (kind.min is None or kind.max is None):
        checks.append((False, "the 64-bit int range", Severity.INFO))
    for declared_only, bounds, severity in checks:
        subject = (block.where, block.span, assign.field, declared_only)
        outcome = analysis.record(
            "values in range",
            subject,
            analysis.in_range(assign.field, block.given, block.run, declared_only, block.inputs),
        )
        what = f"`{_set_text(assign)}` stays in {bounds}"
        if outcome.verdict == "unknown":
            yield unknown(machine, what, outcome, assign.span)
            return
        if outcome.refuted:
            after = apply_sets(block.run, dict(outcome.witness), machine.context)
            value = after[assign.field]
            if declared_only:
                inside = bool(in_bounds(to_term(value, kind.name), kind.name, kind.min, kind.max, VALUES))
            else:
                inside = value_in_domain(value, kind)
            if inside:
                yield unconfirmed(analysis, "values in range", subject, machine, what, assign.span)
                return
            stored = witness_text(((assign.field, value),), machine)
            yield Diagnostic.of(
                VALUE_OUT_OF_RANGE,
                f"`{_set_text(assign)}` in {block.where} can leave `{assign.field}` outside {bounds}: "
                f"from {witness_text(outcome.witness, machine, block.trigger)} it sets {stored}",
                file_of(machine),
                assign.span,
                severity=severity,
                related=[Related(file_of(machine), _field_span(machine, assign.field), "declared here")],
                witness=format_witness(outcome.witness, machine, block.inputs),
            )
            return


def _holds_on(expr: ir.Expr, context: dict[str, ir.Value]) -> bool:
    """Evaluate with the runtime evaluator; a context missing a field the expression reads counts as False."""
    return fields_of(expr) <= context.keys() and holds(expr, context)


def _field_span(machine: ir.Machine, name: str) -> Span:
    return next(f.span for f in machine.context if f.name == name)


def _set_last(block: Block, assign: ir.Assign) -> ir.Assign:
    """The last `set` of the same field in the block: only the value it leaves behind is stored."""
    return [a for a in block.sets if a.field == assign.field][-1]


# --------------------------------------------------------------------------- SW407


@dataclass(frozen=True, slots=True)
class InitialContextRule:
    """SW407: a new instance, started with the defaults, can satisfy every invariant."""

    name: str = "initial-context"
    family: str = FAMILY
    codes: tuple[str, ...] = ("SW407", "SW409")

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Fix the defaults and ask for values of the other fields that satisfy the invariants."""
        if not machine.invariants:
            return
        analysis = analysis_for(machine, context)
        outcome = analysis.record("initial context", "start", analysis.initial())
        first = machine.invariants[0]
        if outcome.verdict == "unknown":
            yield unknown(machine, "a new instance can satisfy the invariants", outcome, first.span)
            return
        if not outcome.refuted:
            return
        defaults = {f.name: f.default for f in machine.context if f.default is not None}
        readable = [inv for inv in machine.invariants if fields_of(inv.expr) <= defaults.keys()]
        broken = [inv for inv in readable if not holds(inv.expr, defaults)]
        if broken:
            invariant = broken[0]
            message = (
                f"the defaults break the invariant `{invariant.text}`: "
                f"{witness_text(outcome.witness, machine)}"
            )
        else:
            invariant = first
            free = sorted(
                {name for inv in machine.invariants for name in fields_of(inv.expr)} - defaults.keys()
            )
            message = (
                f"no start values of {', '.join(f'`{name}`' for name in free)} satisfy the invariants"
                + (
                    f" together with the defaults ({witness_text(outcome.witness, machine)})"
                    if outcome.witness
                    else ""
                )
            )
        yield Diagnostic.of(
            INITIAL_CONTEXT_INVALID,
            message,
            file_of(machine),
            invariant.span,
            related=[
                Related(file_of(machine), i.span, "invariant")
                for i in machine.invariants
                if i is not invariant
            ],
            witness=format_witness(outcome.witness, machine),
        )


# --------------------------------------------------------------------------- SW408


@dataclass(frozen=True, slots=True)
class Division:
    """A `/` or `%` and what holds wherever it is evaluated."""

    node: ir.BinOp
    given: tuple[ir.Expr, ...]


def divisions(expr: ir.Expr, given: tuple[ir.Expr, ...] = ()) -> Iterator[Division]:
    """Every division in `expr` with its path condition (`a and b`: b only where a holds)."""
    match expr:
        case ir.BinOp(op="and", left=left, right=right):
            yield from divisions(left, given)
            yield from divisions(right, (*given, left))
        case ir.BinOp(op="or", left=left, right=right):
            yield from divisions(left, given)
            yield from divisions(right, (*given, negation(left)))
        case ir.BinOp(op="/" | "%", left=left, right=right):
            yield from divisions(left, given)
            yield from divisions(right, given)
            yield Division(expr, given)
        case ir.BinOp(left=left, right=right):
            yield from divisions(left, given)
            yield from divisions(right, given)
        case ir.Unary(operand=operand) | ir.In(operand=operand):
            yield from divisions(operand, given)


@dataclass(frozen=True, slots=True)
class DivisionRule:
    """SW408: no divisor can be zero where its division is evaluated."""

    name: str = "division-by-zero"
    family: str = FAMILY
    codes: tuple[str, ...] = ("SW408", "SW409")

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Ask, for every division in guards, `set` values and invariants, for a zero divisor."""
        analysis = analysis_for(machine, context)
        reported: set[tuple[ir.BinOp, Span]] = set()
        blocks = context.run_for(machine).derive(blocks_of)
        for given, before, expr, invariants, trigger in _expressions(machine, blocks):
            inputs = trigger.inputs if trigger is not None else ()
            for division in divisions(expr):
                divisor = division.node.right
                place = (division.node, division.node.span)
                if place in reported or (isinstance(divisor, ir.Lit) and divisor.value != 0):
                    continue
                subject = (place, given, before)
                outcome = analysis.record(
                    "divisors nonzero",
                    subject,
                    analysis.nonzero(divisor, given, division.given, before, invariants, inputs),
                )
                text = render(division.node)
                what = f"the divisor of `{text}` is never 0"
                if outcome.verdict == "unknown":
                    yield unknown(machine, what, outcome, division.node.span)
                    continue
                if not outcome.refuted:
                    continue
                start = dict(outcome.witness)
                reached = apply_sets(before, start, machine.context) if before else start
                if not fields_of(divisor) <= reached.keys() or evaluate(divisor, reached) != 0:
                    yield unconfirmed(
                        analysis, "divisors nonzero", subject, machine, what, division.node.span
                    )
                    continue
                reported.add(place)  # lowering copies level conditions into several guards
                result = "0" if division.node.op == "/" else render(division.node.left)
                yield Diagnostic.of(
                    DIVISION_BY_ZERO,
                    f"the divisor of `{text}` is 0 when {witness_text(outcome.witness, machine, trigger)} "
                    f"(the result is then {result})",
                    file_of(machine),
                    division.node.span,
                    witness=format_witness(outcome.witness, machine, inputs),
                )


def _expressions(
    machine: ir.Machine, blocks: tuple[Block, ...]
) -> Iterator[tuple[tuple[ir.Expr, ...], tuple[ir.Action, ...], ir.Expr, bool, Trigger | None]]:
    """Every expression the machine evaluates, with what holds and what ran before it.

    Yields (what holds at the start, actions run before it, expression, assume the
    invariants, how its transition's inputs are named): a guard on its own; a `set` value after the
    exit actions and the earlier `set`s of its block; an invariant with nothing assumed.
    """
    seen: set[int] = set()
    for transition, inputs in zip(machine.transitions, all_inputs(machine), strict=True):
        if transition.guard is not None and id(transition.guard) not in seen:
            seen.add(id(transition.guard))
            yield (), (), transition.guard, True, trigger_of(machine, transition, inputs)
    for block in blocks:
        run = block.run
        for position, action in enumerate(run):
            if isinstance(action, ir.Assign) and action in block.sets:
                yield block.given, tuple(run[:position]), action.value, True, block.trigger
    for invariant in machine.invariants:
        yield (), (), invariant.expr, False, None


# --------------------------------------------------------------------------- plugin


RULES: tuple[Rule, ...] = (InvariantRule(), InitialContextRule(), DivisionRule())
"""Every rule of this module, in code order."""


@hookimpl
def statewright_rules() -> list[Rule]:
    """Provide the invariant, range and division rules through the public hook."""
    return list(RULES)


__all__ = ["RULES", "Block", "DivisionRule", "InitialContextRule", "InvariantRule", "blocks_of", "divisions"]
