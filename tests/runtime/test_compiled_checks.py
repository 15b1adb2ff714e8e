"""The engine's staged guards, invariants and `set`s compute what the interpreter computes, memo or not.

`staging.staged_test` reads only the fields an expression names and remembers its
verdict per combination of their values (and classes); `staging.staged_sets`
converts only what its terms read. Both are checked against `values.holds` and
`values.apply_sets` (the interpreter over the `VALUES` algebra) on runs of
contexts, so a remembered verdict is exercised, with equal values of different
classes (`1`, `Decimal(1)`, `Decimal("1.00")`, `True`) side by side.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.ir import Value
from statewright.runtime import compiled
from statewright.runtime.definition import Definition
from statewright.runtime.plan import plan_of
from statewright.runtime.staging import MEMO_MAX, remembered, staged_sets, staged_test
from statewright.semantics.values import apply_sets, holds, to_value
from statewright.targets.python.guards import guard_body, return_lines
from tests.runtime.test_stores import CONTEXTS, FIELDS, SCOPE, exactly
from tests.semantics.typed_exprs import typed

LOOKALIKES = st.fixed_dictionaries(
    {
        "i": st.sampled_from([0, 1, -1]),
        "j": st.sampled_from([0, 1, 2]),
        "d": st.sampled_from(
            [1, 0, Decimal(1), Decimal("1.00"), Decimal("0.0"), Decimal("-0"), Decimal("0.5")]
        ),
        "b": st.booleans(),
        "e": st.sampled_from(("lo", "mid", "hi")),
        "s": st.sampled_from(("", "a")),
    }
)
"""Contexts whose values are equal across classes and representations: what a memo key must tell apart."""


@given(expr=typed(SCOPE, "bool", 3), contexts=st.lists(CONTEXTS | LOOKALIKES, min_size=1, max_size=8))
def test_a_staged_test_decides_every_context_of_a_run_as_the_evaluator(
    expr: ir.Expr, contexts: list[dict[str, Value]]
) -> None:
    """One staged test (its memo shared) over a run of contexts, each twice: `values.holds` each time."""
    test = staged_test(expr)
    for context in [*contexts, *contexts]:
        assert test(context) == holds(expr, context)


@given(expr=typed(SCOPE, "bool", 3), contexts=st.lists(CONTEXTS | LOOKALIKES, min_size=1, max_size=6))
def test_a_staged_test_reads_the_step_inputs_beside_the_context(
    expr: ir.Expr, contexts: list[dict[str, Value]]
) -> None:
    """A guard may read a context with a step's inputs beside it (`Draft.env`): extra names change nothing."""
    test = staged_test(expr)
    for context in contexts:
        with_inputs = {**context, "event.amount": Decimal("2.50"), "error.name": "Timeout"}
        assert test(with_inputs) == holds(expr, context)


def test_a_remembered_test_keys_values_by_class_asks_again_for_a_missing_field_and_starts_over() -> None:
    """Equal values of other classes are other keys; a missing field is not kept; the table is bounded."""
    calls: list[object] = []

    def test(context: Mapping[str, Value]) -> bool:
        calls.append(context.get("i"))
        return context.get("i") is True

    run = remembered(test, ("i",))
    assert not run({"i": 1}) and not run({"i": 1}) and calls == [1]
    assert run({"i": True}) and run({"i": True}) and calls == [1, True]  # `True == 1`, yet another key
    assert not run({}) and not run({}) and calls == [1, True, None, None]
    for n in range(MEMO_MAX):
        run({"i": n + 10})
    assert not run({"i": 1}) and calls[-1] == 1  # forgotten: the table started over when it filled


