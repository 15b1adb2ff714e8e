"""The generated definitions, executed by moto's Step Functions engine, behave as the Python runtime.

For Hypothesis-drawn scenarios (events, timeouts, work results, approvals,
drawn from what the Python runtime can do next) the observations of the `asl`
engine equal the `python` engine's, step by step: leaves entered, accepted or
refused, the configuration and the status, parallel regions included. Saga
failures injected at every step must run the completed steps' compensations,
in reverse order, exactly as the runtime does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.targets.asl.protocol import event_answer
from statewright.testing.asl_engine import DOCUMENTED_LIMITS, AslEngine
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Observation, Scenario, Send, Step, Timeout, Unsupported, WorkDone
from statewright.testing.strategies import scenarios
from statewright.testing.values import simplest_data
from tests.targets.asl.support import EXAMPLE_STEMS, definition, example
from tests.targets.specs import HEALTHY_WINDOW


@pytest.fixture(scope="module")
def engine() -> Iterator[AslEngine]:
    """One in-memory AWS for the module; each machine's state machine is created once."""
    with AslEngine() as opened:
        yield opened


def compare(engine: AslEngine, machine: ir.Machine, scenario: Scenario) -> list[Observation]:
    """Assert the two engines agree on `scenario` (as far as the asl engine goes); the python observations."""
    python = PythonEngine().run(machine, scenario)
    observed, unsupported = engine.run_prefix(machine, scenario)
    if isinstance(python, Unsupported):
        assert unsupported == python
        return []
    numbered = "\n".join(scenario.describe())
    if unsupported is not None:  # a documented limit: a restarted or split Retry budget
        assert unsupported.reason in DOCUMENTED_LIMITS, f"{unsupported} in\n{numbered}"
        assert len(observed) == unsupported.step
    else:
        assert len(observed) == len(python)
    for number, (asl, reference) in enumerate(zip(observed, python, strict=False)):
        assert asl == reference, f"step {number} differs in\n{numbered}\nasl:    {asl}\npython: {reference}"
    return list(python)


@pytest.mark.parametrize("stem", EXAMPLE_STEMS)
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_drawn_scenarios_behave_as_the_runtime(engine: AslEngine, stem: str, data: st.DataObject) -> None:
    """Every example: the states visited in moto equal the runtime's, for the same events and context."""
    machine = example(stem)
    compare(engine, machine, data.draw(scenarios(machine, max_steps=10)))


ORDER_TO_SAGA: tuple[Step, ...] = (Send("submit"), WorkDone("Validating"), Send("valid"))
LOAD_TO_SAGA: tuple[Step, ...] = (
    Send("run_started"),
    WorkDone("Extracting"),
    WorkDone("Parsing"),
    WorkDone("Deduplicating"),
    WorkDone("Conforming"),
    WorkDone("Validating"),
    Send("checks_completed"),
)
SAGAS = [
    ("order_fulfilment", ORDER_TO_SAGA, (("amount", Decimal("120.00")),)),
    ("data_pipeline", LOAD_TO_SAGA, ()),
]


def failing(step: ir.SagaStep) -> tuple[Step, ...]:
    """Fail a saga step for good: one attempt more than its retry policy allows, with an error it retries."""
    retry = step.retry
    attempts = 1 if retry is None or retry.max_retries is None else retry.max_retries + 1
    error = retry.retry_on[0] if retry is not None and retry.retry_on else "Failed"
    return tuple(WorkDone(step.state, error) for _ in range(attempts))


@pytest.mark.parametrize(("stem", "prefix", "context"), SAGAS)
def test_a_saga_failing_at_each_step_compensates_the_completed_steps_in_reverse(
    engine: AslEngine, stem: str, prefix: tuple[Step, ...], context: tuple[tuple[str, ir.Value], ...]
) -> None:
    """Step k fails: compensations of steps k-1..1 (those that have one, before any pivot) run, LIFO."""
    machine = example(stem)
    (saga,) = machine.sagas
    for k, broken in enumerate(saga.steps):
        done = tuple(WorkDone(s.state, result=simplest_data(s.result)) for s in saga.steps[:k])
        pivoted = any(s.pivot for s in saga.steps[:k])
        expected = (
            []
            if pivoted
            else [s.compensation_state for s in reversed(saga.steps[:k]) if s.compensation_state]
        )
        compensations = tuple(WorkDone(name) for name in expected if name is not None)
        scenario = Scenario(context, (*prefix, *done, *failing(broken), *compensations))
        observations = compare(engine, machine, scenario)
        entered = [leaf for o in observations for leaf in o.entered]
        ran = [leaf for leaf in entered if machine.state(leaf).role == "compensation"]
        assert ran == expected, (k, broken.action)
        outcome = saga.compensation_failed if pivoted else saga.compensated
        assert observations[-1].active == (outcome,) or machine.state(outcome or "").kind != "final"


