"""The guard evaluator on hand-picked cases that pin the language's semantics (interpret.py's docstring).

Each case states one rule of LANGUAGE.md §12 or `semantics/interpret.py` as the runtime
sees it: `evaluate`/`holds` on a context, `apply_sets` for `set` actions, and
`value_in_domain` for what a field may hold.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

import pytest

from statewright import ir
from statewright.semantics.interpret import INT_MAX, INT_MIN, SCALE, interpret
from statewright.semantics.values import (
    VALUES,
    apply_sets,
    environment,
    evaluate,
    holds,
    to_term,
    to_value,
    value_in_domain,
)

VI = ir.Var("i", "int")
VJ = ir.Var("j", "int")
VD = ir.Var("d", "decimal")
VE = ir.Var("e", "decimal")
VB = ir.Var("b", "bool")
VS = ir.Var("s", "string")
TIER = ir.Var("tier", "enum")

FIELDS = (
    ir.ContextField("i", ir.FieldType("int", 0, 100)),
    ir.ContextField("j", ir.FieldType("int")),
    ir.ContextField("d", ir.FieldType("decimal")),
    ir.ContextField("e", ir.FieldType("decimal")),
    ir.ContextField("b", ir.FieldType("bool")),
    ir.ContextField("s", ir.FieldType("string")),
    ir.ContextField("tier", ir.FieldType("enum", members=("lo", "mid", "hi"))),
)


def lit(value: ir.Value) -> ir.Lit:
    """A literal typed by its Python type (a `Decimal` is a decimal, a `str` a string)."""
    match value:
        case bool():
            return ir.Lit(value, "bool")
        case int():
            return ir.Lit(value, "int")
        case Decimal():
            return ir.Lit(value, "decimal")
    return ir.Lit(value, "string")


def member(name: str) -> ir.Lit:
    """An enum member literal."""
    return ir.Lit(name, "enum")


def binop(op: ir.BinaryOp, left: ir.Expr, right: ir.Expr) -> ir.BinOp:
    """A binary operation typed as the type checker would type it."""
    if op in ("==", "!=", "<", "<=", ">", ">=", "and", "or"):
        return ir.BinOp(op, left, right, "bool")
    both_int = left.type == "int" and right.type == "int"
    return ir.BinOp(op, left, right, "int" if both_int and op != "/" else "decimal")


def dec(text: str) -> Decimal:
    """A decimal from its text."""
    return Decimal(text)


# --------------------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(7, 3, 1), (-7, 3, 2), (7, -3, -2), (-7, -3, -1), (6, -3, 0), (-1, 5, 4), (0, -4, 0)],
)
def test_modulo_is_floor_modulo_with_the_sign_of_the_divisor(a: int, b: int, expected: int) -> None:
    """`a % b` takes the sign of `b` (Python's `%`, not C's), and `a == b * floor(a / b) + a % b`."""
    result = evaluate(binop("%", VI, VJ), {"i": a, "j": b})
    assert result == expected
    assert isinstance(result, int)
    assert a == b * math.floor(Fraction(a, b)) + expected


@pytest.mark.parametrize("a", [7, -7, 0, INT_MAX, INT_MIN])
def test_modulo_by_zero_is_the_dividend(a: int) -> None:
    """`a % 0` is `a`, never an error."""
    assert evaluate(binop("%", VI, VJ), {"i": a, "j": 0}) == a
    assert evaluate(binop("%", lit(a), lit(0)), {}) == a


@pytest.mark.parametrize(
    ("left", "right"),
    [(dec("5.5"), dec("0")), (dec("-2"), dec("0.000")), (7, dec("0")), (dec("1.25"), 0)],
)
def test_division_by_zero_is_zero(left: int | Decimal, right: int | Decimal) -> None:
    """`a / 0` is the decimal 0, whichever operand is the int."""
    result = evaluate(binop("/", lit(left), lit(right)), {})
    assert result == 0
    assert isinstance(result, Decimal)


def test_division_is_exact_while_an_expression_is_evaluated() -> None:
    """`1 / 3 * 3 == 1` holds: intermediate decimals are exact rationals, not rounded."""
    third = binop("/", lit(1), lit(dec("3")))
    assert holds(binop("==", binop("*", third, lit(3)), lit(1)), {})
    assert holds(
        binop("==", binop("/", VD, lit(3)), binop("/", binop("*", VD, lit(2)), lit(dec("6")))), {"d": 1}
    )


def test_int_division_by_a_decimal_promotes_the_int() -> None:
    """`7 / 2.0` is 3.5 (the int is promoted, no integer division)."""
    assert evaluate(binop("/", VI, lit(dec("2.0"))), {"i": 7}) == dec("3.5")
    assert evaluate(binop("/", VD, VI), {"d": dec("1"), "i": 4}) == dec("0.25")


def test_unary_minus_and_not() -> None:
    """`-x` negates ints and decimals, `not` negates bools."""
    assert evaluate(ir.Unary("-", VI, "int"), {"i": 3}) == -3
    assert evaluate(ir.Unary("-", VD, "decimal"), {"d": dec("-1.5")}) == dec("1.5")
    assert evaluate(ir.Unary("not", VB, "bool"), {"b": True}) is False


def test_results_have_the_python_type_of_their_ir_type() -> None:
    """An int expression evaluates to an `int`, a decimal one to a `Decimal`, a guard to a `bool`."""
    context: dict[str, ir.Value] = {"i": 3, "d": dec("0.5")}
    assert type(evaluate(binop("*", VI, lit(2)), context)) is int
    assert type(evaluate(binop("+", VI, VD), context)) is Decimal
    assert type(evaluate(binop("<", VI, VD), context)) is bool
    assert evaluate(binop("/", lit(dec("1")), lit(3)), {}) == dec("0.333333333333333333")


# --------------------------------------------------------------------------- comparisons and membership


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (binop("==", VI, lit(dec("2.0"))), True),
        (binop("==", lit(dec("2.00")), VI), True),
        (binop("!=", VI, lit(dec("2.5"))), True),
        (binop("<", VI, lit(dec("2.5"))), True),
        (binop(">=", VI, lit(dec("2.000000000000000001"))), False),
        (binop("==", VD, VI), True),
        (binop("<=", VD, lit(2)), True),
        (binop(">", VD, lit(1)), True),
    ],
)
def test_ints_promote_to_decimals_in_comparisons(expr: ir.Expr, expected: bool) -> None:
    """An int compared with a decimal is compared as the equal decimal (i = 2, d = 2.00)."""
    assert holds(expr, {"i": 2, "d": dec("2.00")}) is expected


def test_ints_promote_to_decimals_in_membership() -> None:
    """`in` sets mix ints and decimals: 2 is in { 1.5, 2.0 } and 2.00 is in { 2 }."""
    assert holds(ir.In(VI, (lit(dec("1.5")), lit(dec("2.0")))), {"i": 2})
    assert not holds(ir.In(VI, (lit(dec("1.5")), lit(dec("2.5")))), {"i": 2})
    assert holds(ir.In(VD, (lit(2), lit(7))), {"d": dec("2.00")})
    assert holds(ir.In(VD, (lit(1), lit(dec("0.5")))), {"d": dec("0.50")})
    assert holds(ir.In(VI, (lit(dec("2")),), negated=True), {"i": 3})


@pytest.mark.parametrize(
    ("left", "right", "context", "equal"),
    [
        (VS, lit("x"), {"s": "x"}, True),
        (VS, lit("x"), {"s": "X"}, False),
        (VS, lit(""), {"s": ""}, True),
        (TIER, member("hi"), {"tier": "lo"}, False),
        (TIER, member("lo"), {"tier": "lo"}, True),
        (VB, lit(False), {"b": True}, False),
        (VB, lit(True), {"b": True}, True),
        (VI, VJ, {"i": 1, "j": 1}, True),
        (VD, VE, {"d": dec("1.0"), "e": dec("1")}, True),
        (VD, VE, {"d": dec("1.0"), "e": dec("1.000000000000000001")}, False),
    ],
)
def test_not_equal_is_the_negation_of_equal(
    left: ir.Expr, right: ir.Expr, context: dict[str, ir.Value], equal: bool
) -> None:
    """`a != b` is `not (a == b)` for strings, enum members, bools and numbers."""
    assert holds(binop("==", left, right), context) is equal
    assert holds(binop("!=", left, right), context) is not equal


@pytest.mark.parametrize(
    ("operand", "values", "context", "inside"),
    [
        (TIER, (member("lo"), member("mid")), {"tier": "mid"}, True),
        (TIER, (member("lo"), member("mid")), {"tier": "hi"}, False),
        (VS, (lit("a"), lit("")), {"s": ""}, True),
        (VS, (lit("a"), lit("")), {"s": "b"}, False),
        (VB, (lit(True),), {"b": False}, False),
        (VI, (lit(0), lit(1), lit(2)), {"i": 2}, True),
    ],
)
def test_in_and_not_in(
    operand: ir.Expr, values: tuple[ir.Lit, ...], context: dict[str, ir.Value], inside: bool
) -> None:
    """`x in {..}` is `x == v1 or ..`; `not in` is its negation."""
    assert holds(ir.In(operand, values), context) is inside
    assert holds(ir.In(operand, values, negated=True), context) is not inside


def test_boolean_connectives() -> None:
    """`and` and `or` are the usual connectives over guards."""
    t, f = lit(True), lit(False)
    assert holds(binop("and", t, t), {}) and not holds(binop("and", t, f), {})
    assert holds(binop("or", f, t), {}) and not holds(binop("or", f, f), {})


# --------------------------------------------------------------------------- set actions and rounding


def quantized(value: Fraction) -> Decimal:
    """The half-to-even rounding of a fraction to 18 digits, computed with Python's `decimal` module."""
    with localcontext() as context:
        context.prec = 200
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return exact.quantize(Decimal(1).scaleb(-SCALE), rounding=ROUND_HALF_EVEN)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (binop("/", lit(1), lit(dec("3"))), "0.333333333333333333"),
        (binop("/", lit(2), lit(dec("3"))), "0.666666666666666667"),
        (binop("/", lit(-2), lit(dec("3"))), "-0.666666666666666667"),
        (binop("/", lit(dec("0.000000000000000001")), lit(2)), "0"),  # 0.5e-18: tie, 0 is even
        (binop("/", lit(dec("0.000000000000000003")), lit(2)), "0.000000000000000002"),  # 1.5e-18 -> 2e-18
        (binop("/", lit(dec("-0.000000000000000003")), lit(2)), "-0.000000000000000002"),
        (binop("/", lit(dec("-0.000000000000000001")), lit(2)), "0"),
        (lit(dec("0.0000000000000000025")), "0.000000000000000002"),  # a 19-digit literal, tie down
        (lit(dec("0.0000000000000000035")), "0.000000000000000004"),  # tie up to the even digit
        (lit(dec("0.0000000000000000026")), "0.000000000000000003"),  # not a tie
        (binop("*", VD, lit(dec("0.5"))), "0.000000000000000002"),  # d = 3e-18: 1.5e-18, a tie
    ],
)
def test_a_stored_decimal_is_rounded_half_to_even_to_18_digits(value: ir.Expr, stored: str) -> None:
    """`set d = ..` keeps 18 fractional digits, rounding half-to-even (1/3, ties at the 19th digit)."""
    context: dict[str, ir.Value] = {"d": dec("0.000000000000000003")}
    after = apply_sets([ir.Assign("d", value)], context, FIELDS)
    result = after["d"]
    assert isinstance(result, Decimal)
    assert result == dec(stored)
    assert result == quantized(Fraction(evaluate_exact(value, context)))
    assert value_in_domain(result, ir.FieldType("decimal"))


