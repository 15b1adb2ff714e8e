"""Guard-language expressions as JSON for the evaluator function, and string literals for intrinsics.

The evaluator Lambda (`evaluator.py`) receives the typed IR expression, not text,
so it evaluates exactly what the runtime does (`statewright.semantics.values`).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from statewright import ir


def to_data(expr: ir.Expr) -> dict[str, Any]:
    """The expression as a JSON-ready tree (decimals as `Decimal`, written with their digits)."""
    match expr:
        case ir.Lit():
            return {"lit": expr.value, "type": expr.type}
        case ir.Var():
            return {"var": expr.name, "type": expr.type}
        case ir.Unary():
            return {"op": expr.op, "operand": to_data(expr.operand), "type": expr.type}
        case ir.BinOp():
            return {
                "op": expr.op,
                "left": to_data(expr.left),
                "right": to_data(expr.right),
                "type": expr.type,
            }
        case ir.In():
            return {
                "in": to_data(expr.operand),
                "values": [to_data(v) for v in expr.values],
                "negated": expr.negated,
            }
    raise TypeError(f"not an expression: {expr!r}")


def from_data(data: dict[str, Any]) -> ir.Expr:
    """Rebuild an expression from `to_data`'s tree (numbers may arrive as floats from JSON)."""
    if "lit" in data:
        return ir.Lit(_value(data["lit"], data["type"]), data["type"])
    if "var" in data:
        return ir.Var(data["var"], data["type"])
    if "in" in data:
        values = tuple(from_data(v) for v in data["values"])
        return ir.In(from_data(data["in"]), values, bool(data["negated"]))  # type: ignore[arg-type]
    if "operand" in data:
        return ir.Unary(data["op"], from_data(data["operand"]), data["type"])
    return ir.BinOp(data["op"], from_data(data["left"]), from_data(data["right"]), data["type"])


def _value(raw: Any, type_name: str) -> ir.Value:
    if type_name == "decimal" and not isinstance(raw, bool):
        return Decimal(str(raw))
    if isinstance(raw, bool | int | str | Decimal):
        return raw
    raise ValueError(f"not a context value: {raw!r}")


def context_value(raw: Any, type_name: str) -> ir.Value:
    """A context value read from Step Functions state data (decimals arrive as JSON numbers)."""
    if type_name == "decimal" and not isinstance(raw, bool):
        return Decimal(str(raw))
    if type_name == "int" and isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return _value(raw, type_name)


def intrinsic_string(text: str) -> str:
    """`text` as a single-quoted intrinsic-function string literal (`'`, `{`, `}` and `\\` escaped)."""
    escaped = "".join("\\" + ch if ch in "'{}\\" else ch for ch in text)
    return f"'{escaped}'"


def field_to_data(field: ir.ContextField) -> dict[str, Any]:
    """A declared payload or result field as JSON for the evaluator's check (bounds and default exact)."""
    data: dict[str, Any] = {"name": field.name, "type": field.type.name}
    if field.type.min is not None:
        data["min"] = str(field.type.min)
    if field.type.max is not None:
        data["max"] = str(field.type.max)
    if field.type.members:
        data["members"] = list(field.type.members)
    if field.default is not None:
        default = field.default
        data["default"] = str(default) if isinstance(default, Decimal) else default
    return data


def field_from_data(data: dict[str, Any]) -> ir.ContextField:
    """Rebuild a field from `field_to_data`'s object."""
    type_name = data["type"]
    bound = Decimal if type_name == "decimal" else int
    low = bound(data["min"]) if "min" in data else None
    high = bound(data["max"]) if "max" in data else None
    default = data.get("default")
    if default is not None:
        default = _value(default, type_name)
    members = tuple(str(m) for m in data.get("members", ()))
    return ir.ContextField(str(data["name"]), ir.FieldType(type_name, low, high, members), default)


def sent_value(raw: Any, type_name: str) -> Any:
    """A payload or result value as it arrived in JSON, made ready for `semantics.inputs.check_fields`.

    A JSON number for a decimal field is read with the digits it was written
    with (a float as its shortest repr), a decimal string as its number, as the
    command line reads `--data`; anything else is passed on as read, for the
    check to judge, so every entry point refuses the same values.
    """
    if type_name == "decimal" and not isinstance(raw, bool):
        if isinstance(raw, float):
            return Decimal(repr(raw)) if math.isfinite(raw) else raw
        if isinstance(raw, str) and _DECIMAL.fullmatch(raw.strip()):
            return Decimal(raw.strip())
    return raw


_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
"""A decimal number as text (what `statewright run send --data` reads as a decimal)."""
