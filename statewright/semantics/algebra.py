"""The primitive operations in which the guard language's meaning is written down.

`interpret.py` defines every construct of the language (`!=`, `>=`, `in`, `%`,
division by zero, int-to-decimal promotion, decimal rounding, the declared
domain of a field) once, in terms of these primitives.  An algebra supplies the
primitives for one kind of term:

- `values.ValueAlgebra`: Python values, for the runtime's guard evaluator;
- `statewright.compiler.smt.encode.Z3Algebra`: z3 terms, for the proofs;
- later, source text for the code generators.

The primitives are deliberately the ones every domain agrees on: exact integer
and rational arithmetic, `floor`, `==`, `<`, the boolean connectives and a lazy
if-then-else.  Anything with a semantic choice in it (what `x % 0` is, how a
decimal is rounded when it is stored) lives in `interpret.py`, never here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from fractions import Fraction
from typing import Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


class Algebra(Protocol[T]):
    """Primitive operations over one kind of term `T`.

    Numbers are either ints or decimals (exact rationals); arithmetic is only
    ever applied to two operands of the same kind, `interpret.py` promotes ints
    first.  `divide` is only called with a divisor that is not zero.
    """

    def int_lit(self, value: int) -> T:
        """An integer constant."""
        ...

    def decimal_lit(self, value: Fraction) -> T:
        """An exact decimal (rational) constant."""
        ...

    def bool_lit(self, value: bool) -> T:
        """`true` or `false`."""
        ...

    def string_lit(self, value: str) -> T:
        """A string constant (strings are only ever compared for equality)."""
        ...

    def enum_lit(self, member: str) -> T:
        """An enum member (members are only ever compared for equality)."""
        ...

    def add(self, left: T, right: T) -> T:
        """Exact sum of two numbers of the same kind."""
        ...

    def sub(self, left: T, right: T) -> T:
        """Exact difference of two numbers of the same kind."""
        ...

    def mul(self, left: T, right: T) -> T:
        """Exact product of two numbers of the same kind."""
        ...

    def neg(self, operand: T) -> T:
        """Arithmetic negation."""
        ...

    def divide(self, left: T, right: T) -> T:
        """Exact quotient of two decimals; `right` is never zero."""
        ...

    def floor(self, operand: T) -> T:
        """The greatest int not above a decimal."""
        ...

    def to_decimal(self, operand: T) -> T:
        """The decimal equal to an int."""
        ...

    def eq(self, left: T, right: T) -> T:
        """Equality of two terms of the same type."""
        ...

    def lt(self, left: T, right: T) -> T:
        """Strict order of two numbers of the same kind."""
        ...

    def not_(self, operand: T) -> T:
        """Boolean negation."""
        ...

    def and_(self, left: T, right: T) -> T:
        """Boolean conjunction."""
        ...

    def or_(self, left: T, right: T) -> T:
        """Boolean disjunction."""
        ...

    def ite(self, condition: T, then: Callable[[], T], otherwise: Callable[[], T]) -> T:
        """`then()` where `condition` holds, else `otherwise()`; a value algebra calls only one."""
        ...


@runtime_checkable
class Sharing(Protocol[T]):
    """An algebra that can name a term once and use it several times (`let x = term in body`).

    `interpret` writes some constructs with an operand more than once (the total
    division tests its divisor, then divides by it; floor modulo uses both
    operands twice). Value algebras and z3 (whose terms are shared graphs) need
    nothing for that, but a text algebra would copy the operand's text each time,
    and nested divisions would double the text per level. An algebra with `share`
    binds the operand once (a Python lambda, a FEEL context entry, a staged value
    computed once); one without it gets `body(term)`.
    """

    def share(self, term: T, body: Callable[[T], T]) -> T:
        """`body` applied to a term standing for `term`, which is computed once."""
        ...


def binding_name(text: str) -> str:
    """The name a text algebra binds the term `text` to: derived from the text, so deterministic.

    Two bindings of equal text get the same name and the same value, so an inner one
    shadowing an outer one never changes a meaning; different texts get different names
    (a 48-bit digest). The leading `_sw` keeps it apart from field and helper names.
    """
    return "_sw" + hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()
