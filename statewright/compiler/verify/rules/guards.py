"""Guard rules (SW401–SW404, SW409), proved with z3: satisfiable, exclusive, exhaustive.

Guards are grouped the way the machine chooses among them: the transitions of one
state on one event (or on one of `always`, `done`, `completion`, `timeout`; the
`error` transitions per caught error name, and the catch-alls, as
`Dispatch.caught` tries them). What a transition receives (its event's payload,
its work's result, the failure: `semantics.inputs`) is free within its declared
domain, so "some context" below means some context and some input, and a
witness names both (`a = 1, submit(amount=10001.00)`). An error group no guard
takes is no stall: the failure goes on to the catch-alls, or fails the instance.
Every obligation is decided by `compiler.smt.analysis` under the context's
declared domain (types, bounds, enum members, the 64-bit int range) and the
invariants; every refutation carries a witness context, checked against the
runtime's own guard evaluator before it is reported.

- SW401 `dead-guard` (error): a guard no context satisfies; its transition is dead.
- SW402 `overlapping-guards` (error): two guards of one group hold together, so the
  machine would be non-deterministic. Witness: the context; counterexample: the
  event path into the state, then the event.
- SW403 `guards-not-exhaustive` (completeness; warning, error with `--strict`): an
  event decided only by guards, with no `else`, no `reject`/`ignore` beside them and
  nothing further out that decides it, in a context no guard accepts. This is the
  guard-aware half of completeness: SW311 reports pairs nothing mentions, SW403 the
  pairs whose guards leave a gap. A level whose guards are not exhaustive passes
  the event outwards, as the `table` target shows, so the gap is reported only when
  every level the event passes through leaves it.
- SW404 `choice-may-stall` (error): `always`/`done`/`error`/`completion`/`timeout`
  transitions that are all guarded, in a context where none holds: the machine
  would stop there.
- SW409 `solver-unknown` (warning): z3 could not decide an obligation within the
  time limit (`--smt-timeout`); the property is neither proved nor refuted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from statewright import ir
from statewright.compiler.smt.analysis import GuardAnalysis, Outcome
from statewright.compiler.verify.graph import MachineGraph, graph_of
from statewright.compiler.verify.rules.proofs import (
    FAMILY,
    Trigger,
    analysis_for,
    counterexample,
    file_of,
    format_witness,
    trigger_of,
    unconfirmed,
    unknown,
    witness_text,
)
from statewright.diagnostics import Diagnostic, Related, Severity
from statewright.diagnostics.catalog.guards import (
    CHOICE_MAY_STALL,
    DEAD_GUARD,
    GUARDS_NOT_EXHAUSTIVE,
    OVERLAPPING_GUARDS,
)
from statewright.ir.text import render
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.hookspecs import hookimpl
from statewright.semantics.dispatch import Dispatch, Handling
from statewright.semantics.inputs import all_inputs, input_name
from statewright.semantics.values import holds


@dataclass(frozen=True, slots=True)
class Group:
    """The transitions among which one state chooses on one event (or one eventless kind).

    `inputs` are what every transition of the group reads besides the context
    (the event's payload, the work's result, the failure): free variables of
    every obligation about the group. A state's `error` transitions form a group
    per error name they catch, and one of catch-alls, as `Dispatch.caught` tries
    them; `known` is what holds of the failure whenever the group is tried
    (`error.name == "PaymentDeclined"`; for the catch-alls, not a name a catch
    of the state always takes).
    """

    source: str
    kind: ir.TransitionKind
    event: str | None
    transitions: tuple[ir.Transition, ...]
    inputs: tuple[ir.ContextField, ...] = ()
    known: tuple[ir.Expr, ...] = ()

    def condition(self, transition: ir.Transition) -> ir.Expr | None:
        """When `transition` applies once tried: its guard, with what the group knows of its inputs."""
        if transition.guard is None:
            return None
        found = transition.guard
        for fact in reversed(self.known):
            found = ir.BinOp("and", fact, found, "bool")
        return found

    @property
    def guarded(self) -> tuple[ir.Transition, ...]:
        """The transitions with a guard (not `else`)."""
        return tuple(t for t in self.transitions if t.guard is not None and not t.is_else)

    @property
    def open(self) -> bool:
        """True when every transition is guarded: no `else`, nothing unconditional."""
        return len(self.guarded) == len(self.transitions)

    def conditions(self, transitions: Sequence[ir.Transition]) -> tuple[ir.Expr, ...]:
        """The conditions of `transitions` (which must all have a guard)."""
        return tuple(c for t in transitions if (c := self.condition(t)) is not None)

    def what(self) -> str:
        """`event "go"`, `error "Declined"` or `"always"` (in backticks), for messages."""
        if self.kind == "event":
            return f"event `{self.event}`"
        if self.kind == "error" and self.event is not None:
            return f"error `{self.event}`"
        return f"`{self.kind}`"


Key: TypeAlias = tuple[str, ir.TransitionKind, str | None]


def groups_of(machine: ir.Machine) -> tuple[Group, ...]:
    """Every group with at least one guarded transition, in IR order (the rules share a run's copy)."""
    found: dict[Key, list[ir.Transition]] = {}
    inputs: dict[Key, tuple[ir.ContextField, ...]] = {}
    guarded: set[Key] = set()
    for transition, read in zip(machine.transitions, all_inputs(machine), strict=True):
        key = (transition.source, transition.kind, transition.event)
        found.setdefault(key, []).append(transition)
        inputs.setdefault(key, read)
        if transition.guard is not None and not transition.is_else:
            guarded.add(key)
    return tuple(
        Group(*key, tuple(found[key]), inputs[key], _known(key, found)) for key in found if key in guarded
    )


def _known(key: Key, found: dict[Key, list[ir.Transition]]) -> tuple[ir.Expr, ...]:
    """What holds of a failure whenever the error group `key` is tried (nothing for other kinds)."""
    source, kind, event = key
    if kind != "error":
        return ()
    name = ir.Var(input_name("error", "name"), "string")
    if event is not None:
        return (ir.BinOp("==", name, ir.Lit(event, "string"), "bool"),)
    taken = [
        other
        for (state, other_kind, other), transitions in found.items()
        if state == source and other_kind == "error" and other is not None
        if any(t.guard is None or t.is_else for t in transitions)
    ]
    return tuple(ir.BinOp("!=", name, ir.Lit(other, "string"), "bool") for other in taken)


def guards(transitions: Sequence[ir.Transition]) -> tuple[ir.Expr, ...]:
    """The guards of `transitions` (which must all have one)."""
    return tuple(t.guard for t in transitions if t.guard is not None)


# --------------------------------------------------------------------------- SW401


@dataclass(frozen=True, slots=True)
class SatisfiableGuardRule:
    """SW401: every guard can hold in some context of the declared domain."""

    name: str = "guard-satisfiable"
    family: str = FAMILY
    codes: tuple[str, ...] = ("SW401", "SW409")

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Ask, for each guarded transition, for a context (and inputs) in which its guard holds."""
        analysis = analysis_for(machine, context)
        for group in context.run_for(machine).derive(groups_of):
            for transition in group.guarded:
                condition = group.condition(transition)
                assert transition.guard is not None and condition is not None
                subject = (group.source, group.kind, group.event, render(transition.guard))
                outcome = analysis.record(
                    "satisfiable", subject, analysis.satisfiable(condition, inputs=group.inputs)
                )
                text = render(transition.guard)
                if outcome.refuted:
                    yield Diagnostic.of(
                        DEAD_GUARD,
                        f"guard `{text}` on {group.what()} in `{group.source}` can never hold"
                        f"{_whatever(machine, group)}",
                        file_of(machine),
                        transition.span,
                    )
                elif outcome.verdict == "unknown":
                    yield unknown(machine, f"guard `{text}` can hold", outcome, transition.span)


def _whatever(machine: ir.Machine, group: Group) -> str:
    """What a dead guard's verdict covers besides the context (`, whatever "submit" carries`)."""
    if not group.inputs:
        return ""
    trigger = trigger_of(machine, group.transitions[0], group.inputs)
    if trigger is None:
        return ""
    if trigger.kind == "event":
        return f", whatever `{trigger.name}` carries"
    if trigger.kind == "done":
        return f", whatever `{trigger.name}` returns"
    return ", whatever the error"


def _trigger(machine: ir.Machine, group: Group) -> Trigger | None:
    return trigger_of(machine, group.transitions[0], group.inputs)


# --------------------------------------------------------------------------- SW402


@dataclass(frozen=True, slots=True)
class ExclusiveGuardsRule:
    """SW402: the guards of one group never hold together."""

    name: str = "guard-exclusive"
    family: str = FAMILY
    codes: tuple[str, ...] = ("SW402", "SW409")

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Ask, for each group of two or more guards, for a context where at least two hold."""
        analysis = analysis_for(machine, context)
        graph = graph_of(context.run_for(machine))
        for group in context.run_for(machine).derive(groups_of):
            guarded = group.guarded
            if len(guarded) < 2:
                continue
            subject = (group.source, group.kind, group.event)
            outcome = analysis.record(
                "exclusive", subject, analysis.exclusive(group.conditions(guarded), inputs=group.inputs)
            )
            where = f"{group.what()} in `{group.source}`"
            if outcome.verdict == "unknown":
                yield unknown(machine, f"the guards on {where} exclude each other", outcome, guarded[1].span)
                continue
            if not outcome.refuted:
                continue
            values = dict(outcome.witness)
            both = [t for t in guarded if (c := group.condition(t)) is not None and holds(c, values)]
            if len(both) < 2:
                what = f"the guards on {where} exclude each other"
                yield unconfirmed(analysis, "exclusive", subject, machine, what, guarded[1].span)
                continue
            first, second = both[0], both[1]
            first_guard, second_guard = first.guard, second.guard
            assert first_guard is not None and second_guard is not None
            trigger = _trigger(machine, group)
            yield Diagnostic.of(
                OVERLAPPING_GUARDS,
                f"guards on {where} overlap: `{render(first_guard)}` and `{render(second_guard)}` "
                f"both hold when {witness_text(outcome.witness, machine, trigger)}",
                file_of(machine),
                second.span,
                related=[Related(file_of(machine), t.span, "also holds") for t in (first, *both[2:])],
                counterexample=counterexample(graph, group.source, group.event),
                witness=format_witness(outcome.witness, machine, group.inputs),
            )


# --------------------------------------------------------------------------- SW403 / SW404


@dataclass(frozen=True, slots=True)
class ExhaustiveGuardsRule:
    """SW403/SW404: where only guards decide, some guard holds in every context, or something else decides."""

    name: str = "guard-exhaustive"
    family: str = FAMILY
    codes: tuple[str, ...] = ("SW403", "SW404", "SW409")

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Check every open group: events through the resolution table, eventless choices directly."""
        analysis = analysis_for(machine, context)
        graph = graph_of(context.run_for(machine))
        regions = _RegionEntries(machine, graph)
        for group in context.run_for(machine).derive(groups_of):
            if not group.open or group.kind == "error":
                continue  # an error no catch takes goes to the dead letter, or fails the instance
            if group.kind == "event":
                yield from _event_gap(machine, context, analysis, graph, regions, group)
            else:
                yield from _stall(machine, analysis, graph, group)


def _none_hold(guards_: Sequence[ir.Expr], witness: dict[str, ir.Value]) -> bool:
    """The evaluator agrees that no guard holds on the witness."""
    return not any(holds(guard, witness) for guard in guards_)


def _stall(
    machine: ir.Machine, analysis: GuardAnalysis, graph: MachineGraph, group: Group
) -> Iterator[Diagnostic]:
    subject = (group.source, group.kind, group.event)
    found = group.conditions(group.transitions)
    outcome = analysis.record("exhaustive", subject, analysis.exhaustive(found, inputs=group.inputs))
    where = f"{group.what()} in `{group.source}`"
    what = f"some guard on {where} always holds"
    if outcome.verdict == "unknown":
        yield unknown(machine, what, outcome, group.transitions[0].span)
    elif outcome.refuted and not _none_hold(found, dict(outcome.witness)):
        yield unconfirmed(analysis, "exhaustive", subject, machine, what, group.transitions[0].span)
    elif outcome.refuted:
        yield Diagnostic.of(
            CHOICE_MAY_STALL,
            f"no guard on {where} holds when "
            f"{witness_text(outcome.witness, machine, _trigger(machine, group))}: "
            "the workflow would stop there",
            file_of(machine),
            group.transitions[0].span,
            related=[Related(file_of(machine), t.span, "guarded branch") for t in group.transitions[1:]],
            counterexample=counterexample(graph, group.source, None),
            witness=format_witness(outcome.witness, machine, group.inputs),
        )


def _event_gap(
    machine: ir.Machine,
    context: RuleContext,
    analysis: GuardAnalysis,
    graph: MachineGraph,
    regions: _RegionEntries,
    group: Group,
) -> Iterator[Diagnostic]:
    """SW403 for one guarded-only event group, reported once, at its innermost open level."""
    assert group.event is not None
    subject = (group.source, group.kind, group.event)
    own = analysis.exhaustive(guards(group.transitions), inputs=group.inputs)
    if own.proved:
        analysis.record("exhaustive", subject, own)
        return
    dispatch = context.run_for(machine).derive(Dispatch)
    checked: set[tuple[ir.Expr, ...]] = set()
    where = f"event `{group.event}` in `{group.source}`"
    what = f"some guard on {where} always holds (or a state further out decides the rest)"
    for leaf in graph.descendants.get(group.source, ()):
        if graph.states[leaf].kind == "final" or leaf not in graph.reachable:
            continue
        passes = _open_levels(machine, dispatch.handling(leaf, group.event), leaf, regions)
        if passes is None or passes[0][0] != group.source:
            continue
        levels, level_guards = passes
        if level_guards in checked:
            continue
        checked.add(level_guards)
        outcome = analysis.exhaustive(level_guards, inputs=group.inputs)
        if outcome.verdict == "unknown":
            analysis.record("exhaustive", subject, outcome)
            yield unknown(machine, what, outcome, group.transitions[0].span)
            return
        if not outcome.refuted:
            continue
        if not _none_hold(level_guards, dict(outcome.witness)):
            yield unconfirmed(analysis, "exhaustive", subject, machine, what, group.transitions[0].span)
            return
        analysis.record("exhaustive", subject, outcome)
        severity = Severity.ERROR if context.strict else None
        further = f" or in `{'`, `'.join(levels[1:])}`" if len(levels) > 1 else ""
        yield Diagnostic.of(
            GUARDS_NOT_EXHAUSTIVE,
            f"no guard on {where}{further} holds when "
            f"{witness_text(outcome.witness, machine, _trigger(machine, group))}, "
            f"and nothing else decides `{group.event}` there",
            file_of(machine),
            group.transitions[0].span,
            severity=severity,
            related=[Related(file_of(machine), t.span, "guarded branch") for t in group.transitions[1:]],
            counterexample=(*(graph.path_to(leaf) or ()), group.event),
            witness=format_witness(outcome.witness, machine, group.inputs),
        )
        return
    analysis.record("exhaustive", subject, Outcome("proved"))  # every gap is closed further out


class _RegionEntries:
    """What the other regions of a parallel state do with an event: decide it always, or only by guards."""

    def __init__(self, machine: ir.Machine, graph: MachineGraph) -> None:
        self.machine = machine
        self.graph = graph
        self._cache: dict[tuple[str, str, str], tuple[ir.Expr, ...] | None] = {}

    def guards(self, parallel: str, leaf: str, event: str) -> tuple[ir.Expr, ...] | None:
        """The guards on `event` in the other regions of `parallel`; None if one always decides it."""
        graph = self.graph
        region = next(s for s in graph.chain(leaf) if graph.states[s].parent == parallel)
        key = (parallel, region, event)
        if key not in self._cache:
            found: list[ir.Expr] = []
            decided = False
            for other in graph.states[parallel].children:
                if other == region:
                    continue
                for transition in self.machine.transitions:
                    if (
                        transition.kind == "event"
                        and transition.event == event
                        and other in graph.chain(transition.source)
                    ):
                        if transition.guard is None or transition.is_else:
                            decided = True
                        else:
                            found.append(transition.guard)
                decided = decided or any(
                    r.event == event and other in graph.chain(r.state) for r in self.machine.rejects
                )
            self._cache[key] = None if decided else tuple(found)
        return self._cache[key]


def _open_levels(
    machine: ir.Machine, handling: Handling, leaf: str, regions: _RegionEntries
) -> tuple[tuple[str, ...], tuple[ir.Expr, ...]] | None:
    """The guarded-only levels an event passes through when no guard holds, and their guards.

    None when some level or state further out decides the event anyway (an
    unguarded transition, `else`, `reject`/`ignore`, or another region of a
    parallel state that always decides it). Another region that decides it only
    by guards adds its guards: the event is lost only where none of them holds.
    """
    if handling.terminal not in ("no_guard", "other_region") or not handling.levels:
        return None
    owners = tuple(level.state for level in handling.levels)
    found = [machine.transitions[i].guard for level in handling.levels for i in level.written]
    if handling.terminal == "other_region" and handling.region is not None:
        elsewhere = regions.guards(handling.region, leaf, handling.event)
        if elsewhere is None:
            return None
        found.extend(elsewhere)
    return owners, tuple(guard for guard in found if guard is not None)


# --------------------------------------------------------------------------- plugin


RULES: tuple[Rule, ...] = (SatisfiableGuardRule(), ExclusiveGuardsRule(), ExhaustiveGuardsRule())
"""Every rule of this module, in code order."""


@hookimpl
def statewright_rules() -> list[Rule]:
    """Provide the guard rules through the public hook."""
    return list(RULES)


__all__ = [
    "RULES",
    "ExclusiveGuardsRule",
    "ExhaustiveGuardsRule",
    "Group",
    "SatisfiableGuardRule",
    "groups_of",
    "guards",
]
