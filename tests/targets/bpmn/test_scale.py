"""The BPMN target at scale (issue 20): the linear passes give what the quadratic ones gave.

Each fast path is compared with the straightforward definition it replaced, on
the examples, on generated specs and on models made to stress it (every message
merged into one, so every catch pairs with every other).
"""

from __future__ import annotations

import dataclasses
import re
from itertools import combinations
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.synth import spec
from statewright import ir
from statewright.pipeline import compile_text
from statewright.targets.bpmn import checks
from statewright.targets.bpmn.graph import Graph, UniqueNames, enter, ncname
from statewright.targets.bpmn.model import Model, Node
from statewright.targets.bpmn.resolve import Resolver
from statewright.targets.bpmn.target import build_model
from statewright.targets.bpmn.textxml import XmlText, attributes_text
from tests.targets.bpmn.gen_specs import sources
from tests.targets.bpmn.test_messages import merged
from tests.targets.specs import example, example_paths

EXAMPLES = [path.stem for path in example_paths()]


def every_pair(model: Model) -> list[tuple[str, str, str]]:
    """SW950 by its definition: the first concurrent pair of each message's catches, over every pair."""
    catches: dict[str, list[Node]] = {}
    for node in model.nodes:
        waits = node.kind in ("intermediateCatchEvent", "boundaryEvent", "startEvent")
        if waits and node.event is not None and node.event.kind == "message" and node.event.ref:
            catches.setdefault(node.event.ref, []).append(node)
    branches = checks._branches(model)
    found: list[tuple[str, str, str]] = []
    for ref, nodes in catches.items():
        for first, second in combinations(nodes, 2):
            if checks._concurrent(model, branches, first, second):
                found.append((ref, first.id, second.id))
                break
    return found


def one_message(model: Model) -> Model:
    """The model with every message catch and throw naming one message: every catch meets every other."""
    messages = [root for root in model.roots if root.kind == "message"]
    if not messages:
        return model
    ref = messages[0].id
    nodes = tuple(
        dataclasses.replace(node, event=dataclasses.replace(node.event, ref=ref))
        if node.event is not None and node.event.kind == "message"
        else node
        for node in model.nodes
    )
    return dataclasses.replace(model, nodes=nodes)


def fast(model: Model) -> list[tuple[str, str, str]]:
    """What `checks.shared_messages` reports, as (message name, first, second)."""
    names = {root.id: root.name for root in model.roots}
    refs = {name: ref for ref, name in names.items()}
    found = []
    for finding in checks.shared_messages(model):
        name, first, second = re.findall(r"`([^`]*)`", finding.message)
        found.append((refs[name], first, second))
    return found


def assert_same_findings(model: Model) -> None:
    """The filtered check finds exactly the pairs the all-pairs definition finds."""
    for variant in (model, merged(model), one_message(model)):
        assert fast(variant) == every_pair(variant)


def test_shared_messages_matches_every_pair_on_the_examples() -> None:
    for name in EXAMPLES:
        for flavor in ("generic", "zeebe"):
            model, _ = build_model(example(name), "", flavor)
            assert_same_findings(model)


def test_the_stressed_deploy_pipeline_still_reports() -> None:
    """Regions, boundaries and one merged message: the filter keeps the concurrent catches."""
    model, _ = build_model(example("deploy_pipeline"))
    assert every_pair(one_message(model))
    assert fast(one_message(model)) == every_pair(one_message(model))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(sources())
def test_shared_messages_matches_every_pair_on_generated_specs(source: str) -> None:
    result = compile_text(source, "gen.wf")
    if result.machine is None:
        return
    model, _ = build_model(result.machine)
    assert_same_findings(model)


def first_free(used: set[str], base: str) -> str:
    """`Graph.fresh` by its definition: `base`, else `base_2`, `base_3`, ... the first not taken."""
    candidate = ncname(base)
    unique, number = candidate, 2
    while unique in used:
        unique = f"{candidate}_{number}"
        number += 1
    return unique


@given(st.lists(st.sampled_from(["a", "a_2", "a_3", "b", "a b", "a-b", "Flow_a", "1"]), max_size=40))
def test_fresh_gives_the_first_free_id(bases: list[str]) -> None:
    graph = Graph("Process")
    used = {"Process"}
    for base in bases:
        expected = first_free(used, base)
        assert graph.fresh(base) == expected
        used.add(expected)


