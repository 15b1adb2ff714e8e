"""The validation summary: each check family PASS, WARN, FAIL or NOT RUN, with evidence, and the known risks.

Inputs are the machine, the rules that were registered for the run (each has a
`family` and the `codes` it may report) and the findings about the file. The
verdicts come from the findings; the evidence (counts of states, leaves,
state x event pairs, saga steps, waits, ...) is computed from the IR here, so
the summary says how much was checked, not only whether something was found.
Where a rule checks less than the whole machine, the evidence says what it
checked (the completeness and waits rows count exactly what SW311 and SW601
look at, and say what lies outside and why), so a verdict never contradicts
its own evidence.

A check is
- NOT RUN when no registered rule covers it (e.g. guard consistency until an
  SMT-backed rule is installed);
- FAIL when a finding of error severity belongs to it, or when a rule
  covering it crashed (SW902), or (with `strict`, as `check --strict`) a
  warning: exactly the findings that make `check` exit 1;
- WARN when only warnings belong to it: the property was not established, but
  `check` passes (exit 0) without `--strict`;
- PASS otherwise (info findings are listed as evidence and do not fail it).

Findings are attributed to checks by code: an explicit table for the built-in
codes, then the reporting rule's family, then the code's family number
(SW3xx structure, SW4xx guards, SW5xx sagas, SW6xx waits, SW7xx retries,
SW8xx parallel). Rules of a family that is none of the nine get a row of their
own, named after the family.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from statewright import ir
from statewright.compiler.verify.graph import graph_of
from statewright.compiler.verify.rules.structure import completeness_scope
from statewright.compiler.verify.rules.waits import waiting_states, waits_by_design
from statewright.diagnostics import CODES, Diagnostic, Severity
from statewright.ir.text import format_duration
from statewright.plugins.api import Rule
from statewright.plugins.run import VerificationRun
from statewright.semantics.facts import Facts

CheckStatus = Literal["PASS", "WARN", "FAIL", "NOT RUN"]
Verdict = Literal["PASS", "WARN", "FAIL", "INCOMPLETE"]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One check family of the validation report."""

    key: str
    title: str
    question: str


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("reachability", "reachability", "every state is reachable from the initial state"),
    CheckSpec("deadlock", "deadlock-free", "every non-final state has a way out and can reach a final state"),
    CheckSpec("determinism", "determinism", "each state x event pair selects one target"),
    CheckSpec(
        "completeness", "completeness", "each state x event pair is a transition or an explicit reject/ignore"
    ),
    CheckSpec(
        "guards",
        "guard consistency",
        "guards are satisfiable, mutually exclusive and together exhaustive; `set` keeps the invariants",
    ),
    CheckSpec("sagas", "sagas", "steps have compensations and idempotency keys; compensation failure ends"),
    CheckSpec("waits", "waits", "every wait has a timeout and an escalation that ends in an outcome"),
    CheckSpec("retries", "retries", "retries are capped, back off with a cap, and dead-letter"),
    CheckSpec("parallel", "parallel", "every region can complete and joins cannot deadlock"),
)
CHECK_KEYS = tuple(spec.key for spec in CHECKS)

FAMILIES: Mapping[str, tuple[str, ...]] = {
    "reachability": ("reachability",),
    "reachable": ("reachability",),
    "deadlock": ("deadlock",),
    "deadlocks": ("deadlock",),
    "liveness": ("deadlock",),
    "traps": ("deadlock",),
    "structure": ("reachability", "deadlock"),
    "structural": ("reachability", "deadlock"),
    "determinism": ("determinism",),
    "completeness": ("completeness",),
    "determinismcompleteness": ("determinism", "completeness"),
    "determinismandcompleteness": ("determinism", "completeness"),
    "guards": ("guards",),
    "guard": ("guards",),
    "guardconsistency": ("guards",),
    "smt": ("guards",),
    "sagas": ("sagas",),
    "saga": ("sagas",),
    "waits": ("waits",),
    "wait": ("waits",),
    "approvals": ("waits",),
    "approval": ("waits",),
    "approvalswaits": ("waits",),
    "approvalsandwaits": ("waits",),
    "retries": ("retries",),
    "retry": ("retries",),
    "timeouts": ("retries",),
    "retriestimeouts": ("retries",),
    "retriesandtimeouts": ("retries",),
    "parallel": ("parallel",),
    "parallelcompound": ("parallel",),
    "compound": ("parallel",),
    "concurrency": ("parallel",),
}
"""Rule family names (lower case, letters only) and the checks they cover."""

