"""Hypothesis strategies for scenarios, drawn from what the Python runtime can do next.

A scenario is drawn step by step while a `PythonRun` follows it, so most steps
are meaningful where they happen (an event the configuration handles, the
timeout of a state that has one, the result of work that is owed, an approval
by someone who may give it), and some are not (an event nobody handles here,
an approval by an outsider), which engines must refuse alike.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from statewright import ir
from statewright.testing.coverage import credentialed
from statewright.testing.python_engine import Choices, PythonRun
from statewright.testing.scenario import Scenario, Send, Step, Timeout, WorkDone
from statewright.testing.values import (
    MESSAGES,
    Literals,
    event_payload,
    literals,
    payload_values,
    start_contexts,
    work_result,
)

DECISIONS = ("approve", "reject", "delegate")
PEOPLE = ("alice", "bob", "carol")
OUTSIDER = "mallory"
_GO_ON = st.sampled_from((False, True, True, True, True, True, True, True))
"""Another step? Mostly yes while drawing; shrinks towards stopping (the first option)."""


def _sender(event: str, approvers: tuple[str, ...]) -> st.SearchStrategy[Send]:
    """An event's sender: anybody, or for a decision (an acknowledgement) a waiting approver (assignee)."""
    if event not in (*DECISIONS, "acknowledge") or not approvers:
        return st.just(Send(event))

    @st.composite
    def decision(draw: st.DrawFn) -> Send:
        approver = draw(st.sampled_from((*approvers, OUTSIDER)))
        permissions: tuple[str, ...] = ()
        if approver.startswith(("role:", "group:")):
            actor, permissions = draw(st.sampled_from(PEOPLE)), (approver,)
        else:
            actor = approver
        delegate = draw(st.sampled_from(PEOPLE)) if event == "delegate" else None
        return Send(event, actor=actor, permissions=permissions, delegate_to=delegate)

    return decision()


def _with_data(
    machine: ir.Machine, sends: st.SearchStrategy[Send], event: str, found: Literals
) -> st.SearchStrategy[Send]:
    """The sends, each with a payload drawn from the event's declared fields (none: as they are)."""
    fields = event_payload(machine, event)
    if not fields:
        return sends
    return st.tuples(sends, payload_values(fields, found)).map(lambda pair: replace(pair[0], data=pair[1]))


def work_outcomes(
    machine: ir.Machine, state: str, errors: tuple[str, ...], found: Literals
) -> st.SearchStrategy[WorkDone]:
    """The end of `state`'s work: success with a result drawn from its `returns`, or an error and a message.

    Success is drawn twice as often as each error.
    """
    success = payload_values(work_result(machine, state), found).map(
        lambda result: WorkDone(state, result=result)
    )
    messages = st.sampled_from((*MESSAGES, *found.strings))
    failure = (
        st.builds(WorkDone, st.just(state), st.sampled_from(errors), message=messages) if errors else None
    )
    return st.one_of(success, success, failure) if failure is not None else success


def next_step(
    machine: ir.Machine, choices: Choices, found: Literals | None = None
) -> st.SearchStrategy[Step]:
    """One step worth trying from these choices; now and then an event that is not handled here.

    Events and work results are drawn three times as often as timeouts, which
    mostly end a run early. Payloads and work results are drawn from their
    declared types and bounds, near the numbers the guards compare with.
    """
    known = found if found is not None else literals(machine)
    options: list[st.SearchStrategy[Step]] = []
    for event in choices.handled:
        options += [_with_data(machine, _sender(event, choices.approvers), event, known)] * 3
        if event in choices.gates:
            options += [
                _with_data(machine, st.just(credentialed(event, choices.gates[event])), event, known)
            ] * 3
    for owed in choices.owed:
        options += [work_outcomes(machine, owed.state, owed.errors, known)] * 3
    options.extend(st.just(Timeout(state)) for state in choices.timeouts)
    unhandled = [e.name for e in machine.events if e.name not in choices.handled]
    stray: list[st.SearchStrategy[Step]] = [
        _with_data(machine, st.just(Send(name)), name, known) for name in unhandled[:1]
    ]
    if not options:
        first = machine.events[0].name
        return st.one_of(stray) if stray else _with_data(machine, st.just(Send(first)), first, known)
    likely = st.one_of(options)
    if not stray:
        return likely
    return st.one_of(likely, likely, likely, likely, st.one_of(stray))


@st.composite
def scenarios(draw: st.DrawFn, machine: ir.Machine, max_steps: int = 12) -> Scenario:
    """A scenario: a starting context, then up to `max_steps` steps drawn as the instance moves."""
    context = draw(start_contexts(machine), label="context")
    found = literals(machine)
    run = PythonRun(machine, dict(context))
    steps: list[Step] = []
    if run.start_error is None:
        for _ in range(max_steps):
            choices = run.choices()
            if choices.finished or not draw(_GO_ON):
                break
            step = draw(next_step(machine, choices, found))
            run.apply(step)
            steps.append(step)
    return Scenario(context, tuple(steps))
