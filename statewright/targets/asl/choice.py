"""Guards as Choice rules: the language's one definition (`semantics.interpret`) over an algebra of rules.

A Choice rule can only compare a path with a constant or with another path,
and join such comparisons with And/Or/Not; it cannot compute. So `ChoiceAlgebra`
is an algebra whose terms say what a sub-expression can be in a Choice state:

- `Field`: a context field, at its path (int and decimal alike: Step Functions
  numbers have one type, so promoting an int is the identity);
- `Constant`: a value known now; arithmetic on constants is computed here by
  the value algebra (`semantics.values`), so `x < 2 * 5` compares with 10;
- `Test`: a boolean that is a Choice rule;
- `Computed`: anything else, which only the evaluator Lambda can compute.

`interpret` decides everything with a meaning: `!=` is the negation of `==`,
`a >= b` the negation of `a < b` (written `NumericGreaterThanEquals`, as
numbers are totally ordered), `x in {..}` a disjunction of equalities,
`/` and `%` guarded against zero (so never a rule). The algebra only knows
which ASL operator tests `==` and `<` for each kind of value.

A full algebra cannot decide what to *offload*: the evaluator receives IR
expressions (it evaluates them with `semantics.values`), while a term built
from primitives no longer knows its expression. So `condition` interprets the
guard; where the result is no rule, it splits the guard at its connectives
(and/or/not, joined again by interpreting the connective over the parts'
rules) and hands each smallest boolean sub-expression that is no rule to
`offload`, which arranges for the evaluator to compute it before the Choice;
the rule then tests the boolean it stores. Nothing is ever dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, TypeAlias

from statewright import ir
from statewright.semantics.interpret import interpret
from statewright.semantics.spelling import decimal_spellings, field_types, written
from statewright.semantics.values import VALUES
from statewright.semantics.values import Term as Value

Rule = dict[str, Any]
Offload = Callable[[ir.Expr], str]
"""Takes an expression the rules cannot express; returns the JSONPath of its boolean result."""

Family: TypeAlias = Literal["Numeric", "String", "Boolean"]
_FAMILIES: dict[ir.TypeName, Family] = {
    "int": "Numeric",
    "decimal": "Numeric",
    "string": "String",
    "enum": "String",
    "bool": "Boolean",
}
_OPPOSITE = {
    "LessThan": "GreaterThanEquals",
    "GreaterThanEquals": "LessThan",
    "GreaterThan": "LessThanEquals",
    "LessThanEquals": "GreaterThan",
}
"""Order tests and their negations (numbers are totally ordered: `not a < b` is `a >= b`)."""


SIGNAL_DATA = "$.signal.data"
"""Where a checked event payload is in the state data (`event.F` is `$.signal.data.F`)."""
SIGNAL_RESULT = "$.signal.result"
"""Where finished work's checked result is in the state data (`result.F` is `$.signal.result.F`)."""
ERROR = "$.error"
"""Where a Catch puts the failure: `{"Error": name, "Cause": message}`."""
_ERROR_KEYS = {"name": "Error", "message": "Cause"}


def field_path(name: str) -> str:
    """The JSONPath of a context field, or of an input (`event.F`, `result.F`, `error.name|message`).

    A transition's inputs live beside the context: the callback answer's checked
    `data` (an event's payload) or `result` (finished work's), and the Catch's
    `$.error` (`Error` is the name, `Cause` the message), so a guard or a `set`
    reads an input exactly as it reads a field, at another path.
    """
    found = ir.input_of(name)
    if found is None:
        return f"$.context.{name}"
    scope, field_name = found
    if scope == "event":
        return f"{SIGNAL_DATA}.{field_name}"
    if scope == "result":
        return f"{SIGNAL_RESULT}.{field_name}"
    return f"{ERROR}.{_ERROR_KEYS[field_name]}"


@dataclass(frozen=True, slots=True)
class Field:
    """A value at a path in the state data; `rank` orders fields as the guard first mentions them."""

    path: str
    family: Family
    rank: int = 0


@dataclass(frozen=True, slots=True)
class Constant:
    """A value known when the definition is written."""

    value: Value
    family: Family


@dataclass(frozen=True, slots=True)
class Test:
    """A boolean a Choice rule decides."""

    rule: Rule


