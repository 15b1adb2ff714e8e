"""The guard language over z3 terms: the primitives, the variables and the declared domain.

`Z3Algebra` supplies `semantics.algebra.Algebra`'s primitives as z3 terms, so the
z3 meaning of an expression comes from the same `semantics.interpret` the
runtime evaluates with. The sorts:

- int: z3 Int; decimal: z3 Real (exact rationals); bool: z3 Bool;
- enum members and strings: z3 Int codes. Both are only ever compared for
  equality, so giving each distinct name its own code is exact; a string
  field may hold a code no literal has, which stands for "some other string".

A transition's inputs (`event.F`, `result.F`, `error.name`, `error.message`,
see `semantics.inputs`) are free constants too, one per input name and type,
constrained by their declared domain only in the queries about a transition
that reads them (`input_domain`), exactly as the context's fields are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction

import z3

from statewright import ir
from statewright.compiler.smt.answers import Inputs, Term
from statewright.semantics.interpret import SCALE, has_scale, in_domain, interpret

__all__ = ["Encoding", "Inputs", "Interner", "Term", "Z3Algebra"]


class Interner:
    """Stable int codes for names, in order of first use."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.names: list[str] = []

    def code(self, name: str) -> int:
        """Return the code of `name`, giving it the next one on first use."""
        known = self.codes.get(name)
        if known is None:
            known = len(self.names)
            self.codes[name] = known
            self.names.append(name)
        return known

    def name(self, code: int) -> str | None:
        """Return the name with this code, or None when no name has it."""
        return self.names[code] if 0 <= code < len(self.names) else None


class Z3Algebra:
    """The semantic primitives as z3 terms in one z3 context."""

    def __init__(self, context: z3.Context) -> None:
        self.context = context
        self.strings = Interner()
        self.members = Interner()

    def int_lit(self, value: int) -> Term:
        """An Int constant."""
        return z3.IntVal(value, self.context)

    def decimal_lit(self, value: Fraction) -> Term:
        """An exact Real constant."""
        return z3.RealVal(f"{value.numerator}/{value.denominator}", self.context)

    def bool_lit(self, value: bool) -> Term:
        """A Bool constant."""
        return z3.BoolVal(value, self.context)

    def string_lit(self, value: str) -> Term:
        """The code of a string."""
        return z3.IntVal(self.strings.code(value), self.context)

    def enum_lit(self, member: str) -> Term:
        """The code of an enum member."""
        return z3.IntVal(self.members.code(member), self.context)

    def add(self, left: Term, right: Term) -> Term:
        """Sum."""
        return left + right

    def sub(self, left: Term, right: Term) -> Term:
        """Difference."""
        return left - right

    def mul(self, left: Term, right: Term) -> Term:
        """Product."""
        return left * right

    def neg(self, operand: Term) -> Term:
        """Negation."""
        return -operand

    def divide(self, left: Term, right: Term) -> Term:
        """Real quotient."""
        return left / right

    def floor(self, operand: Term) -> Term:
        """Floor of a Real, as an Int."""
        return z3.ToInt(operand)

    def to_decimal(self, operand: Term) -> Term:
        """An Int as a Real."""
        return z3.ToReal(operand)

    def eq(self, left: Term, right: Term) -> Term:
        """Equality."""
        return left == right

    def lt(self, left: Term, right: Term) -> Term:
        """Strict order."""
        return left < right

    def not_(self, operand: Term) -> Term:
        """Negation."""
        return z3.Not(operand, self.context)

    def and_(self, left: Term, right: Term) -> Term:
        """Conjunction."""
        return z3.And(left, right)

    def or_(self, left: Term, right: Term) -> Term:
        """Disjunction."""
        return z3.Or(left, right)

    def ite(self, condition: Term, then: Callable[[], Term], otherwise: Callable[[], Term]) -> Term:
        """Both branches, chosen by the solver."""
        return z3.If(condition, then(), otherwise())


_SORTS: dict[ir.TypeName, Callable[[str, z3.Context], Term]] = {
    "int": z3.Int,
    "decimal": z3.Real,
    "bool": z3.Bool,
    "string": z3.Int,
    "enum": z3.Int,
}


