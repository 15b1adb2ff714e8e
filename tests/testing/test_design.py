"""`statewright test`'s design check: it passes on the examples and catches defects seeded on purpose.

Each seeded defect takes a correct example and breaks the code under test
(the generated module's embedded IR, or the store under the runtime), then
asserts that the check fails with a report naming the broken invariant, the
DSL line, and the steps that reproduce it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from statewright import ir
from statewright.diagnostics.render import render_full
from statewright.runtime.memory import MemoryStore
from statewright.runtime.model import Record
from statewright.runtime.workflow import Workflow
from statewright.testing.generated import generated_workflow
from statewright.testing.runner import Budget, DesignResult, check_design
from statewright.testing.suite import TestOptions, test_machine
from tests.conftest import EXAMPLES, example_files
from tests.testing.test_python_engine import machine_of

CI_BUDGET = Budget(max_examples=30, steps=20, seed=0)
SEEDED = Budget(max_examples=300, steps=25, seed=0, shrink=False)
SHRUNK = Budget(max_examples=300, steps=25, seed=0)
ORDER = EXAMPLES / "order_fulfilment.wf"


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in example_files()])
def test_every_example_keeps_its_invariants(path: Path) -> None:
    """The generated module of every example keeps every invariant on a CI-sized budget."""
    result = check_design(machine_of(path), path.name, CI_BUDGET)
    assert result.problem is None
    assert result.violation is None, str(result.violation)


def _retarget(machine: ir.Machine, source: str, kind: str, target: str) -> ir.Machine:
    """The machine with the first `kind` transition out of `source` sent to `target` instead."""
    transitions = list(machine.transitions)
    index = next(i for i, t in enumerate(transitions) if t.source == source and t.kind == kind)
    transitions[index] = replace(transitions[index], target=target)
    return replace(machine, transitions=tuple(transitions))


def _broken(machine: ir.Machine, mutated: ir.Machine) -> DesignResult:
    """Check the spec `machine` against code generated from `mutated`."""
    workflow: type[Workflow] = generated_workflow(mutated, "order_fulfilment.wf")
    return check_design(machine, "order_fulfilment.wf", SEEDED, workflow=workflow)


def _failed(result: DesignResult, invariants: Sequence[str]) -> str:
    assert result.violation is not None, "the seeded defect went unnoticed"
    report = str(result.violation)
    assert result.violation.violation.invariant in invariants, report
    assert "steps:" in report and "0. start" in report
    return report


def test_a_skipped_compensation_is_caught() -> None:
    """Refunding the card then going straight to Cancelled (the stock is never released) fails."""
    machine = machine_of(ORDER)
    mutated = _retarget(machine, "Fulfilling.refund_card", "done", "Cancelled")
    report = _failed(_broken(machine, mutated), ("forbidden-transition", "saga-compensation-missing"))
    assert "Fulfilling.refund_card" in report


def test_reordered_compensations_are_caught_even_when_the_ir_itself_is_wrong() -> None:
    """An IR whose saga releases the stock before refunding breaks the saga's declared order."""
    machine = machine_of(ORDER)
    mutated = _retarget(machine, "Fulfilling.book_courier", "error", "Fulfilling.release_stock")
    mutated = _retarget(mutated, "Fulfilling.release_stock", "done", "Fulfilling.refund_card")
    mutated = _retarget(mutated, "Fulfilling.refund_card", "done", "Cancelled")
    # Spec and code agree here, so only the saga table can tell that the order is wrong.
    result = check_design(mutated, "order_fulfilment.wf", SEEDED)
    report = _failed(result, ("saga-compensation-order", "saga-compensation-missing"))
    saga_line = next(
        number
        for number, line in enumerate(ORDER.read_text("utf-8").splitlines(), 1)
        if line.strip().startswith("saga Fulfilling")
    )
    assert f"order_fulfilment.wf:{saga_line}:" in report  # the saga block's line
    assert "release_stock" in report


def test_a_transition_the_ir_forbids_is_caught() -> None:
    """Code that takes `submit` from Draft straight to Shipped is a forbidden transition."""
    machine = machine_of(ORDER)
    mutated = _retarget(machine, "Draft", "event", "Shipped")
    report = _failed(_broken(machine, mutated), ("forbidden-transition",))
    assert "Draft" in report and "order_fulfilment.wf:" in report


class LosingStore(MemoryStore):
    """A store that loses the audit record of the first `done` step (the defect under test)."""

    def records(self, instance_id: str) -> Sequence[Record]:
        """Every record but the first `done`, renumbered as if it had never been written."""
        kept = list(super().records(instance_id))
        lost = next((r for r in kept if r.kind == "done"), None)
        return [r for r in kept if r is not lost]


def test_a_dropped_audit_record_is_caught() -> None:
    """A store that loses a record breaks the chain of configurations and the replay."""
    machine = machine_of(ORDER)
    result = check_design(machine, "order_fulfilment.wf", SEEDED, store=LosingStore)
    _failed(result, ("hidden-leap", "replay"))


def test_a_failure_is_shrunk_to_the_shortest_steps_and_repeats_with_its_seed() -> None:
    """Shrunk: `submit` alone shows the forbidden leap; the same seed finds the same steps again."""
    machine = machine_of(ORDER)
    workflow = generated_workflow(_retarget(machine, "Draft", "event", "Shipped"), "order_fulfilment.wf")
    first = check_design(machine, "order_fulfilment.wf", SHRUNK, workflow=workflow)
    second = check_design(machine, "order_fulfilment.wf", SHRUNK, workflow=workflow)
    assert first.violation is not None and second.violation is not None
    assert first.violation.steps[1:] == ("send submit key k1",)
    assert first.violation.steps == second.violation.steps


def test_the_report_of_a_failure_has_the_code_the_dsl_line_and_the_shrunk_steps() -> None:
    """Through `statewright test`'s suite: SW980 at the transition's line, the steps as counterexample."""
    machine = machine_of(ORDER)
    workflow = generated_workflow(_retarget(machine, "Draft", "event", "Shipped"), "order_fulfilment.wf")
    options = TestOptions(max_examples=200, steps=20, nodes=200)
    outcome = test_machine(machine, "order_fulfilment.wf", options, workflow=workflow)
    assert not outcome.passed
    (finding,) = [d for d in outcome.diagnostics if d.code == "SW980"]
    lines = ORDER.read_text("utf-8").splitlines()
    text = render_full(finding, lambda _file, number: lines[number - 1])
    assert "error[SW980]: invariant `forbidden-transition` broken" in text
    submit = next(n for n, line in enumerate(lines, 1) if "on submit -> Validating" in line)
    assert f"--> order_fulfilment.wf:{submit}:5" in text
    assert "on submit -> Validating" in text  # the source line under the arrow
    # The shrunk run: a start (from a path scenario's full context, or the defaults) and the submit.
    assert "= counterexample: 0. start {amount=0.00" in text
    assert " -> 1. send submit key k1" in text
