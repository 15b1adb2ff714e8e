"""Approval levels: who stands for which listed approver, quorum places and delegation, in the state data.

The counting is the runtime's (LANGUAGE.md §10, `statewright.semantics.approvals`):
each listed approver is one quorum place, an approval fills one place, and the
level counts the largest set of places distinct approvers can fill at once (a
maximum matching), so the order of approvals never matters.

Each level has a slot object under `$.votes` (reset when the level is entered):
`n`, the approvals counted so far, and per approval slot `j` (at most
`approval_slots`: the quorum, or the listed approvers if fewer) the actor `vj`
and `fj_i`: whether they stood for listed approver i. With delegation, `nd`
delegations so far and, per delegation slot `j` (at most `DELEGATE_SLOTS`),
the delegate `dj`, the delegator `gj` and `qj_i`: whether the delegation hands
listed approver i on. JSONPath cannot append to a list, so the slots are
unrolled; unused actor slots hold a value no actor can have (a NUL character).

A decision is checked in this order: it names an actor who has not delegated
at the level; the actor stands for some listed approver (by id, a presented
role, or a delegation to them: one Choice per listed approver sets
`$.check.t_i`). Then a `reject` decides; a `delegate` to someone else, by an
actor who has not approved, stores the delegate, the delegator and what they
stood for; an `approve` by an actor who has not approved yet counts when it
fills another place. Choice rules cannot compute a matching, so at a level
whose quorum is 2 or more the evaluator Lambda answers (`evaluator.tally`:
does the approval count, is the quorum reached, by `semantics.approvals`);
only a counted approval is stored. A quorum-1 level stays evaluator-free: there
any approval by an actor who stands for a place decides the level, so the
matching is never needed. A refused approval changes nothing but the scratch
`$.check`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from statewright import ir
from statewright.targets.asl.codes import DELEGATION_LIMIT, EVALUATOR_USED
from statewright.targets.asl.evaluator import TALLY, TALLY_KEYS
from statewright.targets.asl.resources import EVALUATOR
from statewright.targets.asl.scopes import Scope
from statewright.targets.asl.tasks import request_task

if TYPE_CHECKING:
    from statewright.targets.asl.build import Builder

DELEGATE_SLOTS = 3
"""Delegations a level can hold in the ASL target."""
UNUSED = "\u0000"
DECISIONS = ("approve", "reject", "delegate")

TALLY_RESULT = "$.check.tally"
"""Where the evaluator's answer for one approval goes (scratch, like the rest of `$.check`)."""

Level = tuple[str, ir.ApprovalLevel, ir.Approval]


def level_table(machine: ir.Machine) -> dict[str, Level]:
    """Level states (and each parallel region's pending state) -> (votes key, level, approval)."""
    table: dict[str, Level] = {}
    number = 0
    children = {s.name: s.children for s in machine.states}
    for approval in machine.approvals:
        for level in approval.levels:
            number += 1
            entry = (f"level{number}", level, approval)
            table[level.state] = entry
            for child in children.get(level.state, ()):
                table[child] = entry
    return table


def _listed(level: ir.ApprovalLevel) -> tuple[str, ...]:
    """The level's approvers, each once, in the order written (each is one quorum place)."""
    return tuple(dict.fromkeys(level.approvers))


def approval_slots(level: ir.ApprovalLevel) -> int:
    """How many approvals a level stores: the quorum, or the listed approvers if fewer (at least one).

    Every stored approval fills one more place, and the level is decided once
    `quorum` places are filled, so no more can ever be stored.
    """
    return max(1, min(level.quorum, len(_listed(level))))


