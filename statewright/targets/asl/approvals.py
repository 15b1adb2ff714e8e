"""Approval levels: eligibility, quorum and delegation counted in the state data.

Each level has a slot object under `$.votes` (reset when the level is entered):
`n` approvals so far and the approvers' ids `a1..` (quorum - 1 of them are ever
needed), `nd` delegations and the delegates `d1..d{DELEGATE_SLOTS}`. JSONPath
cannot append to a list, so the slots are unrolled; unused slots hold a value
no actor can have (a NUL character).
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


def initial_votes(b: Builder, leaf: str) -> tuple[str, dict[str, Any]]:
    """The votes key of the level and its empty slot object."""
    key, level, approval = b.levels[leaf]
    votes: dict[str, Any] = {"n": 0}
    for slot in range(1, level.quorum):
        votes[f"a{slot}"] = UNUSED
    if approval.delegation:
        votes["nd"] = 0
        for slot in range(1, DELEGATE_SLOTS + 1):
            votes[f"d{slot}"] = UNUSED
    return key, votes


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
    if transition.event == "approve" and level.quorum > 1:
        then = _count(b, scope, leaf, label, key, level, approval, then, refused, wait)
    elif transition.event == "delegate":
        then = _delegate(b, scope, leaf, label, key, level, then, refused)
    return _eligible(b, scope, leaf, label, key, level, approval, then, refused)


def _eligible(
    b: Builder,
    scope: Scope,
    leaf: str,
    label: str,
    key: str,
    level: ir.ApprovalLevel,
    approval: ir.Approval,
    then: str,
    refused: str,
) -> str:
    approvers = b.namer.name(f"{leaf}/{label}: " + "approvers")
    compute = b.namer.name(f"{leaf}/{label}: " + "approver roles")
    decide = b.namer.name(f"{leaf}/{label}: " + "approver?")
    checks = {
        f"p{number}.$": f"States.ArrayContains($.signal.permissions, $.check.a{number})"
        for number in range(1, len(level.approvers) + 1)
    }
    rules: list[dict[str, Any]] = [
        {"Variable": "$.signal.actor", "StringEquals": who} for who in level.approvers
    ]
    rules += [
        {"Variable": f"$.check.p{number}", "BooleanEquals": True}
        for number in range(1, len(level.approvers) + 1)
    ]
    if approval.delegation:
        rules += [
            {"Variable": "$.signal.actor", "StringEqualsPath": f"$.votes.{key}.d{slot}"}
            for slot in range(1, DELEGATE_SLOTS + 1)
        ]
    scope.states[approvers] = {
        "Type": "Pass",
        "Comment": f"level {level.number} approvers: " + ", ".join(level.approvers),
        "Result": {f"a{number}": who for number, who in enumerate(level.approvers, 1)},
        "ResultPath": "$.check",
        "Next": compute,
    }
    scope.states[compute] = {
        "Type": "Pass",
        "Parameters": checks,
        "ResultPath": "$.check",
        "Next": decide,
    }
    scope.states[decide] = {"Type": "Choice", "Choices": [{"Or": rules, "Next": then}], "Default": refused}
    b.layout.neutral.update((approvers, compute, decide))
    return approvers


def _slots(key: str, level: ir.ApprovalLevel, approval: ir.Approval) -> dict[str, Any]:
    copied: dict[str, Any] = {"n.$": f"$.votes.{key}.n"}
    for slot in range(1, level.quorum):
        copied[f"a{slot}.$"] = f"$.votes.{key}.a{slot}"
    if approval.delegation:
        copied["nd.$"] = f"$.votes.{key}.nd"
        for slot in range(1, DELEGATE_SLOTS + 1):
            copied[f"d{slot}.$"] = f"$.votes.{key}.d{slot}"
    return copied


def _count(
    b: Builder,
    scope: Scope,
    leaf: str,
    label: str,
    key: str,
    level: ir.ApprovalLevel,
    approval: ir.Approval,
    then: str,
    refused: str,
    wait: str,
) -> str:
    """Refuse a second approval by the same actor; count until the quorum, then go on."""
    again = b.namer.name(f"{leaf}/{label}: " + "approved before?")
    count = b.namer.name(f"{leaf}/{label}: " + "quorum reached?")
    counted = b.namer.name(f"{leaf}/{label}: " + "approval counted")
    scope.states[again] = {
        "Type": "Choice",
        "Choices": [
            {
                "Or": [
                    {"Variable": "$.signal.actor", "StringEqualsPath": f"$.votes.{key}.a{slot}"}
                    for slot in range(1, level.quorum)
                ],
                "Next": refused,
            }
        ],
        "Default": count,
    }
    rules = []
    for already in range(level.quorum - 1):
        store = b.namer.name(f"{leaf}/{label}: " + f"store approval {already + 1}")
        slots = _slots(key, level, approval)
        slots.pop("n.$")
        slots[f"a{already + 1}.$"] = "$.signal.actor"
        scope.states[store] = {
            "Type": "Pass",
            "Parameters": {"n": already + 1, **slots},
            "ResultPath": f"$.votes.{key}",
            "Next": counted,
        }
        rules.append({"Variable": f"$.votes.{key}.n", "NumericEquals": already, "Next": store})
    scope.states[count] = {
        "Type": "Choice",
        "Comment": f"level {level.number} needs {level.quorum} approvals",
        "Choices": rules,
        "Default": then,
    }
    scope.states[counted] = {
        "Type": "Pass",
        "Comment": "counted; the quorum is not reached yet",
        "Next": wait,
    }
    b.layout.neutral.update((again, count))
    return again


def _delegate(
    b: Builder,
    scope: Scope,
    leaf: str,
    label: str,
    key: str,
    level: ir.ApprovalLevel,
    then: str,
    refused: str,
) -> str:
    """Store the delegate (`delegate_to` in the signal) in the next free slot, or refuse."""
    decide = b.namer.name(f"{leaf}/{label}: " + "delegate slot")
    rules: list[dict[str, Any]] = [{"Variable": "$.signal.delegate_to", "StringEquals": "", "Next": refused}]
    approval = b.levels[level.state][2]
    for used in range(DELEGATE_SLOTS):
        store = b.namer.name(f"{leaf}/{label}: " + f"store delegate {used + 1}")
        slots = _slots(key, level, approval)
        slots.pop("nd.$")
        slots[f"d{used + 1}.$"] = "$.signal.delegate_to"
        scope.states[store] = {
            "Type": "Pass",
            "Parameters": {"nd": used + 1, **slots},
            "ResultPath": f"$.votes.{key}",
            "Next": then,
        }
        rules.append({"Variable": f"$.votes.{key}.nd", "NumericEquals": used, "Next": store})
    scope.states[decide] = {"Type": "Choice", "Choices": rules, "Default": refused}
    b.note(
        DELEGATION_LIMIT,
        f"level {level.number} of `{level.state}` holds at most {DELEGATE_SLOTS} delegations",
        level.span,
    )
    b.layout.neutral.add(decide)
    return decide
