"""Structure, determinism and completeness rules (SW301–SW311).

Each rule has a spec that triggers it (code, span, counterexample asserted) and one
that does not. The property tests at the end compare the leaf graph
(`verify/graph.py`) with a brute-force explorer written here from the language
reference alone: it searches *configurations* (sets of active leaves) under the
hierarchical semantics — an event goes to the innermost state that handles it,
compound states complete through their final children, parallel states enter every
region and join when all regions are final, eventless transitions come first.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st

from statewright import ir
from statewright.compiler.verify import verify
from statewright.compiler.verify.graph import MachineGraph
from statewright.compiler.verify.rules import structure
from statewright.compiler.verify.rules.structure import (
    COMMAND_VERBS,
    RULES,
    CompletenessRule,
    NondeterminismRule,
    TrapRule,
    UnreachableStateRule,
    UnusedEventRule,
    VerbStateNameRule,
    command_verb,
    gerund,
    participle,
    resolution_table,
    split_words,
    unresolved,
)
from statewright.diagnostics import CODES, Diagnostic, Severity
from statewright.pipeline import compile_path, compile_text
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.manager import PluginManager
from statewright.semantics.dispatch import Dispatch
from statewright.source import Span
from tests.conftest import example_files

# --------------------------------------------------------------------------- helpers


def machine_of(text: str) -> ir.Machine:
    """Compile a spec that must be free of front-end findings."""
    result = compile_text(text, "spec.wf")
    assert result.diagnostics == (), result.diagnostics
    assert result.machine is not None
    return result.machine


def findings(rule: Rule, text: str, *, strict: bool = False) -> list[Diagnostic]:
    """Run one rule through the rule runner on a spec."""
    return list(verify(machine_of(text), [rule], RuleContext(strict=strict)))


def where(diagnostic: Diagnostic) -> tuple[str, int, int]:
    """The code and start of a finding."""
    return diagnostic.code, diagnostic.span.line, diagnostic.span.column


# --------------------------------------------------------------------------- registration


def test_codes_are_registered_with_names_severities_and_help() -> None:
    expected = {
        "SW301": ("unreachable-state", Severity.ERROR),
        "SW302": ("trap-state", Severity.ERROR),
        "SW303": ("deadlock", Severity.ERROR),
        "SW304": ("unused-event", Severity.WARNING),
        "SW305": ("verb-state-name", Severity.WARNING),
        "SW310": ("nondeterministic", Severity.ERROR),
        "SW311": ("incomplete", Severity.WARNING),
    }
    for code, (name, severity) in expected.items():
        assert (CODES[code].name, CODES[code].severity) == (name, severity)
        assert CODES[code].title and CODES[code].help
    assert sorted(c for rule in RULES for c in rule.codes) == sorted(expected)


def test_rules_satisfy_the_protocol_and_have_known_families() -> None:
    families = {"reachability", "deadlock", "determinism", "completeness", "style"}
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names)
    for rule in RULES:
        assert isinstance(rule, Rule)
        assert rule.family in families


def test_rules_register_through_the_plugin_hook() -> None:
    manager = PluginManager(builtins=(), plugins=[structure], entry_points=False)
    assert {rule.name for rule in manager.rules()} == {rule.name for rule in RULES}
    assert manager.diagnostics == ()
    machine = machine_of(STUCK)
    assert {d.code for d in verify(machine, manager.rules())} >= {"SW303"}


# --------------------------------------------------------------------------- SW301 unreachable

UNREACHABLE = """\
workflow W {
  events { go }
  initial state Idle { on go -> Done }
  final state Done
  state Orphaned {
    initial state Inner { on go -> Finished }
    final state Finished
    done -> Done
  }
  state Lost { on go -> Orphaned }
}
"""


def test_unreachable_reports_each_maximal_subtree_once_without_counterexample() -> None:
    found = findings(UnreachableStateRule(), UNREACHABLE)
    assert [where(d) for d in found] == [("SW301", 5, 3), ("SW301", 10, 3)]
    assert "`Orphaned`" in found[0].message and "nor any state inside it" in found[0].message
    assert "`Lost`" in found[1].message
    assert all(d.counterexample is None for d in found)
    assert "no counterexample" in found[0].help


def test_reachable_machine_has_no_unreachable_state() -> None:
    clean = UNREACHABLE.replace("on go -> Done }", "on go -> Lost }", 1)
    assert findings(UnreachableStateRule(), clean) == []


# --------------------------------------------------------------------------- SW302 / SW303

TRAP = """\
workflow W {
  events { go, back, quit }
  initial state Start { on go -> Spinning  on quit -> Done }
  state Spinning { on go -> Turning }
  state Turning { on back -> Spinning }
  final state Done
}
"""

STUCK = """\
workflow W {
  events { go, quit }
  initial state Start { on go -> Stuck  on quit -> Done }
  state Stuck
  final state Done
}
"""

NESTED_FINAL = """\
workflow W {
  events { go }
  initial state Outer {
    initial state Working { on go -> Finished }
    final state Finished
  }
  final state Done
}
"""


def test_trap_reports_every_unfinishable_leaf_with_the_shortest_path() -> None:
    found = findings(TrapRule(), TRAP)
    assert [where(d) for d in found] == [("SW302", 4, 3), ("SW302", 5, 3)]
    assert [d.counterexample for d in found] == [("go",), ("go", "go")]
    assert "`Spinning`" in found[0].message


def test_deadlock_replaces_trap_for_a_leaf_without_exits() -> None:
    found = findings(TrapRule(), STUCK)
    assert [where(d) for d in found] == [("SW303", 4, 3)]
    assert found[0].counterexample == ("go",)
    assert "`Stuck`" in found[0].message and "final state" in found[0].help


def test_final_child_of_a_compound_without_done_is_a_trap() -> None:
    found = findings(TrapRule(), NESTED_FINAL)
    assert [where(d) for d in found] == [("SW302", 4, 5), ("SW302", 5, 5)]
    final = found[1]
    assert "only ends `Outer`" in final.message
    assert final.counterexample == ("go",)
    assert "`done -> Target`" in final.help and "`Outer`" in final.help


def test_a_state_left_by_a_parent_transition_is_no_deadlock() -> None:
    spec = """\
