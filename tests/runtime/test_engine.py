"""The runtime on an in-memory store: sagas, approvals, refusals, the gate, timers and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from statewright import ir
from statewright.pipeline import compile_text
from statewright.runtime import codec
from statewright.runtime.definition import Definition
from statewright.runtime.errors import (
    BadContext,
    EventNotAllowed,
    EventRejected,
    InvariantBroken,
    NoGuardHolds,
    NotRunning,
    PermissionDenied,
    WorkflowError,
)
from statewright.runtime.memory import MemoryStore
from statewright.runtime.model import Commit, WorkKind
from statewright.runtime.runner import Call, Runtime

SAGA = """workflow Pay {
  context { amount: decimal >= 0.00 = 10.00 }
  events { go }
  initial state Idle { on go -> Paying }
  saga Paying {
    step reserve key "r-{id}" compensate release compensate_key "rel-{id}" timeout 1m
    step charge key "c-{id}" compensate refund compensate_key "ref-{id}" timeout 1m
        retry 2 backoff exponential 1s..10s jitter none
    step ship key "s-{id}" compensate unship compensate_key "un-{id}" timeout 1m
    step notify key "n-{id}" no_compensation "an email cannot be recalled" timeout 1m
    done -> Done
    compensated -> Undone
    compensation_failed -> Manual
  }
  final state Done
  final state Undone { outcome failure "rolled back" }
  state Manual { on go -> Done }
}
"""

APPROVAL = """workflow Buy {
  context { amount: decimal >= 0.00 = 0.00 }
  events { submit }
  initial state Draft { on submit -> Approval }
  approval Approval {
    delegation allowed
    level 1 { approvers role:lead, user:bob quorum 2 timeout 1d escalate -> level 2 }
    level 2 { approvers role:director timeout 2d escalate -> Expired }
    approved -> Bought
    rejected -> Declined
    recall -> Draft
  }
  final state Bought
  final state Declined { outcome failure "declined" }
  final state Expired { outcome failure "nobody decided" }
}
"""

GATED = """workflow Gate {
  context {
    n: int 0..3 = 0
    size: int 0..100 = 0
  }
  events { go, poke, bump, stop }
  initial state A {
    on go -> B requires "ops:release" evidence ticket
    on bump when size < 50 -> A { set n = n + 1 }
    reject stop "not while in A"
  }
  state B { on go when size > 10 -> C  ignore poke }
  final state C
}
"""


def machine(text: str) -> ir.Machine:
    """Compile a spec the front end accepts (findings of the verifier do not matter here)."""
    result = compile_text(text, "spec.wf")
    assert result.machine is not None, result.diagnostics
    return result.machine


class Clock:
    """A fake clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = 1_000

    def __call__(self) -> int:
        return self.now


def runtime(text: str, handlers: dict[str, Callable[[Call], object]] | None = None) -> tuple[Runtime, Clock]:
    """A runtime on a fresh in-memory store with a fake clock."""
    clock = Clock()
    return Runtime(Definition(machine(text)), MemoryStore(), handlers or {}, clock=clock), clock


def drain(rt: Runtime, clock: Clock, rounds: int = 30, step_ms: int = 1_000) -> None:
    """Run owed work and advance the clock until nothing is left to do."""
    for _ in range(rounds):
        ran = rt.run_work()
        clock.now += step_ms
        fired = rt.tick()
        if not ran and not fired and not rt.store.work():
            return


def assert_chain(rt: Runtime, instance_id: str) -> None:
    """The audit log is gapless, its stamps chain, and its last record is the stored state."""
    records = list(rt.audit(instance_id))
    instance = rt.load(instance_id)
    assert codec.verify_chain(records) is None
    assert instance.version == len(records)
    assert instance.stamp == records[-1].stamp
    assert records[-1].target == instance.active
    assert dict(records[-1].context) == dict(instance.context)


# --------------------------------------------------------------------------- sagas

STEPS = ("reserve", "charge", "ship", "notify")
COMPENSATIONS = {"reserve": "release", "charge": "refund", "ship": "unship"}


