"""The generated BPMN, executed by SpiffWorkflow, behaves as the Python runtime does.

For every example: Hypothesis scenarios drawn against the reference, and
coverage walks that reach the deep states (approval levels, sagas, parallel
regions); for every saga step: a failure injected there compensates the same
steps in the same (reverse) order on both engines. Observations are compared
step by step; `Unsupported` is not accepted anywhere here.
"""

from __future__ import annotations

import importlib
from collections import deque
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.pipeline import compile_text
from statewright.testing.bpmn_engine import BpmnEngine, SpiffMissingError
from statewright.testing.python_engine import PythonEngine, PythonRun
from statewright.testing.scenario import Observation, Scenario, Send, Step, Timeout, Unsupported, WorkDone
from statewright.testing.values import simplest_data, work_result
from tests.targets.bpmn.contexts import WALK_CONTEXTS
from tests.targets.bpmn.explore import candidates, walks
from tests.targets.bpmn.gen_specs import sources
from tests.targets.bpmn.scenarios import scenarios
from tests.targets.specs import SHOP, example, example_paths, machine_of

EXAMPLES = [path.stem for path in example_paths()]
MACHINES = {name: example(name) for name in EXAMPLES}


def assert_same(machine: ir.Machine, scenario: Scenario) -> list[Observation]:
    """Run both engines; they must agree on every observation. Returns the reference's."""
    reference = PythonEngine().run(machine, scenario)
    assert not isinstance(reference, Unsupported), reference
    observed = BpmnEngine().run(machine, scenario)
    assert not isinstance(observed, Unsupported), observed
    lines = scenario.describe()
    for index, (want, got) in enumerate(zip(reference, observed, strict=True)):
        assert got == want, "\n".join([*lines[: index + 1], f"python: {want}", f"bpmn:   {got}"])
    return list(reference)


@pytest.mark.parametrize("name", EXAMPLES)
def test_hypothesis_scenarios_agree(name: str) -> None:
    machine = MACHINES[name]

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(scenarios(machine))
    def check(scenario: Scenario) -> None:
        assert_same(machine, scenario)

    check()


@pytest.mark.parametrize("name", EXAMPLES)
def test_coverage_walks_agree(name: str) -> None:
    machine = MACHINES[name]
    entered: set[str] = set()
    for context in WALK_CONTEXTS[name]:
        for scenario in walks(machine, context):
            for observation in assert_same(machine, scenario):
                entered.update(observation.entered)
    leaves = [s.name for s in machine.states if s.kind in ("atomic", "final")]
    assert len(entered) >= len(leaves) * 3 // 4, sorted(set(leaves) - entered)


def _reach(machine: ir.Machine, context: dict[str, ir.Value], state: str, depth: int = 8) -> list[Step]:
    """The shortest step sequence (breadth first over the reference) after which `state` is active."""
    queue: deque[list[Step]] = deque([[]])
    while queue:
        steps = queue.popleft()
        run = PythonRun(machine, context)
        for step in steps:
            run.apply(step)
        if state in run.instance().active:
            return steps
        if len(steps) < depth:
            queue.extend([*steps, step] for step in candidates(machine, run))
    raise AssertionError(f"{state} is not reachable within {depth} steps")


SAGAS: list[tuple[str, ir.Machine, dict[str, ir.Value]]] = [
    ("order_fulfilment", MACHINES["order_fulfilment"], {"amount": Decimal("50.00")}),
    ("data_pipeline", MACHINES["data_pipeline"], {}),
    ("shop", machine_of(SHOP), {}),
]


@pytest.mark.parametrize(("name", "machine", "context"), SAGAS, ids=[s[0] for s in SAGAS])
def test_saga_failure_at_each_step_compensates_the_same_steps_in_reverse(
    name: str, machine: ir.Machine, context: dict[str, ir.Value]
) -> None:
    saga = machine.sagas[0]
    prefix = _reach(machine, context, saga.steps[0].state)
    pivot = next((i for i, s in enumerate(saga.steps) if s.pivot), len(saga.steps))
    compensations = {s.compensation_state for s in saga.steps if s.compensation_state}
    for failing, step in enumerate(saga.steps):
        run = PythonRun(machine, context)
        for done in prefix:
            run.apply(done)
        steps = list(prefix)
        for _ in range(40):
            owed = run.choices().owed
            if not owed:
                break
            state = owed[0].state
            work = (
                WorkDone(state, "Broken")
                if state == step.state
                else WorkDone(state, result=simplest_data(work_result(machine, state)))
            )
            run.apply(work)
            steps.append(work)
        observations = assert_same(machine, Scenario(tuple(context.items()), tuple(steps)))
        ran = [state for o in observations for state in o.entered if state in compensations]
        expected = (
            []
            if failing > pivot
            else [s.compensation_state for s in reversed(saga.steps[:failing]) if s.compensation_state]
        )
        assert ran == expected, (failing, ran)


