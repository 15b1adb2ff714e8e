"""The evaluator Lambda: computes guard-language expressions Choice rules cannot (arithmetic).

Deployed by the SAM template as `statewright.targets.asl.evaluator.handler`.
It evaluates the typed IR expressions it is sent with the runtime's own
evaluator (`statewright.semantics.values`), so the result is what the Python
runtime computes: exact decimals, `a / 0 == 0`, floor `%`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from statewright.semantics.values import evaluate
from statewright.targets.asl.expressions import context_value, from_data


def handler(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    """`{"expressions": {name: expr}, "types": {field: type}, "context": {...}}` -> `{name: value}`."""
    types: dict[str, str] = event.get("types", {})
    context = {
        name: context_value(value, types.get(name, "string"))
        for name, value in event.get("context", {}).items()
    }
    results: dict[str, Any] = {}
    for name, data in event.get("expressions", {}).items():
        value = evaluate(from_data(data), context)
        results[name] = float(value) if isinstance(value, Decimal) else value
    return results
