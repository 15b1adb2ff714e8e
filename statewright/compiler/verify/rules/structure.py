"""Structure, determinism and completeness rules (SW301–SW311), registered as one plugin.

- SW301 `unreachable-state` (reachability, error): a state no event sequence
  enters; reported once per maximal unreachable subtree.
- SW302 `trap-state` (deadlock, error): a reachable leaf from which no
  top-level final state is reachable.
- SW303 `deadlock` (deadlock, error): a reachable non-final leaf with no way out
  at all; reported instead of SW302 for that leaf.
- SW304 `unused-event` (style, warning): a declared external event nothing mentions.
- SW305 `verb-state-name` (style, warning): a user state named like a command
  (`Validate`, `SendEmail`); see `COMMAND_VERBS` for the heuristic.
- SW310 `nondeterministic` (determinism, error): one state, one event, more than
  one unconditional way to handle it.
- SW311 `incomplete` (completeness, warning; error with `strict`): a reachable
  leaf that leaves some external events undecided.

Reachability, traps and deadlocks read the leaf graph of `graph.py` (its docstring
defines the semantics). Every finding about a reachable state carries the shortest
event sequence into it as its counterexample.

Completeness is decided by `semantics.dispatch`, the same walk the runtime and
every engine target take: a leaf decides an event when a level on its walk
outwards writes a transition, `reject` or `ignore` for it; inside a parallel
state, an event that a sibling region mentions counts as meant for that region.
`resolution_table` lists the walk of every leaf × event pair. Two limits, on purpose:

- Guards are not evaluated here. A pair whose only transitions are guarded and
  have no `else` counts as decided by SW311; whether the guards leave a gap that
  nothing further out closes is the SMT rule SW403's question (`rules/guards.py`),
  which walks the same dispatch levels and reports the gap with a witness
  context. The `table` target follows the same levels: it shows the enclosing
  states' entries after a guarded level unless verification proved its guards
  exhaustive. For the same reason SW310 does not report two *guarded* transitions
  on one event: whether they overlap is SW402's question.
- Only external events count for SW311: approval and checkpoint events are only
  meaningful in the states that wait for them, and elsewhere every engine refuses
  them as not allowed (SW960; the table shows `(refused: not awaited here)`). Events
  no state mentions at all are reported once by SW304 rather than once per state by SW311.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from statewright import ir
from statewright.compiler.verify.graph import MachineGraph, graph_of
from statewright.diagnostics import Diagnostic, Related, Severity
from statewright.diagnostics.catalog.structure import (
    DEADLOCK,
    INCOMPLETE,
    NONDETERMINISTIC,
    TRAP,
    UNREACHABLE,
    UNUSED_EVENT,
    VERB_STATE,
)
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.hookspecs import hookimpl
from statewright.plugins.run import VerificationRun
from statewright.semantics.dispatch import Dispatch, Handling


def _file(machine: ir.Machine) -> str:
    return machine.source or machine.name


def _counterexample(graph: MachineGraph, state: str) -> tuple[str, ...] | None:
    """The shortest event path into `state`, or None when it is unreachable."""
    return graph.path_to(state) if state in graph.reachable else None


def _names(items: Iterable[str]) -> str:
    return ", ".join(f"`{item}`" for item in items)


def _owner(states: dict[str, ir.State], name: str) -> str:
    """The nearest state a user wrote (itself unless synthesised, `Owner.part`), for help text."""
    state = states[name]
    while "." in state.name and state.parent is not None:
        state = states[state.parent]
    return state.name


# --------------------------------------------------------------------------- events and their resolution


def mentioned_events(machine: ir.Machine) -> frozenset[str]:
    """Events some transition, refusal or `emit` action names."""
    mentioned: set[str] = set()
    for transition in machine.transitions:
        if transition.kind == "event" and transition.event is not None:
            mentioned.add(transition.event)
        mentioned.update(_emitted(transition.actions))
    mentioned.update(refusal.event for refusal in machine.rejects)
    for state in machine.states:
        mentioned.update(_emitted(state.entry))
        mentioned.update(_emitted(state.exit))
        for soft in state.soft_timeouts:
            mentioned.update(_emitted(soft.actions))
    return frozenset(mentioned)


def _emitted(actions: Iterable[ir.Action]) -> Iterator[str]:
    return (action.event for action in actions if isinstance(action, ir.Emit))


def unresolved(dispatch: Dispatch, leaf: str, events: Iterable[str]) -> tuple[str, ...]:
    """The `events` no level of `leaf` writes anything for and no other region mentions (set lookups only)."""
    decided = dispatch.decided(leaf)
    pending = [event for event in events if event not in decided]
    if not pending:
        return ()
    elsewhere = dispatch.elsewhere(leaf)
    return tuple(event for event in pending if event not in elsewhere)


def resolution_table(
    dispatch: Dispatch, events: Sequence[str] | None = None
) -> dict[tuple[str, str], Handling]:
    """How every leaf decides every event (all declared events unless `events` is given): dispatch's walks.

    Keys are `(leaf, event)` in IR state order, then event order.
    """
    machine = dispatch.machine
    names = [e.name for e in machine.events] if events is None else list(events)
    leaves = [s.name for s in machine.states if s.kind in ("atomic", "final")]
    return {(leaf, event): dispatch.handling(leaf, event) for leaf in leaves for event in names}


# --------------------------------------------------------------------------- SW301 reachability


@dataclass(frozen=True, slots=True)
class UnreachableStateRule:
    """SW301: every state can be entered from the initial state."""

    name: str = "unreachable-state"
    family: str = "reachability"
    codes: tuple[str, ...] = ("SW301",)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report each maximal unreachable subtree once, at its root state."""
        graph = graph_of(context.run_for(machine))
        for state in machine.states:
            if state.name in graph.reachable:
                continue
            if state.parent is not None and state.parent not in graph.reachable:
                continue  # reported with its unreachable ancestor
            nested = " (nor any state inside it)" if state.children else ""
            yield Diagnostic.of(
                UNREACHABLE,
                f"state `{state.name}` can never be entered{nested}: no path from the initial state "
                f"`{machine.initial}` leads to it",
                _file(machine),
                state.span,
            )


