"""Conformance: the runtime behaves as the IR says, on Hypothesis-generated operation sequences.

For every example in examples/ and every inline spec of test_engine.py, random
operation sequences (events, clock advances, work results, pause/resume/cancel)
run in lockstep on the reference interpreter (`reference.py`, written from the
documentation) and on `Runtime` over a `MemoryStore` and over a `SQLiteStore`
file; after every operation the observations must be equal, and after every
sequence each runtime's audit log must replay to its stored instance.

The reference is checked by hand on its own first (a parallel join, a saga
failing at each step, a quorum of two, retry delays, the gate, pause and
cancel), so the oracle is not vacuous. The divergences the harness found in
the runtime (parallel approvals, work results while paused, decorrelated
jitter, ignored outcomes, range checks on timer and work steps, the gate in
parallel regions, preemption, timers cancelled within one tick, key templates
before a `set`, refused eventless steps) are fixed, and each keeps a
regression test below.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.pipeline import compile_path
from statewright.runtime.definition import Definition
from statewright.runtime.errors import WorkflowError
from statewright.runtime.memory import MemoryStore
from statewright.runtime.runner import Runtime
from tests.conftest import EXAMPLES, example_files
from tests.runtime import test_engine
from tests.runtime.conformance import (
    INSTANCE_ID,
    FakeClock,
    Harness,
    Implementation,
    ReferenceImplementation,
    Spec,
    memory_runtime,
    run_conformance,
    spec,
    sqlite_runtime,
)
from tests.runtime.generated_impl import GeneratedDurable, GeneratedMachine, generated_module
from tests.runtime.reference import START_MS, Presented, Reference, delay_window

GEOMETRY = """workflow Geometry {
  context {
    n: int 0..3 = 0
    flag: bool = false
  }
  invariant n <= 2
  events { a, b, c, d, go }
  initial state Outer {
    entry do enter_outer
    exit do leave_outer
    on go -> Finished
    initial state Left {
      on a -> Deep
      on b when flag -> Par
      on b else -> Left { set flag = true }
      warn after 1s { do nudge }
    }
    state Mid {
      entry do enter_mid key "mid-{n}"
      exit do leave_mid
      timeout 5s -> Left
      initial state Shallow {
        invoke fetch key "fetch-{n}" heartbeat 3s
        retry unlimited backoff linear 1s..2s retry_on Flaky dead_letter -> Left
        on a -> Deep
        done -> Deep
      }
      state Deep { on c -> Right  timeout 2s -> Shallow }
      state Deep2 { on a -> Mid }
    }
    parallel Par {
      entry do enter_par
      region R1 {
        initial state P1 { on a -> P1b }
        state P1b { on c -> P1c }
        final state P1c
      }
      region R2 {
        initial state Q1 { on c -> Q2 { set n = n + 1 } }
        final state Q2
      }
      done -> Right
      on d -> Deep2
    }
    state Right {
      on a -> Q1
      on b when n < 2 -> Right { set n = n + 1 }
      on b else -> Left
      on d -> Outer
    }
  }
  final state Finished
}
"""
"""Geometry the examples touch lightly: deep targets, external self and ancestor transitions, entering a
region's state from outside a parallel state, leaving one for a deep state, a join, an unlimited retry."""

KIOSK = """workflow Kiosk {
  context { coins: int 0..5 = 0 }
  events { insert, refund, select, back, next, cancel }
  initial state Idle {
    on next -> Browsing
    on insert -> Paying { set coins = coins + 1 }
    ignore back
  }
  state Browsing {
    initial state Page1 { on next -> Page2  on back -> Idle }
    state Page2 { on next -> Page3  on back -> Page1 }
    state Page3 { on back -> Page2  on select -> Paying  on next -> Page1 }
    on cancel -> Idle
  }
  state Paying {
    on insert when coins < 5 -> Paying { set coins = coins + 1 }
    on select when coins >= 2 -> Vending
    on refund -> Idle { set coins = 0 }
    timeout 30s -> Idle
    reject next "finish paying first"
  }
  state Vending {
    invoke vend key "vend-{coins}"
    retry 1 dead_letter -> Idle
    timeout 1m -> Idle
    done -> Done
  }
  final state Done
}
"""
"""Pure moves (the in-memory machine's compiled dispatch) beside guards, `set`, a timeout and invoked work."""

