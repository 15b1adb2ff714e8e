"""Approvals and governance (issue 16): who counts toward a quorum, delegation, scope locks, assignees.

LANGUAGE.md §10, §11 and §13. Every test here failed on the runtime before the fix:
two holders of one listed role met `quorum all`; a delegator kept voting and a
delegation cycle met a quorum of two; a request naming no scope passed a scope lock;
anyone could acknowledge a checkpoint.
"""

from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.runtime import codec
from statewright.runtime.definition import Definition
from statewright.runtime.errors import PermissionDenied, WorkflowError
from statewright.runtime.memory import MemoryStore
from statewright.runtime.model import Vote
from statewright.runtime.runner import Runtime
from tests.runtime.reference import most_filled
from tests.runtime.test_engine import Clock, machine, runtime

BOARD = """workflow Spend {
  events { submit }
  initial state Draft { on submit -> Approval }
  approval Approval {
    delegation allowed
    level 1 {
      approvers role:finance_director, role:cfo
      quorum all
      timeout 7d
      escalate -> Expired
    }
    approved -> Paid
    rejected -> Declined
  }
  final state Paid
  final state Declined { outcome failure "declined" }
  final state Expired { outcome failure "nobody decided" }
}
"""

PAIR = BOARD.replace("role:finance_director, role:cfo", "user:a, user:b").replace("quorum all", "quorum 2")

SCOPED = """workflow Ship {
  scope "shipping.release"
  events { go, local }
  initial state A {
    on go -> B requires "ship:release"
    on local -> C scope "shipping.local"
  }
  final state B
  final state C
}
"""

CHECKPOINT = """workflow Load {
  events { start }
  initial state Idle { on start -> Review }
  checkpoint Review {
    assignee role:data_steward
    acknowledged -> Loaded
    timeout 1d -> Abandoned
  }
  final state Loaded
  final state Abandoned { outcome failure "nobody looked" }
}
"""


def submitted(text: str) -> Runtime:
    """A runtime with instance `i` waiting at the approval."""
    rt, _ = runtime(text)
    rt.start(instance_id="i")
    rt.send("i", "submit")
    return rt


def test_two_holders_of_one_role_do_not_satisfy_quorum_all() -> None:
    """`quorum all` of finance_director and cfo: two finance directors are one listed approver."""
    rt = submitted(BOARD)
    rt.send("i", "approve", actor="fay", permissions=["role:finance_director"])
    with pytest.raises(PermissionDenied, match="each needed by an approval already cast"):
        rt.send("i", "approve", actor="fred", permissions=["role:finance_director"])
    assert rt.load("i").active == ("Approval.level_1",)
    rt.send("i", "approve", actor="carl", permissions=["role:cfo"])
    assert rt.load("i").active == ("Paid",)


def test_an_actor_holding_every_listed_role_counts_once() -> None:
    """One person who is both finance director and CFO fills one listed approver, not two."""
    rt = submitted(BOARD)
    both = ["role:finance_director", "role:cfo"]
    rt.send("i", "approve", actor="farid", permissions=both)
    with pytest.raises(PermissionDenied, match="already approved"):
        rt.send("i", "approve", actor="farid", permissions=both)
    assert rt.load("i").active == ("Approval.level_1",)
    assert rt.load("i").votes["Approval.level_1"] == (Vote("farid", "approve", tuple(both)),)
    rt.send("i", "approve", actor="carl", permissions=["role:cfo"])
    assert rt.load("i").active == ("Paid",)


def test_an_actor_holding_two_roles_does_not_take_the_place_the_next_approver_needs() -> None:
    """Places are matched, not taken first-come: the two-role actor moves to CFO for the finance director.

    With "the first open place they stand for", farid took finance director and
    fay (finance director only) was refused: the level stalled with a valid quorum.
    """
    rt = submitted(BOARD)
    rt.send("i", "approve", actor="farid", permissions=["role:finance_director", "role:cfo"])
    rt.send("i", "approve", actor="fay", permissions=["role:finance_director"])
    assert rt.load("i").active == ("Paid",)


THREE = BOARD.replace("role:finance_director, role:cfo", "role:a, role:b, role:c")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sets(st.sampled_from(["role:a", "role:b", "role:c"]), min_size=1), min_size=1, max_size=4),
    st.randoms(use_true_random=False),
)
def test_the_order_of_approvals_never_changes_the_outcome(held: list[set[str]], rnd: object) -> None:
    """Any order of the same approvals ends alike: approved iff distinct actors cover a, b and c."""
    assert isinstance(rnd, random.Random)
    actors = [(f"u{n}", sorted(roles)) for n, roles in enumerate(held)]
    outcomes = []
    for order in (actors, list(reversed(actors)), rnd.sample(actors, len(actors))):
        rt = submitted(THREE)
        for actor, roles in order:
            with contextlib.suppress(PermissionDenied):
                rt.send("i", "approve", actor=actor, permissions=roles)
            if rt.load("i").active == ("Paid",):
                break
        outcomes.append(rt.load("i").active)
    covered = any(
        len({a, b, c}) == 3 and "role:a" in held[a] and "role:b" in held[b] and "role:c" in held[c]
        for a in range(len(held))
        for b in range(len(held))
        for c in range(len(held))
    )
    assert outcomes == [("Paid",) if covered else ("Approval.level_1",)] * 3


