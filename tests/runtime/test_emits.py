"""The runtime's bound on emitted events: one external step, at most MAX_EMITTED_STEPS more (SW979)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.pipeline import compile_text
from statewright.runtime.definition import Definition
from statewright.runtime.emits import MAX_EMITTED_STEPS, EmitCascadeError, cascade
from statewright.runtime.errors import EventRejected
from statewright.runtime.memory import MemoryStore
from statewright.runtime.runner import Runtime
from tests.cli.test_cli import run, write

PING = """workflow P {
  events { ping, go, no }
  initial state A {
    on ping -> A { emit ping emit ping }
    on go -> B
    reject no "not now"
    timeout 1h -> B
  }
  final state B
}
"""


def _runtime(spec: str) -> Runtime:
    result = compile_text(spec, "p.wf")
    assert result.machine is not None, result.diagnostics
    ticks = iter(range(1_000, 10**9))
    return Runtime(Definition(result.machine), MemoryStore(), clock=lambda: next(ticks))


def _snapshot(runtime: Runtime, instance: str) -> tuple[object, ...]:
    store = runtime.store
    return (runtime.load(instance), tuple(store.records(instance)), tuple(store.work(instance)))


def test_a_cascade_past_the_bound_is_refused_and_leaves_nothing_behind() -> None:
    runtime = _runtime(PING)
    runtime.start(instance_id="i")
    before = _snapshot(runtime, "i")
    with pytest.raises(EmitCascadeError) as raised:
        cascade(runtime, runtime, "i", lambda: runtime.send("i", "ping"))
    assert raised.value.code.code == "SW979"
    assert _snapshot(runtime, "i") == before


def test_a_refused_step_keeps_its_record_and_raises_its_own_refusal() -> None:
    runtime = _runtime(PING)
    runtime.start(instance_id="i")
    count = len(runtime.store.records("i"))
    with pytest.raises(EventRejected):
        cascade(runtime, runtime, "i", lambda: runtime.send("i", "no"))
    assert len(runtime.store.records("i")) == count + 1


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 12))
def test_a_finite_chain_of_emits_is_delivered_whole(length: int) -> None:
    """A chain e0 -> e1 -> ... of `length` emits, each handled once, runs to its end in one cascade."""
    events = [f"e{n}" for n in range(length + 1)]
    states = "\n".join(
        f"  state S{n} {{ on e{n} -> S{n + 1}"
        + (f" {{ emit e{n + 1} }}" if n < length else "")
        + " timeout 1h -> Done }"
        for n in range(length + 1)
    )
    spec = (
        f"workflow C {{\n  events {{ {', '.join(events)} }}\n"
        f"  initial state Start {{ on e0 -> S0 {{ emit e0 }} timeout 1h -> Done }}\n"
        f"{states}\n  state S{length + 1} {{ timeout 1h -> Done }}\n  final state Done\n}}\n"
    )
    runtime = _runtime(spec)
    runtime.start(instance_id="i")
    cascade(runtime, runtime, "i", lambda: runtime.send("i", "e0"))
    assert runtime.load("i").active == (f"S{length + 1}",)
    assert len(runtime.store.records("i")) == 1 + 1 + length + 1


def test_run_send_refuses_the_cascade_with_sw979_and_the_log_is_unchanged(tmp_path: Path) -> None:
    """The issue's spec: one `run send` wrote 66,000 audit records in a minute."""
    spec = write(tmp_path / "p.wf", PING)
    db = tmp_path / "p.db"
    assert run("run", "start", spec, "--db", db, "--id", "i1").exit_code == 0
    result = run("run", "send", spec, "i1", "ping", "--db", db)
    assert result.exit_code == 1, result.output
    assert "SW979" in result.output
    log = run("run", "log", spec, "i1", "--db", db, "--format", "json")
    assert log.output.count('"seq"') == 1
    assert MAX_EMITTED_STEPS == 1000


def test_run_tick_refuses_a_timer_that_starts_an_endless_cascade_and_fires_nothing(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "t.wf",
        PING.replace("timeout 1h -> B", "timeout 1s -> A { emit ping }"),
    )
    db = tmp_path / "t.db"
    assert run("run", "start", spec, "--db", db, "--id", "i1", "--now", "2026-01-01T00:00:00Z").exit_code == 0
    result = run("run", "tick", spec, "--db", db, "--now", "2026-01-01T00:00:05Z")
    assert result.exit_code == 1, result.output
    assert "SW979" in result.output
    log = run("run", "log", spec, "i1", "--db", db, "--format", "json")
    assert log.output.count('"seq"') == 1