def initial_votes(b: Builder, leaf: str) -> tuple[str, dict[str, Any]]:
    """The votes key of the level and its empty slot object."""
    key, level, approval = b.levels[leaf]
    places = range(1, len(_listed(level)) + 1)
    votes: dict[str, Any] = {"n": 0}
    for slot in range(1, approval_slots(level) + 1):
        votes[f"v{slot}"] = UNUSED
        for place in places:
            votes[f"f{slot}_{place}"] = False
    if approval.delegation:
        votes["nd"] = 0
        for slot in range(1, DELEGATE_SLOTS + 1):
            votes[f"d{slot}"] = UNUSED
            votes[f"g{slot}"] = UNUSED
            for place in places:
                votes[f"q{slot}_{place}"] = False
    return key, votes


def _slots(key: str, level: ir.ApprovalLevel, approval: ir.Approval) -> dict[str, Any]:
    """Parameters copying every slot of the level's votes object (callers replace some)."""
    places = range(1, len(_listed(level)) + 1)
    copied: dict[str, Any] = {"n.$": f"$.votes.{key}.n"}
    for slot in range(1, approval_slots(level) + 1):
        copied[f"v{slot}.$"] = f"$.votes.{key}.v{slot}"
        for place in places:
            copied[f"f{slot}_{place}.$"] = f"$.votes.{key}.f{slot}_{place}"
    if approval.delegation:
        copied["nd.$"] = f"$.votes.{key}.nd"
        for slot in range(1, DELEGATE_SLOTS + 1):
            copied[f"d{slot}.$"] = f"$.votes.{key}.d{slot}"
            copied[f"g{slot}.$"] = f"$.votes.{key}.g{slot}"
            for place in places:
                copied[f"q{slot}_{place}.$"] = f"$.votes.{key}.q{slot}_{place}"
    return copied


def tally_body(workflow: str, listed: tuple[str, ...], quorum: int, key: str) -> dict[str, Any]:
    """The evaluator's request for one approval: places, quorum, the level's votes and the standing."""
    return {
        "workflow": workflow,
        TALLY: {"places": list(listed), "quorum": quorum},
        "votes.$": f"$.votes.{key}",
        "standing.$": "$.check",
        "execution.$": "$$.Execution.Id",
    }


def vote(
    b: Builder,
    scope: Scope,
    leaf: str,
    label: str,
    transition: ir.Transition,
    then: str,
    refused: str,
    wait: str,
) -> str:
    """The states counting an approval decision before `then` (or `then` itself for other events)."""
    if transition.event not in DECISIONS or transition.source not in b.levels:
        return then
    key, level, approval = b.levels[transition.source]
    counting = _Counting(b, scope, leaf, label, key, level, approval, refused)
    if transition.event == "approve":
        then = counting.approve(then, wait)
    elif transition.event == "delegate":
        then = counting.delegate(then)
    return counting.standing(then)


