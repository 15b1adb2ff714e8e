"""The `bpmn-svg` picture: well-formed SVG, one shape per node and one line per flow, stable, escaped."""

from __future__ import annotations

from lxml import etree

from statewright.plugins.api import TargetOptions
from statewright.plugins.manager import PluginManager
from statewright.targets.bpmn.layout import layout
from statewright.targets.bpmn.svg import render_svg
from statewright.targets.bpmn.target import build_model
from tests.targets.bpmn.test_text import SPECIAL
from tests.targets.specs import example, machine_of

SVG = {"svg": "http://www.w3.org/2000/svg"}


def _picture(text: str) -> tuple[etree._Element, int, int]:
    machine = machine_of(text) if text.startswith("workflow") else example(text)
    model, _ = build_model(machine, "spec.wf")
    return (
        etree.fromstring(render_svg(model, layout(model)).encode("utf-8")),
        len(model.nodes),
        len(model.flows),
    )


def test_one_shape_per_node_and_one_line_per_flow() -> None:
    for name in ("order_fulfilment", "deploy_pipeline"):
        root, nodes, flows = _picture(name)
        assert len(root.findall("svg:g", SVG)) == nodes
        assert len(root.findall("svg:polyline", SVG)) == flows


def test_text_is_escaped_and_kept() -> None:
    root, _, _ = _picture(SPECIAL)
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert 'label == "<&>\\"\'"' in titles


def test_target_is_registered_and_deterministic() -> None:
    target = PluginManager(entry_points=False).targets()["bpmn-svg"]
    first = target.generate(example("expense_approval"), TargetOptions("e.wf"))
    again = target.generate(example("expense_approval"), TargetOptions("e.wf"))
    assert [a.path for a in first.artifacts] == ["ExpenseApproval.bpmn.svg"]
    assert first == again


def test_attributes_are_svg_names_so_labels_are_centred() -> None:
    """Regression: `text_anchor` was written as is, so SVG ignored it and labels started at their centre."""
    for name in ("order_fulfilment", "deploy_pipeline", "expense_approval"):
        root, _, _ = _picture(name)
        names = {attribute for element in root.iter() for attribute in element.attrib}
        assert not [attribute for attribute in names if "_" in attribute]
        texts = list(root.iter("{http://www.w3.org/2000/svg}text"))
        assert texts
        assert all(text.get("text-anchor") == "middle" for text in texts)
