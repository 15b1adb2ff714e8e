"""Guard rules (SW401–SW404, SW409), proved with z3: satisfiable, exclusive, exhaustive.

Guards are grouped the way the machine chooses among them: the transitions of one
state on one event (or on one of `always`, `done`, `error`, `completion`,
`timeout`). Every obligation is decided by `compiler.smt.analysis` under the
context's declared domain (types, bounds, enum members, the 64-bit int range)
and the invariants; every refutation carries a witness context, checked against
the runtime's own guard evaluator before it is reported.

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

from statewright.compiler import ir
from statewright.compiler.expr_text import quote, render, render_value
from statewright.compiler.smt import DEFAULT_TIMEOUT_MS
from statewright.compiler.smt.analysis import GuardAnalysis, Outcome, analysis_of, negation
from statewright.compiler.smt.prover import Witness
from statewright.compiler.verify.graph import MachineGraph, graph_of
from statewright.compiler.verify.rules.structure import Resolution, index_of
from statewright.diagnostics import Code, Diagnostic, Related, Severity, register
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.hookspecs import hookimpl
from statewright.semantics.values import holds
from statewright.source import Span

FAMILY = "guards"
TIMEOUT_SETTING = "smt_timeout_ms"
"""The `RuleContext.settings` key of the per-query solver time limit, in milliseconds."""

DEAD_GUARD = register(
    Code(
        "SW401",
        "dead-guard",
        Severity.ERROR,
        "guard can never hold",
        "no context allowed by the declared types, bounds and invariants satisfies it, so the "
        "transition is dead: fix the guard or the bounds, or remove the transition",
    )
)
OVERLAPPING_GUARDS = register(
    Code(
        "SW402",
        "overlapping-guards",
        Severity.ERROR,
        "guards of one state and event can hold together",
        "make the guards exclude each other (add `and not (...)`), or turn one into `else`",
    )
)
GUARDS_NOT_EXHAUSTIVE = register(
    Code(
        "SW403",
        "guards-not-exhaustive",
        Severity.WARNING,
        "no guard holds in some contexts and nothing else decides the event",
        'add an `else` branch, widen a guard, or refuse the rest explicitly (`reject EVENT "why"`)',
    )
)
CHOICE_MAY_STALL = register(
    Code(
        "SW404",
        "choice-may-stall",
        Severity.ERROR,
        "guarded choice has no way out in some contexts",
        "add an unguarded (or `else`) branch, or make the guards cover every context",
    )
)
SOLVER_UNKNOWN = register(
    Code(
        "SW409",
        "solver-unknown",
        Severity.WARNING,
        "the solver could not decide a guard property",
        "simplify the expression (products of two fields are hard to decide), or raise the time "
        "limit with `--smt-timeout MS`",
    )
)


# --------------------------------------------------------------------------- shared helpers


def file_of(machine: ir.Machine) -> str:
    """The file name findings about `machine` carry."""
    return machine.source or machine.name


def timeout_of(context: RuleContext) -> int:
    """The per-query solver time limit the run asked for, in milliseconds."""
    raw = context.settings.get(TIMEOUT_SETTING)
    try:
        return max(1, int(raw)) if raw is not None else DEFAULT_TIMEOUT_MS
    except ValueError:
        return DEFAULT_TIMEOUT_MS


def analysis_for(machine: ir.Machine, context: RuleContext) -> GuardAnalysis:
    """The run's shared analysis of `machine`."""
    return analysis_of(machine, timeout_of(context))


def format_witness(witness: Witness, machine: ir.Machine) -> tuple[tuple[str, str], ...]:
    """A witness as (field, value) pairs written in the guard language (strings quoted)."""
    types = {f.name: f.type.name for f in machine.context}
    return tuple(
        (name, quote(str(value)) if types.get(name) == "string" else render_value(value))
        for name, value in witness
    )


def witness_text(witness: Witness, machine: ir.Machine) -> str:
    """A witness as `a = 1, b = "x"`, or `any context` when it constrains nothing."""
    pairs = format_witness(witness, machine)
    return ", ".join(f"{name} = {value}" for name, value in pairs) if pairs else "any context"


