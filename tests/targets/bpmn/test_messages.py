"""One BPMN message, one waiting receiver: per-region messages, and the static check (SW950) that holds it.

A BPMN message is correlated to one waiting receiver (Camunda 8, bpmn-engine),
while a statewright event reaches every region that handles it. The target gives
each receiving region a message of its own and `checks.shared_messages` reads
the finished graph to prove no message has two catch events waiting at once.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings

from statewright.pipeline import compile_text
from statewright.targets.bpmn import checks
from statewright.targets.bpmn.model import Model, Root
from statewright.targets.bpmn.protocol import process_map
from statewright.targets.bpmn.target import build_model
from tests.targets.bpmn.gen_specs import sources
from tests.targets.specs import example, example_paths

EXAMPLES = [path.stem for path in example_paths()]


def merged(model: Model) -> Model:
    """The model as it was generated before: one message per IR event, whatever region receives it."""
    by_event: dict[str, Root] = {}
    renamed: dict[str, str] = {}
    for root in model.roots:
        if root.kind == "message" and root.event is not None:
            keep = by_event.setdefault(root.event, root)
            renamed[root.id] = keep.id
    nodes = tuple(
        dataclasses.replace(node, event=dataclasses.replace(node.event, ref=renamed[node.event.ref]))
        if node.event is not None and node.event.ref in renamed
        else node
        for node in model.nodes
    )
    roots = tuple(r for r in model.roots if r.id not in renamed or renamed[r.id] == r.id)
    return dataclasses.replace(model, nodes=nodes, roots=roots)


@pytest.mark.parametrize("flavor", ["generic", "zeebe"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_no_message_has_two_waiting_receivers(name: str, flavor: str) -> None:
    model, lowering = build_model(example(name), "", flavor)
    assert checks.shared_messages(model) == []
    assert "SW950" not in lowering.codes()


def test_one_message_per_event_is_caught_by_the_check() -> None:
    """The deploy pipeline's `load_passed` reaches two regions: one shared message is SW950."""
    model, _ = build_model(example("deploy_pipeline"))
    found = checks.shared_messages(merged(model))
    messages = {f.message.split("`")[1] for f in found}
    assert {"load_passed@HealthChecks", "health_green@HealthChecks"} <= messages
    assert all(f.code.code == "SW950" for f in found)


def test_every_receiving_region_gets_its_own_message_and_the_map_lists_them() -> None:
    machine = example("deploy_pipeline")
    messages = process_map(machine).messages
    assert messages["load_passed"] == ("load_passed@HealthChecks", "load_passed@LoadTests")
    assert messages["health_green"] == ("health_green@HealthChecks", "health_green@LoadTests")
    assert messages["abort"] == ("abort",)
    model, _ = build_model(machine)
    emits = [n for n in model.nodes if n.role == "emit"]
    names = {r.id: r.name for r in model.roots}
    thrown = [names[n.event.ref] for n in emits if n.event and n.event.ref]
    assert thrown.count("health_green@HealthChecks") == thrown.count("health_green@LoadTests") >= 1
    assert set(thrown) == {"health_green@HealthChecks", "health_green@LoadTests"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(sources())
def test_generated_specs_never_share_a_message_between_waiting_receivers(source: str) -> None:
    result = compile_text(source, "gen.wf")
    if result.machine is None:
        return
    for flavor in ("generic", "zeebe"):
        model, _ = build_model(result.machine, "", flavor)
        assert checks.shared_messages(model) == []
