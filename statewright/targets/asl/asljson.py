"""JSON text for definitions and templates: stable layout, exact decimals, every string escaped.

Keys keep the order they were built in (the builder adds them in a fixed order),
strings go through `json.dumps` (quotes, backslashes and control characters
escaped; non-ASCII kept as UTF-8), and a `Decimal` is written with the digits
the spec gave it (`10000.00`), which Step Functions reads as a number.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def dumps(value: Any, indent: int = 0) -> str:
    """`value` as JSON text with two-space indentation; lists of scalars stay on one line."""
    pad = "  " * indent
    inner = "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {dumps(v, indent + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        if all(not isinstance(item, dict | list | tuple) for item in value):
            return "[" + ", ".join(dumps(item) for item in value) + "]"
        return "[\n" + ",\n".join(inner + dumps(item, indent + 1) for item in value) + "\n" + pad + "]"
    return scalar(value)


def scalar(value: Any) -> str:
    """One JSON scalar; decimals keep their digits, and non-finite numbers are refused."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write {value} as JSON")
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)
