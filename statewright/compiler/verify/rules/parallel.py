"""Parallel and compound rules (SW8xx): regions complete, joins fire, races are named.

- SW801 every region that has final states can reach one of them from its initial state,
  moving only within the region (counterexample: the way into the region);
- SW802 a join (`done -> T` on a parallel state) can fire: every region has a final state, and
  some reachable configuration of the product has every region in a final state at once;
- SW803 the product exploration hit its bound (or could not run), so its results are partial;
- SW804 race candidate: in some reachable configuration, one event is handled by two or more
  regions at once (the order in which they react is the race);
- SW805 a reachable final child of a compound state without `done -> T` (or of a region of a
  parallel state without a join) completes nothing: it is a dead end.

The product exploration (`explore`) runs a breadth-first search over the configurations of
one parallel state: one active leaf per region. Its semantics, over-approximating guards:

- an external event is offered to every region at once. In each region it is handled by the
  innermost state (from the active leaf upwards) with a transition for it, or refused there by a
  `reject`/`ignore`; when every transition of that level is guarded, the guards may all be
  false and the event may fall through to the enclosing state (or go unhandled). A handler on
  the parallel state (or above) leaves or re-enters it, unless a region that handles the event
  itself takes precedence. Each region picks one of its possible outcomes; all regions move
  together;
- a timer, the end of invoked work (`done`/`error`), an `always` routing choice and a nested
  compound's completion are internal moves of one region at a time (interleaving);
- a move to a state outside the parallel state leaves it (not explored further); a move to
  the parallel state itself, or into another region, leaves and re-enters it, entering the
  target and every other region's initial state;
- the join fires in a configuration where every region is in one of its own final states.

Regions holding a nested parallel state are not explored (SW803 says so); their nested parallel
state is explored on its own. Parallel approvals (`routing parallel`) are not checked for races:
their `approve`/`reject` events are addressed to a level's approvers at run time, not broadcast.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from statewright import ir
from statewright.compiler.verify.graph import MachineGraph, graph_of
from statewright.diagnostics import Diagnostic, Related
from statewright.diagnostics.catalog.parallel import (
    EXPLORATION_PARTIAL,
    FINAL_DEAD_END,
    JOIN_DEADLOCK,
    RACE_CANDIDATE,
    REGION_CANNOT_COMPLETE,
)
from statewright.ir.text import transition_label as label
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.hookspecs import hookimpl

FAMILY = "parallel"
DEFAULT_LIMIT = 100_000
"""How many configurations one parallel state's exploration may visit by default."""
LIMIT_SETTING = "parallel.max_configurations"
"""The `RuleContext.settings` key that changes the limit."""

INTERNAL_KINDS = ("timeout", "done", "error", "always", "completion")


def _file(machine: ir.Machine) -> str:
    return machine.source or machine.name


Config = tuple[str, ...]
"""One active leaf per region, in region order."""


@dataclass(frozen=True, slots=True)
class _Move:
    """A possible outcome for one region: stay, move to a leaf, re-enter the parallel state, leave."""

    kind: Literal["stay", "move", "restart", "exit"]
    leaf: str = ""
    config: Config = ()
    label: str = ""


_STAY = _Move("stay")
_EXIT = _Move("exit")


@dataclass(frozen=True)
class Race:
    """Where an event was first seen handled by several regions: the configuration and the handlers."""

    config: Config
    regions: tuple[str, ...]
    transitions: tuple[ir.Transition, ...]


@dataclass
class Exploration:
    """The result of exploring one parallel state's product of regions."""

    parallel: str
    regions: tuple[str, ...]
    initial: Config
    parents: dict[Config, tuple[Config, str] | None] = field(default_factory=dict)
    complete: bool = True
    skipped: str | None = None
    join: Config | None = None
    races: dict[str, Race] = field(default_factory=dict)

    @property
    def configurations(self) -> frozenset[Config]:
        """Every configuration visited (all reachable ones when `complete`)."""
        return frozenset(self.parents)

    def path(self, config: Config) -> tuple[str, ...]:
        """The moves from the parallel state's entry to `config` (shortest, by BFS)."""
        labels: list[str] = []
        step = self.parents[config]
        while step is not None:
            previous, text = step
            labels.append(text)
            step = self.parents[previous]
        return tuple(reversed(labels))


