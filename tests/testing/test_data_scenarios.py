"""`statewright test` over data: drawn payloads and results, data guards covered, contexts compared.

The canonical spec is tests/front/data/data_flow.wf: a payload guard
(`submit` over 100.00), a result guard (`done when result.error_rate <= 0.0100
and result.samples > 0`), catches by name and `set`s from every kind of input.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.plugins.api import EngineSpec, Target
from statewright.plugins.manager import PluginManager
from statewright.semantics.inputs import check_fields
from statewright.testing.coverage import covering_scenarios, input_hints
from statewright.testing.equivalence import check_engine, same_context
from statewright.testing.generated import generated_workflow
from statewright.testing.pytest_support import PathCase, check_path
from statewright.testing.pytest_target import render_tests
from statewright.testing.pytest_target.cases import path_cases
from statewright.testing.python_engine import PythonEngine
from statewright.testing.runner import Budget, check_design
from statewright.testing.scenario import Observation, Scenario, Send, Unsupported, WorkDone
from statewright.testing.strategies import scenarios
from statewright.testing.suite import TestOptions, test_machine
from statewright.testing.values import (
    HOSTILE_TEXT,
    event_payload,
    ill_typed,
    literals,
    payload_values,
    work_result,
)
from tests.testing.test_engine_plugins import Engines
from tests.testing.test_python_engine import machine_of

DATA_FLOW = Path(__file__).parents[1] / "front" / "data" / "data_flow.wf"


def _flow() -> ir.Machine:
    return machine_of(DATA_FLOW)


def _context(observation: Observation) -> dict[str, ir.Value]:
    assert observation.context is not None
    return dict(observation.context)


# --------------------------------------------------------------------------- the Python engine


def test_the_python_engine_sends_payloads_and_reports_results_and_messages() -> None:
    """`Send.data` reaches guards and sets; `WorkDone.result` and `message` reach done and dead letter."""
    machine = _flow()
    scenario = Scenario(
        (),
        (
            Send("submit", data=(("amount", Decimal("150.00")), ("note", "rush"))),
            WorkDone("Measuring", result=(("error_rate", Decimal("0.0050")), ("samples", 3))),
        ),
    )
    observed = PythonEngine().run(machine, scenario)
    assert not isinstance(observed, Unsupported)
    start, sent, measured = observed
    assert _context(start)["amount"] == Decimal("0.00")
    assert _context(sent)["amount"] == Decimal("150.00") and _context(sent)["note"] == "rush"
    assert _context(measured)["error_rate"] == Decimal("0.0050")
    assert measured.active == ("Booking.charge",)

    failing = Scenario(
        (),
        (
            Send("submit", data=(("amount", Decimal(5)),)),
            *[WorkDone("Measuring", "Boom", message="disk full")] * 3,
        ),
    )
    observed = PythonEngine().run(machine, failing)
    assert not isinstance(observed, Unsupported)
    assert observed[-1].active == ("Broken",)
    assert _context(observed[-1])["last_error"] == "disk full"


def test_a_bad_payload_is_a_refused_step_that_changes_nothing() -> None:
    """An ill-typed payload is refused by the runtime (SW974): not accepted, same context and states."""
    machine = _flow()
    scenario = Scenario((), (Send("submit", data=(("amount", "lots"),)),))
    observed = PythonEngine().run(machine, scenario)
    assert not isinstance(observed, Unsupported)
    start, refused = observed
    assert not refused.accepted and refused.active == start.active and refused.context == start.context


# --------------------------------------------------------------------------- drawing data


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_drawn_payloads_and_results_fit_their_declared_fields(data: st.DataObject) -> None:
    """Every payload and result a drawn scenario carries passes the runtime's own check."""
    machine = _flow()
    scenario = data.draw(scenarios(machine, 10))
    for step in scenario.steps:
        if isinstance(step, Send):
            assert check_fields(event_payload(machine, step.event), dict(step.data))[1] == (), step
        elif isinstance(step, WorkDone) and step.error is None:
            assert check_fields(work_result(machine, step.state), dict(step.result))[1] == (), step


