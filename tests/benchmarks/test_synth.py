"""The synthetic spec generator: exact size, valid, deterministic, realistic proportions."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import synth
from statewright.compiler.verify import verify
from statewright.diagnostics import Severity
from statewright.pipeline import compile_text
from statewright.plugins.api import RuleContext
from statewright.plugins.manager import get_plugin_manager


@settings(max_examples=25)
@given(st.integers(min_value=synth.MIN_STATES, max_value=450))
def test_the_spec_has_exactly_the_requested_number_of_states(states: int) -> None:
    result = compile_text(synth.spec(states), "synthetic.wf")
    assert result.ok, result.diagnostics
    assert result.machine is not None
    assert len(result.machine.states) == states


@pytest.mark.parametrize("states", [synth.MIN_STATES, 250, 1000])
def test_the_spec_passes_every_verification_rule_without_findings(states: int) -> None:
    """`statewright check` accepts it: no errors, and no warnings either (a clean, realistic workflow)."""
    result = compile_text(synth.spec(states), "synthetic.wf")
    assert result.machine is not None and result.ok, result.diagnostics
    findings = verify(result.machine, get_plugin_manager().rules(), RuleContext())
    assert [f for f in findings if f.severity in (Severity.ERROR, Severity.WARNING)] == []


def test_the_spec_depends_on_the_size_alone() -> None:
    assert synth.spec(777) == synth.spec(777)
    assert synth.spec(777) != synth.spec(778)


def test_the_spec_holds_guards_sagas_approvals_and_checkpoints_in_proportion() -> None:
    machine = compile_text(synth.spec(2000), "synthetic.wf").machine
    assert machine is not None
    roles = Counter(state.role for state in machine.states)
    guarded = sum(1 for t in machine.transitions if t.guard is not None)
    assert len(machine.sagas) >= 2000 // 40
    assert len(machine.approvals) >= 2000 // 40
    assert len(machine.checkpoints) >= 2000 // 40
    assert guarded >= 2000 // 5
    assert roles["state"] > len(machine.states) // 2  # most states are plain stages


def test_too_small_a_size_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        synth.spec(synth.MIN_STATES - 1)
