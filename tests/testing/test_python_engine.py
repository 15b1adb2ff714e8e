"""The Python scenario engine: deterministic, consistent observations, and scenarios that move."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.pipeline import compile_path
from statewright.semantics.hierarchy import Hierarchy
from statewright.testing.python_engine import PythonEngine, PythonRun
from statewright.testing.scenario import Observation, Scenario, Send, Timeout, WorkDone
from statewright.testing.strategies import scenarios
from tests.conftest import example_files

MACHINES: dict[str, ir.Machine] = {}


def machine_of(path: Path) -> ir.Machine:
    """The example's IR, compiled once per test process."""
    if path.name not in MACHINES:
        machine = compile_path(path).machine
        assert machine is not None
        MACHINES[path.name] = machine
    return MACHINES[path.name]


EXAMPLES = [pytest.param(path, id=path.stem) for path in example_files()]


@pytest.mark.parametrize("path", EXAMPLES)
@settings(max_examples=25)
@given(data=st.data())
def test_observations_are_consistent_and_repeatable(path: Path, data: st.DataObject) -> None:
    """Same scenario, same observations; entered states are leaves; a refused step changes nothing."""
    machine = machine_of(path)
    scenario = data.draw(scenarios(machine))
    first = PythonEngine().run(machine, scenario)
    assert first == PythonEngine().run(machine, scenario)
    assert isinstance(first, list)
    leaves = set(Hierarchy(machine).leaves)
    previous: Observation | None = None
    for observation in first:
        assert set(observation.entered) <= leaves
        assert set(observation.active) <= leaves
        if previous is not None and not observation.accepted:
            assert observation.entered == ()
            assert observation.active == previous.active
        if previous is not None and previous.status != "running":
            assert observation.active == previous.active  # a finished instance never moves
        previous = observation


def test_a_saga_failure_enters_the_compensations_of_completed_steps_in_reverse() -> None:
    """Order fulfilment: card charged, courier booking fails -> refund, then release the stock."""
    machine = machine_of(Path("examples/order_fulfilment.wf"))
    steps = (
        Send("submit"),
        WorkDone("Validating"),
        Send("valid"),
        WorkDone("Fulfilling.reserve_stock"),
        WorkDone("Fulfilling.charge_card", result=(("receipt", "r-1"),)),  # it returns the receipt
        WorkDone("Fulfilling.book_courier", "Failed"),
        WorkDone("Fulfilling.refund_card"),
        WorkDone("Fulfilling.release_stock"),
    )
    observed = PythonEngine().run(machine, Scenario((("amount", 50),), steps))
    assert isinstance(observed, list)
    entered = [state for observation in observed for state in observation.entered]
    assert entered[-3:] == [
        "Fulfilling.refund_card",
        "Fulfilling.release_stock",
        "Cancelled",
    ]
    assert observed[-1].status == "failed"


def test_timeout_fires_only_that_state_and_moves_the_instance() -> None:
    """A draft left alone is abandoned when its timeout fires."""
    machine = machine_of(Path("examples/order_fulfilment.wf"))
    run = PythonRun(machine, {"amount": 50})
    observation = run.apply(Timeout("Draft"))
    assert observation.entered == ("Abandoned",)
    assert observation.status == "failed"
    assert not run.apply(Timeout("Draft")).accepted