def test_a_delegator_no_longer_decides_and_the_delegate_votes_in_their_place() -> None:
    """Delegation transfers a vote: `a` hands level 1 to `c`; `a` is refused, `c` fills a's place."""
    rt = submitted(PAIR)
    rt.send("i", "delegate", actor="user:a", delegate_to="c")
    for event in ("approve", "reject", "delegate"):
        with pytest.raises(PermissionDenied, match="delegated at level 1"):
            rt.send("i", event, actor="user:a", delegate_to="d")
    rt.send("i", "approve", actor="c")
    assert rt.load("i").active == ("Approval.level_1",)  # one of two
    rt.send("i", "approve", actor="user:b")
    assert rt.load("i").active == ("Paid",)


def test_a_delegate_who_is_an_approver_still_counts_once() -> None:
    """`a` delegates to `b`, who is listed too: b's one approval fills one place; quorum 2 stays open."""
    rt = submitted(PAIR)
    rt.send("i", "delegate", actor="user:a", delegate_to="user:b")
    rt.send("i", "approve", actor="user:b")
    with pytest.raises(PermissionDenied, match="already approved"):
        rt.send("i", "approve", actor="user:b")
    assert rt.load("i").active == ("Approval.level_1",)


def test_a_delegation_cycle_creates_no_vote() -> None:
    """A cycle a -> b -> a: whoever delegated has no say any more, so nobody can approve twice."""
    rt = submitted(PAIR)
    rt.send("i", "delegate", actor="user:a", delegate_to="user:b")
    rt.send("i", "delegate", actor="user:b", delegate_to="user:a")
    for actor in ("user:a", "user:b"):
        with pytest.raises(PermissionDenied, match="delegated at level 1"):
            rt.send("i", "approve", actor=actor)
    assert rt.load("i").active == ("Approval.level_1",)


def test_an_approval_cannot_be_handed_on_and_nobody_delegates_to_themselves() -> None:
    """After approving, delegating would let a second person fill the same place; to oneself means nothing."""
    rt = submitted(PAIR)
    with pytest.raises(PermissionDenied, match="themselves"):
        rt.send("i", "delegate", actor="user:a", delegate_to="user:a")
    rt.send("i", "approve", actor="user:a")
    with pytest.raises(PermissionDenied, match="already approved"):
        rt.send("i", "delegate", actor="user:a", delegate_to="c")


def test_an_anonymous_decision_is_refused() -> None:
    """A decision must say who decides, or it could not be counted once."""
    rt = submitted(BOARD)
    with pytest.raises(PermissionDenied, match="needs an actor"):
        rt.send("i", "approve", permissions=["role:cfo"])


def test_a_request_naming_no_scope_is_refused_by_a_scope_lock() -> None:
    """The workflow's scope locks `requires` transitions, a transition's own scope locks it."""
    rt, _ = runtime(SCOPED)
    rt.start(instance_id="i")
    with pytest.raises(PermissionDenied, match="names no scope"):
        rt.send("i", "go", actor="ann", permissions=["ship:release"])
    with pytest.raises(PermissionDenied, match="names no scope"):
        rt.send("i", "local", actor="ann")
    with pytest.raises(PermissionDenied, match=r"is not `shipping\.release`"):
        rt.send("i", "go", actor="ann", permissions=["ship:release"], scope="shipping.local")
    assert rt.load("i").active == ("A",)
    rt.send("i", "go", actor="ann", permissions=["ship:release"], scope="shipping.release")
    assert rt.load("i").active == ("B",)


def test_only_the_assignee_acknowledges_a_checkpoint() -> None:
    """`assignee role:data_steward`: someone else (or nobody) is refused; the generated machine agrees."""
    rt, _ = runtime(CHECKPOINT)
    rt.start(instance_id="i")
    rt.send("i", "start")
    with pytest.raises(PermissionDenied, match="only `role:data_steward` may acknowledge"):
        rt.send("i", "acknowledge")
    with pytest.raises(PermissionDenied):
        rt.send("i", "acknowledge", actor="mallory", permissions=["role:analyst"])
    rt.send("i", "acknowledge", actor="dee", permissions=["role:data_steward"])
    assert rt.load("i").active == ("Loaded",)


def test_the_fast_path_leaves_an_assigned_acknowledgement_to_the_engine() -> None:
    """The in-memory machine's timed moves must not skip the assignee check."""
    from statewright.runtime.fastpath import timed_moves

    moves = timed_moves(Definition(machine(CHECKPOINT)))
    assert "acknowledge" not in moves.get("Review", {})