@dataclass(frozen=True, slots=True)
class Computed:
    """A value only the evaluator can compute."""


Term: TypeAlias = Field | Constant | Test | Computed
_COMPUTED = Computed()


def _number(term: Term) -> bool:
    return isinstance(term, Field | Constant) and term.family == "Numeric"


@dataclass(frozen=True)
class ChoiceAlgebra:
    """The primitives over what a Choice state can test; `spellings` keeps the spec's decimal digits."""

    spellings: Mapping[Fraction, Decimal] = field(default_factory=dict)

    def int_lit(self, value: int) -> Term:
        """A numeric constant."""
        return Constant(VALUES.int_lit(value), "Numeric")

    def decimal_lit(self, value: Fraction) -> Term:
        """A numeric constant."""
        return Constant(VALUES.decimal_lit(value), "Numeric")

    def bool_lit(self, value: bool) -> Term:
        """A boolean constant."""
        return Constant(VALUES.bool_lit(value), "Boolean")

    def string_lit(self, value: str) -> Term:
        """A string constant."""
        return Constant(VALUES.string_lit(value), "String")

    def enum_lit(self, member: str) -> Term:
        """An enum member: compared as its name, a string."""
        return Constant(VALUES.enum_lit(member), "String")

    def add(self, left: Term, right: Term) -> Term:
        """Computed now for constants, else by the evaluator."""
        return _fold(VALUES.add, left, right)

    def sub(self, left: Term, right: Term) -> Term:
        """Computed now for constants, else by the evaluator."""
        return _fold(VALUES.sub, left, right)

    def mul(self, left: Term, right: Term) -> Term:
        """Computed now for constants, else by the evaluator."""
        return _fold(VALUES.mul, left, right)

    def neg(self, operand: Term) -> Term:
        """Computed now for a constant, else by the evaluator."""
        return _fold(VALUES.neg, operand)

    def divide(self, left: Term, right: Term) -> Term:
        """Computed now for constants, else by the evaluator."""
        return _fold(VALUES.divide, left, right)

    def floor(self, operand: Term) -> Term:
        """Computed now for a constant, else by the evaluator."""
        return _fold(VALUES.floor, operand)

    def to_decimal(self, operand: Term) -> Term:
        """A Step Functions number is already a decimal: a field stays itself."""
        if isinstance(operand, Field):
            return operand
        return _fold(VALUES.to_decimal, operand)

    def eq(self, left: Term, right: Term) -> Term:
        """`...Equals` or `...EqualsPath`; a rule equal to a boolean constant is that rule or its negation."""
        if isinstance(left, Constant) and isinstance(right, Constant):
            return _fold(VALUES.eq, left, right)
        for rule, other in ((left, right), (right, left)):
            if isinstance(rule, Test) and isinstance(other, Constant) and other.family == "Boolean":
                return rule if other.value else self.not_(rule)
        return self._compare("Equals", left, right)

    def lt(self, left: Term, right: Term) -> Term:
        """`NumericLessThan` (or `NumericGreaterThan` with the operands swapped)."""
        if isinstance(left, Constant) and isinstance(right, Constant):
            return _fold(VALUES.lt, left, right)
        if not (_number(left) and _number(right)):
            return _COMPUTED
        return self._compare("LessThan", left, right)

    def _compare(self, test: str, left: Term, right: Term) -> Term:
        """`left test right` as a rule on the field (the first-mentioned one when both are), if it is one."""
        if isinstance(right, Field) and (
            isinstance(left, Constant) or (isinstance(left, Field) and right.rank < left.rank)
        ):
            left, right, test = right, left, _swap(test)
        if not isinstance(left, Field) or not isinstance(right, Field | Constant):
            return _COMPUTED
        if left.family != right.family:
            return _COMPUTED
        key = left.family + test
        if isinstance(right, Field):
            return Test({"Variable": left.path, key + "Path": right.path})
        constant = self._written(right)
        return _COMPUTED if constant is None else Test({"Variable": left.path, key: constant})

    def _written(self, constant: Constant) -> ir.Value | None:
        """The constant as the definition writes it: a number exactly (with the spec's digits), or as is."""
        value = constant.value
        if isinstance(value, Fraction):
            return written(value, self.spellings)
        return value

    def not_(self, operand: Term) -> Term:
        """`Not`, or the opposite order test; a constant is negated now."""
        if isinstance(operand, Constant):
            return _fold(VALUES.not_, operand)
        rule = truth(operand)
        if rule is None:
            return _COMPUTED
        if len(rule) == 2 and "Variable" in rule:
            ((key, value),) = [(k, v) for k, v in rule.items() if k != "Variable"]
            for test, opposite in _OPPOSITE.items():
                for path in ("", "Path"):
                    if key == f"Numeric{test}{path}":
                        return Test({"Variable": rule["Variable"], f"Numeric{opposite}{path}": value})
        return Test({"Not": rule})

    def and_(self, left: Term, right: Term) -> Term:
        """`And`, flattened."""
        return _join("And", left, right)

    def or_(self, left: Term, right: Term) -> Term:
        """`Or`, flattened."""
        return _join("Or", left, right)

    def ite(self, condition: Term, then: Callable[[], Term], otherwise: Callable[[], Term]) -> Term:
        """A branch known now is taken; a choice made at run time is the evaluator's."""
        if isinstance(condition, Constant):
            return then() if condition.value else otherwise()
        return _COMPUTED


