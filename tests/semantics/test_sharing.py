"""Nested division and modulo stay linear in every stage (issue 16).

`interpret` writes the total division and floor modulo with an operand used more
than once; without sharing, `d / (d / (d / ...))` doubled the BPMN text, the
python module's guard and the runtime's evaluation work per level (31 levels, a
383-byte spec, exhausted 23 GB). Sizes and counts are asserted, never times.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.pipeline import compile_text
from statewright.plugins.api import TargetOptions
from statewright.plugins.manager import get_plugin_manager
from statewright.runtime.staging import STAGING, Staged
from statewright.semantics.interpret import interpret
from statewright.semantics.values import Term, environment, evaluate

DEPTHS = (4, 8, 12)
"""Nesting depths compared: small enough that the old exponential growth fails fast, not out of memory."""


def nested(depth: int, op: str) -> str:
    """`d OP (d OP (... d))` with `depth` operators."""
    text = "d"
    for _ in range(depth):
        text = f"d {op} ({text})"
    return text


def spec(depth: int, op: str) -> str:
    """A workflow whose guard and `set` nest `depth` divisions (or modulos)."""
    kind, one = ("int", "1") if op == "%" else ("decimal", "1.0")
    expr = nested(depth, op)
    return (
        f"workflow N {{\n  context {{ d: {kind} 1..9 = {one}  r: {kind} = {one} }}\n  events {{ go }}\n"
        f"  initial state A {{\n    on go when {expr} > {one} -> B {{ set r = {expr} }}\n"
        f"    on go else -> B\n    timeout 1h -> B\n  }}\n  final state B\n}}\n"
    )


def _machine(depth: int, op: str) -> ir.Machine:
    result = compile_text(spec(depth, op))
    assert result.machine is not None, result.diagnostics
    return result.machine


def _size(target: str, machine: ir.Machine) -> int:
    output = get_plugin_manager().targets()[target].generate(machine, TargetOptions(source_name="n.wf"))
    return sum(len(artifact.content) for artifact in output.artifacts)


@pytest.mark.parametrize("op", ["/", "%"])
@pytest.mark.parametrize(
    "target", ["python", "bpmn", "bpmn-zeebe", "asl", "ir", "table", "mermaid", "pytest"]
)
def test_generated_size_grows_linearly_with_nesting(target: str, op: str) -> None:
    small, middle, large = (_size(target, _machine(depth, op)) for depth in DEPTHS)
    first, second = middle - small, large - middle
    # Equal steps in depth add (about) equal text: doubling per level would make `second` ~1000x `first`.
    assert second <= 2 * first + 200, (target, small, middle, large)


def _guard(depth: int, op: str) -> ir.Expr:
    (transition,) = [t for t in _machine(depth, op).transitions if t.guard is not None]
    assert transition.guard is not None
    return transition.guard


def _read_d(env: Mapping[str, Term]) -> Term:
    return env["d"]


class _Counting(dict[str, Term]):
    """An evaluation environment that counts how often the field is read."""

    reads = 0

    def __getitem__(self, key: str) -> Term:
        if key == "d":
            type(self).reads += 1
        return super().__getitem__(key)


def _reads(depth: int, op: str, value: ir.Value) -> int:
    expr = _guard(depth, op)
    variables: dict[str, Staged] = {"d": _read_d}
    staged = interpret(expr, STAGING, variables)
    _Counting.reads = 0
    staged(_Counting(environment({"d": value})))
    return _Counting.reads


@pytest.mark.parametrize(("op", "value"), [("/", Decimal("3")), ("%", 3)])
def test_the_runtime_reads_each_operand_once_per_occurrence(op: str, value: ir.Value) -> None:
    """The staged guard evaluates a shared divisor once: work linear in the depth, not 2^depth."""
    counts = [_reads(depth, op, value) for depth in DEPTHS]
    assert counts[2] - counts[1] <= 2 * (counts[1] - counts[0]) + 4, counts
    assert counts[2] <= 4 * (DEPTHS[2] + 1), counts


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.sampled_from(["/", "%"]), st.integers(-9, 9))
def test_shared_staging_computes_what_the_evaluator_computes(depth: int, op: str, d: int) -> None:
    expr = _guard(depth, op)
    context: Mapping[str, ir.Value] = {"d": Decimal(d) if op == "/" else d}
    variables: dict[str, Staged] = {"d": _read_d}
    staged = interpret(expr, STAGING, variables)
    assert bool(staged(environment(context))) == evaluate(expr, context)
