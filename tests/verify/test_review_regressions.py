"""Regressions from the review of the SMT rules: exit actions, sequential `set`s, parallel gaps, tallies."""

from __future__ import annotations

from statewright.compiler.smt.analysis import analysis_of
from statewright.compiler.verify.rules import guards, invariants
from statewright.pipeline import compile_text
from statewright.plugins.run import VerificationRun
from statewright.semantics.values import apply_sets
from tests.verify.support import machine_of, position, run_rules

EXIT_FIRST = """workflow E {
  context {
    x: int 0..10 = 5
    y: int 0..10 = 0
    z: int 0..100 = 0
  }
  events { go }
  initial state S {
    timeout 1h -> T
    exit { set x = 0 }
    on go when x >= 1 -> T { set y = x - 1  set z = 10 % x }
  }
  final state T
}
"""

PARALLEL_GAP = """workflow P {
  context { x: int 0..10 = 0 }
  events { go, stop }
  initial parallel Both {
    region A {
      initial state A1 { on go when x > 5 -> A2 }
      final state A2
    }
    region B {
      initial state B1 { on go when OTHER -> B2 }
      final state B2
    }
    done -> End
    on stop -> End
    timeout 1h -> End
  }
  final state End
}
"""


def test_transition_actions_run_after_the_exit_actions_they_follow() -> None:
    """`exit { set x = 0 }` runs first: the guard `x >= 1` no longer protects `x - 1` nor `10 % x`."""
    machine = machine_of(EXIT_FIRST)
    [out_of_range] = run_rules(invariants, machine, "SW406")
    [division] = run_rules(invariants, machine, "SW408")
    assert (out_of_range.span.line, out_of_range.span.column) == position(EXIT_FIRST, "set y = x - 1")
    assert (division.span.line, division.span.column) == position(EXIT_FIRST, "10 % x")
    block = next(b for b in invariants.blocks_of(machine) if b.sets)
    assert block.given == ()  # the exit action writes what the guard read
    after = apply_sets(block.run, {"x": 7, "y": 0, "z": 0}, machine.context)
    assert after == {"x": 0, "y": -1, "z": 10}


def test_an_exit_action_is_no_false_alarm_either() -> None:
    """`set y = x` after `exit { set x = 0 }` stores 0, which fits `y: int 0..3`."""
    text = EXIT_FIRST.replace("y: int 0..10 = 0", "y: int 0..3 = 0").replace(
        "on go when x >= 1 -> T { set y = x - 1  set z = 10 % x }", "on go -> T { set y = x }"
    )
    assert run_rules(invariants, machine_of(text), "SW406") == []


def test_a_divisor_is_checked_after_the_earlier_sets_of_its_block() -> None:
    """`set x = 0  set y = 10 % x` under `x != 0` divides by zero every time."""
    text = EXIT_FIRST.replace("    exit { set x = 0 }\n", "").replace(
        "on go when x >= 1 -> T { set y = x - 1  set z = 10 % x }",
        "on go when x != 0 -> T { set x = 0  set z = 10 % x }",
    )
    [finding] = run_rules(invariants, machine_of(text), "SW408")
    assert "is 0 when" in finding.message


def test_a_gap_across_parallel_regions_that_decide_only_by_guards_is_reported() -> None:
    """Neither region takes `go` at x = 0: SW403, however many regions mention the event."""
    machine = machine_of(PARALLEL_GAP.replace("OTHER", "x > 7"))
    found = run_rules(guards, machine, "SW403")
    assert found and all("x = " in d.message for d in found)


def test_an_unguarded_entry_in_another_region_closes_the_gap() -> None:
    """If region B always takes `go`, region A's guards leave no gap."""
    machine = machine_of(PARALLEL_GAP.replace("on go when OTHER -> B2", "on go -> B2"))
    assert run_rules(guards, machine, "SW403") == []


def test_a_gap_closed_further_out_is_tallied_as_proved() -> None:
    """A workflow-level `reject *` closes the guards' gap: the report counts the pair as proved."""
    text = """workflow R {
  context { x: int 0..10 = 0 }
  events { go, stop }
  reject * "not now"
  initial state S { on go when x > 2 -> T  on stop -> T }
  final state T
}
"""
    machine = machine_of(text)
    run = VerificationRun(machine)
    assert run_rules(guards, machine, "SW403", run=run) == []
    assert analysis_of(run).tally()["exhaustive"] == {"proved": 1, "refuted": 0, "unknown": 0}


def test_running_the_rules_twice_does_not_double_the_tally() -> None:
    """Obligations are counted once per subject, however often the rules run."""
    machine = machine_of(EXIT_FIRST)
    run = VerificationRun(machine)
    run_rules(invariants, machine, run=run)
    once = analysis_of(run).tally()
    run_rules(invariants, machine, run=run)
    assert analysis_of(run).tally() == once


def test_overlong_number_literals_are_a_diagnostic_not_a_crash() -> None:
    """A 5,000-digit literal is SW016 with a position, before any solver sees it."""
    text = EXIT_FIRST.replace("x: int 0..10 = 5", "x: int 0..10 = " + "1" * 5000)
    result = compile_text(text, "big.wf")
    assert [d.code for d in result.diagnostics] == ["SW016"]
    assert result.diagnostics[0].span.line == 3
