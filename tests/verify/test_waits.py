"""Approval and wait rules (SW601–SW606): one spec that triggers each rule and one that does not."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.compiler.verify.graph import MachineGraph
from statewright.compiler.verify.rules import waits
from statewright.diagnostics import Diagnostic, Severity
from statewright.pipeline import compile_path
from statewright.plugins.manager import PluginManager
from tests.conftest import EXAMPLES
from tests.verify.support import at, machine_of, position, run_rules

GOOD = """\
workflow W {
  events { go, resolved }
  initial state Draft { on go -> Review  timeout 30d -> Withdrawn }
  approval Review {
    level 1 { approvers role:manager quorum 1 timeout 24h escalate -> level 2 }
    level 2 { approvers role:director, user:"cfo@example.com" quorum 2 timeout 48h escalate -> Expired }
    delegation allowed
    recall -> Draft
    approved -> Checked
    rejected -> Rejected
  }
  checkpoint Checked {
    prompt "look at it"
    assignee role:auditor
    acknowledged -> Done
    timeout 1d -> Done
  }
  final state Done
  final state Rejected
  final state Expired
  final state Withdrawn
}
"""


def findings(machine: ir.Machine, code: str | None = None) -> list[Diagnostic]:
    """Run the waits rules; keep findings with `code` when given."""
    return run_rules(waits, machine, code)


def add(machine: ir.Machine, *transitions: ir.Transition) -> ir.Machine:
    """Return `machine` with extra transitions (a hand edit the front end cannot make)."""
    return dataclasses.replace(machine, transitions=machine.transitions + transitions)


def test_good_spec_is_clean() -> None:
    assert findings(machine_of(GOOD)) == []


def test_waiting_states() -> None:
    found = waits.waiting_states(machine_of(GOOD))
    assert list(found) == ["Draft", "Review.level_1", "Review.level_2", "Checked"]
    assert [w.strict for w in found.values()] == [False, True, True, True]


def test_rules_register_through_the_hook() -> None:
    manager = PluginManager(builtins=(), plugins=[waits], entry_points=False)
    assert {rule.name for rule in manager.rules()} == {r.name for r in waits.statewright_rules()}


# --------------------------------------------------------------------------- SW601


def test_sw601_checkpoint_without_timeout() -> None:
    text = GOOD.replace("    timeout 1d -> Done\n", "")
    [finding] = findings(machine_of(text), "SW601")
    assert finding.severity is Severity.ERROR
    assert "checkpoint `Checked` waits for `acknowledge`" in finding.message
    assert at(finding) == position(text, "checkpoint Checked")
    assert finding.counterexample == ("go", "after 1d", "approve")


def test_sw601_level_without_timeout() -> None:
    text = GOOD.replace(
        "level 1 { approvers role:manager quorum 1 timeout 24h escalate -> level 2 }",
        "level 1 { approvers role:manager quorum 1 }",
    )
    [finding] = findings(machine_of(text), "SW601")
    assert finding.severity is Severity.ERROR
    assert "level 1 of approval `Review` waits for a decision" in finding.message
    assert "delegation cycle" in finding.help
    assert at(finding) == position(text, "level 1")
    assert finding.counterexample == ("go",)


def test_sw601_level_timeout_without_escalation() -> None:
    text = GOOD.replace("quorum 2 timeout 48h escalate -> Expired", "quorum 2 timeout 48h")
    [finding] = findings(machine_of(text), "SW601")
    assert "has a `timeout` but no `escalate" in finding.message
    assert at(finding) == position(text, "level 2 {")
    assert finding.counterexample == ("go", "after 1d")


def test_sw601_plain_state_waiting_for_events_is_a_warning() -> None:
    text = GOOD.replace("approved -> Checked", "approved -> Paying").replace(
        "  final state Done\n", "  state Paying { on resolved -> Checked }\n  final state Done\n"
    )
    [finding] = findings(machine_of(text), "SW601")
    assert finding.severity is Severity.WARNING
    assert "state `Paying` waits only for events (`resolved`)" in finding.message
    assert at(finding) == position(text, "state Paying")
    assert finding.counterexample == ("go", "after 1d", "approve")


CAREFUL = [
    # the seed's shape: a draft waits for its author; a review queue waits for a person
    """workflow Order {
  events { submit, cancel, resolved }
  initial state Draft { on submit -> Fulfilling  on cancel -> Cancelled }
  saga Fulfilling {
    step charge compensate refund key "c-{id}" compensate_key "r-{id}" service payments timeout 30s
    done -> Shipped
    compensated -> Cancelled
    compensation_failed -> ManualReview
  }
  state ManualReview { on resolved -> Cancelled }
  final state Shipped
  final state Cancelled
}
""",
    # a dead-letter queue of invoked work, with a state inside it
    """workflow Load {
  events { start, retried, dropped }
  initial state Idle { on start -> Loading }
  state Loading {
    invoke load_rows retry 3 backoff exponential 1s..1m dead_letter -> Parked
    done -> Loaded
    timeout 1h -> Parked
  }
  state Parked {
    initial state Waiting { on retried -> Loading  on dropped -> Dropped }
  }
  final state Loaded
  final state Dropped
}
""",
    # every mid-process wait is bounded
    """workflow Claim {
  events { submit, approve, pay }
  initial state Draft { on submit -> Review }
  state Review { on approve -> Paying  timeout 5d -> Expired }
  state Paying { on pay -> Paid  timeout 30d -> Expired }
  final state Paid
  final state Expired
}
""",
]


@pytest.mark.parametrize("text", CAREFUL, ids=["review-queue", "dead-letter", "bounded"])
def test_sw601_careful_designs_are_clean(text: str) -> None:
    """Issue 16: SW601 fired on most waiting states; initial states and review queues wait by design."""
    machine = machine_of(text)
    assert findings(machine, "SW601") == []


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.wf")), ids=lambda p: p.stem)
def test_sw601_examples_are_clean(example: Path) -> None:
    """The examples bound every wait that is not one by design."""
    machine = compile_path(example).machine
    assert machine is not None
    assert findings(machine, "SW601") == []


@settings(max_examples=30, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=5))
def test_sw601_reports_exactly_the_unbounded_mid_process_waits(bounded: list[bool]) -> None:
    """Property: in a chain Draft -> S1 -> ... -> Done, SW601 reports exactly the Si with no timeout."""
    states = [f"S{i}" for i in range(1, len(bounded) + 1)]
    lines = ["workflow Chain {", "  events { next }", "  initial state Draft { on next -> S1 }"]
    for i, (name, timed) in enumerate(zip(states, bounded, strict=True)):
        after = states[i + 1] if i + 1 < len(states) else "Done"
        timer = "  timeout 1d -> Expired" if timed else ""
        lines.append(f"  state {name} {{ on next -> {after}{timer} }}")
    lines += ["  final state Done", "  final state Expired", "}"]
    reported = {f.message.split("`")[1] for f in findings(machine_of("\n".join(lines)), "SW601")}
    assert reported == {name for name, timed in zip(states, bounded, strict=True) if not timed}


def test_sw601_timeout_on_an_enclosing_state_counts() -> None:
    text = GOOD.replace(
        "level 1 { approvers role:manager quorum 1 timeout 24h escalate -> level 2 }",
        "level 1 { approvers role:manager quorum 1 }\n    timeout 5d -> Expired",
    )
    assert findings(machine_of(text), "SW601") == []


# --------------------------------------------------------------------------- SW602


def test_sw602_escalation_cycle_reported_once() -> None:
    text = GOOD.replace("escalate -> Expired", "escalate -> level 1")
    [finding] = findings(machine_of(text), "SW602")
    assert "goes round in a circle" in finding.message
    assert "`Review.level_1` -> `Review.level_2` -> `Review.level_1`" in finding.message
    assert at(finding) == position(text, "level 1")
    assert finding.counterexample == ("go",)


def test_sw602_cycle_cut_by_an_enclosing_timer() -> None:
    text = GOOD.replace("escalate -> Expired", "escalate -> level 1").replace(
        "    delegation allowed\n", "    delegation allowed\n    timeout 7d -> Expired\n"
    )
    assert findings(machine_of(text), "SW602") == []


def test_sw602_escalation_into_a_trap() -> None:
    text = GOOD.replace("escalate -> Expired", "escalate -> Limbo").replace(
        "  final state Done\n", "  state Limbo { invoke spin done -> Limbo }\n  final state Done\n"
    )
    [finding] = findings(machine_of(text), "SW602")
    assert "escalates to `Limbo`, from which no final state can be reached" in finding.message
    assert at(finding) == position(text, "level 2 {")
    assert finding.related[0].span.line == position(text, "state Limbo")[0]
    assert finding.counterexample == ("go", "after 1d")


def test_sw602_escalation_chain_ending_in_an_outcome() -> None:
    assert findings(machine_of(GOOD), "SW602") == []


# --------------------------------------------------------------------------- SW603


def test_sw603_quorum_above_approvers() -> None:
    text = GOOD.replace("quorum 2", "quorum 3")
    [finding] = findings(machine_of(text), "SW603")
    assert "quorum 3 exceeds its 2 listed approvers" in finding.message
    assert at(finding) == position(text, "level 2 {")
    assert finding.counterexample == ("go", "after 1d")


def test_sw603_quorum_below_one() -> None:
    text = GOOD.replace("role:manager quorum 1", "role:manager quorum 0")
    [finding] = findings(machine_of(text), "SW603")
    assert "quorum 0 is below 1" in finding.message
    assert at(finding) == position(text, "level 1")


def test_sw603_quorum_within_approvers() -> None:
    assert findings(machine_of(GOOD), "SW603") == []


# --------------------------------------------------------------------------- SW604


def test_sw604_error_out_of_a_waiting_state() -> None:
    machine = machine_of(GOOD)
    span = machine.approvals[0].levels[0].span
    edited = add(machine, ir.Transition("Review.level_1", "error", "Expired", span=span))
    [finding] = findings(edited, "SW604")
    assert "level 1 of approval `Review` is left by an `error` transition to `Expired`" in finding.message
    assert at(finding) == position(GOOD, "level 1")
    assert finding.counterexample == MachineGraph(edited).path_to("Review.level_1") == ("go",)


def test_sw604_error_on_the_approval_itself() -> None:
    machine = machine_of(GOOD)
    edited = add(machine, ir.Transition("Review", "error", "Expired", span=machine.approvals[0].span))
    [finding] = findings(edited, "SW604")
    assert finding.message.startswith("approval `Review` is left by an `error` transition")
    assert at(finding) == position(GOOD, "approval Review")


def test_sw604_timers_are_fine() -> None:
    assert findings(machine_of(GOOD), "SW604") == []


# --------------------------------------------------------------------------- SW605

SINGLE = """\
workflow W {
  events { go }
  initial state Draft { on go -> Review  timeout 30d -> Done }
  approval Review {
    level 1 { approvers role:owner quorum 1 timeout 24h escalate -> Done }
    delegation allowed
    approved -> Done
    rejected -> Done
  }
  final state Done
}
"""


def test_sw605_single_level_needing_every_approver() -> None:
    [finding] = findings(machine_of(SINGLE), "SW605")
    assert finding.severity is Severity.WARNING
    assert "one level that needs its only approver" in finding.message
    assert at(finding) == position(SINGLE, "level 1")
    assert finding.counterexample == ("go",)


def test_sw605_not_reported_with_forbidden_delegation_or_a_spare_approver() -> None:
    forbidden = SINGLE.replace("delegation allowed", "delegation forbidden")
    spare = SINGLE.replace("approvers role:owner quorum 1", "approvers role:owner, role:deputy quorum 1")
    assert findings(machine_of(forbidden), "SW605") == []
    assert findings(machine_of(spare), "SW605") == []
    assert findings(machine_of(GOOD), "SW605") == []


def test_sw605_delegation_that_restarts_the_timer() -> None:
    machine = machine_of(GOOD)
    transitions = tuple(
        dataclasses.replace(t, target=t.source) if t.event == "delegate" and t.source.endswith("_1") else t
        for t in machine.transitions
    )
    [finding] = findings(dataclasses.replace(machine, transitions=transitions), "SW605")
    assert "re-enters `Review.level_1`, restarting its timer" in finding.message
    assert at(finding) == position(GOOD, "level 1")
    assert finding.counterexample == ("go",)


# --------------------------------------------------------------------------- SW606


def test_sw606_recall_after_the_decision() -> None:
    text = GOOD.replace("    acknowledged -> Done\n", "    acknowledged -> Done\n    on recall -> Draft\n")
    [finding] = findings(machine_of(text), "SW606")
    assert "`recall` is handled in `Checked`, outside every approval" in finding.message
    assert at(finding) == position(text, "on recall -> Draft")
    assert finding.counterexample == ("go", "after 1d", "approve")


def test_sw606_declared_recall_without_its_transition() -> None:
    machine = machine_of(GOOD)
    edited = dataclasses.replace(
        machine, transitions=tuple(t for t in machine.transitions if t.event != "recall")
    )
    [finding] = findings(edited, "SW606")
    assert "declares `recall -> Draft`" in finding.message
    assert at(finding) == position(GOOD, "approval Review")


def test_sw606_recall_on_the_approval() -> None:
    assert findings(machine_of(GOOD), "SW606") == []