def evaluate_exact(expr: ir.Expr, context: dict[str, ir.Value]) -> Fraction:
    """The exact rational value of a decimal expression."""
    value = interpret(expr, VALUES, environment(context, FIELDS))
    assert isinstance(value, Fraction)
    return value


def test_a_stored_decimal_keeps_all_its_significant_digits() -> None:
    """A stored decimal keeps its 18 fractional digits however large it is (more than 28 digits in all)."""
    wide = dec("12345678901.000000000000000001")
    increment = ir.Assign("d", binop("+", VD, lit(dec("0.000000000000000001"))))
    assert apply_sets([increment], {"d": dec("12345678901")}, FIELDS)["d"] == wide
    assert apply_sets([ir.Assign("d", VD)], {"d": wide}, FIELDS)["d"] == wide
    assert evaluate(lit(wide), {}) == wide
    assert to_value(to_term(wide)) == wide


def test_set_actions_apply_in_order_each_reading_the_last() -> None:
    """The second `set` sees the value the first stored; `set i = j; set j = i` copies, it does not swap."""
    actions = [
        ir.Assign("i", binop("+", VI, lit(1))),
        ir.Assign("j", binop("*", VI, lit(10))),
    ]
    after = apply_sets(actions, {"i": 1, "j": 0}, FIELDS)
    assert (after["i"], after["j"]) == (2, 20)
    swap = [ir.Assign("i", VJ), ir.Assign("j", VI)]
    assert apply_sets(swap, {"i": 1, "j": 5}, FIELDS) == {"i": 5, "j": 5}


