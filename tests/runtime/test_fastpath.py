"""The compiled dispatch table holds only pure moves, and the in-memory machine steps as the runtime does.

`fastpath.pure_moves` claims that a (leaf, event) step changes nothing but the
active leaf. Each claim is checked against the engine itself; then random
event sequences are sent to an in-memory machine (pure moves through the
table, the rest through the engine) and to a `Runtime` on a `MemoryStore`,
which must agree after every event.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.pipeline import compile_path
from statewright.runtime import engine
from statewright.runtime.definition import Definition
from statewright.runtime.errors import WorkflowError
from statewright.runtime.fastpath import pure_moves, timed_moves
from statewright.runtime.machine import Machine
from statewright.runtime.memory import MemoryStore
from statewright.runtime.plan import plan_of
from statewright.runtime.runner import Runtime
from tests.targets.specs import APPROVE, CHECKS, COLLIDING, SHOP, TRICKY, example_paths, machine_of


def _machines() -> list[tuple[str, ir.Machine]]:
    found = []
    for path in example_paths():
        result = compile_path(path)
        assert result.machine is not None
        found.append((path.stem, result.machine))
    for name, text in (("tricky", TRICKY), ("colliding", COLLIDING), ("shop", SHOP), ("checks", CHECKS)):
        found.append((name, machine_of(text)))
    found.append(("approve", machine_of(APPROVE)))
    return found


MACHINES = _machines()
IDS = [name for name, _ in MACHINES]


def start_values(machine: ir.Machine) -> dict[str, ir.Value]:
    """Values for the fields that have no default (the low end of their domain)."""
    values: dict[str, ir.Value] = {}
    for field in machine.context:
        if field.default is not None:
            continue
        kind = field.type
        if kind.name == "enum":
            values[field.name] = kind.members[0]
        elif kind.name == "bool":
            values[field.name] = False
        elif kind.name == "string":
            values[field.name] = "x"
        else:
            values[field.name] = kind.min if kind.min is not None else 0
    return values


@pytest.mark.parametrize(("name", "machine"), MACHINES, ids=IDS)
def test_every_claimed_move_is_pure_on_the_engine(name: str, machine: ir.Machine) -> None:
    """For every table entry, the engine's step changes only the active leaf and settles nothing."""
    definition = Definition(machine)
    started = engine.start(definition, "i", start_values(machine), 0).commit.instance
    blank = replace(started, votes={}, attempts={}, work={})
    for leaf, moves in pure_moves(definition).items():
        for event, target in moves.items():
            instance = replace(blank, active=(leaf,))
            step = engine.send(definition, instance, event, 5)
            commit = step.commit
            assert step.error is None, (leaf, event)
            assert commit.instance.active == (target,), (leaf, event)
            assert commit.instance.context == instance.context
            assert commit.instance.status == "running"
            assert not commit.timers and not commit.cancel_timers, (leaf, event)
            assert not commit.work and not commit.done_work, (leaf, event)
            assert commit.record.guards == ()
            assert engine.settle(definition, commit.instance, 5) is None, (leaf, event)


def test_the_ring_is_all_pure_moves() -> None:
    """A machine of plain moves is dispatched entirely through the table."""
    lines = [
        f" {'initial ' * (i == 0)}state S{i} {{ on next -> S{(i + 1) % 5}  on back -> S{(i - 1) % 5} }}"
        for i in range(5)
    ]
    ring = machine_of("workflow Ring {\n events { next, back }\n" + "\n".join(lines) + "\n}\n")
    table = pure_moves(Definition(ring))
    assert table == {f"S{i}": {"back": f"S{(i - 1) % 5}", "next": f"S{(i + 1) % 5}"} for i in range(5)}


