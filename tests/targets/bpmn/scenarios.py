"""Hypothesis scenarios for a machine, drawn step by step from the Python runtime's own state.

Each next step is drawn from what the reference instance (`PythonRun`) can do
now: mostly events some active state handles (with approvers, permissions and
evidence drawn so that gates and quorums go both ways), sometimes events it
refuses; pending timeouts; results of owed work (success, a `retry_on` error,
another error). Events with a payload carry data drawn from their fields
(now and then one that does not fit: a field missing or undeclared), work that
`returns` fields succeeds with a drawn result (now and then one that does not
fit, a `ResultInvalid` failure), and failures carry a message.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import assume
from hypothesis import strategies as st

from statewright import ir
from statewright.testing.python_engine import PythonRun
from statewright.testing.scenario import Scenario, Send, Step, Timeout, WorkDone

STRINGS = ("", "CC-0000", "CC-1234", "a|b", "x")


def field_values(field: ir.ContextField) -> st.SearchStrategy[ir.Value]:
    """Values of a field's declared type, biased toward its bounds."""
    kind = field.type
    if kind.name == "bool":
        return st.booleans()
    if kind.name == "enum":
        return st.sampled_from(kind.members)
    if kind.name == "string":
        return st.sampled_from(STRINGS)
    low = int(kind.min) if kind.min is not None else -5
    high = int(kind.max) if kind.max is not None else max(low + 50, 50)
    if kind.name == "int":
        return st.integers(low, min(high, low + 1000))
    cents = st.integers(low * 100, min(high * 100, low * 100 + 3_000_000))
    special = st.sampled_from(
        [Decimal(x) for x in ("0.00", "25.00", "300.00", "1000.00", "10000.00", "20000.00")]
    )
    return st.one_of(cents.map(lambda c: Decimal(c) / 100), special).filter(
        lambda v: (kind.min is None or v >= kind.min) and (kind.max is None or v <= kind.max)
    )


@st.composite
def contexts(draw: st.DrawFn, machine: ir.Machine) -> dict[str, ir.Value]:
    """A starting context: every field without a default, and some with one."""
    found: dict[str, ir.Value] = {}
    for field in machine.context:
        if field.default is None or draw(st.booleans()):
            found[field.name] = draw(field_values(field))
    return found


def _permissions(machine: ir.Machine) -> list[str]:
    names = {p for t in machine.transitions for p in t.permissions}
    names |= {a for approval in machine.approvals for level in approval.levels for a in level.approvers}
    names |= {c.assignee for c in machine.checkpoints if c.assignee is not None}
    return sorted(names)


def _evidence(machine: ir.Machine) -> list[str]:
    return sorted({e for t in machine.transitions for e in t.evidence})


@st.composite
def data(draw: st.DrawFn, fields: tuple[ir.ContextField, ...]) -> tuple[tuple[str, ir.Value], ...]:
    """Values for declared fields (a defaulted one sometimes left out); rarely a misfit to refuse."""
    found: dict[str, ir.Value] = {}
    for field in fields:
        if field.default is None or draw(st.booleans()):
            found[field.name] = draw(field_values(field))
    if fields and draw(st.integers(0, 9)) == 0:
        if draw(st.booleans()):
            found["undeclared"] = 1
        else:
            found.pop(draw(st.sampled_from([f.name for f in fields])), None)
    return tuple(found.items())


def _payload(machine: ir.Machine, event: str) -> tuple[ir.ContextField, ...]:
    return next((e.payload for e in machine.events if e.name == event), ())


def _returns(machine: ir.Machine, state: str) -> tuple[ir.ContextField, ...]:
    invoke = next((s.invoke for s in machine.states if s.name == state), None)
    return () if invoke is None else invoke.result


@st.composite
def _work(draw: st.DrawFn, machine: ir.Machine, state: str, errors: list[str | None]) -> WorkDone:
    error = draw(st.sampled_from(errors))
    if error is None:
        return WorkDone(state, result=draw(data(_returns(machine, state))))
    return WorkDone(state, error, message=draw(st.sampled_from(STRINGS)))


@st.composite
def _send(draw: st.DrawFn, machine: ir.Machine, events: list[str], approvers: list[str]) -> Send:
    event = draw(st.sampled_from(events))
    actors = [
        a.split(":", 1)[1] if a.startswith("user:") else f"{a.split(':', 1)[-1]}.person" for a in approvers
    ]
    actor = draw(st.sampled_from([None, "someone", *actors, *approvers]))
    roles = draw(st.lists(st.sampled_from(_permissions(machine) or ["none"]), max_size=3, unique=True))
    evidence = draw(st.lists(st.sampled_from(_evidence(machine) or ["none"]), max_size=3, unique=True))
    delegate = draw(st.sampled_from([None, "deputy", *actors])) if event == "delegate" else None
    payload = draw(data(_payload(machine, event)))
    return Send(
        event,
        actor,
        tuple(roles),
        tuple((name, "yes") for name in evidence),
        delegate_to=delegate,
        data=payload,
    )


@st.composite
def scenarios(draw: st.DrawFn, machine: ir.Machine, max_steps: int = 14) -> Scenario:
    """A scenario drawn against the reference instance as it goes."""
    context = draw(contexts(machine))
    run = PythonRun(machine, context)
    assume(run.start_error is None)
    steps: list[Step] = []
    all_events = [e.name for e in machine.events]
    for _ in range(draw(st.integers(0, max_steps))):
        choices = run.choices()
        if choices.finished:
            break
        options: list[st.SearchStrategy[Step]] = []
        handled = list(choices.handled)
        if handled:
            options.append(_send(machine, handled, list(choices.approvers)))
            options.append(_send(machine, handled, list(choices.approvers)))
        options.append(_send(machine, all_events, list(choices.approvers)))
        if choices.timeouts:
            options.append(st.sampled_from(choices.timeouts).map(Timeout))
        for owed in choices.owed:
            errors: list[str | None] = [None, None, *owed.errors]
            options.append(_work(machine, owed.state, errors))
            options.append(_work(machine, owed.state, [None]))
        step = draw(st.one_of(options))
        run.apply(step)
        steps.append(step)
    return Scenario(tuple(context.items()), tuple(steps))
