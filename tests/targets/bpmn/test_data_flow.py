"""Issue 17 on both BPMN engines: payloads, results and failures reach the process as the runtime's.

The data-flow spec (tests/front/data/data_flow.wf) reads every kind of input:
a payload guard and payload `set`s, an eventless `always` choice, a work
result's guards and `set`s, named catches (`on error NAME`) before the dead
letter recording the failure's name and message, and actions on saga,
approval and checkpoint outcomes. Each scenario runs on the Python runtime,
SpiffWorkflow (generic flavor) and bpmn-engine (javascript flavor); the
observations, context included, must agree step by step. A payload that does
not fit its event is refused by every engine with nothing applied; a result
that does not fit is a `ResultInvalid` failure on every engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.targets.bpmn import JAVASCRIPT
from statewright.testing.bpmn_engine import BpmnEngine
from statewright.testing.bpmn_node_engine import NodeBpmnEngine, missing
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Observation, Scenario, Send, Step, Unsupported, WorkDone
from tests.targets.bpmn.scenarios import scenarios
from tests.targets.specs import machine_of

SPEC = Path(__file__).resolve().parents[2] / "front" / "data" / "data_flow.wf"
MACHINE = machine_of(SPEC.read_text("utf-8"))

BIG = Send("submit", data=(("amount", Decimal("500.00")), ("note", "rush")))
GOOD = WorkDone("Measuring", result=(("error_rate", Decimal("0.0050")), ("samples", 3)))
CHARGED = WorkDone("Booking.charge", result=(("receipt", "r-1"),))
SHIPPED = (CHARGED, WorkDone("Booking.reserve"), WorkDone("Booking.ship"))
MANAGER = Send("approve", actor="meg", permissions=("role:manager",))

SCENARIOS: dict[str, tuple[Step, ...]] = {
    "payload-guard-big": (BIG,),
    "payload-guard-small-default-note": (Send("submit", data=(("amount", Decimal("5.00")),)),),
    "payload-then-always-gold": (Send("upgrade", data=(("tier", "gold"),)), BIG),
    "result-guard-passes": (BIG, GOOD),
    "result-guard-else": (
        BIG,
        WorkDone("Measuring", result=(("error_rate", Decimal("0.5000")), ("samples", 9))),
    ),
    "named-catch-records-the-name": (BIG, WorkDone("Measuring", error="QuotaExceeded", message="quota")),
    "named-catch-without-actions": (BIG, WorkDone("Measuring", error="Forbidden", message="no")),
    "retried-then-dead-letter-records-the-message": (
        BIG,
        *(WorkDone("Measuring", error="Unavailable", message=f"down {n}") for n in range(3)),
    ),
    "uncaught-name-goes-to-the-dead-letter": (BIG, WorkDone("Measuring", error="Boom", message="bang")),
    "result-missing-a-field-is-result-invalid": (
        BIG,
        WorkDone("Measuring", result=(("error_rate", Decimal("0.0050")),)),
    ),
    "result-out-of-bounds-is-result-invalid": (
        BIG,
        WorkDone("Measuring", result=(("error_rate", Decimal("2")), ("samples", 1))),
    ),
    "then-and-outcome-actions": (BIG, GOOD, *SHIPPED, MANAGER, Send("acknowledge", "ops", ("role:ops",))),
    "rejected-outcome-action": (
        BIG,
        GOOD,
        *SHIPPED,
        Send("reject", actor="meg", permissions=("role:manager",)),
    ),
    "compensated-outcome-action": (
        BIG,
        GOOD,
        CHARGED,
        WorkDone("Booking.reserve", error="Sold", message="out"),
        WorkDone("Booking.refund"),
    ),
    "compensation-failed-outcome-action": (
        BIG,
        GOOD,
        CHARGED,
        WorkDone("Booking.reserve", error="Sold"),
        WorkDone("Booking.refund", error="Stuck", message="refund stuck"),
    ),
}

BAD_PAYLOADS: dict[str, tuple[tuple[str, ir.Value], ...]] = {
    "out-of-bounds": (("amount", Decimal("1000000.01")),),
    "missing-field": (("note", "x"),),
    "undeclared-field": (("amount", Decimal("1.00")), ("colour", "red")),
    "wrong-type": (("amount", "lots"),),
    "bool-for-decimal": (("amount", True),),
    "below-the-bound": (("amount", Decimal("-0.01")),),
}


def _agree(engines: dict[str, object], scenario: Scenario) -> list[Observation]:
    """Every engine's observations equal the runtime's, context included; returns the runtime's."""
    reference = PythonEngine().run(MACHINE, scenario)
    assert not isinstance(reference, Unsupported), reference
    lines = scenario.describe()
    for name, engine in engines.items():
        observed = engine.run(MACHINE, scenario)  # type: ignore[attr-defined]
        assert not isinstance(observed, Unsupported), observed
        for index, (want, got) in enumerate(zip(reference, observed, strict=True)):
            assert got.context is not None, f"{name} reported no context"
            assert got == want, "\n".join([*lines[: index + 1], f"python: {want}", f"{name}: {got}"])
    return list(reference)