class Encoding:
    """One machine's context as z3 variables, its declared domain and its invariants.

    `variables` holds one z3 constant per field; the values after `set` actions
    are terms over these (`semantics.interpret.assign`), never new variables.
    """

    def __init__(self, machine: ir.Machine) -> None:
        self.context = z3.Context()
        self.algebra = Z3Algebra(self.context)
        self.fields: dict[str, ir.ContextField] = {f.name: f for f in machine.context}
        self.types: dict[str, ir.FieldType] = {f.name: f.type for f in machine.context}
        self.variables: dict[str, Term] = {
            name: _SORTS[field.type.name](name, self.context) for name, field in self.fields.items()
        }
        self._terms: dict[tuple[ir.Expr, Inputs], Term] = {}
        self._inputs: dict[tuple[str, ir.FieldType], Term] = {}
        self._environments: dict[Inputs, dict[str, Term]] = {}
        self.invariants: tuple[tuple[ir.Invariant, Term], ...] = tuple(
            (invariant, self.term(invariant.expr)) for invariant in machine.invariants
        )

    def term(self, expr: ir.Expr, env: Mapping[str, Term] | None = None, inputs: Inputs = ()) -> Term:
        """The z3 term of an expression over `env`, or over the variables and `inputs` (memoised)."""
        if env is not None:
            return interpret(expr, self.algebra, env)
        key = (expr, inputs)
        known = self._terms.get(key)
        if known is None:
            known = interpret(expr, self.algebra, self.environment(inputs))
            self._terms[key] = known
        return known

    def input_variable(self, field: ir.ContextField) -> Term:
        """The z3 constant of one input (one per name and type, so two events' `amount`s never meet)."""
        key = (field.name, field.type)
        known = self._inputs.get(key)
        if known is None:
            known = _SORTS[field.type.name](f"{field.name}#{len(self._inputs)}", self.context)
            self._inputs[key] = known
        return known

    def environment(self, inputs: Inputs = ()) -> dict[str, Term]:
        """The context's variables and the constants of `inputs`, by name (what `interpret` reads)."""
        if not inputs:
            return self.variables
        known = self._environments.get(inputs)
        if known is None:
            known = {**self.variables, **{f.name: self.input_variable(f) for f in inputs}}
            self._environments[inputs] = known
        return known

    def input_domain(self, inputs: Inputs) -> list[Term]:
        """The declared-domain constraints of `inputs` (an enum input without members is left free)."""
        return [
            in_domain(self.input_variable(f), f.type, self.algebra)
            for f in inputs
            if f.type.name != "enum" or f.type.members
        ]

    def domain(self, names: Mapping[str, Term] | None = None) -> list[Term]:
        """The declared-domain constraints of every field (bounds, members) over `names`."""
        env = self.variables if names is None else names
        return [in_domain(env[name], field, self.algebra) for name, field in self.types.items()]

    def scale(self, names: set[str] | frozenset[str], digits: int = SCALE, inputs: Inputs = ()) -> list[Term]:
        """The constraints that the decimals (fields, inputs) in `names` have at most `digits` digits."""
        found = [
            has_scale(self.variables[name], self.algebra, digits)
            for name in sorted(names)
            if name in self.types and self.types[name].name == "decimal"
        ]
        found += [
            has_scale(self.input_variable(f), self.algebra, digits)
            for f in inputs
            if f.name in names and f.type.name == "decimal"
        ]
        return found

    def negated(self, term: Term) -> Term:
        """`not term` (what a claim's counterexample must satisfy)."""
        return z3.Not(term)

    def two_hold(self, terms: Sequence[Term]) -> Term:
        """At least two of `terms` hold (two or more terms)."""
        return z3.AtLeast(*terms, 2) if len(terms) > 2 else z3.And(*terms)

    def none_holds(self, terms: Sequence[Term]) -> Term:
        """None of `terms` holds (true when there are none)."""
        return z3.Not(z3.Or(*terms)) if terms else z3.BoolVal(True, self.context)
