"""The meaning of the guard language, written once over any `Algebra`.

This module is the single definition of what a typed IR expression means: the
runtime evaluates guards with it (over Python values), the verifier proves
properties with it (over z3 terms), and generators translate with it.  Nothing
else may define an operator's meaning.

The language is total, so evaluating a guard never fails:

- ints are exact integers; a stored int must lie in its declared bounds, or in
  the signed 64-bit range when it declares none (`INT_MIN`..`INT_MAX`);
- decimals are exact rationals while an expression is evaluated; a stored
  decimal has at most `SCALE` fractional digits, and a `set` whose exact result
  has more is rounded half-to-even to `SCALE` digits;
- an int meeting a decimal is promoted to the equal decimal;
- `a / 0` is `0` and `a % 0` is `a` (the verifier warns where a divisor can be
  zero, SW408); otherwise `%` is floor modulo, so `a == b * q + a % b` with
  `q = floor(a / b)` and the result takes the sign of `b`;
- `a != b` is `not (a == b)`, `a > b` is `b < a`, `a <= b` is `not (b < a)`;
- `x in { v1, .. }` is `x == v1 or ..`, and `not in` its negation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar, cast

from statewright import ir
from statewright.semantics.algebra import Algebra, Sharing

T = TypeVar("T")

SCALE = 18
"""Fractional digits a stored decimal keeps."""
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
"""The range of an int field that declares no bounds of its own."""

_UNIT = Fraction(10**SCALE)
_HALF = Fraction(1, 2)
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})


def interpret(expr: ir.Expr, algebra: Algebra[T], env: Mapping[str, T]) -> T:
    """Return the meaning of a typed expression over `algebra`; `env` maps each field to its term."""
    match expr:
        case ir.Lit():
            return literal(expr, algebra)
        case ir.Var(name=name):
            return env[name]
        case ir.Unary(op="not", operand=operand):
            return algebra.not_(interpret(operand, algebra, env))
        case ir.Unary(operand=operand):
            return algebra.neg(interpret(operand, algebra, env))
        case ir.BinOp(op="and", left=left, right=right):
            return algebra.and_(interpret(left, algebra, env), interpret(right, algebra, env))
        case ir.BinOp(op="or", left=left, right=right):
            return algebra.or_(interpret(left, algebra, env), interpret(right, algebra, env))
        case ir.BinOp(op=op, left=left, right=right) if op in _COMPARISONS:
            a, b = _operands(left, right, algebra, env)
            return _compare(op, a, b, algebra)
        case ir.BinOp(op=op, left=left, right=right):
            a, b = _operands(left, right, algebra, env)
            return _arithmetic(op, a, b, expr.type, algebra)
        case ir.In(operand=operand, values=values, negated=negated):
            return _membership(operand, values, negated, algebra, env)
    raise AssertionError(f"unknown expression {expr!r}")  # pragma: no cover


def literal(lit: ir.Lit, algebra: Algebra[T]) -> T:
    """Return the term of a literal."""
    value = lit.value
    match lit.type:
        case "bool":
            return algebra.bool_lit(bool(value))
        case "int":
            assert isinstance(value, int) and not isinstance(value, bool)
            return algebra.int_lit(value)
        case "decimal":
            assert isinstance(value, Decimal | int) and not isinstance(value, bool)
            return algebra.decimal_lit(Fraction(value))
        case "string":
            return algebra.string_lit(str(value))
    return algebra.enum_lit(str(value))


def _operands(left: ir.Expr, right: ir.Expr, algebra: Algebra[T], env: Mapping[str, T]) -> tuple[T, T]:
    """Both operands' terms, the int one promoted when an int meets a decimal."""
    a = interpret(left, algebra, env)
    b = interpret(right, algebra, env)
    if left.type == "int" and right.type == "decimal":
        a = algebra.to_decimal(a)
    elif left.type == "decimal" and right.type == "int":
        b = algebra.to_decimal(b)
    return a, b


def _compare(op: str, a: T, b: T, algebra: Algebra[T]) -> T:
    match op:
        case "==":
            return algebra.eq(a, b)
        case "!=":
            return algebra.not_(algebra.eq(a, b))
        case "<":
            return algebra.lt(a, b)
        case ">":
            return algebra.lt(b, a)
        case "<=":
            return algebra.not_(algebra.lt(b, a))
    return algebra.not_(algebra.lt(a, b))