@pytest.mark.parametrize(("stem", "prefix", "context"), SAGAS)
def test_a_failing_compensation_goes_to_the_manual_path(
    engine: AslEngine, stem: str, prefix: tuple[Step, ...], context: tuple[tuple[str, ir.Value], ...]
) -> None:
    """The last compensable step completes, the next fails, its compensation fails: compensation_failed."""
    machine = example(stem)
    (saga,) = machine.sagas
    compensable = [
        i
        for i, s in enumerate(saga.steps)
        if s.compensation_state and not any(p.pivot for p in saga.steps[:i])
    ]
    k = compensable[-1] + 1
    done = tuple(WorkDone(s.state, result=simplest_data(s.result)) for s in saga.steps[:k])
    first = saga.steps[k - 1]
    assert first.compensation_state is not None
    broken_compensation = ir.SagaStep(
        0, first.compensation or "", first.compensation_state, None, retry=first.retry
    )
    scenario = Scenario(context, (*prefix, *done, *failing(saga.steps[k]), *failing(broken_compensation)))
    observations = compare(engine, machine, scenario)
    assert saga.compensation_failed in observations[-1].active


def test_approval_quorum_delegation_and_refusals_in_moto(engine: AslEngine) -> None:
    """Expense approval: outsiders refused, a delegate may approve, quorum `all` needs both, no twice."""
    machine = example("expense_approval")
    steps: tuple[Step, ...] = (
        Send("submit"),
        WorkDone("PolicyScreening"),
        Send("within_policy"),
        Send("approve", actor="mallory"),
        Send("delegate", actor="ann", permissions=("role:line_manager",), delegate_to="bob"),
        Send("approve", actor="bob"),
        Send("approve", actor="cy", permissions=("role:department_head",)),
        Send("approve", actor="dee", permissions=("role:finance_director",)),
        Send("approve", actor="dee", permissions=("role:finance_director",)),
        Send("approve", actor="eve", permissions=("role:cfo",)),
        WorkDone("Reimbursing", "BankUnavailable"),
        Timeout("Reimbursing"),
    )
    context = (
        ("amount", Decimal("20000.00")),
        ("category", "equipment"),
        ("has_receipt", True),
        ("cost_centre", "CC-1"),
    )
    observations = compare(engine, machine, Scenario(context, steps))
    assert [o.accepted for o in observations[4:11]] == [False, True, True, True, True, False, True]
    assert "Reimbursing" in observations[10].entered


def test_listed_approvers_and_delegation_transfer_in_moto(engine: AslEngine) -> None:
    """Issue 16: one place per listed approver, one per actor; delegation hands a vote on, never adds one."""
    machine = example("expense_approval")
    both = ("role:finance_director", "role:cfo")
    steps: tuple[Step, ...] = (
        Send("submit"),
        WorkDone("PolicyScreening"),
        Send("within_policy"),
        Send("delegate", actor="ann", permissions=("role:line_manager",), delegate_to="bob"),
        Send("approve", actor="ann", permissions=("role:line_manager",)),  # delegated: no say
        Send("delegate", actor="bob", delegate_to="bob"),  # not to oneself
        Send("approve", actor="bob"),  # in ann's place
        Send("approve", actor="cy", permissions=("role:department_head",)),
        Send("approve", actor="farid", permissions=both),  # stands for both places
        Send("approve", actor="farid", permissions=both),  # once
        Send("approve", permissions=("role:cfo",)),  # nobody
        Send("approve", actor="dee", permissions=("role:finance_director",)),  # farid takes cfo: approved
    )
    context = (
        ("amount", Decimal("20000.00")),
        ("category", "equipment"),
        ("has_receipt", True),
        ("cost_centre", "CC-1"),
    )
    observations = compare(engine, machine, Scenario(context, steps))
    accepted = [o.accepted for o in observations[4:]]
    assert accepted == [True, False, False, True, True, True, False, False, True]
    assert "Reimbursing" in observations[-1].entered


