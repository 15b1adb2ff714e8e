"""The BPMN diagram is one a modeller would keep, measured from the DI of the generated files (issue 22).

Over every example in both flavours: no sequence flow runs through a node that is
not its source or target, no two label boxes overlap, no label lies on a foreign
shape, width:height is at most 4:1, and flows cross at most half as often as in
the layout the official `bpmn-auto-layout` (npm, run here with node) gives the
same models with their diagram removed.
"""

from __future__ import annotations

import itertools
import sys
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from statewright.pipeline import compile_text
from statewright.targets.bpmn import layering
from statewright.targets.bpmn.layering import Edge, layered
from statewright.targets.bpmn.layout import TASK_PADDING, layout, main_path, regions
from statewright.targets.bpmn.routing import Hop, order_tracks
from statewright.targets.bpmn.target import build_model, render_bpmn
from statewright.targets.bpmn.text import block, text_width, wrap
from tests.targets.bpmn.gen_specs import sources
from tests.targets.bpmn.geometry import Geometry, measure
from tests.targets.bpmn.support import NS
from tests.targets.specs import example, example_paths
from tests.tools import run_node_script

EXAMPLES = [path.stem for path in example_paths()]
FLAVORS = ("generic", "zeebe")
CASES = [(name, flavor) for name in EXAMPLES for flavor in FLAVORS]
AUTO_LAYOUT = Path(__file__).with_name("auto_layout.mjs")
MAX_RATIO = 4.0
BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"


@cache
def ours(name: str, flavor: str) -> str:
    """Our `.bpmn` text of an example."""
    return render_bpmn(example(name), f"{name}.wf", flavor)


def without_diagram(text: str) -> str:
    """The same definitions with the BPMN DI removed, as bpmn-auto-layout expects them."""
    root = etree.fromstring(text.encode("utf-8"))
    for diagram in root.findall("bpmndi:BPMNDiagram", NS):
        root.remove(diagram)
    return etree.tostring(root, encoding="unicode")


@cache
def theirs() -> dict[tuple[str, str], Geometry | str]:
    """bpmn-auto-layout's drawing of every case, measured (or its error message), in one node call."""
    laid_out = run_node_script(AUTO_LAYOUT, [without_diagram(ours(*case)) for case in CASES])
    return {
        case: (result["error"] if isinstance(result, dict) else measure(result))
        for case, result in zip(CASES, laid_out, strict=True)
    }


@pytest.mark.parametrize(("name", "flavor"), CASES)
def test_no_flow_through_a_node_no_label_clash_and_not_a_strip(name: str, flavor: str) -> None:
    found = measure(ours(name, flavor))
    assert found.flows > 0
    assert found.through_nodes == []
    assert found.label_overlaps == []
    assert found.labels_on_shapes == []
    assert found.ratio <= MAX_RATIO, f"{found.width:.0f} x {found.height:.0f}"


@pytest.mark.parametrize(("name", "flavor"), CASES)
def test_half_the_crossings_of_bpmn_auto_layout(name: str, flavor: str) -> None:
    """Per model; where bpmn-auto-layout fails on a model, per flow against its other flavour's drawing.

    bpmn-auto-layout 1.3 throws on deploy_pipeline's generic model ("Cannot read properties of
    undefined"), while it draws the Zeebe flavour of the same workflow (same states and flows).
    """
    found = measure(ours(name, flavor))
    reference = theirs()[(name, flavor)]
    if isinstance(reference, Geometry):
        assert found.crossings * 2 <= reference.crossings, (found.crossings, reference.crossings)
        return
    other = theirs()[(name, "zeebe" if flavor == "generic" else "generic")]
    assert isinstance(other, Geometry), (reference, other)
    assert found.crossings / found.flows * 2 <= other.crossings / other.flows, (found, other)


def test_bpmn_auto_layout_is_really_measured() -> None:
    """The comparison is against real drawings: bpmn-auto-layout's own flows do run through nodes."""
    drawn = [found for found in theirs().values() if isinstance(found, Geometry)]
    assert len(drawn) >= len(CASES) - 1
    assert sum(len(found.through_nodes) for found in drawn) > 0
    assert all(found.crossings > 0 for found in drawn)


def test_every_labelled_event_gateway_and_flow_has_its_label_box() -> None:
    for name in EXAMPLES:
        root = etree.fromstring(ours(name, "generic").encode("utf-8"))
        labelled = {
            element.get("bpmnElement")
            for element in root.iterfind(".//bpmndi:*", NS)
            if element.find("bpmndi:BPMNLabel/dc:Bounds", NS) is not None
        }
        for element in root.iterfind(".//bpmn:*[@name]", NS):
            kind = etree.QName(element).localname
            wants = kind == "sequenceFlow" or kind.endswith("Event") or kind.endswith("Gateway")
            if wants and (element.get("name") or "").strip():
                assert element.get("id") in labelled, (name, element.get("id"))


