"""The guard language's meaning as FEEL (Camunda 8 / Zeebe): an `Algebra` whose terms are FEEL expressions.

`interpret` over `FeelText` writes every construct from the language's one
definition, so nothing here decides what an operator means: `a / b` arrives as
`if b = 0 then 0 else a / b`, `a % b` as `if b = 0 then a else a - b *
floor(a / b)`, `x in {..}` as a disjunction of equalities, `a >= b` as the
negation of `a < b` (written `a >= b`). FEEL has one number type, so promoting
an int to a decimal is the identity. What is chosen here is only how each
primitive is spelled: `=` for equality, `not(x)` (a function in FEEL), the
binding strengths (an `if` is parenthesised wherever it is an operand), a
comparison with the field first, and decimal constants with the spec's digits.

A property test evaluates the text with a real FEEL interpreter on drawn
contexts and compares it with `semantics.values`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from statewright import ir
from statewright.semantics.algebra import binding_name
from statewright.semantics.interpret import interpret
from statewright.semantics.spelling import decimal_spellings, field_types, written

# FEEL's binding strengths, loosest first (`if` is a textual expression, the loosest of all).
_IF, _OR, _AND, _COMPARE, _SUM, _PRODUCT, _UNARY, _ATOM = range(8)


@dataclass(frozen=True, slots=True)
class Feel:
    """A FEEL expression with its binding strength; comparisons keep their parts for `not`."""

    text: str
    strength: int
    compare: tuple[str, Feel, Feel] | None = None
    constant: bool = False
    chain: tuple[str, tuple[Feel, ...]] | None = None
    """For `a or b or ...` (or `and`): the operator and each operand as written."""
    rank: int | None = None
    """Where the term's first field occurs in the written expression (None: no field)."""

    def at(self, strength: int) -> str:
        """The text, parenthesised when it binds looser than `strength` needs."""
        return self.text if self.strength >= strength else f"({self.text})"