@pytest.mark.parametrize("failing", STEPS)
def test_a_failing_step_compensates_exactly_the_completed_steps_in_reverse_order(failing: str) -> None:
    """Failure at each step: only the steps before it are compensated, last first, then `compensated ->`."""
    calls: list[str] = []

    def handler(call: Call) -> None:
        calls.append(call.action)
        if call.action == failing:
            raise RuntimeError("down")

    names = [*STEPS, *COMPENSATIONS.values()]
    rt, clock = runtime(SAGA, {name: handler for name in names})
    rt.start(instance_id="p")
    rt.send("p", "go")
    drain(rt, clock)
    done = list(STEPS[: STEPS.index(failing)])
    expected = [name for name in reversed(done) if name in COMPENSATIONS]
    forward = [c for c in calls if c in STEPS]
    backward = [c for c in calls if c in COMPENSATIONS.values()]
    attempts = 3 if failing == "charge" else 1  # `retry 2`
    assert forward == [*done, *([failing] * attempts)]
    assert backward == [COMPENSATIONS[name] for name in expected]
    assert rt.load("p").active == ("Undone",)
    assert rt.load("p").status == "failed"  # `Undone` has a failure outcome
    assert_chain(rt, "p")


def test_a_failing_compensation_goes_to_manual_intervention() -> None:
    """When a compensation fails for good, the saga's `compensation_failed ->` state is entered."""

    def handler(call: Call) -> None:
        if call.action in ("ship", "refund"):
            raise RuntimeError("down")

    names = [*STEPS, *COMPENSATIONS.values()]
    rt, clock = runtime(SAGA, {name: handler for name in names})
    rt.start(instance_id="p")
    rt.send("p", "go")
    drain(rt, clock)
    assert rt.load("p").active == ("Manual",)
    assert rt.load("p").status == "running"


def test_retries_follow_the_policy_delays_on_the_fake_clock() -> None:
    """`retry 2 backoff exponential 1s..10s jitter none`: retries 1 s then 2 s after each failure."""
    failures: list[int] = []
    rt, clock = runtime(SAGA, {n: (lambda c: None) for n in [*STEPS, *COMPENSATIONS.values()]})

    def charge(call: Call) -> None:
        failures.append(clock.now)
        if call.attempt < 3:
            raise RuntimeError("flaky")

    rt.handlers["charge"] = charge
    rt.start(instance_id="p")
    rt.send("p", "go")
    rt.run_work()  # reserve
    rt.run_work()  # charge, attempt 1 fails
    timers = rt.store.timers("p")
    retry = next(t for t in timers if t.key.startswith("retry:"))
    assert retry.due_ms - clock.now == 1_000
    clock.now = retry.due_ms - 1
    assert rt.tick() == 0  # not yet due
    clock.now = retry.due_ms
    assert rt.tick() == 1
    rt.run_work()  # attempt 2 fails
    retry = next(t for t in rt.store.timers("p") if t.key.startswith("retry:"))
    assert retry.due_ms - clock.now == 2_000
    clock.now = retry.due_ms
    rt.tick()
    rt.run_work()  # attempt 3 succeeds
    assert rt.load("p").active == ("Paying.ship",)
    keys = {r.key for r in rt.audit("p")}
    assert None in keys


# --------------------------------------------------------------------------- approvals


def test_quorum_counts_distinct_eligible_approvers() -> None:
    """Quorum 2: one approval waits, a repeat by the same actor is refused, a second approver decides."""
    rt, _ = runtime(APPROVAL)
    rt.start(instance_id="b")
    rt.send("b", "submit")
    rt.send("b", "approve", actor="carol", permissions=["role:lead"])
    with pytest.raises(PermissionDenied, match="`carol` already approved at level 1"):
        rt.send("b", "approve", actor="carol", permissions=["role:lead"])
    assert rt.load("b").active == ("Approval.level_1",)
    with pytest.raises(PermissionDenied):
        rt.send("b", "approve", actor="mallory")
    assert rt.load("b").active == ("Approval.level_1",)
    rt.send("b", "approve", actor="user:bob")
    assert rt.load("b").active == ("Approval.level_2",)
    rt.send("b", "approve", actor="dana", permissions=["role:director"])
    assert rt.load("b").active == ("Bought",)
    assert rt.load("b").status == "completed"
    assert [r.outcome for r in rt.audit("b")].count("denied") == 2
    assert_chain(rt, "b")