@pytest.mark.parametrize(("name", "machine"), MACHINES, ids=IDS)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_the_machine_steps_as_the_runtime_does(name: str, machine: ir.Machine, data: st.DataObject) -> None:
    """Same events, same clock: the same leaves, context, status and refusals after every step."""
    definition = Definition(machine)
    values = start_values(machine)
    events = [e.name for e in machine.events] + ["not_an_event"]
    now = [0]
    cls = type(f"{machine.name}Fast", (Machine,), {"__slots__": (), "definition": definition})
    fast = cls(values, clock=lambda: now[0], instance_id="machine")
    runtime = Runtime(definition, MemoryStore(), clock=lambda: now[0])
    runtime.start(values, "machine")
    for _ in range(data.draw(st.integers(0, 14), label="steps")):
        if data.draw(st.integers(0, 5), label="tick?") == 0:
            now[0] += data.draw(st.sampled_from([1_000, 60_000, 3_600_000, 86_400_000]), label="advance")
            assert fast.tick() == runtime.tick()
            continue
        event = data.draw(st.sampled_from(events), label="event")
        expected: str | None = None
        got: str | None = None
        try:
            runtime.send("machine", event)
        except WorkflowError as exc:
            expected = exc.code.code
        try:
            fast.send(event)
        except WorkflowError as exc:
            got = exc.code.code
        assert got == expected, event
        stored = runtime.load("machine")
        assert fast.leaves == stored.active, event
        assert fast.values == dict(stored.context)
        assert fast.status == stored.status
        assert [t.key for t in fast.timers] == [t.key for t in runtime.store.timers("machine")]


PING_PONG = """workflow PingPong {
  context { n: int 0..9 = 0 }
  events { ping, pong, peek }
  initial state A {
    on ping when n > 5 -> C
    on ping else -> B
    on peek -> A
    timeout 1h -> B
    warn after 10m "slow"
  }
  state B { on pong -> A  timeout 2h -> A }
  state C { on pong -> A }
}
"""


@pytest.mark.parametrize(
    ("name", "machine"), [*MACHINES, ("ping_pong", machine_of(PING_PONG))], ids=[*IDS, "ping_pong"]
)
def test_every_timed_move_is_the_engine_step(name: str, machine: ir.Machine) -> None:
    """For every timed move and each context value: the same leaf and the same timers as the engine."""
    definition = Definition(machine)
    plan = plan_of(definition)
    started = engine.start(definition, "i", start_values(machine), 0).commit.instance
    for leaf, moves in timed_moves(definition).items():
        held = {
            key: (after, kind, name_, index)
            for name_ in definition.hierarchy.chain(leaf)
            for key, after, kind, index in plan.entry_timers[name_]
        }
        for event, choice in moves.items():
            for guard, move in choice:
                context = dict(started.context)
                if guard is not None and not definition.guard_holds(guard, context):
                    continue  # this context reaches another candidate
                instance = replace(started, active=(leaf,), votes={}, attempts={}, work={})
                commit = engine.send(definition, instance, event, 5).commit
                assert commit.record.outcome == "applied", (leaf, event)
                assert commit.instance.active == (move.target,), (leaf, event)
                assert not commit.work and not commit.done_work
                after_engine = {k: v for k, v in held.items() if k not in commit.cancel_timers}
                after_engine |= {t.key: (t.due_ms - 5, t.kind, t.state, t.transition) for t in commit.timers}
                after_fast = {k: v for k, v in held.items() if k not in move.cancel}
                after_fast |= {
                    key: (after, kind, state, index) for key, after, kind, state, index in move.start
                }
                assert after_fast == after_engine, (leaf, event)
                break


def test_timed_moves_take_guards_and_timers_without_the_engine() -> None:
    """PingPong's moves are all timed: guards choose, timers are cancelled and started, no record kept."""
    definition = Definition(machine_of(PING_PONG))
    table = timed_moves(definition)
    assert set(table["A"]) == {"ping", "peek"} and set(table["B"]) == {"pong"}
    cls = type("PingPongFast", (Machine,), {"__slots__": (), "definition": definition})
    now = [0]
    fast = cls({"n": 7}, clock=lambda: now[0])
    runtime_calls: list[tuple[object, ...]] = []
    original = fast._runtime.send

    def counted(*args: Any, **kwargs: Any) -> Any:
        runtime_calls.append(args)
        return original(*args, **kwargs)

    fast._runtime.send = counted
    fast.send("ping")
    assert fast.leaves == ("C",) and [t.key for t in fast.timers] == []
    now[0] = 1_000
    fast.send("pong")
    assert fast.leaves == ("A",)
    assert sorted((t.kind, t.due_ms) for t in fast.timers) == [
        ("soft_timeout", 601_000),
        ("timeout", 3_601_000),
    ]
    assert runtime_calls == []


