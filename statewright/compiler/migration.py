"""Migration safety: whether an instance waiting in each state of an old definition can move to a new one.

A pure function of two IR machines (`analyse`), behind `statewright diff` and
`statewright run migrate`. Each state of OLD (leaf and compound) is kept (the
same name in NEW), renamed (only by NEW's explicit `migrate { Old -> New }` map,
never guessed) or removed, and gets a verdict from the reasons found:

- `unsafe`: no instance waiting there may move: the state is gone, its outgoing
  transitions (events, guards, targets, actions, timeouts) or its invoked work
  changed, its place in the hierarchy changed, a compensation owed for a saga
  step completed before it is gone or changed, or the context changed so that no
  stored context fits (a field removed, retyped, or added without a default);
- `check`: whether an instance may move depends on its stored data, which the
  runtime checks per instance (`runtime/migrate.py`): a narrowed type or a
  changed invariant the SMT layer could not prove implied by OLD's domain and
  invariants, or an approval level whose approvers, quorum, routing or condition
  changed (an instance with votes cast there cannot move; one without may);
- `safe`: nothing an instance waiting there does changes.

Context changes are the workflow's, so they are reported once (`context`) and
count in every state's verdict. The SMT question for them is: do OLD's declared
domain and invariants imply NEW's domain and invariants (new fields at their
defaults)? `none` is a proof, `found` a counterexample context, `unknown` a
timeout; the latter two leave the decision to the per-instance check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

import z3

from statewright import ir
from statewright.compiler.smt.encode import Encoding, Term
from statewright.compiler.smt.prover import Prover
from statewright.diagnostics import Diagnostic
from statewright.diagnostics.catalog.migration import (
    MIGRATE_MAP_AMBIGUOUS,
    MIGRATE_UNKNOWN_STATE,
    MIGRATION_INPUT_INVALID,
    MIGRATION_NEEDS_CHECK,
    STATE_CANNOT_MIGRATE,
    STATE_REMOVED,
)
from statewright.ir.identity import identity
from statewright.ir.text import format_duration, render, render_value
from statewright.semantics.interpret import in_domain
from statewright.source import NO_SPAN, Span

Verdict: TypeAlias = Literal["safe", "check", "unsafe"]
Change: TypeAlias = Literal["kept", "renamed", "removed"]
Blocks: TypeAlias = Literal["all", "context", "votes"]
"""Which instances a reason stops: every one in the state, those whose stored context does not fit
NEW (checked per instance), or those with votes cast at the state's approval level."""


@dataclass(frozen=True, slots=True)
class Reason:
    """One change that matters to an instance waiting in a state."""

    kind: str
    """`removed`, `structure`, `transitions`, `guards`, `timeouts`, `work`, `saga`, `approval`, `context`."""
    text: str
    blocks: Blocks
    file: str = ""
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class StateReport:
    """One state of OLD: what it became in NEW and why an instance there may or may not move."""

    old: str
    new: str | None
    change: Change
    reasons: tuple[Reason, ...]
    span: Span = field(default=NO_SPAN, compare=False)

    @property
    def verdict(self) -> Verdict:
        """`unsafe` if any reason stops every instance, `check` if some stop only some, else `safe`."""
        if any(r.blocks == "all" for r in self.reasons):
            return "unsafe"
        return "check" if self.reasons else "safe"


