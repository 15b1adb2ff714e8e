"""The guard language's meaning as Python source: an `Algebra` whose terms are Python expressions.

Running `interpret` over `PythonText` yields code that computes exactly what
the runtime's evaluator computes (ints exact, decimals as `Fraction`, `a / 0`
is 0, floor `%`, int -> decimal promotion), because it is the same
interpretation over other primitives. Two consumers share it:

- the `python` target's generated module, whose guards read typed locals and
  may call the runtime's helpers (`quotient`, `math.floor`);
- the generic BPMN flavor, whose conditions SpiffWorkflow evaluates over task
  data with only `Fraction` and `Decimal` in scope (`helpers=False`: the total
  division is written as a conditional expression and `floor` as `// 1`).

What differs between them is passed in, never copied: how a field is read
(the `env` given to `interpret`), how a string literal is quoted (`string`),
whether the helpers exist, and how the spec spelled its decimals (`spellings`).
The algebra only chooses a readable form for each primitive (a comparison with
the field first, `not (a < b)` as `a >= b`, `x == True` as `x`); property tests
compile the text and compare it with `semantics.values`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from statewright.semantics.algebra import binding_name
from statewright.semantics.values import decimal_places

# Python's binding strengths, loosest first.
TERNARY, OR, AND, NOT, COMPARE, SUM, PRODUCT, UNARY, ATOM = range(9)


@dataclass(frozen=True, slots=True)
class Code:
    """A Python expression with its binding strength; comparisons keep their parts for `not`."""

    text: str
    strength: int
    compare: tuple[str, Code, Code] | None = None
    constant: bool = False
    quotient: tuple[Code, Code] | None = None
    """For `a / b`: its operands, so the total division `0 if b == 0 else a / b` reads `quotient(a, b)`."""
    negated: Code | None = None
    """For `not (...)`: the parenthesised operand, so a long one can be split inside its parentheses."""
    chain: tuple[str, tuple[tuple[Code, bool], ...]] | None = None
    """For `a or b or ...` (or `and`): the operator and each operand, with whether it is parenthesised."""
    rank: int | None = None
    """Where the term's first field occurs in the written expression (None: unknown, or no field)."""

    def at(self, strength: int) -> str:
        """The text, parenthesised when it binds looser than `strength` needs."""
        return self.text if self.strength >= strength else f"({self.text})"


def atom(text: str, rank: int | None = None) -> Code:
    """A name or other atom (a field's local, a subscript) as a term for `interpret`'s `env`.

    `rank` is where the field first occurs in the written expression: a comparison
    of two such terms is then written in the spec's order (`a <= b`, not `b >= a`).
    """
    return Code(text, ATOM, rank=rank)


def _first(*terms: Code) -> int | None:
    ranks = [term.rank for term in terms if term.rank is not None]
    return min(ranks) if ranks else None


def _swapped(left: Code, right: Code) -> bool:
    """True when `right` reads better first: a constant goes right, and the field written first left."""
    if left.constant != right.constant:
        return left.constant
    return left.rank is not None and right.rank is not None and right.rank < left.rank


_NEGATED = {"<": ">=", ">": "<=", "==": "!=", "<=": ">", ">=": "<", "!=": "=="}


def _binary(left: Code, op: str, right: Code, strength: int) -> Code:
    # Left-associative: the right operand must bind tighter.
    both = left.constant and right.constant
    return Code(
        f"{left.at(strength)} {op} {right.at(strength + 1)}",
        strength,
        constant=both,
        rank=_first(left, right),
    )


def _connective(left: Code, op: str, right: Code) -> Code:
    """`and`/`or`, flattened into one chain; `and` inside `or` is parenthesised for the reader (RUF021).

    Flattening `a or (b or c)` into `a or b or c` keeps the evaluation order and
    the short circuit, so it means the same.
    """
    strength = OR if op == "or" else AND
    parts: list[tuple[Code, bool]] = []
    for operand in (left, right):
        if operand.chain is not None and operand.chain[0] == op:
            parts.extend(operand.chain[1])
        else:
            parts.append((operand, operand.strength < NOT))
    text = f" {op} ".join(f"({code.text})" if wrapped else code.text for code, wrapped in parts)
    return Code(text, strength, chain=(op, tuple(parts)))


def _compare(left: Code, op: str, right: Code) -> Code:
    return Code(f"{left.at(SUM)} {op} {right.at(SUM)}", COMPARE, (op, left, right), rank=_first(left, right))


def _fraction(value: Fraction, spelled: Decimal | None) -> str:
    """A `Fraction` constructor call, as a decimal string where the value has one."""
    if spelled is not None and spelled == value:
        return f'Fraction("{spelled}")'
    if value.denominator == 1:
        return f"Fraction({value.numerator})"
    digits = decimal_places(value)
    if digits is None:
        return f"Fraction({value.numerator}, {value.denominator})"
    scaled = value * 10**digits
    assert scaled.denominator == 1
    sign = "-" if scaled < 0 else ""
    whole = str(abs(scaled.numerator)).rjust(digits + 1, "0")
    return f'Fraction("{sign}{whole[:-digits]}.{whole[-digits:]}")'


