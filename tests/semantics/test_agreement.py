"""The z3 encoding and the guard evaluator give every expression the same meaning.

Both interpret the IR through `semantics.interpret`, over different algebras: Python
values (`values.ValueAlgebra`) and z3 terms (`smt.encode.Z3Algebra`). These property
tests draw random well-typed expressions and contexts, evaluate them with the
evaluator, and let z3 compute the same expression with the fields replaced by the
context's constants: the two must agree exactly, including `/` and `%` by zero,
floor modulo, promotion and the rounding of a stored decimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from typing import Any

import z3
from hypothesis import given, note
from hypothesis import strategies as st

from statewright import ir
from statewright.compiler.smt.encode import Encoding
from statewright.ir.text import render
from statewright.semantics.interpret import SCALE, assign, has_scale, in_domain, interpret, round_decimal
from statewright.semantics.values import VALUES, Term, apply_sets, environment, holds, value_in_domain
from tests.semantics.typed_exprs import STRING_LITERALS, Scope, typed

MEMBERS = ("lo", "mid", "hi")
FIELDS = (
    ir.ContextField("i", ir.FieldType("int", -6, 6)),
    ir.ContextField("j", ir.FieldType("int")),
    ir.ContextField("d", ir.FieldType("decimal")),
    ir.ContextField("b", ir.FieldType("bool")),
    ir.ContextField("e", ir.FieldType("enum", members=MEMBERS)),
    ir.ContextField("s", ir.FieldType("string")),
)
MACHINE = ir.Machine("W", "A", (ir.State("A", "atomic"),), (), context=FIELDS)
TYPES = {f.name: f.type for f in FIELDS}
SCOPE = Scope(ints=("i", "j"), decimals=("d",), bools=("b",), enums=(("e", MEMBERS),), strings=("s",))


def decimals(max_digits: int = SCALE, bound: int = 10**6) -> st.SearchStrategy[Decimal]:
    """Decimals with at most `max_digits` fractional digits, mostly short ones (built exactly, from text)."""
    return st.builds(
        lambda digits, exponent: Decimal(f"{digits}E-{exponent}"),
        st.integers(-bound, bound),
        st.sampled_from([0, 0, 1, 1, 2, 3, 9, max_digits]),
    )


WIDE = [Decimal(text) for text in ("123456789012.345678901234567891", "-99999999999.999999999999999999")]
"""Decimals with more significant digits than `decimal`'s default 28-digit context holds."""

contexts: st.SearchStrategy[dict[str, ir.Value]] = st.fixed_dictionaries(
    {
        "i": st.integers(-6, 6),
        "j": st.integers(-6, 6) | st.sampled_from([-(2**63), 2**63 - 1, 10**9]),
        "d": decimals() | decimals(bound=10**32) | st.sampled_from(WIDE),
        "b": st.booleans(),
        "e": st.sampled_from(MEMBERS),
        "s": st.sampled_from(STRING_LITERALS) | st.text(max_size=3),
    }
)


def constant(encoding: Encoding, field: ir.ContextField, value: ir.Value) -> Any:
    """The z3 constant standing for `value` in `field` (strings and enum members by their code)."""
    algebra = encoding.algebra
    match field.type.name:
        case "int":
            assert isinstance(value, int)
            return algebra.int_lit(value)
        case "decimal":
            assert isinstance(value, int | Decimal)
            return algebra.decimal_lit(Fraction(value))
        case "bool":
            return algebra.bool_lit(bool(value))
        case "enum":
            return algebra.enum_lit(str(value))
    return algebra.string_lit(str(value))


def from_z3(term: Any) -> Term:
    """A closed, simplified z3 term as a Python value (ints, exact fractions, bools)."""
    if z3.is_true(term):
        return True
    if z3.is_false(term):
        return False
    if z3.is_int_value(term):
        return int(term.as_long())
    assert z3.is_rational_value(term), f"z3 did not reduce the term to a value: {term}"
    return Fraction(int(term.numerator_as_long()), int(term.denominator_as_long()))


def z3_value(encoding: Encoding, term: Any, context: Mapping[str, ir.Value]) -> Term:
    """What z3 makes of `term` when every field is replaced by its value in `context`."""
    pairs = [(encoding.variables[f.name], constant(encoding, f, context[f.name])) for f in FIELDS]
    return from_z3(z3.simplify(z3.substitute(term, *pairs)))


def same(left: Term, right: Term) -> bool:
    """Equal values of the same kind (so `True` is not `1` and `Fraction(2)` is not `2`)."""
    kind = {bool: "bool", int: "int", Fraction: "decimal", str: "str"}
    return kind[type(left)] == kind[type(right)] and left == right


def half_even(value: Fraction) -> Fraction:
    """`value` rounded half-to-even to `SCALE` digits, by integer arithmetic (an independent oracle)."""
    quotient, remainder = divmod(value.numerator * 10**SCALE, value.denominator)
    twice = 2 * remainder
    if twice > value.denominator or (twice == value.denominator and quotient % 2 == 1):
        quotient += 1
    return Fraction(quotient, 10**SCALE)


# --------------------------------------------------------------------------- expressions


