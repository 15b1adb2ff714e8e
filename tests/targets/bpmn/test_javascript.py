"""The JavaScript flavor's expressions (bpmn-engine) mean what the runtime's evaluator means, exactly.

Generated conditions and `set` scripts run in node's `vm`, as bpmn-engine runs
them, on drawn contexts; numbers are exact rationals (the flavor's prelude), so
every case must agree with `semantics.values`, division and modulo by zero
included.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.semantics.interpret import interpret
from statewright.semantics.values import VALUES, apply_sets, environment
from statewright.targets.bpmn.javascript import PRELUDE, assignment_js, expr_js
from tests.semantics.typed_exprs import typed
from tests.targets.bpmn.test_feel import CONTEXTS, KINDS, SCOPE

SCRIPT = Path(__file__).with_name("js_eval.mjs")
BATCH = 60


def run_js(cases: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Run scripts in node's vm, one process per batch; fail (never skip) without node."""
    node = shutil.which("node")
    assert node is not None, "node is not installed: it runs the bpmn-engine flavor's scripts"
    payload = [{"script": script, "variables": variables} for script, variables in cases]
    done = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def variables(context: dict[str, ir.Value]) -> dict[str, Any]:
    """Process variables as the bpmn-engine driver passes them: numbers as exact text."""
    return {
        k: str(v) if isinstance(v, int | Decimal) and not isinstance(v, bool) else v
        for k, v in context.items()
    }


def _exact(text: object) -> Fraction:
    assert isinstance(text, str), text
    return Fraction(text)


@settings(max_examples=6, deadline=None)
@given(st.data())
def test_conditions_agree_with_the_value_algebra(data: st.DataObject) -> None:
    """Random guards and numeric expressions on random contexts: every case, exactly."""
    cases: list[tuple[ir.Expr, dict[str, ir.Value]]] = []
    for _ in range(BATCH):
        expr = data.draw(typed(SCOPE, data.draw(KINDS), 3))
        cases.append((expr, data.draw(CONTEXTS)))
    scripts = []
    for expr, context in cases:
        text = expr_js(expr)
        body = f"W({text})" if expr.type in ("int", "decimal") else text
        scripts.append((f"{PRELUDE}next(null, {body});", variables(context)))
    for (expr, context), result in zip(cases, run_js(scripts), strict=True):
        exact = interpret(expr, VALUES, environment(context))
        where = f"{expr_js(expr)!r} on {context!r}: node gave {result!r}, exact {exact!r}"
        assert "error" not in result, where
        if expr.type == "bool":
            assert result["value"] is exact, where
        else:
            assert _exact(result["value"]) == Fraction(exact), where


@settings(max_examples=4, deadline=None)
@given(st.data())
def test_set_scripts_store_what_the_runtime_stores(data: st.DataObject) -> None:
    """A `set` script writes the exact value the runtime stores (rounded as the runtime rounds)."""
    cases: list[tuple[ir.Expr, dict[str, ir.Value]]] = []
    for _ in range(BATCH // 2):
        cases.append(
            (data.draw(typed(SCOPE, data.draw(st.sampled_from(["int", "decimal"])), 2)), data.draw(CONTEXTS))
        )
    scripts = [(PRELUDE + assignment_js("out", expr), variables(context)) for expr, context in cases]
    for (expr, context), result in zip(cases, run_js(scripts), strict=True):
        declared = (ir.ContextField("out", ir.FieldType(expr.type)),)
        after = apply_sets((ir.Assign("out", expr),), {**context, "out": 0}, declared)
        assert "error" not in result, result
        assert _exact(result["variables"]["out"]) == Fraction(after["out"]), (expr_js(expr), context, result)