def test_delegation_reject_and_escalation() -> None:
    """A delegatee may decide; a reject ends the approval; an unanswered level escalates on its timer."""
    rt, clock = runtime(APPROVAL)
    rt.start(instance_id="d")
    rt.send("d", "submit")
    rt.send("d", "delegate", actor="carol", permissions=["role:lead"], delegate_to="erin")
    rt.send("d", "reject", actor="erin")
    assert rt.load("d").active == ("Declined",)
    assert rt.load("d").status == "failed"
    rt.start(instance_id="e")
    rt.send("e", "submit")
    clock.now += 86_400_000
    assert rt.tick() == 1
    assert rt.load("e").active == ("Approval.level_2",)
    clock.now += 2 * 86_400_000
    rt.tick()
    assert rt.load("e").active == ("Expired",)


# --------------------------------------------------------------------------- refusals and the gate


def refused(rt: Runtime, error: type[WorkflowError], code: str, *args: str, **kwargs: object) -> None:
    """Sending fails with `error` (and `code`), records the refusal, and changes nothing else."""
    before = rt.load("g")
    with pytest.raises(error) as caught:
        rt.send("g", *args, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code.code == code
    after = rt.load("g")
    assert (after.active, dict(after.context), after.status) == (
        before.active,
        dict(before.context),
        before.status,
    )
    assert after.version == before.version + 1
    assert rt.audit("g")[-1].outcome != "applied"


def test_refusals_are_recorded_and_change_nothing() -> None:
    """Unknown events, refused events, missing permissions or evidence, and failing guards."""
    rt, _ = runtime(GATED)
    rt.start(instance_id="g")
    refused(rt, EventNotAllowed, "SW960", "nope")
    refused(rt, EventNotAllowed, "SW960", "poke")
    refused(rt, EventRejected, "SW961", "stop")
    refused(rt, PermissionDenied, "SW963", "go", actor="ann")
    refused(rt, PermissionDenied, "SW963", "go", actor="ann", permissions=["ops:release"])
    rt.send("g", "go", actor="ann", permissions=["ops:release"], evidence={"ticket": "T-1"})
    assert rt.load("g").active == ("B",)
    rt.send("g", "poke")  # ignored: recorded, no change
    assert rt.audit("g")[-1].reason == "ignored"
    refused(rt, NoGuardHolds, "SW962", "go")
    assert_chain(rt, "g")


def test_a_set_that_would_leave_a_range_is_refused_whole() -> None:
    """`set n = n + 1` past `int 0..3` is refused with SW971 and the instance keeps n = 3."""
    rt, _ = runtime(GATED)
    rt.start(instance_id="g")
    for _ in range(3):
        rt.send("g", "bump")
    assert rt.load("g").context["n"] == 3
    refused(rt, InvariantBroken, "SW971", "bump")


def test_an_idempotency_key_applies_once() -> None:
    """The same client key sent twice moves the instance once and records once."""
    rt, _ = runtime(GATED)
    rt.start(instance_id="g")
    rt.send("g", "bump", key="k-1")
    rt.send("g", "bump", key="k-1")
    assert rt.load("g").context["n"] == 1
    assert len(rt.audit("g")) == 2


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"nope": 1}, "unknown context field"),
        ({"n": "three"}, "does not fit"),
        ({"n": 7}, "does not fit"),
        ({"n": True}, "does not fit"),
    ],
)
def test_bad_start_values_create_nothing(values: dict[str, ir.Value], fragment: str) -> None:
    """Unknown fields, wrong types and out-of-range values are refused before anything is stored."""
    rt, _ = runtime(GATED)
    with pytest.raises(BadContext, match=fragment) as caught:
        rt.start(values, instance_id="g")
    assert caught.value.code.code == "SW966"
    assert list(rt.store.instances()) == []


def test_a_field_without_default_must_be_given() -> None:
    """A field with no default is required at start; a decimal accepts an int."""
    rt, _ = runtime(SAGA.replace("amount: decimal >= 0.00 = 10.00", "amount: decimal >= 0.00"))
    with pytest.raises(BadContext, match="no default"):
        rt.start(instance_id="p")
    assert rt.start({"amount": 5}, instance_id="p").context["amount"] == Decimal(5)