REENTRANT = """workflow R {
  events { go, next }
  initial state A { on go -> B { do notify } }
  state B { on next -> C }
  state C { on next -> E }
  state E { timeout 1h -> D }
  state D
}
"""


def test_events_a_handler_sends_to_its_machine_are_not_lost() -> None:
    """A handler run by `run_work` sends two pure moves to its own machine; both stick, with their timers."""
    definition = Definition(machine_of(REENTRANT))
    cls = type("ReentrantFast", (Machine,), {"__slots__": (), "definition": definition})
    holder: list[Machine] = []

    def notify(call: object) -> None:
        holder[0].send("next")
        holder[0].send("next")

    fast = cls({}, handlers={"notify": notify}, clock=lambda: 0)
    holder.append(fast)
    fast.send("go")
    assert fast.run_work() == 1
    assert fast.leaves == ("E",)
    assert [t.key for t in fast.timers] == [t.key for t in fast.timers if t.state == "E"] != []


def test_two_machines_never_share_an_idempotency_key() -> None:
    """Each in-memory machine gets its own instance id, so handlers see distinct keys."""
    definition = Definition(machine_of(REENTRANT))
    cls = type("KeysFast", (Machine,), {"__slots__": (), "definition": definition})
    first, second = cls({}, clock=lambda: 0), cls({}, clock=lambda: 0)
    first.send("go")
    second.send("go")
    assert {w.key for w in first.work}.isdisjoint({w.key for w in second.work})


def test_the_state_of_a_parallel_configuration_is_the_parallel_state() -> None:
    """`innermost` is the leaf itself alone, and the deepest common ancestor of several leaves."""
    definition = Definition(machine_of(CHECKS))
    cls = type("ChecksFast", (Machine,), {"__slots__": (), "definition": definition})
    fast = cls({}, clock=lambda: 0)
    assert fast.innermost() == "Idle"
    fast.send("start")
    assert fast.leaves == ("SmokeRunning", "Probing") and fast.innermost() == "Verifying"


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_events_with_payloads_never_take_the_fast_path_and_step_as_the_runtime_does(
    data: st.DataObject,
) -> None:
    """Payload events (issue 17) go through the engine: the same outcomes, leaves and context as `Runtime`."""
    from tests.runtime.conformance import fields_data, tables
    from tests.runtime.test_conformance import DATA

    machine = machine_of(DATA)
    definition = Definition(machine)
    payloads = {e.name: e.payload for e in machine.events}
    assert all(set(row).isdisjoint(definition.payloads) for row in timed_moves(definition).values())
    t = tables(machine)
    cls = type("DataFast", (Machine,), {"__slots__": (), "definition": definition})
    fast = cls({}, clock=lambda: 0, instance_id="machine")
    runtime = Runtime(definition, MemoryStore(), clock=lambda: 0)
    runtime.start({}, "machine")
    for _ in range(data.draw(st.integers(1, 10), label="steps")):
        event = data.draw(st.sampled_from([*payloads, "not_an_event"]), label="event")
        pairs = data.draw(fields_data(t, payloads.get(event, ())), label="data")
        payload = None if pairs is None else dict(pairs)
        expected: str | None = None
        got: str | None = None
        try:
            runtime.send("machine", event, data=payload)
        except WorkflowError as exc:
            expected = exc.code.code
        try:
            fast.send(event, data=payload)
        except WorkflowError as exc:
            got = exc.code.code
        assert got == expected, (event, payload)
        stored = runtime.load("machine")
        assert fast.leaves == stored.active and fast.values == dict(stored.context)
