"""Guards as Python source, derived from the language's one definition (`semantics.interpret`).

`PythonAlgebra` is an `Algebra` whose terms are Python expressions: running
`interpret` over it yields code that computes exactly what the runtime's
evaluator computes (ints exact, decimals as `Fraction`, `/ 0` is 0, floor
`%`, int -> decimal promotion), because it is the same interpretation over
other primitives. A property test checks the compiled functions against the
evaluator on random expressions and contexts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from statewright.compiler import ir
from statewright.semantics.interpret import interpret
from statewright.targets.python.literals import string

# Python's binding strengths, loosest first.
_TERNARY, _OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _ATOM = range(9)


@dataclass(frozen=True, slots=True)
class Code:
    """A Python expression with its binding strength; comparisons keep their parts for `not`."""

    text: str
    strength: int
    compare: tuple[str, Code, Code] | None = None

    def at(self, strength: int) -> str:
        """The text, parenthesised when it binds looser than `strength` needs."""
        return self.text if self.strength >= strength else f"({self.text})"


_NEGATED = {"<": ">=", ">": "<=", "==": "!=", "<=": ">", ">=": "<", "!=": "=="}


def _binary(left: Code, op: str, right: Code, strength: int) -> Code:
    # Left-associative: the right operand must bind tighter; `and` inside `or` is
    # parenthesised for the reader (ruff's RUF021), though Python would not need it.
    if op == "or":
        first = left.at(_NOT) if left.strength == _AND else left.at(_OR)
        return Code(f"{first} or {right.at(_NOT)}", _OR)
    return Code(f"{left.at(strength)} {op} {right.at(strength + 1)}", strength)


def _constant(code: Code) -> bool:
    """A literal: a number, string, bool or `Fraction(...)` of digits."""
    text = code.text.lstrip("-")
    return (
        text[:1].isdigit()
        or text[:1] == '"'
        or text in ("True", "False")
        or (text.startswith("Fraction(") and "(" not in text[9:] and "c[" not in text)
    )


def _compare(left: Code, op: str, right: Code) -> Code:
    return Code(f"{left.at(_SUM)} {op} {right.at(_SUM)}", _COMPARE, (op, left, right))


def _fraction(value: Fraction) -> str:
    """A `Fraction` constructor call, as a decimal string where the value has one."""
    if value.denominator == 1:
        return f"Fraction({value.numerator})"
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return f"Fraction({value.numerator}, {value.denominator})"
    digits = max(twos, fives)
    scaled = value * 10**digits
    assert scaled.denominator == 1
    sign = "-" if scaled < 0 else ""
    whole = str(abs(scaled.numerator)).rjust(digits + 1, "0")
    return f'Fraction("{sign}{whole[:-digits]}.{whole[-digits:]}")'


class PythonAlgebra:
    """The guard language's primitives as Python source over `as_int`/`as_fraction` reads."""

    def int_lit(self, value: int) -> Code:
        """An int literal."""
        return Code(repr(value), _ATOM if value >= 0 else _UNARY)

    def decimal_lit(self, value: Fraction) -> Code:
        """An exact decimal."""
        return Code(_fraction(value), _ATOM)

    def bool_lit(self, value: bool) -> Code:
        """True or False."""
        return Code(repr(value), _ATOM)

    def string_lit(self, value: str) -> Code:
        """A string literal (read back exactly)."""
        return Code(string(value), _ATOM)

    def enum_lit(self, member: str) -> Code:
        """An enum member is its name."""
        return Code(string(member), _ATOM)

    def add(self, left: Code, right: Code) -> Code:
        """Exact sum."""
        return _binary(left, "+", right, _SUM)

    def sub(self, left: Code, right: Code) -> Code:
        """Exact difference."""
        return _binary(left, "-", right, _SUM)

    def mul(self, left: Code, right: Code) -> Code:
        """Exact product."""
        return _binary(left, "*", right, _PRODUCT)

    def neg(self, operand: Code) -> Code:
        """Negation."""
        return Code(f"-{operand.at(_UNARY)}", _UNARY)

    def divide(self, left: Code, right: Code) -> Code:
        """Exact quotient of two fractions (never by zero: `interpret` guards it)."""
        return _binary(left, "/", right, _PRODUCT)

    def floor(self, operand: Code) -> Code:
        """The greatest int not above."""
        return Code(f"math.floor({operand.text})", _ATOM)

    def to_decimal(self, operand: Code) -> Code:
        """An int as an exact fraction."""
        return Code(f"Fraction({operand.text})", _ATOM)

    def eq(self, left: Code, right: Code) -> Code:
        """Equality; against a bool constant, the operand itself (or its negation)."""
        for operand, other in ((left, right), (right, left)):
            if other.text in ("True", "False") and operand.text not in ("True", "False"):
                return operand if other.text == "True" else self.not_(operand)
        if left.strength == _ATOM and _constant(left) and not _constant(right):
            left, right = right, left
        return _compare(left, "==", right)

    def lt(self, left: Code, right: Code) -> Code:
        """Strict order, written with the field first (`x > 3` rather than `3 < x`)."""
        if _constant(left) and not _constant(right):
            return _compare(right, ">", left)
        return _compare(left, "<", right)

    def not_(self, operand: Code) -> Code:
        """Negation; a negated comparison becomes the opposite comparison (`not b < a` is `a <= b`)."""
        if operand.compare is not None:
            op, left, right = operand.compare
            return _compare(left, _NEGATED[op], right)
        return Code(f"not {operand.at(_NOT)}", _NOT)

    def and_(self, left: Code, right: Code) -> Code:
        """Conjunction (short-circuits like the evaluator's)."""
        return _binary(left, "and", right, _AND)

    def or_(self, left: Code, right: Code) -> Code:
        """Disjunction."""
        return _binary(left, "or", right, _OR)

    def ite(self, condition: Code, then: Callable[[], Code], otherwise: Callable[[], Code]) -> Code:
        """A conditional expression: only the branch taken is evaluated, as in the evaluator."""
        return Code(
            f"{then().at(_OR)} if {condition.at(_OR)} else {otherwise().at(_TERNARY)}",
            _TERNARY,
        )


_READERS = {
    "int": "as_int",
    "decimal": "as_fraction",
    "bool": "as_bool",
    "string": "as_str",
    "enum": "as_str",
}


def guard_source(expr: ir.Expr, fields: tuple[ir.ContextField, ...], context: str = "c") -> str:
    """The Python expression computing `expr` over the mapping named `context`."""
    env = {
        field.name: Code(f"{_READERS[field.type.name]}({context}[{string(field.name)}])", _ATOM)
        for field in fields
    }
    return interpret(expr, PythonAlgebra(), env).text


def reads(source: str) -> frozenset[str]:
    """The helpers and modules a guard's source uses (so the module imports only those)."""
    used = {name for name in set(_READERS.values()) if f"{name}(" in source}
    if "Fraction(" in source:
        used.add("Fraction")
    if "math.floor(" in source:
        used.add("math")
    return frozenset(used)