# --------------------------------------------------------------------------- SW302/SW303 traps, deadlocks


@dataclass(frozen=True, slots=True)
class TrapRule:
    """SW302/SW303: from every reachable state the workflow can still finish."""

    name: str = "trap-state"
    family: str = "deadlock"
    codes: tuple[str, ...] = ("SW302", "SW303")

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report a reachable leaf without exits as a deadlock, any other unfinishable one as a trap."""
        graph = graph_of(context.run_for(machine))
        states = graph.states
        for leaf in graph.leaves:
            if leaf not in graph.reachable or leaf in graph.can_finish:
                continue
            state = states[leaf]
            path = graph.path_to(leaf)
            if state.kind != "final" and not any(True for _ in graph.exits(leaf)):
                yield Diagnostic.of(
                    DEADLOCK,
                    f"`{leaf}` is not a final state, but nothing leads out of it: "
                    "an instance that gets there is stuck forever",
                    _file(machine),
                    state.span,
                    help=_deadlock_help(states, leaf),
                    counterexample=path,
                )
            else:
                yield Diagnostic.of(
                    TRAP,
                    _trap_message(states, leaf),
                    _file(machine),
                    state.span,
                    help=_trap_help(states, leaf),
                    counterexample=path,
                )


def _deadlock_help(states: dict[str, ir.State], leaf: str) -> str:
    state = states[leaf]
    owner = _owner(states, leaf)
    if state.invoke is not None:
        return (
            f"its work `{state.invoke.action}` has no `done -> Target`; add one, or a transition or a "
            f"`timeout D -> Target` to `{owner}`"
        )
    return (
        f"add a transition or a `timeout D -> Target` to `{owner}` (or to a state containing it), "
        "or make it a `final state`"
    )


def _enclosing(states: dict[str, ir.State], leaf: str) -> tuple[str, str] | None:
    """For a nested final state: (the scope it ends, the state whose `done -> T` would leave it)."""
    parent = states[leaf].parent
    if parent is None:
        return None
    scope = states[parent]
    if scope.role in ("region", "approval_region") and scope.parent is not None:
        return parent, scope.parent
    return parent, parent


def _trap_message(states: dict[str, ir.State], leaf: str) -> str:
    enclosing = _enclosing(states, leaf) if states[leaf].kind == "final" else None
    if enclosing is not None:
        scope, _owner_state = enclosing
        return (
            f"final state `{leaf}` only ends `{scope}`, and from there no final state of the workflow "
            "can be reached: the workflow never finishes"
        )
    return f"no final state can be reached from `{leaf}`: an instance that gets there never finishes"


def _trap_help(states: dict[str, ir.State], leaf: str) -> str:
    enclosing = _enclosing(states, leaf) if states[leaf].kind == "final" else None
    if enclosing is not None:
        _scope, owner = enclosing
        return (
            f"give `{_owner(states, owner)}` a `done -> Target` that leads towards a final state "
            "(or a transition that leaves it)"
        )
    return (
        f"add a transition or a timeout from `{_owner(states, leaf)}`, or from a state it leads to, "
        "towards a final state; the counterexample shows how an instance gets here"
    )


# --------------------------------------------------------------------------- SW304 unused events


@dataclass(frozen=True, slots=True)
class UnusedEventRule:
    """SW304: every declared external event is used by some transition, refusal or emit."""

    name: str = "unused-event"
    family: str = "style"
    codes: tuple[str, ...] = ("SW304",)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report each declared external event nothing mentions."""
        mentioned = mentioned_events(machine)
        for event in machine.events:
            if event.kind == "external" and event.name not in mentioned:
                yield Diagnostic.of(
                    UNUSED_EVENT,
                    f"event `{event.name}` is declared, but no transition, reject, ignore or emit uses it",
                    _file(machine),
                    event.span,
                    help=f"remove `{event.name}` from the `events` block, or handle it where it can arrive",
                )