def _arithmetic(op: str, a: T, b: T, kind: ir.TypeName, algebra: Algebra[T]) -> T:
    match op:
        case "+":
            return algebra.add(a, b)
        case "-":
            return algebra.sub(a, b)
        case "*":
            return algebra.mul(a, b)
        case "/":
            return divide(a, b, algebra)
    return modulo(a, b, algebra)


def share(term: T, body: Callable[[T], T], algebra: Algebra[T]) -> T:
    """`body(term)`, with `term` computed once where the algebra can say so (see `Sharing`).

    Every construct that uses an operand more than once goes through here, so the
    size of a translated expression, and the work of evaluating it, stay linear in
    the expression's size however deeply divisions nest.
    """
    if isinstance(algebra, Sharing):
        return cast(T, algebra.share(term, body))
    return body(term)


def divide(a: T, b: T, algebra: Algebra[T]) -> T:
    """Decimal division, total: `a / 0` is 0."""
    zero = algebra.decimal_lit(Fraction(0))

    def total(b: T) -> T:
        return algebra.ite(algebra.eq(b, zero), lambda: zero, lambda: algebra.divide(a, b))

    return share(b, total, algebra)


def modulo(a: T, b: T, algebra: Algebra[T]) -> T:
    """Floor modulo of two ints, total: `a % 0` is `a`."""

    def total(a: T, b: T) -> T:
        def floor_modulo() -> T:
            quotient = algebra.floor(algebra.divide(algebra.to_decimal(a), algebra.to_decimal(b)))
            return algebra.sub(a, algebra.mul(b, quotient))

        return algebra.ite(algebra.eq(b, algebra.int_lit(0)), lambda: a, floor_modulo)

    return share(a, lambda a: share(b, lambda b: total(a, b), algebra), algebra)


def _membership(
    operand: ir.Expr, values: tuple[ir.Lit, ...], negated: bool, algebra: Algebra[T], env: Mapping[str, T]
) -> T:
    term = interpret(operand, algebra, env)
    decimal = operand.type == "decimal" or any(v.type == "decimal" for v in values)
    if decimal and operand.type == "int":
        term = algebra.to_decimal(term)
    found: T | None = None
    for value in values:
        member = literal(value, algebra)
        if decimal and value.type == "int":
            member = algebra.to_decimal(member)
        test = algebra.eq(term, member)
        found = test if found is None else algebra.or_(found, test)
    result = found if found is not None else algebra.bool_lit(False)
    return algebra.not_(result) if negated else result


# --------------------------------------------------------------------------- storing values


def store(value: T, value_type: ir.TypeName, field: ir.FieldType, algebra: Algebra[T], exact: bool) -> T:
    """Return the term a field holds after `set field = value`.

    An int stored in a decimal field is promoted; a decimal is rounded to `SCALE`
    digits unless `exact` says it cannot have more (see `fits_scale`).
    """
    if field.name == "decimal" and value_type == "int":
        return algebra.to_decimal(value)
    if field.name == "decimal" and not exact:
        return round_decimal(value, algebra)
    return value


def round_decimal(value: T, algebra: Algebra[T]) -> T:
    """Round a decimal half-to-even to `SCALE` fractional digits."""
    return share(
        algebra.mul(value, algebra.decimal_lit(_UNIT)), lambda scaled: _rounded(scaled, algebra), algebra
    )


def _rounded(scaled: T, algebra: Algebra[T]) -> T:
    """`round_decimal` of the value whose scaled form (times 10^SCALE) is `scaled`."""
    unit = algebra.decimal_lit(_UNIT)
    half = algebra.decimal_lit(_HALF)

    def choose(low: T) -> T:
        rest = algebra.sub(scaled, algebra.to_decimal(low))
        up = algebra.add(low, algebra.int_lit(1))
        low_is_even = algebra.eq(modulo(low, algebra.int_lit(2), algebra), algebra.int_lit(0))
        return share(
            rest,
            lambda rest: algebra.ite(
                algebra.lt(half, rest),
                lambda: up,
                lambda: algebra.ite(
                    algebra.lt(rest, half),
                    lambda: low,
                    lambda: algebra.ite(low_is_even, lambda: low, lambda: up),
                ),
            ),
            algebra,
        )

    chosen = share(algebra.floor(scaled), choose, algebra)
    return algebra.divide(algebra.to_decimal(chosen), unit)


