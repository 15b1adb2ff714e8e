"""Which part of a guard is a Choice rule and which the evaluator computes, decided by `interpret`.

`test_choice.py` checks that the translated rule, with the evaluator's results,
agrees with the runtime. These check the split itself: whatever a Choice rule
can say (a field against a constant or a field, of any type, under and/or/not,
`in`, promotion, constants computed now) needs no evaluator, and what is
offloaded is always a smallest boolean part of the guard that no rule can say,
reported (SW921) where the spec wrote it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.plugins.api import TargetOptions
from statewright.semantics.interpret import interpret
from statewright.semantics.values import holds
from statewright.targets.asl.choice import ChoiceAlgebra, Field, condition, truth
from statewright.targets.asl.target import AslTarget
from tests.semantics.typed_exprs import DECIMAL_LITERALS, INT_LITERALS, STRING_LITERALS, typed
from tests.targets.asl.support import example
from tests.targets.asl.test_choice import SCOPE, contexts, run_rule, state_data

VI, VJ, VD, VE = ir.Var("i", "int"), ir.Var("j", "int"), ir.Var("d", "decimal"), ir.Var("e", "decimal")
VB, VCOLOUR, VS = ir.Var("b", "bool"), ir.Var("colour", "enum"), ir.Var("s", "string")
NUMBERS = st.sampled_from([VI, VJ, VD, VE])
ORDERS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


def _number_lit(value: int | Decimal) -> ir.Expr:
    if isinstance(value, Decimal):
        return ir.Lit(value, "decimal")
    return ir.Lit(abs(value), "int") if value >= 0 else ir.Unary("-", ir.Lit(-value, "int"), "int")


def _constant_arithmetic() -> st.SearchStrategy[ir.Expr]:
    """A number computed from literals only (`2 * 3`, `-1`), which a rule compares as the constant it is."""
    lits = st.one_of(INT_LITERALS, DECIMAL_LITERALS).map(_number_lit)
    return st.one_of(
        lits,
        st.builds(
            lambda a, b: ir.BinOp("*", a, b, "decimal" if "decimal" in (a.type, b.type) else "int"),
            lits,
            lits,
        ),
    )


def _comparison(op: str, left: ir.Expr, right: ir.Expr, flip: bool) -> ir.Expr:
    a, b = (right, left) if flip else (left, right)
    return ir.BinOp(op, a, b, "bool")  # type: ignore[arg-type]


def _plain_atoms() -> st.SearchStrategy[ir.Expr]:
    """Every kind of test a Choice rule can make by itself."""
    numbers = st.builds(_comparison, ORDERS, NUMBERS, NUMBERS | _constant_arithmetic(), st.booleans())
    texts = st.builds(
        _comparison,
        st.sampled_from(["==", "!="]),
        st.just(VS),
        st.sampled_from(STRING_LITERALS).map(lambda v: ir.Lit(v, "string")) | st.just(VS),
        st.booleans(),
    )
    enums = st.builds(
        _comparison,
        st.sampled_from(["==", "!="]),
        st.just(VCOLOUR),
        st.sampled_from(["red", "blue"]).map(lambda v: ir.Lit(v, "enum")),
        st.booleans(),
    )
    bools = st.one_of(
        st.just(VB),
        st.builds(
            _comparison,
            st.sampled_from(["==", "!="]),
            st.just(VB),
            st.booleans().map(lambda v: ir.Lit(v, "bool")),
            st.booleans(),
        ),
    )
    members = st.builds(
        lambda operand, values, negated: ir.In(operand, tuple(values), negated),
        NUMBERS,
        st.lists(
            st.one_of(
                INT_LITERALS.filter(lambda v: v >= 0).map(lambda v: ir.Lit(v, "int")),
                DECIMAL_LITERALS.map(lambda v: ir.Lit(v, "decimal")),
            ),
            min_size=1,
            max_size=3,
        ),
        st.booleans(),
    )
    return st.one_of(numbers, texts, enums, bools, members)


PLAIN = st.recursive(
    _plain_atoms(),
    lambda inner: st.one_of(
        inner.map(lambda e: ir.Unary("not", e, "bool")),
        st.builds(lambda op, a, b: ir.BinOp(op, a, b, "bool"), st.sampled_from(["and", "or"]), inner, inner),
    ),
    max_leaves=6,
)


def _offloads(guard: ir.Expr) -> tuple[dict[str, Any], list[ir.Expr]]:
    offloaded: list[ir.Expr] = []

    def offload(expr: ir.Expr) -> str:
        offloaded.append(expr)
        return f"$.guards.g{len(offloaded)}"

    return condition(guard, offload), offloaded


@settings(max_examples=300)
@given(PLAIN, contexts)
def test_what_a_rule_can_test_needs_no_evaluator(guard: ir.Expr, context: dict[str, ir.Value]) -> None:
    """Comparisons with constants or fields, `in`, enums, strings, bools, `not`: no evaluator, same answer."""
    rule, offloaded = _offloads(guard)
    assert offloaded == []
    assert run_rule(rule, {"context": state_data(context)}) == holds(guard, context)


def _subexpressions(expr: ir.Expr) -> list[ir.Expr]:
    found = [expr]
    match expr:
        case ir.Unary(operand=operand) | ir.In(operand=operand):
            found += _subexpressions(operand)
        case ir.BinOp(left=left, right=right):
            found += _subexpressions(left) + _subexpressions(right)
    return found


@settings(max_examples=300)
@given(typed(SCOPE, "bool", 3))
def test_only_the_smallest_parts_no_rule_can_say_are_offloaded(guard: ir.Expr) -> None:
    """Each offloaded expression is a boolean part of the guard, not a connective, and no rule by itself."""
    _, offloaded = _offloads(guard)
    parts = _subexpressions(guard)
    for expr in offloaded:
        assert expr.type == "bool" and any(expr is part for part in parts)
        assert not (isinstance(expr, ir.BinOp) and expr.op in ("and", "or"))
        assert not (isinstance(expr, ir.Unary) and expr.op == "not")
        algebra = ChoiceAlgebra()
        env = {name: Field(f"$.context.{name}", "Numeric") for name in ("i", "j", "d", "e")}
        env |= {"b": Field("$.context.b", "Boolean"), "colour": Field("$.context.colour", "String")}
        env |= {"s": Field("$.context.s", "String")}
        assert truth(interpret(expr, algebra, env)) is None


def test_negated_order_tests_and_field_order() -> None:
    """`a <= b` is `not (b < a)` in the language; the rule reads as written, on the field named first."""
    assert condition(ir.BinOp("<=", VI, VJ, "bool"), _never) == {
        "Variable": "$.context.i",
        "NumericLessThanEqualsPath": "$.context.j",
    }
    assert condition(ir.BinOp(">", VJ, VI, "bool"), _never) == {
        "Variable": "$.context.j",
        "NumericGreaterThanPath": "$.context.i",
    }
    assert condition(ir.Unary("not", ir.BinOp("<", VI, ir.Lit(3, "int"), "bool"), "bool"), _never) == {
        "Variable": "$.context.i",
        "NumericGreaterThanEquals": 3,
    }
    assert condition(ir.BinOp("!=", VCOLOUR, ir.Lit("red", "enum"), "bool"), _never) == {
        "Not": {"Variable": "$.context.colour", "StringEquals": "red"}
    }


def test_constants_are_computed_now_and_keep_their_digits() -> None:
    """`d < 2 * 1.50` compares with 3; `i in {1, 2.50}` promotes `i` and keeps the spec's `2.50`."""
    product = ir.BinOp("*", ir.Lit(2, "int"), ir.Lit(Decimal("1.50"), "decimal"), "decimal")
    assert condition(ir.BinOp("<", VD, product, "bool"), _never) == {
        "Variable": "$.context.d",
        "NumericLessThan": Decimal("3"),
    }
    member = ir.In(VI, (ir.Lit(1, "int"), ir.Lit(Decimal("2.50"), "decimal")), False)
    assert condition(member, _never) == {
        "Or": [
            {"Variable": "$.context.i", "NumericEquals": 1},
            {"Variable": "$.context.i", "NumericEquals": Decimal("2.50")},
        ]
    }


def test_a_quotient_with_no_finite_decimal_is_offloaded() -> None:
    """`d < 1 / 3` has no exact JSON number to compare with: the evaluator decides it."""
    third = ir.BinOp("/", ir.Lit(Decimal("1"), "decimal"), ir.Lit(3, "int"), "decimal")
    guard = ir.BinOp("<", VD, third, "bool")
    _, offloaded = _offloads(guard)
    assert offloaded == [guard]


def _never(expr: ir.Expr) -> str:
    raise AssertionError(f"offloaded {expr!r}")


def test_an_evaluator_note_cites_the_offloaded_comparison() -> None:
    """SW921 points at the comparison the evaluator computes, on its own line of the spec."""
    machine = example("data_pipeline")
    output = AslTarget().generate(machine, TargetOptions(source_name="data_pipeline.wf"))
    notes = {d.message.split("`")[1]: d.span for d in output.diagnostics if d.code == "SW921"}
    lines = {text: span.line for text, span in notes.items() if span is not None}
    assert (
        lines["amount_delta - amount_offset >= -amount_tolerance"] + 1
        == lines["amount_delta - amount_offset <= amount_tolerance"]
    )
    assert all(line > 1 for line in lines.values()), lines
