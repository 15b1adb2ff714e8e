"""The asl target's public contract (`protocol.py`) holds for the definitions `generate` writes.

The protocol is the only thing callers (and the Step Functions scenario
engine) read besides the generated files, so each of its conventions is
checked against those files: file names, resource names, message kinds,
answers, timer errors, the evaluator handler and the history map.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from statewright import ir
from statewright.pipeline import compile_text
from statewright.plugins.api import TargetOptions
from statewright.semantics.hierarchy import Hierarchy
from statewright.targets import asl
from statewright.targets.asl import protocol
from tests.targets.asl.support import EXAMPLE_STEMS, example
from tests.targets.bpmn.gen_specs import sources
from tests.targets.specs import APPROVE, CHECKS, SHOP, TRICKY, machine_of

SPECS = {"shop": SHOP, "checks": CHECKS, "approve": APPROVE, "tricky": TRICKY}


def _machines() -> Iterator[tuple[str, ir.Machine]]:
    for stem in EXAMPLE_STEMS:
        yield stem, example(stem)
    for name, text in SPECS.items():
        yield name, machine_of(text)


MACHINES = dict(_machines())


def _files(machine: ir.Machine, extra: dict[str, str] | None = None) -> dict[str, str]:
    output = asl.AslTarget().generate(machine, TargetOptions(source_name=machine.source, extra=extra or {}))
    return {artifact.path: artifact.content for artifact in output.artifacts}


def _states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state of a definition, Parallel branches included."""
    for name, body in definition["States"].items():
        yield name, body
        for branch in body.get("Branches", []):
            yield from _states(branch)