def test_set_actions_leave_other_fields_and_skip_other_actions() -> None:
    """Only `set` changes the context: calls and emits are ignored, unset fields keep their values."""
    context: dict[str, ir.Value] = {"i": 4, "b": False, "s": "x", "tier": "lo"}
    actions: list[ir.Action] = [
        ir.Call("notify"),
        ir.Assign("b", lit(True)),
        ir.Emit("done"),
        ir.Assign("tier", member("hi")),
    ]
    after = apply_sets(actions, context, FIELDS)
    assert after == {"i": 4, "b": True, "s": "x", "tier": "hi"}


def test_an_int_stored_in_a_decimal_field_becomes_a_decimal() -> None:
    """`set d = i` stores the equal `Decimal`, and a rounded result reads back exactly as stored."""
    after = apply_sets([ir.Assign("d", VI), ir.Assign("e", binop("/", VD, lit(3)))], {"i": 7}, FIELDS)
    assert after["d"] == 7
    assert isinstance(after["d"], Decimal)
    assert after["e"] == dec("2.333333333333333333")


def test_a_rounded_decimal_is_what_later_sets_read() -> None:
    """A later `set` reads the rounded value, not the exact one: (1/3 stored) * 3 is 0.999999999999999999."""
    actions = [ir.Assign("d", binop("/", lit(1), lit(dec("3")))), ir.Assign("e", binop("*", VD, lit(3)))]
    after = apply_sets(actions, {}, FIELDS)
    assert after["e"] == dec("0.999999999999999999")


