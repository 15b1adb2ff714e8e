"""Parallel and compound rules (SW801–SW805), and the product exploration against brute force."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from statewright import ir
from statewright.compiler.verify.rules import parallel
from statewright.diagnostics import Diagnostic, Severity
from statewright.plugins.manager import PluginManager
from tests.verify.support import at, machine_of, position, run_rules

GOOD = """\
workflow W {
  events { go, a, b, abort }
  initial state Idle { on go -> Both  timeout 1d -> Failed }
  parallel Both {
    region Left {
      initial state L1 { on a -> LDone  timeout 1h -> Failed }
      final state LDone
    }
    region Right {
      initial state R1 { on b -> RDone  timeout 1h -> Failed }
      final state RDone
    }
    on abort -> Failed
    done -> Done
  }
  final state Done
  final state Failed
}
"""


def findings(
    machine: ir.Machine, code: str | None = None, settings: dict[str, str] | None = None
) -> list[Diagnostic]:
    """Run the parallel rules; keep findings with `code` when given."""
    return run_rules(parallel, machine, code, settings)


def test_good_spec_is_clean() -> None:
    assert findings(machine_of(GOOD)) == []
    result = parallel.explore(machine_of(GOOD), "Both")
    assert result.complete
    assert result.join == ("LDone", "RDone")
    assert len(result.configurations) == 4
    assert result.path(("LDone", "RDone")) == ("a", "b")


def test_rules_register_through_the_hook() -> None:
    manager = PluginManager(builtins=(), plugins=[parallel], entry_points=False)
    names = {rule.name for rule in manager.rules()}
    assert names == {"region-completion", "parallel-product", "final-child-dead-end"}


# --------------------------------------------------------------------------- SW801


def test_sw801_region_that_cannot_complete() -> None:
    text = GOOD.replace(
        "initial state L1 { on a -> LDone  timeout 1h -> Failed }",
        "initial state L1 { on a -> L2  timeout 1h -> Failed }\n"
        "      state L2 { on b -> L1  timeout 1h -> Failed }",
    )
    [finding] = findings(machine_of(text), "SW801")
    assert finding.severity is Severity.ERROR
    assert "region `Left` of `Both` can never reach its final state (`LDone`)" in finding.message
    assert at(finding) == position(text, "region Left")
    assert finding.counterexample == ("go",)
    assert findings(machine_of(text), "SW802") == []  # not reported twice


def test_sw801_regions_that_complete() -> None:
    assert findings(machine_of(GOOD), "SW801") == []


# --------------------------------------------------------------------------- SW802


def test_sw802_region_without_final_state_under_a_join() -> None:
    text = GOOD.replace(
        "initial state R1 { on b -> RDone  timeout 1h -> Failed }\n      final state RDone",
        "initial state R1 { on b -> Failed  timeout 1h -> Failed }",
    )
    [finding] = findings(machine_of(text), "SW802")
    assert finding.severity is Severity.ERROR
    assert "region `Right` of `Both` has no final state, so the join `done -> Done`" in finding.message
    assert at(finding) == position(text, "region Right")
    assert finding.counterexample == ("go",)


CROSSED = """\
workflow W {
  events { go, x, y }
  initial state Idle { on go -> Both  timeout 1d -> Failed }
  parallel Both {
    region Left {
      initial state L1 { on x -> LDone  on y -> LStuck }
      state LStuck { timeout 1h -> Failed }
      final state LDone
    }
    region Right {
      initial state R1 { on y -> RDone  on x -> RStuck }
      state RStuck { timeout 1h -> Failed }
      final state RDone
    }
    done -> Done
  }
  final state Done
  final state Failed
}
"""


def test_sw802_join_that_never_fires_in_the_product() -> None:
    [finding] = findings(machine_of(CROSSED), "SW802")
    assert "the join of `Both` (`done -> Done`) can never fire" in finding.message
    assert "3 configurations explored" in finding.message
    assert at(finding) == position(CROSSED, "done -> Done")
    assert finding.counterexample == ("go",)
    assert findings(machine_of(CROSSED), "SW801") == []  # each region finishes on its own


def test_sw802_join_that_fires() -> None:
    assert findings(machine_of(GOOD), "SW802") == []


# --------------------------------------------------------------------------- SW803


def test_sw803_bound_hit() -> None:
    machine = machine_of(GOOD)
    [finding] = findings(machine, "SW803", {"parallel.max_configurations": "2"})
    assert finding.severity is Severity.INFO
    assert finding.message == "exploration of `Both` stopped at 2 configurations; results are partial"
    assert at(finding) == position(GOOD, "parallel Both")
    assert finding.counterexample == ("go",)
    # a partial search proves nothing about the join
    assert findings(machine_of(CROSSED), "SW802", {"parallel.max_configurations": "2"}) == []


def test_sw803_nested_parallel_is_explored_on_its_own() -> None:
    text = GOOD.replace(
        "      initial state R1 { on b -> RDone  timeout 1h -> Failed }\n",
        "      initial parallel Inner {\n"
        "        region Up { initial state U1 { on b -> UDone  timeout 1h -> Failed }  final state UDone }\n"
        "        region Down { initial state D1 { on b -> DDone  timeout 1h -> Failed }\n"
        "                      final state DDone }\n"
        "        done -> RDone\n"
        "      }\n",
    )
    found = findings(machine_of(text), "SW803")
    assert [f.message for f in found] == [
        "product of `Both` not explored: region `Right` holds the nested parallel state `Inner`; "
        "it is explored on its own"
    ]
    assert at(found[0]) == position(text, "parallel Both")
    races = findings(machine_of(text), "SW804")
    assert [r.witness for r in races] == [(("Up", "U1"), ("Down", "D1"))]


def test_sw803_within_the_bound() -> None:
    assert findings(machine_of(GOOD), "SW803") == []
    assert findings(machine_of(GOOD), "SW803", {"parallel.max_configurations": "4"}) == []
    assert findings(machine_of(GOOD), "SW803", {"parallel.max_configurations": "many"}) == []


# --------------------------------------------------------------------------- SW804


RACE = GOOD.replace(
    "initial state L1 { on a -> LDone  timeout 1h -> Failed }",
    "initial state L1 { on b -> L2  timeout 1h -> Failed }\n"
    "      state L2 { on a -> LDone  timeout 1h -> Failed }",
).replace("initial state R1 { on b -> RDone", "initial state R1 { on a -> RDone")


def test_sw804_race_candidate() -> None:
    [finding] = findings(machine_of(RACE), "SW804")
    assert finding.severity is Severity.WARNING
    assert "event `a` is handled by regions `Left` and `Right` of `Both`" in finding.message
    assert at(finding) == position(RACE, "on a -> LDone")
    assert finding.related[0].span.line == position(RACE, "on a -> RDone")[0]
    assert finding.counterexample == ("go", "b")
    assert finding.witness == (("Left", "L2"), ("Right", "R1"))


def test_sw804_no_shared_events() -> None:
    assert findings(machine_of(GOOD), "SW804") == []


def test_sw804_not_for_parallel_approvals() -> None:
    text = """\