DATA = """workflow DataFlow {
  context {
    amount: decimal 0.00..1000.00 = 0.00
    note: string = ""
    tier: enum { gold, silver } = silver
    receipt: string = ""
    last_error: string = ""
    rate: decimal 0.0000..1.0000 = 0.0000
    lane: int 0..3 = 0
  }
  events {
    submit(amount: decimal 0.00..1000.00, note: string = "", tier: enum { gold, silver } = silver)
    measured(rate: decimal 0.0000..1.0000, urgent: bool = false)
    again
  }
  initial state Review {
    on submit when event.amount > 100.00 -> Route {
      set amount = event.amount  set note = event.note  set tier = event.tier
    }
    on submit else -> Small { set note = event.note }
  }
  state Route {
    always when tier == gold -> Charging { set lane = 1 }
    always else -> Measuring { set lane = 2 }
  }
  state Measuring {
    on measured when event.rate <= 0.0100 and not event.urgent -> Charging { set rate = event.rate }
    on measured else -> Review { set rate = event.rate }
    timeout 1h -> Review
  }
  state Charging {
    invoke charge key "c-{lane}-{amount}" returns { receipt: string, ok: bool }
      retry 1 backoff fixed 1s retry_on Unavailable dead_letter -> Broken { set last_error = error.message }
    on error QuotaExceeded -> Throttled { set last_error = error.name }
    done when result.ok -> Booking { set receipt = result.receipt }
    done else -> Review
  }
  saga Booking {
    step hold key "h-{receipt}" compensate release compensate_key "r-{receipt}"
      returns { ref: string } then { set note = result.ref }
    step ship key "s-{receipt}" pivot
    done -> Paid
    compensated -> Review { set last_error = "undone" }
    compensation_failed -> Broken { set last_error = error.message }
  }
  state Small { on again -> Review }
  state Throttled { on again -> Review }
  state Broken { on again -> Review }
  final state Paid
}
"""
"""Issue 17: payloads read by guards and sets, an eventless choice, guarded `done`, a named catch beside
the dead letter, a saga step's result and `compensation_failed` reading the error."""

INLINE = {"test_engine.SAGA": test_engine.SAGA, "test_engine.APPROVAL": test_engine.APPROVAL}
INLINE["test_engine.GATED"] = test_engine.GATED
INLINE["corner.geometry"] = GEOMETRY
INLINE["corner.kiosk"] = KIOSK
INLINE["corner.data"] = DATA
SUBJECTS = [path.stem for path in example_files()] + sorted(INLINE)
MINUTE = 60_000
DAY = 86_400_000

CONFORMANCE = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
"""A CI-sized budget: 60 sequences per spec, reproducible (derandomized, no example database)."""


