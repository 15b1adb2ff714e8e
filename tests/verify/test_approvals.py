"""Approval levels (issue 16): a listed approver is one quorum place; what an escalation may do.

SW120 (lowering): an approver listed twice. SW603 counts distinct approvers, so a
quorum above them is an error. SW607/SW608 (rules/approvals.py): an escalation that
jumps over a level, or hands the decision to a level with a lower quorum.
"""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.compiler.verify.rules import approvals, waits
from statewright.pipeline import compile_text
from statewright.plugins.manager import PluginManager
from tests.verify.support import at, machine_of, position, run_rules

LEVELS = """\
workflow W {
  events { go }
  initial state Draft { on go -> Review  timeout 30d -> Expired }
  approval Review {
LEVELS_HERE
    approved -> Done
    rejected -> Expired
  }
  final state Done
  final state Expired { outcome failure "expired" }
}
"""


def spec(*levels: str) -> str:
    """The approval workflow with these `level` blocks."""
    return LEVELS.replace("LEVELS_HERE", "\n".join(f"    {level}" for level in levels))


def level(number: int, quorum: int, to: str, approvers: int = 3) -> str:
    """A level with `approvers` distinct roles, a quorum and an escalation target."""
    listed = ", ".join(f"role:r{number}_{i}" for i in range(approvers))
    return f"level {number} {{ approvers {listed} quorum {quorum} timeout 1d escalate -> {to} }}"


def test_an_approver_listed_twice_is_an_error_at_the_second_listing() -> None:
    """SW120: `user:a, user:a quorum 2` could never approve (one person, one place)."""
    text = spec("level 1 { approvers user:a, role:b, user:a quorum 2 timeout 1d escalate -> Expired }")
    result = compile_text(text, "spec.wf")
    found = [d for d in result.diagnostics if d.code == "SW120"]
    assert len(found) == 1
    assert at(found[0]) == position(text, "user:a quorum")
    assert found[0].related and found[0].related[0].message == "first listed here"


def test_quorum_all_counts_each_listed_approver_once() -> None:
    """`quorum all` is the number of distinct listed approvers."""
    machine = machine_of(
        spec("level 1 { approvers role:fd, role:cfo quorum all timeout 1d escalate -> Expired }")
    )
    assert machine.approvals[0].levels[0].quorum == 2


def test_sw603_counts_distinct_approvers_in_an_ir_with_duplicates() -> None:
    """An IR written by hand with a duplicate approver: quorum 2 over one person can never approve."""
    machine = machine_of(spec("level 1 { approvers user:a quorum 1 timeout 1d escalate -> Expired }"))
    approval = machine.approvals[0]
    doubled = dataclasses.replace(approval.levels[0], approvers=("user:a", "user:a"), quorum=2)
    machine = dataclasses.replace(machine, approvals=(dataclasses.replace(approval, levels=(doubled,)),))
    found = run_rules(waits, machine, "SW603")
    assert len(found) == 1
    assert "exceeds its 1 listed approver" in found[0].message


def test_escalating_to_the_next_level_with_the_same_quorum_is_clean() -> None:
    """The seed's pattern: level 1 escalates to level 2, which needs as many approvals."""
    machine = machine_of(spec(level(1, 1, "level 2"), level(2, 1, "Expired")))
    assert run_rules(approvals, machine) == []


def test_an_escalation_that_jumps_over_a_level_is_reported() -> None:
    """SW607: level 1 -> level 3 never asks level 2 after a silence."""
    text = spec(level(1, 1, "level 3"), level(2, 1, "level 3"), level(3, 1, "Expired"))
    found = run_rules(approvals, machine_of(text), "SW607")
    assert len(found) == 1
    assert "level 2 is never asked" in found[0].message
    assert at(found[0]) == position(text, "level 1 {")


def test_an_escalation_that_lowers_the_quorum_is_reported() -> None:
    """SW608: two approvals at level 1, but after a silence one approval at level 2 decides."""
    text = spec(level(1, 2, "level 2"), level(2, 1, "Expired"))
    found = run_rules(approvals, machine_of(text), "SW608")
    assert len(found) == 1
    assert "needs 2 approvals" in found[0].message and "which needs 1" in found[0].message


def test_the_rules_register_through_the_hook() -> None:
    """rules/approvals.py is a built-in plugin like the others."""
    names = {rule.name for rule in PluginManager().rules()}
    assert {"approval-escalation-skip", "approval-escalation-quorum"} <= names


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_the_escalation_rules_flag_exactly_skips_and_lowered_quorums(data: st.DataObject) -> None:
    """Random approvals: SW607 iff an escalation passes the next level, SW608 iff the quorum drops."""
    count = data.draw(st.integers(2, 4))
    quorums = [data.draw(st.integers(1, 3)) for _ in range(count)]
    targets = [data.draw(st.integers(1, count + 1)) for _ in range(count)]  # count + 1: a state
    blocks = []
    for n in range(count):
        to = "Expired" if targets[n] > count or targets[n] == n + 1 else f"level {targets[n]}"
        blocks.append(level(n + 1, quorums[n], to))
    machine = machine_of(spec(*blocks))
    found = run_rules(approvals, machine)
    expected = set()
    for n in range(count):
        target = targets[n]
        if target > count or target == n + 1:
            continue
        if target > n + 2:
            expected.add(("SW607", n + 1))
        if quorums[target - 1] < quorums[n]:
            expected.add(("SW608", n + 1))
    got = {(d.code, int(d.message.split()[1])) for d in found}
    assert got == expected