@dataclass(frozen=True, slots=True)
class Migration:
    """The report: every OLD state's verdict, the context's reasons, and the maps the runtime needs."""

    workflow: str
    old_version: int | None
    new_version: int | None
    old_identity: str
    new_identity: str
    states: tuple[StateReport, ...]
    context: tuple[Reason, ...]
    proved: tuple[str, ...]
    """What the SMT layer proved about the context (for the report)."""
    transitions: Mapping[int, int]
    """OLD transition index -> NEW index, for the outgoing transitions of states whose moves are unchanged."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """Input problems (SW990-SW992): when any is an error, `states` is empty."""

    def state(self, name: str) -> StateReport:
        """The report of OLD's state `name` (KeyError when OLD has none)."""
        for report in self.states:
            if report.old == name:
                return report
        raise KeyError(name)

    def rows(self) -> tuple[tuple[str, str | None, str | None, str | None], ...]:
        """Per OLD state: its NEW name, why every instance there is blocked, why those with votes are.

        Plain data, the shape `runtime.migrate.Plan.of` reads (the runtime does not import the compiler).
        """
        found = []
        for report in self.states:
            blocked = "; ".join(r.text for r in report.reasons if r.blocks == "all") or None
            votes = "; ".join(r.text for r in report.reasons if r.blocks == "votes") or None
            found.append((report.old, report.new, blocked, votes))
        return tuple(found)

    @property
    def ok(self) -> bool:
        """True when the inputs compare and no state is `unsafe`."""
        return not self.diagnostics and all(s.verdict != "unsafe" for s in self.states)


def analyse(old: ir.Machine, new: ir.Machine, old_file: str = "", new_file: str = "") -> Migration:
    """Compare OLD with NEW state by state (see the module docstring); never raises for bad input.

    Input problems (another workflow, no greater `version`, a `migrate` map naming a
    state OLD lacks or colliding with a kept state) are diagnostics on the result.
    """
    old_id, new_id = identity(old), identity(new)
    problems = _input_problems(old, new, old_file, new_file, old_id == new_id)
    empty = Migration(new.name, old.version, new.version, old_id, new_id, (), (), (), {}, tuple(problems))
    if problems:
        return empty
    names = _names(old, new)
    context, proved = _context(old, new, new_file)
    reports: list[StateReport] = []
    transitions: dict[int, int] = {}
    for state in old.states:
        target = names.get(state.name)
        if target is None:
            reason = Reason("removed", f"`{state.name}` is not in the new definition", "all")
            reports.append(StateReport(state.name, None, "removed", (reason,), state.span))
            continue
        change: Change = "kept" if target == state.name else "renamed"
        reasons = _state_reasons(old, new, state, new.state(target), names, transitions)
        reports.append(StateReport(state.name, target, change, (*reasons, *context), state.span))
    return replace(empty, states=tuple(reports), context=context, proved=proved, transitions=transitions)


def diagnostics(migration: Migration, old_file: str) -> list[Diagnostic]:
    """The report as findings: input problems, SW995/SW993 per state that cannot move, SW994 per check."""
    found = list(migration.diagnostics)
    for reason in migration.context:
        if reason.blocks == "context":
            found.append(Diagnostic.of(MIGRATION_NEEDS_CHECK, reason.text, reason.file, reason.span))
    for report in migration.states:
        own = [r for r in report.reasons if r.kind != "context"]
        if report.change == "removed":
            found.append(
                Diagnostic.of(STATE_REMOVED, f"state `{report.old}` was removed", old_file, report.span)
            )
            continue
        blocking = [r for r in report.reasons if r.blocks == "all"]
        if blocking:
            text = "; ".join(r.text for r in blocking)
            found.append(
                Diagnostic.of(
                    STATE_CANNOT_MIGRATE,
                    f"an instance in `{report.old}` cannot move: {text}",
                    old_file,
                    report.span,
                )
            )
        for reason in own:
            if reason.blocks == "votes":
                found.append(
                    Diagnostic.of(
                        MIGRATION_NEEDS_CHECK,
                        f"an instance in `{report.old}` with votes cast cannot move: {reason.text}",
                        old_file,
                        report.span,
                    )
                )
    return found


# --------------------------------------------------------------------------- inputs and names