workflow W {
  events { go, quit }
  initial state Outer {
    initial state Idle
    on quit -> Done
  }
  final state Done
}
"""
    assert findings(TrapRule(), spec) == []
    assert findings(TrapRule(), TRAP.replace("on back -> Spinning", "on back -> Done")) == []


# --------------------------------------------------------------------------- SW304 unused event


def test_unused_event_points_at_its_declaration() -> None:
    spec = STUCK.replace("events { go, quit }", "events { go, quit, spare }").replace(
        "state Stuck", "state Stuck { on quit -> Done }"
    )
    found = findings(UnusedEventRule(), spec)
    assert [where(d) for d in found] == [("SW304", 2, 22)]
    assert "`spare`" in found[0].message and found[0].counterexample is None


def test_events_used_only_by_emit_or_refusal_count_as_used() -> None:
    spec = """\
workflow W {
  events { go, ping, pong }
  initial state A { on go -> B { emit ping }  ignore pong }
  final state B
}
"""
    assert findings(UnusedEventRule(), spec) == []


# --------------------------------------------------------------------------- SW305 verb-named states


@pytest.mark.parametrize(
    "name",
    ["Validate", "Approve", "Ship", "SendEmail", "Publish", "send_email", "NotifyCustomer", "Withdraw"],
)
def test_command_names_are_flagged(name: str) -> None:
    assert command_verb(name) is not None


@pytest.mark.parametrize(
    "name",
    [
        "Validating",
        "Validated",
        "Approval",
        "Draft",
        "Review",
        "Shipped",
        "ManualReview",
        "Quarantine",
        "Publishing",
        "Shipment",
        "Done",
        "Idle",
        "Start",
        "Release",
        "Fulfilling.reserve_stock",
        "RollbackReady",
        "Open",
        "Complete",
        "Check",
        "Finish",
        "Stop",
        "Clear",
        "Pending",
        "AwaitingApproval",
    ],
)
def test_situation_names_are_not_flagged(name: str) -> None:
    assert command_verb(name) is None


def test_verb_list_is_curated_and_holds_base_forms_only() -> None:
    assert 150 <= len(COMMAND_VERBS) <= 260
    for word in COMMAND_VERBS:
        assert word.isalpha() and word.islower()
        assert not word.endswith("ing")
    assert split_words("SendEMailNow_to_x2") == ["Send", "E", "Mail", "Now", "to", "x", "2"]


@pytest.mark.parametrize(
    ("verb", "forms"),
    [
        ("validate", ("validating", "validated")),
        ("ship", ("shipping", "shipped")),
        ("verify", ("verifying", "verified")),
        ("deny", ("denying", "denied")),
        ("send", ("sending", "sent")),
        ("pay", ("paying", "paid")),
        ("dedupe", ("deduping", "deduped")),
        ("enrol", ("enrolling", "enrolled")),
        ("publish", ("publishing", "published")),
    ],
)
def test_renamings_inflect_the_verb(verb: str, forms: tuple[str, str]) -> None:
    assert (gerund(verb), participle(verb)) == forms


def test_verb_named_state_warns_with_renamings() -> None:
    spec = """\
