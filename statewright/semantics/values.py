"""The guard evaluator: the language's meaning (`interpret.py`) over plain Python values.

The runtime evaluates guards and applies `set` actions with these functions,
and the verifier checks every witness it reports with them, so a finding's
example is always one the running workflow would really see.

Context values are stored as the IR's `Value` (an `int`, a finite `Decimal`, a
`bool`, or a `str` for strings and enum members); while an expression is
evaluated, decimals are exact `Fraction`s.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TypeAlias

from statewright import ir
from statewright.semantics.interpret import SCALE, assign, has_scale, in_domain, interpret, round_decimal

Term: TypeAlias = int | Fraction | bool | str
"""A value while an expression is evaluated (decimals are exact fractions)."""


class ValueAlgebra:
    """The primitives over Python values; `ite` runs only the branch it takes."""

    def int_lit(self, value: int) -> Term:
        """An int is itself."""
        return value

    def decimal_lit(self, value: Fraction) -> Term:
        """A decimal is an exact fraction."""
        return value

    def bool_lit(self, value: bool) -> Term:
        """A bool is itself."""
        return value

    def string_lit(self, value: str) -> Term:
        """A string is itself."""
        return value

    def enum_lit(self, member: str) -> Term:
        """An enum member is its name."""
        return member

    def add(self, left: Term, right: Term) -> Term:
        """Exact sum."""
        return _number(left) + _number(right)

    def sub(self, left: Term, right: Term) -> Term:
        """Exact difference."""
        return _number(left) - _number(right)

    def mul(self, left: Term, right: Term) -> Term:
        """Exact product."""
        return _number(left) * _number(right)

    def neg(self, operand: Term) -> Term:
        """Negation."""
        return -_number(operand)

    def divide(self, left: Term, right: Term) -> Term:
        """Exact quotient of two decimals."""
        return Fraction(_number(left)) / Fraction(_number(right))

    def floor(self, operand: Term) -> Term:
        """Floor of a decimal."""
        return math.floor(_number(operand))

    def to_decimal(self, operand: Term) -> Term:
        """An int as an exact fraction."""
        return Fraction(_number(operand))

    def eq(self, left: Term, right: Term) -> Term:
        """Equality."""
        return left == right

    def lt(self, left: Term, right: Term) -> Term:
        """Strict order."""
        return _number(left) < _number(right)

    def not_(self, operand: Term) -> Term:
        """Negation."""
        return not operand

    def and_(self, left: Term, right: Term) -> Term:
        """Conjunction."""
        return bool(left) and bool(right)

    def or_(self, left: Term, right: Term) -> Term:
        """Disjunction."""
        return bool(left) or bool(right)

    def ite(self, condition: Term, then: Callable[[], Term], otherwise: Callable[[], Term]) -> Term:
        """Run only the branch that `condition` selects."""
        return then() if condition else otherwise()


VALUES = ValueAlgebra()


def _number(term: Term) -> int | Fraction:
    if isinstance(term, str):
        raise TypeError(f"{term!r} is not a number")
    return term


# --------------------------------------------------------------------------- conversions


def to_term(value: ir.Value, type_name: ir.TypeName | None = None) -> Term:
    """Convert a stored value to an evaluation term (decimals become exact fractions)."""
    if isinstance(value, Decimal):
        return Fraction(value)
    if type_name == "decimal" and isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    return value


def to_value(term: Term) -> ir.Value:
    """Convert an evaluation term back to a stored value; fractions become `Decimal`s.

    A fraction with no finite decimal expansion is rounded half-to-even to `SCALE`
    digits, as `set` would store it.
    """
    if isinstance(term, Fraction):
        exact, digits = term, decimal_places(term)
        if digits is None:
            rounded = round_decimal(exact, VALUES)
            assert isinstance(rounded, Fraction)
            exact, digits = rounded, decimal_places(rounded)
            assert digits is not None
        return _decimal(exact, digits)
    return term


def decimal_places(value: Fraction) -> int | None:
    """The fewest digits after the point that write `value` exactly, or None when no finite number does.

    For a denominator 2^a 5^b (in lowest terms) that is max(a, b), counted from
    the denominator at once; any other prime factor means no finite expansion.
    """
    rest, twos, fives = value.denominator, 0, 0
    while rest % 2 == 0:
        rest //= 2
        twos += 1
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    return max(twos, fives) if rest == 1 else None


def _decimal(value: Fraction, digits: int) -> Decimal:
    """The `Decimal` exactly equal to a fraction written with `digits` places (`decimal_places`)."""
    scaled = value.numerator * (10**digits // value.denominator)
    sign = 1 if scaled < 0 else 0
    return Decimal((sign, tuple(int(d) for d in str(abs(scaled))), -digits))  # exact: no context rounding


def environment(context: Mapping[str, ir.Value], fields: Iterable[ir.ContextField] = ()) -> dict[str, Term]:
    """Turn a context into an evaluation environment, using declared types where given."""
    types = {field.name: field.type.name for field in fields}
    return {name: to_term(value, types.get(name)) for name, value in context.items()}


# --------------------------------------------------------------------------- the evaluator


def evaluate(expr: ir.Expr, context: Mapping[str, ir.Value]) -> ir.Value:
    """Evaluate a typed expression on a context (the guard evaluator the runtime uses).

    A decimal expression gives a `Decimal` even when the context holds plain ints.
    """
    term = interpret(expr, VALUES, environment(context))
    if expr.type == "decimal" and isinstance(term, int):
        term = Fraction(term)
    return to_value(term)


def holds(expr: ir.Expr, context: Mapping[str, ir.Value]) -> bool:
    """Evaluate a guard or invariant; True when it holds."""
    return bool(interpret(expr, VALUES, environment(context)))


def apply_sets(
    actions: Iterable[ir.Action], context: Mapping[str, ir.Value], fields: Iterable[ir.ContextField]
) -> dict[str, ir.Value]:
    """Return the context after the `set` actions among `actions`, applied in order."""
    declared = tuple(fields)
    types = {field.name: field.type for field in declared}
    after = assign(actions, VALUES, environment(context, declared), types)
    return {name: to_value(term) for name, term in after.items()}


def value_in_domain(value: ir.Value, field: ir.FieldType) -> bool:
    """True when a value belongs to a field's declared type: its kind, bounds, members and scale."""
    if not _right_kind(value, field.name):
        return False
    term = to_term(value, field.name)
    if not in_domain(term, field, VALUES):
        return False
    return field.name != "decimal" or bool(has_scale(term, VALUES))


def _right_kind(value: ir.Value, type_name: ir.TypeName) -> bool:
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "decimal":
        if isinstance(value, Decimal):
            return value.is_finite()
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str) and _is_text(value)


def _is_text(value: str) -> bool:
    """Unicode text that UTF-8 can hold: no lone surrogates (which no store or audit stamp can encode)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


__all__ = [
    "SCALE",
    "VALUES",
    "Term",
    "ValueAlgebra",
    "apply_sets",
    "environment",
    "evaluate",
    "holds",
    "to_term",
    "to_value",
    "value_in_domain",
]