@functools.cache
def subject(name: str) -> Spec:
    """An example (by file stem) or an inline spec of test_engine.py, compiled once."""
    if name in INLINE:
        return spec(name, test_engine.machine(INLINE[name]))
    result = compile_path(EXAMPLES / f"{name}.wf")
    assert result.machine is not None, result.diagnostics
    return spec(name, result.machine)


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for the SQLite store files (one new file per sequence)."""
    return tmp_path_factory.mktemp("conformance")


def test_every_example_is_a_subject() -> None:
    """The examples directory is not empty and every example compiles."""
    assert len(example_files()) >= 5
    for name in SUBJECTS:
        assert subject(name).machine.states


@pytest.mark.parametrize("name", SUBJECTS)
def test_the_runtime_behaves_as_the_reference_says(name: str, store_dir: Path) -> None:
    """Random operation sequences: Runtime on memory and on SQLite equal the reference after every step."""
    chosen = subject(name)
    factories = [memory_runtime(chosen.definition), sqlite_runtime(chosen.definition, store_dir)]

    @CONFORMANCE
    @given(data=st.data())
    def sequences(data: st.DataObject) -> None:
        run_conformance(data, chosen, factories)

    sequences()


# --------------------------------------------------------------------------- the reference, by hand


def reference(name: str, values: dict[str, ir.Value] | None = None) -> Reference:
    """A started reference instance of a subject."""
    ref = Reference(subject(name).machine, INSTANCE_ID)
    assert ref.start(values or {}) == "applied"
    return ref


def leaves(ref: Reference) -> list[str]:
    """The active leaves, sorted."""
    return sorted(ref.inst.leaves)


def owed(ref: Reference, kind: str = "invoke") -> list[str]:
    """Owed work of one kind: states for invoked work, action names otherwise."""
    return sorted(
        (w.state or "") if kind == "invoke" else w.action for w in ref.inst.owed.values() if w.kind == kind
    )


def deliver(ref: Reference) -> None:
    """Deliver the emitted events, as the harness does after each operation."""
    for slot in ref.owed_emits():
        ref.deliver(slot)


ALL_ROLES = Presented(
    actor="ann", permissions=("role:sre_oncall", "role:security_reviewer", "role:platform_lead")
)


def test_reference_parallel_regions_run_independently_and_join() -> None:
    """deploy_pipeline's Verifying: four regions, an emit between two of them, a join into Monitoring."""
    ref = reference("deploy_pipeline", {"planned_changes": 1, "change_risk": "low"})
    assert ref.send("plan_ready") == "applied"
    assert leaves(ref) == ["Applying"]
    assert ref.report("Applying", None) == "applied"
    assert leaves(ref) == ["HealthProbing", "LoadPending", "QaSignOff", "SmokeRunning"]
    assert owed(ref) == ["HealthProbing", "SmokeRunning"]
    assert owed(ref, "do") == ["open_verification_report"]
    assert ref.send("smoke_passed") == "applied"
    assert leaves(ref) == ["HealthProbing", "LoadPending", "QaSignOff", "SmokePassed"]
    assert ref.send("smoke_passed") == "rejected"  # Verifying's default refusal, from every region
    assert ref.send("probe_passed") == "applied"
    assert leaves(ref) == ["Healthy", "LoadPending", "QaSignOff", "SmokePassed"]
    deliver(ref)  # health_green reaches LoadPending (Healthy ignores it)
    assert leaves(ref) == ["Healthy", "LoadTesting", "QaSignOff", "SmokePassed"]
    assert ref.send("load_passed") == "applied"  # one event completes two regions
    assert leaves(ref) == ["HealthConfirmed", "LoadPassed", "QaSignOff", "SmokePassed"]
    assert ref.send("acknowledge") == "denied"  # only the assignee, role:qa_engineer, acknowledges
    assert ref.send("acknowledge", Presented("quinn", ("role:qa_engineer",))) == "applied"  # the join fires
    assert leaves(ref) == ["Monitoring"]
    assert owed(ref, "do") == [
        "close_verification_report",
        "open_verification_report",
        "shift_canary_traffic",
    ]
    assert [t.kind for t in ref.inst.timers] == ["timeout"]


def test_reference_leaving_a_parallel_state_from_one_region_stops_the_others() -> None:
    """A failing check in one region exits every region, their timers and their work."""
    ref = reference("deploy_pipeline", {"planned_changes": 1, "change_risk": "low"})
    ref.send("plan_ready")
    ref.report("Applying", None)
    assert ref.send("smoke_failed") == "applied"
    assert leaves(ref) == ["RollingBack"]
    assert owed(ref) == ["RollingBack"]
    assert {t.state for t in ref.inst.timers} == {"RollingBack"}


@pytest.mark.parametrize("failing", range(4))
def test_reference_a_saga_failing_at_step_k_compensates_steps_k_minus_1_to_1(failing: int) -> None:
    """test_engine.SAGA: steps before the failing one are compensated, last first, then `compensated`."""
    steps = ["reserve", "charge", "ship", "notify"]
    undo = {"reserve": "release", "charge": "refund", "ship": "unship"}
    ref = reference("test_engine.SAGA")
    ref.send("go")
    ran: list[str] = []
    for step in steps[:failing]:
        assert leaves(ref) == [f"Paying.{step}"]
        ran.append(step)
        ref.report(f"Paying.{step}", None)
    state = f"Paying.{steps[failing]}"
    attempts = 3 if steps[failing] == "charge" else 1  # `retry 2` on charge
    for attempt in range(attempts):
        assert ref.owed_invoke(state) is not None
        ref.report(state, "Down")
        if attempt < attempts - 1:
            retry = next(t for t in ref.inst.timers if t.kind == "retry")
            ref.tick(retry.due)
    compensated: list[str] = []
    while ref.inst.status == "running":
        (current,) = leaves(ref)
        compensated.append(current.removeprefix("Paying."))
        ref.report(current, None)
    assert compensated == [undo[s] for s in reversed(ran)]
    assert leaves(ref) == ["Undone"]
    assert ref.inst.status == "failed"  # Undone has a failure outcome