@dataclass(frozen=True)
class _Index:
    """The machine's transitions and refusals by source state, built once for every parallel state."""

    events: dict[tuple[str, str], list[ir.Transition]]
    internal: dict[str, list[ir.Transition]]
    event_names: dict[str, set[str]]
    refused: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, machine: ir.Machine) -> _Index:
        """Index `machine`'s transitions by source (and event)."""
        events: dict[tuple[str, str], list[ir.Transition]] = {}
        internal: dict[str, list[ir.Transition]] = {}
        names: dict[str, set[str]] = {}
        for transition in machine.transitions:
            if transition.kind == "event" and transition.event is not None:
                events.setdefault((transition.source, transition.event), []).append(transition)
                names.setdefault(transition.source, set()).add(transition.event)
            elif transition.kind in INTERNAL_KINDS:
                internal.setdefault(transition.source, []).append(transition)
        refused = frozenset((r.state, r.event) for r in machine.rejects)
        return cls(events, internal, names, refused)


def _subtree(graph: MachineGraph, root: str) -> list[str]:
    """`root` and every state below it."""
    found: list[str] = []
    stack = [root]
    while stack:
        name = stack.pop()
        if name in graph.states:
            found.append(name)
            stack.extend(graph.states[name].children)
    return found


class _Product:
    """Precomputed per-leaf outcomes of one parallel state, and the search over configurations."""

    def __init__(self, machine: ir.Machine, graph: MachineGraph, parallel: str, index: _Index) -> None:
        self.machine = machine
        self.graph = graph
        self.parallel = parallel
        self.regions: tuple[str, ...] = graph.states[parallel].children
        self.within: dict[str, int] = {}
        for number, region in enumerate(self.regions):
            self.within.update(dict.fromkeys(_subtree(graph, region), number))
        self.inside_parallel = set(_subtree(graph, parallel))
        self.initial: Config = tuple(self._first_leaf(graph.enter(r)) for r in self.regions)
        self.by_source = index.events
        self.internal = index.internal
        self.refused = index.refused
        scope = self.inside_parallel | set(graph.ancestors(parallel))
        self.events = tuple(sorted({e for name in scope for e in index.event_names.get(name, ())}))
        self._event_cache: dict[tuple[str, str], tuple[frozenset[_Move], tuple[ir.Transition, ...]]] = {}

    @staticmethod
    def _first_leaf(leaves: tuple[str, ...]) -> str:
        return leaves[0] if leaves else ""

    def nested_parallel(self) -> tuple[str, str] | None:
        """A (region, nested parallel state) pair, when some region holds one."""
        for name, index in self.within.items():
            if self.graph.states[name].kind == "parallel":
                return self.regions[index], name
        return None

    def _chain(self, leaf: str) -> list[str]:
        return [leaf, *self.graph.ancestors(leaf)]

    def _outcome(self, region: int, transition: ir.Transition, text: str) -> _Move:
        """What taking `transition` from region `region` does to the configuration."""
        target = transition.target
        if target is None:
            return _STAY
        if target not in self.inside_parallel:
            return _EXIT
        if self.within.get(transition.source) == region and self.within.get(target) == region:
            return _Move("move", leaf=self._first_leaf(self.graph.enter(target)), label=text)
        entered = self.graph.enter(target)
        config = list(self.initial)
        for leaf in entered:
            if leaf in self.within:
                config[self.within[leaf]] = leaf
        return _Move("restart", config=tuple(config), label=text)

    def event_moves(
        self, region: int, leaf: str, event: str
    ) -> tuple[frozenset[_Move], tuple[ir.Transition, ...]]:
        """Possible outcomes of `event` for one region, and the region's own handlers of it."""
        key = (leaf, event)
        cached = self._event_cache.get(key)
        if cached is not None:
            return cached
        moves: set[_Move] = set()
        handlers: list[ir.Transition] = []
        may_stay = True  # unhandled, every guard false, or refused: the region stays where it is
        for state in self._chain(leaf):
            written = self.by_source.get((state, event), [])
            if written:
                for transition in written:
                    moves.add(self._outcome(region, transition, event))
                    if state in self.within:
                        handlers.append(transition)
                    else:
                        moves.add(_STAY)  # preempted when another region handles the event itself
                if any(t.guard is None or t.is_else for t in written):
                    may_stay = False
                    break
            elif (state, event) in self.refused:
                break
        if may_stay:
            moves.add(_STAY)
        result = (frozenset(moves), tuple(handlers))
        self._event_cache[key] = result
        return result

    def internal_moves(self, region: int, leaf: str) -> list[_Move]:
        """Timers, work outcomes, routing choices and nested completions of one region's leaf."""
        moves: list[_Move] = []
        state = self.graph.states[leaf]
        for source in self._chain(leaf):
            for transition in self.internal.get(source, []):
                if transition.kind == "completion":
                    owner = self.graph.states[source]
                    if (
                        source == self.parallel
                        or owner.kind != "compound"
                        or state.kind != "final"
                        or state.parent != source
                    ):
                        continue
                text = label(transition, self.graph.states[source])
                moves.append(self._outcome(region, transition, text))
        return moves

    def is_join(self, config: Config) -> bool:
        """True when every region is in one of its own final states."""
        return all(
            self.graph.states[leaf].kind == "final" and self.graph.states[leaf].parent == region
            for leaf, region in zip(config, self.regions, strict=True)
        )

    def successors(self, config: Config, races: dict[str, Race] | None) -> Iterator[tuple[Config, str]]:
        """Every configuration one move away from `config`, with the move's label; records races."""
        for event in self.events:
            per_region: list[frozenset[_Move]] = []
            handling: list[tuple[str, ir.Transition]] = []
            for index, leaf in enumerate(config):
                moves, handlers = self.event_moves(index, leaf, event)
                per_region.append(moves)
                if handlers:
                    handling.append((self.regions[index], handlers[0]))
            if races is not None and len(handling) >= 2 and event not in races:
                regions = tuple(region for region, _ in handling)
                races[event] = Race(config, regions, tuple(t for _, t in handling))
            yield from ((c, event) for c in _combine(config, per_region))
        for index, leaf in enumerate(config):
            for move in self.internal_moves(index, leaf):
                if move.kind == "move":
                    yield (*config[:index], move.leaf, *config[index + 1 :]), move.label
                elif move.kind == "restart":
                    yield move.config, move.label


