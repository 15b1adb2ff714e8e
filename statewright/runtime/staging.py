"""Guards, invariants and `set` actions walked once: closures over the language's own primitives.

`interpret` is run once per expression over `Staging`, an algebra whose terms
are functions of an evaluation environment and whose every primitive calls
`values.VALUES`' own, so a staged expression computes exactly what
`values.holds` / `values.apply_sets` compute, without walking the IR per step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction

from statewright import ir
from statewright.semantics.interpret import assign, fields_of, interpret
from statewright.semantics.values import (
    VALUES,
    Term,
    environment,
    holds,
    to_value,
)

Staged = Callable[[Mapping[str, Term]], Term]
"""An expression walked once: a function of an evaluation environment (`values.environment`)."""
Sets = Callable[[Mapping[str, ir.Value]], dict[str, ir.Value]]


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
    """`values.holds` for one guard or invariant, walked once."""
    staged = interpret(expr, STAGING, _variables(fields_of(expr)))
    return lambda context: bool(staged(environment(context)))


def staged_sets(actions: tuple[ir.Action, ...], fields: tuple[ir.ContextField, ...]) -> Sets:
    """`values.apply_sets` for one list of actions, walked once."""
    types = {field_.name: field_.type for field_ in fields}
    variables = _variables(types)
    for action in actions:  # inputs (`event.F`, ...) a `set` reads: read from the environment too
        if isinstance(action, ir.Assign):
            for name in fields_of(action.value):
                if name not in variables:
                    variables[name] = _reader(name)
    after = assign(actions, STAGING, variables, types)
    changed = tuple((name, term) for name, term in after.items() if term is not variables.get(name))

    def run(context: Mapping[str, ir.Value]) -> dict[str, ir.Value]:
        env = environment(context, fields)
        values = {name: term(env) for name, term in changed}  # each from the values before the actions
        env.update(values)
        return {name: to_value(term) for name, term in env.items()}

    return run


def _variables(names: Iterable[str]) -> dict[str, Staged]:
    return {name: _reader(name) for name in names}


def _reader(name: str) -> Staged:
    return lambda env: env[name]


def staged_or(expr: ir.Expr) -> Callable[[Mapping[str, ir.Value]], bool]:
    """The staged test of a guard or invariant, or `holds` itself if it does not stage."""
    try:
        return staged_test(expr)
    except Exception:
        return lambda context: holds(expr, context)
