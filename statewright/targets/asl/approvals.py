"""Approval levels: who stands for which listed approver, quorum places and delegation, in the state data.

The counting is the runtime's (LANGUAGE.md §10). Each level has a slot object
under `$.votes` (reset when the level is entered): `s1..sK`, the actor whose
approval fills each of the K listed approvers, and `n`, how many are filled;
with delegation, `nd` delegations so far and, per delegation slot `j` (at most
`DELEGATE_SLOTS`), the delegate `dj`, the delegator `gj` and `qj_i`: whether
the delegation hands listed approver i on. JSONPath cannot append to a list, so
the slots are unrolled; unused actor slots hold a value no actor can have (a
NUL character).

A decision is checked in this order: it names an actor who has not delegated
at the level; the actor stands for some listed approver (by id, a presented
role, or a delegation to them: one Choice per listed approver sets
`$.check.t_i`). Then a `reject` decides; an `approve` by an actor who has not
approved yet fills the first open listed approver they stand for and decides
once `n` reaches the quorum; a `delegate` to someone else, by an actor who has
not approved, stores the delegate, the delegator and what they stood for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from statewright import ir
from statewright.targets.asl.codes import DELEGATION_LIMIT
from statewright.targets.asl.scopes import Scope

if TYPE_CHECKING:
    from statewright.targets.asl.build import Builder

DELEGATE_SLOTS = 3
"""Delegations a level can hold in the ASL target."""
UNUSED = "\u0000"
DECISIONS = ("approve", "reject", "delegate")

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


def initial_votes(b: Builder, leaf: str) -> tuple[str, dict[str, Any]]:
    """The votes key of the level and its empty slot object."""
    key, level, approval = b.levels[leaf]
    votes: dict[str, Any] = {"n": 0}
    for place in range(1, len(_listed(level)) + 1):
        votes[f"s{place}"] = UNUSED
    if approval.delegation:
        votes["nd"] = 0
        for slot in range(1, DELEGATE_SLOTS + 1):
            votes[f"d{slot}"] = UNUSED
            votes[f"g{slot}"] = UNUSED
            for place in range(1, len(_listed(level)) + 1):
                votes[f"q{slot}_{place}"] = False
    return key, votes


def _slots(key: str, level: ir.ApprovalLevel, approval: ir.Approval) -> dict[str, Any]:
    """Parameters copying every slot of the level's votes object (callers replace some)."""
    copied: dict[str, Any] = {"n.$": f"$.votes.{key}.n"}
    for place in range(1, len(_listed(level)) + 1):
        copied[f"s{place}.$"] = f"$.votes.{key}.s{place}"
    if approval.delegation:
        copied["nd.$"] = f"$.votes.{key}.nd"
        for slot in range(1, DELEGATE_SLOTS + 1):
            copied[f"d{slot}.$"] = f"$.votes.{key}.d{slot}"
            copied[f"g{slot}.$"] = f"$.votes.{key}.g{slot}"
            for place in range(1, len(_listed(level)) + 1):
                copied[f"q{slot}_{place}.$"] = f"$.votes.{key}.q{slot}_{place}"
    return copied


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
            {"Variable": "$.signal.actor", "StringEqualsPath": f"$.votes.{self.key}.s{place}"}
            for place in self.places
        ]

    def approve(self, then: str, wait: str) -> str:
        """Refuse a second approval, fill the first open listed approver the actor stands for, count."""
        again = self.name("approved before?")
        fill = self.name("open place?")
        reached = self.name("quorum reached?")
        counted = self.name("approval counted")
        self.add(
            again,
            {
                "Type": "Choice",
                "Choices": [{"Or": self._approved_before(), "Next": self.refused}],
                "Default": fill,
            },
        )
        rules = []
        for place in self.places:
            store = self.name(f"fill place {place}")
            slots = _slots(self.key, self.level, self.approval)
            slots[f"s{place}.$"] = "$.signal.actor"
            slots["n.$"] = f"States.MathAdd($.votes.{self.key}.n, 1)"
            body = {"Type": "Pass", "Parameters": slots, "ResultPath": f"$.votes.{self.key}", "Next": reached}
            self.add(store, body, neutral=False)
            rules.append(
                {
                    "And": [
                        {"Variable": f"$.check.t{place}", "BooleanEquals": True},
                        {"Variable": f"$.votes.{self.key}.s{place}", "StringEquals": UNUSED},
                    ],
                    "Next": store,
                }
            )
        self.add(fill, {"Type": "Choice", "Choices": rules, "Default": self.refused})
        self.add(
            reached,
            {
                "Type": "Choice",
                "Comment": f"level {self.level.number} needs {self.level.quorum} approvals",
                "Choices": [
                    {
                        "Variable": f"$.votes.{self.key}.n",
                        "NumericGreaterThanEquals": self.level.quorum,
                        "Next": then,
                    }
                ],
                "Default": counted,
            },
        )
        body = {"Type": "Pass", "Comment": "counted; the quorum is not reached yet", "Next": wait}
        self.add(counted, body, neutral=False)
        return again

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