workflow W {
  events { go }
  initial state SendEmail { on go -> ShipOrder }
  state ShipOrder { on go -> Done }
  final state Done
}
"""
    found = findings(VerbStateNameRule(), spec)
    assert [where(d) for d in found] == [("SW305", 3, 3), ("SW305", 4, 3)]
    assert "`SendingEmail`" in found[0].help and "`EmailSent`" in found[0].help
    assert "`ShippingOrder`" in found[1].help and "`OrderShipped`" in found[1].help
    assert all(d.severity is Severity.WARNING and d.counterexample is None for d in found)


def test_well_named_states_do_not_warn() -> None:
    assert findings(VerbStateNameRule(), TRAP) == []


# --------------------------------------------------------------------------- SW310 nondeterminism

NONDETERMINISTIC = """\
workflow W {
  context { big: bool = false }
  events { go, stop, ping, pong }
  initial state Choosing {
    on go -> Left
    on go -> Right
    on stop when big -> Left
    on stop -> Right
    on ping when big -> Left
    on ping else -> Right
    on ping else -> Left
    on pong -> Left
    ignore pong
  }
  state Left { on go -> Done }
  state Right { on go -> Done  reject stop "busy"  ignore stop }
  final state Done
}
"""


def test_nondeterminism_variants_are_each_reported_with_a_path() -> None:
    found = findings(NondeterminismRule(), NONDETERMINISTIC)
    assert [where(d) for d in found] == [
        ("SW310", 6, 5),  # second unguarded `go`
        ("SW310", 8, 5),  # unguarded `stop` beside a guarded one
        ("SW310", 11, 5),  # second `else` on `ping`
        ("SW310", 13, 5),  # `pong` both handled and ignored
        ("SW310", 16, 52),  # `stop` both rejected and ignored
    ]
    assert found[0].related[0].span.line == 5
    assert [r.span.line for r in found[1].related] == [7]
    assert [d.counterexample for d in found] == [(), (), (), (), ("go",)]


def test_exclusive_or_guarded_transitions_are_deterministic() -> None:
    spec = """\
workflow W {
  context { big: bool = false }
  events { go }
  initial state Choosing {
    on go when big -> Done
    on go when not big -> Done
  }
  state Other { on go when big -> Done  on go else -> Choosing }
  final state Done
}
"""
    assert findings(NondeterminismRule(), spec) == []


def test_a_refusal_beside_guarded_transitions_is_no_conflict() -> None:
    """A refusal beside guarded transitions decides where no guard holds; beside an else it conflicts."""
    spec = """\
workflow W {
  context { big: bool = false }
  events { go }
  initial state Choosing {
    on go when big -> Done
    reject go "not big enough"
  }
  state Other { on go when big -> Done  on go else -> Choosing  ignore go }
  final state Done
}
"""
    assert [where(d) for d in findings(NondeterminismRule(), spec)] == [("SW310", 8, 65)]  # the `ignore`


def _machine(states: Sequence[ir.State], transitions: Sequence[ir.Transition]) -> ir.Machine:
    return ir.Machine(
        "M", states[0].name, tuple(states), tuple(transitions), context=(ir.ContextField("b", BOOL),)
    )


BOOL = ir.FieldType("bool")
GUARD = ir.Var("b", "bool")


def test_two_unguarded_always_transitions_are_nondeterministic() -> None:
    states = [ir.State("Route", "atomic"), ir.State("A", "final"), ir.State("B", "final")]
    two = _machine(states, [ir.Transition("Route", "always", "A"), ir.Transition("Route", "always", "B")])
    found = list(NondeterminismRule().check(two, RuleContext()))
    assert len(found) == 1 and "`always` choice" in found[0].message
    choice = _machine(
        states,
        [
            ir.Transition("Route", "always", "A", guard=GUARD),
            ir.Transition("Route", "always", "B", is_else=True),
        ],
    )
    assert list(NondeterminismRule().check(choice, RuleContext())) == []


# --------------------------------------------------------------------------- SW311 completeness

INCOMPLETE = """\
workflow W {
  events { go, stop, pause }
  initial state Idle {
    on go -> Busy
    reject pause "nothing to pause"
  }
  state Busy {
    initial state Working { on go -> Checking }
    state Checking { on go -> Done  ignore stop }
    on pause -> Idle
  }
  final state Done
}
"""


def test_incomplete_lists_the_undecided_events_per_leaf() -> None:
    found = findings(CompletenessRule(), INCOMPLETE)
    assert [where(d) for d in found] == [("SW311", 3, 3), ("SW311", 8, 5)]
    idle, working = found
    assert idle.message.endswith("on one event: `stop`")
    assert idle.counterexample == ("stop",)  # nothing decides `stop` in the initial state
    assert working.counterexample == ("go", "stop")
    assert "`stop`" in working.message and "`pause`" not in working.message
    assert 'reject stop "why it is refused"  # or: ignore stop' in working.help
    assert all(d.severity is Severity.WARNING for d in found)


def test_strict_mode_makes_incompleteness_an_error() -> None:
    found = findings(CompletenessRule(), INCOMPLETE, strict=True)
    assert [d.severity for d in found] == [Severity.ERROR, Severity.ERROR]


def test_refusal_on_a_parent_and_guarded_transitions_complete_a_state() -> None:
    spec = """\
workflow W {
  context { big: bool = false }
  events { go, stop, pause }
  initial state Idle {
    on go when big -> Busy
    on stop -> Done
    ignore pause
  }
  state Busy {
    initial state Working { on go -> Done }
    reject stop "busy"
    reject pause "busy"
  }
  final state Done
}
"""
    assert findings(CompletenessRule(), spec) == []


def test_events_for_a_sibling_region_and_unused_events_are_not_listed() -> None:
    spec = """\
