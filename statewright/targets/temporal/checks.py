"""Capability lint for the `temporal` target: what one Temporal run cannot hold, and what it runs differently.

- history (SW951, SW952): Temporal terminates a run past 51,200 events or 50 MB
  of history. A cycle through work or timers re-runs on its own, each lap adding
  events, so it has no bound (continue-as-new is the way out); without such a
  cycle the longest path's events are counted;
- pending activities (SW953): at most 2,000 per run; parallel regions add theirs;
- payload size (SW954): one payload is at most 2 MB; the context (sent in the
  start input, every query answer and every activity call) plus the largest
  event payload or work result, where their fields are bounded;
- retry policies (SW955): linear backoff, factors below 1 and jitter, which
  Temporal's RetryPolicy lacks (`settings.py` says the mapping used);
- names (SW956, SW957): an event named like the generic update, and a state
  whose settings key is also a `do` action's.
"""

from __future__ import annotations

from collections.abc import Iterable

from statewright import ir
from statewright.diagnostics import Diagnostic
from statewright.diagnostics.catalog.temporal import (
    HISTORY_TOO_LARGE,
    HISTORY_UNBOUNDED,
    PAYLOAD_TOO_LARGE,
    PENDING_ACTIVITIES,
    RETRY_APPROXIMATED,
    SETTINGS_KEY_SHARED,
    UPDATE_NAME_TAKEN,
)
from statewright.semantics.graphs import strongly_connected
from statewright.semantics.inputs import MAX_DIGITS
from statewright.targets.temporal.settings import WorkSettings

MAX_HISTORY_EVENTS = 51_200
"""Temporal's hard limit on one run's history events (it terminates the run past it)."""
MAX_HISTORY_BYTES = 50 * 1024 * 1024
"""Temporal's hard limit on one run's history size."""
MAX_PENDING_ACTIVITIES = 2_000
"""Temporal's limit on activities pending at once in one run."""
MAX_PAYLOAD_BYTES = 2 * 1024 * 1024
"""Temporal's limit on one payload (an argument or a result)."""

SEND_UPDATE = "statewright_send"
"""The generic update's name (`statewright.temporal.protocol.SEND_UPDATE`; a test checks they agree)."""

TASK_EVENTS = 3
"""Events of one workflow task (scheduled, started, completed): every step of the instance takes one."""
ACTIVITY_EVENTS = 3
"""Events of one activity (scheduled, started, closed); Temporal's retries add none."""
TIMER_EVENTS = 2
"""Events of one timer (started, then fired or cancelled)."""
UPDATE_EVENTS = 2
"""Events of one accepted update (accepted, completed)."""


def check(machine: ir.Machine, work: tuple[WorkSettings, ...], file: str) -> list[Diagnostic]:
    """Every capability finding for the machine and its work settings, in a fixed order."""
    found: list[Diagnostic] = []
    for item in work:
        for note in item.approximations:
            found.append(
                Diagnostic.of(
                    RETRY_APPROXIMATED, f"`{item.key}` ({item.action}): {note.what}", file, note.span
                )
            )
    found += _names(machine, work, file)
    found += _history(machine, work, file)
    pending = pending_activities(machine)
    if pending > MAX_PENDING_ACTIVITIES:
        found.append(
            Diagnostic.of(
                PENDING_ACTIVITIES,
                f"`{machine.name}` can have {pending} activities pending at once "
                f"(Temporal's limit is {MAX_PENDING_ACTIVITIES})",
                file,
                machine.span,
            )
        )
    size, unbounded = payload_bound(machine)
    if size > MAX_PAYLOAD_BYTES:
        extra = f", plus {unbounded} string or unbounded fields" if unbounded else ""
        found.append(
            Diagnostic.of(
                PAYLOAD_TOO_LARGE,
                f"the context with its largest payload or result can take {size:,} bytes{extra} "
                f"(Temporal's limit is {MAX_PAYLOAD_BYTES:,})",
                file,
                machine.span,
            )
        )
    return found


def _names(machine: ir.Machine, work: tuple[WorkSettings, ...], file: str) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for event in machine.events:
        if event.name == SEND_UPDATE:
            found.append(
                Diagnostic.of(
                    UPDATE_NAME_TAKEN,
                    f"event `{event.name}` has no typed update: the generic update has its name",
                    file,
                    event.span,
                )
            )
    states = {item.key for item in work if item.kind != "do"}
    for item in work:
        if item.kind == "do" and item.key in states:
            found.append(
                Diagnostic.of(
                    SETTINGS_KEY_SHARED,
                    f"`{item.key}` names both a state that invokes work and a `do` action",
                    file,
                    item.span,
                )
            )
    return found


def _history(machine: ir.Machine, work: tuple[WorkSettings, ...], file: str) -> list[Diagnostic]:
    """SW951 for each loop that runs on its own through work or a timer; else SW952 past the event limit.

    A loop only outside events drive (a claim sent back to its author and
    resubmitted) costs a few events per event sent: its senders pace it. A loop
    of eventless moves (`done`, `error`, `timeout`, `always`, completion) runs
    by itself, each lap adding the work's or the timer's events.
    """
    graph = _graph(machine, eventless=True)
    order = [state.name for state in machine.states]
    states = {state.name: state for state in machine.states}
    busy = {item.key for item in work if item.kind != "do"}
    found: list[Diagnostic] = []
    for component in strongly_connected(order, lambda name: graph[name]):
        members = set(component)
        if len(component) == 1 and component[0] not in graph[component[0]]:
            continue
        works = [name for name in order if name in members and (name in busy or _calls(states[name]))]
        timed = [
            t.source
            for t in machine.transitions
            if t.kind == "timeout" and t.source in members and t.target in members
        ]
        if not works and not timed:
            continue
        named = sorted(members, key=order.index)
        shown = ", ".join(f"`{name}`" for name in named[:4]) + (
            f" and {len(named) - 4} more" if len(named) > 4 else ""
        )
        why = "work" if works else "a timer"
        found.append(
            Diagnostic.of(
                HISTORY_UNBOUNDED,
                f"{shown} can repeat on its own through {why}, without bound: each lap adds history "
                f"events, and Temporal ends a run past {MAX_HISTORY_EVENTS:,} events or 50 MB; "
                "bound the loop, or continue-as-new",
                file,
                states[named[0]].span,
            )
        )
    if found:
        return found
    bound = history_bound(machine)
    if bound is not None and bound > MAX_HISTORY_EVENTS:
        found.append(
            Diagnostic.of(
                HISTORY_TOO_LARGE,
                f"one run of `{machine.name}` can write {bound:,} history events "
                f"(Temporal's limit is {MAX_HISTORY_EVENTS:,})",
                file,
                machine.span,
            )
        )
    return found