def _combine(config: Config, per_region: list[frozenset[_Move]]) -> Iterator[Config]:
    """Joint outcomes of one event: any exit leaves; any re-entry wins; else every region moves."""
    local: list[list[str]] = []
    for index, moves in enumerate(per_region):
        choices = [m.leaf for m in moves if m.kind == "move"]
        if _STAY in moves:
            choices.append(config[index])
        local.append(sorted(set(choices)))
    for index, moves in enumerate(per_region):
        others_can_stay = all(
            any(m.kind != "exit" for m in other) for j, other in enumerate(per_region) if j != index
        )
        if others_can_stay:
            yield from (m.config for m in sorted(moves, key=_move_key) if m.kind == "restart")
    if all(local):
        yield from _product(local)


def _move_key(move: _Move) -> tuple[str, str, Config]:
    return (move.kind, move.leaf, move.config)


def _product(choices: list[list[str]]) -> Iterator[Config]:
    if not choices:
        yield ()
        return
    for head in choices[0]:
        for rest in _product(choices[1:]):
            yield (head, *rest)


def explore(
    machine: ir.Machine,
    parallel: str,
    limit: int = DEFAULT_LIMIT,
    *,
    track_races: bool = True,
    index: _Index | None = None,
    graph: MachineGraph | None = None,
) -> Exploration:
    """Search the product of `parallel`'s regions breadth-first, visiting at most `limit` configurations."""
    graph = graph or MachineGraph(machine)
    product = _Product(machine, graph, parallel, index or _Index.of(machine))
    result = Exploration(parallel, product.regions, product.initial)
    nested = product.nested_parallel()
    if nested is not None:
        result.complete = False
        result.skipped = f"region `{nested[0]}` holds the nested parallel state `{nested[1]}`"
        return result
    if not product.regions or any(not leaf for leaf in product.initial):
        result.complete = False
        result.skipped = "a region has no initial state"
        return result
    result.parents[product.initial] = None
    queue: deque[Config] = deque([product.initial])
    while queue:
        config = queue.popleft()
        if result.join is None and product.is_join(config):
            result.join = config
        for successor, text in product.successors(config, result.races if track_races else None):
            if successor in result.parents:
                continue
            if len(result.parents) >= limit:
                result.complete = False
                return result
            result.parents[successor] = (config, text)
            queue.append(successor)
    return result


