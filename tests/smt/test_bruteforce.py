"""z3's verdicts against brute force: on a small finite domain, every context is tried with the evaluator.

The machine has two small int fields, an enum and a bool, so its whole declared
domain (at most 7 * 7 * 3 * 2 contexts) can be enumerated. For random guard sets
(and an optional invariant) the verdicts of `GuardAnalysis` must be exactly what
`holds` says on every context: a guard is satisfiable when some context satisfies
it, a set is exclusive when no context satisfies two, exhaustive when every context
satisfies one. Decimals enter through literals and `/`, so the domain stays finite.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from hypothesis import given, note
from hypothesis import strategies as st

from statewright import ir
from statewright.compiler.smt.analysis import GuardAnalysis, Outcome
from statewright.ir.text import render
from statewright.semantics.values import apply_sets, evaluate, holds, value_in_domain
from tests.semantics.typed_exprs import Scope, typed

COLOURS = ("r", "g", "b")
SCOPE = Scope(ints=("x", "y"), bools=("f",), enums=(("c", COLOURS),))
TIMEOUT_MS = 20_000
"""Generous: on domains this small z3 decides; an unknown would be a finding of its own."""

guards = typed(SCOPE, "bool", 3)
guard_sets = st.lists(guards, min_size=1, max_size=4)
invariants = st.none() | guards


@st.composite
def bounds(draw: st.DrawFn) -> tuple[int, int]:
    """An inclusive int range within -3..3."""
    low = draw(st.integers(-3, 3))
    return low, draw(st.integers(low, 3))


def machine(x: tuple[int, int], y: tuple[int, int], invariant: ir.Expr | None) -> ir.Machine:
    """A one-state machine with the small context and, maybe, one invariant."""
    context = (
        ir.ContextField("x", ir.FieldType("int", *x)),
        ir.ContextField("y", ir.FieldType("int", *y)),
        ir.ContextField("c", ir.FieldType("enum", members=COLOURS)),
        ir.ContextField("f", ir.FieldType("bool")),
    )
    kept = () if invariant is None else (ir.Invariant(invariant, render(invariant)),)
    return ir.Machine("W", "A", (ir.State("A", "atomic"),), (), context=context, invariants=kept)


def domain(m: ir.Machine) -> Iterator[dict[str, ir.Value]]:
    """Every context of the declared domain in which the invariants hold."""
    choices: list[list[ir.Value]] = []
    for f in m.context:
        match f.type.name:
            case "int":
                assert isinstance(f.type.min, int) and isinstance(f.type.max, int)
                choices.append(list(range(f.type.min, f.type.max + 1)))
            case "enum":
                choices.append(list(f.type.members))
            case _:
                choices.append([False, True])
    names = [f.name for f in m.context]
    for values in itertools.product(*choices):
        context = dict(zip(names, values, strict=True))
        if all(holds(i.expr, context) for i in m.invariants):
            yield context


def check_witness(m: ir.Machine, outcome: Outcome) -> dict[str, ir.Value]:
    """The witness as a context, after checking it lies in the domain and meets the invariants."""
    types = {f.name: f.type for f in m.context}
    context = dict(outcome.witness)
    for name, value in context.items():
        assert value_in_domain(value, types[name]), (name, value)
    for invariant in m.invariants:
        assert holds(invariant.expr, context), invariant.text
    return context


def decided(outcome: Outcome) -> bool:
    """The verdict as a bool (proved or refuted); an unknown fails the test."""
    assert outcome.verdict != "unknown", outcome.reason
    return outcome.proved


@given(x=bounds(), y=bounds(), invariant=invariants, group=guard_sets)
def test_guard_verdicts_match_brute_force(
    x: tuple[int, int], y: tuple[int, int], invariant: ir.Expr | None, group: list[ir.Expr]
) -> None:
    """The satisfiable, exclusive and exhaustive verdicts agree with trying every context of the domain."""
    m = machine(x, y, invariant)
    note(f"invariant: {render(invariant) if invariant is not None else '-'}")
    note("guards: " + " | ".join(render(g) for g in group))
    analysis = GuardAnalysis(m, timeout_ms=TIMEOUT_MS)
    table = [[holds(g, context) for g in group] for context in domain(m)]

    for index, guard in enumerate(group):
        outcome = analysis.satisfiable(guard)
        assert decided(outcome) == any(row[index] for row in table), render(guard)
        if outcome.proved:
            assert holds(guard, check_witness(m, outcome))

    together = analysis.satisfiable(group[0], given=group[1:])
    assert decided(together) == any(all(row) for row in table)
    if together.proved:
        context = check_witness(m, together)
        assert all(holds(g, context) for g in group)

    exclusive = analysis.exclusive(group)
    assert decided(exclusive) == all(sum(row) <= 1 for row in table)
    if exclusive.refuted:
        context = check_witness(m, exclusive)
        assert sum(holds(g, context) for g in group) >= 2

    exhaustive = analysis.exhaustive(group)
    assert decided(exhaustive) == all(any(row) for row in table)
    if exhaustive.refuted:
        context = check_witness(m, exhaustive)
        assert not any(holds(g, context) for g in group)


@given(
    x=bounds(),
    y=bounds(),
    invariant=guards,
    condition=guards,
    sets=st.lists(st.tuples(st.sampled_from(["x", "y"]), typed(SCOPE, "int", 2)), min_size=1, max_size=2),
    divisor=typed(SCOPE, "int", 2),
)
def test_set_and_divisor_verdicts_match_brute_force(
    x: tuple[int, int],
    y: tuple[int, int],
    invariant: ir.Expr,
    condition: ir.Expr,
    sets: list[tuple[str, ir.Expr]],
    divisor: ir.Expr,
) -> None:
    """The preserves, in_range and nonzero verdicts agree with running the `set`s on every context."""
    m = machine(x, y, invariant)
    actions = tuple(ir.Assign(name, value) for name, value in sets)
    note(f"invariant: {render(invariant)}; given: {render(condition)}")
    note("; ".join(f"set {a.field} = {render(a.value)}" for a in actions) + f"; divisor: {render(divisor)}")
    analysis = GuardAnalysis(m, timeout_ms=TIMEOUT_MS)
    starts = [context for context in domain(m) if holds(condition, context)]
    types = {f.name: f.type for f in m.context}

    kept = analysis.preserves(m.invariants[0], [condition], actions)
    afters = [apply_sets(actions, context, m.context) for context in starts]
    assert decided(kept) == all(holds(invariant, after) for after in afters)
    if kept.refuted:
        before = check_witness(m, kept)
        assert holds(condition, before)
        assert not holds(invariant, apply_sets(actions, before, m.context))

    for name in sorted({a.field for a in actions}):
        inside = analysis.in_range(name, [condition], actions)
        assert decided(inside) == all(value_in_domain(after[name], types[name]) for after in afters)
        if inside.refuted:
            before = check_witness(m, inside)
            assert holds(condition, before)
            assert not value_in_domain(apply_sets(actions, before, m.context)[name], types[name])

    nonzero = analysis.nonzero(divisor, [condition])
    assert decided(nonzero) == all(evaluate(divisor, context) != 0 for context in starts)
    if nonzero.refuted:
        context = check_witness(m, nonzero)
        assert holds(condition, context)
        assert evaluate(divisor, context) == 0