def _input_problems(
    old: ir.Machine, new: ir.Machine, old_file: str, new_file: str, same: bool
) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    if old.name != new.name:
        problems.append(
            Diagnostic.of(
                MIGRATION_INPUT_INVALID,
                f"the old definition is workflow `{old.name}` and the new one `{new.name}`: an instance "
                "moves only between versions of its own workflow",
                new_file,
                new.span,
            )
        )
    elif same:
        problems.append(
            Diagnostic.of(
                MIGRATION_INPUT_INVALID,
                f"the two definitions of `{new.name}` are the same (identity {new_identity_short(new)}): "
                "there is nothing to migrate",
                new_file,
                new.span,
            )
        )
    elif new.version is None or (old.version is not None and new.version <= old.version):
        problems.append(
            Diagnostic.of(
                MIGRATION_INPUT_INVALID,
                f"the new definition of `{new.name}` has version {new.version}, the old one {old.version}: "
                "a changed spec needs a greater `version`",
                new_file,
                new.span,
            )
        )
    old_states = {s.name for s in old.states}
    renamed = {r.old for r in new.migrations}
    for rename in new.migrations:
        if rename.old not in old_states:
            problems.append(
                Diagnostic.of(
                    MIGRATE_UNKNOWN_STATE,
                    f"`migrate` renames `{rename.old}`, which is not a state of version {old.version} "
                    f"of `{old.name}`",
                    new_file,
                    rename.span,
                )
            )
        elif rename.new in old_states and rename.new not in renamed:
            problems.append(
                Diagnostic.of(
                    MIGRATE_MAP_AMBIGUOUS,
                    f"`migrate` renames `{rename.old}` to `{rename.new}`, but the old definition has a state "
                    f"`{rename.new}` too, which would also be kept as `{rename.new}`",
                    new_file,
                    rename.span,
                )
            )
    return problems


def new_identity_short(machine: ir.Machine) -> str:
    """The first characters of a machine's identity, as reports show it."""
    return identity(machine)[:19] + "…"


def _names(old: ir.Machine, new: ir.Machine) -> dict[str, str]:
    """OLD state name -> its NEW name, for every state that is kept or renamed."""
    renames = {r.old: r.new for r in new.migrations}
    new_states = {s.name for s in new.states}
    names: dict[str, str] = {}
    for state in old.states:
        if state.name in renames:
            names[state.name] = renames[state.name]
        elif state.name in new_states:
            names[state.name] = state.name
    return names


# --------------------------------------------------------------------------- one state


def _state_reasons(
    old: ir.Machine,
    new: ir.Machine,
    before: ir.State,
    after: ir.State,
    names: Mapping[str, str],
    transitions: dict[int, int],
) -> list[Reason]:
    reasons: list[Reason] = []

    def moved(name: str | None) -> str | None:
        return None if name is None else names.get(name, f"<removed {name}>")

    if (
        before.kind != after.kind
        or moved(before.parent) != after.parent
        or moved(before.initial) != after.initial
    ):  # a child added or removed concerns only the instances in that child
        reasons.append(Reason("structure", "its kind or place in the state hierarchy changes", "all"))
    invoke = before.invoke
    if invoke is not None and invoke.retry is not None and invoke.retry.dead_letter is not None:
        invoke = replace(invoke, retry=replace(invoke.retry, dead_letter=moved(invoke.retry.dead_letter)))
    if invoke != after.invoke:
        reasons.append(Reason("work", "the work it invokes (action, key, retries or result) changes", "all"))
    if before.soft_timeouts != after.soft_timeouts:
        reasons.append(Reason("timeouts", "its `warn after` timers change", "all"))
    olds = [(i, t) for i, t in enumerate(old.transitions) if t.source == before.name]
    news = [(i, t) for i, t in enumerate(new.transitions) if t.source == after.name]
    mapped = [replace(t, source=after.name, target=moved(t.target)) for _, t in olds]
    if mapped == [t for _, t in news]:
        transitions.update({o: n for (o, _), (n, _) in zip(olds, news, strict=True)})
    else:
        reasons.extend(_transition_reasons(mapped, [t for _, t in news]))
    reasons.extend(_saga_reasons(old, new, before.name, names))
    reasons.extend(_approval_reasons(old, new, before.name, after.name))
    return reasons