def test_drawn_scenarios_carry_payloads_results_and_messages() -> None:
    """Across a few drawn scenarios there are payloads, results, caught errors and messages."""
    machine = _flow()
    steps: list[object] = []

    @settings(
        max_examples=200,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(scenarios(machine, 10))
    def collect(scenario: Scenario) -> None:
        steps.extend(scenario.steps)

    collect()
    assert any(isinstance(s, Send) and s.data for s in steps)
    assert any(isinstance(s, WorkDone) and s.result for s in steps)
    assert any(isinstance(s, WorkDone) and s.error == "QuotaExceeded" for s in steps)  # caught by name
    assert any(isinstance(s, WorkDone) and s.message for s in steps)
    hostile: list[object] = [s for s in steps if isinstance(s, Send) and ("note", HOSTILE_TEXT) in s.data]
    hostile += [
        s for s in steps if isinstance(s, WorkDone) and HOSTILE_TEXT in (s.message, *dict(s.result).values())
    ]
    assert hostile, "text that breaks naive quoting is sent as data now and then"


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_ill_typed_data_never_fits(data: st.DataObject) -> None:
    """`ill_typed` draws only data the runtime's check refuses; `payload_values` only data it accepts."""
    machine = _flow()
    fields = data.draw(
        st.sampled_from(
            [
                event_payload(machine, "submit"),
                event_payload(machine, "upgrade"),
                event_payload(machine, "cancel"),
                work_result(machine, "Measuring"),
            ]
        )
    )
    assert check_fields(fields, data.draw(ill_typed(fields)))[1] != ()
    good = data.draw(payload_values(fields, literals(machine)))
    assert check_fields(fields, dict(good))[1] == ()


# --------------------------------------------------------------------------- path coverage over data


def test_path_scenarios_cover_every_data_guard_and_its_else() -> None:
    """The solver's examples take `submit` over 100.00 and both `done` branches of the measured rate."""
    machine = _flow()
    hints = input_hints(machine)
    amounts = [dict(d).get("amount") for d in hints.payloads_of("submit")]
    assert any(isinstance(a, Decimal) and a > 100 for a in amounts) and Decimal("0.00") in amounts
    coverage = covering_scenarios(machine)
    assert coverage.uncovered == (), [machine.transitions[i] for i in coverage.uncovered]
    results = [s for scenario in coverage.scenarios for s in scenario.steps if isinstance(s, WorkDone)]
    rates = {dict(s.result).get("error_rate") for s in results if s.state == "Measuring" and s.result}
    assert any(isinstance(rate, Decimal) and rate <= Decimal("0.0100") for rate in rates)


# --------------------------------------------------------------------------- comparing contexts


def test_contexts_compare_by_type_and_exact_value() -> None:
    """1.5 equals 1.50, an int read as a declared decimal is that decimal; a bool is never an int."""
    machine = _flow()
    assert same_context((("amount", Decimal("1.5")),), (("amount", Decimal("1.50")),), machine)
    assert same_context((("amount", Decimal(2)),), (("amount", 2),), machine)
    assert not same_context((("lane", 1),), (("lane", True),), machine)
    assert not same_context((("signed", False),), (("signed", 0),), machine)
    assert not same_context((("amount", Decimal("0.1")),), (("amount", Decimal("0.10000001")),), machine)
    assert not same_context((("note", "x"),), (), machine)


@dataclass
class MovedThreshold:
    """A seeded engine defect: the `submit` guard compares with 1000.00 where the spec says 100.00."""

    name: str = "moved-threshold"

    def run(self, machine: ir.Machine, scenario: Scenario) -> Sequence[Observation] | Unsupported:
        """The reference on the machine with its payload guard's literal moved."""
        return PythonEngine().run(_moved(machine), scenario)


def _moved(machine: ir.Machine) -> ir.Machine:
    transitions = []
    for transition in machine.transitions:
        guard = transition.guard
        if isinstance(guard, ir.BinOp) and guard.left == ir.Var("event.amount", "decimal"):
            guard = replace(guard, right=ir.Lit(Decimal("1000.00"), "decimal"))
        transitions.append(replace(transition, guard=guard))
    return replace(machine, transitions=tuple(transitions))


@dataclass
class NoContext:
    """An engine that agrees on states but does not report its context (not yet ported to data)."""

    name: str = "no-context"

    def run(self, machine: ir.Machine, scenario: Scenario) -> Sequence[Observation] | Unsupported:
        """The reference's observations without their context."""
        observed = PythonEngine().run(machine, scenario)
        if isinstance(observed, Unsupported):
            return observed
        return [replace(o, context=None) for o in observed]


def test_the_seeded_guard_defect_is_found_and_the_report_names_the_payload() -> None:
    """Both `submit` branches go to Route: only the context tells them apart, and it is compared."""
    machine = _flow()
    assert MovedThreshold().run(machine, Scenario()) is not None
    assert _moved(machine) != machine, "the seeded defect must change the guard"
    result = check_engine(machine, MovedThreshold(), covering_scenarios(machine).scenarios, drawn=0)
    divergence = result.divergence
    assert divergence is not None
    text = "\n".join(divergence.describe())
    assert "send submit(amount=" in text, text
    assert "context `amount`: python" in text, text


def test_statewright_test_reports_the_seeded_defect_with_the_payload() -> None:
    """Through `test_machine` and a plugin engine: SW981 whose counterexample shows the payload sent."""
    plugin = Engines(EngineSpec("moved-threshold", "ir", "a seeded defect", _load_moved))
    manager = PluginManager(plugins=[plugin], entry_points=False)
    outcome = test_machine(
        _flow(), "data_flow.wf", TestOptions(("python", "moved-threshold"), 5, 5, drawn=0), manager=manager
    )
    (finding,) = [d for d in outcome.diagnostics if d.code == "SW981"]
    lines = "\n".join(finding.counterexample or ())
    assert "submit(amount=" in lines and "context `amount`" in lines, lines


def _load_moved(_target: Target) -> MovedThreshold:
    return MovedThreshold()


def _load_blind(_target: Target) -> NoContext:
    return NoContext()


def test_an_engine_without_context_is_not_a_silent_pass() -> None:
    """States agree, so it passes the comparison, but every scenario is counted and SW985 says so."""
    machine = _flow()
    result = check_engine(machine, NoContext(), covering_scenarios(machine).scenarios[:5], drawn=0)
    assert result.passed and result.context_compared == 0 and result.context_unreported == result.agreed > 0
    exact = check_engine(machine, PythonEngine(), covering_scenarios(machine).scenarios[:5], drawn=0)
    assert exact.context_compared == exact.agreed > 0 and exact.context_unreported == 0
    plugin = Engines(EngineSpec("no-context", "ir", "states only", _load_blind))
    manager = PluginManager(plugins=[plugin], entry_points=False)
    outcome = test_machine(
        machine, "data_flow.wf", TestOptions(("python", "no-context"), 5, 5, drawn=2), manager=manager
    )
    assert outcome.passed
    codes = [d.code for d in outcome.diagnostics]
    assert "SW985" in codes
    assert outcome.to_dict()["engines"][0]["context_unreported"] > 0


# --------------------------------------------------------------------------- the design property test


def test_the_design_test_sends_data_and_keeps_the_invariants() -> None:
    """data_flow.wf's generated module keeps every invariant with drawn payloads, results and bad data."""
    result = check_design(_flow(), "data_flow.wf", Budget(max_examples=60, steps=20, seed=0))
    assert result.problem is None
    assert result.violation is None, str(result.violation)


def _wider_payload(machine: ir.Machine) -> ir.Machine:
    """`submit(amount)` accepting -5.00..2000000.00 where the spec says 0.00..1000000.00 (a seeded defect)."""
    events = []
    for event in machine.events:
        payload = tuple(
            replace(f, type=replace(f.type, min=Decimal("-5.00"), max=Decimal("2000000.00")))
            if f.name == "amount"
            else f
            for f in event.payload
        )
        events.append(replace(event, payload=payload))
    return replace(machine, events=tuple(events))


def test_code_that_accepts_a_payload_past_its_bound_is_caught() -> None:
    """Code under test whose `submit` takes an amount past the declared bound: payload-not-refused."""
    machine = _flow()
    workflow = generated_workflow(_wider_payload(machine), "data_flow.wf")
    budget = Budget(max_examples=300, steps=20, seed=0, shrink=False, bad_data_rate=2)
    result = check_design(machine, "data_flow.wf", budget, workflow=workflow)
    assert result.violation is not None, "the seeded defect went unnoticed"
    report = str(result.violation)
    assert result.violation.violation.invariant == "payload-not-refused", report
    assert "send submit (amount=" in report and "[ill-typed]" in report, report
    assert "expected PayloadInvalid (SW974)" in report, report


# --------------------------------------------------------------------------- the pytest target

HOSTILE = '"""\\x00 it\'s {x} """ + \'\'\'\n# coding: utf-7\n\\'


def _hostile(machine: ir.Machine) -> ir.Machine:
    """data_flow with the note its saga records replaced by text that breaks naive quoting."""
    transitions = []
    for transition in machine.transitions:
        actions = tuple(
            replace(a, value=ir.Lit(HOSTILE, "string"))
            if isinstance(a, ir.Assign) and a.value == ir.Lit("shipped", "string")
            else a
            for a in transition.actions
        )
        transitions.append(replace(transition, actions=actions))
    return replace(machine, transitions=tuple(transitions))


def test_the_pytest_file_writes_data_results_and_changed_context(tmp_path: Path) -> None:
    """Payloads, results and the changed context are in the file; ruff-formatted, mypy-strict, passing."""
    machine = _hostile(_flow())
    text, searched = render_tests(machine, "data_flow.wf")
    assert searched
    assert 'Send("submit", data=(("amount", Decimal(' in text
    assert 'WorkDone("Measuring", result=(("error_rate", Decimal(' in text
    assert 'changed=(("amount", Decimal(' in text
    path = tmp_path / "test_data_flow.py"
    path.write_text(text, "utf-8")
    bin_dir = Path(sys.executable).parent
    formatted = subprocess.run(
        [
            str(bin_dir / "ruff"),
            "format",
            "--check",
            "--diff",
            "--line-length",
            "100",
            "--no-cache",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    typed = subprocess.run(
        [str(bin_dir / "mypy"), "--strict", "--no-incremental", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path), "-k", "test_path"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    namespace: dict[str, object] = {}
    exec(compile(text, str(path), "exec"), namespace)  # the hostile note is data, read back exactly
    paths = namespace["PATHS"]
    assert isinstance(paths, tuple)
    assert any(("note", HOSTILE) in case.changed for case in paths)


def test_a_path_case_whose_data_is_mishandled_fails_naming_the_field(tmp_path: Path) -> None:
    """Code under test that drops the payload's amount: the kept file fails on the changed context."""
    machine = _flow()
    case = next(c for c in path_cases(machine) if '("amount", Decimal("101"))' in c.changed)
    assert case.changed
    workflow = generated_workflow(_moved(machine), "data_flow.wf")
    observed = PythonEngine().run(machine, _scenario_of(machine, case.name))
    assert not isinstance(observed, Unsupported)
    kept = PathCase(
        case.name,
        _scenario_of(machine, case.name),
        tuple(o.entered for o in observed),
        observed[-1].status,
        (("amount", Decimal("101")), ("lane", 1)),
    )
    try:
        check_path(workflow, machine, kept)
    except AssertionError as error:
        assert "ends with context {'amount'" in str(error), str(error)
    else:
        raise AssertionError("a payload the code dropped went unnoticed")


def _scenario_of(machine: ir.Machine, name: str) -> Scenario:
    number = int(name.removeprefix("path_"))
    return covering_scenarios(machine).scenarios[number - 1]


def _note_dropped(machine: ir.Machine) -> ir.Machine:
    """Code that records a constant where the spec records the payload's note (a seeded defect)."""
    note = ir.Var("event.note", "string")
    transitions = []
    for transition in machine.transitions:
        actions = tuple(
            replace(a, value=ir.Lit("x", "string")) if isinstance(a, ir.Assign) and a.value == note else a
            for a in transition.actions
        )
        transitions.append(replace(transition, actions=actions))
    return replace(machine, transitions=tuple(transitions))


def test_code_that_sets_the_wrong_value_from_data_is_caught() -> None:
    """The design test recomputes each `set` from the data the record kept: data-not-applied."""
    machine = _flow()
    assert _note_dropped(machine) != machine
    workflow = generated_workflow(_note_dropped(machine), "data_flow.wf")
    budget = Budget(max_examples=200, steps=10, seed=0, shrink=False)
    result = check_design(machine, "data_flow.wf", budget, workflow=workflow)
    assert result.violation is not None, "the seeded defect went unnoticed"
    report = str(result.violation)
    assert result.violation.violation.invariant == "data-not-applied", report
    assert "left `note` = 'x'; the spec's `set` gives" in report and "event.note=" in report, report
