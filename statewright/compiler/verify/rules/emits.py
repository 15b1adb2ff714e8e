"""SW312: emitted events that can re-trigger themselves without an external event.

An `emit` raises an event the runtime delivers right after the step. When the
step that handles it emits it again (directly, or through other emitted
events), one external event starts an endless cascade: `on ping -> A { emit
ping emit ping }` in `A` doubles its work at every round. The rule builds the
emit graph over (active leaf, pending event) pairs, read from
`semantics.dispatch` (which transitions the leaf takes for the event) and
`semantics.hierarchy` (the states a transition exits and enters, whose exit and
entry actions run with it): an edge leads from (L, e) to (L', e') when a
transition that takes e in L moves to L' and emits e' on the way. A cycle
through a reachable leaf is reported once, as an error when every step on it
is unconditional (the cascade cannot stop), as a warning when a guard decides
some step (it stops only if the guard eventually fails).

Emitted events wait in one first-in-first-out queue; `emit_graph` says when the
graph is exact and how it over-approximates otherwise. It follows one region:
an emitted event that only another region of a parallel state would take is
not followed (an under-approximation; the runtime's bound, SW979, still stops
such a cascade).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from statewright import ir
from statewright.compiler.verify.graph import MachineGraph, graph_of
from statewright.diagnostics import Diagnostic, Severity
from statewright.diagnostics.catalog.structure import EMIT_CYCLE
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.hookspecs import hookimpl
from statewright.semantics.dispatch import Dispatch
from statewright.semantics.graphs import strongly_connected

Node = tuple[str, str]
"""(active leaf, pending emitted event)."""


def _emits(actions: tuple[ir.Action, ...]) -> list[str]:
    return [action.event for action in actions if isinstance(action, ir.Emit)]


def _emitted(graph: MachineGraph, transition: ir.Transition, leaf: str) -> list[str]:
    """Events a transition taken from `leaf` emits: exit actions, its own, then entry actions."""
    states = graph.states
    found: list[str] = []
    if transition.target is not None:
        for name in graph.exit_set([leaf], transition.source, transition.target):
            found += _emits(states[name].exit)
    found += _emits(transition.actions)
    if transition.target is not None:
        for name in graph.entry_set(transition.source, transition.target):
            found += _emits(states[name].entry)
    return found


def emit_graph(machine: ir.Machine, context: RuleContext) -> dict[Node, list[tuple[Node, int, bool]]]:
    """Edges (next node, transition index, whether a guard decides it) from every (leaf, emitted event).

    Emitted events wait in one queue, first in first out. When every step emits at
    most one event the queue never holds two and an emitted event is taken in the
    leaf its step entered: the graph is exact. When some step emits several, a
    later one is taken after the earlier ones (and what they emit) moved the
    instance on, so it may be taken in any leaf that emitted events lead to from
    there: the graph over-approximates, and never misses a cascade.
    """
    run = context.run_for(machine)
    graph = graph_of(run)
    dispatch = run.derive(Dispatch)
    emitted = {e for t in machine.transitions for e in _emits(t.actions)}
    emitted |= {e for s in machine.states for e in _emits(s.entry) + _emits(s.exit)}
    steps: dict[Node, list[tuple[int, bool, tuple[str, ...], list[str]]]] = {}
    for leaf in graph.leaves:
        for event in sorted(emitted):
            handling = dispatch.handling(leaf, event)
            guarded = not (handling.terminal == "taken" and len(handling.candidates) == 1)
            for index in handling.candidates:
                transition = machine.transitions[index]
                targets = (
                    graph.entered(transition.source, transition.target)
                    if transition.target is not None
                    else (leaf,)
                )
                again = _emitted(graph, transition, leaf)
                steps.setdefault((leaf, event), []).append((index, guarded, targets, again))
    several = any(len(again) > 1 for found in steps.values() for _, _, _, again in found)
    moves: dict[str, set[str]] = {}
    for (leaf, _event), found in steps.items():
        for _, _, targets, _ in found:
            moves.setdefault(leaf, set()).update(targets)
    edges: dict[Node, list[tuple[Node, int, bool]]] = {}
    for node, found in steps.items():
        out: list[tuple[Node, int, bool]] = []
        for index, guarded, targets, again in found:
            where = _closure(targets, moves) if several else targets
            out += [((target, event), index, guarded) for event in again for target in where]
        if out:
            edges[node] = out
    return edges


def _closure(start: Iterable[str], moves: dict[str, set[str]]) -> tuple[str, ...]:
    """Leaves reachable from `start` by taking emitted events (`start` included), in a stable order."""
    seen = set(start)
    queue = list(seen)
    while queue:
        for nxt in moves.get(queue.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return tuple(sorted(seen))


def _cycles(edges: dict[Node, list[tuple[Node, int, bool]]]) -> list[list[Node]]:
    """Strongly connected components with a cycle, in a stable order."""
    found: list[list[Node]] = []
    for component in strongly_connected(sorted(edges), lambda node: [n for n, _, _ in edges.get(node, [])]):
        node = component[-1]
        if len(component) > 1 or any(n == node for n, _, _ in edges.get(node, [])):
            found.append(sorted(component))
    return sorted(found)


class EmitCycleRule:
    """SW312: a cycle of emitted events that needs no external event to keep going."""

    name = "emit-cycle"
    family = "deadlock"
    codes: tuple[str, ...] = (EMIT_CYCLE.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report each cycle of the emit graph through a reachable leaf, once."""
        graph = graph_of(context.run_for(machine))
        edges = emit_graph(machine, context)
        for component in _cycles(edges):
            members = set(component)
            if not any(leaf in graph.reachable for leaf, _ in component):
                continue
            inside = [(i, g) for node in component for n, i, g in edges[node] if n in members]
            transition = machine.transitions[min(i for i, _ in inside)]
            guarded = any(g for _, g in inside)
            events = sorted({event for _, event in component})
            leaves = sorted({leaf for leaf, _ in component})
            fan_out = max(sum(1 for n, _, _ in edges[node] if n in members) for node in component)
            how = "doubles its work at every round" if fan_out > 1 else "never stops"
            yield Diagnostic.of(
                EMIT_CYCLE,
                f"emitting {', '.join(f'`{e}`' for e in events)} in {', '.join(f'`{s}`' for s in leaves)} "
                f"re-triggers the same transitions without an external event: the cascade {how}"
                + (" unless a guard stops it" if guarded else ""),
                machine.source or machine.name,
                transition.span,
                severity=Severity.WARNING if guarded else None,
            )


@hookimpl
def statewright_rules() -> list[Rule]:
    """Provide the emit-cycle rule through the public plugin hook."""
    return [EmitCycleRule()]
