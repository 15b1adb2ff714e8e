"""An in-memory machine's start: deferred when it only enters the initial leaf, and never stamped.

`Machine.__init__` checks the values and reads the clock; when the start only
enters the initial leaf (`machine.pure_start`), the engine's start step runs when
the instance is first looked at or stepped through the engine, with the time
read at construction, so the snapshot is the one an eager start makes. The
machine's store keeps no audit log, so its steps' records carry the empty stamp
(`Definition.unsealed`); a durable runtime's records are stamped as before.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from statewright import ir
from statewright.runtime.definition import Definition
from statewright.runtime.errors import BadContext, StoreError, UnknownInstance
from statewright.runtime.machine import Machine, pure_start
from statewright.runtime.memory import MemoryStore
from statewright.runtime.runner import Runtime
from tests.runtime.test_fastpath import IDS, MACHINES, start_values
from tests.targets.specs import machine_of

RING = """workflow Ring {
  context { n: int 0..9 = 0 }
  events { next, back, bump }
  initial state A { on next -> B  on back -> B  on bump -> A { set n = n + 1 } }
  state B { on next -> A  on back -> A }
}
"""
TIMED = """workflow Timed {
  events { go }
  initial state A { on go -> B  timeout 1h -> B }
  state B { on go -> A }
}
"""
ENTRY = """workflow Entry {
  events { go }
  initial state A { entry do hello  on go -> B }
  state B { on go -> A }
}
"""


def machine_class(machine: ir.Machine) -> type[Machine]:
    """A `Machine` subclass for `machine`, as a generated module declares one."""
    return type(f"{machine.name}Machine", (Machine,), {"__slots__": (), "definition": Definition(machine)})


@pytest.mark.parametrize(("name", "machine"), MACHINES, ids=IDS)
def test_the_first_snapshot_is_the_eager_start_at_the_construction_time(
    name: str, machine: ir.Machine
) -> None:
    """Deferred or not, the snapshot is `Runtime.start`'s at the time the constructor read (unstamped)."""
    values = start_values(machine)
    now = [1_000]
    fast = machine_class(machine)(values, clock=lambda: now[0], instance_id="m")
    now[0] = 9_000  # the clock moves on before anyone looks
    runtime = Runtime(Definition(machine), MemoryStore(), clock=lambda: 1_000)
    expected = runtime.start(values, "m")
    assert fast.snapshot() == replace(expected, stamp="")
    assert expected.stamp != ""  # a durable start is stamped


def test_a_pure_start_is_deferred_until_the_instance_is_looked_at() -> None:
    cls = machine_class(machine_of(RING))
    fast = cls(clock=lambda: 5)
    assert fast._live_store is None  # nothing but the row so far
    fast.send("next")
    fast.send("back")
    assert fast.leaves == ("A",) and fast._live_store is None  # pure moves need no store
    fast.send("bump")  # a `set`: through the engine, which takes the deferred start first
    snapshot = fast.snapshot()
    assert snapshot.active == ("A",) and snapshot.context == {"n": 1} and snapshot.created_ms == 5
    assert snapshot.version == 2 and snapshot.stamp == ""
    assert len(fast._id) == 32  # a random id, drawn when the start step needed it


def test_a_bad_value_is_refused_at_construction_even_when_the_start_is_deferred() -> None:
    cls = machine_class(machine_of(RING))
    with pytest.raises(BadContext, match="does not fit"):
        cls({"n": 10})
    with pytest.raises(BadContext, match="unknown context field"):
        cls({"m": 1})
    assert cls({"n": 9}).values == {"n": 9}


def test_only_a_start_that_enters_the_initial_leaf_and_nothing_more_is_deferred() -> None:
    assert pure_start(Definition(machine_of(RING))) == "A"
    assert pure_start(Definition(machine_of(TIMED))) is None  # a timer to start
    assert pure_start(Definition(machine_of(ENTRY))) is None  # an entry action owed
    timed = machine_class(machine_of(TIMED))(clock=lambda: 7)
    assert timed._live_store is not None and [t.due_ms for t in timed.timers] == [7 + 3_600_000]


def test_the_machine_s_records_are_unstamped_and_a_durable_runtime_s_are_stamped() -> None:
    definition = Definition(machine_of(RING))
    assert definition.seals and not definition.unsealed().seals
    unsealed = definition.unsealed()
    assert unsealed.plan is definition.plan and unsealed.identity is definition.identity  # shared
    fast = machine_class(machine_of(RING))(clock=lambda: 0, instance_id="m")
    fast.send("bump")
    record = fast._store.last_record("m")
    assert record is not None and record.stamp == "" and record.event == "bump"
    runtime = Runtime(definition, MemoryStore(), clock=lambda: 0)
    runtime.start({}, "d")
    runtime.send("d", "bump")
    assert all(len(r.stamp) == 64 for r in runtime.audit("d"))


def test_the_machine_s_store_refuses_a_closed_store_and_an_unknown_instance() -> None:
    fast = machine_class(machine_of(RING))(clock=lambda: 0, instance_id="m")
    store = fast._store
    with pytest.raises(UnknownInstance):
        store.load("other")
    assert [w.instance for w in store.work()] == [] and store.work("m") == []
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.load("m")


FLIP = """workflow Flip {
  context { n: int 0..9 = 0 }
  events { next, bump }
  initial state A { on next -> B  on bump -> A { set n = n + 1 } }
  state B { on next -> A  on bump -> B { set n = n + 1 } }
}
"""


def test_a_snapshot_taken_between_pure_moves_and_an_engine_step_does_not_leave_the_runtime_stale() -> None:
    """`snapshot()` writes the pure moves back; the engine step after it starts from there."""
    fast = machine_class(machine_of(FLIP))(clock=lambda: 0, instance_id="m")
    fast.send("bump")  # through the engine: the runtime keeps the snapshot it committed (in A)
    fast.send("next")  # a pure move to B: the row only
    assert fast.snapshot().active == ("B",)  # written back to the store
    fast.send("bump")  # through the engine again: from B
    assert fast.leaves == ("B",) and fast.values == {"n": 2}
