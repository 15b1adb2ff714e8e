"""Path coverage keeps a scenario for every failure outcome of invoked work, not only for transitions."""

from __future__ import annotations

import pytest

from statewright.testing.coverage import Failure, covering_scenarios
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Unsupported, WorkDone
from tests.targets.bpmn.test_equivalence import MACHINES, REGION_FAILURE
from tests.targets.specs import machine_of


def test_unhandled_failures_get_scenarios_though_they_take_no_transition() -> None:
    machine = machine_of(REGION_FAILURE)
    coverage = covering_scenarios(machine)
    assert Failure("Working", "Failed", "failed") in coverage.failures
    assert Failure("Deep", "Failed", "failed") in coverage.failures
    failing = {
        scenario.steps[-1].state
        for scenario in coverage.scenarios
        if scenario.steps
        and isinstance(scenario.steps[-1], WorkDone)
        and scenario.steps[-1].error is not None
        and not isinstance(observed := PythonEngine().run(machine, scenario), Unsupported)
        and observed[-1].status == "failed"
    }
    assert failing == {"Working", "Deep"}


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_every_invoking_state_the_search_reaches_has_a_failure_scenario(name: str) -> None:
    """Each state with invoked work that some scenario reaches also has one in which that work fails."""
    machine = MACHINES[name]
    coverage = covering_scenarios(machine)
    reached = {
        step.state for scenario in coverage.scenarios for step in scenario.steps if isinstance(step, WorkDone)
    }
    failed = {failure.state for failure in coverage.failures}
    handled = {t.source for t in machine.transitions if t.kind == "error"}
    invoking = {state.name for state in machine.states if state.invoke is not None}
    assert (reached & invoking) - handled <= failed