def test_gates_and_timeouts_of_ancestors_in_moto(engine: AslEngine) -> None:
    """Publishing: refused without its permission and evidence, then taken; a compound state's timeout."""
    machine = example("publishing")
    steps: tuple[Step, ...] = (
        Send("lock_acquired", payload=(("lock_token", "t"),)),
        Send("permissions_granted", payload=(("permission_set", "p"), ("policy_version", "1"))),
        Send("interrupts_armed"),
        WorkDone("InterruptReady"),
        Send("acknowledge"),  # refused: only the assignee, role:release_owner, acknowledges
        Send("acknowledge", actor="rho", permissions=("role:release_owner",)),
        Send("inputs_valid"),
        Send(
            "inputs_valid",
            permissions=("publish:validate",),
            payload=(("validator_version", "1"), ("schema_hash", "h"), ("outputs_verified", "yes")),
        ),
        WorkDone("Normalising"),
        Timeout("Formatting"),
    )
    observations = compare(engine, machine, Scenario((), steps))
    assert observations[5].accepted is False and observations[6].accepted is True
    assert observations[7].accepted is False and observations[8].accepted is True
    assert observations[-1].entered == ("Quarantined",)


DEPLOY = (("planned_changes", 3), ("change_risk", "low"))
PARALLEL = [
    pytest.param(
        DEPLOY,
        (
            Send("plan_ready"),
            WorkDone("Applying"),
            Send("smoke_passed"),
            Send("probe_passed"),
            Send("load_passed"),
            Send("acknowledge", actor="mallory"),
            Send("acknowledge", actor="quinn", permissions=("role:qa_engineer",)),
            Send("metrics_reported", data=HEALTHY_WINDOW),
            Send("abort"),
        ),
        id="regions-emit-join",
    ),
    pytest.param(
        DEPLOY,
        (
            Send("plan_ready"),
            WorkDone("Applying"),
            Send("probe_passed"),
            Send("smoke_failed"),
            WorkDone("RollingBack"),
        ),
        id="one-region-leaves",
    ),
    pytest.param(
        DEPLOY,
        (Send("plan_ready"), WorkDone("Applying"), Send("abort"), Timeout("LoadPending")),
        id="parent-transition",
    ),
    pytest.param(
        (("planned_changes", 3), ("environment", "production")),
        (
            Send("plan_ready"),
            Send("approve", actor="a", permissions=("role:sre_oncall",)),
            Send("approve", actor="b", permissions=("role:security_reviewer",)),
            Send("approve", actor="b", permissions=("role:security_reviewer",)),
            Send("approve", actor="c", permissions=("role:platform_lead",)),
            Timeout("ChangeApproval.level_1"),
        ),
        id="parallel-approval-quorum",
    ),
    pytest.param(
        DEPLOY, (Send("plan_ready"), WorkDone("Applying"), Timeout("SmokeRunning")), id="region-timeout"
    ),
]


@pytest.mark.parametrize(("context", "steps"), PARALLEL)
def test_parallel_states_in_moto(
    engine: AslEngine, context: tuple[tuple[str, ir.Value], ...], steps: tuple[Step, ...]
) -> None:
    """Deploy pipeline: four regions (one emits for another), the join, exits, a parallel approval."""
    machine = example("deploy_pipeline")
    observations = compare(engine, machine, Scenario(context, steps))
    assert any(len(o.active) > 1 for o in observations)


def test_a_scope_lock_refuses_an_answer_naming_another_scope_or_none() -> None:
    """LANGUAGE.md §13 in the definition: publishing's `requires` gates compare the answer's `scope`."""
    text = json.dumps(definition(example("publishing"))["States"])
    assert '{"Variable": "$.signal.scope", "IsPresent": true}' in text
    assert '{"Variable": "$.signal.scope", "StringEquals": "publishing.release"}' in text
    assert '{"Variable": "$.signal.scope", "StringEquals": "publishing.cdn"}' in text
    assert event_answer("go")["scope"] == "" and event_answer("go", scope="s")["scope"] == "s"
