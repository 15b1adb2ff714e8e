"""`do`, `set` and `emit` actions as Task and Pass states.

A `set` is two Pass states: the new value is computed into `$.update` (a
constant, a field, or `States.MathAdd` for integer `+`/`-`; anything else by
the evaluator function), then merged into `$.context` with `States.JsonMerge`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from statewright import ir
from statewright.semantics.spelling import field_types
from statewright.targets.asl import expressions
from statewright.targets.asl.choice import ERROR, SIGNAL_DATA, SIGNAL_RESULT, field_path
from statewright.targets.asl.resources import EMIT_QUEUE, EVALUATOR, ResourceMap
from statewright.targets.asl.tasks import fire_task, request_task

MERGE: dict[str, Any] = {
    "Type": "Pass",
    "Parameters": {
        "context.$": "States.JsonMerge($.context, $.update, false)",
        "signal.$": "$.signal",
        "votes.$": "$.votes",
        "error.$": "$.error",
    },
    "ResultPath": "$",
}
"""The Pass state that stores `$.update` into the context, keeping the bookkeeping and the inputs
(the answer in `$.signal`, the failure in `$.error`: the next `set` may read them too)."""


def _int_operand(expr: ir.Expr) -> str | None:
    if isinstance(expr, ir.Var) and expr.type == "int":
        return field_path(expr.name)
    if isinstance(expr, ir.Lit) and expr.type == "int" and not isinstance(expr.value, bool):
        return str(expr.value)
    return None


def intrinsic_value(expr: ir.Expr, field_type: str) -> tuple[str, Any] | None:
    """A Parameters entry computing `expr` without the evaluator, or None when only it can."""
    if isinstance(expr, ir.Lit):
        value = expr.value
        if field_type == "decimal" and isinstance(value, int) and not isinstance(value, bool):
            value = Decimal(value)
        return ("value", value)
    if isinstance(expr, ir.Var) and (expr.type == field_type or (expr.type == "int" and field_type == "int")):
        return ("value.$", field_path(expr.name))
    if isinstance(expr, ir.BinOp) and expr.op in ("+", "-") and expr.type == "int" and field_type == "int":
        left, right = _int_operand(expr.left), _int_operand(expr.right)
        if left is None or right is None:
            return None
        if expr.op == "-":
            if not isinstance(expr.right, ir.Lit):
                return None
            right = str(-int(expr.right.value))
        return ("value.$", f"States.MathAdd({left}, {right})")
    return None


def set_compute(
    assign: ir.Assign, machine: ir.Machine, resources: ResourceMap
) -> tuple[dict[str, Any], bool]:
    """The state computing one `set` into `$.update`, and whether it needs the evaluator."""
    field_type = next(f.type.name for f in machine.context if f.name == assign.field)
    entry = intrinsic_value(assign.value, field_type)
    if entry is not None:
        key, value = entry
        return {
            "Type": "Pass",
            "Parameters": {assign.field + key.removeprefix("value"): value},
            "ResultPath": "$.update",
        }, False
    task = request_task(
        resources.resource(EVALUATOR), evaluator_body(machine, {assign.field: assign.value}), [assign.field]
    )
    task["ResultPath"] = "$.update"
    return task, True


_INPUT_PATHS: dict[ir.InputScope, str] = {"event": SIGNAL_DATA, "result": SIGNAL_RESULT, "error": ERROR}


def evaluator_body(machine: ir.Machine, named: dict[str, ir.Expr]) -> dict[str, Any]:
    """The evaluator's request: typed expressions by name, the field types and the current context.

    Expressions reading a transition's inputs also get them (the answer's
    `data` or `result`, the Catch's `error`), typed like the context.
    """
    types = {f.name: f.type.name for f in machine.context}
    scopes: list[ir.InputScope] = []
    for expr in named.values():
        for name, type_name in field_types(expr).items():
            found = ir.input_of(name)
            if found is not None:
                types[name] = type_name
                if found[0] not in scopes:
                    scopes.append(found[0])
    body: dict[str, Any] = {
        "workflow": machine.name,
        "expressions": {key: expressions.to_data(expr) for key, expr in named.items()},
        "types": types,
        "execution.$": "$$.Execution.Id",
        "context.$": "$.context",
    }
    for scope in ir.INPUT_SCOPES:
        if scope in scopes:
            body[f"{scope}.$"] = _INPUT_PATHS[scope]
    return body


def do_task(call: ir.Call, machine: ir.Machine, owner: str | None, resources: ResourceMap) -> dict[str, Any]:
    """A `do` action: the handler gets its name, idempotency key template and the context."""
    body: dict[str, Any] = {"workflow": machine.name, "action": call.name, "state": owner, "key": call.key}
    if call.service is not None:
        body["service"] = call.service
    body["execution.$"] = "$$.Execution.Id"
    body["context.$"] = "$.context"
    return fire_task(resources.resource(call.name), body)


def emit_task(emit: ir.Emit, machine: ir.Machine, resources: ResourceMap) -> dict[str, Any]:
    """An `emit`: the event goes to the emit queue, whose consumer delivers it back like an outside event."""
    body = {"workflow": machine.name, "emit": emit.event, "execution.$": "$$.Execution.Id"}
    return fire_task(resources.resource(EMIT_QUEUE), body)