def test_pause_resume_cancel() -> None:
    """A paused instance refuses events and its timers wait; resume continues; cancel ends it."""
    rt, clock = runtime(APPROVAL)
    rt.start(instance_id="b")
    rt.send("b", "submit")
    rt.pause("b")
    with pytest.raises(NotRunning):
        rt.send("b", "approve", actor="user:bob")
    clock.now += 86_400_000
    assert rt.tick() == 0
    rt.resume("b")
    assert rt.tick() == 1
    assert rt.load("b").active == ("Approval.level_2",)
    rt.cancel("b")
    assert rt.load("b").status == "cancelled"
    assert rt.store.timers("b") == []
    with pytest.raises(NotRunning):
        rt.resume("b")
    assert [r.kind for r in rt.audit("b")][-4:] == ["pause", "resume", "timeout", "cancel"]
    assert_chain(rt, "b")


# --------------------------------------------------------------------------- replay


def test_replaying_the_log_rebuilds_every_record_and_the_stored_state() -> None:
    """Saga retries, compensation, refusals and timers: the replayed chain is identical, stamp for stamp."""
    from statewright.runtime.replay import check

    def handler(call: Call) -> None:
        if call.action == "ship" or (call.action == "charge" and call.attempt < 2):
            raise RuntimeError("down")

    names = [*STEPS, *COMPENSATIONS.values()]
    rt, clock = runtime(SAGA, {name: handler for name in names})
    rt.start(instance_id="p")
    with pytest.raises(EventNotAllowed):
        rt.send("p", "nope")
    rt.send("p", "go")
    drain(rt, clock)
    rebuilt = check(rt.definition, rt.store, "p")
    assert rebuilt.active == ("Undone",)
    kinds = {r.kind for r in rt.audit("p")}
    assert {"start", "event", "done", "error", "retry"} <= kinds


def test_replay_detects_a_tampered_record() -> None:
    """Changing one stored record's context makes replay fail at exactly that record."""
    from dataclasses import replace as dc_replace

    from statewright.runtime.replay import ReplayError, replay

    rt, _ = runtime(GATED)
    rt.start(instance_id="g")
    rt.send("g", "bump")
    rt.send("g", "bump")
    records = list(rt.audit("g"))
    records[1] = dc_replace(records[1], context={**records[1].context, "n": 5})
    with pytest.raises(ReplayError) as caught:
        replay(rt.definition, records)
    assert caught.value.seq == 2
    assert caught.value.code.code == "SW973"
    assert str(caught.value).startswith("SW973: audit record 2 does not replay")


def test_an_instance_opens_only_with_the_version_that_started_it() -> None:
    """A stored instance of version 1 is refused (SW969, nothing changes) by a version-2 definition."""
    from statewright.runtime.errors import WrongWorkflow

    store = MemoryStore()
    first = Runtime(
        Definition(machine(GATED.replace("workflow Gate {", "workflow Gate {\n  version 1"))), store
    )
    first.start(instance_id="v")
    second = Runtime(
        Definition(machine(GATED.replace("workflow Gate {", "workflow Gate {\n  version 2"))), store
    )
    with pytest.raises(WrongWorkflow, match="version 1 of `Gate`, and this definition is version 2"):
        second.send("v", "bump")
    assert store.load("v").version == 1


def test_run_work_on_a_shared_store_runs_only_its_own_workflow() -> None:
    """Two workflows in one store: each runtime runs its own instances' work and leaves the other's owed."""
    store = MemoryStore()
    ran: list[str] = []
    pay = Runtime(Definition(machine(SAGA)), store, {"reserve": lambda call: ran.append(call.action)})
    gate = Runtime(Definition(machine(GATED)), store)
    pay.start(instance_id="p")
    pay.send("p", "go")
    gate.start(instance_id="g")
    assert gate.run_work() == 0
    assert [w.action for w in store.work("p")] == ["reserve"]
    assert pay.run_work() == 1 and ran == ["reserve"]


def test_leaving_a_state_cancels_only_its_own_timers() -> None:
    """Leaving `Pay` keeps `PayLater`'s heartbeat (a name that merely starts with `Pay`)."""
    rt, _ = runtime(
        """workflow T {
          events { e }
          initial parallel P {
            region R1 {
              initial state Pay { invoke charge key "c" heartbeat 1m  on e -> Paid }
              state Paid
            }
            region R2 { initial state PayLater { invoke remind key "r" heartbeat 1m } }
          }
        }"""
    )
    rt.start(instance_id="t")
    rt.send("t", "e")
    assert [timer.key for timer in rt.store.timers("t")] == ["heartbeat:PayLater"]


