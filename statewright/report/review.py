"""The design review a target may present: the validation summary, known risks and findings as plain data.

Targets cannot import the verifier or this package, so `build` hands them a
`plugins.review.Review` inside `Verification.review`. It holds the summary of
`summary.summarize` (each check's status, evidence and notes), its known
risks, and every finding with

- the states it is about: the states its message names in backticks, else the
  innermost state whose declaration contains the finding's location, else the
  leaves its counterexample ends in; and
- its counterexample replayed as configurations (the active leaves) on the
  leaf graph the rules searched (`compiler.verify.graph`), moving with the
  hierarchy's exit and entry sets (`semantics.hierarchy`): from the initial
  configuration, each label takes an edge with that label (see `replay` for
  which one when several could). A label that is no move there (the unhandled
  event a completeness finding ends with) ends the walk with no state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from statewright import ir
from statewright.compiler.verify.graph import MachineGraph, graph_of
from statewright.compiler.verify.result import verification_of
from statewright.diagnostics import Diagnostic
from statewright.plugins.api import Rule
from statewright.plugins.review import PathStep, Review, ReviewCheck, ReviewFinding, ReviewRisk
from statewright.plugins.run import Verification, VerificationRun
from statewright.report.summary import CheckResult, summarize

_QUOTED = re.compile(r"`([^`]+)`")


_SEARCH_LIMIT = 20_000
"""How many (step, configuration) pairs a replay may visit before it settles for the walk it has."""


def _moves(graph: MachineGraph, config: frozenset[str], label: str) -> list[frozenset[str]]:
    """The configurations one edge labelled `label` leads to from `config`, deterministic and distinct."""
    found: dict[frozenset[str], None] = {}
    for leaf in sorted(config, key=graph.leaves.index):
        for edge in graph.edges[leaf]:
            if edge.label != label:
                continue
            transition = graph.machine.transitions[edge.transition]
            assert transition.target is not None  # the graph has edges only for moves
            exited = set(graph.exit_set(config, transition.source, transition.target))
            kept = {active for active in config if active not in exited}
            found.setdefault(frozenset(kept | set(graph.entered(transition.source, transition.target))))
    return list(found)


def replay(graph: MachineGraph, labels: Sequence[str], prefer: Iterable[str] = ()) -> tuple[PathStep, ...]:
    """Walk a counterexample's labels from the initial configuration; one step per label, the start first.

    Each step is the configuration (the active leaves) after the label. Where a
    label could be several moves, the first walk in IR order that takes every
    label is kept, one that ends in a `prefer` state (or below one) first; a
    label no walk can take ends it, and it and the rest are steps with no state.
    """
    wanted = {leaf for state in prefer for leaf in graph.descendants.get(state, ())}
    start = frozenset(graph.initial_leaves)
    longest: list[frozenset[str]] = [start]
    failed: set[tuple[int, frozenset[str]]] = set()
    budget = [_SEARCH_LIMIT]

    def search(trail: list[frozenset[str]], need: bool) -> list[frozenset[str]] | None:
        index, config = len(trail) - 1, trail[-1]
        if len(trail) > len(longest):
            longest[:] = trail
        if index == len(labels):
            return trail if not need or config & wanted else None
        if (index, config) in failed or budget[0] <= 0:
            return None
        budget[0] -= 1
        for following in _moves(graph, config, labels[index]):
            found = search([*trail, following], need)
            if found is not None:
                return found
        failed.add((index, config))
        return None

    walk = search([start], bool(wanted))
    if walk is None:
        failed.clear()
        walk = search([start], False) or longest
    order = graph.leaves.index
    steps = [PathStep("", tuple(sorted(walk[0], key=order)))]
    steps.extend(PathStep(labels[i], tuple(sorted(walk[i + 1], key=order))) for i in range(len(walk) - 1))
    steps.extend(PathStep(label, ()) for label in labels[len(walk) - 1 :])
    return tuple(steps)


def _encloses(outer: ir.State, finding: Diagnostic) -> bool:
    span, at = outer.span, finding.span
    return (
        span.line > 0
        and (span.line, span.column) <= (at.line, at.column)
        and (at.end_line, at.end_column) <= (span.end_line, span.end_column)
    )


def named_states(machine: ir.Machine, finding: Diagnostic) -> tuple[str, ...]:
    """The states a finding's message names in backticks, else the innermost one declared around it."""
    names = {state.name for state in machine.states}
    quoted = [name for name in _QUOTED.findall(finding.message) if name in names]
    if quoted:
        return tuple(dict.fromkeys(quoted))
    enclosing = [state for state in machine.states if _encloses(state, finding)]
    if enclosing:
        innermost = max(enclosing, key=lambda state: (state.span.line, state.span.column))
        return (innermost.name,)
    return ()


def _notes(check: CheckResult) -> tuple[str, ...]:
    notes: list[str] = []
    if check.status == "NOT RUN":
        notes.append("no rule of this family is registered")
    if check.codes:
        notes.append("findings: " + ", ".join(f"{code} x{count} ({sev})" for code, sev, count in check.codes))
    if check.crashed:
        notes.append("crashed: " + ", ".join(check.crashed))
    if check.partial:
        notes.append("partial: a search stopped at its bound, so this result is not complete")
    return tuple(notes)


def review_of(
    machine: ir.Machine,
    rules: Sequence[Rule],
    findings: Iterable[Diagnostic],
    file: str | None = None,
    run: VerificationRun | None = None,
) -> Review:
    """Build the review of one machine from the rules that ran in `run` and every finding about its file."""
    run = run if run is not None and run.machine is machine else VerificationRun(machine)
    findings = tuple(findings)
    summary = summarize(machine, rules, findings, file, run)
    graph = graph_of(run)
    reviewed = []
    for finding in findings:
        states = named_states(machine, finding)
        path = replay(graph, finding.counterexample, states) if finding.counterexample is not None else ()
        if not states:  # the state its counterexample ends in
            states = next((step.states for step in reversed(path) if step.states), ())
        reviewed.append(ReviewFinding(finding, states, path))
    return Review(
        verdict=summary.verdict,
        checks=tuple(
            ReviewCheck(
                key=check.key,
                title=check.title,
                status=check.status,
                evidence=check.evidence,
                notes=_notes(check),
                counterexample=check.counterexample,
                counterexample_code=check.counterexample_code,
            )
            for check in summary.checks
        ),
        risks=tuple(
            ReviewRisk(risk.kind, risk.message, risk.finding.code if risk.finding else None)
            for risk in summary.risks
        ),
        findings=tuple(reviewed),
    )


def reviewed_verification(
    run: VerificationRun, rules: Sequence[Rule], findings: Iterable[Diagnostic], file: str | None = None
) -> Verification:
    """What `build` hands every target: the run's proofs (`verification_of`) and its review."""
    return replace(verification_of(run), review=review_of(run.machine, rules, findings, file, run))