def fits_scale(expr: ir.Expr) -> bool:
    """True when `expr`'s exact value never has more than `SCALE` fractional digits.

    Then rounding it is the identity, and `store` may skip the rounding terms.
    """
    digits = _scale(expr)
    return digits is not None and digits <= SCALE


def _scale(expr: ir.Expr) -> int | None:
    """An upper bound on the fractional digits of `expr`'s value, None when there is none."""
    match expr:
        case ir.Lit(value=Decimal() as value):
            exponent = value.as_tuple().exponent
            return max(0, -exponent) if isinstance(exponent, int) else None
        case ir.Var(type="decimal"):
            return SCALE
        case ir.Unary(operand=operand):
            return _scale(operand)
        case ir.BinOp(op="/"):
            return None
        case ir.BinOp(op="+" | "-", left=left, right=right):
            a, b = _scale(left), _scale(right)
            return None if a is None or b is None else max(a, b)
        case ir.BinOp(op="*", left=left, right=right):
            a, b = _scale(left), _scale(right)
            return None if a is None or b is None else a + b
    return 0


def assign(
    actions: Iterable[ir.Action],
    algebra: Algebra[T],
    env: Mapping[str, T],
    fields: Mapping[str, ir.FieldType],
) -> dict[str, T]:
    """Apply the `set` actions in order, each reading the values the earlier ones stored."""
    current = dict(env)
    for action in actions:
        if isinstance(action, ir.Assign):
            term = interpret(action.value, algebra, current)
            field = fields[action.field]
            current[action.field] = store(term, action.value.type, field, algebra, fits_scale(action.value))
    return current


# --------------------------------------------------------------------------- domains


def in_domain(term: T, field: ir.FieldType, algebra: Algebra[T]) -> T:
    """The condition for `term` to be a value of `field`'s declared type (bounds, members).

    An int side without a declared bound is bounded by the 64-bit range.
    """
    match field.name:
        case "int":
            low = INT_MIN if field.min is None else field.min
            high = INT_MAX if field.max is None else field.max
            return in_bounds(term, "int", low, high, algebra)
        case "decimal":
            return in_bounds(term, "decimal", field.min, field.max, algebra)
        case "enum":
            found = algebra.bool_lit(False)
            for member in field.members:
                found = algebra.or_(found, algebra.eq(term, algebra.enum_lit(member)))
            return found
    return algebra.bool_lit(True)


def in_bounds(
    term: T, kind: ir.TypeName, low: int | Decimal | None, high: int | Decimal | None, algebra: Algebra[T]
) -> T:
    """The condition `low <= term <= high` for a number of kind int or decimal (a None side is open)."""

    def constant(bound: int | Decimal) -> T:
        return algebra.int_lit(int(bound)) if kind == "int" else algebra.decimal_lit(Fraction(bound))

    result = algebra.bool_lit(True)
    if low is not None:
        result = algebra.and_(result, algebra.not_(algebra.lt(term, constant(low))))
    if high is not None:
        result = algebra.and_(result, algebra.not_(algebra.lt(constant(high), term)))
    return result


def has_scale(term: T, algebra: Algebra[T], digits: int = SCALE) -> T:
    """The condition for a decimal to have at most `digits` (by default `SCALE`) fractional digits."""
    scaled = algebra.mul(term, algebra.decimal_lit(Fraction(10**digits)))
    return algebra.eq(algebra.to_decimal(algebra.floor(scaled)), scaled)


def fields_of(expr: ir.Expr) -> frozenset[str]:
    """The context fields an expression reads."""
    match expr:
        case ir.Var(name=name):
            return frozenset((name,))
        case ir.Unary(operand=operand) | ir.In(operand=operand):
            return fields_of(operand)
        case ir.BinOp(left=left, right=right):
            return fields_of(left) | fields_of(right)
    return frozenset()
