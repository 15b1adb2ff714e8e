"""Path-covering scenarios: a small set of event sequences that together take every transition.

Like @xstate/graph's shortest paths, but over the runtime's real behaviour: a
breadth-first search drives the Python runtime (`PythonRun`) from a few
starting contexts (the defaults, then one field at a time moved to a bound or
to a value next to a guard's literal), expanding every sensible step (handled
events with eligible approvers, timeouts, work results: success, each
`retry_on` error, each error caught by name, another error). Events with a
payload are sent with data that takes each of their transitions, and work
is finished with results that do: the default values, and for each guard
reading an input an example the SMT solver finds (`InputHints`), so a
`done when result.rate <= 0.01` branch and its `else` are both covered.
The first scenario that takes a transition
is the shortest one from that context. So is the first scenario per failure
outcome of invoked work (`Failure`: the state, the error, and whether the
instance goes on or fails), since a failure nothing handles takes no
transition yet is where engines differ most. Scenarios that are a prefix of
another are dropped. Transitions the search cannot reach within its budget are listed
(often deliberately unreachable branches, such as an `else` kept to bound a
counter).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from statewright import ir
from statewright.compiler.smt.analysis import GuardAnalysis, negation
from statewright.runtime.definition import Definition
from statewright.semantics.inputs import check_fields, transition_inputs
from statewright.testing.python_engine import INSTANCE_ID, Choices, PythonRun
from statewright.testing.scenario import Scenario, Send, Step, Timeout, WorkDone
from statewright.testing.values import Literals, event_payload, literals, starts, work_result

PEOPLE = ("alice", "bob")
COMBINATIONS = 24
"""Random combinations of interesting field values tried after the one-field-at-a-time contexts."""
SHALLOW = 12
"""Nodes of the first, shallow search from each context after the defaults."""
PER_INPUT = 4
"""Distinct payloads (results) tried per event (per state's work) in the search."""

Data = tuple[tuple[str, ir.Value], ...]


@dataclass(frozen=True, slots=True)
class InputHints:
    """The data worth sending: per event its payloads, per invoking state its work results.

    Each list starts with the default data (fields with a default left out,
    the others at their simplest fitting value), then examples that make a
    guard reading the input hold, and examples that make it fail (for the
    `else` beside it), as found by the SMT solver, each checked to fit.
    """

    payloads: dict[str, list[Data]]
    results: dict[str, list[Data]]

    def payloads_of(self, event: str) -> list[Data]:
        """The payloads to send `event` with (one empty payload for an event that declares none)."""
        return self.payloads.get(event) or [()]

    def results_of(self, state: str) -> list[Data]:
        """The results to finish `state`'s work with (one empty result when it declares none)."""
        return self.results.get(state) or [()]


def input_hints(machine: ir.Machine, analysis: GuardAnalysis | None = None) -> InputHints:
    """Data that takes each input-reading transition, and data that does not, for each event and work."""
    solver = analysis if analysis is not None else GuardAnalysis(machine)
    payloads = {e.name: [_default_data(e.payload)] for e in machine.events if e.payload}
    results = {
        s.name: [_default_data(s.invoke.result)]
        for s in machine.states
        if s.invoke is not None and s.invoke.result
    }
    for transition in machine.transitions:
        if transition.guard is None:
            continue
        inputs = transition_inputs(machine, transition)
        if transition.kind == "event" and transition.event in payloads:
            fields, found = event_payload(machine, transition.event), payloads[transition.event]
        elif transition.kind == "done" and transition.source in results:
            fields, found = work_result(machine, transition.source), results[transition.source]
        else:
            continue
        for condition in (transition.guard, negation(transition.guard)):
            if len(found) >= PER_INPUT:
                break
            outcome = solver.satisfiable(condition, inputs=inputs)
            if not outcome.proved:
                continue
            data = _fitting(fields, outcome.witness)
            if data is not None and data not in found:
                found.append(data)
    return InputHints(payloads, results)


def _default_data(fields: tuple[ir.ContextField, ...]) -> Data:
    """The fields without a default at their simplest fitting value (the others take their defaults)."""
    return tuple((f.name, _base(f)) for f in fields if f.default is None)


def _fitting(fields: tuple[ir.ContextField, ...], witness: Data) -> Data | None:
    """The witness's input values as data for `fields` (the rest at their defaults), if they fit."""
    named = {}
    for name, value in witness:
        scoped = ir.input_of(name)
        if scoped is not None:
            named[scoped[1]] = value
    data = {**dict(_default_data(fields)), **named}
    _values, problems = check_fields(fields, data)
    if problems:
        return None
    return tuple((f.name, data[f.name]) for f in fields if f.name in data)


@dataclass(frozen=True, slots=True)
class Failure:
    """A failure outcome: `state`'s work failed with `error`, then the instance is `status`."""

    state: str
    error: str
    status: str


@dataclass(frozen=True, slots=True)
class Coverage:
    """The covering scenarios, and the transitions (IR indices) none of them takes."""

    scenarios: tuple[Scenario, ...]
    uncovered: tuple[int, ...]
    total: int
    failures: tuple[Failure, ...] = ()
    """The failure outcomes some scenario reaches (each has one among `scenarios`)."""

    @property
    def covered(self) -> int:
        """How many transitions the scenarios take."""
        return self.total - len(self.uncovered)


def covering_scenarios(machine: ir.Machine, max_depth: int = 16, max_nodes: int = 3000) -> Coverage:
    """Search for scenarios taking every transition; at most `max_nodes` distinct states are expanded."""
    definition = Definition(machine)
    hints = input_hints(machine)
    total = len(machine.transitions)
    first: dict[int, Scenario] = {}
    failures: dict[Failure, Scenario] = {}
    contexts = candidate_contexts(machine)
    budget = max_nodes - _search(
        machine, definition, hints, contexts[0], first, max_depth, max_nodes // 4, failures
    )
    promising: list[tuple[tuple[str, ir.Value], ...]] = []
    for context in contexts[1:]:  # a shallow look from every context: guards on the start values
        if budget <= 0:
            break
        known = len(first)
        budget -= _search(
            machine, definition, hints, context, first, max_depth, min(SHALLOW, budget), failures
        )
        if len(first) > known:
            promising.append(context)
    for context in promising:  # then deeper from the contexts that found something new
        if len(first) == total or budget <= 0:
            break
        share = max(budget // max(len(promising), 1), SHALLOW * 4)
        budget -= _search(machine, definition, hints, context, first, max_depth, min(share, budget), failures)
    chosen = [first[i] for i in sorted(first)] + list(failures.values())
    kept = _without_prefixes(list(dict.fromkeys(chosen)))
    uncovered = tuple(i for i in range(total) if i not in first)
    return Coverage(tuple(kept), uncovered, total, tuple(failures))


def _search(
    machine: ir.Machine,
    definition: Definition,
    hints: InputHints,
    context: tuple[tuple[str, ir.Value], ...],
    first: dict[int, Scenario],
    max_depth: int,
    budget: int,
    failures: dict[Failure, Scenario],
) -> int:
    """Breadth-first from one context; records the first scenario per transition; returns nodes used."""
    start = PythonRun(machine, dict(context), definition)
    if start.start_error is not None:
        return 1
    _note(start, Scenario(context, ()), first)
    frontier: deque[tuple[tuple[Step, ...], PythonRun]] = deque([((), start)])
    seen = {_key(start)}
    used = 0
    while frontier and used < budget:
        steps, run = frontier.popleft()
        used += 1
        if len(steps) >= max_depth:
            continue
        choices = run.choices()
        if choices.finished:
            continue
        for step in candidate_steps(machine, choices, hints):
            after = run.fork()
            observation = after.apply(step)
            if not observation.accepted:
                continue
            path = (*steps, step)
            _note(after, Scenario(context, path), first)
            _note_failure(run, after, step, Scenario(context, path), failures)
            key = _key(after)
            if key not in seen:
                seen.add(key)
                frontier.append((path, after))
    return used


def _note(run: PythonRun, scenario: Scenario, first: dict[int, Scenario]) -> None:
    for index in run.taken:
        first.setdefault(index, scenario)


def _note_failure(
    before: PythonRun, after: PythonRun, step: Step, scenario: Scenario, failures: dict[Failure, Scenario]
) -> None:
    """Keep the first scenario per failure outcome that takes no transition: a retry, or the instance fails.

    A failure nothing handles takes no transition, so covering transitions alone
    never keeps a scenario in which the instance fails; engines that end only a
    branch there (a region of a parallel state) would then pass unseen. A missed
    heartbeat (a `Timeout` that fires the heartbeat) is such a failure too, named
    `HeartbeatTimeout` as the runtime names it: without it, a heartbeat that fails
    the instance or is retried was never kept (issue 16).
    """
    if isinstance(step, WorkDone) and step.error is not None:
        outcome = Failure(step.state, step.error, after.instance().status)
    elif isinstance(step, Timeout) and (timer := before.due_timer(step.state)) and timer.kind == "heartbeat":
        outcome = Failure(step.state, "HeartbeatTimeout", after.instance().status)
    else:
        return
    if len(after.taken) == len(before.taken) and before.instance().status == "running":
        failures.setdefault(outcome, scenario)  # a transition taken is covered as a transition


def _key(run: PythonRun) -> object:
    """What makes two runs' futures alike: configuration, context, votes, attempts, timers, work."""
    instance = run.instance()
    timers = tuple(sorted((t.kind, t.state) for t in run.store.timers(INSTANCE_ID)))
    work = tuple(sorted((w.kind, w.state or "", w.action, w.attempt) for w in run.store.work(INSTANCE_ID)))
    votes = tuple(sorted((state, tuple(v)) for state, v in instance.votes.items()))
    return (
        instance.active,
        tuple(sorted((k, repr(v)) for k, v in instance.context.items())),
        instance.status,
        votes,
        tuple(sorted(instance.attempts.items())),
        timers,
        work,
    )


def candidate_steps(machine: ir.Machine, choices: Choices, hints: InputHints | None = None) -> list[Step]:
    """Every step worth trying from here, in a fixed order (events, work results, timeouts).

    An event is sent with each of its hinted payloads, work succeeds with each
    hinted result (`input_hints`; default: computed here).
    """
    known = hints if hints is not None else input_hints(machine)
    steps: list[Step] = []
    for event in choices.handled:
        for data in known.payloads_of(event):
            steps.extend(replace(send, data=data) for send in _senders(event, choices.approvers))
            if event in choices.gates:
                steps.append(replace(credentialed(event, choices.gates[event]), data=data))
    for owed in choices.owed:
        steps.extend(WorkDone(owed.state, result=result) for result in known.results_of(owed.state))
        steps.extend(WorkDone(owed.state, error) for error in owed.errors)
    steps.extend(Timeout(state) for state in choices.timeouts)
    return steps


def credentialed(event: str, gate: tuple[tuple[str, ...], tuple[str, ...]]) -> Send:
    """A sender holding every permission and showing every evidence item the event's transitions ask for."""
    permissions, evidence = gate
    return Send(event, actor="alice", permissions=permissions, payload=tuple((e, f"{e}-1") for e in evidence))


def _senders(event: str, approvers: tuple[str, ...]) -> list[Send]:
    if event not in ("approve", "reject", "delegate", "acknowledge") or not approvers:
        return [Send(event)]
    found: list[Send] = []
    for index, approver in enumerate(approvers):
        for person in PEOPLE[: 1 if event != "approve" else 2]:
            held: tuple[str, ...] = ()
            if approver.startswith(("role:", "group:")):
                actor, held = f"{person}{index}", (approver,)
            else:
                actor = approver
            delegate = "dana" if event == "delegate" else None
            found.append(Send(event, actor=actor, permissions=held, delegate_to=delegate))
            if not approver.startswith(("role:", "group:")):
                break
    return found


def candidate_contexts(machine: ir.Machine) -> list[tuple[tuple[str, ir.Value], ...]]:
    """The defaults first, then each field moved alone to its bounds and next to its guards' literals."""
    found = literals(machine)
    base = {f.name: _base(f) for f in machine.context}
    contexts: list[dict[str, ir.Value]] = [base]
    contexts.extend({**base, **dict(witness)} for witness in _witnesses(machine))
    for declared in machine.context:
        for value in _interesting(declared, found):
            if value != base[declared.name]:
                contexts.append({**base, declared.name: value})
    options = {f.name: [base[f.name], *_interesting(f, found)] for f in machine.context}
    draw = random.Random(0)  # fixed: the same scenarios every run
    for _ in range(COMBINATIONS):
        contexts.append({name: draw.choice(values) for name, values in options.items()})
    valid = [c for c in contexts if starts(machine, c)]
    return list(dict.fromkeys(tuple(c.items()) for c in valid))


def _witnesses(machine: ir.Machine) -> list[tuple[tuple[str, ir.Value], ...]]:
    """A context in which each guard (and approval condition) holds, found by the SMT solver."""
    analysis = GuardAnalysis(machine)
    conditions = [t.guard for t in machine.transitions if t.guard is not None]
    conditions += [
        level.condition for approval in machine.approvals for level in approval.levels if level.condition
    ]
    found = []
    for condition in dict.fromkeys(conditions):
        outcome = analysis.satisfiable(condition)
        context = tuple((name, value) for name, value in outcome.witness if ir.input_of(name) is None)
        if outcome.proved and context:
            found.append(context)  # the inputs a guard reads are sent, not started with
    return found


def _base(declared: ir.ContextField) -> ir.Value:
    if declared.default is not None:
        return declared.default
    kind = declared.type
    if kind.name == "enum":
        return kind.members[0]
    if kind.name == "bool":
        return False
    if kind.name == "string":
        return ""
    if kind.min is not None:
        return kind.min
    return 0 if kind.name == "int" else Decimal(0)


def _interesting(declared: ir.ContextField, found: Literals) -> Iterable[ir.Value]:
    kind = declared.type
    if kind.name == "enum":
        yield from kind.members
        return
    if kind.name == "bool":
        yield from (False, True)
        return
    if kind.name == "string":
        yield from (*found.strings, "other")
        return
    low, high = kind.min, kind.max
    numbers = [n for n in (*found.numbers, low, high) if n is not None]
    for number in sorted(set(numbers)):
        if (low is None or number >= low) and (high is None or number <= high):
            if kind.name == "int":
                if number == int(number):
                    yield int(number)
            else:
                yield Decimal(number)


def _without_prefixes(scenarios: list[Scenario]) -> list[Scenario]:
    """Drop each scenario whose steps are a prefix of another's from the same context."""
    kept: list[Scenario] = []
    for scenario in scenarios:
        longer = any(
            other is not scenario
            and other.context == scenario.context
            and len(other.steps) > len(scenario.steps)
            and other.steps[: len(scenario.steps)] == scenario.steps
            for other in scenarios
        )
        if not longer:
            kept.append(scenario)
    return kept