CODE_CHECKS: dict[str, str] = {}
"""Explicit code -> check attributions, for codes whose family or name is ambiguous."""

_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "deadlock",
        ("deadlock", "trap", "livelock", "no-exit", "dead-end", "stuck", "cannot-finish", "no-final"),
    ),
    ("reachability", ("unreachable", "reachab")),
    ("determinism", ("nondetermin", "determin", "ambiguous", "conflict", "overlap")),
    ("completeness", ("unhandled", "incomplete", "complete", "undefined", "missing-transition", "implicit")),
)
_PREFIX_CHECKS = {"4": "guards", "5": "sagas", "6": "waits", "7": "retries", "8": "parallel"}
RULE_CRASHED = "SW902"
RACE_CODE = "SW804"
PARTIAL_CODES = frozenset({"SW803"})
"""Info codes saying a search was cut off by its bound: a PASS beside one is only partial."""


def normalize_family(family: str) -> str:
    """Return a family name reduced to lower-case letters, so `Approvals & waits` matches `approvalswaits`."""
    return re.sub(r"[^a-z]", "", family.lower())


def check_of(code: str, family: str | None = None) -> str | None:
    """Return the check a finding code belongs to, or None when it belongs to none of the nine."""
    if code in CODE_CHECKS:
        return CODE_CHECKS[code]
    described = CODES.get(code)
    words = f"{described.name} {described.title}".lower() if described else ""
    candidates: tuple[str, ...] = FAMILIES.get(normalize_family(family), ()) if family else ()
    if not candidates:
        match = re.fullmatch(r"SW(\d)\d\d", code)
        if match and match.group(1) in _PREFIX_CHECKS:
            return _PREFIX_CHECKS[match.group(1)]
        if match and match.group(1) == "3":
            candidates = ("reachability", "deadlock")
        else:
            return None
    if len(candidates) == 1:
        return candidates[0]
    for check, keywords in _KEYWORDS:
        if check in candidates and any(word in words for word in keywords):
            return check
    return None


def rule_checks(rule: Rule) -> tuple[str, ...]:
    """Return the checks a rule covers: those its codes belong to, or its family's when it lists none."""
    family = str(getattr(rule, "family", ""))
    codes = tuple(getattr(rule, "codes", ()) or ())
    if not codes:
        return FAMILIES.get(normalize_family(family), ())
    found = {check_of(code, family) for code in codes}
    return tuple(key for key in CHECK_KEYS if key in found)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One row of the validation report."""

    key: str
    title: str
    status: CheckStatus
    evidence: tuple[str, ...]
    codes: tuple[tuple[str, str, int], ...] = ()
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    counterexample: tuple[str, ...] | None = None
    counterexample_code: str | None = None
    rules: tuple[str, ...] = ()
    crashed: tuple[str, ...] = ()
    partial: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the row as JSON-ready data."""
        data: dict[str, Any] = {
            "check": self.key,
            "title": self.title,
            "status": self.status,
            "evidence": list(self.evidence),
            "rules": list(self.rules),
            "findings": {
                "errors": self.errors,
                "warnings": self.warnings,
                "infos": self.infos,
                "codes": [
                    {"code": code, "severity": severity, "count": count}
                    for code, severity, count in self.codes
                ],
            },
        }
        if self.crashed:
            data["crashed_rules"] = list(self.crashed)
        if self.partial:
            data["partial"] = True
        if self.counterexample is not None:
            data["counterexample"] = {"code": self.counterexample_code, "path": list(self.counterexample)}
        return data


RiskKind = Literal["finding", "compensation", "race", "wait"]


