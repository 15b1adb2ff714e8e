"""The machine as a graph of leaf states: the one semantic model the structural rules share.

A hierarchical machine is flattened onto its *leaves* (atomic and final states):
- a transition written on a state applies in every leaf below it;
- entering a compound state enters its initial chain down to a leaf; entering a
  parallel state enters the initial leaf of every region;
- a compound state's `completion` transition leaves from its final children;
  a parallel state's join leaves from its regions' final states (the join's
  "all regions" condition is checked separately, by the parallel rules).

Edges carry a label (the event, `after 30s`, `done(action)`, `error(action)`,
`completion`, `always`) so that a shortest path is a readable counterexample.
The graph over-approximates: a parent's transition counts in a leaf even when
the leaf itself decides that event (the child wins at run time), so a state
reached only through such a shadowed transition is not reported unreachable.
Everything is computed once, with one breadth-first search per question:
reachability is one forward search from the initial leaves, and "can finish"
is one multi-source search backwards from the top-level final leaves.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from statewright import ir
from statewright.ir.text import transition_label
from statewright.plugins.run import VerificationRun
from statewright.semantics.hierarchy import Hierarchy


@dataclass(frozen=True, slots=True)
class Edge:
    """One labelled move between leaves, with the index of the IR transition behind it."""

    source: str
    target: str
    label: str
    transition: int


class MachineGraph(Hierarchy):
    """Leaf-level graph of one machine, with the searches the rules need.

    The hierarchy (ancestors, entering, transition domains) comes from
    `semantics.hierarchy`, which the runtime moves instances with.
    """

    def __init__(self, machine: ir.Machine) -> None:
        super().__init__(machine)
        self.edges: dict[str, list[Edge]] = {name: [] for name in self.leaves}
        self.sibling_edges: dict[str, list[Edge]] = {}
        self._distance: dict[str, int] = {}
        self._paths: dict[str, tuple[str, ...]] = {}
        self._build()

    def _build(self) -> None:
        for index, transition in enumerate(self.machine.transitions):
            if transition.target is None or transition.source not in self.states:
                continue
            source = self.states[transition.source]
            text = transition_label(transition, source)
            targets = self.entered(transition.source, transition.target)
            if transition.kind == "completion":
                origins = self._completion_origins(source)
            else:
                origins = self.descendants[transition.source]
            for origin in origins:
                for target in targets:
                    self.edges[origin].append(Edge(origin, target, text, index))
            self._sibling_exits(transition, index, text, targets)

    def _sibling_exits(
        self, transition: ir.Transition, index: int, text: str, targets: tuple[str, ...]
    ) -> None:
        """A move that exits a parallel state from one region also moves every other region's leaves.

        These moves count as exits (deadlock and "can finish"), not for reachability:
        they are only taken while the source region is in the transition's source.
        """
        assert transition.target is not None
        path = self.below(transition.source, self.domain(transition.source, transition.target))
        for child, parent in itertools.pairwise(path):
            if self.states[parent].kind != "parallel":
                continue
            for region in self.states[parent].children:
                if region == child:
                    continue
                for leaf in self.descendants[region]:
                    for target in targets:
                        self.sibling_edges.setdefault(leaf, []).append(Edge(leaf, target, text, index))

    def _completion_origins(self, state: ir.State) -> tuple[str, ...]:
        """Leaves from which a compound's completion (or a parallel join) can fire."""
        if state.kind == "parallel":
            return tuple(
                child
                for region in state.children
                for child in self.states[region].children
                if self.states[child].kind == "final"
            )
        return tuple(child for child in state.children if self.states[child].kind == "final")

    # ------------------------------------------------------------------ searches

    @cached_property
    def _forward(self) -> dict[str, Edge | None]:
        """Breadth-first tree from the initial leaves: leaf -> the edge that first reached it."""
        parent: dict[str, Edge | None] = {}
        distance: dict[str, int] = {}
        queue: deque[str] = deque()
        for leaf in self.initial_leaves:
            if leaf not in parent:
                parent[leaf] = None
                distance[leaf] = 0
                queue.append(leaf)
        while queue:
            leaf = queue.popleft()
            for edge in self.edges[leaf]:
                if edge.target not in parent:
                    parent[edge.target] = edge
                    distance[edge.target] = distance[leaf] + 1
                    queue.append(edge.target)
        self._distance = distance
        return parent

    @cached_property
    def reachable(self) -> frozenset[str]:
        """States (leaves and the composites above them) reachable from the initial state."""
        found = set(self._forward)
        for leaf in list(found):
            found.update(self.ancestors(leaf))
        return frozenset(found)

    @cached_property
    def can_finish(self) -> frozenset[str]:
        """Leaves from which some top-level final state is reachable (one reverse search)."""
        incoming: dict[str, list[str]] = {name: [] for name in self.leaves}
        for edges in (*self.edges.values(), *self.sibling_edges.values()):
            for edge in edges:
                incoming[edge.target].append(edge.source)
        done = {leaf for leaf in self.leaves if self.is_top_final(leaf)}
        queue = deque(done)
        while queue:
            leaf = queue.popleft()
            for source in incoming[leaf]:
                if source not in done:
                    done.add(source)
                    queue.append(source)
        return frozenset(done)

    def path_to(self, name: str) -> tuple[str, ...] | None:
        """The shortest event sequence from the start into state `name` (None: unreachable)."""
        forward = self._forward
        candidates = [leaf for leaf in self.descendants.get(name, ()) if leaf in forward]
        if not candidates:
            return None
        nearest = min(candidates, key=lambda leaf: self._distance[leaf])
        return self._path_to_leaf(nearest)

    def _path_to_leaf(self, leaf: str) -> tuple[str, ...]:
        """Rebuild a leaf's path from the search tree, memoised so many findings stay cheap."""
        pending: list[str] = []
        cursor = leaf
        while cursor not in self._paths:
            edge = self._forward[cursor]
            if edge is None:
                self._paths[cursor] = ()
                break
            pending.append(cursor)
            cursor = edge.source
        for name in reversed(pending):
            edge = self._forward[name]
            assert edge is not None
            self._paths[name] = (*self._paths[edge.source], edge.label)
        return self._paths[leaf]

    def exits(self, leaf: str) -> Iterable[Edge]:
        """Every move out of a leaf: its own, its ancestors', and sibling regions' exits."""
        return [*self.edges[leaf], *self.sibling_edges.get(leaf, ())]


def graph_of(run: VerificationRun) -> MachineGraph:
    """The leaf graph of the run's machine, built once per run and shared by its rules."""
    return run.derive(MachineGraph)