def _fold(operation: Callable[..., Value], *operands: Term) -> Term:
    """`operation` over constants, computed by the value algebra; anything else needs the evaluator."""
    values: list[Value] = []
    for operand in operands:
        if not isinstance(operand, Constant):
            return _COMPUTED
        values.append(operand.value)
    result = operation(*values)
    family: Family = "Boolean" if isinstance(result, bool) else "Numeric"
    return Constant(result, family)


def _swap(test: str) -> str:
    """The test with its operands exchanged (`a < b` is `b > a`)."""
    return {"LessThan": "GreaterThan"}.get(test, test)


def _join(key: str, left: Term, right: Term) -> Term:
    parts: list[Rule] = []
    for operand in (left, right):
        rule = truth(operand)
        if rule is None:
            return _COMPUTED
        parts.extend(rule[key] if set(rule) == {key} else [rule])
    return Test({key: parts})


def truth(term: Term) -> Rule | None:
    """The Choice rule that holds when a boolean term is true, or None when no rule can say."""
    if isinstance(term, Test):
        return term.rule
    if isinstance(term, Field) and term.family == "Boolean":
        return {"Variable": term.path, "BooleanEquals": True}
    return None


def condition(expr: ir.Expr, offload: Offload) -> Rule:
    """A Choice rule (without `Next`) that holds exactly when `expr` does."""
    algebra = ChoiceAlgebra(decimal_spellings(expr))
    env: dict[str, Term] = {
        name: Field(field_path(name), _FAMILIES[type_name], rank)
        for rank, (name, type_name) in enumerate(field_types(expr).items())
    }
    return _rule(expr, algebra, env, offload)


def _rule(expr: ir.Expr, algebra: ChoiceAlgebra, env: Mapping[str, Term], offload: Offload) -> Rule:
    """`expr` as a rule if it is one; else split at its connectives, offloading what no rule can test."""
    found = truth(interpret(expr, algebra, env))
    if found is not None:
        return found
    parts: list[Rule] = []
    match expr:
        case ir.BinOp(op="and" | "or" as op, left=left, right=right):
            parts += (_rule(left, algebra, env, offload), _rule(right, algebra, env, offload))
            skeleton: ir.Expr = ir.BinOp(op, _PARTS[0], _PARTS[1], "bool")
        case ir.Unary(op="not", operand=operand):
            parts.append(_rule(operand, algebra, env, offload))
            skeleton = ir.Unary("not", _PARTS[0], "bool")
        case _:
            rule = truth(Field(offload(expr), "Boolean"))
            assert rule is not None
            return rule
    bound = {part.name: Test(rule) for part, rule in zip(_PARTS, parts, strict=False)}
    joined = truth(interpret(skeleton, algebra, bound))
    assert joined is not None, "a connective of rules is a rule"
    return joined


_PARTS = (ir.Var("#0", "bool"), ir.Var("#1", "bool"))
"""Stand-ins for a connective's operands, bound to their rules when the connective is interpreted."""
