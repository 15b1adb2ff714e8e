"""What the files of the `pytest` target import: path scenarios, their runner, and the design test.

A generated `test_<workflow>.py` embeds its workflow's IR and its
path-covering scenarios with the states each step entered when it was
generated; this module turns those into pytest tests that run on the
workflow's generated Python module. Its names are a stable API for files
kept in users' repositories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine

from statewright import ir
from statewright.runtime.workflow import Workflow
from statewright.testing.design import design_machine
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Observation, Scenario, Status, Unsupported


@dataclass(frozen=True, slots=True)
class PathCase:
    """A path-covering scenario and what it showed when generated: states entered per step, end status."""

    name: str
    scenario: Scenario
    entered: tuple[tuple[str, ...], ...]
    status: Status
    changed: tuple[tuple[str, ir.Value], ...] = ()
    """The context fields the run changed, with their final values (the others kept their start values)."""


def run_path(workflow: type[Workflow], machine: ir.Machine, case: PathCase) -> Sequence[Observation]:
    """Run a path case on the workflow's own tables (its compiled guards); fail if it cannot run."""
    observed = PythonEngine(workflow.definition).run(machine, case.scenario)
    if isinstance(observed, Unsupported):
        raise AssertionError(f"{case.name} no longer runs: {observed.reason}")
    return observed


def check_path(workflow: type[Workflow], machine: ir.Machine, case: PathCase) -> None:
    """Assert that the path enters the same states step by step, and ends the same way with the same data."""
    observed = run_path(workflow, machine, case)
    entered = tuple(o.entered for o in observed)
    steps = case.scenario.describe()
    for number, (now, then) in enumerate(zip(entered, case.entered, strict=False)):
        if now != then:
            raise AssertionError(
                f"{case.name}, step {steps[number]}: entered {list(now)}, expected {list(then)}"
            )
    assert len(entered) == len(case.entered), f"{case.name}: {len(entered)} observations"
    assert observed[-1].status == case.status, f"{case.name}: ends {observed[-1].status}"
    start, end = dict(observed[0].context or ()), dict(observed[-1].context or ())
    expected = {**start, **dict(case.changed)}
    wrong = {name: value for name, value in end.items() if not _same(value, expected.get(name))}
    assert not wrong, f"{case.name}: ends with context {wrong}, expected {dict(case.changed)} changed"


def _same(value: ir.Value, other: ir.Value | None) -> bool:
    """Equal in type and value (a bool is no int; decimals by value)."""
    return type(value) is type(other) and value == other


def design_test_case(
    machine: ir.Machine,
    workflow: type[Workflow],
    source_name: str,
    max_examples: int = 100,
    steps: int = 25,
) -> type[RuleBasedStateMachine]:
    """The design's rule-based state machine with settings; use its `.TestCase` as a pytest class."""
    machine_class = design_machine(machine, workflow, source_name)
    machine_class.TestCase.settings = settings(
        max_examples=max_examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    return machine_class
