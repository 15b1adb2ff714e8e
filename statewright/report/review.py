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
"""How many moves one replay may try before it settles for the longest walk it found."""

Config = frozenset[str]
Move = tuple[Config, int]
"""A configuration and the IR transition that reached it (-1 for the start)."""


class Replayer:
    """Replays counterexamples on one leaf graph; the moves it computes are shared by every replay.

    The counterexamples of one machine are shortest paths from the same start,
    so they share prefixes: each (configuration, label) is worked out once.
    """

    def __init__(self, graph: MachineGraph) -> None:
        """Prepare replays on `graph`; nothing is computed until asked for."""
        self.graph = graph
        self.order = {leaf: index for index, leaf in enumerate(graph.leaves)}
        self.start: Move = (frozenset(graph.initial_leaves), -1)
        self._moves: dict[tuple[Config, str], tuple[Move, ...]] = {}

    def moves(self, config: Config, label: str) -> tuple[Move, ...]:
        """Where one edge labelled `label` leads from `config`: distinct configurations, in IR order.

        Each comes with the first transition (in IR order) that reaches it.
        """
        key = (config, label)
        if key not in self._moves:
            graph = self.graph
            found: dict[Config, int] = {}
            for leaf in sorted(config, key=self.order.__getitem__):
                for edge in graph.edges[leaf]:
                    if edge.label != label:
                        continue
                    transition = graph.machine.transitions[edge.transition]
                    assert transition.target is not None  # the graph has edges only for moves
                    exited = set(graph.exit_set(config, transition.source, transition.target))
                    kept = {active for active in config if active not in exited}
                    entered = graph.entered(transition.source, transition.target)
                    found.setdefault(frozenset(kept.union(entered)), edge.transition)
            self._moves[key] = tuple(found.items())
        return self._moves[key]

    def _walk(self, labels: Sequence[str], wanted: frozenset[str], longest: list[Move]) -> list[Move] | None:
        """The first walk (depth first, IR order) taking every label and ending in `wanted` (if any).

        Iterative, so a counterexample as long as the machine is large needs no
        deep recursion; `longest` is kept as the longest prefix seen.
        """
        trail: list[Move] = [self.start]
        if not labels:
            return trail if not wanted or self.start[0] & wanted else None
        pending = [iter(self.moves(self.start[0], labels[0]))]
        failed: set[tuple[int, Config]] = set()
        budget = _SEARCH_LIMIT
        while pending and budget > 0:
            following = next(pending[-1], None)
            if following is None:
                failed.add((len(trail) - 1, trail.pop()[0]))
                pending.pop()
                continue
            index = len(trail)
            if (index, following[0]) in failed:
                continue
            budget -= 1
            trail.append(following)
            if len(trail) > len(longest):
                longest[:] = trail
            if index == len(labels):
                if not wanted or following[0] & wanted:
                    return trail
                failed.add((index, trail.pop()[0]))
                continue
            pending.append(iter(self.moves(following[0], labels[index])))
        return None

    def replay(self, labels: Sequence[str], prefer: Iterable[str] = ()) -> tuple[PathStep, ...]:
        """Walk a counterexample's labels from the initial configuration; one step per label, the start first.

        Each step is the configuration (the active leaves) after the label, and
        the IR transition taken. Where a label could be several moves, the first
        walk in IR order that takes every label is kept, one that ends in a
        `prefer` state (or below one) first; a label no walk can take ends it,
        and it and the rest are steps with no state.
        """
        descendants = self.graph.descendants
        wanted = frozenset(leaf for state in prefer for leaf in descendants.get(state, ()))
        longest: list[Move] = [self.start]
        walk = self._walk(labels, wanted, longest) if wanted else None
        if walk is None:
            walk = self._walk(labels, frozenset(), longest) or longest
        order = self.order.__getitem__
        steps = [PathStep("", tuple(sorted(walk[0][0], key=order)))]
        steps.extend(
            PathStep(labels[i], tuple(sorted(walk[i + 1][0], key=order)), walk[i + 1][1])
            for i in range(len(walk) - 1)
        )
        steps.extend(PathStep(label, ()) for label in labels[len(walk) - 1 :])
        return tuple(steps)


def replay(graph: MachineGraph, labels: Sequence[str], prefer: Iterable[str] = ()) -> tuple[PathStep, ...]:
    """Replay one counterexample on `graph` (see `Replayer.replay`)."""
    return Replayer(graph).replay(labels, prefer)


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
    replayer = Replayer(graph_of(run))
    reviewed = []
    for finding in findings:
        states = named_states(machine, finding)
        path = replayer.replay(finding.counterexample, states) if finding.counterexample is not None else ()
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
