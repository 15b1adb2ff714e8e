"""Approval places are filled by a maximum matching in Step Functions too (issue 16).

Greedy counting let an actor holding two listed roles take the first place and
refuse the next approver, who held only that role, though the two together fill
both places. The generated definition asks the evaluator (`evaluator.tally`,
over `semantics.approvals`) whether an approval counts at a level with a quorum
of two or more; these tests drive such levels through moto and compare them with
the Python runtime.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statewright import ir
from statewright.targets.asl import approvals
from statewright.targets.asl.evaluator import handler, tally
from statewright.targets.asl.protocol import is_evaluator_request
from statewright.testing.asl_engine import AslEngine
from statewright.testing.equivalence import check_engine
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Observation, Scenario, Send, Step, Unsupported
from tests.targets.asl.support import definition
from tests.targets.specs import machine_of

TWO_ROLES = """workflow TwoRoles {
  events { submit }
  reject * "not at this stage"
  initial state Draft {
    on submit -> Signoff
    timeout 30d -> Expired
  }
  approval Signoff {
    level 1 {
      approvers role:finance_director, role:cfo
      quorum all
      timeout 7d
      escalate -> level 2
    }
    level 2 {
      approvers role:auditor, role:controller, role:treasurer
      quorum 2
      timeout 7d
      escalate -> Expired
    }
    delegation allowed
    approved -> Signed
    rejected -> Rejected
  }
  final state Signed
  final state Rejected { outcome failure "rejected" }
  final state Expired { outcome failure "nobody decided" }
}
"""
FIN, CFO = "role:finance_director", "role:cfo"
AUDITOR, CONTROLLER, TREASURER = "role:auditor", "role:controller", "role:treasurer"


def _approve(actor: str, *roles: str) -> Send:
    return Send("approve", actor=actor, permissions=roles)


TWO_ROLES_FIRST: tuple[Step, ...] = (Send("submit"), _approve("pat", FIN, CFO), _approve("quinn", FIN))
"""The issue's case: pat (both roles) approves first, then quinn (finance director only)."""

SCENARIOS: dict[str, tuple[Step, ...]] = {
    "two roles first": TWO_ROLES_FIRST,
    "a refusal changes nothing": (
        Send("submit"),
        _approve("quinn", FIN),
        _approve("rosa", FIN),  # both stand only for the finance director: refused
        _approve("quinn", FIN, CFO),  # quinn approved already: refused
        _approve("rosa", CFO),  # rosa's refused approval left no trace: counts now
    ),
    "delegated roles are matched": (
        Send("submit"),
        _approve("pat", FIN, CFO),
        _approve("pat", FIN, CFO),  # once
        _approve("quinn", FIN),  # level 1 approved
        Send("delegate", actor="xena", permissions=(AUDITOR, CONTROLLER), delegate_to="yuri"),
        _approve("xena", AUDITOR, CONTROLLER),  # delegated: no say
        _approve("yuri"),  # stands for auditor and controller, by delegation
        _approve("zack", AUDITOR),  # yuri takes controller: quorum 2
    ),
    "one place needed twice": (
        Send("submit"),
        _approve("pat", FIN, CFO),
        _approve("quinn", FIN),
        _approve("amy", CONTROLLER),
        _approve("bo", CONTROLLER),  # only one controller place: refused
        _approve("cal", TREASURER),  # quorum 2
    ),
}


def _python(machine: ir.Machine, scenario: Scenario) -> list[Observation]:
    """The runtime's observations of `scenario`."""
    observed = PythonEngine().run(machine, scenario)
    assert not isinstance(observed, Unsupported), observed
    return list(observed)


@pytest.fixture(scope="module")
def engine() -> Iterator[AslEngine]:
    """One in-memory AWS for the module."""
    with AslEngine() as opened:
        yield opened


@pytest.fixture(scope="module")
def machine() -> ir.Machine:
    """The two-level approval above."""
    return machine_of(TWO_ROLES)


def test_an_actor_with_two_roles_leaves_the_other_place_to_the_next_approver(
    engine: AslEngine, machine: ir.Machine
) -> None:
    """First pat (both roles), then quinn (finance director): the level is approved, as in the runtime."""
    observed = engine.run(machine, Scenario((), TWO_ROLES_FIRST))
    assert not isinstance(observed, Unsupported), observed
    last = observed[-1]
    assert last.accepted and "Signoff.level_2" in last.entered, last
    assert list(observed) == _python(machine, Scenario((), TWO_ROLES_FIRST))


