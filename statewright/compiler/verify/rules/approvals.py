"""Approval escalation rules (SW607, SW608): what a silence does to the approvals a request needs.

`escalate -> level N` *reassigns* (LANGUAGE.md §10): when the silent level's
timeout fires, the request moves to level N, whose approvers decide from then
on; the votes cast at the silent level are void, the levels between are not
asked, and the request goes on from level N as an approval of N would. Two
cases change what the request needs without the spec saying so, and are
reported as warnings:

- SW607 the escalation jumps over a level: a level written between the silent
  one and level N is never asked after a silence (with conditional routing the
  level between may be one the request's condition selects).
- SW608 the escalation lowers the quorum: level N needs fewer approvals than the
  silent level, so a silence lets fewer people decide than an answer needed.

Escalating to the next level with at least the same quorum is the plain case
(the seed's `level 1 ... escalation: level:2`) and is clean. Escalation cycles
and chains that end nowhere are SW602's.
"""

from __future__ import annotations

from collections.abc import Iterator

from statewright import ir
from statewright.compiler.verify.graph import graph_of
from statewright.diagnostics import Diagnostic, Related
from statewright.diagnostics.catalog.waits import ESCALATION_LOWERS_QUORUM, ESCALATION_SKIPS_LEVEL
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.hookspecs import hookimpl

FAMILY = "waits"


def _file(machine: ir.Machine) -> str:
    return machine.source or machine.name


def escalations(approval: ir.Approval) -> Iterator[tuple[int, ir.ApprovalLevel, int, ir.ApprovalLevel]]:
    """Each level that escalates to another level of its approval: (its position, it, target's, target)."""
    position = {level.state: index for index, level in enumerate(approval.levels)}
    for index, level in enumerate(approval.levels):
        target = position.get(level.escalate_to or "")
        if target is not None:
            yield index, level, target, approval.levels[target]


class EscalationSkipRule:
    """SW607: an escalation to a level jumps over no level written between."""

    name = "approval-escalation-skip"
    family = FAMILY
    codes: tuple[str, ...] = (ESCALATION_SKIPS_LEVEL.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report escalations from a level to a later one that is not the next."""
        graph = graph_of(context.run_for(machine))
        for approval in machine.approvals:
            for index, level, target, to in escalations(approval):
                skipped = approval.levels[index + 1 : target]
                if not skipped:
                    continue
                names = ", ".join(f"level {s.number}" for s in skipped)
                verb = "is" if len(skipped) == 1 else "are"
                yield Diagnostic.of(
                    ESCALATION_SKIPS_LEVEL,
                    f"level {level.number} of approval `{approval.state}` escalates to level {to.number}: "
                    f"after a silence {names} {verb} never asked",
                    _file(machine),
                    level.span,
                    related=[Related(_file(machine), s.span, "skipped by the escalation") for s in skipped],
                    counterexample=graph.path_to(level.state),
                )


class EscalationQuorumRule:
    """SW608: an escalation does not hand the decision to a level with a lower quorum."""

    name = "approval-escalation-quorum"
    family = FAMILY
    codes: tuple[str, ...] = (ESCALATION_LOWERS_QUORUM.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report escalations to a level whose quorum is below the silent level's."""
        graph = graph_of(context.run_for(machine))
        for approval in machine.approvals:
            for _, level, _, to in escalations(approval):
                if to.quorum >= level.quorum:
                    continue
                yield Diagnostic.of(
                    ESCALATION_LOWERS_QUORUM,
                    f"level {level.number} of approval `{approval.state}` needs {level.quorum} approvals, "
                    f"but its escalation hands the decision to level {to.number}, which needs {to.quorum}",
                    _file(machine),
                    level.span,
                    related=[Related(_file(machine), to.span, f"level {to.number} needs {to.quorum}")],
                    counterexample=graph.path_to(level.state),
                )


@hookimpl
def statewright_rules() -> list[Rule]:
    """Return the escalation rules (SW607, SW608)."""
    return [EscalationSkipRule(), EscalationQuorumRule()]
