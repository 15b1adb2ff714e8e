"""Guards, invariants and `set` actions walked once: closures over the language's own primitives.

`interpret` is run once per expression over `Staging`, an algebra whose terms
are functions of an evaluation environment and whose every primitive calls
`values.VALUES`' own, so a staged expression computes exactly what
`values.holds` / `values.apply_sets` compute, without walking the IR per step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import cast

from statewright import ir
from statewright.semantics.interpret import assign, fields_of, interpret
from statewright.semantics.values import (
    VALUES,
    Term,
    holds,
    to_term,
    to_value,
)

Staged = Callable[[Mapping[str, Term]], Term]
"""An expression walked once: a function of an evaluation environment (`values.environment`)."""
Sets = Callable[[Mapping[str, ir.Value]], dict[str, ir.Value]]
MEMO_MAX = 4096
"""Value combinations a remembered test keeps before it starts over."""


class Staging:
    """An algebra whose terms are functions of an environment, each primitive `VALUES`' own.

    `interpret` over it walks an expression once and returns a function that
    computes, on any environment, exactly what `interpret` over `VALUES` would:
    every primitive is delegated to `VALUES` when the function runs (both
    branches of an `ite` are staged, only the chosen one runs).
    """

    def int_lit(self, value: int) -> Staged:
        """A constant."""
        term = VALUES.int_lit(value)
        return lambda env: term

    def decimal_lit(self, value: Fraction) -> Staged:
        """A constant."""
        term = VALUES.decimal_lit(value)
        return lambda env: term

    def bool_lit(self, value: bool) -> Staged:
        """A constant."""
        term = VALUES.bool_lit(value)
        return lambda env: term

    def string_lit(self, value: str) -> Staged:
        """A constant."""
        term = VALUES.string_lit(value)
        return lambda env: term

    def enum_lit(self, member: str) -> Staged:
        """A constant."""
        term = VALUES.enum_lit(member)
        return lambda env: term

    def share(self, term: Staged, body: Callable[[Staged], Staged]) -> Staged:
        """`body` staged over `term`, which each evaluation computes once (kept in the environment)."""
        key = f"\x00share{id(term)}"  # never a field name; unique while the staged tree lives
        inner = body(lambda env: env[key])
        return lambda env: inner({**env, key: term(env)})

    def add(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.add` of both."""
        op = VALUES.add
        return lambda env: op(left(env), right(env))

    def sub(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.sub` of both."""
        op = VALUES.sub
        return lambda env: op(left(env), right(env))

    def mul(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.mul` of both."""
        op = VALUES.mul
        return lambda env: op(left(env), right(env))

    def neg(self, operand: Staged) -> Staged:
        """`VALUES.neg`."""
        op = VALUES.neg
        return lambda env: op(operand(env))

    def divide(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.divide` of both."""
        op = VALUES.divide
        return lambda env: op(left(env), right(env))

    def floor(self, operand: Staged) -> Staged:
        """`VALUES.floor`."""
        op = VALUES.floor
        return lambda env: op(operand(env))

    def to_decimal(self, operand: Staged) -> Staged:
        """`VALUES.to_decimal`."""
        op = VALUES.to_decimal
        return lambda env: op(operand(env))

    def eq(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.eq` of both."""
        op = VALUES.eq
        return lambda env: op(left(env), right(env))

    def lt(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.lt` of both."""
        op = VALUES.lt
        return lambda env: op(left(env), right(env))

    def not_(self, operand: Staged) -> Staged:
        """`VALUES.not_`."""
        op = VALUES.not_
        return lambda env: op(operand(env))

    def and_(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.and_` of both (both evaluated, as `interpret` does)."""
        op = VALUES.and_
        return lambda env: op(left(env), right(env))

    def or_(self, left: Staged, right: Staged) -> Staged:
        """`VALUES.or_` of both (both evaluated, as `interpret` does)."""
        op = VALUES.or_
        return lambda env: op(left(env), right(env))

    def ite(self, condition: Staged, then: Callable[[], Staged], otherwise: Callable[[], Staged]) -> Staged:
        """`VALUES.ite`: both branches staged now, the one the condition picks run."""
        yes, no = then(), otherwise()
        op = VALUES.ite
        return lambda env: op(condition(env), lambda: yes(env), lambda: no(env))


STAGING = Staging()


def staged_test(expr: ir.Expr) -> Callable[[Mapping[str, ir.Value]], bool]:
    """`values.holds` for one guard or invariant, walked once.

    It reads the context directly: each field it names is turned into a term
    (`values.to_term`, as `values.environment` turns every field) when read, so a
    test converts the few fields it reads, not the whole context, each time it runs.
    """
    names = tuple(sorted(fields_of(expr)))
    staged = interpret(expr, STAGING, {name: _term_reader(name) for name in names})
    return remembered(lambda context: bool(staged(cast(Mapping[str, Term], context))), names)


def remembered(
    test: Callable[[Mapping[str, ir.Value]], bool], names: tuple[str, ...]
) -> Callable[[Mapping[str, ir.Value]], bool]:
    """`test`, remembering its verdict per combination of the values of `names`, the fields it reads.

    A staged test is a pure function of the fields it reads (staging succeeds only
    when a reader exists for every name the expression reads), so its verdict for
    the same values, of the same classes (`True == 1`, `Decimal(1) == 1`), is the
    same: a step checking an invariant on fields it did not change looks the
    verdict up instead of computing exact fractions again. At most `MEMO_MAX`
    combinations are kept; then the table starts over.
    """
    known: dict[tuple[object, ...], bool] = {}

    def run(context: Mapping[str, ir.Value]) -> bool:
        try:
            values = tuple([context[name] for name in names])
        except KeyError:  # a field missing: the test itself says what that means
            return test(context)
        key = (values, tuple([value.__class__ for value in values]))
        try:
            return known[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: not a stored value at all
            return test(context)
        verdict = test(context)
        if len(known) >= MEMO_MAX:
            known.clear()
        known[key] = verdict
        return verdict

    return run


def staged_sets(actions: tuple[ir.Action, ...], fields: tuple[ir.ContextField, ...]) -> Sets:
    """`values.apply_sets` for one list of actions, walked once."""
    types = {field_.name: field_.type for field_ in fields}
    type_names = {name: field_type.name for name, field_type in types.items()}
    variables = {name: _term_reader(name, type_name) for name, type_name in type_names.items()}
    for action in actions:  # inputs (`event.F`, ...) a `set` reads: read from the context too
        if isinstance(action, ir.Assign):
            for name in fields_of(action.value):
                if name not in variables:
                    variables[name] = _term_reader(name)
    after = assign(actions, STAGING, variables, types)
    changed = tuple((name, term) for name, term in after.items() if term is not variables.get(name))
    canonical: dict[Decimal, ir.Value] = {}

    def unchanged(value: ir.Value, type_name: ir.TypeName | None) -> ir.Value:
        """`to_value(to_term(value, type))`, as `values.apply_sets` returns a field no `set` changed."""
        kind = value.__class__
        if kind is str or kind is bool or (kind is int and type_name != "decimal"):
            return value  # `to_term` and `to_value` both leave it as it is
        if isinstance(value, Decimal) and kind is Decimal and value.is_finite():
            found = canonical.get(value)
            if found is None:
                found = to_value(to_term(value))
                if len(canonical) >= MEMO_MAX:
                    canonical.clear()
                canonical[value] = found
            return found
        return to_value(to_term(value, type_name))

    def run(context: Mapping[str, ir.Value]) -> dict[str, ir.Value]:
        # Each term reads the values before the actions (the readers convert them as
        # `values.environment` does, with the declared types); every other field comes
        # back as `values.apply_sets` gives it back: through a term and out again.
        env = cast(Mapping[str, Term], context)
        values = {name: to_value(term(env)) for name, term in changed}
        result = {
            name: values[name] if name in values else unchanged(value, type_names.get(name))
            for name, value in context.items()
        }
        for name, value in values.items():
            if name not in result:
                result[name] = value
        return result

    return run


def _term_reader(name: str, type_name: ir.TypeName | None = None) -> Staged:
    """Read a field's stored value as a term, as `values.environment` turns it (with its declared type)."""
    return lambda env: to_term(cast(ir.Value, env[name]), type_name)


def staged_or(expr: ir.Expr) -> Callable[[Mapping[str, ir.Value]], bool]:
    """The staged test of a guard or invariant, or `holds` itself if it does not stage."""
    try:
        return staged_test(expr)
    except Exception:
        return lambda context: holds(expr, context)