# --------------------------------------------------------------------------- domains


@pytest.mark.parametrize(
    ("value", "field", "inside"),
    [
        (0, ir.FieldType("int", 0, 5), True),
        (5, ir.FieldType("int", 0, 5), True),
        (-1, ir.FieldType("int", 0, 5), False),
        (6, ir.FieldType("int", 0, 5), False),
        (INT_MAX, ir.FieldType("int"), True),
        (INT_MIN, ir.FieldType("int"), True),
        (INT_MAX + 1, ir.FieldType("int"), False),
        (INT_MIN - 1, ir.FieldType("int"), False),
        (INT_MAX + 1, ir.FieldType("int", min=0), False),  # an open side is still 64-bit
        (INT_MIN - 1, ir.FieldType("int", max=0), False),
        (-(10**6), ir.FieldType("int", max=0), True),
        (True, ir.FieldType("int"), False),  # a bool is no int, although True == 1
        (False, ir.FieldType("int", 0, 5), False),
        (dec("3"), ir.FieldType("int"), False),  # a Decimal is no int
        ("3", ir.FieldType("int"), False),
    ],
)
def test_int_domain(value: ir.Value, field: ir.FieldType, inside: bool) -> None:
    """Ints: inclusive bounds, the 64-bit range on an undeclared side, and no bools or decimals."""
    assert value_in_domain(value, field) is inside


