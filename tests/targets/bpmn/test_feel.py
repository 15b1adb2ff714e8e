"""FEEL conditions mean what the runtime's evaluator means: evaluated by a real FEEL interpreter.

`@bpmn-io/feelin` (installed by `make tools`) evaluates the text `feel.py`
writes for random typed expressions on random contexts, a whole batch in one
node process (`feel_eval.mjs`), and every result is compared with
`semantics.values`.

feelin's numbers are JavaScript doubles, where Zeebe's are 34-digit decimals;
so each case is also interpreted over doubles (`Doubles`, a test-only algebra
over `interpret`). feelin must agree with it exactly, always; and with the
value algebra everywhere except where a number the case reads is no double or
the expression divides (and then only by rounding): most cases.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeAlias

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.semantics.interpret import fits_scale, interpret
from statewright.semantics.values import VALUES, environment, evaluate
from statewright.targets.bpmn.conditions import Guard, assignment_feel, to_feel
from statewright.targets.bpmn.feel import feel
from tests.semantics.typed_exprs import Scope, typed
from tests.tools import node_package, run_node_script

SCRIPT = Path(__file__).with_name("feel_eval.mjs")
MEMBERS = ("red", "green")
SCOPE = Scope(ints=("i", "j"), decimals=("d", "f"), bools=("b",), enums=(("e", MEMBERS),), strings=("s",))
DECIMALS = [Decimal(t) for t in ("0", "0.5", "-2.5", "1.25", "3", "-0.75", "10", "0.1", "0.3333")]
STRINGS = ("", "a", "b", "other", 'q"uote\\', "é\n")
CONTEXTS: st.SearchStrategy[dict[str, ir.Value]] = st.fixed_dictionaries(
    {
        "i": st.integers(-6, 6),
        "j": st.integers(-6, 6),
        "d": st.sampled_from(DECIMALS),
        "f": st.sampled_from(DECIMALS),
        "b": st.booleans(),
        "e": st.sampled_from(MEMBERS),
        "s": st.sampled_from(STRINGS),
    }
)
Case: TypeAlias = tuple[ir.Expr, str, dict[str, ir.Value]]
"""An expression, its FEEL text, and a context to evaluate it on."""
KINDS = st.sampled_from(["bool", "bool", "bool", "int", "decimal"])
BATCH = 60


Double = float | bool | str
"""A value as feelin holds it: numbers are JavaScript doubles."""


def _float(term: Double) -> float:
    assert isinstance(term, float)
    return term


class Doubles:
    """`interpret` over doubles (test-only): the meaning feelin computes, with its number type."""

    def int_lit(self, value: int) -> Double:
        return float(value)

    def decimal_lit(self, value: Fraction) -> Double:
        return float(value)

    def bool_lit(self, value: bool) -> Double:
        return value

    def string_lit(self, value: str) -> Double:
        return value

    def enum_lit(self, member: str) -> Double:
        return member

    def add(self, left: Double, right: Double) -> Double:
        return _float(left) + _float(right)

    def sub(self, left: Double, right: Double) -> Double:
        return _float(left) - _float(right)

    def mul(self, left: Double, right: Double) -> Double:
        return _float(left) * _float(right)

    def neg(self, operand: Double) -> Double:
        return -_float(operand)

    def divide(self, left: Double, right: Double) -> Double:
        return _float(left) / _float(right)

    def floor(self, operand: Double) -> Double:
        return float(math.floor(_float(operand)))

    def to_decimal(self, operand: Double) -> Double:
        return operand

    def eq(self, left: Double, right: Double) -> Double:
        return left == right

    def lt(self, left: Double, right: Double) -> Double:
        return _float(left) < _float(right)

    def not_(self, operand: Double) -> Double:
        return not operand

    def and_(self, left: Double, right: Double) -> Double:
        return bool(left) and bool(right)

    def or_(self, left: Double, right: Double) -> Double:
        return bool(left) or bool(right)

    def ite(self, condition: Double, then: Callable[[], Double], otherwise: Callable[[], Double]) -> Double:
        return then() if condition else otherwise()


def _doubles(expr: ir.Expr, context: Mapping[str, ir.Value]) -> Double:
    env = {
        name: float(term) if isinstance(term, int | Fraction) and not isinstance(term, bool) else term
        for name, term in environment(context).items()
    }
    return interpret(expr, Doubles(), env)


def _inexact(expr: ir.Expr, context: Mapping[str, ir.Value]) -> bool:
    """True when a number the case reads is no double, or the expression divides (`/`, or `%`'s quotient)."""
    numbers = [v for v in context.values() if isinstance(v, Decimal)]
    pending = [expr]
    while pending:
        node = pending.pop()
        match node:
            case ir.Lit(value=Decimal() as value):
                numbers.append(value)
            case ir.BinOp(op="/" | "%"):
                return True
            case ir.BinOp(left=left, right=right):
                pending += (left, right)
            case ir.Unary(operand=operand):
                pending.append(operand)
            case ir.In(operand=operand, values=values):
                pending += (operand, *values)
    return any(Fraction(float(n)) != Fraction(n) for n in numbers)


def _json_context(context: Mapping[str, ir.Value]) -> dict[str, Any]:
    """The context as process variables: decimals as numbers (feelin's are doubles)."""
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in context.items()}


