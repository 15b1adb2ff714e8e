"""The state hierarchy and what a transition exits and enters, for the verifier and the runtime alike.

Statecharts semantics as SCXML defines it, over the IR's states:

- entering a compound state enters its initial child, down to a leaf; entering a
  parallel state enters every region;
- a transition's *domain* is the nearest non-parallel proper ancestor of its
  source that strictly contains its target (None: the workflow itself); the
  active states below the domain are exited (innermost first) and the states on
  the way down to the target are entered (outermost first), together with the
  initial states of every other region of each parallel state entered on the way.

`compiler/verify/graph.py` builds its leaf graph on these functions, and the
runtime moves instances with them, so both agree on every transition.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from functools import cached_property

from statewright import ir


class Hierarchy:
    """The parent/child structure of one machine's states, with the transition geometry."""

    def __init__(self, machine: ir.Machine) -> None:
        self.machine = machine
        self.states: dict[str, ir.State] = {s.name: s for s in machine.states}
        self.order: dict[str, int] = {s.name: i for i, s in enumerate(machine.states)}

    @cached_property
    def leaves(self) -> tuple[str, ...]:
        """Atomic and final states, in IR order."""
        return tuple(s.name for s in self.machine.states if s.kind in ("atomic", "final"))

    def ancestors(self, name: str) -> list[str]:
        """Return the parent chain of `name`, innermost first."""
        chain: list[str] = []
        parent = self.states[name].parent
        while parent is not None:
            chain.append(parent)
            parent = self.states[parent].parent
        return chain

    def chain(self, name: str) -> list[str]:
        """Return `name` and its ancestors, innermost first."""
        return [name, *self.ancestors(name)]

    def enter(self, name: str) -> tuple[str, ...]:
        """Return the leaves entered when the machine enters state `name`."""
        state = self.states[name]
        if state.kind in ("atomic", "final"):
            return (name,)
        if state.kind == "parallel":
            return tuple(leaf for region in state.children for leaf in self.enter(region))
        if state.initial is None:
            return ()
        return self.enter(state.initial)

    @cached_property
    def descendants(self) -> dict[str, tuple[str, ...]]:
        """Map each state to the leaves below it (a leaf maps to itself)."""
        below: dict[str, list[str]] = {name: [] for name in self.states}
        for leaf in self.leaves:
            below[leaf].append(leaf)
            for ancestor in self.ancestors(leaf):
                below[ancestor].append(leaf)
        return {name: tuple(leaves) for name, leaves in below.items()}

    @cached_property
    def initial_leaves(self) -> tuple[str, ...]:
        """The leaves the machine starts in."""
        return self.enter(self.machine.initial)

    def is_top_final(self, name: str) -> bool:
        """True for a final state of the workflow itself (not of a compound or region)."""
        state = self.states[name]
        return state.kind == "final" and state.parent is None

    def domain(self, source: str, target: str) -> str | None:
        """Return the transition's domain (None: the workflow itself).

        It is the nearest non-parallel proper ancestor of the source that strictly
        contains the target; states below it are exited and entered.
        """
        below_target = set(self.ancestors(target))
        for ancestor in self.ancestors(source):
            if self.states[ancestor].kind != "parallel" and ancestor in below_target:
                return ancestor
        return None

    def below(self, name: str, domain: str | None) -> list[str]:
        """`name` and its ancestors strictly below `domain`, innermost first."""
        chain = [name]
        for ancestor in self.ancestors(name):
            if ancestor == domain:
                break
            chain.append(ancestor)
        return chain

    def entered(self, source: str, target: str) -> tuple[str, ...]:
        """Return the leaves a transition enters.

        Those are the target's, plus the initial leaves of the other regions of every
        parallel state the transition enters on the way down from its domain.
        """
        leaves = list(self.enter(target))
        path = self.below(target, self.domain(source, target))
        for child, parent in itertools.pairwise(path):
            if self.states[parent].kind == "parallel":
                leaves.extend(
                    leaf
                    for region in self.states[parent].children
                    if region != child
                    for leaf in self.enter(region)
                )
        return tuple(dict.fromkeys(leaves))

    def region_of(self, name: str | None) -> str | None:
        """The innermost parallel region containing `name` (itself when it is one), or None."""
        current = name
        while current is not None:
            parent = self.states[current].parent
            if parent is not None and self.states[parent].kind == "parallel":
                return current
            current = parent
        return None

    # ------------------------------------------------------------------ for the runtime

    def innermost(self, leaves: Sequence[str]) -> str:
        """The single active leaf, or the deepest state containing all of them (a parallel state)."""
        if len(leaves) == 1:
            return leaves[0]
        common = set(self.chain(leaves[0]))
        for leaf in leaves[1:]:
            common &= set(self.chain(leaf))
        return max(common, key=lambda name: len(self.ancestors(name)))

    def active_states(self, leaves: Iterable[str]) -> list[str]:
        """Every state active when `leaves` are: the leaves and all their ancestors, in IR order."""
        found: set[str] = set()
        for leaf in leaves:
            found.update(self.chain(leaf))
        return sorted(found, key=self.order.__getitem__)

    def exit_set(self, active: Iterable[str], source: str, target: str | None) -> list[str]:
        """States a transition exits, innermost (deepest, latest in IR order) first.

        A targetless transition exits nothing. Otherwise every active state below
        the domain, on any branch (so leaving a parallel state exits all its regions).
        """
        if target is None:
            return []
        domain = self.domain(source, target)
        exited = [
            name
            for name in self.active_states(active)
            if name != domain and (domain is None or domain in self.ancestors(name))
        ]
        return sorted(exited, key=lambda n: (-len(self.ancestors(n)), -self.order[n]))

    def entry_set(self, source: str, target: str) -> list[str]:
        """States a transition enters, outermost first, in IR order within a level."""
        domain = self.domain(source, target)
        entered: set[str] = set()
        for leaf in self.entered(source, target):
            entered.update(self.below(leaf, domain))
        return sorted(entered, key=lambda n: (len(self.ancestors(n)), self.order[n]))
