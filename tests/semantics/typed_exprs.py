"""Hypothesis strategies for random *well-typed* guard expressions over a given set of context fields.

Unlike `tests/ir_strategies.py` (random shapes, random types), every expression drawn
here is one the type checker accepts (LANGUAGE.md §12): arithmetic on numbers with
int-to-decimal promotion, `/` with at least one decimal operand, `%` on ints only,
`==`/`!=` on two values of one type, `in` sets whose literals match the operand.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, TypeAlias

from hypothesis import strategies as st

from statewright import ir

Kind: TypeAlias = Literal["int", "decimal", "bool"]
Strategy: TypeAlias = st.SearchStrategy[ir.Expr]

INT_LITERALS = st.integers(-4, 4)
DECIMAL_LITERALS = st.sampled_from(
    [Decimal(text) for text in ("0", "0.0", "0.5", "-0.5", "1.25", "-2.5", "0.1", "3", "0.3333")]
)
STRING_LITERALS: tuple[str, ...] = ("", "a", "b", "other")


@dataclass(frozen=True)
class Scope:
    """The context fields an expression may read, by type; enums carry their members."""

    ints: tuple[str, ...] = ()
    decimals: tuple[str, ...] = ()
    bools: tuple[str, ...] = ()
    enums: tuple[tuple[str, tuple[str, ...]], ...] = ()
    strings: tuple[str, ...] = ()


def ops(*names: ir.BinaryOp) -> st.SearchStrategy[ir.BinaryOp]:
    """One of the given operators (repeat one to draw it more often)."""
    return st.sampled_from(names)


def binops(
    operators: st.SearchStrategy[ir.BinaryOp],
    operands: st.SearchStrategy[tuple[ir.Expr, ir.Expr]],
    result: ir.TypeName,
) -> Strategy:
    """`left op right` of type `result`."""
    return st.builds(lambda op, pair: ir.BinOp(op, pair[0], pair[1], result), operators, operands)


def int_lits() -> Strategy:
    """Int literals."""
    return INT_LITERALS.map(lambda v: ir.Lit(v, "int"))


def decimal_lits() -> Strategy:
    """Decimal literals."""
    return DECIMAL_LITERALS.map(lambda v: ir.Lit(v, "decimal"))


def _numeric_pair(scope: Scope, depth: int, decimal: bool) -> st.SearchStrategy[tuple[ir.Expr, ir.Expr]]:
    """Two numeric operands; with `decimal`, at least one of them is a decimal."""
    kinds: list[tuple[Kind, Kind]] = [("decimal", "decimal"), ("decimal", "int"), ("int", "decimal")]
    if not decimal:
        kinds.append(("int", "int"))
    return st.sampled_from(kinds).flatmap(
        lambda pair: st.tuples(typed(scope, pair[0], depth), typed(scope, pair[1], depth))
    )


@functools.cache
def typed(scope: Scope, kind: Kind, depth: int = 2) -> Strategy:
    """Expressions of type `kind` over `scope`, nested at most `depth` operators deep."""
    below = depth - 1
    if kind == "int":
        leaves = [int_lits(), *(st.just(ir.Var(name, "int")) for name in scope.ints)]
        if depth <= 0:
            return st.one_of(leaves)
        child = typed(scope, "int", below)
        return st.one_of(
            *leaves,
            child.map(lambda e: ir.Unary("-", e, "int")),
            binops(ops("+", "-", "*", "%", "%"), st.tuples(child, child), "int"),
        )
    if kind == "decimal":
        leaves = [decimal_lits(), *(st.just(ir.Var(name, "decimal")) for name in scope.decimals)]
        if depth <= 0:
            return st.one_of(leaves)
        return st.one_of(
            *leaves,
            typed(scope, "decimal", below).map(lambda e: ir.Unary("-", e, "decimal")),
            binops(ops("+", "-", "*", "/", "/"), _numeric_pair(scope, below, True), "decimal"),
        )
    return _bools(scope, depth)


def _bools(scope: Scope, depth: int) -> Strategy:
    leaves: list[Strategy] = [
        st.booleans().map(lambda v: ir.Lit(v, "bool")),
        *(st.just(ir.Var(name, "bool")) for name in scope.bools),
        *_equalities(scope),
    ]
    if depth <= 0:
        return st.one_of(leaves)
    below = depth - 1
    child = typed(scope, "bool", below)
    comparisons = binops(ops("==", "!=", "<", "<=", ">", ">="), _numeric_pair(scope, below, False), "bool")
    return st.one_of(
        *leaves,
        comparisons,
        comparisons,
        child.map(lambda e: ir.Unary("not", e, "bool")),
        binops(ops("and", "or"), st.tuples(child, child), "bool"),
        binops(ops("==", "!="), st.tuples(child, child), "bool"),
        _memberships(scope, below),
    )


def _equalities(scope: Scope) -> list[Strategy]:
    """`==`/`!=` on enum and string fields, against a literal or a field of the same type."""
    found: list[Strategy] = []
    for name, members in scope.enums:
        field: Strategy = st.just(ir.Var(name, "enum"))
        other = st.sampled_from(members).map(lambda m: ir.Lit(m, "enum")) | field
        found.append(st.builds(_equality, ops("==", "!="), field, other, st.booleans()))
    if scope.strings:
        fields = st.sampled_from(scope.strings).map(lambda n: ir.Var(n, "string"))
        strings = st.sampled_from(STRING_LITERALS).map(lambda s: ir.Lit(s, "string")) | fields
        found.append(st.builds(_equality, ops("==", "!="), fields, strings, st.booleans()))
    return found


def _equality(op: ir.BinaryOp, field: ir.Expr, other: ir.Expr, field_first: bool) -> ir.Expr:
    """`field op other`, or `other op field`."""
    left, right = (field, other) if field_first else (other, field)
    return ir.BinOp(op, left, right, "bool")


def _memberships(scope: Scope, depth: int) -> Strategy:
    """`x in {..}` and `x not in {..}` for numbers (ints and decimals mixed), enums, strings, bools."""
    numbers = st.lists(int_lits() | decimal_lits(), min_size=1, max_size=4)
    bools = st.lists(st.booleans().map(lambda v: ir.Lit(v, "bool")), min_size=1, max_size=2)
    cases: list[st.SearchStrategy[tuple[ir.Expr, list[ir.Expr]]]] = [
        st.tuples(typed(scope, "int", depth) | typed(scope, "decimal", depth), numbers),
        st.tuples(typed(scope, "bool", depth), bools),
    ]
    for name, members in scope.enums:
        values = st.lists(st.sampled_from(members).map(lambda m: ir.Lit(m, "enum")), min_size=1, max_size=3)
        cases.append(st.tuples(st.just(ir.Var(name, "enum")), values))
    for name in scope.strings:
        texts = st.sampled_from(STRING_LITERALS).map(lambda s: ir.Lit(s, "string"))
        cases.append(st.tuples(st.just(ir.Var(name, "string")), st.lists(texts, min_size=1, max_size=3)))
    return st.builds(_membership, st.one_of(cases), st.booleans())


def _membership(case: tuple[ir.Expr, list[ir.Expr]], negated: bool) -> ir.Expr:
    operand, values = case
    lits = tuple(v for v in values if isinstance(v, ir.Lit))
    return ir.In(operand, lits, negated)