workflow W {
  events { left_done, right_done, abort, never }
  initial parallel Both {
    region Left { initial state LeftRunning { on left_done -> LeftFinished }  final state LeftFinished }
    region Right { initial state RightRunning { on right_done -> RightFinished }  final state RightFinished }
    on abort -> Done
    done -> Done
  }
  final state Done
}
"""
    assert findings(CompletenessRule(), spec) == []


GUARDED_ONLY = """\
workflow W {
  context { big: bool = false }
  events { go, stop }
  initial state Busy {
    initial state Working {
      on go when big -> Done
      on stop when big -> Done
      on stop else -> Done
    }
    reject go "busy"
    on stop -> Done
  }
  final state Done
}
"""


def test_resolution_table_resolves_innermost_first() -> None:
    machine = machine_of(INCOMPLETE)
    dispatch = Dispatch(machine)
    table = resolution_table(dispatch)
    assert len(table) == 4 * 3  # four leaves, three events
    pause = table[("Working", "pause")]
    assert (pause.terminal, [level.state for level in pause.levels]) == ("taken", ["Busy"])
    assert table[("Checking", "stop")].terminal == "ignore"
    idle = table[("Idle", "pause")]
    assert idle.terminal == "reject"
    assert idle.refusal is not None and idle.refusal.reason == "nothing to pause"
    assert table[("Idle", "stop")].terminal == "unhandled"
    assert [machine.transitions[i].target for i in table[("Checking", "go")].candidates] == ["Done"]
    guarded_machine = machine_of(GUARDED_ONLY)
    guarded = resolution_table(Dispatch(guarded_machine))
    inner = guarded[("Working", "go")]
    assert [(level.state, level.guarded_only) for level in inner.levels] == [
        ("Working", True),
        ("Busy", False),
    ]
    assert inner.terminal == "reject"  # no guard holds: the event goes on to `Busy`, which refuses it
    stop = guarded[("Working", "stop")]
    assert [level.state for level in stop.levels] == ["Working"]  # an `else`: decided here
    assert guarded_machine.transitions[stop.candidates[-1]].is_else
    assert unresolved(dispatch, "Working", ["go", "stop", "pause"]) == ("stop",)


# --------------------------------------------------------------------------- the examples

EXAMPLE_WARNINGS = {"SW311"}
"""Findings the examples are allowed to have: they do not refuse every event in every state
explicitly (completeness is a warning unless `--strict`)."""


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_examples_have_no_error_findings(path: Path) -> None:
    result = compile_path(path)
    assert result.machine is not None
    found = verify(result.machine, RULES)
    assert [d for d in found if d.severity is Severity.ERROR] == []
    assert {d.code for d in found} <= EXAMPLE_WARNINGS


# --------------------------------------------------------------------------- the brute-force explorer

Config = frozenset[str]
"""A configuration: the set of active leaves (their ancestors are active too)."""

REFUSED = "refused"
NONE = "none"
Option = ir.Transition | str


@dataclass
class Exploration:
    """What the explorer found: reachable configurations, which can finish, which leaves ever leave."""

    configs: set[Config] = field(default_factory=set)
    edges: dict[Config, set[Config]] = field(default_factory=dict)
    exited: set[str] = field(default_factory=set)
    finishing: set[Config] = field(default_factory=set)


class Explorer:
    """Explicit configuration search over the hierarchical semantics of docs/LANGUAGE.md.

    Written from the language reference, not from graph.py: guards are unknown (any
    valuation), events go to the innermost state that decides them (its transitions,
    or its `reject`/`ignore`), guarded-only levels may fall through to the parent,
    eventless `always` transitions and compound completions run before anything
    else, a parallel state joins only when every region is in a final state, and a
    transition exits up to the least common compound ancestor of source and target
    and enters the target's ancestors with every other region at its initial state.
    """

    def __init__(self, machine: ir.Machine) -> None:
        self.machine = machine
        self.states = {s.name: s for s in machine.states}
        self.order = {s.name: i for i, s in enumerate(machine.states)}
        self.outgoing: dict[str, list[ir.Transition]] = {name: [] for name in self.states}
        for transition in machine.transitions:
            self.outgoing[transition.source].append(transition)
        self.refused = {(r.state, r.event) for r in machine.rejects}
        names = {e.name for e in machine.events}
        names.update(t.event for t in machine.transitions if t.event is not None)
        self.events = sorted(names)

    # ------------------------------------------------------------ hierarchy

    def line(self, name: str) -> list[str]:
        """`name` and its ancestors, innermost first."""
        chain = [name]
        while (parent := self.states[chain[-1]].parent) is not None:
            chain.append(parent)
        return chain

    def inside(self, name: str, ancestor: str | None) -> bool:
        """True when `name` is `ancestor` or below it (everything is inside the root, None)."""
        return ancestor is None or ancestor in self.line(name)

    def default(self, name: str) -> Config:
        """Leaves entered when `name` is entered by default."""
        state = self.states[name]
        if state.kind in ("atomic", "final"):
            return frozenset({name})
        if state.kind == "parallel":
            return frozenset().union(*(self.default(region) for region in state.children))
        assert state.initial is not None
        return self.default(state.initial)

    def domain(self, transition: ir.Transition) -> str | None:
        """Least common compound ancestor (a proper ancestor of the source, containing the target)."""
        assert transition.target is not None
        for candidate in self.line(transition.source)[1:]:
            compound = self.states[candidate].kind == "compound"
            if compound and candidate != transition.target and self.inside(transition.target, candidate):
                return candidate
        return None

    def entered(self, target: str, domain: str | None) -> Config:
        """Leaves entered by a transition into `target` whose domain is `domain`."""
        leaves = set(self.default(target))
        node = target
        while self.states[node].parent != domain:
            parent = self.states[node].parent
            assert parent is not None
            if self.states[parent].kind == "parallel":
                for region in self.states[parent].children:
                    if region != node:
                        leaves |= self.default(region)
            node = parent
        return frozenset(leaves)

    def exit_set(self, config: Config, transition: ir.Transition) -> Config:
        """Active leaves a transition exits."""
        if transition.target is None:
            return frozenset()
        domain = self.domain(transition)
        return frozenset(leaf for leaf in config if leaf != domain and self.inside(leaf, domain))

    def active(self, config: Config) -> set[str]:
        """Every active state of a configuration."""
        return {state for leaf in config for state in self.line(leaf)}

    # ------------------------------------------------------------ selection

    def options(
        self, leaf: str, pick: Callable[[ir.Transition], bool], event_name: str | None
    ) -> list[Option]:
        """What one active leaf may do for a trigger: a transition, a refusal, or nothing."""
        found: list[Option] = []
        for state in self.line(leaf):
            transitions = [t for t in self.outgoing[state] if pick(t)]
            refused = event_name is not None and (state, event_name) in self.refused
            if not transitions and not refused:
                continue
            found.extend(transitions)
            certain = any(t.guard is None for t in transitions)  # unguarded, or `else`
            if refused:
                found.append(REFUSED)
                return found
            if certain:
                return found
            # every transition here is guarded: all guards may be false, so the parent may decide
        found.append(NONE)
        return found

    def combine(self, config: Config, choices: Iterable[Sequence[Option]]) -> list[list[ir.Transition]]:
        """Every consistent set of transitions taken together (SCXML conflict resolution)."""
        results: list[list[ir.Transition]] = []
        for combo in itertools.product(*choices):
            picked: list[ir.Transition] = []
            for option in combo:
                if isinstance(option, ir.Transition) and option not in picked:
                    picked.append(option)
            kept: list[ir.Transition] = []
            for transition in picked:
                exits = self.exit_set(config, transition)
                beaten = False
                losers = []
                for other in kept:
                    if exits & self.exit_set(config, other):
                        if transition.source != other.source and self.inside(transition.source, other.source):
                            losers.append(other)
                        else:
                            beaten = True
                            break
                if not beaten:
                    kept = [t for t in kept if t not in losers] + [transition]
            if kept:
                results.append(kept)
        return results

    def take(self, config: Config, transitions: Sequence[ir.Transition]) -> Config:
        """Apply transitions selected together."""
        out = set(config)
        for transition in transitions:
            if transition.target is None:
                continue
            exits = self.exit_set(config, transition)
            self.exploration.exited |= exits
            out -= exits
            out |= self.entered(transition.target, self.domain(transition))
        return frozenset(out)

    def successors(self, config: Config) -> set[Config]:
        """Every configuration one step (one trigger) away."""
        leaves = sorted(config, key=self.order.__getitem__)
        active = self.active(config)
        steps: list[list[ir.Transition]] = []
        # 1. eventless `always` transitions come first; unless every guard may be false they must run
        always = [self.options(leaf, lambda t: t.kind == "always", None) for leaf in leaves]
        steps.extend(self.combine(config, always))
        if all(NONE in choice for choice in always):
            # 2. completion of a compound (a final child is active) or join of a parallel state
            ready = [
                t for t in self.machine.transitions if t.kind == "completion" and self.complete(t, config)
            ]
            if ready:
                steps.extend([t] for t in ready)
            else:
                # 3. external events, timers and the outcome of invoked work
                for name in self.events:
                    choices = [self.options(leaf, _on(name), name) for leaf in leaves]
                    steps.extend(self.combine(config, choices))
                for transition in self.machine.transitions:
                    if transition.kind in ("timeout", "done", "error") and transition.source in active:
                        steps.append([transition])
        return {self.take(config, step) for step in steps}

    def complete(self, transition: ir.Transition, config: Config) -> bool:
        """True when a compound's final child is active, or every region of a parallel state is final."""
        state = self.states[transition.source]
        if state.kind == "parallel":
            return all(
                any(
                    self.states[leaf].parent == region and self.states[leaf].kind == "final"
                    for leaf in config
                )
                for region in state.children
            )
        return any(
            self.states[leaf].parent == state.name and self.states[leaf].kind == "final" for leaf in config
        )

    # ------------------------------------------------------------ search

    def explore(self) -> Exploration:
        """Breadth-first over configurations, then a backward search from the finished ones."""
        self.exploration = found = Exploration()
        start = self.default(self.machine.initial)
        found.configs.add(start)
        queue = deque([start])
        while queue:
            config = queue.popleft()
            found.edges[config] = self.successors(config)
            for nxt in found.edges[config]:
                if nxt not in found.configs:
                    found.configs.add(nxt)
                    queue.append(nxt)
        done = {c for c in found.configs if any(self.top_final(leaf) for leaf in c)}
        changed = True
        while changed:
            changed = False
            for config, nexts in found.edges.items():
                if config not in done and nexts & done:
                    done.add(config)
                    changed = True
        found.finishing = done
        return found

    def top_final(self, leaf: str) -> bool:
        """A final state of the workflow itself."""
        state = self.states[leaf]
        return state.kind == "final" and state.parent is None

    # ------------------------------------------------------------ leaf-level answers

    def answers(self) -> LeafAnswers:
        """Reachable states, traps and deadlocks, in the leaf terms the rules report."""
        found = self.explore()
        leaves = {leaf for config in found.configs for leaf in config}
        reachable = {state for leaf in leaves for state in self.line(leaf)}
        traps = {
            leaf
            for leaf in leaves
            if all(config not in found.finishing for config in found.configs if leaf in config)
        }
        deadlocks = {
            leaf for leaf in leaves if self.states[leaf].kind != "final" and leaf not in found.exited
        }
        return LeafAnswers(frozenset(reachable), frozenset(traps), frozenset(deadlocks))