def test_reference_a_failing_compensation_needs_a_person() -> None:
    """A compensation failing for good goes to `compensation_failed`."""
    ref = reference("test_engine.SAGA")
    ref.send("go")
    for step in ("reserve", "charge"):
        ref.report(f"Paying.{step}", None)
    ref.report("Paying.ship", "Down")
    assert leaves(ref) == ["Paying.refund"]
    ref.report("Paying.refund", "Down")
    for _ in range(2):  # the compensation runs under its step's `retry 2`
        ref.tick(next(t for t in ref.inst.timers if t.kind == "retry").due)
        ref.report("Paying.refund", "Down")
    assert leaves(ref) == ["Manual"]
    assert ref.inst.status == "running"


def test_reference_retry_delays_follow_the_policy_then_the_dead_letter() -> None:
    """`retry 2 backoff exponential 1s..10s jitter none`: 1 s, then 2 s; the third failure compensates."""
    ref = reference("test_engine.SAGA")
    ref.send("go")
    ref.report("Paying.reserve", None)
    ref.report("Paying.charge", "Down")
    retry = next(t for t in ref.inst.timers if t.kind == "retry")
    assert retry.due - ref.now == 1_000
    assert ref.owed_invoke("Paying.charge") is None  # nothing owed during the backoff
    assert ref.tick(retry.due - 1) == "fired:0"
    assert ref.tick(retry.due) == "fired:1"
    owed_now = ref.owed_invoke("Paying.charge")
    assert owed_now is not None and owed_now.attempt == 2
    ref.report("Paying.charge", "Down")
    retry = next(t for t in ref.inst.timers if t.kind == "retry")
    assert retry.due - ref.now == 2_000
    ref.tick(retry.due)
    ref.report("Paying.charge", "Down")
    assert leaves(ref) == ["Paying.release"]


def test_reference_delay_windows() -> None:
    """The documented delays: growth, cap, and each jitter's range."""
    policy = ir.RetryPolicy(5, "exponential", 5_000, 300_000, Decimal("2.5"), "none")
    assert [delay_window(policy, n, None)[0] for n in range(1, 6)] == [5_000, 12_500, 31_250, 78_125, 195_312]
    assert delay_window(ir.RetryPolicy(5, "linear", 10_000, 25_000), 3, None) == (25_000, 25_000)
    assert delay_window(ir.RetryPolicy(5, "fixed", 8_000, jitter="full"), 2, None) == (0, 8_000)
    assert delay_window(ir.RetryPolicy(5, "fixed", 8_001, jitter="equal"), 2, None) == (4_000, 8_001)
    decorrelated = ir.RetryPolicy(5, "exponential", 1_000, 5_000, jitter="decorrelated")
    assert delay_window(decorrelated, 1, None) == (1_000, 3_000)
    assert delay_window(decorrelated, 2, 1_200) == (1_000, 3_600)
    assert delay_window(decorrelated, 3, 2_000) == (1_000, 5_000)  # capped


def test_reference_approval_quorum_two_counts_distinct_eligible_actors() -> None:
    """test_engine.APPROVAL level 1 needs two approvals among `role:lead` and `user:bob`."""
    ref = reference("test_engine.APPROVAL")
    ref.send("submit")
    carol = Presented(actor="carol", permissions=("role:lead",))
    assert ref.send("approve", carol) == "applied"
    assert ref.send("approve", carol) == "denied"  # an actor approves a level once
    assert leaves(ref) == ["Approval.level_1"]
    assert ref.send("approve", Presented(actor="mallory")) == "denied"
    assert ref.send("approve", Presented(actor="user:bob")) == "applied"
    assert leaves(ref) == ["Approval.level_2"]
    assert ref.send("approve", Presented(actor="dana", permissions=("role:lead",))) == "denied"
    assert ref.send("approve", Presented(actor="dana", permissions=("role:director",))) == "applied"
    assert leaves(ref) == ["Bought"]
    assert ref.inst.status == "completed"


