"""How a typed expression was written, for the algebras that turn it into text.

`interpret` hands an algebra a decimal literal as an exact `Fraction`, which is
all its meaning needs; but a reader of generated text expects `10000.00` where
the spec said `10000.00`, not `10000`. Text algebras keep a map from value to
spelling (`decimal_spellings`) and write a constant the way the spec did when
it has one (`written`). `field_types` gives the fields an expression reads with
their types, in the order they first occur, for building an algebra's `env`.
None of this changes what an expression means.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from statewright import ir


def field_types(expr: ir.Expr) -> dict[str, ir.TypeName]:
    """The fields `expr` reads and their types, in order of first occurrence (left to right)."""
    found: dict[str, ir.TypeName] = {}
    pending: list[ir.Expr] = [expr]
    while pending:
        node = pending.pop()
        match node:
            case ir.Var(name=name, type=type_name):
                found.setdefault(name, type_name)
            case ir.Unary(operand=operand) | ir.In(operand=operand):
                pending.append(operand)
            case ir.BinOp(left=left, right=right):
                pending += (right, left)
    return found


def decimal_spellings(expr: ir.Expr) -> dict[Fraction, Decimal]:
    """Each decimal literal's value in `expr` mapped to its digits as written (the first spelling wins)."""
    found: dict[Fraction, Decimal] = {}
    pending: list[ir.Expr] = [expr]
    while pending:
        node = pending.pop()
        match node:
            case ir.Lit(value=Decimal() as value):
                found.setdefault(Fraction(value), value)
            case ir.Unary(operand=operand):
                pending.append(operand)
            case ir.In(operand=operand, values=values):
                pending += (*reversed(values), operand)
            case ir.BinOp(left=left, right=right):
                pending += (right, left)
    return found


def written(value: Fraction, spellings: Mapping[Fraction, Decimal] | None = None) -> int | Decimal | None:
    """`value` as an exact number to write.

    The spec's spelling of it (or of its negation) when `spellings` has one, else
    an int or the exact `Decimal`; None when it has no finite decimal expansion
    (such as 1/3).
    """
    known = spellings or {}
    if value in known:
        return known[value]
    if -value in known:
        return -known[-value]
    if value.denominator == 1:
        return value.numerator
    rest, twos, fives = value.denominator, 0, 0
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return None
    digits = max(twos, fives)
    scaled = value.numerator * 10**digits // value.denominator
    return Decimal((0 if scaled >= 0 else 1, tuple(int(d) for d in str(abs(scaled))), -digits))