# --------------------------------------------------------------------------- SW305 verb-named states

# Base forms of common English verbs that, as the *first* word of a state name,
# read as a command. Curated for few false positives: words that are at least as
# common as nouns or adjectives naming a situation are left out on purpose —
# review, draft, quarantine, check, test, process, request, report, order,
# update, release, return, hold, wait, pause, start, stop, finish, complete, open,
# clear, build, run, audit, rollback, retry, refund, reserve, schedule, monitor,
# ... — so that `Review`, `Draft`, `Quarantine` or `Start`/`Finish` pass. Inflected forms (`Validating`,
# `Validated`, `Approval`, `Shipment`) never match, because only base forms are
# listed and the first word must equal one exactly.
COMMAND_VERBS: frozenset[str] = frozenset(
    """
    abort accept acknowledge activate add adjust allocate allow analyse analyze apply
    approve archive ask assemble assess assign attach authenticate authorise authorize begin
    buy calculate cancel capture choose clean clone close collect commit compare compile
    compress compute configure confirm connect consume convert create decide decline decode
    decrypt dedupe deduplicate delete deliver deny deploy destroy detach detect determine
    disable discard dismiss download edit eject emit enable encode encrypt enqueue enrich
    enrol enroll ensure erase escalate evaluate evict execute export extract fetch finalise
    finalize find fix flush forward freeze fulfil fulfill generate get give grab handle
    ingest initialise initialize insert inspect install invite invoke keep kill launch make
    merge migrate modify move normalise normalize notify obtain onboard pack parse pay
    perform persist pick prepare print promote provision prune publish purge push put
    reassign recalculate receive reconcile recover redirect reduce refresh refuse register
    reindex reject reload remind remove rename render renew reopen repeat replace replicate
    reprocess reroute reschedule resend reset resolve restart restore resubmit resume
    retrieve revert revoke rewrite rotate sanitise sanitize save select send settle ship
    sign simulate skip sort spawn split submit subscribe summarise summarize suspend
    synchronise synchronize take terminate throttle tokenise tokenize transform translate
    trim truncate unassign unblock unfreeze unlock unpack unregister unsubscribe upsert
    validate verify withdraw write
    """.split()  # noqa: SIM905 - a word list reads better as words
)

