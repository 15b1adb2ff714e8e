"""Saga rules (SW5xx): compensations, idempotency keys, the failure path, size, and LIFO order.

What each rule checks, on the saga table (`ir.Saga`) and the lowered graph:

- SW501 every step has a compensation, or is explicitly marked `no_compensation` or `pivot`;
- SW502 every step has an idempotency key, and every compensation its own key;
- SW503 a `compensation_failed -> T` path exists whenever a compensation can fail (a step has a
  compensation or is the pivot), and T can reach a final state: manual intervention, not silence;
- SW504 a saga with more than ten steps is flagged for decomposition;
- SW505 five or more distinct services: recommend one orchestrator that owns the saga;
- SW506 the graph agrees with the table: forward steps in order, compensations in reverse
  (LIFO) order, failures after the pivot and failing compensations to `compensation_failed`.
  The front end builds this by construction; the rule protects IR that was edited by hand or
  imported from another tool;
- SW507 every other way out of a saga, taken where completed compensable steps exist, runs
  their compensations in reverse order before its target (after the pivot: goes to
  `compensation_failed`). The compiler routes event exits so (`lower_saga_exits`); a timeout
  on an enclosing state or a transition of another parallel region cannot be, and is refused;
- SW508 the idempotency key of invoked work (a step, a compensation, an `invoke`) on a loop
  renders the same on every pass when no field it names changes on the loop: the second
  pass would be taken for a replay of the first.

Retry policies on steps are checked by the retries rules (SW7xx), not here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from statewright import ir
from statewright.compiler.lower_saga_exits import Pending, pending_undo
from statewright.compiler.verify.graph import MachineGraph, graph_of
from statewright.diagnostics import Diagnostic, Related
from statewright.diagnostics.catalog.sagas import (
    COMPENSATION_ORDER,
    EXIT_WITHOUT_COMPENSATION,
    KEY_REPEATS_IN_LOOP,
    MANY_SERVICES,
    MISSING_IDEMPOTENCY_KEY,
    NO_COMPENSATION_FAILURE_PATH,
    SAGA_TOO_LONG,
    STEP_WITHOUT_COMPENSATION,
)
from statewright.ir.text import transition_label as label
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.hookspecs import hookimpl
from statewright.semantics.dispatch import Dispatch
from statewright.semantics.graphs import strongly_connected
from statewright.source import Span

MAX_STEPS = 10
"""More steps than this in one saga is an architectural smell (SW504)."""

ORCHESTRATION_SERVICES = 5
"""From this many distinct services on, recommend orchestration (SW505)."""

FAMILY = "sagas"


def _file(machine: ir.Machine) -> str:
    return machine.source or machine.name


def _short(saga: ir.Saga, state: str) -> str:
    """`Fulfilling.refund_card` -> `refund_card` (the name the user wrote)."""
    prefix = saga.state + "."
    return state[len(prefix) :] if state.startswith(prefix) else state


def _needs_failure_path(saga: ir.Saga) -> bool:
    """A compensation can fail, or a step after the pivot can: both need `compensation_failed`."""
    return any(step.compensation_state is not None or step.pivot for step in saga.steps)


# --------------------------------------------------------------------------- SW501


class StepCompensationRule:
    """SW501: every step has a compensation, or says explicitly why it needs none."""

    name = "saga-step-compensation"
    family = FAMILY
    codes: tuple[str, ...] = (STEP_WITHOUT_COMPENSATION.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report steps with neither `compensate`, `no_compensation` nor `pivot`."""
        graph = graph_of(context.run_for(machine))
        for saga in machine.sagas:
            for step in saga.steps:
                if step.compensation is None and step.no_compensation is None and not step.pivot:
                    yield Diagnostic.of(
                        STEP_WITHOUT_COMPENSATION,
                        f"step `{step.action}` of saga `{saga.state}` has no compensation: "
                        "if a later step fails, its effect stays",
                        _file(machine),
                        step.span,
                        help=f"add `compensate undo_{step.action}`, or mark the step "
                        '`no_compensation "why"` (nothing to undo) or `pivot` (the point of no return)',
                        counterexample=graph.path_to(step.state),
                    )


# --------------------------------------------------------------------------- SW502