def test_python_and_step_functions_agree_on_matched_approvals(engine: AslEngine, machine: ir.Machine) -> None:
    """The scenarios above, then drawn ones: every observation equals the runtime's."""
    paths = [Scenario((), steps) for steps in SCENARIOS.values()]
    result = check_engine(machine, engine, paths, drawn=4)
    assert result.passed, "\n".join(result.divergence.describe() if result.divergence else [])
    assert result.agreed >= len(paths) and not result.unsupported, result
    ends = [_python(machine, path)[-1] for path in paths]
    assert [o.active for o in ends] == [
        ("Signoff.level_2",),
        ("Signoff.level_2",),
        ("Signed",),
        ("Signed",),
    ]


def test_only_levels_with_a_quorum_of_two_or_more_call_the_evaluator() -> None:
    """A quorum-1 level is decided by any approval that gets through the Choices: no evaluator there."""
    machine = machine_of(TWO_ROLES.replace("quorum all", "quorum 1"))
    states = definition(machine)["States"]
    tasks = {name for name, body in states.items() if "count by matching" in name}
    assert tasks and all(name.startswith("Signoff.level_2/") for name in tasks)
    for name in tasks:
        payload = states[name]["Parameters"]["Payload"]
        assert is_evaluator_request(payload)
        assert payload["approvals"] == {"places": [AUDITOR, CONTROLLER, TREASURER], "quorum": 2}


def _votes(cast: list[frozenset[str]], places: list[str]) -> dict[str, object]:
    """A level's slot object as the generated Pass states store it."""
    votes: dict[str, object] = {"n": len(cast)}
    for j, stood in enumerate(cast, 1):
        votes[f"v{j}"] = f"actor{j}"
        for i, place in enumerate(places, 1):
            votes[f"f{j}_{i}"] = place in stood
    return votes


def _brute_force(approvals_cast: list[frozenset[str]]) -> int:
    """The most places distinct approvals fill at once, by trying every assignment."""
    for size in range(len(approvals_cast), 0, -1):
        for chosen in itertools.combinations(approvals_cast, size):
            if any(len(set(pick)) == size for pick in itertools.product(*chosen)):
                return size
    return 0


PLACES = ["a", "b", "c", "d"]
_standing = st.frozensets(st.sampled_from(PLACES))


@given(cast=st.lists(_standing.filter(bool), max_size=3), standing=_standing, quorum=st.integers(1, 4))
def test_the_evaluator_counts_by_maximum_matching(
    cast: list[frozenset[str]], standing: frozenset[str], quorum: int
) -> None:
    """`tally` over the stored flags agrees with a brute-force matching: counts, and the quorum reached."""
    request = {
        "approvals": {"places": PLACES, "quorum": quorum},
        "votes": _votes(cast, PLACES),
        "standing": {f"t{i}": place in standing for i, place in enumerate(PLACES, 1)},
    }
    before, after = _brute_force(cast), _brute_force([*cast, standing])
    expected = {"counts": after > before, "approved": after > before and after >= quorum}
    assert tally(request) == expected
    assert handler(request) == expected and is_evaluator_request(request)


def test_a_two_role_actor_first_does_not_block_the_second_place() -> None:
    """The issue's case at the evaluator: finance director after (finance director or cfo) counts."""
    places = [FIN, CFO]
    request = {
        "approvals": {"places": places, "quorum": 2},
        "votes": _votes([frozenset(places)], places),
        "standing": {"t1": True, "t2": False},
    }
    assert tally(request) == {"counts": True, "approved": True}
    request["votes"] = _votes([frozenset({FIN})], places)
    assert tally(request) == {"counts": False, "approved": False}


def test_slots_hold_at_most_the_quorum() -> None:
    """A level stores no more approvals than can be counted before it is decided."""
    machine = machine_of(TWO_ROLES)
    sizes = {level.number: approvals.approval_slots(level) for a in machine.approvals for level in a.levels}
    assert sizes == {1: 2, 2: 2}