@dataclass(frozen=True)
class PythonText:
    """The guard language's primitives as Python source.

    `string` quotes a string literal; `helpers` says whether `quotient` and
    `math` are in scope (the generated module) or only `Fraction` is (task data
    in SpiffWorkflow); `spellings` maps a decimal literal's value to the digits
    the spec wrote (see `semantics.spelling`).
    """

    string: Callable[[str], str]
    helpers: bool = True
    spellings: Mapping[Fraction, Decimal] = field(default_factory=dict)

    def int_lit(self, value: int) -> Code:
        """An int literal."""
        return Code(repr(value), ATOM if value >= 0 else UNARY, constant=True)

    def decimal_lit(self, value: Fraction) -> Code:
        """An exact decimal."""
        return Code(_fraction(value, self.spellings.get(value)), ATOM, constant=True)

    def bool_lit(self, value: bool) -> Code:
        """True or False."""
        return Code(repr(value), ATOM, constant=True)

    def string_lit(self, value: str) -> Code:
        """A string literal (read back exactly)."""
        return Code(self.string(value), ATOM, constant=True)

    def enum_lit(self, member: str) -> Code:
        """An enum member is its name."""
        return Code(self.string(member), ATOM, constant=True)

    def add(self, left: Code, right: Code) -> Code:
        """Exact sum."""
        return _binary(left, "+", right, SUM)

    def sub(self, left: Code, right: Code) -> Code:
        """Exact difference."""
        return _binary(left, "-", right, SUM)

    def mul(self, left: Code, right: Code) -> Code:
        """Exact product."""
        return _binary(left, "*", right, PRODUCT)

    def neg(self, operand: Code) -> Code:
        """Negation."""
        return Code(f"-{operand.at(UNARY)}", UNARY, constant=operand.constant, rank=operand.rank)

    def divide(self, left: Code, right: Code) -> Code:
        """Exact quotient of two fractions (never by zero: `interpret` guards it)."""
        code = _binary(left, "/", right, PRODUCT)
        return Code(code.text, code.strength, constant=code.constant, quotient=(left, right), rank=code.rank)

    def floor(self, operand: Code) -> Code:
        """The greatest int not above (`x // 1` is that int for a `Fraction` when `math` is not in scope)."""
        if self.helpers:
            return Code(f"math.floor({operand.text})", ATOM, constant=operand.constant, rank=operand.rank)
        return Code(f"{operand.at(PRODUCT)} // 1", PRODUCT, constant=operand.constant, rank=operand.rank)

    def to_decimal(self, operand: Code) -> Code:
        """An int as an exact fraction."""
        return Code(f"Fraction({operand.text})", ATOM, constant=operand.constant, rank=operand.rank)

    def eq(self, left: Code, right: Code) -> Code:
        """Equality; against a bool constant, the operand itself (or its negation)."""
        for operand, other in ((left, right), (right, left)):
            if other.text in ("True", "False") and operand.text not in ("True", "False"):
                return operand if other.text == "True" else self.not_(operand)
        if _swapped(left, right):
            left, right = right, left
        return _compare(left, "==", right)

    def lt(self, left: Code, right: Code) -> Code:
        """Strict order, written with the field first (`x > 3` rather than `3 < x`)."""
        if _swapped(left, right):
            return _compare(right, ">", left)
        return _compare(left, "<", right)

    def not_(self, operand: Code) -> Code:
        """Negation; a negated comparison becomes the opposite comparison (`not b < a` is `a <= b`)."""
        if operand.compare is not None:
            op, left, right = operand.compare
            return _compare(left, _NEGATED[op], right)
        negated = operand if operand.strength < NOT else None
        return Code(f"not {operand.at(NOT)}", NOT, negated=negated)

    def and_(self, left: Code, right: Code) -> Code:
        """Conjunction (short-circuits like the evaluator's)."""
        return _connective(left, "and", right)

    def or_(self, left: Code, right: Code) -> Code:
        """Disjunction."""
        return _connective(left, "or", right)

    def share(self, term: Code, body: Callable[[Code], Code]) -> Code:
        """`body` over `term` computed once: `(lambda _swN: BODY)(TERM)` when BODY uses it twice.

        An atom (a field, a constant) is simply repeated, and so is a term BODY uses
        once (its text put back in place), so plain guards read as before.
        """
        if term.strength == ATOM and len(term.text) <= 40:
            return body(term)
        name = binding_name(term.text)
        result = body(Code(name, ATOM, constant=term.constant, rank=term.rank))
        if result.text.count(name) <= 1:
            text = result.text.replace(name, term.at(ATOM))
            return Code(text, result.strength, constant=result.constant, rank=result.rank)
        text = f"(lambda {name}: {result.text})({term.text})"
        return Code(text, ATOM, constant=result.constant, rank=_first(term, result))

    def ite(self, condition: Code, then: Callable[[], Code], otherwise: Callable[[], Code]) -> Code:
        """A conditional expression: only the branch taken is evaluated, as in the evaluator.

        With the helpers, `interpret`'s total division `0 if b == 0 else a / b` is
        written `quotient(a, b)` (`runtime.compiled.quotient` computes exactly that).
        """
        first, second = then(), otherwise()
        if (
            self.helpers
            and first.text == self.decimal_lit(Fraction(0)).text
            and second.quotient is not None
            and condition.compare == ("==", second.quotient[1], first)
        ):
            a, b = second.quotient
            return Code(
                f"quotient({a.text}, {b.text})", ATOM, constant=a.constant and b.constant, rank=_first(a, b)
            )
        return Code(
            f"{first.at(OR)} if {condition.at(OR)} else {second.at(TERNARY)}",
            TERNARY,
        )
