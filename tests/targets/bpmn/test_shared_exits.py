"""Leaving a state is drawn once per continuation: exit actions and sub-process escalations (issue 22).

Every exit from a saga or a parallel state used to carry its own copy of the
state's exit actions, and every exit from a sub-process its own escalation code
and boundary (deploy_pipeline's `Verifying`: ten escalation boundaries and eleven
`close_verification_report` tasks). Now the rest of a path from an exit action or
a sub-process's escalation is drawn once and every exit with that continuation
flows into it. The engines must still agree with the runtime on every exit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.pipeline import compile_text
from statewright.targets.bpmn.model import Model
from statewright.targets.bpmn.target import build_model
from statewright.testing.bpmn_node_engine import NodeBpmnEngine
from statewright.testing.scenario import Scenario, Send, Timeout, WorkDone
from tests.targets.bpmn import test_node_engine
from tests.targets.bpmn.gen_specs import sources
from tests.targets.bpmn.scenarios import scenarios
from tests.targets.bpmn.test_equivalence import assert_same
from tests.targets.specs import example, example_paths, machine_of

FLAVORS = ("generic", "javascript", "zeebe")

EXITS = """workflow Exits {
  events { go, stop, halt, fix, quit, abort }
  context { n: int 0..9 = 0 }
  initial state Idle {
    on go -> Checks
    ignore stop
    ignore halt
    ignore fix
    ignore quit
    ignore abort
  }
  parallel Checks {
    exit do close_report
    region A {
      initial state AWait {
        timeout 1m -> Failed
        on stop -> Failed
        on halt -> Failed { set n = 1 }
        on fix -> ADone
        ignore go
        ignore quit
      }
      final state ADone
    }
    region B {
      initial state BWork {
        invoke run_b
        timeout 2m -> Failed
        on quit -> Failed
        done -> BDone
        ignore go
      }
      final state BDone
    }
    done -> Guarded
    on abort -> Failed
  }
  state Guarded {
    exit do unlock
    on stop -> Failed
    on halt -> Failed
    timeout 1h -> Failed
    on go -> Passed
    ignore fix
    ignore quit
    ignore abort
  }
  final state Passed
  final state Failed { outcome failure "stopped" }
}
"""
"""Exits of a parallel state (from both regions and from itself) and of a plain state, with exit actions:
three continuations leave `Checks` (to Failed, to Failed setting n, to Guarded), two leave `Guarded`."""

EXIT_SCENARIOS = [
    Scenario((), (Send("go"), Timeout("AWait"))),
    Scenario((), (Send("go"), Send("stop"))),
    Scenario((), (Send("go"), Send("halt"))),
    Scenario((), (Send("go"), Send("quit"))),
    Scenario((), (Send("go"), Send("abort"))),
    Scenario((), (Send("go"), Timeout("BWork"))),
    Scenario((), (Send("go"), WorkDone("BWork", "Boom"))),
    Scenario((), (Send("go"), Send("fix"), WorkDone("BWork"), Send("halt"))),
    Scenario((), (Send("go"), Send("fix"), WorkDone("BWork"), Timeout("Guarded"))),
    Scenario((), (Send("go"), Send("fix"), WorkDone("BWork"), Send("go"))),
]


def machines() -> Iterator[tuple[str, ir.Machine]]:
    """Every example and the exits spec."""
    yield "exits", machine_of(EXITS)
    for path in example_paths():
        yield path.stem, example(path.stem)


def exit_actions(machine: ir.Machine) -> set[ir.Action]:
    """Every state's exit actions."""
    return {action for state in machine.states for action in state.exit}


def successors(model: Model, node: str) -> tuple[str, ...]:
    """Where a node's flows lead, past a merge gateway."""
    found = []
    by_id = {n.id: n for n in model.nodes}
    for flow in model.flows:
        if flow.source == node:
            target = flow.target
            if by_id[target].role == "merge":
                target = next(f.target for f in model.flows if f.source == target)
            found.append(target)
    return tuple(sorted(found))


def escalation_boundaries(model: Model) -> Counter[str]:
    """Sub-process id -> how many escalation boundary events it carries."""
    return Counter(
        node.attached_to
        for node in model.nodes
        if node.kind == "boundaryEvent"
        and node.event is not None
        and node.event.kind == "escalation"
        and node.attached_to is not None
    )