def _on(name: str) -> Callable[[ir.Transition], bool]:
    return lambda t: t.kind == "event" and t.event == name


@dataclass(frozen=True)
class LeafAnswers:
    """Reachable states; leaves from which the workflow cannot finish; non-final leaves never left."""

    reachable: frozenset[str]
    traps: frozenset[str]
    deadlocks: frozenset[str]


def graph_answers(machine: ir.Machine) -> LeafAnswers:
    """The same three answers, read off graph.py."""
    graph = MachineGraph(machine)
    live = [leaf for leaf in graph.leaves if leaf in graph.reachable]
    traps = {leaf for leaf in live if leaf not in graph.can_finish}
    deadlocks = {
        leaf
        for leaf in live
        if graph.states[leaf].kind != "final" and not any(True for _ in graph.exits(leaf))
    }
    return LeafAnswers(graph.reachable, frozenset(traps), frozenset(deadlocks))


def rule_answers(machine: ir.Machine) -> LeafAnswers:
    """The answers as the rules report them (states recovered from the span line = IR index + 1)."""
    names = [s.name for s in machine.states]
    found = verify(machine, [UnreachableStateRule(), TrapRule()])
    at = {
        code: {names[d.span.line - 1] for d in found if d.code == code}
        for code in ("SW301", "SW302", "SW303")
    }
    graph = MachineGraph(machine)
    roots = {s.name for s in machine.states if s.name not in graph.reachable}
    assert at["SW301"] == {n for n in roots if machine.state(n).parent not in roots}
    reachable = frozenset(set(names) - roots)
    return LeafAnswers(reachable, frozenset(at["SW302"] | at["SW303"]), frozenset(at["SW303"]))


