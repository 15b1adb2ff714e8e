"""The generic flavor's guards and `set` scripts, run as SpiffWorkflow runs them: the runtime's meaning.

SpiffWorkflow evaluates a condition and executes a script over task data (ints,
`Decimal`s, bools, strings) with only `Fraction` and `Decimal` in scope (the
environment the generated process documents). The text comes from
`semantics.python_text` over `interpret`; compiled here (test-only) it must
give what `semantics.values` gives, including the rounding of a stored decimal.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.semantics.values import apply_sets, holds
from statewright.targets.bpmn.conditions import All, Decision, Guard, assignment_python, to_python
from tests.semantics.typed_exprs import typed
from tests.targets.bpmn.test_text import CONTEXTS, SCOPE

SCOPE_NAMES = {"Fraction": Fraction, "Decimal": Decimal}
TYPES: dict[str, ir.FieldType] = {
    "i": ir.FieldType("int"),
    "j": ir.FieldType("int"),
    "d": ir.FieldType("decimal"),
    "b": ir.FieldType("bool"),
    "e": ir.FieldType("enum", members=("red", "green")),
    "s": ir.FieldType("string"),
}


def _exec(script: str, task: dict[str, Any]) -> None:
    """Run a `set` script as SpiffWorkflow does: one namespace, the task data with the engine's names."""
    task.update(SCOPE_NAMES)
    exec(compile(script, "<script>", "exec"), task)  # test-only: our own generated text


def _fields(out: ir.TypeName) -> tuple[ir.ContextField, ...]:
    types = {**TYPES, "out": ir.FieldType(out)}
    return tuple(ir.ContextField(name, field_type) for name, field_type in types.items())


def _task_data(context: dict[str, Any]) -> dict[str, Any]:
    return dict(context)


@settings(max_examples=300)
@given(st.data(), CONTEXTS)
def test_set_scripts_store_what_the_runtime_stores(data: st.DataObject, context: dict[str, Any]) -> None:
    """`set out = expr` for int and decimal expressions, `/` included (a stored decimal is rounded)."""
    kind: Literal["int", "decimal"] = data.draw(st.sampled_from(["int", "decimal"]))
    expr = data.draw(typed(SCOPE, kind, 2))
    script = assignment_python("out", expr)
    task = _task_data(context)
    _exec(script, task)
    expected = apply_sets([ir.Assign("out", expr)], context, _fields(kind))["out"]
    assert task["out"] == expected and type(task["out"]) is type(expected), script


def test_a_decimal_set_is_rounded_as_the_runtime_rounds_it() -> None:
    """`set out = d / 3` keeps 18 fractional digits, half to even, as a `Decimal`."""
    expr = ir.BinOp("/", ir.Var("d", "decimal"), ir.Lit(3, "int"), "decimal")
    task: dict[str, Any] = {"d": Decimal("2")}
    _exec(assignment_python("out", expr), task)
    assert task["out"] == Decimal("0.666666666666666667")


@settings(max_examples=300)
@given(typed(SCOPE, "bool", 3), CONTEXTS, st.booleans())
def test_conditions_with_a_guard_agree_with_the_runtime(
    expr: ir.Expr, context: dict[str, Any], approved: bool
) -> None:
    """A guard joined with an approval decision, as a sequence-flow condition."""
    decision = "approve" if approved else "reject"
    condition = All((Decision("approve"), Guard(expr)))
    text = to_python(condition)
    task = {**_task_data(context), "approval_decision": decision}
    # test-only; one namespace, as SpiffWorkflow evaluates (`eval(expression, globals)`)
    result = eval(compile(text, "<condition>", "eval"), {**SCOPE_NAMES, **task})
    assert result == (approved and holds(expr, context)), text