class _Counting:
    """The states of one decision at one level (names are unique per leaf and transition label)."""

    def __init__(
        self,
        b: Builder,
        scope: Scope,
        leaf: str,
        label: str,
        key: str,
        level: ir.ApprovalLevel,
        approval: ir.Approval,
        refused: str,
    ) -> None:
        self.b, self.scope, self.leaf, self.label = b, scope, leaf, label
        self.key, self.level, self.approval, self.refused = key, level, approval, refused
        self.listed = _listed(level)
        self.places = range(1, len(self.listed) + 1)
        self.delegations = range(1, DELEGATE_SLOTS + 1) if approval.delegation else range(0)

    def name(self, what: str) -> str:
        """A unique state name for this decision."""
        return self.b.namer.name(f"{self.leaf}/{self.label}: {what}")

    def add(self, name: str, body: dict[str, Any], neutral: bool = True) -> str:
        """Add a state (neutral: not a milestone of the layout)."""
        self.scope.states[name] = body
        if neutral:
            self.b.layout.neutral.add(name)
        return name

    def standing(self, then: str) -> str:
        """Refuse an anonymous actor or a delegator; set `$.check.t_i` for each listed approver; go on."""
        actor = self.name("who decides?")
        approvers = self.name("approvers")
        roles = self.name("approver roles")
        decide = self.name("approver?")
        nobody: list[dict[str, Any]] = [{"Variable": "$.signal.actor", "StringEquals": ""}]
        nobody += [
            {"Variable": "$.signal.actor", "StringEqualsPath": f"$.votes.{self.key}.g{slot}"}
            for slot in self.delegations
        ]
        self.add(
            actor,
            {
                "Type": "Choice",
                "Comment": "a decision needs an actor who has not delegated at this level",
                "Choices": [{"Or": nobody, "Next": self.refused}]
                if len(nobody) > 1
                else [{**nobody[0], "Next": self.refused}],
                "Default": approvers,
            },
        )
        self.add(
            approvers,
            {
                "Type": "Pass",
                "Comment": f"level {self.level.number} approvers: " + ", ".join(self.listed),
                "Result": {f"a{place}": who for place, who in zip(self.places, self.listed, strict=True)},
                "ResultPath": "$.check",
                "Next": roles,
            },
        )
        checks = {
            f"p{place}.$": f"States.ArrayContains($.signal.permissions, $.check.a{place})"
            for place in self.places
        }
        first = self.name("stands for 1?")
        self.add(roles, {"Type": "Pass", "Parameters": checks, "ResultPath": "$.check", "Next": first})
        following = first
        for place, who in zip(self.places, self.listed, strict=True):
            current = following
            following = self.name(f"stands for {place + 1}?") if place < len(self.listed) else decide
            rules: list[dict[str, Any]] = [
                {"Variable": "$.signal.actor", "StringEquals": who},
                {"Variable": f"$.check.p{place}", "BooleanEquals": True},
            ]
            rules += [
                {
                    "And": [
                        {"Variable": "$.signal.actor", "StringEqualsPath": f"$.votes.{self.key}.d{slot}"},
                        {"Variable": f"$.votes.{self.key}.q{slot}_{place}", "BooleanEquals": True},
                    ]
                }
                for slot in self.delegations
            ]
            yes, no = self.name(f"stands for {place}"), self.name(f"not for {place}")
            self.add(current, {"Type": "Choice", "Choices": [{"Or": rules, "Next": yes}], "Default": no})
            for state, value in ((yes, True), (no, False)):
                self.add(
                    state,
                    {"Type": "Pass", "Result": value, "ResultPath": f"$.check.t{place}", "Next": following},
                )
        stands = [{"Variable": f"$.check.t{place}", "BooleanEquals": True} for place in self.places]
        self.add(
            decide, {"Type": "Choice", "Choices": [{"Or": stands, "Next": then}], "Default": self.refused}
        )
        return actor

    def _approved_before(self) -> list[dict[str, Any]]:
        return [
            {"Variable": "$.signal.actor", "StringEqualsPath": f"$.votes.{self.key}.v{slot}"}
            for slot in range(1, approval_slots(self.level) + 1)
        ]

    def approve(self, then: str, wait: str) -> str:
        """Refuse a second approval or one that fills no other place; store it; decide at the quorum.

        At a quorum-1 level every approval that gets this far decides it; at a
        higher quorum the evaluator says whether it counts and decides.
        """
        again = self.name("approved before?")
        store = self.name("approval slot")
        quorum = self.level.quorum
        decided = then
        first = store
        if quorum > 1:
            tally = self.name("count by matching")
            counts = self.name("approval counts?")
            decided = self.name("quorum reached?")
            counted = self.name("approval counted")
            task = request_task(
                self.b.resources.resource(EVALUATOR),
                tally_body(self.b.machine.name, self.listed, quorum, self.key),
                list(TALLY_KEYS),
            )
            task["Comment"] = (
                "Choice rules cannot compute a matching: the evaluator says whether "
                "the approval fills another place and whether the quorum is reached"
            )
            task["ResultPath"] = TALLY_RESULT
            task["Next"] = counts
            self.add(tally, task)
            self.add(
                counts,
                {
                    "Type": "Choice",
                    "Choices": [{"Variable": f"{TALLY_RESULT}.counts", "BooleanEquals": True, "Next": store}],
                    "Default": self.refused,
                },
            )
            self.add(
                decided,
                {
                    "Type": "Choice",
                    "Comment": f"level {self.level.number} needs {quorum} approvals",
                    "Choices": [
                        {"Variable": f"{TALLY_RESULT}.approved", "BooleanEquals": True, "Next": then}
                    ],
                    "Default": counted,
                },
            )
            body = {"Type": "Pass", "Comment": "counted; the quorum is not reached yet", "Next": wait}
            self.add(counted, body, neutral=False)
            first = tally
            self._note_evaluated()
        self.add(
            again,
            {
                "Type": "Choice",
                "Choices": [{"Or": self._approved_before(), "Next": self.refused}]
                if approval_slots(self.level) > 1
                else [{**self._approved_before()[0], "Next": self.refused}],
                "Default": first,
            },
        )
        rules: list[dict[str, Any]] = []
        for slot in range(1, approval_slots(self.level) + 1):
            stored = self.name(f"store approval {slot}")
            copied = _slots(self.key, self.level, self.approval)
            slots: dict[str, Any] = {"n": slot, **{k: v for k, v in copied.items() if k != "n.$"}}
            slots[f"v{slot}.$"] = "$.signal.actor"
            for place in self.places:
                slots[f"f{slot}_{place}.$"] = f"$.check.t{place}"
            keep = {"Type": "Pass", "Parameters": slots, "ResultPath": f"$.votes.{self.key}", "Next": decided}
            self.add(stored, keep, neutral=False)
            rules.append({"Variable": f"$.votes.{self.key}.n", "NumericEquals": slot - 1, "Next": stored})
        self.add(store, {"Type": "Choice", "Choices": rules, "Default": self.refused})
        return again

    def _note_evaluated(self) -> None:
        """Report once per level that the evaluator counts its approvals."""
        what = f"approvals at level {self.level.number} of `{self.approval.state}`"
        if what not in self.b.evaluated:
            self.b.evaluated.add(what)
            message = f"{what} are counted by the StatewrightEvaluator function (a maximum matching)"
            self.b.note(EVALUATOR_USED, message, self.level.span)

    def delegate(self, then: str) -> str:
        """Refuse a delegation to nobody, to oneself or after approving; store it in the next free slot."""
        check = self.name("delegation valid?")
        decide = self.name("delegate slot")
        bad: list[dict[str, Any]] = [
            {"Variable": "$.signal.delegate_to", "StringEquals": ""},
            {"Variable": "$.signal.delegate_to", "StringEqualsPath": "$.signal.actor"},
            *self._approved_before(),
        ]
        self.add(check, {"Type": "Choice", "Choices": [{"Or": bad, "Next": self.refused}], "Default": decide})
        rules: list[dict[str, Any]] = []
        for slot in self.delegations:
            store = self.name(f"store delegate {slot}")
            slots = _slots(self.key, self.level, self.approval)
            slots.pop("nd.$")
            slots["nd"] = slot
            slots[f"d{slot}.$"] = "$.signal.delegate_to"
            slots[f"g{slot}.$"] = "$.signal.actor"
            for place in self.places:
                slots[f"q{slot}_{place}.$"] = f"$.check.t{place}"
            body = {"Type": "Pass", "Parameters": slots, "ResultPath": f"$.votes.{self.key}", "Next": then}
            self.add(store, body, neutral=False)
            rules.append({"Variable": f"$.votes.{self.key}.nd", "NumericEquals": slot - 1, "Next": store})
        self.add(decide, {"Type": "Choice", "Choices": rules, "Default": self.refused})
        self.b.note(
            DELEGATION_LIMIT,
            f"level {self.level.number} of `{self.level.state}` holds at most {DELEGATE_SLOTS} delegations",
            self.level.span,
        )
        return check