# --------------------------------------------------------------------------- random machines

EVENTS = ("a", "b", "c")
REFUSALS: tuple[Literal["reject", "ignore"], ...] = ("reject", "ignore")
IR_KIND: dict[str, ir.StateKind] = {
    "atomic": "atomic",
    "choice": "atomic",  # an atomic state left only by `always` transitions
    "final": "final",
    "compound": "compound",
    "parallel": "parallel",
}


@dataclass
class Node:
    """A state being generated, with its children."""

    name: str
    kind: str
    role: ir.StateRole = "state"
    children: list[Node] = field(default_factory=list)
    initial: int = 0
    invoke: bool = False


@st.composite
def machines(draw: st.DrawFn, *, nested: bool, parallel: bool) -> ir.Machine:
    """A random, well-formed machine: flat, with compound states, and/or with parallel states."""
    counter = itertools.count()

    def scope(depth: int, top: bool) -> list[Node]:
        count = draw(st.integers(1, 4 if top else 3))
        nodes: list[Node] = []
        for _ in range(count):
            kinds = ["atomic", "atomic", "final"]
            if top:
                kinds.append("choice")
            if nested and depth < 2:
                kinds.append("compound")
            if parallel and depth < 2:
                kinds.append("parallel")
            kind = draw(st.sampled_from(kinds))
            node = Node(f"S{next(counter)}", kind)
            if kind == "compound":
                node.children = scope(depth + 1, False)
            elif kind == "parallel":
                node.children = [
                    Node(f"R{next(counter)}", "compound", "region", scope(depth + 1, False))
                    for _ in range(draw(st.integers(2, 3)))
                ]
                for region in node.children:
                    region.initial = draw(st.integers(0, len(region.children) - 1))
            elif kind == "atomic":
                node.invoke = draw(st.booleans())
            if kind == "compound":
                node.initial = draw(st.integers(0, len(node.children) - 1))
            nodes.append(node)
        return nodes

    roots = scope(0, True)
    states: list[ir.State] = []
    every: list[Node] = []

    def emit(node: Node, parent: str | None) -> None:
        states.append(
            ir.State(
                node.name,
                IR_KIND[node.kind],
                parent=parent,
                initial=node.children[node.initial].name if node.kind == "compound" else None,
                children=tuple(child.name for child in node.children),
                role=node.role,
                invoke=ir.Invoke(f"work_{node.name}") if node.invoke else None,
                span=Span(len(states) + 1, 1, len(states) + 1, 2),
            )
        )
        every.append(node)
        for child in node.children:
            emit(child, node.name)

    for root in roots:
        emit(root, None)
    initial = draw(st.sampled_from([r.name for r in roots if r.kind != "final"] or [roots[0].name]))
    targets = [node.name for node in every if node.role != "region"]
    target = st.none() | st.sampled_from(targets)
    transitions: list[ir.Transition] = []
    rejects: list[ir.Reject] = []
    for node in every:
        if node.kind == "final" or node.role == "region":
            continue
        if node.kind == "choice":
            for _ in range(draw(st.integers(1, 2))):
                transitions.append(
                    ir.Transition(node.name, "always", draw(st.sampled_from(targets)), guard=GUARD)
                )
            transitions.append(
                ir.Transition(node.name, "always", draw(st.sampled_from(targets)), is_else=True)
            )
            continue
        for _ in range(draw(st.integers(0, 3))):
            guard = draw(st.sampled_from(["plain", "plain", "guarded", "else"]))
            transitions.append(
                ir.Transition(
                    node.name,
                    "event",
                    draw(target),
                    event=draw(st.sampled_from(EVENTS)),
                    guard=GUARD if guard == "guarded" else None,
                    is_else=guard == "else",
                )
            )
        if draw(st.integers(0, 3)) == 0:
            transitions.append(
                ir.Transition(node.name, "timeout", draw(st.sampled_from(targets)), after_ms=1000)
            )
        if node.invoke:
            transitions.append(ir.Transition(node.name, "done", draw(st.sampled_from(targets))))
            if draw(st.booleans()):
                transitions.append(ir.Transition(node.name, "error", draw(st.sampled_from(targets))))
        if node.kind in ("compound", "parallel") and draw(st.booleans()):
            transitions.append(ir.Transition(node.name, "completion", draw(st.sampled_from(targets))))
        if draw(st.integers(0, 3)) == 0:
            refusal = draw(st.sampled_from(REFUSALS))
            rejects.append(ir.Reject(node.name, draw(st.sampled_from(EVENTS)), refusal))
    return ir.Machine(
        "Random",
        initial,
        tuple(states),
        tuple(transitions),
        events=tuple(ir.Event(name) for name in EVENTS),
        rejects=tuple(dict.fromkeys(rejects)),
        context=(ir.ContextField("b", BOOL),),
    )