@pytest.mark.parametrize(
    ("value", "field", "inside"),
    [
        (dec("0.000000000000000001"), ir.FieldType("decimal"), True),  # 18 digits
        (dec("0.0000000000000000001"), ir.FieldType("decimal"), False),  # 19 digits
        (dec("-1.0000000000000000005"), ir.FieldType("decimal"), False),
        (
            dec("1.5000000000000000000"),
            ir.FieldType("decimal"),
            True,
        ),  # trailing zeros: the value has 1 digit
        (dec("1E+40"), ir.FieldType("decimal"), True),  # decimals have no 64-bit limit
        (dec("12345678901.000000000000000001"), ir.FieldType("decimal"), True),
        (7, ir.FieldType("decimal"), True),  # an int promotes
        (True, ir.FieldType("decimal"), False),
        (dec("NaN"), ir.FieldType("decimal"), False),
        (dec("Infinity"), ir.FieldType("decimal"), False),
        ("1.5", ir.FieldType("decimal"), False),
        (dec("0.00"), ir.FieldType("decimal", dec("0.00"), dec("1.00")), True),
        (dec("1.00"), ir.FieldType("decimal", dec("0.00"), dec("1.00")), True),
        (1, ir.FieldType("decimal", dec("0.00"), dec("1.00")), True),
        (dec("1.000000000000000001"), ir.FieldType("decimal", dec("0.00"), dec("1.00")), False),
        (dec("-0.000000000000000001"), ir.FieldType("decimal", dec("0.00"), dec("1.00")), False),
        (dec("-5"), ir.FieldType("decimal", max=dec("-1.5")), True),
    ],
)
def test_decimal_domain(value: ir.Value, field: ir.FieldType, inside: bool) -> None:
    """Decimals: finite, at most 18 fractional digits, inclusive bounds; ints promote, bools do not."""
    assert value_in_domain(value, field) is inside


@pytest.mark.parametrize(
    ("value", "field", "inside"),
    [
        ("lo", ir.FieldType("enum", members=("lo", "hi")), True),
        ("hi", ir.FieldType("enum", members=("lo", "hi")), True),
        ("mid", ir.FieldType("enum", members=("lo", "hi")), False),
        ("LO", ir.FieldType("enum", members=("lo", "hi")), False),
        ("", ir.FieldType("enum", members=("lo", "hi")), False),
        (0, ir.FieldType("enum", members=("lo", "hi")), False),
        (True, ir.FieldType("bool"), True),
        (False, ir.FieldType("bool"), True),
        (1, ir.FieldType("bool"), False),
        ("true", ir.FieldType("bool"), False),
        ("", ir.FieldType("string"), True),
        ("any text ✓", ir.FieldType("string"), True),
        (5, ir.FieldType("string"), False),
        ("lone \ud800 surrogate", ir.FieldType("string"), False),
        ("\udfff", ir.FieldType("enum", members=("\udfff",)), False),
    ],
)
def test_enum_bool_and_string_domains(value: ir.Value, field: ir.FieldType, inside: bool) -> None:
    """Enums hold their members only, bools only `True`/`False`, strings any text UTF-8 can hold."""
    assert value_in_domain(value, field) is inside