workflow W {
  events { go }
  initial state Idle { on go -> Sign  timeout 1d -> Done }
  approval Sign {
    routing parallel
    level 1 { approvers role:sre timeout 4h escalate -> Done }
    level 2 { approvers role:security timeout 4h escalate -> Done }
    approved -> Done
    rejected -> Done
  }
  final state Done
}
"""
    assert findings(machine_of(text)) == []


# --------------------------------------------------------------------------- SW805

COMPOUND = """\
workflow W {
  events { go, a, abort }
  initial state Idle { on go -> Outer  timeout 1d -> Failed }
  state Outer {
    initial state Inner { on a -> Finished  timeout 1h -> Failed }
    final state Finished
    on abort -> Failed
    done -> Done
  }
  final state Done
  final state Failed
}
"""


def test_sw805_final_child_without_done() -> None:
    text = COMPOUND.replace("    done -> Done\n", "")
    [finding] = findings(machine_of(text), "SW805")
    assert finding.severity is Severity.WARNING
    assert "final state `Finished` of `Outer` is reachable, but `Outer` has no `done" in finding.message
    assert "dead end" not in finding.message  # `abort` still leaves
    assert at(finding) == position(text, "final state Finished")
    assert finding.counterexample == ("go", "a")
    dead = text.replace("    on abort -> Failed\n", "")
    [finding] = findings(machine_of(dead), "SW805")
    assert finding.message.endswith("nothing leaves it: a dead end")


def test_sw805_region_finals_without_a_join() -> None:
    text = GOOD.replace("    done -> Done\n", "")
    found = findings(machine_of(text), "SW805")
    assert [f.message.split(" ")[2] for f in found] == ["`LDone`", "`RDone`"]
    assert "`Both` has no join" in found[0].message
    assert at(found[0]) == position(text, "final state LDone")
    assert found[0].counterexample == ("go", "a")


def test_sw805_compound_with_done() -> None:
    assert findings(machine_of(COMPOUND), "SW805") == []
    assert findings(machine_of(GOOD), "SW805") == []


# --------------------------------------------------------------------------- property: brute force

EVENTS = ("a", "b", "c")
FLAG = ir.Var("flag", "bool")


@dataclass(frozen=True)
class Generated:
    """A small random parallel machine `P` with flat regions, and what was drawn for it."""

    machine: ir.Machine
    regions: tuple[tuple[str, ...], ...]  # leaves per region; index 0 is the initial one
    finals: frozenset[str]


@st.composite
def parallel_machines(draw: st.DrawFn) -> Generated:
    """Draw `Start -go-> P`, where P has 2-3 flat regions, random events, timers and exits."""
    region_count = draw(st.integers(2, 3))
    regions: list[tuple[str, ...]] = []
    finals: set[str] = set()
    for r in range(region_count):
        drawn = [f"r{r}s{j}" for j in range(draw(st.integers(1, 3)))]
        if draw(st.booleans()) or r == 0:
            drawn.append(f"r{r}f")
            finals.add(f"r{r}f")
        regions.append(tuple(drawn))
    every_leaf = [leaf for leaves in regions for leaf in leaves]
    transitions: list[ir.Transition] = [ir.Transition("Start", "event", "P", event="go")]
    rejects: list[ir.Reject] = []
    for local in regions:
        for leaf in local:
            if leaf in finals:
                continue
            for _ in range(draw(st.integers(0, 3))):
                target = draw(
                    st.one_of(
                        st.sampled_from(list(local)),
                        st.sampled_from(["Out", "P"]),
                        st.sampled_from(every_leaf),
                    )
                )
                if draw(st.integers(0, 4)) == 0:
                    transitions.append(ir.Transition(leaf, "timeout", target, after_ms=60_000))
                else:
                    event = draw(st.sampled_from(EVENTS))
                    guard = FLAG if draw(st.booleans()) else None
                    transitions.append(ir.Transition(leaf, "event", target, event=event, guard=guard))
            if draw(st.integers(0, 3)) == 0:
                rejects.append(ir.Reject(leaf, draw(st.sampled_from(EVENTS)), "ignore"))
    for _ in range(draw(st.integers(0, 2))):
        target = draw(st.sampled_from(["Out", "P", *every_leaf]))
        if draw(st.integers(0, 3)) == 0:
            transitions.append(ir.Transition("P", "timeout", target, after_ms=3_600_000))
        else:
            guard = FLAG if draw(st.booleans()) else None
            event = draw(st.sampled_from(EVENTS))
            transitions.append(ir.Transition("P", "event", target, event=event, guard=guard))
    if draw(st.booleans()):
        transitions.append(ir.Transition("P", "completion", "Done"))
    states: list[ir.State] = [
        ir.State("Start", "atomic"),
        ir.State("P", "parallel", children=tuple(f"R{r}" for r in range(region_count))),
    ]
    for r, leaves in enumerate(regions):
        states.append(
            ir.State(f"R{r}", "compound", parent="P", initial=leaves[0], children=leaves, role="region")
        )
        states.extend(
            ir.State(leaf, "final" if leaf in finals else "atomic", parent=f"R{r}") for leaf in leaves
        )
    states += [ir.State("Out", "final"), ir.State("Done", "final")]
    machine = ir.Machine(
        name="Generated",
        initial="Start",
        states=tuple(states),
        transitions=tuple(transitions),
        events=tuple(ir.Event(e) for e in ("go", *EVENTS)),
        rejects=tuple(rejects),
        context=(ir.ContextField("flag", ir.FieldType("bool")),),
    )
    return Generated(machine, tuple(regions), frozenset(finals))


class BruteForce:
    """An independent explorer: every configuration of the product, iterated to a fixpoint."""

    def __init__(self, generated: Generated) -> None:
        self.g = generated
        self.machine = generated.machine
        self.initial = tuple(leaves[0] for leaves in generated.regions)
        self.region_of = {leaf: i for i, leaves in enumerate(generated.regions) for leaf in leaves}
        self.ignored = {(r.state, r.event) for r in self.machine.rejects}

    def _restart(self, target: str) -> tuple[str, ...]:
        config = list(self.initial)
        if target in self.region_of:
            config[self.region_of[target]] = target
        return tuple(config)

    def _outcome(self, region: int, t: ir.Transition) -> tuple[str, object]:
        assert t.target is not None
        if t.target == "Out":
            return ("exit", None)
        if t.source != "P" and self.region_of.get(t.target) == region:
            return ("move", t.target)
        return ("restart", self._restart(t.target))

    def _options(self, region: int, leaf: str, event: str) -> set[tuple[str, object]]:
        options: set[tuple[str, object]] = set()
        mine = [t for t in self.machine.transitions if t.source == leaf and t.event == event]
        if mine:
            options |= {self._outcome(region, t) for t in mine}
            if any(t.guard is None for t in mine):
                return options
        elif (leaf, event) in self.ignored:
            return {("stay", None)}
        shared = [t for t in self.machine.transitions if t.source == "P" and t.event == event]
        options |= {self._outcome(region, t) for t in shared}
        options.add(("stay", None))  # unhandled, all guards false, or preempted by another region
        return options

    def successors(self, config: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        """Every configuration one event or one timer away."""
        for event in EVENTS:
            per_region = [self._options(i, leaf, event) for i, leaf in enumerate(config)]
            for combo in itertools.product(*per_region):
                kinds = [kind for kind, _ in combo]
                if "exit" in kinds:
                    continue
                restarts = [value for kind, value in combo if kind == "restart"]
                if restarts:
                    yield from (tuple(r) for r in restarts if isinstance(r, tuple))
                else:
                    yield tuple(
                        str(value) if kind == "move" else config[i] for i, (kind, value) in enumerate(combo)
                    )
        for i, leaf in enumerate(config):
            for t in self.machine.transitions:
                if t.kind != "timeout" or t.source not in (leaf, "P"):
                    continue
                kind, value = self._outcome(i, t)
                if kind == "move":
                    yield (*config[:i], str(value), *config[i + 1 :])
                elif kind == "restart" and isinstance(value, tuple):
                    yield value

    def reachable(self) -> dict[tuple[str, ...], int]:
        """Every reachable configuration with its distance, by rounds until nothing changes."""
        every = set(itertools.product(*self.g.regions))
        relation = {config: set(self.successors(config)) for config in every}
        assert all(targets <= every for targets in relation.values())
        distance = {self.initial: 0}
        round_ = 0
        while True:
            round_ += 1
            new = {s for c in list(distance) for s in relation[c]} - set(distance)
            if not new:
                return distance
            distance.update(dict.fromkeys(new, round_))

    def races(self, reach: set[tuple[str, ...]]) -> set[str]:
        """Events that two or more regions handle themselves in some reachable configuration."""
        found: set[str] = set()
        for config in reach:
            for event in EVENTS:
                handling = sum(
                    any(t.source == leaf and t.event == event for t in self.machine.transitions)
                    for leaf in config
                )
                if handling >= 2:
                    found.add(event)
        return found


@given(parallel_machines())
def test_exploration_agrees_with_brute_force(generated: Generated) -> None:
    brute = BruteForce(generated)
    distance = brute.reachable()
    reach = set(distance)
    result = parallel.explore(generated.machine, "P")
    assert result.complete
    assert result.configurations == reach
    assert {c: len(result.path(c)) for c in reach} == distance  # BFS paths are shortest
    all_final = [c for c in reach if all(leaf in generated.finals for leaf in c)]
    assert (result.join is not None) == bool(all_final)
    assert set(result.races) == brute.races(reach)


@given(parallel_machines(), st.integers(1, 40))
def test_exploration_stops_at_the_bound(generated: Generated, limit: int) -> None:
    reach = set(BruteForce(generated).reachable())
    result = parallel.explore(generated.machine, "P", limit)
    assert result.configurations <= reach
    if limit < len(reach):
        assert not result.complete
        assert len(result.configurations) == limit
    else:
        assert result.complete
        assert result.configurations == reach