def _limit(settings: Mapping[str, str]) -> int:
    try:
        value = int(settings.get(LIMIT_SETTING, DEFAULT_LIMIT))
    except ValueError:
        return DEFAULT_LIMIT
    return value if value > 0 else DEFAULT_LIMIT


def _joins(index: _Index, parallel: str) -> list[ir.Transition]:
    return [t for t in index.internal.get(parallel, []) if t.kind == "completion"]


def _finals(graph: MachineGraph, region: str) -> list[str]:
    return [c for c in graph.states[region].children if graph.states[c].kind == "final"]


def _region_can_complete(graph: MachineGraph, region: str) -> bool:
    """Search inside the region only: from its initial leaves to one of its own final children."""
    inside = set(graph.descendants[region])
    finals = set(_finals(graph, region))
    seen = set(graph.enter(region))
    queue = deque(seen)
    while queue:
        leaf = queue.popleft()
        if leaf in finals:
            return True
        for edge in graph.exits(leaf):
            if edge.target in inside and edge.target not in seen:
                seen.add(edge.target)
                queue.append(edge.target)
    return False


def _parallels(machine: ir.Machine) -> list[ir.State]:
    return [s for s in machine.states if s.kind == "parallel"]


# --------------------------------------------------------------------------- SW801


class RegionCompletionRule:
    """SW801: every region with final states can reach one of them from its initial state."""

    name = "region-completion"
    family = FAMILY
    codes: tuple[str, ...] = (REGION_CANNOT_COMPLETE.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Search each region's own graph from its initial state."""
        graph = graph_of(context.run_for(machine))
        for parallel in _parallels(machine):
            for region in parallel.children:
                finals = _finals(graph, region)
                if not finals or _region_can_complete(graph, region):
                    continue
                listed = ", ".join(f"`{f}`" for f in finals)
                yield Diagnostic.of(
                    REGION_CANNOT_COMPLETE,
                    f"region `{region}` of `{parallel.name}` can never reach its final state "
                    f"({listed}) from its initial state",
                    _file(machine),
                    graph.states[region].span,
                    counterexample=graph.path_to(region),
                )


# --------------------------------------------------------------------------- SW802, SW803, SW804


class ProductRule:
    """SW802 (join deadlock), SW803 (partial exploration) and SW804 (race candidates)."""

    name = "parallel-product"
    family = FAMILY
    codes: tuple[str, ...] = (JOIN_DEADLOCK.code, EXPLORATION_PARTIAL.code, RACE_CANDIDATE.code)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Explore each parallel state's product; report joins that cannot fire and races."""
        graph = graph_of(context.run_for(machine))
        limit = _limit(context.settings)
        index = _Index.of(machine)
        for parallel in _parallels(machine):
            joins = _joins(index, parallel.name)
            structural = False
            for region in parallel.children:
                if joins and not _finals(graph, region):
                    structural = True
                    yield Diagnostic.of(
                        JOIN_DEADLOCK,
                        f"region `{region}` of `{parallel.name}` has no final state, so the join "
                        f"`done -> {joins[0].target}` can never fire",
                        _file(machine),
                        graph.states[region].span,
                        help=f"add a final state to `{region}` and a way to reach it",
                        counterexample=graph.path_to(region),
                    )
            result = explore(
                machine,
                parallel.name,
                limit,
                track_races=parallel.role != "approval",
                index=index,
                graph=graph,
            )
            yield from self._report(machine, graph, parallel, result, joins, structural)

    def _report(
        self,
        machine: ir.Machine,
        graph: MachineGraph,
        parallel: ir.State,
        result: Exploration,
        joins: list[ir.Transition],
        structural: bool,
    ) -> Iterator[Diagnostic]:
        if not result.complete:
            reason = (
                f"product of `{parallel.name}` not explored: {result.skipped}; it is explored on its own"
                if result.skipped
                else f"exploration of `{parallel.name}` stopped at {len(result.parents)} configurations; "
                "results are partial"
            )
            yield Diagnostic.of(
                EXPLORATION_PARTIAL,
                reason,
                _file(machine),
                parallel.span,
                counterexample=graph.path_to(parallel.name),
            )
        regions_ok = all(_region_can_complete(graph, r) for r in parallel.children)
        if joins and result.complete and result.join is None and not structural and regions_ok:
            yield Diagnostic.of(
                JOIN_DEADLOCK,
                f"the join of `{parallel.name}` (`done -> {joins[0].target}`) can never fire: each "
                "region can finish on its own, but no reachable combination has every region in "
                f"a final state ({len(result.parents)} configurations explored)",
                _file(machine),
                joins[0].span,
                help="look for an event that moves one region to its final state and another away "
                "from its own; give the regions separate events or order them",
                counterexample=graph.path_to(parallel.name),
            )
        for event in sorted(result.races):
            race = result.races[event]
            names = " and ".join(f"`{r}`" for r in race.regions)
            yield Diagnostic.of(
                RACE_CANDIDATE,
                f"race candidate: event `{event}` is handled by regions {names} of "
                f"`{parallel.name}` at the same time",
                _file(machine),
                race.transitions[0].span,
                related=[
                    Related(_file(machine), t.span, f"`{event}` is also handled here")
                    for t in race.transitions[1:]
                ],
                counterexample=(*(graph.path_to(parallel.name) or ()), *result.path(race.config)),
                witness=tuple(zip(result.regions, race.config, strict=True)),
            )


# --------------------------------------------------------------------------- SW805


class FinalDeadEndRule:
    """SW805: a reachable final child of a state that has nothing to complete into."""

    name = "final-child-dead-end"
    family = FAMILY
    codes: tuple[str, ...] = (FINAL_DEAD_END.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report reachable final children of compounds without `done` and regions without a join."""
        graph = graph_of(context.run_for(machine))
        completing = {t.source for t in machine.transitions if t.kind == "completion" and t.target}
        for state in machine.states:
            if state.kind != "final" or state.parent is None or state.name not in graph.reachable:
                continue
            owner = graph.states[state.parent]
            if owner.kind != "compound":
                continue
            if owner.parent is not None and graph.states[owner.parent].kind == "parallel":
                if owner.parent in completing:
                    continue
                message = (
                    f"final state `{state.name}` of region `{owner.name}` is reachable, but "
                    f"`{owner.parent}` has no join (`done -> State`): reaching it completes nothing"
                )
                fix = f"add `done -> State` to `{owner.parent}`"
            elif owner.name in completing:
                continue
            else:
                message = (
                    f"final state `{state.name}` of `{owner.name}` is reachable, but `{owner.name}` has "
                    "no `done -> State`: reaching it completes nothing"
                )
                fix = f"add `done -> State` to `{owner.name}`, or make `{state.name}` an ordinary state"
            if not any(True for _ in graph.exits(state.name)):
                message += ", and nothing leaves it: a dead end"
            yield Diagnostic.of(
                FINAL_DEAD_END,
                message,
                _file(machine),
                state.span,
                help=fix,
                counterexample=graph.path_to(state.name),
            )


@hookimpl
def statewright_rules() -> list[Rule]:
    """Return the parallel and compound rules (SW801–SW805)."""
    return [RegionCompletionRule(), ProductRule(), FinalDeadEndRule()]