def unknown(machine: ir.Machine, what: str, outcome: Outcome, span: Span) -> Diagnostic:
    """The SW409 finding for an obligation z3 could not decide."""
    return Diagnostic.of(
        SOLVER_UNKNOWN,
        f"could not prove or refute that {what}: {outcome.reason}",
        file_of(machine),
        span,
    )


def counterexample(graph: MachineGraph, state: str, event: str | None) -> tuple[str, ...] | None:
    """The shortest event path into `state`, then `event`; None when `state` is unreachable."""
    leaves = graph.descendants.get(state, ())
    for leaf in leaves:
        if leaf in graph.reachable:
            path = graph.path_to(leaf)
            if path is not None:
                return (*path, event) if event else path
    return None


@dataclass(frozen=True, slots=True)
class Group:
    """The transitions among which one state chooses on one event (or one eventless kind)."""

    source: str
    kind: ir.TransitionKind
    event: str | None
    transitions: tuple[ir.Transition, ...]

    @property
    def guarded(self) -> tuple[ir.Transition, ...]:
        """The transitions with a guard (not `else`)."""
        return tuple(t for t in self.transitions if t.guard is not None and not t.is_else)

    @property
    def open(self) -> bool:
        """True when every transition is guarded: no `else`, nothing unconditional."""
        return len(self.guarded) == len(self.transitions)

    def what(self) -> str:
        """`event \\`go\\`` or `\\`always\\``, for messages."""
        return f"event `{self.event}`" if self.kind == "event" else f"`{self.kind}`"


_GROUPS: list[tuple[ir.Machine, tuple[Group, ...]]] = []


