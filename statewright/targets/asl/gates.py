"""The governance gate in front of a transition: permissions, evidence, scope lock, a checkpoint's assignee.

`States.ArrayContains` checks each required permission against the signal's
`permissions` and each evidence item against its `evidence` names; the
constants are put in the state data first (so no spec text becomes an
intrinsic-function literal). A missing one refuses the event, as the
runtime's gate does. The scope lock (the transition's `scope`, else the
workflow's for `requires`) must be the answer's `scope` exactly: another, an
empty one or none refuses (LANGUAGE.md §13). A checkpoint's `acknowledge` needs
its assignee as the actor or among the `permissions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from statewright import ir
from statewright.targets.asl.scopes import Scope

if TYPE_CHECKING:
    from statewright.targets.asl.build import Builder


def gate(
    b: Builder, scope: Scope, leaf: str, label: str, transition: ir.Transition, then: str, refused: str
) -> str:
    """The first state of the gate (or `then` when the transition is open)."""
    assignee = _assignee(b, transition)
    lock = transition.scope or (b.machine.scope if transition.permissions else None)  # as the runtime's
    if not transition.permissions and not transition.evidence and assignee is None and lock is None:
        return then
    needed: dict[str, str] = {}
    checks: dict[str, str] = {}
    for number, permission in enumerate(transition.permissions, 1):
        needed[f"permission{number}"] = permission
        checks[f"permission{number}.$"] = (
            f"States.ArrayContains($.signal.permissions, $.check.permission{number})"
        )
    for number, item in enumerate(transition.evidence, 1):
        needed[f"evidence{number}"] = item
        checks[f"evidence{number}.$"] = f"States.ArrayContains($.signal.evidence, $.check.evidence{number})"
    if assignee is not None:  # LANGUAGE.md §11: the actor is the assignee, or holds it
        needed["assignee"] = assignee
        checks["assignee.$"] = "States.ArrayContains($.signal.permissions, $.check.assignee)"
    required = b.namer.name(f"{leaf}/{label}: gate needs")
    compute = b.namer.name(f"{leaf}/{label}: gate")
    decide = b.namer.name(f"{leaf}/{label}: gate passed?")
    comment = "requires " + ", ".join(transition.permissions) if transition.permissions else "open"
    if transition.evidence:
        comment += "; evidence " + ", ".join(transition.evidence)
    if assignee is not None:
        comment += f"; assignee {assignee}"
    if lock is not None:
        comment += f"; scope {lock}"
    if needed:
        scope.states[required] = {
            "Type": "Pass",
            "Comment": comment,
            "Result": needed,
            "ResultPath": "$.check",
            "Next": compute,
        }
        scope.states[compute] = {
            "Type": "Pass",
            "Parameters": checks,
            "ResultPath": "$.check",
            "Next": decide,
        }
    tests: list[dict[str, Any]] = [
        {"Variable": f"$.check.{key}", "BooleanEquals": True} for key in needed if key != "assignee"
    ]
    if assignee is not None:
        held = {"Variable": "$.check.assignee", "BooleanEquals": True}
        tests.append({"Or": [{"Variable": "$.signal.actor", "StringEquals": assignee}, held]})
    if lock is not None:  # exactly the lock: another scope, none, or an answer without one is refused
        present = {"Variable": "$.signal.scope", "IsPresent": True}
        tests.append({"And": [present, {"Variable": "$.signal.scope", "StringEquals": lock}]})
    rule: dict[str, Any] = {"And": tests} if len(tests) > 1 else dict(tests[0])
    rule["Next"] = then
    scope.states[decide] = {"Type": "Choice", "Choices": [rule], "Default": refused}
    if not needed:  # a scope lock alone: the decision is the whole gate
        scope.states[decide]["Comment"] = comment
        b.layout.neutral.add(decide)
        return decide
    b.layout.neutral.update((required, compute, decide))
    return required


def _assignee(b: Builder, transition: ir.Transition) -> str | None:
    """Who must acknowledge, when `transition` is a checkpoint's `acknowledge` with an assignee."""
    if transition.event != "acknowledge":
        return None
    return next((c.assignee for c in b.machine.checkpoints if c.state == transition.source), None)