@given(
    expr=st.sampled_from(["int", "decimal", "bool"]).flatmap(lambda k: typed(SCOPE, k, 3)), context=contexts
)
def test_z3_and_the_evaluator_agree_on_every_expression(expr: ir.Expr, context: dict[str, ir.Value]) -> None:
    """A random well-typed expression has the same exact value under z3 and under the evaluator."""
    note(render(expr))
    encoding = Encoding(MACHINE)
    expected = interpret(expr, VALUES, environment(context, FIELDS))
    actual = z3_value(encoding, encoding.term(expr), context)
    assert same(actual, expected), (actual, expected)
    kind = {"int": int, "decimal": Fraction, "bool": bool}[expr.type]
    assert type(expected) is kind


@given(expr=typed(SCOPE, "bool", 3), context=contexts)
def test_holds_is_the_truth_of_the_z3_term(expr: ir.Expr, context: dict[str, ir.Value]) -> None:
    """`holds` on a context agrees with z3 deciding the guard's term with the fields fixed to it."""
    note(render(expr))
    encoding = Encoding(MACHINE)
    solver = z3.Solver(ctx=encoding.context)
    for field in FIELDS:
        solver.add(encoding.variables[field.name] == constant(encoding, field, context[field.name]))
    solver.add(encoding.term(expr))
    assert (solver.check() == z3.sat) == holds(expr, context)


@given(
    target=st.sampled_from(["i", "j", "d"]).flatmap(
        lambda name: st.tuples(
            st.just(name),
            typed(SCOPE, "int", 3) if name != "d" else typed(SCOPE, "decimal", 3) | typed(SCOPE, "int", 2),
        )
    ),
    second=typed(SCOPE, "decimal", 2),
    context=contexts,
)
def test_z3_and_the_evaluator_agree_on_set_actions(
    target: tuple[str, ir.Expr], second: ir.Expr, context: dict[str, ir.Value]
) -> None:
    """A `set` (then a second `set d` reading the first) stores the same values under z3 and the evaluator."""
    name, value = target
    actions = (ir.Assign(name, value), ir.Assign("d", second))
    note(f"set {name} = {render(value)}; set d = {render(second)}")
    encoding = Encoding(MACHINE)
    after = apply_sets(actions, context, FIELDS)
    terms = assign(actions, encoding.algebra, encoding.variables, TYPES)
    for field in ("i", "j"):
        stored = after[field]
        assert isinstance(stored, int)
        assert same(z3_value(encoding, terms[field], context), stored)
    stored = after["d"]
    assert isinstance(stored, Decimal)
    assert value_in_domain(stored, TYPES["d"])  # at most 18 fractional digits
    assert same(z3_value(encoding, terms["d"], context), Fraction(stored))
    assert {k: after[k] for k in "bes"} == {k: context[k] for k in "bes"}


# --------------------------------------------------------------------------- rounding and domains


@given(
    value=st.fractions(max_denominator=10**40).filter(lambda f: abs(f) < 10**6)
    | decimals(max_digits=25).map(Fraction)
    | st.builds(
        lambda n, k: Fraction(2 * n + 1, 2 * 10**SCALE) * k,
        st.integers(-(10**6), 10**6),
        st.sampled_from([1, -1]),
    )
)
def test_round_decimal_agrees_with_z3_and_with_half_even(value: Fraction) -> None:
    """`round_decimal` rounds half-to-even to 18 digits, over values and over z3 terms alike."""
    encoding = Encoding(MACHINE)
    rounded = round_decimal(value, VALUES)
    assert rounded == half_even(value)
    z3_rounded = from_z3(z3.simplify(round_decimal(encoding.algebra.decimal_lit(value), encoding.algebra)))
    assert z3_rounded == rounded
    if _terminates(value):
        with localcontext() as precise:
            precise.prec = 100
            exact = Decimal(value.numerator) / Decimal(value.denominator)
            quantized = exact.quantize(Decimal(1).scaleb(-SCALE), rounding=ROUND_HALF_EVEN)
        assert rounded == Fraction(quantized)


def _terminates(value: Fraction) -> bool:
    """True when `value` has a finite decimal expansion (so 100-digit `Decimal` division is exact)."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


field_types = st.one_of(
    st.builds(
        ir.FieldType,
        name=st.just("int"),
        min=st.none() | st.integers(-5, 5),
        max=st.none() | st.integers(-5, 5),
    ),
    st.builds(
        ir.FieldType,
        name=st.just("decimal"),
        min=st.none() | decimals(3, 500),
        max=st.none() | decimals(3, 500),
    ),
    st.just(ir.FieldType("enum", members=MEMBERS)),
)


@given(
    field=field_types,
    value=st.integers(-8, 8)
    | st.sampled_from([-(2**63), 2**63 - 1, -(2**63) - 1, 2**63, True])
    | decimals(20, 800)
    | st.sampled_from([*MEMBERS, "top", ""]),
)
def test_domain_checks_agree_with_z3(field: ir.FieldType, value: ir.Value) -> None:
    """`value_in_domain` is z3's domain (and, for decimals, scale) condition on the value's constant."""
    algebra = Encoding(MACHINE).algebra
    match field.name, value:
        case "enum", str():
            condition = in_domain(algebra.enum_lit(value), field, algebra)
        case "int", int() if not isinstance(value, bool):
            condition = in_domain(algebra.int_lit(value), field, algebra)
        case "decimal", int() | Decimal() if not isinstance(value, bool):
            term = algebra.decimal_lit(Fraction(value))
            condition = z3.And(in_domain(term, field, algebra), has_scale(term, algebra))
        case _:  # a value of another kind is never in the domain
            condition = z3.BoolVal(False, algebra.context)
    assert value_in_domain(value, field) == z3.is_true(z3.simplify(condition))