def test_task_boxes_hold_their_names() -> None:
    """Every task is wide and tall enough for its name wrapped inside it; long names widen the box."""
    widened = 0
    for name in EXAMPLES:
        model, _ = build_model(example(name), f"{name}.wf")
        placed = layout(model)
        for node in model.nodes:
            if not node.kind.endswith("Task"):
                continue
            _, _, width, height = placed.bounds[node.id]
            text_w, text_h = block(node.name, width - 2 * TASK_PADDING, 12)
            assert text_w <= width - 2 * TASK_PADDING and text_h <= height - 2 * TASK_PADDING, node
            widened += width > 100
    assert widened > 0


def test_layout_is_byte_identical_per_run() -> None:
    model, _ = build_model(example("deploy_pipeline"), "deploy_pipeline.wf")
    assert layout(model) == layout(model)


def test_nested_tracks_do_not_cross() -> None:
    """Fanning out downwards: the flow going furthest takes the leftmost track, so none crosses."""
    hops = [Hop("through", 0, 100), Hop("through", 0, 300), Hop("through", 0, 200)]
    tracks = order_tracks(hops)
    assert tracks == [2, 0, 1]
    assert order_tracks([Hop("through", 50, 50)]) == [-1]


@settings(max_examples=40, deadline=None, database=None)
@given(st.text(alphabet="ab cdWM_.-1", max_size=80), st.integers(min_value=30, max_value=200))
def test_wrapped_lines_fit_their_width(text: str, width: int) -> None:
    lines = wrap(text, width, 11)
    assert all(text_width(line, 11) <= width or len(line) == 1 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "").replace("\t", "")


def test_a_large_spec_stays_near_linear_and_clean() -> None:
    """Long flows (every state's `cancel` to one shared node) go on the bus: dummies stay bounded."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from synth import spec  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(BENCHMARKS))
    machine = compile_text(spec(120), "synth.wf").machine
    assert machine is not None
    model, _ = build_model(machine, "synth.wf")
    scope = model.process_id
    anchor = {n.id: n.attached_to or n.id for n in model.in_scope(scope)}
    edges = [Edge(f.id, anchor[f.source], anchor[f.target]) for f in model.flows if f.scope == scope]
    nodes = [n.id for n in model.in_scope(scope) if n.kind != "boundaryEvent"]
    placed = layered(nodes, edges, {})
    dummies = sum(len(chain) for chain in placed.chains.values())
    assert placed.bus
    assert dummies <= max(layering.MIN_DUMMIES, layering.DUMMIES_PER_ELEMENT * len(edges))
    found = measure(render_bpmn(machine, "synth.wf"))
    assert found.through_nodes == []
    assert found.label_overlaps == []
    assert found.labels_on_shapes == []
    assert found.ratio <= MAX_RATIO


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.lists(sources(), min_size=6, max_size=6))
def test_drawn_workflows_are_clean_too(texts: list[str]) -> None:
    """Any workflow: no flow through a node, no label on another label or a foreign shape."""
    for text in texts:
        machine = compile_text(text, "gen.wf").machine
        if machine is None:
            continue
        for flavor in FLAVORS:
            found = measure(render_bpmn(machine, "gen.wf", flavor))
            assert found.through_nodes == [], text
            assert found.label_overlaps == [], text
            assert found.labels_on_shapes == [], text


def test_main_path_is_one_straight_row_within_each_band() -> None:
    """Consecutive main-path nodes share their centre line unless the flow between them wraps a band."""
    for name in EXAMPLES:
        model, _ = build_model(example(name), f"{name}.wf")
        placed = layout(model)
        top = [n for n in model.in_scope(model.process_id) if n.kind != "boundaryEvent"]
        path = main_path(model, top)
        assert len(path) > 3, name
        for a, b in itertools.pairwise(path):
            ax, ay, _, ah = placed.bounds[a]
            bx, by, _, bh = placed.bounds[b]
            if bx > ax:  # the same band
                assert ay + ah // 2 == by + bh // 2, (name, a, b)


def test_each_parallel_region_keeps_its_own_rows() -> None:
    """In every layer of a sub-process, the nodes of a lower-numbered region lie above the others'."""
    model, _ = build_model(example("deploy_pipeline"), "deploy_pipeline.wf")
    placed = layout(model)
    checked = 0
    for sub in (n for n in model.nodes if n.kind == "subProcess"):
        inner = model.in_scope(sub.id)
        anchor = {n.id: n.attached_to or n.id for n in inner}
        region = regions(model, [n for n in inner if n.kind != "boundaryEvent"], anchor)
        main = set(main_path(model, [n for n in inner if n.kind != "boundaryEvent"]))
        columns: dict[int, list[tuple[int, int]]] = {}
        for node_id, index in region.items():
            if node_id in main:
                continue
            x, y, w, _ = placed.bounds[node_id]
            columns.setdefault(x + w // 2, []).append((y, index))
        for stacked in columns.values():
            top_down = [index for _, index in sorted(stacked)]
            assert top_down == sorted(top_down), (sub.id, stacked)
            checked += len(set(top_down)) > 1
    assert checked > 0