def _transition_reasons(before: list[ir.Transition], after: list[ir.Transition]) -> list[Reason]:
    """What changed among a state's outgoing transitions (each reason stops every instance there)."""
    reasons: list[Reason] = []
    timeouts = [_timeout(t) for t in before if t.kind == "timeout"]
    new_timeouts = [_timeout(t) for t in after if t.kind == "timeout"]
    if timeouts != new_timeouts:
        reasons.append(
            Reason(
                "timeouts",
                f"its timeouts change from {_listing(timeouts)} to {_listing(new_timeouts)}",
                "all",
            )
        )
    labels = sorted({_trigger(t) for t in (*before, *after) if t.kind != "timeout"})
    for label in labels:
        old_moves = [t for t in before if _trigger(t) == label]
        new_moves = [t for t in after if _trigger(t) == label]
        if old_moves == new_moves:
            continue
        old_guards = [_guard(t) for t in old_moves]
        new_guards = [_guard(t) for t in new_moves]
        if old_guards != new_guards:
            text = (
                f"the guards of its `{label}` moves change from {_listing(old_guards)} "
                f"to {_listing(new_guards)}"
            )
            reasons.append(Reason("guards", text, "all"))
        else:
            text = f"its `{label}` moves change (targets, actions or permissions)"
            reasons.append(Reason("transitions", text, "all"))
    if not reasons:  # the same moves in another order: dispatch order is meaning
        reasons.append(Reason("transitions", "the order of its outgoing transitions changes", "all"))
    return reasons


def _timeout(t: ir.Transition) -> str:
    return f"`timeout {format_duration(t.after_ms or 0)} -> {t.target}`"


def _trigger(t: ir.Transition) -> str:
    return t.event if t.kind == "event" and t.event else t.kind


def _guard(t: ir.Transition) -> str:
    if t.is_else:
        return "`else`"
    return "no guard" if t.guard is None else f"`{render(t.guard)}`"


def _listing(items: Sequence[str]) -> str:
    return ", ".join(items) if items else "none"


def _saga_reasons(old: ir.Machine, new: ir.Machine, state: str, names: Mapping[str, str]) -> list[Reason]:
    """The compensations owed at `state` (for steps completed before it) that NEW no longer runs the same."""
    reasons: list[Reason] = []
    for saga in old.sagas:
        current = next((s for s in saga.steps if state in (s.state, s.compensation_state)), None)
        if current is None:
            continue
        done = [s for s in saga.steps if s.index < current.index and s.compensation is not None]
        new_saga = next((g for g in new.sagas if g.state == names.get(saga.state)), None)
        for step in done:
            match = None
            if new_saga is not None:
                match = next((s for s in new_saga.steps if s.action == step.action), None)
            if match is None or (match.compensation, match.compensation_key) != (
                step.compensation,
                step.compensation_key,
            ):
                reasons.append(
                    Reason(
                        "saga",
                        f"the compensation `{step.compensation}` owed for the completed step `{step.action}` "
                        "is gone or changed in the new saga",
                        "all",
                    )
                )
    return reasons


def _approval_reasons(old: ir.Machine, new: ir.Machine, state: str, target: str) -> list[Reason]:
    """A changed approval level at `state`: votes cast there would count differently."""
    for approval in old.approvals:
        for level in approval.levels:
            if level.state != state:
                continue
            found = [(a, lv) for a in new.approvals for lv in a.levels if lv.state == target]
            if not found:
                return [
                    Reason(
                        "approval", "it is no longer an approval level, so votes cast there are lost", "votes"
                    )
                ]
            new_approval, new_level = found[0]
            same = (
                (level.approvers, level.quorum, level.condition, level.number)
                == (new_level.approvers, new_level.quorum, new_level.condition, new_level.number)
                and approval.routing == new_approval.routing
                and approval.delegation == new_approval.delegation
            )
            if not same:
                text = (
                    f"its approval level changes (approvers {', '.join(level.approvers)} "
                    f"quorum {level.quorum} -> approvers {', '.join(new_level.approvers)} "
                    f"quorum {new_level.quorum}, or its routing, "
                    "condition or delegation), so votes cast there would not mean the same"
                )
                return [Reason("approval", text, "votes")]
    return []


