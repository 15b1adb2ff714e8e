"""What each leaf reacts to, as BPMN gateways need it: `semantics.dispatch` with transitions for indices.

The runtime's walk (LANGUAGE.md §10) is `semantics.dispatch`; this module only
adapts its answers for the BPMN lowering: candidates as `ir.Transition`s in the
order an exclusive gateway (first true condition wins) must test them, and the
walk cut at the nearest parallel ancestor, because what that state and its
ancestors handle becomes a boundary event of its sub-process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from statewright import ir
from statewright.semantics.dispatch import Dispatch, EventlessKind
from statewright.semantics.hierarchy import Hierarchy

Terminal = Literal["taken", "reject", "ignore", "no_guard", "unhandled"]


@dataclass(frozen=True, slots=True)
class Handling:
    """Candidate transitions in order (the last one unconditional when `terminal` is "taken")."""

    candidates: tuple[ir.Transition, ...]
    terminal: Terminal
    reason: str | None = None


class Resolver:
    """Flattened views of one machine's transitions, read off its `Dispatch`."""

    def __init__(self, machine: ir.Machine) -> None:
        self.machine = machine
        self.hierarchy = Hierarchy(machine)
        self.dispatch = Dispatch(machine)
        self._event_order: dict[str, int] = {}
        """Event name -> its place in the machine's event list (the order `events_of` answers in)."""
        for index, event in enumerate(machine.events):
            self._event_order.setdefault(event.name, index)
        self._mentioned_by: dict[str, frozenset[str]] = {}

    def inner_chain(self, state: str) -> list[str]:
        """`state` and its ancestors, stopping below the nearest parallel ancestor."""
        return list(self.dispatch.inner_chain(state))

    def parallel_of(self, state: str) -> str | None:
        """The nearest parallel proper ancestor of `state` (its sub-process), if any."""
        for level in self.hierarchy.ancestors(state):
            if self.hierarchy.states[level].kind == "parallel":
                return level
        return None

    def transitions(self, state: str, kind: str, event: str | None = None) -> list[ir.Transition]:
        """Transitions of one kind written on `state`, in document order."""
        if kind == "event" and event is not None:
            return [self.machine.transitions[i] for i in self.dispatch.on_event.get((state, event), ())]
        return self.dispatch.transitions_of(state, kind)

    def handling(self, levels: list[str], event: str) -> Handling:
        """How the levels (innermost first) decide `event`; another region's concern is none of theirs."""
        walked = self.dispatch.walk(levels, event)
        candidates = tuple(self.machine.transitions[i] for i in walked.candidates)
        match walked.terminal:
            case "taken":
                return Handling(candidates, "taken")
            case "reject" | "ignore":
                reason = walked.refusal.reason if walked.refusal is not None else None
                return Handling(candidates, walked.terminal, reason)
        return Handling(candidates, "no_guard" if candidates else "unhandled")

    def events_of(self, levels: list[str]) -> list[str]:
        """Events with a transition or an ignore on any of the levels, in machine event order.

        Each level's events are found once (`_mentioned`) and sorted by their place in the
        machine's list: a call costs what the levels mention, not every refusal and every event.
        """
        mentioned: set[str] = set()
        for level in levels:
            mentioned |= self._mentioned(level)
        order = self._event_order
        return sorted((event for event in mentioned if event in order), key=order.__getitem__)

    def _mentioned(self, level: str) -> frozenset[str]:
        """The events `level` itself has a transition or an ignore for (computed once per level)."""
        found = self._mentioned_by.get(level)
        if found is None:
            dispatch = self.dispatch
            found = frozenset(
                event
                for event in dispatch.own.get(level, ())
                if (level, event) in dispatch.on_event
                or any(refusal.kind == "ignore" for refusal in dispatch.refusals.get((level, event), ()))
            )
            self._mentioned_by[level] = found
        return found

    def eventless(self, levels: list[str], kind: EventlessKind) -> list[ir.Transition]:
        """`done`/`error`/`timeout` candidates over the levels, innermost first (first that holds wins)."""
        return [self.machine.transitions[i] for i in self.dispatch.eventless(levels, kind)]

    def errors(self, levels: list[str]) -> list[ir.Transition]:
        """Every catch over `levels` in the order one choice gateway must try them (first match wins).

        `Dispatch.caught` gives the order for one error name: at each level its
        catches naming the error, then its catch-alls. One gateway serves every
        name, so each level lists its named catches (each name's group as
        `caught` orders it; a named catch's condition, `paths.catches`, keeps
        other names out), then its catch-alls; a catch-all group that always
        decides ends the list, as the levels beyond it are never tried.
        """
        dispatch, transitions = self.dispatch, self.machine.transitions
        names = self.error_names(levels)
        found: list[int] = []
        for level in levels:
            for name in names:
                named = [i for i in dispatch.caught([level], name) if transitions[i].event == name]
                found.extend(i for i in named if i not in found)
            catch_all = dispatch.caught([level], None)
            found.extend(catch_all)
            if catch_all and (transitions[catch_all[-1]].guard is None or transitions[catch_all[-1]].is_else):
                break
        return [transitions[i] for i in found]

    def error_names(self, levels: list[str]) -> list[str]:
        """The error names `on error NAME` catches over `levels` (innermost first, each once)."""
        return list(
            dict.fromkeys(
                name
                for level in levels
                for transition in self.dispatch.transitions_of(level, "error")
                if (name := transition.event) is not None
            )
        )

    def caught(self, levels: list[str], error: str | None) -> list[ir.Transition]:
        """The catches that may handle a failure named `error` (None: any other), in the runtime's order."""
        return [self.machine.transitions[i] for i in self.dispatch.caught(levels, error)]