@pytest.fixture(scope="module")
def node() -> Iterator[NodeBpmnEngine]:
    """One bpmn-engine process for the module."""
    assert missing() is None, missing()
    with NodeBpmnEngine(JAVASCRIPT) as engine:
        yield engine


@pytest.mark.parametrize("name", SCENARIOS)
def test_data_reaches_the_process_as_the_runtimes(name: str, node: NodeBpmnEngine) -> None:
    observations = _agree({"spiff": BpmnEngine(), "bpmn-engine": node}, Scenario((), SCENARIOS[name]))
    assert all(o.accepted for o in observations), observations  # each scenario is taken all the way


def test_the_scenarios_exercise_the_data() -> None:
    """The reference really moves data: the payload, the result, the failure and outcome actions land."""
    runs = {name: PythonEngine().run(MACHINE, Scenario((), steps)) for name, steps in SCENARIOS.items()}

    def final(name: str) -> dict[str, ir.Value]:
        observations = runs[name]
        assert not isinstance(observations, Unsupported)
        return dict(observations[-1].context or ())

    assert final("payload-guard-big")["amount"] == Decimal("500.00")
    assert final("payload-guard-big")["note"] == "rush"
    assert final("payload-then-always-gold")["lane"] == 2
    assert final("result-guard-else")["error_rate"] == Decimal("0.5")
    assert final("named-catch-records-the-name")["last_error"] == "QuotaExceeded"
    assert final("retried-then-dead-letter-records-the-message")["last_error"] == "down 2"
    assert "does not fit" in str(final("result-missing-a-field-is-result-invalid")["last_error"])
    assert final("then-and-outcome-actions")["receipt"] == "r-1"
    assert final("then-and-outcome-actions")["signed"] is True
    assert final("rejected-outcome-action")["note"] == "declined"
    assert final("compensated-outcome-action")["note"] == "payment undone"
    assert final("compensation-failed-outcome-action")["note"] == "manual"


@pytest.mark.parametrize("name", BAD_PAYLOADS)
def test_a_bad_payload_is_refused_alike_with_nothing_applied(name: str, node: NodeBpmnEngine) -> None:
    steps = (Send("upgrade", data=(("tier", "gold"),)), Send("submit", data=BAD_PAYLOADS[name]), BIG)
    observations = _agree({"spiff": BpmnEngine(), "bpmn-engine": node}, Scenario((), steps))
    refused = observations[2]
    assert not refused.accepted
    assert refused.context == observations[1].context and refused.active == ("Review",)
    assert observations[3].accepted


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(
    amount=st.decimals(min_value=Decimal("-1.00"), max_value=Decimal("1000001.00"), places=2),
    rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=4),
    samples=st.integers(min_value=-1, max_value=3),
    tier=st.sampled_from(["gold", "silver"]),
)
def test_drawn_payloads_and_results_agree_on_spiffworkflow(
    amount: Decimal, rate: Decimal, samples: int, tier: str
) -> None:
    """Payloads and results around every guard's edge and bound (some refused, some `ResultInvalid`)."""
    steps = (
        Send("upgrade", data=(("tier", tier),)),
        Send("submit", data=(("amount", amount),)),
        WorkDone("Measuring", result=(("error_rate", rate), ("samples", samples))),
    )
    _agree({"spiff": BpmnEngine()}, Scenario((), steps))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(scenarios(MACHINE, 12))
def test_drawn_scenarios_with_data_agree_on_spiffworkflow(scenario: Scenario) -> None:
    """Scenarios drawn from the runtime's state, payloads and results from their declared fields."""
    _agree({"spiff": BpmnEngine()}, scenario)


ONLY_A_NAMED_CATCH = """
workflow Catch {
  version 1
  context { last: string = "" }
  events { go }
  initial state Working {
    invoke work
    on error Quota -> Throttled { set last = error.message }
  }
  state Throttled { on go -> Done }
  final state Done
}
"""


@pytest.mark.parametrize(("error", "caught"), [("Quota", True), ("Other", False)])
def test_a_lone_named_catch_takes_only_its_name(error: str, caught: bool, node: NodeBpmnEngine) -> None:
    """With no dead letter, a failure of another name fails the instance (the catch is no catch-all)."""
    machine = machine_of(ONLY_A_NAMED_CATCH)
    scenario = Scenario((), (WorkDone("Working", error=error, message="slow down"),))
    reference = PythonEngine().run(machine, scenario)
    assert not isinstance(reference, Unsupported)
    for engine in (BpmnEngine(), node):
        assert engine.run(machine, scenario) == reference
    assert reference[-1].status == ("running" if caught else "failed")
    assert dict(reference[-1].context or ()).get("last") == ("slow down" if caught else "")
