"""The Python text algebra means what the value algebra means, in both of its forms.

`semantics.python_text` writes an expression as Python source; compiled here
(never in the package) and run on random contexts, it must give exactly what
`semantics.values` gives, for guards and for int and decimal expressions,
`/` and `%` by zero, floor modulo, promotion, enums and strings included:

- with the helpers the generated module has (`quotient`, `math.floor`);
- self-contained, as SpiffWorkflow runs it (only `Fraction` in scope).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.runtime.compiled import quotient
from statewright.semantics.interpret import interpret
from statewright.semantics.python_text import Code, PythonText, atom
from statewright.semantics.spelling import decimal_spellings, field_types
from statewright.semantics.values import environment, evaluate, holds, to_value
from tests.semantics.test_agreement import SCOPE, contexts
from tests.semantics.typed_exprs import typed

KINDS = st.sampled_from(["bool", "bool", "int", "decimal"])


def _text(expr: ir.Expr, helpers: bool) -> Code:
    """`expr` over fields bound to names of their own (decimals as exact fractions), ranked as written."""
    algebra = PythonText(string=repr, helpers=helpers, spellings=decimal_spellings(expr))
    env = {name: atom(name, rank) for rank, name in enumerate(field_types(expr))}
    return interpret(expr, algebra, env)


def _run(code: Code, names: Mapping[str, object], context: Mapping[str, ir.Value]) -> Any:
    compiled = compile(code.text, "<guard>", "eval")
    attributes = {"floor"} if "math" in names else set()
    assert set(compiled.co_names) <= {*names, *context, *attributes}, compiled.co_names
    # One namespace, as its consumers give it: the module's guard functions read fields as
    # locals a nested `lambda` closes over, SpiffWorkflow evaluates with the task data as globals.
    return eval(compiled, {**names, **environment(context)})  # test-only: our own generated text


def _expected(expr: ir.Expr, context: Mapping[str, ir.Value]) -> ir.Value:
    return holds(expr, context) if expr.type == "bool" else evaluate(expr, context)


def _value(expr: ir.Expr, result: Any) -> ir.Value:
    if expr.type == "bool":
        assert isinstance(result, bool)
        return result
    if expr.type == "decimal":
        return to_value(Fraction(result))
    assert isinstance(result, int) and not isinstance(result, bool)
    return result


@settings(max_examples=400)
@given(st.data(), contexts)
def test_module_text_agrees_with_the_value_algebra(data: st.DataObject, context: dict[str, ir.Value]) -> None:
    """The generated module's form: `quotient` and `math.floor` in scope."""
    expr = data.draw(typed(SCOPE, data.draw(KINDS), 3))
    names = {"Fraction": Fraction, "math": math, "quotient": quotient}
    assert _value(expr, _run(_text(expr, True), names, context)) == _expected(expr, context)


@settings(max_examples=400)
@given(st.data(), contexts)
def test_self_contained_text_agrees_with_the_value_algebra(
    data: st.DataObject, context: dict[str, ir.Value]
) -> None:
    """SpiffWorkflow's form: nothing but `Fraction` in scope."""
    expr = data.draw(typed(SCOPE, data.draw(KINDS), 3))
    assert _value(expr, _run(_text(expr, False), {"Fraction": Fraction}, context)) == _expected(expr, context)


def test_the_two_forms_differ_only_in_the_helpers() -> None:
    """Total division and floor are `quotient` and `math.floor` with helpers, plain Python without."""
    i, d = ir.Var("i", "int"), ir.Var("d", "decimal")
    division = ir.BinOp("/", d, i, "decimal")
    assert _text(division, True).text == "quotient(d, Fraction(i))"
    assert _text(division, False).text == "Fraction(0) if Fraction(i) == Fraction(0) else d / Fraction(i)"
    modulo = ir.BinOp("%", i, ir.Lit(3, "int"), "int")
    assert "math.floor(Fraction(i) / Fraction(3))" in _text(modulo, True).text
    assert "Fraction(i) / Fraction(3) // 1" in _text(modulo, False).text


def test_spelled_decimals_and_written_order_are_kept() -> None:
    """`amount <= 10000.00` keeps its digits; `a <= b` of two fields is not turned into `b >= a`."""
    a, b = ir.Var("a", "int"), ir.Var("b", "int")
    literal = ir.Lit(Decimal("10000.00"), "decimal")
    guard = ir.BinOp(
        "and",
        ir.BinOp("<=", ir.Var("amount", "decimal"), literal, "bool"),
        ir.BinOp("<=", a, b, "bool"),
        "bool",
    )
    assert _text(guard, False).text == 'amount <= Fraction("10000.00") and a <= b'