class IdempotencyKeyRule:
    """SW502: every step and every compensation carries its own idempotency key."""

    name = "saga-idempotency-keys"
    family = FAMILY
    codes: tuple[str, ...] = (MISSING_IDEMPOTENCY_KEY.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report steps without `key` and compensations without `compensate_key`."""
        graph = graph_of(context.run_for(machine))
        for saga in machine.sagas:
            for step in saga.steps:
                if step.key is None:
                    yield Diagnostic.of(
                        MISSING_IDEMPOTENCY_KEY,
                        f"step `{step.action}` of saga `{saga.state}` has no idempotency key: "
                        "a retried or replayed step may run twice",
                        _file(machine),
                        step.span,
                        help=f'add `key "{{workflow_id}}-{step.action}"` (one key per intent)',
                        counterexample=graph.path_to(step.state),
                    )
                if step.compensation is not None and step.compensation_key is None:
                    yield Diagnostic.of(
                        MISSING_IDEMPOTENCY_KEY,
                        f"compensation `{step.compensation}` of step `{step.action}` in saga "
                        f"`{saga.state}` has no idempotency key: a retried compensation may run twice",
                        _file(machine),
                        step.span,
                        help=f'add `compensate_key "{{workflow_id}}-{step.compensation}"` to the step',
                        counterexample=graph.path_to(step.compensation_state or step.state),
                    )


# --------------------------------------------------------------------------- SW503


class CompensationFailureRule:
    """SW503: a failing compensation leads to an outcome (manual intervention), never to silence."""

    name = "saga-compensation-failure"
    family = FAMILY
    codes: tuple[str, ...] = (NO_COMPENSATION_FAILURE_PATH.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report sagas without `compensation_failed`, or whose target cannot finish."""
        graph = graph_of(context.run_for(machine))
        for saga in machine.sagas:
            if not _needs_failure_path(saga):
                continue
            first_undo = next((s.compensation_state for s in saga.steps if s.compensation_state), None)
            target = saga.compensation_failed
            if target is None:
                what = "a compensation" if first_undo is not None else "a step after the pivot"
                yield Diagnostic.of(
                    NO_COMPENSATION_FAILURE_PATH,
                    f"saga `{saga.state}` has no `compensation_failed -> State`: when {what} fails, "
                    "the saga stops silently",
                    _file(machine),
                    saga.span,
                    help=f"add `compensation_failed -> ManualReview` to `{saga.state}`, a state where "
                    "a person settles the saga by hand and which leads to a final state",
                    counterexample=graph.path_to(first_undo or saga.state),
                )
            elif target in graph.states and not _finishes(graph, target):
                yield Diagnostic.of(
                    NO_COMPENSATION_FAILURE_PATH,
                    f"the compensation-failure path of saga `{saga.state}` ends in `{target}`, "
                    "from which no final state can be reached",
                    _file(machine),
                    saga.span,
                    help=f"give `{target}` a way to a final state (for example `on resolved -> ...` "
                    "and a `timeout`), so a failed compensation ends in an outcome",
                    related=[Related(_file(machine), graph.states[target].span, f"`{target}` is here")],
                    counterexample=graph.path_to(target),
                )


def _finishes(graph: MachineGraph, state: str) -> bool:
    """True when every leaf entered with `state` can reach a top-level final state."""
    entered = graph.enter(state)
    return bool(entered) and all(leaf in graph.can_finish for leaf in entered)


# --------------------------------------------------------------------------- SW504, SW505


class SagaSizeRule:
    """SW504 (more than ten steps) and SW505 (five or more services)."""

    name = "saga-size"
    family = FAMILY
    codes: tuple[str, ...] = (SAGA_TOO_LONG.code, MANY_SERVICES.code)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report long sagas and sagas spanning many services."""
        graph = graph_of(context.run_for(machine))
        for saga in machine.sagas:
            if len(saga.steps) > MAX_STEPS:
                yield Diagnostic.of(
                    SAGA_TOO_LONG,
                    f"saga `{saga.state}` has {len(saga.steps)} steps (more than {MAX_STEPS}): "
                    "complexity, debugging and compensation fan-out grow with every step",
                    _file(machine),
                    saga.span,
                    counterexample=graph.path_to(saga.state),
                )
            services = sorted({s.service for s in saga.steps if s.service is not None})
            if len(services) >= ORCHESTRATION_SERVICES:
                yield Diagnostic.of(
                    MANY_SERVICES,
                    f"saga `{saga.state}` spans {len(services)} services ({', '.join(services)}): "
                    "use orchestration",
                    _file(machine),
                    saga.span,
                    help="statewright runs the saga as its orchestrator; name who owns it, give it one "
                    "retry budget, and keep the services from reacting to each other's events directly",
                    counterexample=graph.path_to(saga.state),
                )


# --------------------------------------------------------------------------- SW506

Expected = dict[str, dict[str, frozenset[str]]]
"""source state -> transition kind -> the targets the saga table implies."""


def expected_saga_graph(saga: ir.Saga) -> Expected:
    """Derive, from the saga table alone, the done/error/timeout moves of its step and undo states.

    Steps run in table order (the last one to `done`). A step that fails, or runs past its
    timeout, starts compensation with the latest completed compensable step, or goes straight
    to `compensated` when there is none; after the pivot it goes to `compensation_failed`.
    A compensation that finishes continues with the previous compensable step (reverse order),
    and finally `compensated`; one that fails, or outlasts its step's timeout, goes to
    `compensation_failed`.
    """

    def undo_from(index: int) -> str | None:
        for earlier in reversed(saga.steps[:index]):
            if earlier.compensation_state is not None:
                return earlier.compensation_state
        return saga.compensated

    def moves(**targets: str | None) -> dict[str, frozenset[str]]:
        return {kind: frozenset({t}) if t is not None else frozenset() for kind, t in targets.items()}

    expected: Expected = {}
    pivot_seen = False
    for index, step in enumerate(saga.steps):
        after = saga.steps[index + 1].state if index + 1 < len(saga.steps) else saga.done
        failure = saga.compensation_failed if pivot_seen else undo_from(index)
        expected[step.state] = moves(
            done=after, error=failure, timeout=failure if step.timeout_ms is not None else None
        )
        pivot_seen = pivot_seen or step.pivot
    for index, step in enumerate(saga.steps):
        if step.compensation_state is not None:
            timeout = saga.compensation_failed if step.timeout_ms is not None else None
            expected[step.compensation_state] = moves(
                done=undo_from(index), error=saga.compensation_failed, timeout=timeout
            )
    return expected


class CompensationOrderRule:
    """SW506: the lowered graph implements the saga table, compensations in reverse order."""

    name = "saga-compensation-order"
    family = FAMILY
    codes: tuple[str, ...] = (COMPENSATION_ORDER.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Compare every move out of each step and compensation state with the table."""
        graph = graph_of(context.run_for(machine))
        by_source: dict[str, list[ir.Transition]] = {}
        for transition in machine.transitions:
            by_source.setdefault(transition.source, []).append(transition)
        for saga in machine.sagas:
            yield from self._check_saga(machine, graph, saga, by_source)

    def _check_saga(
        self,
        machine: ir.Machine,
        graph: MachineGraph,
        saga: ir.Saga,
        by_source: dict[str, list[ir.Transition]],
    ) -> Iterator[Diagnostic]:
        expected = expected_saga_graph(saga)
        spans = {s.state: s.span for s in saga.steps}
        spans.update({s.compensation_state: s.span for s in saga.steps if s.compensation_state})
        actual: dict[str, dict[str, list[ir.Transition]]] = {source: {} for source in expected}
        for source in expected:
            for transition in by_source.get(source, []):
                actual[source].setdefault(transition.kind, []).append(transition)
        for source, by_kind in expected.items():
            if source not in graph.states:
                yield Diagnostic.of(
                    COMPENSATION_ORDER,
                    f"the table of saga `{saga.state}` names state `{source}`, which the machine lacks",
                    _file(machine),
                    spans[source],
                    counterexample=graph.path_to(saga.state),
                )
                continue
            # Event moves are not the table's: they are exits, checked by SW507.
            kinds = sorted((set(by_kind) | set(actual[source])) - {"event"})
            for kind in kinds:
                written = actual[source].get(kind, [])
                have = frozenset(t.target for t in written if t.target is not None)
                want = by_kind.get(kind, frozenset())
                if have == want and len(written) == len(want):
                    continue
                yield self._mismatch(machine, graph, saga, source, kind, written, want, spans[source])

    def _mismatch(
        self,
        machine: ir.Machine,
        graph: MachineGraph,
        saga: ir.Saga,
        source: str,
        kind: str,
        written: list[ir.Transition],
        want: frozenset[str],
        fallback: Span,
    ) -> Diagnostic:
        state = graph.states[source]
        move = label(written[0], state) if written else _kind_label(kind, state)
        have_text = _targets(t.target or "(stay)" for t in written) or "nowhere"
        want_text = _targets(want) or "no such move"
        role = "compensation" if state.role == "compensation" else "step"
        why = (
            " (compensations run in reverse order of their steps)"
            if kind in ("error", "timeout") or role == "compensation"
            else " (steps run in the order written)"
        )
        return Diagnostic.of(
            COMPENSATION_ORDER,
            f"in saga `{saga.state}`, {move} of {role} `{_short(saga, source)}` goes to {have_text}, "
            f"but the saga table says {want_text}{why}",
            _file(machine),
            written[0].span if written else fallback,
            counterexample=graph.path_to(source),
        )


def _kind_label(kind: str, state: ir.State) -> str:
    action = state.invoke.action if state.invoke else "work"
    return f"{kind}({action})" if kind in ("done", "error") else kind


def _targets(names: Iterable[str]) -> str:
    return ", ".join(f"`{n}`" for n in sorted(set(names)))


# --------------------------------------------------------------------------- SW507


class SagaExitRule:
    """SW507: leaving a saga early compensates its completed steps first, in reverse order."""

    name = "saga-exit-compensation"
    family = FAMILY
    codes: tuple[str, ...] = (EXIT_WITHOUT_COMPENSATION.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Follow every move out of each saga leaf that owes compensations; report those that skip them."""
        run = context.run_for(machine)
        graph = graph_of(run)
        dispatch = run.derive(Dispatch)
        for saga in machine.sagas:
            reported: set[int] = set()
            for leaf, owed in pending_undo(saga).items():
                if not owed.owes or leaf not in graph.edges:
                    continue
                for index in _exits(machine, graph, dispatch, saga, leaf):
                    exit_ = machine.transitions[index]
                    if index in reported or _unwinds(graph, saga, owed, exit_):
                        continue
                    reported.add(index)
                    yield self._finding(machine, graph, saga, leaf, owed, exit_)

    def _finding(
        self,
        machine: ir.Machine,
        graph: MachineGraph,
        saga: ir.Saga,
        leaf: str,
        owed: Pending,
        exit_: ir.Transition,
    ) -> Diagnostic:
        move = label(exit_, graph.states[exit_.source])
        where = "" if exit_.source == leaf else f" (on `{exit_.source}`)"
        if owed.post_pivot:
            what = (
                f"goes to `{exit_.target}` instead of `{saga.compensation_failed}`, "
                "where the saga sends failures after the pivot"
            )
        else:
            undo = ", ".join(f"`{s.compensation}`" for s in owed.undo)
            what = f"enters `{exit_.target}` without running {undo} first (in that order)"
        role = "compensation" if graph.states[leaf].role == "compensation" else "step"
        path = graph.path_to(leaf)
        return Diagnostic.of(
            EXIT_WITHOUT_COMPENSATION,
            f"`{move}`{where} leaves saga `{saga.state}` from {role} `{_short(saga, leaf)}` and {what}",
            _file(machine),
            exit_.span,
            related=[Related(_file(machine), saga.span, f"saga `{saga.state}` is here")],
            counterexample=None if path is None else (*path, move),
        )


def _exits(
    machine: ir.Machine, graph: MachineGraph, dispatch: Dispatch, saga: ir.Saga, leaf: str
) -> Iterator[int]:
    """Transitions that can leave `saga` while `leaf` is active: events by dispatch, timers, other regions."""
    inside = set(graph.descendants[saga.state]) | {saga.state}
    for event in dispatch.events_at(dispatch.chain(leaf), refusals=False):
        candidates = dispatch.handling(leaf, event).candidates
        copies = {
            (t.guard, t.is_else, t.actions)
            for t in (machine.transitions[i] for i in candidates)
            if t.source == leaf
        }
        for index in candidates:
            transition = machine.transitions[index]
            if transition.target is None:
                continue
            if (
                transition.source != leaf
                and (transition.guard, transition.is_else, transition.actions) in copies
            ):
                continue  # an original the leaf's own copy already decided (same guard, tried first)
            yield index
    for edge in graph.edges[leaf]:
        transition = machine.transitions[edge.transition]
        if transition.kind != "event" and transition.source not in inside:
            yield edge.transition
    for edge in graph.sibling_edges.get(leaf, ()):
        yield edge.transition


def _unwinds(graph: MachineGraph, saga: ir.Saga, owed: Pending, exit_: ir.Transition) -> bool:
    """True when `exit_` runs the owed compensations, latest first, before anything else."""
    if owed.post_pivot:
        return saga.compensation_failed is None or exit_.target == saga.compensation_failed
    ran: list[str] = []
    state = exit_.target
    while state is not None and len(ran) <= len(owed.undo):
        found = graph.states.get(state)
        if found is None or found.role != "compensation" or found.invoke is None:
            break
        ran.append(found.invoke.action)
        state = next(
            (t.target for t in graph.machine.transitions if t.source == state and t.kind == "done"), None
        )
    return ran == [step.compensation for step in owed.undo]


# --------------------------------------------------------------------------- SW508


class KeyLoopRule:
    """SW508: an idempotency key used on a loop changes from one pass to the next."""

    name = "idempotency-key-loop"
    family = FAMILY
    codes: tuple[str, ...] = (KEY_REPEATS_IN_LOOP.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report keys whose placeholders name no field a `set` on their loop changes."""
        graph = graph_of(context.run_for(machine))
        loops = context.run_for(machine).derive(loops_of, graph)
        fields = {f.name for f in machine.context}
        for loop, sites in zip(loops, _key_sites(machine, loops), strict=True):
            for site in sites:
                used = set(_PLACEHOLDER.findall(site.template)) & fields
                if used & loop.assigned:
                    continue
                names = ", ".join(f"`{n}`" for n in sorted(used))
                why = (
                    f"it names {names}, which nothing on the loop changes"
                    if used
                    else "it names no context field"
                )
                yield Diagnostic.of(
                    KEY_REPEATS_IN_LOOP,
                    f'key "{site.template}" of {site.what} renders the same on every pass of a loop '
                    f"through `{site.state}` ({why}): the service takes the next pass for a replay "
                    "of this one and hands back its result",
                    _file(machine),
                    site.span,
                    counterexample=_around(graph, loop, site.leaf),
                )


def _around(graph: MachineGraph, loop: Loop, leaf: str) -> tuple[str, ...] | None:
    """The way to `leaf`, then once around the shortest cycle of `loop` back to it."""
    path = graph.path_to(leaf)
    if path is None:
        return None
    previous: dict[str, tuple[str, str]] = {}
    frontier = [leaf]
    while frontier and leaf not in previous:
        following: list[str] = []
        for node in frontier:
            for edge in graph.edges[node]:
                if edge.target in loop.leaves and edge.target not in previous:
                    previous[edge.target] = (node, edge.label)
                    following.append(edge.target)
        frontier = following
    cycle: list[str] = []
    node = leaf
    while leaf in previous and (node != leaf or not cycle):
        node, text = previous[node]
        cycle.append(text)
    return (*path, *reversed(cycle))


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""A key template's placeholder, as the runtime renders it (`runtime/draft.py`)."""


@dataclass(frozen=True, slots=True)
class Loop:
    """A strongly connected set of leaves with a cycle: its moves and the fields its `set`s change."""

    leaves: frozenset[str]
    transitions: frozenset[int]
    assigned: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Site:
    template: str
    what: str
    state: str
    leaf: str
    span: Span


def loops_of(machine: ir.Machine, graph: MachineGraph) -> tuple[Loop, ...]:
    """The leaf graph's cycles, one per strongly connected component."""
    components = strongly_connected(graph.leaves, lambda leaf: [edge.target for edge in graph.edges[leaf]])
    loops: list[Loop] = []
    for component in components:
        members = frozenset(component)
        moves = frozenset(
            edge.transition for leaf in component for edge in graph.edges[leaf] if edge.target in members
        )
        if not moves:
            continue
        states = {name for leaf in members for name in graph.chain(leaf)}
        actions = [a for i in moves for a in machine.transitions[i].actions]
        for name in states:
            state = graph.states[name]
            actions.extend((*state.entry, *state.exit, *(a for s in state.soft_timeouts for a in s.actions)))
        assigned = frozenset(a.field for a in actions if isinstance(a, ir.Assign))
        loops.append(Loop(members, moves, assigned))
    return tuple(loops)


def _key_sites(machine: ir.Machine, loops: Sequence[Loop]) -> list[list[_Site]]:
    """Every keyed piece of invoked work (a saga step, a compensation, an `invoke`) on each of `loops`.

    A `do` is left out: a notification keyed once per instance (one ticket, however often
    its state is entered) is a common, deliberate choice; invoked work returns a result the
    machine acts on, and a replayed key hands back the first pass's. One pass over the
    states (a leaf is on at most one loop: loops are strongly connected components), each
    loop's sites in the machine's state order.
    """
    loop_of = {leaf: index for index, loop in enumerate(loops) for leaf in loop.leaves}
    sites: list[list[_Site]] = [[] for _ in loops]
    for state in machine.states:
        index = loop_of.get(state.name)
        if state.invoke is None or state.invoke.key is None or index is None:
            continue
        what = f"`{state.invoke.action}`"
        sites[index].append(
            _Site(state.invoke.key, what, state.name, state.name, state.invoke.span or state.span)
        )
    return sites


@hookimpl
def statewright_rules() -> list[Rule]:
    """Return the saga rules (SW501–SW508)."""
    return [
        StepCompensationRule(),
        IdempotencyKeyRule(),
        CompensationFailureRule(),
        SagaSizeRule(),
        CompensationOrderRule(),
        SagaExitRule(),
        KeyLoopRule(),
    ]
