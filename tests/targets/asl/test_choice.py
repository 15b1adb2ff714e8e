"""Guards as Choice rules mean what the runtime's evaluator means, offloaded arithmetic included.

A small interpreter of Choice rules (the comparison operators the target emits,
And/Or/Not, the `...Path` forms) runs the translated rule on the state data as
Step Functions holds it (decimals as JSON numbers); it must agree with
`statewright.semantics.values.holds` on random well-typed guards and contexts.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.semantics.values import holds
from statewright.targets.asl import evaluator
from statewright.targets.asl.actions import evaluator_body, intrinsic_value
from statewright.targets.asl.choice import condition
from statewright.targets.asl.expressions import from_data, to_data
from tests.semantics.typed_exprs import DECIMAL_LITERALS, Scope, typed

SCOPE = Scope(
    ints=("i", "j"), decimals=("d", "e"), bools=("b",), enums=(("colour", ("red", "blue")),), strings=("s",)
)
FIELDS = (
    ir.ContextField("i", ir.FieldType("int")),
    ir.ContextField("j", ir.FieldType("int")),
    ir.ContextField("d", ir.FieldType("decimal")),
    ir.ContextField("e", ir.FieldType("decimal")),
    ir.ContextField("b", ir.FieldType("bool")),
    ir.ContextField("colour", ir.FieldType("enum", members=("red", "blue"))),
    ir.ContextField("s", ir.FieldType("string")),
)
MACHINE = ir.Machine("Guards", "A", (ir.State("A", "final"),), (), context=FIELDS)

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "LessThanEquals": operator.le,
    "GreaterThan": operator.gt,
    "GreaterThanEquals": operator.ge,
}


def _path(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.removeprefix("$.").split("."):
        value = value[part]
    return value


def run_rule(rule: dict[str, Any], data: dict[str, Any]) -> bool:
    """Evaluate one Choice rule (without Next) on state data."""
    if "And" in rule:
        return all(run_rule(r, data) for r in rule["And"])
    if "Or" in rule:
        return any(run_rule(r, data) for r in rule["Or"])
    if "Not" in rule:
        return not run_rule(rule["Not"], data)
    value = _path(data, rule["Variable"])
    ((key, expected),) = [(k, v) for k, v in rule.items() if k != "Variable"]
    if key.endswith("Path"):
        key, expected = key.removesuffix("Path"), _path(data, expected)
    for prefix in ("Numeric", "String", "Boolean"):
        if key.startswith(prefix):
            test = _OPS[key.removeprefix(prefix)]
            if prefix == "Numeric":
                assert isinstance(value, int | float) and not isinstance(value, bool)
                return test(value, float(expected))
            return test(value, expected)
    raise AssertionError(f"unexpected operator {key}")


contexts = st.fixed_dictionaries(
    {
        "i": st.integers(-4, 4),
        "j": st.integers(-4, 4),
        "d": DECIMAL_LITERALS,
        "e": DECIMAL_LITERALS,
        "b": st.booleans(),
        "colour": st.sampled_from(["red", "blue"]),
        "s": st.sampled_from(["", "a", "b", "other"]),
    }
)


def state_data(context: dict[str, ir.Value]) -> dict[str, Any]:
    """The context as Step Functions holds it: JSON, decimals as numbers."""
    data: dict[str, Any] = json.loads(
        json.dumps({k: float(v) if isinstance(v, Decimal) else v for k, v in context.items()})
    )
    return data


@settings(max_examples=400)
@given(guard=typed(SCOPE, "bool", 3), context=contexts)
def test_choice_rules_agree_with_the_runtime(guard: ir.Expr, context: dict[str, ir.Value]) -> None:
    """Translate, let the evaluator compute what was offloaded, run the rule: same answer as `holds`."""
    offloaded: dict[str, ir.Expr] = {}

    def offload(expr: ir.Expr) -> str:
        key = f"g{len(offloaded) + 1}"
        offloaded[key] = expr
        return f"$.guards.{key}"

    rule = condition(guard, offload)
    data = {"context": state_data(context)}
    body = evaluator_body(MACHINE, offloaded)
    body["context"] = data["context"]
    data["guards"] = evaluator.handler(json.loads(json.dumps(body, default=str)))
    assert run_rule(rule, data) == holds(guard, context)


def test_simple_comparisons_need_no_evaluator() -> None:
    """Field against constant, field against field, enums, `in`, `not`: all plain Choice rules."""
    i, d = ir.Var("i", "int"), ir.Var("d", "decimal")
    guards: list[ir.Expr] = [
        ir.BinOp("<=", i, ir.Lit(3, "int"), "bool"),
        ir.BinOp(">", ir.Lit(Decimal("2.5"), "decimal"), d, "bool"),
        ir.BinOp("!=", ir.Var("colour", "enum"), ir.Lit("red", "enum"), "bool"),
        ir.BinOp("<", i, ir.Var("j", "int"), "bool"),
        ir.In(ir.Var("s", "string"), (ir.Lit("a", "string"), ir.Lit("", "string")), negated=True),
        ir.Unary("not", ir.Var("b", "bool"), "bool"),
    ]
    used: list[ir.Expr] = []

    def offload(expr: ir.Expr) -> str:
        used.append(expr)
        return "$.x"

    for guard in guards:
        condition(guard, offload)
    assert used == []
    assert condition(guards[1], lambda e: "$.x") == {
        "Variable": "$.context.d",
        "NumericLessThan": Decimal("2.5"),
    }


def test_arithmetic_is_offloaded_never_dropped() -> None:
    """`amount * fx_rate <= 10000.00` becomes one evaluator result, tested for true."""
    product = ir.BinOp("*", ir.Var("d", "decimal"), ir.Var("e", "decimal"), "decimal")
    guard = ir.BinOp("<=", product, ir.Lit(Decimal("10000.00"), "decimal"), "bool")
    used: list[ir.Expr] = []

    def offload(expr: ir.Expr) -> str:
        used.append(expr)
        return "$.guards.g1"

    rule = condition(guard, offload)
    assert used == [guard]
    assert rule == {"Variable": "$.guards.g1", "BooleanEquals": True}


@given(guard=typed(SCOPE, "bool", 3))
def test_expressions_round_trip_through_the_evaluator_format(guard: ir.Expr) -> None:
    """What the definition carries for the evaluator decodes to the same expression."""
    assert from_data(json.loads(json.dumps(to_data(guard), default=str))) == guard


def test_integer_sets_use_math_add() -> None:
    """`set n = n + 1` and `n - 2` are `States.MathAdd`; a decimal sum is left to the evaluator."""
    n = ir.Var("i", "int")
    assert intrinsic_value(ir.BinOp("+", n, ir.Lit(1, "int"), "int"), "int") == (
        "value.$",
        "States.MathAdd($.context.i, 1)",
    )
    assert intrinsic_value(ir.BinOp("-", n, ir.Lit(2, "int"), "int"), "int") == (
        "value.$",
        "States.MathAdd($.context.i, -2)",
    )
    assert (
        intrinsic_value(ir.BinOp("+", ir.Var("d", "decimal"), ir.Lit(1, "int"), "decimal"), "decimal") is None
    )
    assert intrinsic_value(ir.Lit(3, "int"), "decimal") == ("value", Decimal(3))