def assert_drawn_once(model: Model, machine: ir.Machine, name: str) -> None:
    """No exit action is drawn twice toward one next node; each escalation code has one boundary.

    One boundary per code: each way out of a sub-process has one continuation.
    """
    exits = exit_actions(machine)
    seen: Counter[tuple[str, ir.Action, tuple[str, ...]]] = Counter(
        (node.scope, node.action, successors(model, node.id))
        for node in model.nodes
        if node.role == "action" and node.action in exits and node.state is None
    )
    assert [key for key, count in seen.items() if count > 1] == [], name
    codes = Counter(
        node.event.ref
        for node in model.nodes
        if node.kind == "boundaryEvent" and node.event is not None and node.event.kind == "escalation"
    )
    assert [code for code, count in codes.items() if count > 1] == [], name


@pytest.mark.parametrize("flavor", FLAVORS)
def test_no_exit_handling_is_drawn_twice(flavor: str) -> None:
    for name, machine in machines():
        model, _ = build_model(machine, f"{name}.wf", flavor)
        assert_drawn_once(model, machine, name)


OPENING = re.compile(r"^(\s*)(?:initial )?(?:state|parallel) (\w+) \{$", re.MULTILINE)


def with_exit_actions(source: str) -> str:
    """A drawn source with `exit do leave_S` on every state written over several lines."""
    return OPENING.sub(lambda m: f"{m.group(0)}\n{m.group(1)}  exit do leave_{m.group(2).lower()}", source)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(sources(), st.data())
def test_generated_specs_with_exit_actions_draw_them_once_and_agree(source: str, data: st.DataObject) -> None:
    result = compile_text(with_exit_actions(source), "gen.wf")
    if result.machine is None:
        return
    for flavor in FLAVORS:
        assert_drawn_once(build_model(result.machine, "gen.wf", flavor)[0], result.machine, source)
    assert_same(result.machine, data.draw(scenarios(result.machine, 10)))


@pytest.mark.parametrize("flavor", FLAVORS)
def test_deploy_pipeline_verifying_is_left_through_one_escalation(flavor: str) -> None:
    """Ten exits of `Verifying` to RollingBack leave through one escalation boundary.

    Beside it, the region failure's boundary; `close_verification_report` once per
    continuation (RollingBack and Monitoring), not eleven times.
    """
    model, _ = build_model(example("deploy_pipeline"), "deploy_pipeline.wf", flavor)
    assert escalation_boundaries(model)["Verifying"] == 2
    assert escalation_boundaries(model)["ChangeApproval"] == 2  # ChangeRejected, ChangeExpired
    names = Counter(node.name for node in model.nodes if node.kind.endswith("Task"))
    assert names["close_verification_report"] == 2


@pytest.mark.parametrize("flavor", FLAVORS)
def test_each_compensation_task_appears_once_per_saga(flavor: str) -> None:
    """Each saga's compensations once; its exit action once per continuation.

    The continuations: Shipped, Cancelled, ManualReview.
    """
    machine = example("order_fulfilment")
    model, _ = build_model(machine, "order_fulfilment.wf", flavor)
    names = Counter(node.name for node in model.nodes if node.kind.endswith("Task"))
    for saga in machine.sagas:
        for step in saga.steps:
            if step.compensation is not None:
                assert names[step.compensation] == 1, step.compensation
    assert names["close_fulfilment_record"] == 3


@pytest.mark.parametrize("flavor", FLAVORS)
def test_the_exits_spec_has_one_boundary_per_continuation(flavor: str) -> None:
    model, _ = build_model(machine_of(EXITS), "exits.wf", flavor)
    assert escalation_boundaries(model)["Checks"] == 3  # Failed, Failed with n = 1, the region failure
    names = Counter(node.name for node in model.nodes if node.kind.endswith("Task"))
    assert names["close_report"] == 3  # Failed, Failed with n = 1, Guarded
    assert names["unlock"] == 2  # Failed, Passed


@pytest.mark.parametrize("scenario", EXIT_SCENARIOS, ids=lambda s: " ".join(s.describe()))
def test_every_exit_agrees_with_the_runtime_on_spiffworkflow(scenario: Scenario) -> None:
    assert_same(machine_of(EXITS), scenario)


def test_drawn_scenarios_of_the_exits_spec_agree_on_spiffworkflow() -> None:
    machine = machine_of(EXITS)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(scenarios(machine))
    def check(scenario: Scenario) -> None:
        assert_same(machine, scenario)

    check()


def test_every_exit_agrees_with_the_runtime_on_bpmn_engine(node_engine: NodeBpmnEngine) -> None:
    machine = machine_of(EXITS)
    for scenario in EXIT_SCENARIOS:
        test_node_engine.assert_same(node_engine, machine, scenario)
