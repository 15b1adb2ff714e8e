"""Dispatch: which transitions an event, a timer or finished work may take, and in what order.

This is the one statement of the rule that the runtime engine, the verifier's
rules, the reports and the engine targets (Step Functions, BPMN, the python
module's fast paths) all follow (LANGUAGE.md §10, SCXML's selection):

- an event is offered to each active leaf, which walks outwards (the leaf, its
  parent, ...). A *level* is one state on that walk that writes something for
  the event: transitions, or a `reject`/`ignore`;
- at a level, the transitions without `else` are tried in document order: the
  first whose guard holds is taken (an unguarded one always holds); then the
  level's `else`; then its refusal decides (`reject` refuses, `ignore` drops);
- a level whose guards all fail, with no `else` and no refusal, passes the
  event on to the next level out;
- when no level decides, the event is meant for another region if a sibling
  region of some parallel ancestor mentions it (`other_region`), else it was
  only guarded and no guard held (`no_guard`), else nothing handles it
  (`unhandled`);
- of the transitions the leaves select, those whose exit set meets that of an
  earlier one (document order) are preempted (`preempted`);
- `done`/`error`/`timeout`/`always` transitions are eventless: the candidates
  are the state's own, then its ancestors', each state's guarded ones in
  document order and its `else` last, and the first whose guard holds is taken
  (`eventless`); a failure tries, per state, the catches naming its error before
  the catch-alls (`caught`).

Guards are not evaluated here: a consumer walks `Handling.candidates` in
order, evaluating guards with its own algebra (the runtime's values, z3, a
Choice rule, a BPMN exclusive gateway), so every consumer makes the same
decision by construction.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from statewright import ir

Terminal: TypeAlias = Literal["taken", "reject", "ignore", "other_region", "no_guard", "unhandled"]
"""How a walk ends: a candidate that always holds is taken, a level refuses or drops the event,
another region is meant, only guards decided and none held, or nothing mentions the event."""

EventlessKind: TypeAlias = Literal["timeout", "done", "error", "completion", "always"]


@dataclass(frozen=True, slots=True)
class Level:
    """What one state on a leaf's walk writes for one event.

    `written` is every transition on `state` for the event in document order;
    `tried` the non-`else` ones in the order they are tried, up to and including
    the first unguarded one; `fallback` the `else`; `refusal` the first
    `reject`/`ignore` there (`refusals` all of them).
    """

    state: str
    written: tuple[int, ...]
    tried: tuple[int, ...]
    fallback: int | None
    refusals: tuple[ir.Reject, ...]
    unguarded: bool
    """True when one of `tried` has no guard (the level decides whenever reached)."""

    @property
    def refusal(self) -> ir.Reject | None:
        """The refusal that decides when no transition of the level is taken."""
        return self.refusals[0] if self.refusals else None

    @property
    def closed(self) -> bool:
        """True when the level always decides: an unguarded transition, an `else` or a refusal."""
        return self.unguarded or self.fallback is not None or bool(self.refusals)

    @property
    def guarded_only(self) -> bool:
        """True when the level has transitions and every one is guarded (no `else`)."""
        return bool(self.written) and not self.unguarded and self.fallback is None

    @property
    def candidates(self) -> tuple[int, ...]:
        """The transitions the level tries, in order: `tried`, then the `else`."""
        return self.tried if self.fallback is None or self.unguarded else (*self.tried, self.fallback)


@dataclass(frozen=True, slots=True)
class Handling:
    """How a walk (levels innermost first) decides one event.

    `candidates` are transition indices in the order they are tried; when
    `terminal` is "taken" the last one always holds. `levels` are the levels
    walked (each one that writes something for the event, up to the deciding
    one); `refusal` is the deciding `reject`/`ignore`; `region` the parallel
    state whose other region the event is meant for.
    """

    event: str
    candidates: tuple[int, ...]
    terminal: Terminal
    levels: tuple[Level, ...] = ()
    refusal: ir.Reject | None = None
    region: str | None = None

    @property
    def guarded(self) -> bool:
        """True when some transition was written for the event on the walk (a guard may still fail)."""
        return bool(self.candidates)


class Dispatch:
    """One machine's dispatch tables, indexed once; every answer derives from the rules above.

    Built from the IR alone and treated as immutable; answers are memoised per
    (state, event) on the instance, never globally.
    """

    def __init__(self, machine: ir.Machine) -> None:
        """Index `machine`'s transitions by (source, event) and (source, kind), and its refusals."""
        self.machine = machine
        self.transitions = machine.transitions
        self.states: dict[str, ir.State] = {s.name: s for s in machine.states}
        self.on_event: dict[tuple[str, str], list[int]] = {}
        self.by_kind: dict[tuple[str, str], list[int]] = {}
        """Transitions by (source, kind), every kind, in document order."""
        self.refusals: dict[tuple[str, str], list[ir.Reject]] = {}
        own: dict[str, dict[str, None]] = {}
        for index, transition in enumerate(machine.transitions):
            self.by_kind.setdefault((transition.source, transition.kind), []).append(index)
            if transition.kind == "event" and transition.event is not None:
                self.on_event.setdefault((transition.source, transition.event), []).append(index)
                own.setdefault(transition.source, {})[transition.event] = None
        self.refused_in: dict[str, list[ir.Reject]] = {}
        """Refusals by state, in document order."""
        for refusal in machine.rejects:
            self.refusals.setdefault((refusal.state, refusal.event), []).append(refusal)
            self.refused_in.setdefault(refusal.state, []).append(refusal)
            own.setdefault(refusal.state, {})[refusal.event] = None
        self.own: dict[str, frozenset[str]] = {name: frozenset(events) for name, events in own.items()}
        """Events each state itself writes a transition or a refusal for."""
        self._chains: dict[str, tuple[str, ...]] = {}
        self._levels: dict[tuple[str, str], Level | None] = {}
        self._handling: dict[tuple[str, str], Handling] = {}
        self._below: dict[str, frozenset[str]] | None = None
        self._decided: dict[str, frozenset[str]] = {}
        self._elsewhere: dict[str, frozenset[str]] = {}

    # ------------------------------------------------------------------ the hierarchy walk

    def chain(self, name: str) -> tuple[str, ...]:
        """`name` and its ancestors, innermost first (the order a leaf offers an event)."""
        known = self._chains.get(name)
        if known is None:
            parent = self.states[name].parent
            known = (name,) if parent is None else (name, *self.chain(parent))
            self._chains[name] = known
        return known

    def inner_chain(self, name: str) -> tuple[str, ...]:
        """`name` and its ancestors up to, not including, the nearest parallel proper ancestor."""
        found: list[str] = []
        for level in self.chain(name):
            if level != name and self.states[level].kind == "parallel":
                break
            found.append(level)
        return tuple(found)

    # ------------------------------------------------------------------ events

    def level(self, state: str, event: str) -> Level | None:
        """What `state` itself writes for `event` (None: nothing)."""
        key = (state, event)
        if key in self._levels:
            return self._levels[key]
        written = tuple(self.on_event.get(key, ()))
        refusals = tuple(self.refusals.get(key, ()))
        found: Level | None = None
        if written or refusals:
            tried: list[int] = []
            fallback: int | None = None
            unguarded = False
            for index in written:
                transition = self.transitions[index]
                if transition.is_else:
                    fallback = index if fallback is None else fallback
                    continue
                if unguarded:
                    continue
                tried.append(index)
                unguarded = transition.guard is None
            found = Level(state, written, tuple(tried), fallback, refusals, unguarded)
        self._levels[key] = found
        return found

    def levels(self, chain: Iterable[str], event: str) -> tuple[Level, ...]:
        """The levels of `chain` (innermost first) writing something for `event`, up to the deciding one."""
        found: list[Level] = []
        for state in chain:
            level = self.level(state, event)
            if level is None:
                continue
            found.append(level)
            if level.closed:
                break
        return tuple(found)

    def walk(self, chain: Sequence[str], event: str) -> Handling:
        """How `chain` (a leaf and its ancestors, innermost first, possibly cut short) decides `event`."""
        levels = self.levels(chain, event)
        candidates = tuple(index for level in levels for index in level.candidates)
        if levels and levels[-1].closed:
            last = levels[-1]
            if last.unguarded or last.fallback is not None:
                return Handling(event, candidates, "taken", levels)
            refusal = last.refusal
            assert refusal is not None
            return Handling(event, candidates, refusal.kind, levels, refusal)
        region = self.other_region(chain, event)
        if region is not None:
            return Handling(event, candidates, "other_region", levels, region=region)
        return Handling(event, candidates, "no_guard" if candidates else "unhandled", levels)

    def handling(self, leaf: str, event: str) -> Handling:
        """How the active leaf `leaf` decides `event`, walking its whole chain (memoised)."""
        key = (leaf, event)
        known = self._handling.get(key)
        if known is None:
            known = self.walk(self.chain(leaf), event)
            self._handling[key] = known
        return known

    def events_at(self, chain: Iterable[str], refusals: bool = True) -> tuple[str, ...]:
        """Events some state of `chain` writes a transition (or, with `refusals`, a refusal) for.

        In first-mention order: level by level, transitions in document order, then refusals.
        """
        found: dict[str, None] = {}
        for state in chain:
            for transition in self.transitions_of(state, "event"):
                if transition.event is not None:
                    found.setdefault(transition.event, None)
            if refusals:
                for refusal in self.refused_in.get(state, ()):
                    found.setdefault(refusal.event, None)
        return tuple(found)

    def transitions_of(self, state: str, kind: str) -> list[ir.Transition]:
        """Transitions of one kind written on `state`, in document order."""
        return [self.transitions[i] for i in self.by_kind.get((state, kind), ())]

    def guarded_levels(self) -> dict[tuple[str, str], tuple[ir.Expr, ...]]:
        """Every (state, event) level written only with guards (no `else`, no refusal), with its guards.

        Such a level decides the event only where one of its guards holds; whether
        they always cover the domain is a question for the prover.
        """
        found: dict[tuple[str, str], tuple[ir.Expr, ...]] = {}
        for (state, event), indices in self.on_event.items():
            level = self.level(state, event)
            if level is not None and level.guarded_only and not level.refusals:
                found[(state, event)] = tuple(
                    guard for i in indices if (guard := self.transitions[i].guard) is not None
                )
        return found

    # ------------------------------------------------------------------ parallel regions

    @property
    def mentioned_below(self) -> dict[str, frozenset[str]]:
        """Events each state, or any state below it, writes a transition or refusal for."""
        if self._below is None:
            below: dict[str, set[str]] = {name: set(self.own.get(name, ())) for name in self.states}
            for state in reversed(self.machine.states):  # pre-order reversed: children before parents
                if state.parent is not None:
                    below[state.parent] |= below[state.name]
            self._below = {name: frozenset(events) for name, events in below.items()}
        return self._below

    def other_region(self, chain: Sequence[str], event: str) -> str | None:
        """The innermost parallel state on `chain` one of whose other regions mentions `event`."""
        below = self.mentioned_below
        for inner, outer in itertools.pairwise(chain):
            parallel = self.states[outer]
            if parallel.kind == "parallel" and any(
                event in below[region] for region in parallel.children if region != inner
            ):
                return outer
        return None

    def decided(self, name: str) -> frozenset[str]:
        """Events a transition or refusal on `name` or one of its ancestors is written for."""
        known = self._decided.get(name)
        if known is None:
            parent = self.states[name].parent
            inherited = self.decided(parent) if parent is not None else frozenset()
            known = self.own.get(name, frozenset()) | inherited
            self._decided[name] = known
        return known

    def elsewhere(self, name: str) -> frozenset[str]:
        """Events mentioned in another region of any parallel state above `name`."""
        known = self._elsewhere.get(name)
        if known is None:
            below = self.mentioned_below
            found: set[str] = set()
            for inner, outer in itertools.pairwise(self.chain(name)):
                parallel = self.states[outer]
                if parallel.kind == "parallel":
                    for region in parallel.children:
                        if region != inner:
                            found |= below[region]
            known = frozenset(found)
            self._elsewhere[name] = known
        return known

    # ------------------------------------------------------------------ eventless transitions

    def eventless(self, chain: Iterable[str], kind: EventlessKind) -> tuple[int, ...]:
        """`kind` transitions over `chain`, innermost first, in document order; the first that holds wins.

        The list stops after the first unguarded one, which always holds, except for
        timeouts: every timer on the chain runs at once and the soonest fires first.
        """
        found: list[int] = []
        for state in chain:
            own = self.by_kind.get((state, kind), ())
            if kind == "timeout":
                found.extend(own)
            elif self._tried(own, found):
                return tuple(found)
        return tuple(found)

    def caught(self, chain: Iterable[str], error: str | None) -> tuple[int, ...]:
        """The `error` transitions that may handle a failure named `error`, in the order they are tried.

        Over `chain`, innermost first: at each state, its catches naming `error`
        (`on error NAME -> X`), then its catch-alls (a dead letter, a saga's
        failure path: `event` None); within each group, like a level's guards:
        the guarded ones in document order, up to the first unguarded, then the
        `else`. The first whose guard holds handles the failure; when none does,
        the instance fails (Step Functions' Catch order: specific names first,
        `States.ALL` last). With `error` None only catch-alls are candidates.
        """
        found: list[int] = []
        for state in chain:
            own = self.by_kind.get((state, "error"), ())
            named = [i for i in own if error is not None and self.transitions[i].event == error]
            if self._tried(named, found):
                return tuple(found)
            if self._tried([i for i in own if self.transitions[i].event is None], found):
                return tuple(found)
        return tuple(found)

    def _tried(self, indices: Sequence[int], found: list[int]) -> bool:
        """Append one group's candidates as a level tries them; True when the group always decides.

        The guarded ones in document order up to the first unguarded one, then the
        `else` (an `else` is tried after the guards wherever it is written).
        """
        transitions = self.transitions
        fallback: int | None = None
        for index in indices:
            transition = transitions[index]
            if transition.is_else:
                fallback = index if fallback is None else fallback
                continue
            found.append(index)
            if transition.guard is None:
                return True
        if fallback is not None:
            found.append(fallback)
            return True
        return False


def preempted(chosen: Sequence[int], exits: Callable[[int], Collection[str]]) -> list[int]:
    """The selected transitions that run, in document order (SCXML preemption).

    `chosen` are transition indices (one per deciding leaf, no repeats); one is
    skipped when its exit set (`exits(index)`, in the configuration the event
    found; empty for a targetless transition) meets that of one already kept.
    """
    ordered = sorted(chosen)
    if len(ordered) == 1:  # one alone is never preempted
        return ordered
    kept: list[int] = []
    exited: set[str] = set()
    for index in ordered:
        leaving = exits(index)
        if leaving:
            if not exited.isdisjoint(leaving):
                continue
            exited.update(leaving)
        kept.append(index)
    return kept
