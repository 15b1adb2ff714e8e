"""Inputs in every flavor's expressions: `event.F`, `result.F`, `error.F` read the variable's member.

The data a transition receives lives in the process variables `event`,
`result` and `error`, one dict/context each (`protocol.EVENT_VAR`, ...). Random
typed expressions over such inputs (and a context field beside them) are
written by each flavor and evaluated as its engine evaluates them, on the
nested variables, and compared with `semantics.values` over the flat names the
runtime uses: Python over task data (SpiffWorkflow), JavaScript in node's vm
(bpmn-engine), FEEL in feelin (Zeebe; doubles may round, as `test_feel` allows).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.semantics.interpret import interpret
from statewright.semantics.values import VALUES, environment
from statewright.targets.bpmn.conditions import expr_python
from statewright.targets.bpmn.feel import feel
from statewright.targets.bpmn.javascript import PRELUDE, expr_js
from tests.semantics.typed_exprs import Scope, typed
from tests.targets.bpmn.test_feel import DECIMALS, MEMBERS, STRINGS, _inexact
from tests.targets.bpmn.test_feel import SCRIPT as FEEL_SCRIPT
from tests.targets.bpmn.test_javascript import run_js, variables
from tests.tools import node_package, run_node_script

SCOPE = Scope(
    ints=("event.i", "result.j", "n"),
    decimals=("event.d", "result.f"),
    bools=("event.b",),
    enums=(("event.e", MEMBERS),),
    strings=("error.name", "error.message"),
)
INPUTS: st.SearchStrategy[dict[str, ir.Value]] = st.fixed_dictionaries(
    {
        "event.i": st.integers(-6, 6),
        "result.j": st.integers(-6, 6),
        "n": st.integers(-6, 6),
        "event.d": st.sampled_from(DECIMALS),
        "result.f": st.sampled_from(DECIMALS),
        "event.b": st.booleans(),
        "event.e": st.sampled_from(MEMBERS),
        "error.name": st.sampled_from(STRINGS),
        "error.message": st.sampled_from(STRINGS),
    }
)
BATCH = 40


def nested(flat: dict[str, Any]) -> dict[str, Any]:
    """The flat names of the runtime (`event.d`) as the process holds them (`event` -> {`d`: ...})."""
    found: dict[str, Any] = {}
    for name, value in flat.items():
        found_input = ir.input_of(name)
        if found_input is None:
            found[name] = value
        else:
            found.setdefault(found_input[0], {})[found_input[1]] = value
    return found


def _cases(data: st.DataObject) -> list[tuple[ir.Expr, dict[str, ir.Value]]]:
    kinds = st.sampled_from(["bool", "bool", "int", "decimal"])
    return [(data.draw(typed(SCOPE, data.draw(kinds), 3)), data.draw(INPUTS)) for _ in range(BATCH)]


@settings(max_examples=10, deadline=None)
@given(st.data())
def test_python_reads_inputs_from_task_data(data: st.DataObject) -> None:
    """The generic flavor's text, evaluated over task data holding `event`/`result`/`error` dicts."""
    for expr, flat in _cases(data):
        text = expr_python(expr)
        got = eval(text, {"Fraction": Fraction, "Decimal": Decimal, **nested(flat)})
        exact = interpret(expr, VALUES, environment(flat))
        assert got == exact and isinstance(got, bool) == isinstance(exact, bool), (text, flat, got, exact)


@settings(max_examples=4, deadline=None)
@given(st.data())
def test_javascript_reads_inputs_from_process_variables(data: st.DataObject) -> None:
    """The javascript flavor's text in node's vm over nested variables (numbers as exact text)."""
    cases = _cases(data)
    scripts = []
    for expr, flat in cases:
        body = f"W({expr_js(expr)})" if expr.type in ("int", "decimal") else expr_js(expr)
        scripts.append((f"{PRELUDE}next(null, {body});", nested(variables(flat))))
    for (expr, flat), result in zip(cases, run_js(scripts), strict=True):
        exact = interpret(expr, VALUES, environment(flat))
        where = f"{expr_js(expr)!r} on {flat!r}: node gave {result!r}, exact {exact!r}"
        assert "error" not in result, where
        if expr.type == "bool":
            assert result["value"] is exact, where
        else:
            assert Fraction(result["value"]) == Fraction(exact), where


@settings(max_examples=4, deadline=None)
@given(st.data())
def test_feel_reads_inputs_as_context_paths(data: st.DataObject) -> None:
    """The FEEL text in feelin over context variables: `event.d` is a path into the context `event`."""
    node_package("@bpmn-io/feelin")
    cases = [(expr, flat) for expr, flat in _cases(data) if expr.type == "bool"]
    payload = [
        {
            "expression": feel(expr),
            "context": nested({k: float(v) if isinstance(v, Decimal) else v for k, v in flat.items()}),
        }
        for expr, flat in cases
    ]
    agreeing = 0
    for (expr, flat), result in zip(cases, run_node_script(FEEL_SCRIPT, payload), strict=True):
        where = f"{feel(expr)!r} on {flat!r}: feelin gave {result!r}"
        assert "error" not in result and result["warnings"] == [], where
        same = result["value"] is interpret(expr, VALUES, environment(flat))
        assert same or _inexact(expr, flat), where
        agreeing += same
    assert agreeing >= 0.8 * len(cases), f"only {agreeing} of {len(cases)} agree"