def test_reference_delegation_escalation_and_recall() -> None:
    """A delegatee may decide; a level's timeout escalates; recall returns to the draft."""
    ref = reference("test_engine.APPROVAL")
    ref.send("submit")
    lead = Presented(actor="carol", permissions=("role:lead",))
    assert ref.send("delegate", lead) == "denied"  # whom to?
    assert ref.send("delegate", Presented("carol", ("role:lead",), delegate_to="erin")) == "applied"
    assert ref.send("approve", Presented(actor="erin")) == "applied"
    assert ref.send("approve", Presented(actor="user:bob")) == "applied"
    assert leaves(ref) == ["Approval.level_2"]
    assert ref.tick(ref.now + 2 * DAY) == "fired:1"
    assert leaves(ref) == ["Expired"]
    again = reference("test_engine.APPROVAL")
    again.send("submit")
    assert again.tick(again.now + DAY) == "fired:1"
    assert leaves(again) == ["Approval.level_2"]
    assert again.send("recall") == "applied"
    assert leaves(again) == ["Draft"]


def test_reference_a_parallel_approval_counts_each_level_by_its_own_approvers() -> None:
    """deploy_pipeline's ChangeApproval: every level must reach its own quorum before the join."""
    ref = reference("deploy_pipeline", {"planned_changes": 1, "environment": "production"})
    ref.send("plan_ready")
    assert leaves(ref) == ["ChangeApproval.level_1.pending", "ChangeApproval.level_2.pending"]
    security = Presented(actor="sam", permissions=("role:security_reviewer",))
    assert ref.send("approve", security) == "applied"  # counted at level 2 only
    assert ref.send("approve", Presented(actor="sre", permissions=("role:sre_oncall",))) == "applied"
    assert leaves(ref) == ["ChangeApproval.level_1.granted", "ChangeApproval.level_2.pending"]
    assert ref.send("approve", Presented(actor="pat", permissions=("role:platform_lead",))) == "applied"
    assert leaves(ref) == ["Applying"]
    rejected = reference("deploy_pipeline", {"planned_changes": 1, "environment": "production"})
    rejected.send("plan_ready")
    assert rejected.send("reject", ALL_ROLES) == "applied"
    assert leaves(rejected) == ["ChangeRejected"]


def test_reference_gate_refusals_guards_and_ranges() -> None:
    """test_engine.GATED: unknown, unhandled, rejected, denied, ignored, no guard, and a range refusal."""
    ref = reference("test_engine.GATED")
    assert ref.send("nope") == "not_allowed"
    assert ref.send("poke") == "not_allowed"
    assert ref.send("stop") == "rejected"
    assert ref.send("go", Presented(actor="ann")) == "denied"
    assert ref.send("go", Presented(actor="ann", permissions=("ops:release",))) == "denied"  # no evidence
    wrong = Presented("ann", ("ops:release",), scope="elsewhere", evidence=("ticket",))
    assert ref.send("go", wrong) == "applied"  # GATED has no workflow scope: no scope to hold
    assert leaves(ref) == ["B"]
    assert ref.send("poke") == "ignored"
    assert ref.send("go") == "no_guard"
    ranged = reference("test_engine.GATED")
    for _ in range(3):
        assert ranged.send("bump") == "applied"
    assert ranged.send("bump") == "invariant"
    assert ranged.inst.context["n"] == 3


def test_reference_scope_and_evidence_gate_on_publishing() -> None:
    """publishing: a transition's own scope, and `requires` under the workflow's scope."""
    ref = reference("publishing")
    assert ref.send("lock_acquired", Presented(scope="publishing.cdn", evidence=("lock_token",))) == "denied"
    assert ref.send("lock_acquired", Presented(scope="publishing.release")) == "denied"  # no evidence
    assert ref.send("lock_acquired", Presented(evidence=("lock_token",))) == "denied"  # names no scope
    locked = Presented(scope="publishing.release", evidence=("lock_token",))
    assert ref.send("lock_acquired", locked) == "applied"
    assert leaves(ref) == ["ScopeLocked"]


def test_reference_pause_resume_cancel() -> None:
    """Paused: events and results refused, timers wait; resume fires them later; cancel drops work."""
    ref = reference("test_engine.APPROVAL")
    ref.send("submit")
    assert ref.control("pause") == "applied"
    assert ref.send("approve", Presented(actor="user:bob")) == "not_running"
    assert ref.tick(ref.now + DAY) == "fired:0"
    assert ref.control("pause") == "not_running"
    assert ref.control("resume") == "applied"
    assert ref.tick(ref.now) == "fired:1"
    assert leaves(ref) == ["Approval.level_2"]
    assert ref.control("cancel") == "applied"
    assert ref.inst.timers == []
    assert ref.control("resume") == "not_running"
    saga = reference("test_engine.SAGA")
    saga.send("go")
    saga.control("pause")
    assert saga.report("Paying.reserve", None) == "not_running"
    saga.control("cancel")
    assert owed(saga) == []