def describe(machine: ir.Machine) -> str:
    """A compact, readable listing of a generated machine (shown when a property fails)."""
    lines = [f"initial {machine.initial}"]
    for state in machine.states:
        extra = f" initial={state.initial}" if state.initial else ""
        lines.append(f"{state.name}: {state.kind}/{state.role} in {state.parent}{extra}")
    for t in machine.transitions:
        guard = " when b" if t.guard is not None else " else" if t.is_else else ""
        lines.append(f"  {t.source} --{t.kind}:{t.event or ''}{guard}--> {t.target}")
    lines.extend(f"  {r.state} {r.kind}s {r.event}" for r in machine.rejects)
    return "\n".join(lines)


def leaf_graph_is_exact(machine: ir.Machine) -> bool:
    """True when graph.py's documented simplifications cannot change an answer for `machine`.

    The leaf graph lets a transition on a state fire from every leaf below it, even
    where the explorer's semantics gives a deeper state priority: a child that
    decides the same event (unguarded, `else` or refused), or a final child whose
    compound completes at once. Parallel states are never exact (the join).
    """
    explorer = Explorer(machine)
    if any(s.kind == "parallel" for s in machine.states):
        return False
    decides: dict[str, set[str]] = {}
    for t in machine.transitions:
        if t.kind == "event" and t.event is not None and t.guard is None:
            decides.setdefault(t.source, set()).add(t.event)
    for r in machine.rejects:
        decides.setdefault(r.state, set()).add(r.event)
    for t in machine.transitions:
        if t.kind == "event" and t.target is not None:
            for state in machine.states:
                below = state.name != t.source and explorer.inside(state.name, t.source)
                if below and t.event in decides.get(state.name, set()):
                    return False
    completing = {t.source for t in machine.transitions if t.kind == "completion"}
    for t in machine.transitions:
        moves = t.kind != "completion" and t.target is not None
        if moves and any(explorer.inside(owner, t.source) for owner in completing):
            return False
    return True


