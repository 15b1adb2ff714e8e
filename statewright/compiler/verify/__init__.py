"""The rule runner: apply every verification rule to one machine and collect the findings.

Rules come from plugins (`statewright_rules`), so a rule is untrusted code: one
that raises, or yields something that is not a `Diagnostic`, becomes an SW902
error about that rule instead of a traceback, and the other rules still run.
SW902 is an error because a crashed rule means the machine was not verified,
and `build` must not generate code from an unverified machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from statewright.compiler.collector import collector_paused
from statewright.diagnostics import Diagnostic
from statewright.diagnostics.catalog.command import RULE_CRASHED
from statewright.ir import Machine
from statewright.plugins.api import Rule, RuleContext


def verify(
    machine: Machine,
    rules: Iterable[Rule],
    context: RuleContext | None = None,
    *,
    stage: Callable[[str], None] | None = None,
) -> tuple[Diagnostic, ...]:
    """Run every rule on `machine`; return all findings sorted by place, then code.

    The rules share one `VerificationRun` (the context's, or one made here from
    its settings), so what one rule derives from the machine the next one reuses.
    `stage` (the command line's progress display) is told `verifying <family>`
    whenever the next rule belongs to another check family.
    """
    context = context or RuleContext()
    if context.run is None or context.run.machine is not machine:
        context = replace(context, run=context.run_for(machine))
    findings: list[Diagnostic] = []
    with collector_paused():
        family = None
        for rule in rules:
            if stage is not None and getattr(rule, "family", None) != family:
                family = getattr(rule, "family", None)
                stage(f"verifying {family or 'rules'}")
            findings.extend(_run_rule(rule, machine, context))
    return tuple(sorted(findings, key=_order))


def _run_rule(rule: Rule, machine: Machine, context: RuleContext) -> list[Diagnostic]:
    """Run one rule; a crash or a malformed finding adds an SW902 after what it reported so far."""
    name = getattr(rule, "name", type(rule).__name__)
    collected: list[Diagnostic] = []
    try:
        for finding in rule.check(machine, context):
            if not isinstance(finding, Diagnostic):
                return [
                    *collected,
                    _crashed(machine, name, f"returned {finding!r}, which is not a Diagnostic"),
                ]
            collected.append(finding)
    except Exception as exc:
        detail = str(exc).strip().splitlines()
        reason = f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__
        return [*collected, _crashed(machine, name, f"raised {reason}")]
    return collected


def _crashed(machine: Machine, rule: str, what: str) -> Diagnostic:
    return Diagnostic.of(
        RULE_CRASHED, f"verification rule `{rule}` {what}", machine.source or machine.name, machine.span
    )


def _order(diagnostic: Diagnostic) -> tuple[str, int, int, str, str, int]:
    return (*diagnostic.sort_key(), diagnostic.severity.rank)