def groups_of(machine: ir.Machine) -> tuple[Group, ...]:
    """Every group with at least one guarded transition, in IR order (built once per machine)."""
    for cached, groups in _GROUPS:
        if cached is machine:
            return groups
    found: dict[tuple[str, str, str | None], list[ir.Transition]] = {}
    guarded: set[tuple[str, str, str | None]] = set()
    for transition in machine.transitions:
        key = (transition.source, transition.kind, transition.event)
        found.setdefault(key, []).append(transition)
        if transition.guard is not None and not transition.is_else:
            guarded.add(key)
    result = tuple(
        Group(source, kind, event, tuple(found[(source, kind, event)]))  # type: ignore[arg-type]
        for (source, kind, event) in found
        if (source, kind, event) in guarded
    )
    _GROUPS[:] = [(machine, result)]
    return result


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
        """Ask, for each guarded transition, for a context in which its guard holds."""
        analysis = analysis_for(machine, context)
        for group in groups_of(machine):
            for transition in group.guarded:
                assert transition.guard is not None
                outcome = analysis.record("satisfiable", analysis.satisfiable(transition.guard))
                text = render(transition.guard)
                if outcome.refuted:
                    yield Diagnostic.of(
                        DEAD_GUARD,
                        f"guard `{text}` on {group.what()} in `{group.source}` can never hold",
                        file_of(machine),
                        transition.span,
                    )
                elif outcome.verdict == "unknown":
                    yield unknown(machine, f"guard `{text}` can hold", outcome, transition.span)


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
        graph = graph_of(machine)
        for group in groups_of(machine):
            guarded = group.guarded
            if len(guarded) < 2:
                continue
            outcome = analysis.record("exclusive", analysis.exclusive(guards(guarded)))
            where = f"{group.what()} in `{group.source}`"
            if outcome.verdict == "unknown":
                yield unknown(machine, f"the guards on {where} exclude each other", outcome, guarded[1].span)
                continue
            if not outcome.refuted:
                continue
            values = dict(outcome.witness)
            both = [t for t in guarded if t.guard is not None and holds(t.guard, values)]
            if len(both) < 2:  # the evaluator disagrees with z3: report what z3 said, on every guard
                both = list(guarded)
            first, second = both[0], both[1]
            assert first.guard is not None and second.guard is not None
            yield Diagnostic.of(
                OVERLAPPING_GUARDS,
                f"guards on {where} overlap: `{render(first.guard)}` and `{render(second.guard)}` "
                f"both hold when {witness_text(outcome.witness, machine)}",
                file_of(machine),
                second.span,
                related=[Related(file_of(machine), t.span, "also holds") for t in (first, *both[2:])],
                counterexample=counterexample(graph, group.source, group.event),
                witness=format_witness(outcome.witness, machine),
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
        graph = graph_of(machine)
        for group in groups_of(machine):
            if not group.open:
                continue
            if group.kind == "event":
                yield from self._event_gap(machine, context, analysis, graph, group)
            else:
                yield from self._stall(machine, analysis, graph, group)

    def _stall(
        self, machine: ir.Machine, analysis: GuardAnalysis, graph: MachineGraph, group: Group
    ) -> Iterator[Diagnostic]:
        outcome = analysis.record("exhaustive", analysis.exhaustive(guards(group.transitions)))
        where = f"{group.what()} in `{group.source}`"
        if outcome.verdict == "unknown":
            yield unknown(machine, f"some guard on {where} always holds", outcome, group.transitions[0].span)
        elif outcome.refuted:
            yield Diagnostic.of(
                CHOICE_MAY_STALL,
                f"no guard on {where} holds when {witness_text(outcome.witness, machine)}: "
                "the workflow would stop there",
                file_of(machine),
                group.transitions[0].span,
                related=[Related(file_of(machine), t.span, "guarded branch") for t in group.transitions[1:]],
                counterexample=counterexample(graph, group.source, None),
                witness=format_witness(outcome.witness, machine),
            )

    def _event_gap(
        self,
        machine: ir.Machine,
        context: RuleContext,
        analysis: GuardAnalysis,
        graph: MachineGraph,
        group: Group,
    ) -> Iterator[Diagnostic]:
        assert group.event is not None
        own = analysis.exhaustive(guards(group.transitions))
        if own.proved:
            analysis.record("exhaustive", own)
            return
        index = index_of(machine)
        checked: set[tuple[ir.Expr, ...]] = set()
        for leaf in graph.descendants.get(group.source, ()):
            state = graph.states[leaf]
            if state.kind == "final" or leaf not in graph.reachable:
                continue
            passes = _open_levels(index.resolve(leaf, group.event))
            if passes is None or passes[0][0] != group.source:  # reported at its innermost open level
                continue
            levels, level_guards = passes
            if level_guards in checked:
                continue
            checked.add(level_guards)
            outcome = analysis.record("exhaustive", analysis.exhaustive(level_guards))
            where = f"event `{group.event}` in `{group.source}`"
            if outcome.verdict == "unknown":
                yield unknown(
                    machine, f"some guard on {where} always holds", outcome, group.transitions[0].span
                )
                return
            if outcome.refuted:
                severity = Severity.ERROR if context.strict else None
                further = f" or in `{'`, `'.join(levels[1:])}`" if len(levels) > 1 else ""
                yield Diagnostic.of(
                    GUARDS_NOT_EXHAUSTIVE,
                    f"no guard on {where}{further} holds when {witness_text(outcome.witness, machine)}, "
                    f"and nothing else decides `{group.event}` there",
                    file_of(machine),
                    group.transitions[0].span,
                    severity=severity,
                    related=[
                        Related(file_of(machine), t.span, "guarded branch") for t in group.transitions[1:]
                    ],
                    counterexample=(*(graph.path_to(leaf) or ()), group.event),
                    witness=format_witness(outcome.witness, machine),
                )
                return
        if not checked:
            analysis.record("exhaustive", own)


def _open_levels(resolution: Resolution) -> tuple[tuple[str, ...], tuple[ir.Expr, ...]] | None:
    """The guarded-only levels an event passes through when no guard holds, and their guards.

    None when some level or state further out decides the event anyway (an
    unguarded transition, `else`, `reject`/`ignore`, or another region).
    """
    owners: list[str] = []
    found: list[ir.Expr] = []
    current: Resolution | None = resolution
    while current is not None and current.outcome == "transition" and current.guarded:
        assert current.owner is not None
        owners.append(current.owner)
        found.extend(guards(current.transitions))
        if current.refusals:
            return None
        current = current.fallback
    if current is None or current.outcome != "unhandled" or not owners:
        return None
    return tuple(owners), tuple(found)


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
    "analysis_for",
    "file_of",
    "format_witness",
    "groups_of",
    "guards",
    "negation",
    "timeout_of",
    "unknown",
    "witness_text",
]