QUORUM_CONTEXT = (
    ("amount", Decimal("20000.00")),
    ("category", "equipment"),
    ("has_receipt", True),
    ("cost_centre", "CC-1"),
)
TO_LEVEL_3: tuple[Step, ...] = (
    Send("submit"),
    Send("within_policy"),
    Send("approve", "lm", ("role:line_manager",)),
    Send("approve", "dh", ("role:department_head",)),
)


@pytest.mark.parametrize(
    "decisions",
    [
        (
            Send("approve", "fd", ("role:finance_director",)),
            Send("approve", "fd", ("role:finance_director",)),
        ),
        (
            Send("approve", "fd", ("role:finance_director",)),
            Send("delegate", "cfo", ("role:cfo",), delegate_to="deputy"),
            Send("approve", "deputy"),
        ),
        (Send("approve", "intruder"), Send("reject", "cfo", ("role:cfo",))),
        (Send("delegate", "cfo", ("role:cfo",)), Send("approve", "cfo", ("role:cfo",))),
    ],
    ids=["same-approver-twice", "delegated-quorum", "ineligible-then-reject", "delegate-to-nobody"],
)
def test_quorum_votes_agree(decisions: tuple[Step, ...]) -> None:
    """A quorum-of-two level: repeated, delegated, ineligible votes and a rejection, on both engines."""
    machine = MACHINES["expense_approval"]
    observations = assert_same(machine, Scenario(QUORUM_CONTEXT, (*TO_LEVEL_3, *decisions)))
    assert "Approval.level_3" in observations[len(TO_LEVEL_3)].active


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(sources(), st.data())
def test_generated_specs_agree(source: str, data: st.DataObject) -> None:
    result = compile_text(source, "gen.wf")
    if result.machine is None:
        return
    assert_same(result.machine, data.draw(scenarios(result.machine, 10)))


def test_missing_spiffworkflow_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def without_spiff(name: str, package: str | None = None) -> Any:
        if name.startswith("SpiffWorkflow"):
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", without_spiff)
    with pytest.raises(SpiffMissingError, match="SpiffWorkflow"):
        BpmnEngine().run(MACHINES["order_fulfilment"], Scenario())


REGION_FAILURE = """workflow RegionFailure {
  events { b_done }
  initial parallel Both {
    region A {
      initial state Working {
        invoke do_a
        timeout 1m -> Finished
        done -> ADone
      }
      final state ADone
    }
    region B {
      initial parallel Inner {
        region C {
          initial state Deep {
            invoke do_c
            timeout 1m -> Finished
            done -> CDone
          }
          final state CDone
        }
      }
    }
    done -> Finished
  }
  final state Finished
}
"""


@pytest.mark.parametrize("state", ["Working", "Deep"])
def test_unhandled_failure_in_a_region_fails_the_instance(state: str) -> None:
    """Work failing in a region with no retry or dead letter fails the whole instance, nesting included."""
    machine = machine_of(REGION_FAILURE)
    observations = assert_same(machine, Scenario((), (WorkDone(state, "Failed"), Send("b_done"))))
    assert observations[1].status == "failed"
    assert observations[1].active == ("Deep", "Working")


def test_one_exit_from_a_parallel_state_leaves_it_once() -> None:
    """A region's timeout to RollingBack takes that exit alone, not every exit to RollingBack.

    Every exit of a sub-process to one target used to share one escalation code, so
    the thrown escalation triggered each exit's boundary: fifteen tokens entered
    RollingBack and the process never finished at RolledBack.
    """
    scenario = Scenario(
        context=(("change_risk", "low"), ("planned_changes", 1)),
        steps=(
            Send(event="plan_ready"),
            WorkDone("Applying", None),
            Timeout("HealthProbing"),
            WorkDone("RollingBack", None),
        ),
    )
    observed = assert_same(MACHINES["deploy_pipeline"], scenario)
    assert observed[-1].active == ("RolledBack",) and observed[-1].status == "failed"