def test_shared_messages_tests_few_pairs_on_a_big_sequential_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    """A regression guard without a clock: on a long sequential spec, no pair of catches is tested.

    Testing every pair of one message's catches was quadratic (tens of thousands of pairs
    at 300 states, 37 million at 10,000); none of them can be concurrent there.
    """
    machine = compile_text(spec(300), "synthetic.wf").machine
    assert machine is not None
    model, _ = build_model(machine)
    calls: list[tuple[Node, Node]] = []
    original = checks._concurrent

    def counted(model: Model, branches: dict[str, dict[str, frozenset[int]]], a: Node, b: Node) -> bool:
        calls.append((a, b))
        return original(model, branches, a, b)

    monkeypatch.setattr(checks, "_concurrent", counted)
    assert checks.shared_messages(model) == []
    assert len(calls) == 0


class CountingSet(set[str]):
    """A set that counts membership tests."""

    tests = 0

    def __contains__(self, item: object) -> bool:
        CountingSet.tests += 1
        return super().__contains__(item)


def test_fresh_tries_each_number_once() -> None:
    """Many ids (or escalation codes) from one base: each call tests a constant number of candidates."""
    names = UniqueNames(["Process"])
    names._used = CountingSet(names._used)
    for _ in range(500):
        names.claim("Flow_x")
    assert CountingSet.tests <= 3 * 500
    graph = Graph("Process")
    assert [graph.fresh("Flow x") for _ in range(3)] == ["Flow_x", "Flow_x_2", "Flow_x_3"]


XML_CHARS = st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\ufffe\uffff").filter(
    lambda c: c in "\t\n\r" or ord(c) >= 0x20
)
Tree = tuple[str, list[tuple[str, str]], "str | list[Tree] | None"]


def trees(depth: int = 3) -> st.SearchStrategy[Tree]:
    """Random elements: a tag, attributes, and either text (maybe empty), nothing, or children."""
    names = st.sampled_from(["a", "b", "bpmn:task", "di:waypoint"])
    attributes = st.lists(st.tuples(st.sampled_from(["id", "name", "x"]), st.text(XML_CHARS, max_size=8)))
    unique = attributes.map(lambda pairs: list(dict(pairs).items()))
    body: st.SearchStrategy[str | list[Tree] | None] = st.one_of(st.none(), st.text(XML_CHARS, max_size=8))
    if depth:
        body = st.one_of(body, st.lists(st.deferred(lambda: trees(depth - 1)), min_size=1, max_size=3))
    return st.tuples(names, unique, body)


def with_lxml(tree: Tree) -> str:
    """The document as lxml writes it: the tree indented by two spaces, declaration, final newline."""
    from lxml import etree

    prefixes = {"bpmn": "urn:bpmn", "di": "urn:di"}

    def qualified(tag: str) -> str:
        prefix, _, local = tag.rpartition(":")
        return f"{{{prefixes[prefix]}}}{local}" if prefix else local

    def build(parent: etree._Element | None, node: Tree) -> etree._Element:
        tag, attributes, body = node
        made = (
            etree.Element(qualified(tag), nsmap=prefixes)
            if parent is None
            else etree.SubElement(parent, qualified(tag))
        )
        for name, value in attributes:
            made.set(name, value)
        if isinstance(body, list):
            for child in body:
                build(made, child)
        elif body is not None:
            made.text = body
        return made

    root = build(None, tree)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8") + "\n"


def with_writer(tree: Tree) -> str:
    """The same document through `XmlText`."""
    tag, attributes, body = tree
    declared = [("xmlns:bpmn", "urn:bpmn"), ("xmlns:di", "urn:di")]
    out = XmlText(f"<{tag}" + attributes_text([*declared, *attributes]))

    def write(node: Tree) -> None:
        tag, attributes, body = node
        if isinstance(body, list):
            out.start(tag, attributes_text(attributes))
            for child in body:
                write(child)
            out.end()
        else:
            out.leaf(tag, attributes_text(attributes), body)

    for child in body if isinstance(body, list) else ():
        write(child)
    if isinstance(body, str):  # a root with text: not written by the BPMN writer
        return with_lxml(tree)
    return out.text()


@settings(max_examples=300, deadline=None)
@given(trees())
def test_the_text_writer_writes_lxml_s_bytes(tree: Tree) -> None:
    tag, _, body = tree
    assert with_writer((tag, [], body)) == with_lxml((tag, [], body))
    assert with_writer(tree) == with_lxml(tree)


def events_by_definition(resolver: Resolver, levels: list[str]) -> list[str]:
    """`Resolver.events_of` as it was written: scan every level's refusals and every machine event."""
    dispatch = resolver.dispatch
    mentioned: set[str] = set()
    for level in levels:
        for event in dispatch.own.get(level, ()):
            if (level, event) in dispatch.on_event or any(
                refusal.kind == "ignore" for refusal in dispatch.refusals.get((level, event), ())
            ):
                mentioned.add(event)
    return [event.name for event in resolver.machine.events if event.name in mentioned]