def test_reference_start_values_are_validated() -> None:
    """Unknown fields, wrong kinds, out-of-range values and missing required fields create nothing."""
    ref = Reference(subject("test_engine.GATED").machine, INSTANCE_ID)
    for values in ({"nope": 1}, {"n": "three"}, {"n": 7}, {"n": True}):
        assert ref.start(values) == "bad_context"
        assert not ref.started
    expense = Reference(subject("expense_approval").machine, INSTANCE_ID)
    assert expense.start({"amount": Decimal("10.00")}) == "bad_context"  # category has no default
    assert expense.start({"amount": 5, "category": "travel"}) == "applied"
    assert expense.inst.context["amount"] == Decimal(5)


def test_the_harness_reports_a_divergence_with_the_operation_sequence() -> None:
    """A deliberately different implementation is caught, and the message lists every operation."""
    chosen = subject("test_engine.GATED")
    oracle = ReferenceImplementation(chosen.machine)
    impostor = ReferenceImplementation(chosen.machine)
    impostor.name = "impostor"
    harness = Harness(chosen.name, oracle, [impostor])
    from tests.runtime.conformance import DivergenceError, Send, Start

    harness.apply(Start())
    harness.apply(Send("bump"))
    impostor.reference.inst.context["n"] = 2
    with pytest.raises(DivergenceError) as caught:
        harness.apply(Send("bump"))
    text = str(caught.value)
    assert "`impostor` diverges" in text and "1. send bump" in text and "2. send bump" in text
    assert "context" in text


# --------------------------------------------------------------------------- divergences found and fixed


@pytest.fixture
def deploy() -> Iterator[tuple[Runtime, FakeClock]]:
    """deploy_pipeline's runtime on a memory store, an instance waiting for its change approval."""
    clock = FakeClock(START_MS)
    rt = Runtime(subject("deploy_pipeline").definition, MemoryStore(), {}, clock=clock)
    rt.start({"planned_changes": 1, "environment": "production"}, instance_id=INSTANCE_ID)
    rt.send(INSTANCE_ID, "plan_ready")
    yield rt, clock
    rt.store.close()


def test_runtime_a_parallel_approval_counts_each_level_by_its_own_approvers(
    deploy: tuple[Runtime, FakeClock],
) -> None:
    """LANGUAGE.md §10: approvals count only at the level whose approvers include the actor."""
    rt, _ = deploy
    rt.send(INSTANCE_ID, "approve", actor="sre", permissions=["role:sre_oncall"])
    assert rt.load(INSTANCE_ID).active == ("ChangeApproval.level_1.granted", "ChangeApproval.level_2.pending")
    rt.send(INSTANCE_ID, "approve", actor="sam", permissions=["role:security_reviewer"])
    rt.send(INSTANCE_ID, "approve", actor="pat", permissions=["role:platform_lead"])
    assert rt.load(INSTANCE_ID).active == ("Applying",)


def test_runtime_a_work_result_while_paused_is_not_lost() -> None:
    """A paused instance waits; the result of its invoked work must not vanish."""
    clock = FakeClock(START_MS)
    rt = Runtime(subject("test_engine.SAGA").definition, MemoryStore(), {}, clock=clock)
    rt.start(instance_id=INSTANCE_ID)
    rt.send(INSTANCE_ID, "go")
    (work,) = [w for w in rt.store.work(INSTANCE_ID) if w.kind == "invoke"]
    rt.pause(INSTANCE_ID)
    with contextlib.suppress(WorkflowError):  # refusing the result (it stays owed) is fine too
        rt.report(INSTANCE_ID, work.key)
    rt.resume(INSTANCE_ID)
    still_owed = any(w.key == work.key for w in rt.store.work(INSTANCE_ID))
    moved_on = rt.load(INSTANCE_ID).active == ("Paying.charge",)
    assert still_owed or moved_on


