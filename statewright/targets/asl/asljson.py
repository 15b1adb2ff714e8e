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


LITERAL_DOLLAR = "StatewrightDollar"
"""The DefinitionSubstitution whose value is `$`: spec text writes `${` as `${StatewrightDollar}{`."""

_ADDRESSES = frozenset({"QueueUrl", "FunctionName"})
"""Parameters that hold a resource address, whose `${Name}` is a substitution meant as one."""


def deployed(text: str) -> str:
    """A definition's text as deployed: `${StatewrightDollar}` substituted back to `$`.

    The SAM template's DefinitionSubstitutions do that on deploy; this is for running a
    definition without CloudFormation (moto in `statewright test`).
    """
    return text.replace("${" + LITERAL_DOLLAR + "}", "$")


def escape_substitutions(value: Any, key: str = "") -> tuple[Any, bool]:
    """`value` with every `${` of spec text written so DefinitionSubstitutions leave it as it is.

    CloudFormation replaces `${Name}` anywhere in a definition and has no escape for
    it, so text from a spec (a doc, a reason, a key, a string a guard compares with)
    holding `${Name}` would be rewritten on deploy. Each such `${` becomes
    `${StatewrightDollar}{`, which the SAM template substitutes back to `${`. Resource
    addresses (a Task's `QueueUrl` / `FunctionName`) are the substitutions the target
    means and stay. The flag says whether anything was escaped.
    """
    if isinstance(value, str):
        if key in _ADDRESSES or "${" not in value:
            return value, False
        return value.replace("${", "${" + LITERAL_DOLLAR + "}{"), True
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        changed = False
        for name, item in value.items():
            new_name, name_changed = escape_substitutions(name)
            out[new_name], item_changed = escape_substitutions(item, str(name))
            changed = changed or name_changed or item_changed
        return out, changed
    if isinstance(value, list | tuple):
        pairs = [escape_substitutions(item) for item in value]
        return [item for item, _ in pairs], any(flag for _, flag in pairs)
    return value, False