POISON = """workflow W {
  context { n: int 0..1 = 0 }
  events { go }
  initial state S { invoke work key "w-{n}"  done -> T  timeout 1h -> T }
  state T { entry { set n = n + 1 } on go -> S }
}
"""


def test_a_refused_work_result_does_not_block_other_instances_work() -> None:
    """One instance's `done` step would break a range: refused and recorded; the others' work still runs."""
    ran: list[str] = []
    rt, _ = runtime(POISON, {"work": lambda call: ran.append(call.instance)})
    rt.start({"n": 1}, instance_id="poison")
    rt.start(instance_id="healthy")
    assert rt.run_work() == 1
    assert sorted(ran) == ["healthy", "poison"]
    assert rt.load("healthy").active == ("T",)
    assert rt.load("poison").active == ("S",)
    assert rt.audit("poison")[-1].outcome == "denied"
    assert [w.key for w in rt.store.work("poison")] == ["w-1"]


def test_tick_does_not_hide_a_store_failure() -> None:
    """A store that cannot be written makes `tick` raise SW965, instead of quietly firing nothing."""
    from statewright.runtime.errors import StoreError

    rt, clock = runtime(POISON)
    rt.start(instance_id="t")
    clock.now += 3_600_000

    def broken(commit: object) -> None:
        raise StoreError("disk full")

    rt.store.apply = broken  # type: ignore[method-assign]
    with pytest.raises(StoreError):
        rt.tick()


def test_a_conflict_while_settling_keeps_the_committed_event() -> None:
    """Another writer commits between an event and its completion step: the event stands, no SW967."""
    from statewright.runtime.errors import ConcurrentUpdate

    rt, _ = runtime(
        """workflow C {
          events { go }
          initial state P { initial state X { on go -> F }  final state F  done -> D }
          state D
        }"""
    )
    rt.start(instance_id="c")
    applied: list[str] = []
    original = rt.store.apply

    def apply(commit: Commit) -> None:
        if commit.record.kind == "completion":
            raise ConcurrentUpdate("another writer was first")
        original(commit)
        applied.append(commit.record.kind)

    rt.store.apply = apply  # type: ignore[method-assign]
    instance = rt.send("c", "go")
    assert applied == ["event"]
    assert instance.active == ("F",)


# --------------------------------------------------------------------------- firing a timer early


def test_fire_now_fires_one_timer_ahead_of_time_and_leaves_the_others() -> None:
    """A retry fired now re-owes the work at once; the state's timeout stays pending, the clock unmoved."""
    rt, clock = runtime(SAGA, {n: (lambda c: None) for n in [*STEPS, *COMPENSATIONS.values()]})

    def charge(call: Call) -> None:
        raise RuntimeError("flaky")

    rt.handlers["charge"] = charge
    rt.start(instance_id="p")
    rt.send("p", "go")
    rt.run_work()  # reserve succeeds
    rt.run_work()  # charge, attempt 1 fails: a retry is pending
    retry = next(t for t in rt.store.timers("p") if t.kind == "retry")
    timeout = next(t for t in rt.store.timers("p") if t.kind == "timeout")
    before = clock.now
    rt.fire_now("p", retry.key)
    assert clock.now == before
    owed = [w for w in rt.store.work("p") if w.kind == "invoke"]
    assert [(w.action, w.attempt) for w in owed] == [("charge", 2)]
    assert timeout in rt.store.timers("p")
    with pytest.raises(WorkflowError, match="no pending timer"):
        rt.fire_now("p", retry.key)


def test_run_work_kinds_leaves_invoked_work_to_an_outside_worker() -> None:
    """`kinds=("do",)` runs `do` actions only: invoked work stays owed for `report`."""
    calls: list[str] = []

    def record(call: Call) -> None:
        calls.append(call.action)

    rt, _ = runtime(SAGA, dict.fromkeys([*STEPS, *COMPENSATIONS.values()], record))
    rt.start(instance_id="p")
    rt.send("p", "go")
    only_do: tuple[WorkKind, ...] = ("do",)
    only_invoke: tuple[WorkKind, ...] = ("invoke",)
    assert rt.run_work("p", kinds=only_do) == 0
    assert calls == []
    assert [w.action for w in rt.store.work("p")] == ["reserve"]
    assert rt.run_work("p", kinds=only_invoke) == 1
    assert calls == ["reserve"]
