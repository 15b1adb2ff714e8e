"""Guards over a transition's inputs: z3's verdicts, and the guard rules', against brute force.

An event carries a small random payload (a bounded int, an enum, a bool, a
string) beside one bounded int context field, so every (context, payload) pair
can be enumerated and each guard evaluated with the runtime's evaluator
(`semantics.values`). The payload's fields are free variables of the
obligations (`transition_inputs`), so a group of guards is exclusive when no
pair satisfies two, exhaustive when every pair satisfies one, and the guard
rules report SW402 / SW403 exactly when brute force says so. Strings are only
compared for equality, so the literals plus one other string cover them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.compiler.smt.analysis import GuardAnalysis, Outcome
from statewright.compiler.verify.rules import guards as guard_rules
from statewright.ir.text import render
from statewright.plugins.api import SMT_TIMEOUT_SETTING
from statewright.semantics.inputs import transition_inputs
from statewright.semantics.values import apply_sets, holds, value_in_domain
from tests.semantics.typed_exprs import STRING_LITERALS, Scope, typed
from tests.verify.support import run_rules

COLOURS = ("r", "g", "b")
SCOPE = Scope(ints=("x", "event.p"), bools=("event.f",), enums=(("event.c", COLOURS),), strings=("event.s",))
STRINGS = (*STRING_LITERALS, "zz")
"""Every string literal the guards may use, and one they never do."""
TIMEOUT_MS = 20_000

guard_sets = st.lists(typed(SCOPE, "bool", 2), min_size=1, max_size=3)


@st.composite
def bounds(draw: st.DrawFn) -> tuple[int, int]:
    """An inclusive int range within -3..3."""
    low = draw(st.integers(-3, 3))
    return low, draw(st.integers(low, 3))


def machine(x: tuple[int, int], p: tuple[int, int], group: list[ir.Expr]) -> ir.Machine:
    """One waiting state whose `submit` transitions carry the guards; `submit` has the small payload."""
    payload = (
        ir.ContextField("p", ir.FieldType("int", *p)),
        ir.ContextField("f", ir.FieldType("bool")),
        ir.ContextField("c", ir.FieldType("enum", members=COLOURS)),
        ir.ContextField("s", ir.FieldType("string")),
    )
    states = (ir.State("A", "atomic"), ir.State("B", "final"))
    transitions = tuple(ir.Transition("A", "event", "B", event="submit", guard=g) for g in group)
    return ir.Machine(
        "W",
        "A",
        states,
        transitions,
        events=(ir.Event("submit", payload=payload),),
        context=(ir.ContextField("x", ir.FieldType("int", *x), 0 if x[0] <= 0 <= x[1] else x[0]),),
    )


def pairs(m: ir.Machine) -> Iterator[dict[str, ir.Value]]:
    """Every context with every payload of the declared domains, as one evaluation environment."""
    x = m.context[0].type
    p = m.events[0].payload[0].type
    assert (
        isinstance(x.min, int)
        and isinstance(x.max, int)
        and isinstance(p.min, int)
        and isinstance(p.max, int)
    )
    for values in itertools.product(
        range(x.min, x.max + 1), range(p.min, p.max + 1), (False, True), COLOURS, STRINGS
    ):
        yield dict(zip(("x", "event.p", "event.f", "event.c", "event.s"), values, strict=True))


def checked(m: ir.Machine, outcome: Outcome) -> dict[str, ir.Value]:
    """The witness as an environment, after checking every value lies in its declared domain."""
    inputs = transition_inputs(m, m.transitions[0])
    types = {f.name: f.type for f in (*m.context, *inputs)}
    found = dict(outcome.witness)
    for name, value in found.items():
        assert value_in_domain(value, types[name]), (name, value)
    return found


def decided(outcome: Outcome) -> bool:
    """The verdict as a bool; an unknown fails the test."""
    assert outcome.verdict != "unknown", outcome.reason
    return outcome.proved


@settings(max_examples=60, deadline=None)
@given(x=bounds(), p=bounds(), group=guard_sets)
def test_payload_guard_verdicts_match_brute_force(
    x: tuple[int, int], p: tuple[int, int], group: list[ir.Expr]
) -> None:
    """Satisfiable, exclusive and exhaustive over context and payload agree with trying every pair."""
    m = machine(x, p, group)
    note("guards: " + " | ".join(render(g) for g in group))
    inputs = transition_inputs(m, m.transitions[0])
    analysis = GuardAnalysis(m, timeout_ms=TIMEOUT_MS)
    table = [[holds(g, env) for g in group] for env in pairs(m)]

    for index, guard in enumerate(group):
        outcome = analysis.satisfiable(guard, inputs=inputs)
        assert decided(outcome) == any(row[index] for row in table), render(guard)
        if outcome.proved:
            assert holds(guard, checked(m, outcome))

    exclusive = analysis.exclusive(group, inputs=inputs)
    assert decided(exclusive) == all(sum(row) <= 1 for row in table)
    if exclusive.refuted:
        assert sum(holds(g, checked(m, exclusive)) for g in group) >= 2

    exhaustive = analysis.exhaustive(group, inputs=inputs)
    assert decided(exhaustive) == all(any(row) for row in table)
    if exhaustive.refuted:
        assert not any(holds(g, checked(m, exhaustive)) for g in group)


@settings(max_examples=30, deadline=None)
@given(x=bounds(), p=bounds(), group=st.lists(typed(SCOPE, "bool", 2), min_size=2, max_size=3))
def test_guard_rules_report_overlaps_and_gaps_exactly_when_brute_force_finds_them(
    x: tuple[int, int], p: tuple[int, int], group: list[ir.Expr]
) -> None:
    """SW402 iff two guards hold for some (context, payload); SW403 iff none holds for some pair."""
    m = machine(x, p, group)
    note("guards: " + " | ".join(render(g) for g in group))
    table = [[holds(g, env) for g in group] for env in pairs(m)]
    found = run_rules(guard_rules, m, settings={SMT_TIMEOUT_SETTING: str(TIMEOUT_MS)})
    codes = {d.code for d in found}
    event("findings: " + (", ".join(sorted(codes)) or "none"))
    assert "SW409" not in codes
    satisfiable = [any(row[i] for row in table) for i in range(len(group))]
    assert ("SW401" in codes) == (not all(satisfiable))
    assert ("SW402" in codes) == any(sum(row) >= 2 for row in table)
    assert ("SW403" in codes) == any(not any(row) for row in table)
    for finding in found:
        if finding.code in ("SW402", "SW403"):
            assert finding.witness is not None
            assert "submit(" in finding.message or not any(n.startswith("event.") for n, _ in finding.witness)


@settings(max_examples=40, deadline=None)
@given(
    x=bounds(),
    p=bounds(),
    guard=typed(SCOPE, "bool", 2),
    invariant=typed(Scope(ints=("x",)), "bool", 1),
    value=typed(Scope(ints=("x", "event.p")), "int", 2),
)
def test_sets_from_a_payload_match_brute_force(
    x: tuple[int, int], p: tuple[int, int], guard: ir.Expr, invariant: ir.Expr, value: ir.Expr
) -> None:
    """`set x = value(x, event.p)` under a guard keeps the invariant and the bounds iff every pair does."""
    m = machine(x, p, [guard])
    m = ir.Machine(
        m.name,
        m.initial,
        m.states,
        m.transitions,
        events=m.events,
        context=m.context,
        invariants=(ir.Invariant(invariant, render(invariant)),),
    )
    actions = (ir.Assign("x", value),)
    note(f"when {render(guard)}: set x = {render(value)}; invariant {render(invariant)}")
    inputs = transition_inputs(m, m.transitions[0])
    analysis = GuardAnalysis(m, timeout_ms=TIMEOUT_MS)
    starts = [env for env in pairs(m) if holds(invariant, env) and holds(guard, env)]
    afters = [apply_sets(actions, env, m.context) for env in starts]

    kept = analysis.preserves(m.invariants[0], [guard], actions, inputs)
    assert decided(kept) == all(holds(invariant, after) for after in afters)
    if kept.refuted:
        before = checked(m, kept)
        assert holds(guard, before) and holds(invariant, before)
        assert not holds(invariant, apply_sets(actions, before, m.context))

    inside = analysis.in_range("x", [guard], actions, inputs=inputs)
    kind = m.context[0].type
    assert decided(inside) == all(value_in_domain(after["x"], kind) for after in afters)
    if inside.refuted:
        before = checked(m, inside)
        assert holds(guard, before)
        assert not value_in_domain(apply_sets(actions, before, m.context)["x"], kind)