def known_gaps(machine: ir.Machine) -> list[str]:
    """Parallel patterns the leaf graph must treat specially (they were bugs once; see the tests below).

    - "enter-into-region": a transition from outside a parallel state targets a state
      inside one of its regions; the other regions start at their initial states, but
      the leaf graph only enters the target (it can report those initial states as
      unreachable).
    - "sibling-region-exit": a transition from inside one region leaves the parallel
      state, so it also takes every other region's leaf out; the leaf graph gives those
      leaves no such exit (it can report them as deadlocks or traps).
    """
    explorer = Explorer(machine)
    gaps: list[str] = []
    for t in machine.transitions:
        if t.target is None:
            continue
        for parallel in explorer.line(t.target)[1:]:
            state = explorer.states[parallel]
            inside_region = state.kind == "parallel" and t.target not in state.children
            if inside_region and not explorer.inside(t.source, parallel):
                gaps.append("enter-into-region")
        domain = explorer.domain(t)
        for parallel in explorer.line(t.source)[1:]:
            state = explorer.states[parallel]
            if state.kind == "parallel" and parallel != domain and explorer.inside(parallel, domain):
                gaps.append("sibling-region-exit")
    return sorted(set(gaps))


# --------------------------------------------------------------------------- the explorer on known cases

SHADOWED = """\
workflow W {
  events { go }
  initial state Outer {
    initial state Inner { on go -> Done }
    on go -> Elsewhere
  }
  state Elsewhere { on go -> Done }
  final state Done
}
"""

ENTER_INTO_REGION = """\
workflow W {
  events { jump, left_done, right_done }
  initial state Start { on jump -> RightLate }
  parallel Both {
    region Left { initial state LeftRunning { on left_done -> LeftFinished }  final state LeftFinished }
    region Right {
      initial state RightEarly { on right_done -> RightLate }
      state RightLate { on right_done -> RightFinished }
      final state RightFinished
    }
    done -> Done
  }
  final state Done
}
"""

SIBLING_EXIT = """\
workflow W {
  events { found }
  initial parallel Search {
    region Looking { initial state Scanning { on found -> Done } }
    region Waiting { initial state Idle }
  }
  final state Done
}
"""


def test_explorer_gives_an_inner_state_priority_and_the_graph_over_approximates_it() -> None:
    machine = machine_of(SHADOWED)
    exact = Explorer(machine).answers()
    assert "Elsewhere" not in exact.reachable  # `Inner` decides `go` first
    assert exact.reachable <= graph_answers(machine).reachable
    assert not leaf_graph_is_exact(machine)


def test_explorer_joins_only_when_every_region_is_final() -> None:
    spec = ENTER_INTO_REGION.replace("on left_done -> LeftFinished", "on left_done -> LeftRunning")
    exact = Explorer(machine_of(spec)).answers()
    assert "Done" not in exact.reachable
    assert "Done" in graph_answers(machine_of(spec)).reachable  # the join is the parallel rules' job


def test_explorer_enters_every_region_and_exits_siblings() -> None:
    into = Explorer(machine_of(ENTER_INTO_REGION)).answers()
    assert {"LeftRunning", "RightLate", "Done"} <= into.reachable and "RightEarly" not in into.reachable
    sibling = Explorer(machine_of(SIBLING_EXIT)).answers()
    assert sibling.traps == frozenset() and sibling.deadlocks == frozenset()
    assert known_gaps(machine_of(ENTER_INTO_REGION)) == ["enter-into-region"]
    assert known_gaps(machine_of(SIBLING_EXIT)) == ["sibling-region-exit"]


def test_entering_a_region_state_enters_the_other_regions() -> None:
    found = verify(machine_of(ENTER_INTO_REGION), [UnreachableStateRule(), TrapRule()])
    assert [d for d in found if d.code == "SW301" and "`Left`" in d.message] == []


def test_a_region_left_by_its_sibling_is_no_deadlock() -> None:
    assert verify(machine_of(SIBLING_EXIT), [TrapRule()]) == ()


# --------------------------------------------------------------------------- property tests


@given(machines(nested=False, parallel=False))
def test_flat_machines_agree_with_the_explorer(machine: ir.Machine) -> None:
    note(describe(machine))
    expected = Explorer(machine).answers()
    assert graph_answers(machine) == expected
    assert rule_answers(machine) == expected


@given(machines(nested=True, parallel=False))
def test_nested_machines_agree_with_the_explorer(machine: ir.Machine) -> None:
    note(describe(machine))
    expected = Explorer(machine).answers()
    graph = graph_answers(machine)
    assert rule_answers(machine) == graph
    if leaf_graph_is_exact(machine):
        event("exact")
        assert graph == expected
    else:
        event("over-approximated")
        # the leaf graph only adds moves: never a false unreachable, trap or deadlock
        assert expected.reachable <= graph.reachable
        assert graph.traps & expected.reachable <= expected.traps
        assert graph.deadlocks & expected.reachable <= expected.deadlocks


@given(machines(nested=True, parallel=True))
def test_parallel_machines_are_over_approximated_soundly(machine: ir.Machine) -> None:
    note(describe(machine))
    expected = Explorer(machine).answers()
    graph = graph_answers(machine)
    for gap in known_gaps(machine) or ["plain"]:
        event(f"pattern: {gap}")
    assert expected.reachable <= graph.reachable
    assert graph.traps & expected.reachable <= expected.traps
    assert graph.deadlocks & expected.reachable <= expected.deadlocks