def test_runtime_decorrelated_jitter_is_bounded_by_three_times_the_previous_delay() -> None:
    """data_pipeline's Extracting (exponential 5s..5m factor 2.5, decorrelated): delay 2 <= 3 x delay 1."""
    clock = FakeClock(START_MS)
    rt = Runtime(subject("data_pipeline").definition, MemoryStore(), {}, clock=clock)
    rt.start(instance_id=INSTANCE_ID)
    rt.send(INSTANCE_ID, "run_started")
    delays: list[int] = []
    for _ in range(2):
        (work,) = [w for w in rt.store.work(INSTANCE_ID) if w.kind == "invoke"]
        rt.report(INSTANCE_ID, work.key, "SourceUnavailable")
        (retry,) = [t for t in rt.store.timers(INSTANCE_ID) if t.kind == "retry"]
        delays.append(retry.due_ms - clock.now)
        clock.now = retry.due_ms
        rt.tick()
    assert 5_000 <= delays[0] <= 15_000
    assert 5_000 <= delays[1] <= 3 * delays[0]


def test_runtime_an_ignored_event_is_recorded_as_ignored() -> None:
    """model.py: `rejected`/`ignored` are the outcomes of explicit refusals."""
    rt = Runtime(subject("test_engine.GATED").definition, MemoryStore(), {}, clock=FakeClock())
    rt.start(instance_id=INSTANCE_ID)
    rt.send(INSTANCE_ID, "go", permissions=["ops:release"], evidence={"ticket": "T-1"})
    rt.send(INSTANCE_ID, "poke")
    assert rt.audit(INSTANCE_ID)[-1].outcome == "ignored"


def corner(text: str) -> tuple[Runtime, FakeClock, Reference]:
    """A runtime on a memory store and a reference, both started, for a small spec."""
    machine = test_engine.machine(text)
    clock = FakeClock(START_MS)
    rt = Runtime(Definition(machine), MemoryStore(), {}, clock=clock)
    rt.start(instance_id=INSTANCE_ID)
    ref = Reference(machine, INSTANCE_ID)
    assert ref.start({}) == "applied"
    return rt, clock, ref


def tick(rt: Runtime, clock: FakeClock, ref: Reference, at: int) -> None:
    """Advance both clocks to START_MS + `at` and fire due timers on both."""
    clock.now = START_MS + at
    rt.tick()
    ref.tick(START_MS + at)


def test_runtime_a_timer_step_that_would_leave_a_range_is_refused() -> None:
    """LANGUAGE.md §12: a `set` that would leave the declared range is refused at run time."""
    rt, clock, ref = corner(
        """workflow T {
          context { n: int 0..1 = 0 }
          events { go }
          initial state A { timeout 1s -> C { set n = n + 1 } }
          state C { on go -> A }
        }"""
    )
    tick(rt, clock, ref, 1_000)
    rt.send(INSTANCE_ID, "go")
    ref.send("go")
    tick(rt, clock, ref, 3_000)
    assert ref.inst.context["n"] == 1 and ref.inst.leaves == {"A"}
    assert rt.load(INSTANCE_ID).context["n"] == 1


PARALLEL_EVENT = """workflow P {
  events { e }
  initial parallel P {
    region R1 { initial state A1 { on e -> A2 }  state A2 }
    region R2 { initial state B1 { on e -> TARGET } state B2 }
  }
  state Out
}
"""


def test_runtime_every_transition_an_event_takes_passes_the_gate() -> None:
    """LANGUAGE.md §13: `requires` names permissions the actor must hold for the transition to be applied."""
    rt, _, ref = corner(PARALLEL_EVENT.replace("TARGET", 'B2 requires "ops:p"'))
    assert ref.send("e") == "denied"
    with contextlib.suppress(WorkflowError):
        rt.send(INSTANCE_ID, "e")
    assert rt.load(INSTANCE_ID).active == ("A1", "B1")


def test_one_approval_counts_at_one_parallel_level(deploy: tuple[Runtime, FakeClock]) -> None:
    """One `approve` counts at one level: an actor holding both levels' roles signs level 1 first.

    (A second `approve` by the same actor then counts at level 2: keeping one person from
    signing two levels takes levels with disjoint approvers.)
    """
    rt, _ = deploy
    both = ["role:sre_oncall", "role:security_reviewer"]
    rt.send(INSTANCE_ID, "approve", actor="mallory", permissions=both)
    assert rt.load(INSTANCE_ID).active == ("ChangeApproval.level_1.granted", "ChangeApproval.level_2.pending")
    rt.send(INSTANCE_ID, "approve", actor="mallory", permissions=both)
    rt.send(INSTANCE_ID, "approve", actor="pat", permissions=["role:platform_lead"])
    assert rt.load(INSTANCE_ID).active == ("Applying",)


