"""Guards as Choice rules: numeric, string and boolean comparisons joined by And/Or/Not.

A comparison of a context field with a constant or another field is a Choice
rule. What Choice rules cannot compute (arithmetic such as `amount * fx_rate`,
a comparison of two constants) is never dropped: the smallest comparison
containing it is handed to `offload`, which arranges for the evaluator function
to compute it before the Choice, and the rule tests the boolean it stores.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from statewright import ir

Rule = dict[str, Any]
Offload = Callable[[ir.Expr], str]
"""Takes an expression the rules cannot express; returns the JSONPath of its boolean result."""

_NUMERIC = {
    "==": "NumericEquals",
    "<": "NumericLessThan",
    "<=": "NumericLessThanEquals",
    ">": "NumericGreaterThan",
    ">=": "NumericGreaterThanEquals",
}
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def field_path(name: str) -> str:
    """The JSONPath of a context field in the state data."""
    return f"$.context.{name}"


def condition(expr: ir.Expr, offload: Offload) -> Rule:
    """A Choice rule (without `Next`) that holds exactly when `expr` does."""
    match expr:
        case ir.BinOp(op="and" | "or"):
            key = "And" if expr.op == "and" else "Or"
            parts: list[Rule] = []
            for side in (expr.left, expr.right):
                rule = condition(side, offload)
                parts.extend(rule[key] if set(rule) == {key} else [rule])
            return {key: parts}
        case ir.Unary(op="not"):
            return {"Not": condition(expr.operand, offload)}
        case ir.Var(type="bool"):
            return {"Variable": field_path(expr.name), "BooleanEquals": True}
        case ir.In(operand=ir.Var()):
            options = [_compare("==", expr.operand, value, offload) for value in expr.values]
            either: Rule = options[0] if len(options) == 1 else {"Or": options}
            return {"Not": either} if expr.negated else either
        case ir.BinOp(op="==" | "!=" | "<" | "<=" | ">" | ">="):
            return _compare(expr.op, expr.left, expr.right, offload)
    return {"Variable": offload(expr), "BooleanEquals": True}


def _constant(expr: ir.Expr) -> ir.Value | None:
    if isinstance(expr, ir.Lit):
        return expr.value
    if isinstance(expr, ir.Unary) and expr.op == "-" and isinstance(expr.operand, ir.Lit):
        value = expr.operand.value
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return -value
    return None


def _compare(op: str, left: ir.Expr, right: ir.Expr, offload: Offload) -> Rule:
    whole = ir.BinOp(op, left, right, "bool")  # type: ignore[arg-type]
    if not isinstance(left, ir.Var) and isinstance(right, ir.Var):
        left, right, op = right, left, _FLIPPED[op]
    if not isinstance(left, ir.Var):
        return {"Variable": offload(whole), "BooleanEquals": True}
    if op == "!=":
        return {"Not": _compare("==", left, right, offload)}
    constant = _constant(right)
    if isinstance(right, ir.Var):
        operator = _operator(left.type, op)
        if operator is None or _family(left.type) != _family(right.type):
            return {"Variable": offload(whole), "BooleanEquals": True}
        return {"Variable": field_path(left.name), operator + "Path": field_path(right.name)}
    if constant is None:
        return {"Variable": offload(whole), "BooleanEquals": True}
    operator = _operator(left.type, op)
    if operator is None:
        return {"Variable": offload(whole), "BooleanEquals": True}
    return {"Variable": field_path(left.name), operator: constant}


def _family(type_name: str) -> str:
    return {"int": "number", "decimal": "number", "enum": "text", "string": "text"}.get(type_name, type_name)


def _operator(type_name: str, op: str) -> str | None:
    family = _family(type_name)
    if family == "number":
        return _NUMERIC[op]
    if op != "==":
        return None
    return "StringEquals" if family == "text" else "BooleanEquals"