@given(
    first=st.sampled_from(["i", "j", "d"]).flatmap(
        lambda name: st.tuples(st.just(name), typed(SCOPE, "int" if name != "d" else "decimal", 3))
    ),
    second=typed(SCOPE, "decimal", 2),
    contexts=st.lists(CONTEXTS | LOOKALIKES, min_size=1, max_size=5),
)
def test_staged_sets_store_what_apply_sets_stores_field_by_field_and_in_order(
    first: tuple[str, ir.Expr], second: ir.Expr, contexts: list[dict[str, Value]]
) -> None:
    """Every field comes back as `apply_sets` gives it (type and exact text), in its order, run after run."""
    actions = (ir.Assign(first[0], first[1]), ir.Assign("d", second))
    run = staged_sets(actions, FIELDS)
    for context in [*contexts, *contexts]:
        got, expected = run(context), apply_sets(actions, context, FIELDS)
        assert list(exactly(got).items()) == list(exactly(expected).items())


@given(contexts=st.lists(CONTEXTS | LOOKALIKES, min_size=1, max_size=5))
def test_a_set_reading_an_input_stores_what_apply_sets_stores(contexts: list[dict[str, Value]]) -> None:
    """`set d = event.amount + d` reads the step's input beside the context, as the interpreter does."""
    amount = ir.Var("event.amount", "decimal")
    actions = (ir.Assign("d", ir.BinOp("+", amount, ir.Var("d", "decimal"), "decimal")),)
    run = staged_sets(actions, FIELDS)
    for context in contexts:
        env = {**context, "event.amount": Decimal("2.50")}
        assert exactly(run(env)) == exactly(apply_sets(actions, env, FIELDS))


def _compiled(expr: ir.Expr) -> Callable[[Mapping[str, Value]], bool]:
    """The python target's compiled guard for `expr`, as a generated module defines it."""
    namespace: dict[str, Any] = {
        "Fraction": Fraction,
        "math": math,
        "as_int": compiled.as_int,
        "as_fraction": compiled.as_fraction,
        "as_bool": compiled.as_bool,
        "as_str": compiled.as_str,
        "quotient": compiled.quotient,
    }
    body = guard_body(expr, FIELDS)
    source = ["def guard(c):", *(f"    {line}" for line in body.bindings)]
    exec("\n".join([*source, *return_lines(body.expression, "    ", 100)]), namespace)
    guard: Callable[[Mapping[str, Value]], bool] = namespace["guard"]
    return guard


@settings(max_examples=150, deadline=None)
@given(expr=typed(SCOPE, "bool", 3), contexts=st.lists(CONTEXTS | LOOKALIKES, min_size=1, max_size=6))
def test_the_plan_remembers_a_compiled_guard_and_decides_as_the_evaluator(
    expr: ir.Expr, contexts: list[dict[str, Value]]
) -> None:
    """`Plan.guard_holds` over a module's compiled guard (remembered per value): `values.holds` every time."""
    go = ir.Transition("A", "event", "A", "go", guard=expr)
    machine = ir.Machine("W", "A", (ir.State("A", "atomic"),), (go,), context=FIELDS)
    plan = plan_of(Definition(machine, {0: _compiled(expr)}))
    for context in [*contexts, *contexts]:
        assert plan.guard_holds(0, context) == holds(expr, context)


def _reference_decimal(value: Fraction) -> Decimal:
    """What `values._decimal` computed before it counted the digits from the denominator."""
    digits = 0
    while (value * 10**digits).denominator != 1:
        digits += 1
    scaled = int(value * 10**digits)
    sign = 1 if scaled < 0 else 0
    return Decimal((sign, tuple(int(d) for d in str(abs(scaled))), -digits))


@given(numerator=st.integers(-(10**30), 10**30), twos=st.integers(0, 40), fives=st.integers(0, 40))
def test_a_terminating_fraction_becomes_the_same_decimal_digit_for_digit(
    numerator: int, twos: int, fives: int
) -> None:
    """`to_value` of a fraction whose denominator is 2^a 5^b: the same digits and exponent as before."""
    value = Fraction(numerator, 2**twos * 5**fives)
    got, expected = to_value(value), _reference_decimal(value)
    assert isinstance(got, Decimal)
    assert got.as_tuple() == expected.as_tuple()