def test_a_preempted_transition_is_not_gated() -> None:
    """LANGUAGE.md §13: permissions are needed for a transition to be *applied*; a preempted one is not."""
    spec_text = """workflow G {
  events { e }
  initial parallel P {
    region R1 { initial state A1 { on e -> Out } }
    region R2 { initial state A2 { on e -> B2 requires "x" } state B2 }
  }
  state Out
}
"""
    rt, _, ref = corner(spec_text)
    assert ref.send("e") == "applied"
    rt.send(INSTANCE_ID, "e")
    assert rt.load(INSTANCE_ID).active == ("Out",) and sorted(ref.inst.leaves) == ["Out"]


def test_runtime_conflicting_transitions_of_one_event_are_preempted() -> None:
    """engine.py: conflicting transitions are pre-empted in document order (SCXML's preemption).

    The selected transitions run in document order, skipping any whose exit set meets one already
    taken: B1 -> Out exits A1 as A1 -> A2 does, so only A1 -> A2 runs.
    """
    rt, _, ref = corner(PARALLEL_EVENT.replace("TARGET", "Out"))
    ref.send("e")
    assert sorted(ref.inst.leaves) == ["A2", "B1"]
    rt.send(INSTANCE_ID, "e")
    assert rt.load(INSTANCE_ID).active == ("A2", "B1")


def test_runtime_a_cancelled_timer_never_fires() -> None:
    """LANGUAGE.md §7: a timer is cancelled when its state is left; the re-entered state's warning stands."""
    rt, clock, ref = corner(
        """workflow S {
          events { e }
          initial state C {
            timeout 1500ms -> C
            initial state S1 { warn after 2s  timeout 1s -> S2 }
            state S2
          }
        }"""
    )
    tick(rt, clock, ref, 3_000)
    expected = sorted((t.kind, t.state, t.due) for t in ref.inst.timers)
    assert ("soft_timeout", "S1", START_MS + 5_000) in expected
    assert sorted((t.kind, t.state, t.due_ms) for t in rt.store.timers(INSTANCE_ID)) == expected


def test_runtime_a_key_template_sees_the_context_where_its_action_runs() -> None:
    """LANGUAGE.md §6: a transition's actions run in order, so `do` before `set` sees the old value."""
    rt, _, ref = corner(
        """workflow K {
          context { n: int 0..5 = 0 }
          events { go }
          initial state A { on go -> B { do notify key "k-{n}"  set n = n + 1 } }
          state B
        }"""
    )
    ref.send("go")
    assert [w.key for w in ref.inst.owed.values()] == ["k-0"]
    rt.send(INSTANCE_ID, "go")
    assert [w.key for w in rt.store.work(INSTANCE_ID)] == ["k-0"]


def test_runtime_a_refused_eventless_step_is_not_retried_a_thousand_times() -> None:
    """One event whose completion step is refused leaves a short audit log, and the instance where it was."""
    rt, _, ref = corner(
        """workflow E {
          context { n: int 0..0 = 0 }
          events { go }
          initial state C { initial state X { on go -> F }  final state F  done -> D }
          state D { entry { set n = n + 1 } }
        }"""
    )
    assert ref.send("go") == "applied"
    assert ref.inst.leaves == {"F"}
    rt.send(INSTANCE_ID, "go")
    assert rt.load(INSTANCE_ID).active == ("F",)
    assert len(rt.audit(INSTANCE_ID)) < 10


@pytest.mark.parametrize("name", SUBJECTS)
def test_the_generated_module_behaves_as_the_reference_says(name: str) -> None:
    """The python target's module, in memory (fast path included) and durable, equals the reference."""
    chosen = subject(name)
    module = generated_module(name, chosen.machine)
    factories: list[Callable[[], Implementation]] = [
        lambda: GeneratedMachine(module, chosen.machine),
        lambda: GeneratedDurable(module, chosen.machine),
    ]

    @CONFORMANCE
    @given(data=st.data())
    def sequences(data: st.DataObject) -> None:
        run_conformance(data, chosen, factories)

    sequences()