_IRREGULAR: dict[str, str] = {
    "begin": "begun",
    "buy": "bought",
    "choose": "chosen",
    "find": "found",
    "get": "gotten",
    "give": "given",
    "keep": "kept",
    "make": "made",
    "pay": "paid",
    "put": "put",
    "resend": "resent",
    "rewrite": "rewritten",
    "send": "sent",
    "split": "split",
    "take": "taken",
    "withdraw": "withdrawn",
    "write": "written",
}
"""Past participles that do not follow the -ed rules."""

_DOUBLING = frozenset(
    {"commit", "emit", "enrol", "fulfil", "get", "put", "resubmit", "ship", "skip", "submit", "trim"}
)
"""Verbs whose final consonant doubles before -ing/-ed (ship -> shipping, shipped)."""

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def split_words(name: str) -> list[str]:
    """Split a CamelCase, snake_case or mixed name into its words (`SendEMail_now` -> Send, E, Mail, now)."""
    return [word for part in name.split("_") for word in _WORD.findall(part)]


def command_verb(name: str) -> str | None:
    """Return the verb when state name `name` reads as a command (its first word is a listed base form)."""
    if "." in name:
        return None  # synthesised by the compiler (`Owner.part`): the user did not choose it
    words = split_words(name)
    if not words:
        return None
    first = words[0].lower()
    return first if first in COMMAND_VERBS else None


def gerund(verb: str) -> str:
    """Return the -ing form of a listed verb (validate -> validating, ship -> shipping)."""
    if verb in _DOUBLING:
        return verb + verb[-1] + "ing"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")):
        return verb[:-1] + "ing"
    return verb + "ing"


def participle(verb: str) -> str:
    """Return the past participle of a listed verb (validate -> validated, send -> sent)."""
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb in _DOUBLING:
        return verb + verb[-1] + "ed"
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and len(verb) > 1 and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


def _suggestions(name: str, verb: str) -> tuple[str, str]:
    """Rename `name` as an activity (`SendingEmail`) and as a result (`EmailSent`), keeping its style."""
    rest = split_words(name)[1:]
    if "_" in name or name[:1].islower():
        style_rest = [word.lower() for word in rest]
        return "_".join([gerund(verb), *style_rest]), "_".join([*style_rest, participle(verb)])
    cap_rest = [word[:1].upper() + word[1:] for word in rest]
    return (
        "".join([gerund(verb).capitalize(), *cap_rest]),
        "".join([*cap_rest, participle(verb).capitalize()]),
    )


@dataclass(frozen=True, slots=True)
class VerbStateNameRule:
    """SW305: states are named for situations, not commands (a heuristic; see `COMMAND_VERBS`)."""

    name: str = "verb-state-name"
    family: str = "style"
    codes: tuple[str, ...] = ("SW305",)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report each user-named state whose first word is a command verb."""
        for state in machine.states:
            verb = command_verb(state.name)
            if verb is None:
                continue
            activity, result = _suggestions(state.name, verb)
            yield Diagnostic.of(
                VERB_STATE,
                f"state name `{state.name}` reads as a command (`{verb}` is a verb): "
                "states name situations, events name actions",
                _file(machine),
                state.span,
                help=f"rename it, e.g. `{activity}` while the work runs or `{result}` once it is done",
            )


# --------------------------------------------------------------------------- SW310 nondeterminism


@dataclass(frozen=True, slots=True)
class NondeterminismRule:
    """SW310: per state, each event (and `always`, `done`, each caught error) has one unconditional move."""

    name: str = "nondeterminism"
    family: str = "determinism"
    codes: tuple[str, ...] = ("SW310",)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report unguarded duplicates, shadowed guards, two `else`s, and events both taken and refused.

        A refusal beside guarded transitions is no conflict: it decides where no guard holds.
        """
        graph = graph_of(context.run_for(machine))
        file = _file(machine)
        groups: dict[tuple[str, str, str], list[ir.Transition]] = {}
        for transition in machine.transitions:
            if transition.kind == "event" and transition.event is not None:
                groups.setdefault((transition.source, "event", transition.event), []).append(transition)
            elif transition.kind in ("always", "done"):
                groups.setdefault((transition.source, transition.kind, ""), []).append(transition)
            elif transition.kind == "error":  # per caught name, and the catch-alls (`Dispatch.caught`)
                groups.setdefault((transition.source, "error", transition.event or ""), []).append(transition)
        for (source, kind, event), transitions in groups.items():
            if len(transitions) > 1:
                yield from _conflicts(file, source, kind, event, transitions, graph)
        refusals: dict[tuple[str, str], list[ir.Reject]] = {}
        for refusal in machine.rejects:
            refusals.setdefault((refusal.state, refusal.event), []).append(refusal)
        for (state, event), items in refusals.items():
            # beside guarded transitions a refusal decides where no guard holds: no conflict
            handled = [t for t in groups.get((state, "event", event), []) if t.guard is None or t.is_else]
            if not handled and len(items) < 2:
                continue
            path = _counterexample(graph, state)
            if handled:
                first = items[0]
                yield Diagnostic.of(
                    NONDETERMINISTIC,
                    f"state `{state}` both handles `{event}` and has `{first.kind} {event}`",
                    file,
                    first.span,
                    help=f"keep either the transition or the `{first.kind}`: an event is either "
                    "taken or refused in one state",
                    related=[Related(file, t.span, f"`{event}` is handled here") for t in handled],
                    counterexample=path,
                )
            else:
                yield Diagnostic.of(
                    NONDETERMINISTIC,
                    f"state `{state}` refuses `{event}` more than once "
                    f"({' and '.join(f'`{r.kind}`' for r in items)})",
                    file,
                    items[1].span,
                    help="keep one `reject` or `ignore` per event and state",
                    related=[Related(file, items[0].span, "first refusal")],
                    counterexample=path,
                )