# --------------------------------------------------------------------------- the context


def _context(old: ir.Machine, new: ir.Machine, new_file: str) -> tuple[tuple[Reason, ...], tuple[str, ...]]:
    """The context's reasons (every state's) and what was proved about it."""
    reasons: list[Reason] = []
    olds = {f.name: f for f in old.context}
    news = {f.name: f for f in new.context}
    for name, f in olds.items():
        if name not in news:
            reasons.append(
                Reason("context", f"context field `{name}` is removed (its data would be lost)", "all")
            )
        elif news[name].type.name != f.type.name:
            reasons.append(
                Reason(
                    "context",
                    f"context field `{name}` changes type from {f.type.describe()} "
                    f"to {news[name].type.describe()}",
                    "all",
                    new_file,
                    news[name].span,
                )
            )
    for name, f in news.items():
        if name not in olds and f.default is None:
            reasons.append(
                Reason(
                    "context",
                    f"context field `{name}` is added without a default, "
                    "so a stored context has no value for it",
                    "all",
                    new_file,
                    f.span,
                )
            )
    if reasons:
        return tuple(reasons), ()
    added = [
        f"`{n}` = {render_value(f.default)}"
        for n, f in news.items()
        if n not in olds and f.default is not None
    ]
    defaults = (f"new fields take their defaults: {', '.join(added)}",) if added else ()
    reasons_, proved = _proof(old, new, olds, news, new_file)
    return reasons_, (*defaults, *proved)


def _proof(
    old: ir.Machine,
    new: ir.Machine,
    olds: Mapping[str, ir.ContextField],
    news: Mapping[str, ir.ContextField],
    new_file: str,
) -> tuple[tuple[Reason, ...], tuple[str, ...]]:
    """Whether OLD's domain and invariants imply NEW's narrowed domains and invariants."""
    narrowed = [n for n, f in news.items() if n in olds and f.type != olds[n].type]
    if not narrowed and [i.expr for i in new.invariants] == [i.expr for i in old.invariants]:
        return (), ("the context's types and invariants are unchanged",)
    goal_text = _goal_text(old, new, narrowed, olds)
    encoding = Encoding(old)
    env: dict[str, Term] = dict(encoding.variables)
    for name, f in news.items():
        if name not in olds:
            assert f.default is not None
            env[name] = encoding.term(ir.Lit(f.default, f.type.name), {})
    goal = [in_domain(env[n], news[n].type, encoding.algebra) for n in narrowed]
    goal += [encoding.term(i.expr, env) for i in new.invariants]
    if not goal:
        return (), ("the new definition has no invariants and no narrowed types",)
    claim = z3.Not(z3.And(*goal)) if len(goal) > 1 else z3.Not(goal[0])
    search = Prover(encoding).search([claim], list(olds))
    if search.status == "none":
        return (), (f"every context the old definition allows satisfies {goal_text} (proved)",)
    if search.status == "found":
        example = ", ".join(f"{k} = {render_value(v)}" for k, v in search.witness)
        text = (
            f"a context the old definition allows can break {goal_text} (for example {example}); "
            "each instance's stored context is checked"
        )
    else:
        text = (
            f"could not prove that every old context satisfies {goal_text} ({search.reason}); each is checked"
        )
    span = next(
        (f.span for n, f in news.items() if n in narrowed),
        new.invariants[0].span if new.invariants else new.span,
    )
    return (Reason("context", text, "context", new_file, span),), ()


def _goal_text(
    old: ir.Machine, new: ir.Machine, narrowed: list[str], olds: Mapping[str, ir.ContextField]
) -> str:
    parts = [
        f"`{n}: {f.type.describe()}` (was {olds[n].type.describe()})"
        for n in narrowed
        for f in new.context
        if f.name == n
    ]
    before = [i.expr for i in old.invariants]
    parts += [f"`invariant {i.text}`" for i in new.invariants if i.expr not in before]
    return " and ".join(parts)
