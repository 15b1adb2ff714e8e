"""What each leaf reacts to, flattened from the state hierarchy the way the runtime resolves it.

The runtime walks from the active leaf outwards (LANGUAGE.md §10): at each level
the first transition whose guard holds is taken, an `else` is the level's
fallback, a `reject`/`ignore` decides, and a level whose guards all fail passes
the event on to the next level out. `handling` returns that walk as one ordered
list of candidates, so a BPMN exclusive gateway (first true condition wins)
reproduces it. The walk stops at the nearest parallel ancestor: what that
state and its ancestors handle becomes a boundary event of its sub-process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from statewright import ir
from statewright.semantics.hierarchy import Hierarchy

Terminal = Literal["taken", "reject", "ignore", "no_guard", "unhandled"]


@dataclass(frozen=True, slots=True)
class Handling:
    """Candidate transitions in order (the last one unconditional when `terminal` is "taken")."""

    candidates: tuple[ir.Transition, ...]
    terminal: Terminal
    reason: str | None = None


class Resolver:
    """Flattened views of one machine's transitions."""

    def __init__(self, machine: ir.Machine) -> None:
        self.machine = machine
        self.hierarchy = Hierarchy(machine)
        self.refusals = {(r.state, r.event): r for r in machine.rejects}
        self._by_source: dict[tuple[str, str], list[ir.Transition]] = {}
        for transition in machine.transitions:  # indexed once: lookups are per state, not per machine
            self._by_source.setdefault((transition.source, transition.kind), []).append(transition)

    def inner_chain(self, state: str) -> list[str]:
        """`state` and its ancestors, stopping below the nearest parallel ancestor."""
        found: list[str] = []
        for level in self.hierarchy.chain(state):
            if level != state and self.hierarchy.states[level].kind == "parallel":
                break
            found.append(level)
        return found

    def parallel_of(self, state: str) -> str | None:
        """The nearest parallel proper ancestor of `state` (its sub-process), if any."""
        for level in self.hierarchy.ancestors(state):
            if self.hierarchy.states[level].kind == "parallel":
                return level
        return None

    def transitions(self, state: str, kind: str, event: str | None = None) -> list[ir.Transition]:
        """Transitions of one kind written on `state`, in document order."""
        written = self._by_source.get((state, kind), [])
        return [t for t in written if event is None or t.event == event]

    def handling(self, levels: list[str], event: str) -> Handling:
        """How the levels (innermost first) decide `event`."""
        candidates: list[ir.Transition] = []
        for level in levels:
            fallback: ir.Transition | None = None
            for transition in self.transitions(level, "event", event):
                if transition.is_else:
                    fallback = fallback or transition
                    continue
                candidates.append(transition)
                if transition.guard is None:
                    return Handling(tuple(candidates), "taken")
            if fallback is not None:
                return Handling((*candidates, fallback), "taken")
            refusal = self.refusals.get((level, event))
            if refusal is not None:
                return Handling(tuple(candidates), refusal.kind, refusal.reason)
        return Handling(tuple(candidates), "no_guard" if candidates else "unhandled")

    def events_of(self, levels: list[str]) -> list[str]:
        """Events with a transition or an ignore on any of the levels, in machine event order."""
        mentioned = {t.event for level in levels for t in self.transitions(level, "event")}
        mentioned |= {e for (s, e), r in self.refusals.items() if s in levels and r.kind == "ignore"}
        return [event.name for event in self.machine.events if event.name in mentioned]

    def eventless(self, levels: list[str], kind: str) -> list[ir.Transition]:
        """`done`/`error`/`timeout` candidates over the levels, innermost first (first that holds wins)."""
        found: list[ir.Transition] = []
        for level in levels:
            for transition in self.transitions(level, kind):
                found.append(transition)
                if transition.guard is None and kind != "timeout":
                    return found
        return found