def assert_same_events(machine: ir.Machine) -> None:
    """For every leaf's chain (and each suffix of it), the indexed answer is the scanning one."""
    resolver = Resolver(machine)
    for state in machine.states:
        chain = resolver.inner_chain(state.name)
        for start in range(len(chain)):
            assert resolver.events_of(chain[start:]) == events_by_definition(resolver, chain[start:])


def test_events_of_matches_its_definition_on_the_examples() -> None:
    for name in EXAMPLES:
        assert_same_events(example(name))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(sources())
def test_events_of_matches_its_definition_on_generated_specs(source: str) -> None:
    result = compile_text(source, "gen.wf")
    if result.machine is not None:
        assert_same_events(result.machine)


def test_hops_are_built_once_whatever_the_placements_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each placement try needs only track counts; the hops are built once, for the rows kept."""
    from statewright.targets.bpmn import layout as layout_module
    from statewright.targets.bpmn import routing

    machine = compile_text(spec(300), "synthetic.wf").machine
    assert machine is not None
    model, _ = build_model(machine)
    inside: list[str] = []
    built: dict[str, int] = {"route": 0, "frame": 0, "elsewhere": 0}
    routed: list[int] = []
    placements: list[object] = []
    route, frame, place = layout_module._route, layout_module._frame, layout_module._place_rows

    def counted_hop(*args: Any) -> routing.Hop:
        built[inside[-1] if inside else "elsewhere"] += 1
        return routing.Hop(*args)

    def counted_route(*args: Any) -> Any:
        inside.append("route")
        found = route(*args)
        inside.pop()
        routed.append(sum(len(channel) for channel in found[0]))
        return found

    def counted_frame(*args: Any) -> Any:
        inside.append("frame")
        found = frame(*args)
        inside.pop()
        return found

    def counted_place(*args: Any) -> Any:
        placements.append(args)
        return place(*args)

    monkeypatch.setattr(layout_module, "Hop", counted_hop)
    monkeypatch.setattr(layout_module, "_route", counted_route)
    monkeypatch.setattr(layout_module, "_frame", counted_frame)
    monkeypatch.setattr(layout_module, "_place_rows", counted_place)
    layout_module.layout(model)
    assert len(placements) > len(routed)  # rows were placed again (bands) in some scope
    assert built["route"] == sum(routed)
    assert built["elsewhere"] == 0


@st.composite
def two_layers(draw: st.DrawFn) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """Two adjacent layers and the links from the left one to the right one."""
    left = [f"l{i}" for i in range(draw(st.integers(0, 5)))]
    right = [f"r{i}" for i in range(draw(st.integers(0, 5)))]
    after = {v: draw(st.lists(st.sampled_from(right), unique=True)) if right else [] for v in left}
    return left, right, after


@given(two_layers())
def test_crossings_between_counts_every_crossing_pair(
    layers: tuple[list[str], list[str], dict[str, list[str]]],
) -> None:
    """The counted crossings (with the one-vertex shortcut) are the pairs of links that cross."""
    from statewright.targets.bpmn.ordering import crossings_between

    left, right, after = layers
    links = [(left.index(a), right.index(b)) for a in left for b in after[a]]
    crossing = sum(1 for (a, b), (c, d) in combinations(links, 2) if (a - c) * (b - d) < 0)
    assert crossings_between(left, right, after) == crossing


def test_finish_copies_only_the_flows_it_resolves() -> None:
    """Resolving placeholders copies the flows that had one; the others are kept as they are."""
    graph = Graph("Process")
    start = graph.node("Start", "startEvent", "", "Process", "start")
    task = graph.node("Task", "scriptTask", "task", "Process", "action", state="A")
    end = graph.node("End", "endEvent", "", "Process", "end")
    graph.entries["A"] = task
    graph.link(start, enter("A"))
    graph.link(task, end)
    direct = graph.flows[1]
    model = graph.finish("P", "")
    assert [(f.source, f.target) for f in model.flows] == [(start, task), (task, end)]
    assert model.flows[1] is direct


def test_a_document_of_many_chunks_is_written_whole() -> None:
    """Past CHUNK pieces the writer joins what it has; the document is still lxml's, byte for byte."""
    from statewright.targets.bpmn.textxml import CHUNK

    leaves: list[Tree] = [("a", [("id", f"n{i}")], None if i % 3 else f"t&{i}") for i in range(CHUNK)]
    nested: list[Tree] = [("b", [], leaves[i : i + 100]) for i in range(0, CHUNK, 100)]
    tree: Tree = ("bpmn:task", [("x", "1")], nested)
    assert with_writer(tree) == with_lxml(tree)