def _what(kind: str, event: str) -> str:
    if kind == "always":
        return "the `always` choice"
    if kind == "done":
        return "`done`"
    if kind == "error":
        return f"error `{event}`" if event else "the catch-all `error` (dead letter)"
    return f"`{event}`"


def _conflicts(
    file: str,
    source: str,
    kind: str,
    event: str,
    transitions: list[ir.Transition],
    graph: MachineGraph,
) -> Iterator[Diagnostic]:
    """The SW310 findings of one (state, event) group of two or more transitions."""
    plain = [t for t in transitions if t.guard is None and not t.is_else]
    conditional = [t for t in transitions if t.guard is not None or t.is_else]
    elses = [t for t in transitions if t.is_else]
    if len(plain) < 2 and not (plain and conditional) and len(elses) < 2:
        return
    path = _counterexample(graph, source)
    what = _what(kind, event)
    if len(plain) > 1:
        yield Diagnostic.of(
            NONDETERMINISTIC,
            f"state `{source}` has {len(plain)} transitions on {what} without a guard: "
            "which one fires is undefined",
            file,
            plain[1].span,
            help="add `when` guards that exclude each other (one may be `else`), or keep one transition",
            related=[Related(file, t.span, "also unguarded") for t in (plain[0], *plain[2:])],
            counterexample=path,
        )
    elif plain and conditional:
        yield Diagnostic.of(
            NONDETERMINISTIC,
            f"state `{source}` has an unguarded transition on {what} beside {len(conditional)} guarded "
            "or `else` one(s): whenever a guard holds, two transitions apply",
            file,
            plain[0].span,
            help="give this transition a guard (or make it the `else` branch), or remove the others",
            related=[Related(file, t.span, "shadowed by the unguarded transition") for t in conditional],
            counterexample=path,
        )
    if len(elses) > 1:
        yield Diagnostic.of(
            NONDETERMINISTIC,
            f"state `{source}` has {len(elses)} `else` transitions on {what}",
            file,
            elses[1].span,
            help="keep one `else` per event and state",
            related=[Related(file, t.span, "also `else`") for t in (elses[0], *elses[2:])],
            counterexample=path,
        )


# --------------------------------------------------------------------------- SW311 completeness


