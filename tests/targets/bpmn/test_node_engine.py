"""A second BPMN engine: the `bpmn-javascript` process in bpmn-engine (npm) agrees with the runtime.

bpmn-engine correlates a message to one waiting receiver, as Camunda 8 does, so
these runs also hold the target to that: the deploy pipeline's happy path (one
`load_passed` completing two regions, an `emit` its own region ignores) must
complete. bpmn-engine is installed by `make tools`; without it (or node) these
tests fail, never skip. Each run of bpmn-engine costs seconds (its dead-path
elimination walks the whole graph), so the scenarios here are few and chosen.
"""

from __future__ import annotations

import pytest

from statewright import ir
from statewright.plugins.manager import PluginManager
from statewright.testing.bpmn_node_engine import NodeBpmnEngine, missing
from statewright.testing.coverage import covering_scenarios
from statewright.testing.engine import load_engine
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Observation, Scenario, Send, Unsupported, WorkDone
from tests.targets.bpmn.test_equivalence import REGION_FAILURE
from tests.targets.specs import HEALTHY_WINDOW, example, machine_of

HAPPY_DEPLOY = Scenario(
    (("environment", "staging"), ("change_risk", "low"), ("planned_changes", 1)),
    (
        Send("plan_ready"),
        WorkDone("Applying"),
        Send("smoke_passed"),
        Send("probe_passed"),
        Send("load_passed"),
        Send("acknowledge", actor="qa", permissions=("role:qa_engineer",)),
        *(Send("metrics_reported", data=HEALTHY_WINDOW) for _ in range(5)),
    ),
)


def assert_same(engine: NodeBpmnEngine, machine: ir.Machine, scenario: Scenario) -> list[Observation]:
    """Both engines agree on every observation; returns the reference's."""
    reference = PythonEngine().run(machine, scenario)
    assert not isinstance(reference, Unsupported), reference
    observed = engine.run(machine, scenario)
    assert not isinstance(observed, Unsupported), observed
    lines = scenario.describe()
    for index, (want, got) in enumerate(zip(reference, observed, strict=True)):
        assert got == want, "\n".join([*lines[: index + 1], f"python:      {want}", f"bpmn-engine: {got}"])
    return list(reference)


def test_the_deploy_pipelines_happy_path_completes_on_a_one_receiver_engine(
    node_engine: NodeBpmnEngine,
) -> None:
    observations = assert_same(node_engine, example("deploy_pipeline"), HAPPY_DEPLOY)
    assert observations[5].entered == ("HealthConfirmed", "LoadPassed")  # one event, two regions
    assert observations[-1].status == "succeeded" and observations[-1].active == ("Deployed",)


@pytest.mark.parametrize("state", ["Working", "Deep"])
def test_a_regions_unhandled_failure_fails_the_instance(node_engine: NodeBpmnEngine, state: str) -> None:
    observations = assert_same(
        node_engine, machine_of(REGION_FAILURE), Scenario((), (WorkDone(state, "Failed"),))
    )
    assert observations[-1].status == "failed"


@pytest.mark.parametrize(
    "name", ["order_fulfilment", "expense_approval", "deploy_pipeline", "data_pipeline", "publishing"]
)
def test_path_scenarios_agree(node_engine: NodeBpmnEngine, name: str) -> None:
    """The first path-covering scenarios of each example (the deepest are left to SpiffWorkflow's runs)."""
    machine = example(name)
    for scenario in covering_scenarios(machine).scenarios[:3]:
        assert_same(node_engine, machine, scenario)


def test_a_missing_bpmn_engine_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("STATEWRIGHT_NODE_TOOLS", str(tmp_path))
    reason = missing()
    assert reason is not None and "make tools" in reason
    from statewright.testing.engine import EngineUnavailableError

    with pytest.raises(EngineUnavailableError, match="bpmn-engine"):
        load_engine(PluginManager(entry_points=False), "bpmn-engine")