@dataclass(frozen=True, slots=True)
class Risk:
    """One entry of the known-risks section."""

    kind: RiskKind
    message: str
    finding: Diagnostic | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the risk as JSON-ready data."""
        data: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.finding is not None:
            data["code"] = self.finding.code
            data["severity"] = self.finding.severity.value
            data["file"] = self.finding.file
            data["span"] = self.finding.span.to_dict()
        return data


@dataclass(frozen=True, slots=True)
class Summary:
    """The validation report of one machine: a row per check family and the known risks."""

    workflow: str
    file: str
    checks: tuple[CheckResult, ...]
    risks: tuple[Risk, ...] = field(default=())

    @property
    def verdict(self) -> Verdict:
        """FAIL when any check failed; INCOMPLETE when some did not run; WARN when some warned; else PASS."""
        statuses = {check.status for check in self.checks}
        if "FAIL" in statuses:
            return "FAIL"
        if "NOT RUN" in statuses:
            return "INCOMPLETE"
        return "WARN" if "WARN" in statuses else "PASS"

    def check(self, key: str) -> CheckResult:
        """Return the row for check `key` (KeyError when there is none)."""
        for result in self.checks:
            if result.key == key:
                return result
        raise KeyError(key)

    def counts(self) -> dict[str, int]:
        """Return how many checks passed, warned, failed and did not run."""
        found = Counter(check.status for check in self.checks)
        return {status: found.get(status, 0) for status in ("PASS", "WARN", "FAIL", "NOT RUN")}

    def to_dict(self) -> dict[str, Any]:
        """Return the whole report as JSON-ready data."""
        return {
            "file": self.file,
            "workflow": self.workflow,
            "verdict": self.verdict,
            "checks": [check.to_dict() for check in self.checks],
            "risks": [risk.to_dict() for risk in self.risks],
        }


# --------------------------------------------------------------------------- evidence from the IR


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def _evidence(run: VerificationRun, facts: Facts) -> dict[str, tuple[str, ...]]:
    machine = run.machine
    graph = graph_of(run)
    matrix = facts.matrix
    leaves = graph.leaves
    reached = sum(1 for leaf in leaves if leaf in graph.reachable)
    non_final = [leaf for leaf in leaves if graph.states[leaf].kind != "final"]
    with_exits = sum(1 for leaf in non_final if graph.edges[leaf])
    can_finish = sum(1 for leaf in leaves if leaf in graph.can_finish)
    stats = matrix.stats
    guarded = [t for t in machine.transitions if t.guard is not None or t.is_else]
    guard_pairs = {(t.source, t.kind, t.event) for t in guarded}
    with_else = sum(1 for t in guarded if t.is_else)
    steps = [step for saga in machine.sagas for step in saga.steps]
    keyed = sum(1 for step in steps if step.key)
    compensations = sum(1 for step in steps if step.compensation)
    comp_keys = sum(1 for step in steps if step.compensation and step.compensation_key)
    waits = _waits_evidence(run)
    retrying = [s for s in machine.states if s.invoke and s.invoke.retry]
    policies = [s.invoke.retry for s in retrying if s.invoke and s.invoke.retry]
    failing = {t.source for t in machine.transitions if t.kind == "error" and t.target is not None}
    exhausted = sum(1 for s in retrying if s.name in failing)
    capped_backoff = sum(1 for p in policies if p.cap_ms is not None or p.backoff == "fixed")
    parallels = [s for s in machine.states if s.kind == "parallel"]
    regions = sum(len(s.children) for s in parallels)
    pairs = f"{stats.rows} non-final leaves x {stats.events} events = {stats.pairs} pairs"
    services = {step.service for step in steps if step.service}
    return {
        "reachability": (
            f"{_plural(len(machine.states), 'state')} ({_plural(len(leaves), 'leaf', 'leaves')})",
            f"{reached} of {len(leaves)} leaves reachable from {machine.initial}",
        ),
        "deadlock": (
            f"{with_exits} of {len(non_final)} non-final leaves have a way out",
            f"{can_finish} of {len(leaves)} leaves can reach a final state of the workflow",
        ),
        "determinism": (pairs, f"{stats.choices} decided among several transitions"),
        "completeness": (
            pairs,
            f"{stats.transition} transition, {stats.reject} reject, "
            f"{stats.ignore} ignore, {stats.other_region} handled by another region, "
            f"{stats.not_awaited} approval/checkpoint events refused where not awaited, "
            f"{stats.unresolved} external events undecided",
            *_completeness_scope(run, stats.unresolved),
            f"{stats.open_guarded} decided by guards alone, with no else and not proved exhaustive",
        ),
        "guards": (
            f"{_plural(len(guarded), 'guarded transition')} on {_plural(len(guard_pairs), 'pair')}, "
            f"{with_else} with else; {_plural(len(machine.invariants), 'invariant')}",
            *_proofs(run),
        ),
        "sagas": (
            f"{_plural(len(machine.sagas), 'saga')}, {_plural(len(steps), 'step')}, "
            f"{_plural(compensations, 'compensation')}, {_plural(len(services), 'service')}",
            f"{keyed} of {len(steps)} steps keyed, {comp_keys} of {compensations} compensations keyed",
        ),
        "waits": waits,
        "retries": (
            f"{_plural(len(policies), 'state')} retrying invoked work: "
            f"{sum(1 for p in policies if p.max_retries is not None)} capped, "
            f"{capped_backoff} with bounded backoff",
            f"{exhausted} of {len(policies)} leave by an error transition when retries run out "
            f"({sum(1 for p in policies if p.dead_letter)} to a dead-letter state)",
        ),
        "parallel": (f"{_plural(len(parallels), 'parallel state')}, {_plural(regions, 'region')}",),
    }


def _completeness_scope(run: VerificationRun, undecided: int) -> tuple[str, ...]:
    """What SW311 checked of the matrix, and why the undecided pairs outside it are not its findings."""
    scope = completeness_scope(run)
    lines = [
        f"SW311 checks {_plural(len(scope.leaves), 'reachable waiting leaf', 'reachable waiting leaves')} x "
        f"{_plural(len(scope.events), 'external event')}: {scope.undecided} undecided"
    ]
    outside = undecided - scope.undecided
    if outside:
        lines.append(
            f"{outside} undecided outside that: in unreachable, stuck or passed-through leaves, "
            "or of events nothing mentions (SW301, SW303, SW304)"
        )
    return tuple(lines)


def _waits_evidence(run: VerificationRun) -> tuple[str, ...]:
    """What SW601 checked: each waiting leaf by kind, which have a timeout, why the rest are not findings."""
    machine = run.machine
    graph = graph_of(run)
    waits = waiting_states(machine, graph)
    by_design = waits_by_design(machine)
    levels = sum(1 for wait in waits.values() if wait.level is not None)
    checkpoints = sum(1 for wait in waits.values() if wait.strict and wait.level is None)
    plain = sum(1 for wait in waits.values() if not wait.strict)
    untimed = [
        wait
        for wait in waits.values()
        if not any(machine.transitions[e.transition].kind == "timeout" for e in graph.exits(wait.state))
    ]
    lines = [
        f"{_plural(len(waits), 'waiting state')} ({_plural(levels, 'approval level')}, "
        f"{_plural(checkpoints, 'checkpoint')}, {plain} waiting on events), "
        f"{len(waits) - len(untimed)} with a timeout"
    ]
    if untimed:
        designed = sum(1 for wait in untimed if not wait.strict and wait.state in by_design)
        unreachable = sum(
            1
            for wait in untimed
            if not wait.strict and wait.state not in by_design and wait.state not in graph.reachable
        )
        reported = len(untimed) - designed - unreachable
        lines.append(
            f"of the {len(untimed)} without one: {designed} wait by design (initial state, review queue), "
            f"{unreachable} unreachable (SW301), {reported} reported (SW601)"
        )
    lines.append(
        f"{_plural(len(machine.approvals), 'approval')}, {_plural(len(machine.checkpoints), 'checkpoint')}"
    )
    return tuple(lines)


def _proofs(run: VerificationRun) -> tuple[str, ...]:
    """What the SMT rules of this run proved, refuted and left unknown, per obligation kind."""
    from statewright.compiler.smt.analysis import GuardAnalysis  # z3 only when a summary is made

    analysis = run.peek(GuardAnalysis, run.smt_timeout_ms)
    if analysis is None:
        return ()
    tally = analysis.tally()
    if not tally:
        return ("no SMT obligations (no guards, invariants or bounded `set` actions)",)
    return tuple(
        f"{check}: {counts['proved']} proved, {counts['refuted']} refuted, {counts['unknown']} unknown"
        for check, counts in tally.items()
    )


# --------------------------------------------------------------------------- the summary


def _crashed_rule(finding: Diagnostic, rules: Sequence[Rule]) -> Rule | None:
    if finding.code != RULE_CRASHED:
        return None
    for rule in rules:
        if f"`{rule.name}`" in finding.message:
            return rule
    return None


def summarize(
    machine: ir.Machine,
    rules: Sequence[Rule],
    findings: Iterable[Diagnostic],
    file: str | None = None,
    run: VerificationRun | None = None,
    strict: bool = False,
) -> Summary:
    """Build the validation report of one machine from the rules that ran and their findings.

    `run` is the verification run the rules ran in (its proofs are the evidence of
    the guard checks); without one, the summary derives what it needs afresh.
    `strict` (`check --strict`) makes a warning fail its check, as it fails `check`.
    """
    from statewright.compiler.verify.result import verification_of  # z3 only when a summary is made

    run = run if run is not None and run.machine is machine else VerificationRun(machine)
    facts = Facts(machine, verification_of(run).exhaustive)
    findings = tuple(sorted(findings, key=lambda d: (*d.sort_key(), d.severity.rank)))
    family_of_code: dict[str, str] = {}
    covered: dict[str, list[str]] = {}
    extra_families: dict[str, list[str]] = {}
    for rule in rules:
        family = str(rule.family)
        checks = rule_checks(rule)
        for code in rule.codes:
            family_of_code.setdefault(code, family)
        for check in checks:
            covered.setdefault(check, []).append(rule.name)
        if not checks:
            extra_families.setdefault(family, []).append(rule.name)

    def attribute(finding: Diagnostic) -> str | None:
        family = family_of_code.get(finding.code)
        check = check_of(finding.code, family)
        if check is None and family is not None and family in extra_families:
            return f"family:{family}"
        return check

    per_check: dict[str, list[Diagnostic]] = {}
    crashes: dict[str, list[str]] = {}
    for finding in findings:
        crashed = _crashed_rule(finding, rules)
        if crashed is not None:
            targets = rule_checks(crashed) or (f"family:{crashed.family}",)
            for check in targets:
                crashes.setdefault(check, []).append(crashed.name)
            continue
        key = attribute(finding)
        if key is not None:
            per_check.setdefault(key, []).append(finding)

    evidence = _evidence(run, facts)
    rows = [
        _row(spec.key, spec.title, evidence[spec.key], covered.get(spec.key, []), per_check, crashes, strict)
        for spec in CHECKS
    ]
    for family in sorted(extra_families):
        key = f"family:{family}"
        evidence_line = "rules: " + ", ".join(sorted(set(extra_families[family])))
        rows.append(_row(key, family, (evidence_line,), extra_families[family], per_check, crashes, strict))
    return Summary(
        workflow=machine.name,
        file=file if file is not None else machine.source,
        checks=tuple(rows),
        risks=_risks(facts, findings, family_of_code),
    )


def _row(
    key: str,
    title: str,
    evidence: tuple[str, ...],
    rules: list[str],
    per_check: Mapping[str, list[Diagnostic]],
    crashes: Mapping[str, list[str]],
    strict: bool = False,
) -> CheckResult:
    found = per_check.get(key, [])
    severities = Counter(finding.severity for finding in found)
    codes = Counter((finding.code, finding.severity.value) for finding in found)
    with_path = next((f for f in found if f.counterexample is not None), None)
    crashed = tuple(dict.fromkeys(crashes.get(key, ())))
    status: CheckStatus
    if not rules and not found and not crashed:
        status = "NOT RUN"
    elif crashed or severities[Severity.ERROR] or (strict and severities[Severity.WARNING]):
        status = "FAIL"
    elif severities[Severity.WARNING]:
        status = "WARN"
    else:
        status = "PASS"
    return CheckResult(
        key=key,
        title=title,
        status=status,
        evidence=evidence,
        codes=tuple((code, severity, count) for (code, severity), count in sorted(codes.items())),
        errors=severities[Severity.ERROR],
        warnings=severities[Severity.WARNING],
        infos=severities[Severity.INFO],
        counterexample=with_path.counterexample if with_path else None,
        counterexample_code=with_path.code if with_path else None,
        rules=tuple(sorted(set(rules))),
        crashed=crashed,
        partial=any(finding.code in PARTIAL_CODES for finding in found),
    )


def _risks(
    facts: Facts, findings: Sequence[Diagnostic], family_of_code: Mapping[str, str]
) -> tuple[Risk, ...]:
    def is_race(finding: Diagnostic) -> bool:
        family = normalize_family(family_of_code.get(finding.code, ""))
        return finding.code == RACE_CODE and (not family or FAMILIES.get(family) == ("parallel",))

    machine = facts.machine
    matrix = facts.matrix
    risks: list[Risk] = []
    for finding in findings:
        if finding.severity is Severity.INFO or is_race(finding):
            continue
        where = f"{finding.file}:{finding.span.line}:{finding.span.column}"
        text = f"{finding.code} {finding.severity.value} at {where}: {finding.message}"
        risks.append(Risk("finding", text, finding))
    for saga in machine.sagas:
        for row in facts.saga_failures(saga):
            step = row.step
            if step.compensation:
                moves = (
                    "; ".join(row.on_compensation_failure) or "fails -> no failure path: the saga would stall"
                )
                if step.compensation_state and not matrix.timer(step.compensation_state, "timeout"):
                    moves += "; has no timeout: if it hangs, the saga waits in it forever"
                risks.append(
                    Risk("compensation", f"saga {saga.state}: compensation {step.compensation} {moves}")
                )
        pivots = [step.index for step in saga.steps if step.pivot]
        if pivots:
            for row in facts.saga_failures(saga):
                if row.step.index > pivots[0]:
                    moves = "; ".join(row.on_failure) or "no failure path"
                    risks.append(
                        Risk(
                            "compensation",
                            f"saga {saga.state}: step {row.step.action} after the pivot {moves}",
                        )
                    )
    for finding in findings:
        if is_race(finding):
            where = f"{finding.file}:{finding.span.line}:{finding.span.column}"
            text = (
                finding.message
                if finding.message.startswith("race")
                else f"race candidate: {finding.message}"
            )
            risks.append(Risk("race", f"{finding.code} at {where}: {text}", finding))
    for bound in facts.waits():
        if not bound.bounded:
            risks.append(Risk("wait", f"{bound.state} waits without a timeout: it can wait forever"))
            continue
        for after_ms, target in bound.timeouts:
            outcome = facts.outcome_of(target)
            if outcome is not None and outcome[0] == "failure":
                risks.append(
                    Risk(
                        "wait",
                        f"{bound.state} times out after {format_duration(after_ms)} -> "
                        f"{facts.describe_target(target)}",
                    )
                )
    return tuple(risks)


# --------------------------------------------------------------------------- text


_STATUS_WIDTH = 9


def render_summary(summary: Summary) -> str:
    """Render the report in full: a header, a row per check with its evidence, then the known risks."""
    counts = summary.counts()
    header = (
        f"validation of {summary.workflow} ({summary.file}): {summary.verdict} — "
        f"{counts['PASS']} pass, {counts['WARN']} warn, {counts['FAIL']} fail, {counts['NOT RUN']} not run"
    )
    width = max(len(check.title) for check in summary.checks) + 2
    lines = [header]
    indent = " " * (2 + _STATUS_WIDTH + width)
    for check in summary.checks:
        details = list(check.evidence)
        if check.status == "NOT RUN":
            details.insert(0, "no rule of this family is registered")
        if check.codes:
            details.append(
                "findings: " + ", ".join(f"{code} x{count} ({sev})" for code, sev, count in check.codes)
            )
        if check.crashed:
            details.append("crashed: " + ", ".join(check.crashed))
        if check.partial:
            details.append("partial: a search stopped at its bound, so this result is not complete")
        first = details[0] if details else ""
        lines.append(f"  {check.status:<{_STATUS_WIDTH}}{check.title:<{width}}{first}".rstrip())
        lines.extend(f"{indent}{detail}" for detail in details[1:])
        if check.counterexample is not None:
            path = " -> ".join(check.counterexample) or "(initial state)"
            lines.append(f"{indent}counterexample ({check.counterexample_code}): {path}")
    lines.append("known risks:" if summary.risks else "known risks: none")
    lines.extend(f"  - {risk.kind}: {risk.message}" for risk in summary.risks)
    return "\n".join(lines)


def render_summary_concise(summary: Summary) -> str:
    """Render the report on one line: every check and its status, and the number of known risks."""
    checks = ", ".join(f"{check.title} {check.status}" for check in summary.checks)
    return (
        f"{summary.file}: validation {summary.verdict}: {checks}; {_plural(len(summary.risks), 'known risk')}"
    )