@dataclass(frozen=True, slots=True)
class CompletenessRule:
    """SW311: every reachable non-final leaf decides every external event (transition, reject or ignore)."""

    name: str = "completeness"
    family: str = "completeness"
    codes: tuple[str, ...] = ("SW311",)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report each leaf once, listing the events it leaves undecided and the lines that decide them.

        The counterexample is the shortest path into the leaf followed by the first undecided event.
        """
        graph = graph_of(context.run_for(machine))
        severity = Severity.ERROR if context.strict else None
        for leaf, missing in completeness_scope(context.run_for(machine)).gaps:
            state = graph.states[leaf]
            count = f"{len(missing)} events" if len(missing) > 1 else "one event"
            yield Diagnostic.of(
                INCOMPLETE,
                f"state `{leaf}` does not say what happens on {count}: {_names(missing)}",
                _file(machine),
                state.span,
                help=_completeness_help(graph.states, leaf, missing),
                severity=severity,
                counterexample=(*(graph.path_to(leaf) or ()), missing[0]),
            )


@dataclass(frozen=True, slots=True)
class CompletenessScope:
    """What SW311 checks, and what it finds undecided there.

    `leaves`: the reachable non-final leaves that are neither passed through at
    once (an unconditional `always`) nor stuck (SW303); `events`: the external
    events some transition, refusal or emit mentions (others are SW304's);
    `gaps`: each checked leaf with the events it leaves undecided, in IR order.
    """

    leaves: tuple[str, ...]
    events: tuple[str, ...]
    gaps: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def undecided(self) -> int:
        """How many checked (leaf, event) pairs nothing decides."""
        return sum(len(missing) for _, missing in self.gaps)


def completeness_scope(run: VerificationRun) -> CompletenessScope:
    """The leaves and events SW311 checks in `run`'s machine, and the undecided pairs (the report's too)."""
    machine = run.machine
    graph = graph_of(run)
    dispatch = run.derive(Dispatch)
    mentioned = mentioned_events(machine)
    events = tuple(e.name for e in machine.events if e.kind == "external" and e.name in mentioned)
    transient = _transient(machine)
    leaves: list[str] = []
    gaps: list[tuple[str, tuple[str, ...]]] = []
    for leaf in graph.leaves:
        state = graph.states[leaf]
        if state.kind == "final" or leaf not in graph.reachable or leaf in transient:
            continue
        if not any(True for _ in graph.exits(leaf)):
            continue  # a deadlock (SW303): refusing events there would not help
        leaves.append(leaf)
        missing = unresolved(dispatch, leaf, events) if events else ()
        if missing:
            gaps.append((leaf, missing))
    return CompletenessScope(tuple(leaves), events, tuple(gaps))


def _transient(machine: ir.Machine) -> frozenset[str]:
    """Choice states: left at once by their `always` transitions, so no event meets them.

    A state's `always` transitions must always let it out: an unguarded one or an
    `else` does, and where only guards decide, a context no guard takes is SW404
    (an error), not a place where events wait.
    """
    return frozenset(t.source for t in machine.transitions if t.kind == "always")


def _completeness_help(states: dict[str, ir.State], leaf: str, missing: Sequence[str]) -> str:
    owner = _owner(states, leaf)
    where = f"`{owner}`" if owner == leaf else f"`{owner}` (it contains `{leaf}`)"
    lines = "".join(f'\n    reject {event} "why it is refused"  # or: ignore {event}' for event in missing)
    return f"add a transition for each event, or refuse it explicitly in {where} or a state around it:{lines}"


# --------------------------------------------------------------------------- plugin


RULES: tuple[Rule, ...] = (
    UnreachableStateRule(),
    TrapRule(),
    UnusedEventRule(),
    VerbStateNameRule(),
    NondeterminismRule(),
    CompletenessRule(),
)
"""Every rule of this module, in code order."""


@hookimpl
def statewright_rules() -> list[Rule]:
    """Provide the structure, determinism and completeness rules through the public hook."""
    return list(RULES)


__all__ = [
    "COMMAND_VERBS",
    "RULES",
    "CompletenessRule",
    "NondeterminismRule",
    "TrapRule",
    "UnreachableStateRule",
    "UnusedEventRule",
    "VerbStateNameRule",
    "command_verb",
    "gerund",
    "mentioned_events",
    "participle",
    "resolution_table",
    "split_words",
    "unresolved",
]
