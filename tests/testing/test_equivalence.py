"""Cross-target equivalence machinery, tested with engines that are wrong on purpose.

The real engines (Step Functions in moto, BPMN in SpiffWorkflow) are tested in
their targets' test folders; here the comparison itself must find a divergence
an engine introduces, cut it to the first differing step, minimize a drawn
one, and count what an engine cannot express without calling it a divergence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from statewright import ir
from statewright.plugins.manager import PluginManager
from statewright.testing.coverage import covering_scenarios
from statewright.testing.engine import EngineUnavailableError, load_engine
from statewright.testing.equivalence import check_engine
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Observation, Scenario, Send, Unsupported
from tests.conftest import EXAMPLES
from tests.testing.test_python_engine import machine_of

ORDER = EXAMPLES / "order_fulfilment.wf"


class ReversedCompensations:
    """Python's observations, except that compensations run oldest first (a LIFO bug)."""

    name = "lifo-bug"

    def run(self, machine: ir.Machine, scenario: Scenario) -> Sequence[Observation] | Unsupported:
        """The reference run with `release_stock` entered where `refund_card` should be, and back."""
        observed = PythonEngine().run(machine, scenario)
        if isinstance(observed, Unsupported):
            return observed
        swap = {"Fulfilling.refund_card": "Fulfilling.release_stock"}
        return [replace(o, entered=tuple(swap.get(s, s) for s in o.entered)) for o in observed]


class NoApprovals:
    """An engine that cannot express approval decisions (and says so), otherwise exact."""

    name = "no-approvals"

    def run(self, machine: ir.Machine, scenario: Scenario) -> Sequence[Observation] | Unsupported:
        """Unsupported for any approval decision; the reference's observations otherwise."""
        for number, step in enumerate(scenario.steps, 1):
            if isinstance(step, Send) and step.event in ("approve", "reject", "delegate"):
                return Unsupported(number, "approval decisions are not modelled")
        return PythonEngine().run(machine, scenario)


def test_a_compensation_order_bug_is_found_and_cut_at_the_first_differing_step() -> None:
    """The path scenarios reach the saga failure; the report stops at the step that differs."""
    machine = machine_of(ORDER)
    paths = covering_scenarios(machine).scenarios
    result = check_engine(machine, ReversedCompensations(), paths, drawn=0)
    divergence = result.divergence
    assert divergence is not None
    assert divergence.target == "lifo-bug"
    assert divergence.expected is not None and divergence.actual is not None
    assert "Fulfilling.refund_card" in divergence.expected.entered
    assert "Fulfilling.release_stock" in divergence.actual.entered
    assert len(divergence.scenario.steps) == divergence.step  # nothing after the first difference
    text = "\n".join(divergence.describe())
    assert "lifo-bug differs from python at step" in text


def test_a_drawn_divergence_is_minimized() -> None:
    """Without path scenarios, Hypothesis finds the bug and shrinks it to the shortest sequence."""
    machine = machine_of(ORDER)
    result = check_engine(machine, ReversedCompensations(), (), drawn=400, seed=1, max_steps=12)
    divergence = result.divergence
    assert divergence is not None, "400 drawn scenarios should reach a failed courier booking"
    # The shortest way to a refund: submit, validate, valid, reserve, charge, courier fails.
    assert divergence.step <= 7, divergence.describe()


def test_unsupported_scenarios_are_counted_not_reported() -> None:
    """An engine that cannot express approvals agrees on the rest and counts the others with a reason."""
    machine = machine_of(EXAMPLES / "expense_approval.wf")
    paths = covering_scenarios(machine).scenarios
    result = check_engine(machine, NoApprovals(), paths, drawn=10)
    assert result.passed
    assert result.unsupported["approval decisions are not modelled"] > 0
    assert result.agreed > 0


def test_an_unknown_engine_is_refused_with_the_known_ones() -> None:
    """Asking for an engine nobody provides names the ones that exist."""
    try:
        load_engine(PluginManager(entry_points=False), "camunda")
    except EngineUnavailableError as error:
        known = "known engines: asl, bpmn, bpmn-engine, python, temporal"
        assert f"unknown engine `camunda`; {known}" in str(error)
    else:
        raise AssertionError("an unknown engine was accepted")