def feel_string(text: str) -> str:
    """A FEEL string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


_NEGATED = {"<": ">=", ">": "<=", "=": "!=", "<=": ">", ">=": "<", "!=": "="}
_TRUE, _FALSE = "true", "false"


def _binary(left: Feel, op: str, right: Feel, strength: int) -> Feel:
    # Left-associative: the right operand must bind tighter.
    text = f"{left.at(strength)} {op} {right.at(strength + 1)}"
    return Feel(text, strength, constant=left.constant and right.constant, rank=_first(left, right))


def _compare(left: Feel, op: str, right: Feel) -> Feel:
    return Feel(
        f"{left.at(_SUM)} {op} {right.at(_SUM)}", _COMPARE, (op, left, right), rank=_first(left, right)
    )


def _first(*terms: Feel) -> int | None:
    ranks = [term.rank for term in terms if term.rank is not None]
    return min(ranks) if ranks else None


def _swapped(left: Feel, right: Feel) -> bool:
    """True when `right` reads better first: a constant goes right, and the field written first left."""
    if left.constant != right.constant:
        return left.constant
    return left.rank is not None and right.rank is not None and right.rank < left.rank


def _connective(left: Feel, op: str, right: Feel) -> Feel:
    """`and`/`or` flattened into one chain; an `and` inside an `or` is parenthesised for the reader."""
    strength = _OR if op == "or" else _AND
    parts: list[Feel] = []
    for operand in (left, right):
        if operand.chain is not None and operand.chain[0] == op:
            parts.extend(operand.chain[1])
        else:
            parts.append(operand)
    text = f" {op} ".join(part.at(_COMPARE) for part in parts)
    return Feel(text, strength, chain=(op, tuple(parts)))


def _number(value: Fraction, spellings: Mapping[Fraction, Decimal]) -> Feel:
    exact = written(value, spellings)
    if exact is None:  # no finite decimal expansion: the quotient, exactly as FEEL divides
        return _binary(
            _number(Fraction(value.numerator), {}), "/", _number(Fraction(value.denominator), {}), _PRODUCT
        )
    text = format(exact, "f") if isinstance(exact, Decimal) else str(exact)
    return Feel(text, _UNARY if text.startswith("-") else _ATOM, constant=True)


@dataclass(frozen=True)
class FeelText:
    """The guard language's primitives as FEEL; `spellings` keeps the spec's decimal digits."""

    spellings: Mapping[Fraction, Decimal] = field(default_factory=dict)

    def int_lit(self, value: int) -> Feel:
        """An int literal."""
        return _number(Fraction(value), {})

    def decimal_lit(self, value: Fraction) -> Feel:
        """A decimal literal (FEEL numbers are decimals)."""
        return _number(value, self.spellings)

    def bool_lit(self, value: bool) -> Feel:
        """`true` or `false`."""
        return Feel(_TRUE if value else _FALSE, _ATOM, constant=True)

    def string_lit(self, value: str) -> Feel:
        """A string literal."""
        return Feel(feel_string(value), _ATOM, constant=True)

    def enum_lit(self, member: str) -> Feel:
        """An enum member is its name, as a string."""
        return Feel(feel_string(member), _ATOM, constant=True)

    def add(self, left: Feel, right: Feel) -> Feel:
        """Sum."""
        return _binary(left, "+", right, _SUM)

    def sub(self, left: Feel, right: Feel) -> Feel:
        """Difference."""
        return _binary(left, "-", right, _SUM)

    def mul(self, left: Feel, right: Feel) -> Feel:
        """Product."""
        return _binary(left, "*", right, _PRODUCT)

    def neg(self, operand: Feel) -> Feel:
        """Negation, with no space after the sign (feelin reads `- 1` as no number) and never `--`."""
        inner = f"({operand.text})" if operand.text.startswith("-") else operand.at(_UNARY)
        return Feel(f"-{inner}", _UNARY, constant=operand.constant, rank=operand.rank)

    def divide(self, left: Feel, right: Feel) -> Feel:
        """Quotient (never by zero: `interpret` guards it)."""
        return _binary(left, "/", right, _PRODUCT)

    def floor(self, operand: Feel) -> Feel:
        """FEEL's `floor`."""
        return Feel(f"floor({operand.text})", _ATOM, constant=operand.constant, rank=operand.rank)

    def to_decimal(self, operand: Feel) -> Feel:
        """FEEL has one number type: an int already is a decimal."""
        return operand

    def eq(self, left: Feel, right: Feel) -> Feel:
        """`=`; against a bool constant, the operand itself (or its negation)."""
        for operand, other in ((left, right), (right, left)):
            if other.text in (_TRUE, _FALSE) and operand.text not in (_TRUE, _FALSE):
                return operand if other.text == _TRUE else self.not_(operand)
        if _swapped(left, right):
            left, right = right, left
        return _compare(left, "=", right)

    def lt(self, left: Feel, right: Feel) -> Feel:
        """Strict order, written with the field first (`x > 3` rather than `3 < x`)."""
        if _swapped(left, right):
            return _compare(right, ">", left)
        return _compare(left, "<", right)

    def not_(self, operand: Feel) -> Feel:
        """`not(x)`; a negated comparison becomes the opposite comparison."""
        if operand.compare is not None:
            op, left, right = operand.compare
            return _compare(left, _NEGATED[op], right)
        return Feel(f"not({operand.text})", _ATOM)

    def and_(self, left: Feel, right: Feel) -> Feel:
        """Conjunction."""
        return _connective(left, "and", right)

    def or_(self, left: Feel, right: Feel) -> Feel:
        """Disjunction."""
        return _connective(left, "or", right)

    def share(self, term: Feel, body: Callable[[Feel], Feel]) -> Feel:
        """`body` over `term` computed once: `{_swN: TERM, _swR: BODY}._swR` when BODY uses it twice.

        A FEEL context entry may read the entries before it, so this is FEEL's `let`.
        An atom, or a term BODY uses once, is written in place as before.
        """
        if term.strength == _ATOM and len(term.text) <= 40:
            return body(term)
        name = binding_name(term.text)
        result = body(Feel(name, _ATOM, constant=term.constant, rank=term.rank))
        if result.text.count(name) <= 1:
            text = result.text.replace(name, term.at(_ATOM))
            return Feel(text, result.strength, constant=result.constant, rank=result.rank)
        value = binding_name(result.text)
        text = f"{{{name}: {term.text}, {value}: {result.text}}}.{value}"
        return Feel(text, _ATOM, constant=result.constant, rank=_first(term, result))

    def ite(self, condition: Feel, then: Callable[[], Feel], otherwise: Callable[[], Feel]) -> Feel:
        """`if c then a else b` (FEEL evaluates only the branch taken)."""
        return Feel(f"if {condition.at(_OR)} then {then().at(_OR)} else {otherwise().text}", _IF)


def translate(expr: ir.Expr) -> tuple[FeelText, Feel]:
    """`expr` as FEEL over the process variables named like the fields, and the algebra that wrote it."""
    algebra = FeelText(decimal_spellings(expr))
    env = {name: Feel(name, _ATOM, rank=rank) for rank, name in enumerate(field_types(expr))}
    return algebra, interpret(expr, algebra, env)


def feel(expr: ir.Expr) -> str:
    """A typed guard-language expression as FEEL text."""
    return translate(expr)[1].text