def _messages(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for _, body in _states(definition):
        parameters = body.get("Parameters", {})
        message = parameters.get("MessageBody", parameters.get("Payload"))
        if isinstance(message, dict):
            yield message


def check_history_map(machine: ir.Machine, definition: dict[str, Any]) -> None:
    """Every state the map names exists, markers are the leaves, waits are callback Tasks."""
    states = dict(_states(definition))
    history = protocol.history_map(machine)
    leaves = set(Hierarchy(machine).leaves)
    # markers and Parallel states name every leaf and parallel state; one nothing reaches has no state
    assert {history.markers[m] for m in history.markers if m in states} >= set(
        Hierarchy(machine).initial_leaves
    )
    assert {n for n, body in states.items() if body["Type"] == "Parallel"} <= set(history.parallels)
    named = [
        *history.waits,
        *history.refusals,
        *history.unhandled,
        *history.ignored,
        *history.neutral,
    ]
    assert set(named) <= set(states), sorted(set(named) - set(states))
    assert set(history.markers.values()) <= leaves
    assert len(set(history.markers.values())) == len(history.markers)
    for task, leaf in history.waits.items():
        body = states[task]
        assert body["Resource"].endswith(".waitForTaskToken"), task
        message = body["Parameters"].get("MessageBody") or body["Parameters"]["Payload"]
        assert message["state"] == leaf
        assert message["kind"] in (protocol.WAIT, protocol.WORK)
    kinds = {ir_state.name: ir_state.kind for ir_state in machine.states}
    assert all(kinds[state] == "parallel" for state in history.parallels.values())


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_the_protocol_describes_the_generated_files(name: str) -> None:
    """File names, resources, message kinds, answers, timer errors and the evaluator, on each machine."""
    machine = MACHINES[name]
    files = _files(machine)
    assert set(files) == {
        protocol.definition_file(machine.name),
        protocol.resource_map_file(machine.name),
    } | {f"{machine.name}.sam.json"}
    definition = json.loads(files[protocol.definition_file(machine.name)])
    skeleton = json.loads(files[protocol.resource_map_file(machine.name)])
    assert {protocol.EVENT_QUEUE, protocol.EMIT_QUEUE, protocol.EVALUATOR} <= set(skeleton)
    check_history_map(machine, definition)

    # the answers carry every key the state data's signal has
    start = next(body for _, body in _states(definition) if "signal" in body.get("Parameters", {}))
    signal_keys = set(start["Parameters"]["signal"])
    assert set(protocol.done_answer()) == signal_keys
    assert set(protocol.event_answer("go")) == signal_keys | {"payload"}
    answer = protocol.event_answer("approve", "ann", ["role:x"], {"ticket": "T-1"}, "bob")
    assert answer["evidence"] == ["ticket"] and answer["payload"] == {"ticket": "T-1"}

    # timers are caught under the protocol's error names
    caught = {
        error for _, body in _states(definition) for c in body.get("Catch", []) for error in c["ErrorEquals"]
    }
    for transition in machine.transitions:
        if transition.kind == "timeout":
            assert protocol.timer_error(transition.source) in caught

    # every message is a wait/work callback, an evaluator request, a `do` or an emit
    for message in _messages(definition):
        emitted = protocol.emitted_event(message)
        if protocol.is_evaluator_request(message):  # guard expressions, one approval, or an answer's data
            counting = {"approvals", "votes.$", "standing.$"}
            checking = {"check", "signal.$"}
            keys = set(message)
            assert {"types", "context.$"} <= keys or counting <= keys or checking <= keys, keys
        elif emitted is not None:
            assert emitted in {event.name for event in machine.events}
        elif "kind" in message:
            assert message["kind"] in (protocol.WAIT, protocol.WORK)
        else:
            assert "action" in message  # a `do`


def test_options_change_resources_never_state_names() -> None:
    """The history map holds for the definition generated with queue resources too."""
    for machine in MACHINES.values():
        skeleton = json.loads(_files(machine)[protocol.resource_map_file(machine.name)])
        queues = protocol.queue_options({name: f"https://sqs/{name}" for name in skeleton})
        plain = json.loads(_files(machine)[protocol.definition_file(machine.name)])
        served = json.loads(_files(machine, queues)[protocol.definition_file(machine.name)])
        assert [n for n, _ in _states(plain)] == [n for n, _ in _states(served)]
        assert "${" not in json.dumps(served["States"])  # every resource came from the options
        check_history_map(machine, served)


def test_the_evaluator_handler_is_what_the_template_deploys() -> None:
    """The SAM template packages `protocol.evaluator_handler`."""
    machine = MACHINES["order_fulfilment"]
    template = json.loads(_files(machine)[f"{machine.name}.sam.json"])
    function = template["Resources"].get(protocol.EVALUATOR)
    handler = protocol.evaluator_handler
    if function is not None:
        assert function["Properties"]["Handler"] == f"{handler.__module__}.{handler.__name__}"
    request: dict[str, object] = {"expressions": {}, "types": {}, "context": {}}
    assert protocol.is_evaluator_request(request)
    assert handler(request) == {}


def test_execution_input_sends_decimals_as_numbers() -> None:
    """The execution input is `{"context": ...}` with decimals as JSON numbers."""
    document = protocol.execution_input({"amount": Decimal("12.50"), "name": "x", "n": 3})
    assert json.loads(json.dumps(document)) == {"context": {"amount": 12.5, "name": "x", "n": 3}}


def test_the_package_re_exports_the_protocol() -> None:
    """`statewright.targets.asl` exposes exactly the protocol's names (and the target class)."""
    for name in protocol.__all__:
        assert getattr(asl, name) is getattr(protocol, name)
    assert set(asl.__all__) == {*protocol.__all__, "AslTarget", "protocol", "statewright_targets"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(sources())
def test_generated_specs_keep_the_history_map(source: str) -> None:
    """On drawn workflows (compound and parallel states, timers, work), the map names real states."""
    result = compile_text(source, "gen.wf")
    if result.machine is None:
        return
    machine = result.machine
    check_history_map(machine, json.loads(_files(machine)[protocol.definition_file(machine.name)]))
