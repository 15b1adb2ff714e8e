"""`semantics.dispatch` against an independent oracle, and every consumer that reads it against it.

The oracle is the conformance tests' reference interpreter (`tests/runtime/reference.py`),
which walks the hierarchy on its own. The consumers are the runtime engine's
resolution, the BPMN resolver, the state x event matrix, the completeness rule,
the in-memory fast path and the Step Functions decide Choice: on random flat,
nested and parallel machines each must decide every leaf x event pair exactly as
dispatch does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from hypothesis import given, note, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.compiler.verify.rules.structure import unresolved
from statewright.pipeline import compile_path
from statewright.plugins.api import TargetOptions
from statewright.runtime.definition import Definition
from statewright.runtime.draft import Draft
from statewright.runtime.engine import _resolve
from statewright.runtime.model import Instance
from statewright.semantics.dispatch import Dispatch, Handling, preempted
from statewright.semantics.facts import Matrix
from statewright.semantics.values import holds
from statewright.targets.asl.target import AslTarget
from statewright.targets.bpmn.resolve import Resolver
from tests.conftest import example_files
from tests.runtime.reference import Reference
from tests.verify.test_structure import EVENTS, describe, machines

Decision = tuple[str, int | None]


def decide(machine: ir.Machine, handling: Handling, context: Mapping[str, ir.Value]) -> Decision:
    """Walk the candidates in order with the runtime's evaluator; else the walk's terminal."""
    for index in handling.candidates:
        transition = machine.transitions[index]
        if transition.is_else or transition.guard is None or holds(transition.guard, context):
            return ("transition", index)
    return (handling.terminal, None)


def instance_at(machine: ir.Machine, leaf: str, context: Mapping[str, ir.Value]) -> Instance:
    """A running instance whose only active leaf is `leaf` (enough for one leaf's resolution)."""
    return Instance("wf-1", machine.name, None, (leaf,), context, "running", 1, 0, 0)


@settings(max_examples=200, deadline=None)
@given(machine=machines(nested=True, parallel=True), flag=st.booleans())
def test_every_consumer_decides_as_dispatch_does(machine: ir.Machine, flag: bool) -> None:
    note(describe(machine))
    context = {"b": flag}
    dispatch = Dispatch(machine)
    reference = Reference(machine, "wf-1")
    definition = Definition(machine)
    resolver = Resolver(machine)
    matrix = Matrix(machine)
    position = {id(t): i for i, t in enumerate(machine.transitions)}  # equal transitions are distinct
    for leaf in (s.name for s in machine.states if s.kind == "atomic"):
        for event in EVENTS:
            handling = dispatch.handling(leaf, event)
            kind, index = decide(machine, handling, context)
            # the oracle knows nothing of other regions: there the event is only guarded or unhandled
            oracle_kind, oracle_index = reference.resolve(leaf, event, context)
            if kind == "other_region":
                assert oracle_kind == ("no_guard" if handling.candidates else "unhandled")
            else:
                assert (oracle_kind, oracle_index) == (kind, index)
            # the runtime engine evaluates the same candidates and records each guard it evaluated
            draft = Draft(definition, instance_at(machine, leaf, context), 0)
            runtime_kind, detail = _resolve(draft, leaf, event)
            assert runtime_kind == kind
            assert (detail if runtime_kind == "transition" else None) == index
            # the BPMN resolver, on the chain below the nearest parallel state
            inner = resolver.inner_chain(leaf)
            bpmn = resolver.handling(inner, event)
            walked = dispatch.walk(inner, event)
            assert [position[id(t)] for t in bpmn.candidates] == list(walked.candidates)
            # the matrix shows every level dispatch walks, in order, and nothing beyond
            cell = matrix.cell(leaf, event)
            assert [entry.owner for entry in cell.entries] == [
                level.state for level in handling.levels for _ in (*level.written, *level.refusals)
            ]
            assert cell.other_region == (handling.region if not handling.levels else None)
            # completeness counts a pair undecided exactly when dispatch finds nothing for it
            assert (event in unresolved(dispatch, leaf, [event])) == (handling.terminal == "unhandled")


@settings(max_examples=100, deadline=None)
@given(
    chosen=st.lists(st.integers(0, 6), unique=True, min_size=1, max_size=5),
    exits=st.lists(st.frozensets(st.sampled_from("abcd"), max_size=3), min_size=7, max_size=7),
)
def test_preemption_keeps_document_order_and_disjoint_exits(
    chosen: list[int], exits: list[frozenset[str]]
) -> None:
    kept = preempted(chosen, lambda index: exits[index])
    assert kept == sorted(kept) and set(kept) <= set(chosen)
    assert kept[0] == min(chosen)  # the first in document order always runs
    seen: set[str] = set()
    for index in sorted(chosen):
        if index in kept:
            assert seen.isdisjoint(exits[index])
            seen |= exits[index]
        else:
            assert not seen.isdisjoint(exits[index])  # skipped only when it meets a kept exit set


def test_step_functions_decide_choices_list_the_dispatch_candidates_in_order() -> None:
    """Each leaf's decide Choice has one rule per dispatch candidate, then one for a refusal or no guard."""
    compared = 0
    for path in example_files():
        machine = compile_path(path).machine
        assert machine is not None
        dispatch = Dispatch(machine)
        [artifact] = [
            a
            for a in AslTarget().generate(machine, TargetOptions()).artifacts
            if a.path.endswith(".asl.json")
        ]
        definition = json.loads(artifact.content)
        for leaf, rules in _decide_choices(definition):
            for event, found in rules.items():
                handling = dispatch.handling(leaf, event)
                expected = len(handling.candidates)
                if handling.terminal in ("reject", "ignore") or (
                    handling.terminal != "taken" and handling.candidates
                ):
                    expected += 1
                assert found == expected, (path.name, leaf, event)
                compared += 1
    assert compared > 50  # every example has decide Choices to compare


def _decide_choices(definition: Mapping[str, object]) -> list[tuple[str, dict[str, int]]]:
    """Per decide Choice (a leaf has one per wait): its leaf and how many rules test each event."""
    found: list[tuple[str, dict[str, int]]] = []

    def visit(states: Mapping[str, object]) -> None:
        for body in states.values():
            assert isinstance(body, dict)
            if body.get("Type") == "Parallel":
                for branch in body["Branches"]:
                    visit(branch["States"])
            comment = str(body.get("Comment", ""))
            if body.get("Type") != "Choice" or not comment.endswith(": what the answer means here"):
                continue
            counts: dict[str, int] = {}
            found.append((comment.removesuffix(": what the answer means here"), counts))
            for rule in body.get("Choices", []):
                event = _event_of(rule)
                if event is not None:
                    counts[event] = counts.get(event, 0) + 1
        return None

    states = definition["States"]
    assert isinstance(states, dict)
    visit(states)
    return found


def _event_of(rule: Mapping[str, object]) -> str | None:
    """The event a decide rule tests (`$.signal.event == E`, alone or first in an `And`)."""
    if rule.get("Variable") == "$.signal.event":
        return str(rule["StringEquals"])
    conjuncts = rule.get("And")
    if isinstance(conjuncts, list) and conjuncts and conjuncts[0].get("Variable") == "$.signal.event":
        return str(conjuncts[0]["StringEquals"])
    return None
