"""Names, documentation and expressions: XML escaping, non-ASCII, stable ids, and exact conditions."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from statewright import ir
from statewright.semantics.values import holds
from statewright.targets.bpmn.conditions import Guard, expr_python, to_feel
from statewright.targets.bpmn.graph import ncname
from statewright.targets.bpmn.target import render_bpmn
from tests.semantics.typed_exprs import Scope, typed
from tests.targets.bpmn.support import NS, xsd_errors
from tests.targets.specs import TRICKY, machine_of

SPECIAL = """workflow Special {
  doc "Ünïcode & <markup> \\"quoted\\" 'single' — ☃"
  context { label: string = "<&>" }
  events { go "go & <now>", stop }
  initial state Ready {
    reject stop "pas maintenant — «plus tard» & <bientôt>"
    doc "waits for <go> & friends — déjà vu"
    on go when label == "<&>\\"'" -> Done
    on go else -> Done
  }
  final state Done { doc "fin & <end> ✓" }
}
"""


def _documentation(text: str) -> dict[str, str]:
    root = etree.fromstring(text.encode("utf-8"))
    found: dict[str, str] = {}
    for element in root.iter():
        doc = element.find("bpmn:documentation", NS)
        if doc is not None and element.get("id"):
            found[str(element.get("id"))] = doc.text or ""
    return found


def test_special_characters_and_non_ascii_are_escaped_and_survive() -> None:
    text = render_bpmn(machine_of(SPECIAL), "spécial.wf")
    assert xsd_errors(text) == []
    assert "<markup>" not in text and "&lt;markup&gt;" in text
    docs = _documentation(text)
    assert docs["Special"].startswith("Ünïcode & <markup> \"quoted\" 'single' — ☃")
    assert docs["Ready"].startswith("waits for <go> & friends — déjà vu")
    assert "spécial.wf:5" in docs["Ready"]
    root = etree.fromstring(text.encode("utf-8"))
    process = root.find("bpmn:process", NS)
    assert process is not None and process.get("name") == "Special"
    conditions = [c.text or "" for c in root.iterfind(".//bpmn:conditionExpression", NS)]
    assert any('"<&>\\"\'"' in c for c in conditions), conditions


def test_tricky_spec_keeps_pipes_quotes_and_guillemets() -> None:
    text = render_bpmn(machine_of(TRICKY), "spec.wf")
    assert xsd_errors(text) == []
    root = etree.fromstring(text.encode("utf-8"))
    names = {e.get("name") for e in root.iter() if e.get("name")}
    assert 'label == "x|y \\"quoted\\" é"' in names


@given(st.text(min_size=1, max_size=20))
def test_ids_are_ascii_ncnames(text: str) -> None:
    made = ncname(text)
    assert made.isascii()
    assert made[0].isalpha() or made[0] == "_"
    assert all(c.isalnum() or c in "_-" for c in made)


SCOPE = Scope(
    ints=("i", "j"), decimals=("d",), bools=("b",), enums=(("e", ("red", "green")),), strings=("s",)
)
CONTEXTS = st.fixed_dictionaries(
    {
        "i": st.integers(-6, 6),
        "j": st.integers(-6, 6),
        "d": st.builds(
            lambda n, p: Decimal(n).scaleb(-p), st.integers(-(10**6), 10**6), st.sampled_from([0, 1, 2, 4])
        ),
        "b": st.booleans(),
        "e": st.sampled_from(["red", "green"]),
        "s": st.sampled_from(["", "a", "b", "other"]),
    }
)


@settings(max_examples=300)
@given(typed(SCOPE, "bool", depth=3), CONTEXTS)
def test_python_conditions_agree_with_the_runtime(expr: ir.Expr, context: dict[str, Any]) -> None:
    """The generic flavor's condition evaluates exactly as the runtime's guard evaluator does."""
    python = expr_python(expr)
    assert bool(eval(python, {"Decimal": Decimal, "Fraction": Fraction, **context})) == holds(expr, context)


@settings(max_examples=100)
@given(typed(SCOPE, "bool", depth=3))
def test_feel_conditions_are_balanced_and_python_free(expr: ir.Expr) -> None:
    feel = to_feel(Guard(expr))
    assert feel.count("(") == feel.count(")")
    assert "==" not in feel and " not in " not in feel and "Fraction" not in feel