def _calls(state: ir.State) -> bool:
    return any(isinstance(action, ir.Call) for action in state.entry)


def _graph(machine: ir.Machine, eventless: bool = False) -> dict[str, list[str]]:
    """State -> the states it leads to: its own and its ancestors' transitions, and the children it enters.

    `eventless`: only the moves no outside event triggers.
    """
    states = {state.name: state for state in machine.states}
    own: dict[str, list[str]] = {state.name: [] for state in machine.states}
    for transition in machine.transitions:
        if eventless and transition.kind == "event":
            continue
        if transition.target is not None and transition.target in states:
            own[transition.source].append(transition.target)
    graph: dict[str, list[str]] = {}
    for state in machine.states:
        targets: list[str] = []
        current: ir.State | None = state
        while current is not None:
            targets += own[current.name]
            current = states.get(current.parent) if current.parent is not None else None
        if state.kind == "parallel":
            targets += state.children
        elif state.kind == "compound" and state.initial is not None:
            targets.append(state.initial)
        graph[state.name] = list(dict.fromkeys(targets))
    return graph


def state_events(state: ir.State, machine_timers: dict[str, int], busy: bool) -> int:
    """The most history events one visit of a state writes (its task, work, timers and `do` calls)."""
    calls = sum(isinstance(a, ir.Call) for a in (*state.entry, *state.exit))
    timers = machine_timers.get(state.name, 0) + len(state.soft_timeouts)
    return (
        TASK_EVENTS
        + UPDATE_EVENTS
        + (ACTIVITY_EVENTS if busy else 0)
        + ACTIVITY_EVENTS * calls
        + (TIMER_EVENTS * timers)
    )


def history_bound(machine: ir.Machine) -> int | None:
    """The most history events one run can write along its longest path, or None when a state can repeat."""
    graph = _graph(machine)
    states = {state.name: state for state in machine.states}
    timers: dict[str, int] = {}
    for transition in machine.transitions:
        if transition.kind == "timeout":
            timers[transition.source] = timers.get(transition.source, 0) + 1
    busy = {state.name for state in machine.states if state.invoke is not None}
    best: dict[str, int] = {}
    colour: dict[str, int] = {}
    stack: list[tuple[str, bool]] = [(machine.initial, False)]
    while stack:
        name, done = stack.pop()
        if done:
            after = max((best[t] for t in graph[name]), default=0)
            best[name] = state_events(states[name], timers, name in busy) + after
            colour[name] = 2
            continue
        if colour.get(name) == 2:
            continue
        colour[name] = 1
        stack.append((name, True))
        for target in graph[name]:
            if colour.get(target) == 1:
                return None
            if colour.get(target) is None:
                stack.append((target, False))
    return best.get(machine.initial)


def pending_activities(machine: ir.Machine) -> int:
    """The most activities one configuration can have pending: work and entry `do` calls, regions added up."""
    states = {state.name: state for state in machine.states}

    def weight(name: str) -> int:
        state = states[name]
        own = (1 if state.invoke is not None else 0) + sum(isinstance(a, ir.Call) for a in state.entry)
        inner = [weight(child) for child in state.children if child in states]
        if state.kind == "parallel":
            return own + sum(inner)
        return own + max(inner, default=0)

    roots = [state.name for state in machine.states if state.parent is None]
    return max((weight(name) for name in roots), default=0)


def field_bytes(field: ir.ContextField) -> int | None:
    """The most bytes a field's JSON can take (its name included), or None when it has no bound."""
    kind = field.type
    name = len(field.name.encode("utf-8")) + 4
    if kind.name == "bool":
        return name + 5
    if kind.name == "enum":
        return name + 2 + max((len(m.encode("utf-8")) for m in kind.members), default=0)
    if kind.name == "int":
        if kind.min is None or kind.max is None:
            return None
        return name + max(len(str(kind.min)), len(str(kind.max)))
    if kind.name == "decimal":
        return name + 2 * MAX_DIGITS + 20  # `{"$decimal": "..."}`, digits bounded by the payload check
    return None


def _fields_bound(fields: Iterable[ir.ContextField]) -> tuple[int, int]:
    total = unbounded = 0
    for field in fields:
        size = field_bytes(field)
        if size is None:
            unbounded += 1
        else:
            total += size
    return total, unbounded


def payload_bound(machine: ir.Machine) -> tuple[int, int]:
    """The bounded bytes of the context and the largest payload or result; how many fields have no bound."""
    context, unbounded = _fields_bound(machine.context)
    extras = [event.payload for event in machine.events]
    extras += [state.invoke.result for state in machine.states if state.invoke is not None]
    largest, largest_unbounded = max((_fields_bound(fields) for fields in extras), default=(0, 0))
    return context + largest, unbounded + largest_unbounded