def _check(cases: list[Case]) -> int:
    """Evaluate the batch with feelin and compare; return how many cases agree with the exact values."""
    node_package("@bpmn-io/feelin")
    payload = [{"expression": text, "context": _json_context(context)} for _, text, context in cases]
    results = run_node_script(SCRIPT, payload)
    agreeing = 0
    for (expr, text, context), result in zip(cases, results, strict=True):
        assert "error" not in result, (text, result)
        assert result["warnings"] == [], (text, result)
        value = result["value"]
        double = _doubles(expr, context)
        exact = interpret(expr, VALUES, environment(context))
        where = f"{text!r} on {context!r}: feelin gave {value!r}, doubles {double!r}, exact {exact!r}"
        if expr.type == "bool":
            assert value is double, where
            same = value is exact
        else:
            assert isinstance(value, int | float) and not isinstance(value, bool), where
            assert float(value) == double, where
            same = Fraction(value) == Fraction(evaluate(expr, context))
        assert same or _inexact(expr, context), where  # only rounding to doubles may make a difference
        agreeing += same
    return agreeing


@settings(max_examples=8, deadline=None)
@given(st.data())
def test_feel_agrees_with_the_value_algebra(data: st.DataObject) -> None:
    """Random guards, int and decimal expressions (`/` and `%` by zero included) on random contexts."""
    cases: list[Case] = []
    for _ in range(BATCH):
        kind = data.draw(KINDS)
        expr = data.draw(typed(SCOPE, kind, 3))
        cases.append((expr, feel(expr), data.draw(CONTEXTS)))
    agreeing = _check(cases)
    assert agreeing >= 0.8 * len(cases), f"only {agreeing} of {len(cases)} agree: too few to say much"


def _var(name: str, type_name: ir.TypeName) -> ir.Var:
    return ir.Var(name, type_name)


def _lit(value: ir.Value, type_name: ir.TypeName) -> ir.Lit:
    return ir.Lit(value, type_name)


VI, VJ, VD, VB, VE, VS = (
    _var("i", "int"),
    _var("j", "int"),
    _var("d", "decimal"),
    _var("b", "bool"),
    _var("e", "enum"),
    _var("s", "string"),
)
NAMED: list[ir.Expr] = [
    ir.BinOp("/", VD, _lit(0, "int"), "decimal"),  # a / 0 is 0
    ir.BinOp("/", _lit(Decimal("7.5"), "decimal"), VI, "decimal"),
    ir.BinOp("%", VI, VJ, "int"),  # floor modulo, `a % 0` is a
    ir.BinOp("%", _lit(-7, "int"), _lit(3, "int"), "int"),
    ir.BinOp("%", _lit(7, "int"), ir.Unary("-", _lit(3, "int"), "int"), "int"),
    ir.Unary("-", ir.Unary("-", VI, "int"), "int"),
    ir.BinOp("<", VI, _lit(Decimal("2.5"), "decimal"), "bool"),  # promotion
    ir.BinOp(">=", VD, VI, "bool"),
    ir.BinOp("==", VE, _lit("red", "enum"), "bool"),
    ir.BinOp("!=", _lit("green", "enum"), VE, "bool"),
    ir.BinOp("==", VS, _lit('q"uote\\', "string"), "bool"),
    ir.BinOp("==", VS, _lit("é\n", "string"), "bool"),
    ir.In(VI, (_lit(1, "int"), _lit(Decimal("2.0"), "decimal")), False),
    ir.In(VS, (_lit("a", "string"), _lit("", "string")), True),
    ir.Unary("not", ir.BinOp("or", VB, ir.BinOp(">", VI, VJ, "bool"), "bool"), "bool"),
    ir.BinOp("==", VB, ir.BinOp("<", VI, VJ, "bool"), "bool"),
]


def test_named_constructs_evaluate_as_the_runtime_does() -> None:
    """Division and modulo by zero, floor `%` of negatives, promotion, enums, escaped strings, `in`, `not`."""
    contexts: list[dict[str, ir.Value]] = [
        {"i": i, "j": j, "d": d, "b": b, "e": e, "s": s}
        for i, j, d, b, e, s in [
            (0, 0, Decimal("1.5"), True, "red", ""),
            (-4, 3, Decimal("-2.5"), False, "green", 'q"uote\\'),
            (4, -3, Decimal("2"), False, "red", "é\n"),
            (2, 0, Decimal("2.5"), True, "green", "a"),
        ]
    ]
    cases = [(expr, feel(expr), context) for expr in NAMED for context in contexts]
    assert _check(cases) == len(cases)


@settings(max_examples=4, deadline=None)
@given(st.data())
def test_set_values_store_what_the_runtime_stores(data: st.DataObject) -> None:
    """A Zeebe script's value (`set` without division, where storing keeps the value exactly)."""
    cases: list[Case] = []
    while len(cases) < BATCH // 2:
        expr = data.draw(typed(SCOPE, data.draw(st.sampled_from(["int", "decimal"])), 2))
        if fits_scale(expr):
            cases.append((expr, assignment_feel(expr), data.draw(CONTEXTS)))
    _check(cases)


def test_a_guard_condition_is_its_feel() -> None:
    """The sequence-flow condition of a guard is the algebra's text, with no Python in it."""
    guard = ir.BinOp("and", ir.BinOp("<=", VD, _lit(Decimal("10000.00"), "decimal"), "bool"), VB, "bool")
    assert to_feel(Guard(guard)) == feel(guard) == "d <= 10000.00 and b"