def test_votes_naming_approvers_round_trip_through_the_codec() -> None:
    """A snapshot's votes keep whom an approval fills and what a delegation hands on."""
    rt = submitted(PAIR)
    rt.send("i", "delegate", actor="user:a", delegate_to="c")
    rt.send("i", "approve", actor="c")
    instance = rt.load("i")
    assert codec.instance_from(codec.instance_data(instance)) == instance
    assert codec.instance_json(instance) == codec.dumps(codec.instance_data(instance))
    old = {**codec.instance_data(instance), "votes": {"Approval.level_1": [["c", "approve"]]}}
    assert codec.instance_from(old).votes == {"Approval.level_1": (Vote("c", "approve"),)}


# --------------------------------------------------------------------------- the property

LISTED = ("user:a", "user:b", "role:r", "role:s")
PEOPLE = ("user:a", "user:b", "x", "y", "z")
ROLES = ("role:r", "role:s")
POOL = BOARD.replace("role:finance_director, role:cfo", ", ".join(LISTED)).replace("quorum all", "quorum 4")

Request = tuple[str, str, tuple[str, ...], str | None]

requests = st.lists(
    st.tuples(
        st.sampled_from(("approve", "approve", "delegate", "reject")),
        st.sampled_from(PEOPLE),
        st.lists(st.sampled_from(ROLES), max_size=2, unique=True).map(tuple),
        st.sampled_from((None, *PEOPLE)),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(requests)
def test_counted_approvals_never_exceed_the_approvers_whose_vote_was_exercised(steps: list[Request]) -> None:
    """Random approve/delegate/reject requests at a level listing four approvers (quorum 4).

    After every request the counted approvals fill as many distinct listed approvers
    as there are approvals (a matching, checked by exhaustive search), one per
    actor, and never exceed the listed approvers whose vote was exercised: those an
    approving actor stood for, by id or role, or through a chain of delegations from
    someone who did.
    """
    clock = Clock()
    rt = Runtime(Definition(machine(POOL)), MemoryStore(), {}, clock=clock)
    rt.start(instance_id="i")
    rt.send("i", "submit")
    level = "Approval.level_1"
    holds: dict[str, set[str]] = {person: {person} & set(LISTED) for person in PEOPLE}
    exercised: set[str] = set()
    for event, actor, roles, to in steps:
        before = rt.load("i")
        if level not in before.active:
            break
        own = holds.get(actor, set()) | (set(roles) & set(LISTED))
        try:
            rt.send("i", event, actor=actor, permissions=list(roles), delegate_to=to)
        except WorkflowError:
            assert rt.load("i").votes == before.votes  # a refusal changes nothing
            continue
        after = rt.load("i")
        if event == "delegate" and to is not None:
            holds.setdefault(to, set()).update(own)
        if event == "approve":
            exercised |= own
        if after.active == ("Paid",):  # the level was left: its votes went with it
            previous = [
                frozenset(v.approvers) for v in before.votes.get(level, ()) if v.decision == "approve"
            ]
            voters = {v.actor for v in before.votes.get(level, ()) if v.decision == "approve"}
            assert len(previous) == 3 and actor not in voters
            assert most_filled(previous) == 3 and most_filled([*previous, frozenset(own)]) == 4
            assert len(LISTED) <= len(exercised)
            break
        approvals = [v for v in after.votes.get(level, ()) if v.decision == "approve"]
        assert most_filled([frozenset(v.approvers) for v in approvals]) == len(
            approvals
        )  # each fills one more
        assert len({v.actor for v in approvals}) == len(approvals)  # an actor counts once
        assert {a for v in approvals for a in v.approvers} <= exercised  # only votes that were exercised


def test_escalation_reassigns_and_voids_the_silent_levels_votes() -> None:
    """`escalate -> level 2` (LANGUAGE.md §10): level 2 decides; level 1's approval so far is void."""
    rt, clock = runtime(
        PAIR.replace("escalate -> Expired", "escalate -> level 2", 1).replace(
            "    approved -> Paid",
            "    level 2 { approvers user:c quorum 1 timeout 1d escalate -> Expired }\n    approved -> Paid",
        )
    )
    rt.start(instance_id="i")
    rt.send("i", "submit")
    rt.send("i", "approve", actor="user:a")  # one of level 1's two
    clock.now += 7 * 86_400_000
    assert rt.tick() == 1
    instance = rt.load("i")
    assert instance.active == ("Approval.level_2",)
    assert instance.votes == {}  # the silent level's vote went with it
    with pytest.raises(PermissionDenied, match="not an approver at level 2"):
        rt.send("i", "approve", actor="user:b")  # level 1's approvers no longer decide
    rt.send("i", "approve", actor="user:c")
    assert rt.load("i").active == ("Paid",)
