"""Reroute, rollback and redrive on the order fulfilment example: what they do, refuse, and record."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright.runtime.errors import NotRunning, WorkflowError
from statewright.runtime.operations import REROUTABLE
from statewright.runtime.runner import Runtime
from tests.operations.support import (
    OPERATOR,
    Handlers,
    Timeout,
    drain,
    into_saga,
    machine,
    order,
    replays,
    run_invoke,
    runtime,
    start,
)


def snapshot(rt: Runtime, instance_id: str = "o1") -> tuple[Any, ...]:
    """Everything a step may change: the instance, its log, its timers and its owed work."""
    store = rt.store
    return (
        store.load(instance_id),
        list(store.records(instance_id)),
        store.timers(instance_id),
        store.work(instance_id),
    )


def refused(rt: Runtime, code: str, call: Any) -> None:
    """`call` is refused with `code` and changes nothing."""
    before = snapshot(rt)
    with pytest.raises(WorkflowError) as raised:
        call()
    assert raised.value.code.code == code, raised.value
    assert snapshot(rt) == before


# --------------------------------------------------------------------------- reroute


def test_a_reroute_out_of_the_saga_owes_its_compensations_latest_first_with_their_keys() -> None:
    handlers = Handlers()
    rt, clock = runtime(handlers)
    into_saga(rt, 2)  # stock reserved, card charged; the courier is being booked
    assert rt.load("o1").active == ("Fulfilling.book_courier",)
    moved = rt.reroute("o1", "Quarantine", **OPERATOR)
    assert moved.active == ("Quarantine",)
    owed = [(w.action, w.key) for w in rt.store.work("o1")]
    assert owed == [
        ("close_fulfilment_record", "o1:7:exit:Fulfilling:1"),
        ("refund_card", "order-o1-refund"),
        ("release_stock", "order-o1-release"),
        ("open_review_ticket", "order-o1-quarantine"),
    ]
    record = rt.audit("o1")[-1]
    assert (record.kind, record.actor, record.reason, record.granted) == (
        "reroute",
        "ann",
        "the customer called support",
        ("role:operator",),
    )
    assert dict(record.inputs) == {"to": "Quarantine"}
    replays(rt)
    handlers.calls.clear()
    drain(rt, clock)
    assert [c.action for c in handlers.calls if c.action in ("refund_card", "release_stock")] == [
        "refund_card",
        "release_stock",
    ]
    replays(rt)


def test_a_reroute_before_any_step_completed_owes_no_compensation() -> None:
    rt, _ = runtime(Handlers())
    into_saga(rt, 0)
    rt.reroute("o1", "ManualReview", **OPERATOR)
    actions = [w.action for w in rt.store.work("o1")]
    assert "release_stock" not in actions and "refund_card" not in actions
    assert rt.load("o1").active == ("ManualReview",)
    replays(rt)


def test_a_reroute_into_the_saga_restarts_it_at_its_first_step() -> None:
    rt, _ = runtime(Handlers())
    start(rt)
    rt.reroute("o1", "Fulfilling", **OPERATOR)
    assert rt.load("o1").active == ("Fulfilling.reserve_stock",)
    assert [w.action for w in rt.store.work("o1")] == ["open_fulfilment_record", "reserve_stock"]
    replays(rt)


def test_a_reroute_to_a_final_state_finishes_the_instance() -> None:
    rt, _ = runtime(Handlers())
    start(rt)
    finished = rt.reroute("o1", "Cancelled", **OPERATOR)
    assert (finished.active, finished.status) == (("Cancelled",), "failed")
    assert rt.store.timers("o1") == []
    replays(rt)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"permissions": []}, "SW070"),
        ({"permissions": ["role:sales_manager"]}, "SW070"),
        ({"reason": "  "}, "SW070"),
        ({"actor": ""}, "SW070"),
    ],
)
def test_a_reroute_without_the_operator_s_credentials_is_refused(change: dict[str, Any], code: str) -> None:
    rt, _ = runtime(Handlers())
    start(rt)
    refused(rt, code, lambda: rt.reroute("o1", "Quarantine", **{**OPERATOR, **change}))


@pytest.mark.parametrize(
    ("target", "code"),
    [("Quarantaine", "SW071"), ("Fulfilling.charge_card", "SW072"), ("ManagerApproval.level_2", "SW072")],
)
def test_a_reroute_to_an_unknown_or_compiler_made_state_is_refused(target: str, code: str) -> None:
    rt, _ = runtime(Handlers())
    start(rt)
    refused(rt, code, lambda: rt.reroute("o1", target, **OPERATOR))


def test_a_paused_instance_is_not_rerouted() -> None:
    rt, _ = runtime(Handlers())
    start(rt)
    rt.pause("o1")
    refused(rt, "SW968", lambda: rt.reroute("o1", "Quarantine", **OPERATOR))


def test_a_reroute_whose_entry_would_break_an_invariant_is_refused_whole() -> None:
    spec = """workflow W {
      context { n: int 0..3 = 3 }
      events { go }
      initial state A { on go -> B }
      state B { entry { set n = n + 1 } on go -> A }
      final state C
    }"""
    from statewright.runtime.definition import Definition
    from statewright.runtime.memory import MemoryStore

    rt = Runtime(Definition(machine(spec)), MemoryStore(), {}, clock=lambda: 5)
    rt.start(instance_id="o1")
    refused(rt, "SW971", lambda: rt.reroute("o1", "B", **OPERATOR))


def test_a_workflow_with_a_scope_needs_the_request_to_name_it() -> None:
    spec = """workflow W {
      scope "ops"
      events { go }
      initial state A { on go -> B }
      state B { on go -> A }
    }"""
    from statewright.runtime.definition import Definition
    from statewright.runtime.memory import MemoryStore

    rt = Runtime(Definition(machine(spec)), MemoryStore(), {}, clock=lambda: 5)
    rt.start(instance_id="o1")
    refused(rt, "SW070", lambda: rt.reroute("o1", "B", **OPERATOR))
    refused(rt, "SW070", lambda: rt.reroute("o1", "B", **OPERATOR, scope="dev"))
    assert rt.reroute("o1", "B", **OPERATOR, scope="ops").active == ("B",)


ROUTES = sorted(s.name for s in order().machine.states if s.role in REROUTABLE)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.integers(0, 4), target=st.sampled_from(ROUTES))
def test_a_reroute_to_s_leaves_s_active_and_replays(steps: int, target: str) -> None:
    """Property: after a reroute to S, S is in the configuration (or the instance ended there)."""
    rt, _ = runtime(Handlers())
    into_saga(rt, steps)
    before = len(rt.audit("o1"))
    moved = rt.reroute("o1", target, **OPERATOR)
    records = rt.audit("o1")
    assert records[before].kind == "reroute"
    assert target in order().hierarchy.active_states(records[before].target)
    assert moved.status in ("running", "completed", "failed")
    replays(rt)


# --------------------------------------------------------------------------- rollback


def test_a_rollback_of_a_half_done_saga_compensates_its_completed_steps_in_reverse() -> None:
    handlers = Handlers()
    rt, clock = runtime(handlers)
    into_saga(rt, 2)
    rolled = rt.rollback("o1", **OPERATOR)
    assert rolled.active == ("Fulfilling.refund_card",)
    record = rt.audit("o1")[-1]
    assert (record.kind, record.reason, record.actor) == ("rollback", "the customer called support", "ann")
    replays(rt)
    handlers.calls.clear()
    drain(rt, clock)
    assert [c.action for c in handlers.calls if c.action in ("refund_card", "release_stock")] == [
        "refund_card",
        "release_stock",
    ]
    assert [c.key for c in handlers.calls if c.action == "refund_card"] == ["order-o1-refund"]
    done = rt.load("o1")
    assert (done.active, done.status) == (("Cancelled",), "failed")
    replays(rt)


def test_a_rollback_of_a_named_saga_and_of_an_unknown_one() -> None:
    rt, _ = runtime(Handlers())
    into_saga(rt, 1)
    refused(rt, "SW073", lambda: rt.rollback("o1", **OPERATOR, saga="Quarantine"))
    assert rt.rollback("o1", **OPERATOR, saga="Fulfilling").active == ("Fulfilling.release_stock",)
    replays(rt)


@pytest.mark.parametrize("steps", [None, 0])
def test_nothing_to_roll_back_is_refused(steps: int | None) -> None:
    """Outside a saga, and at its first step (nothing completed), there is nothing to undo."""
    rt, _ = runtime(Handlers())
    if steps is None:
        start(rt)
    else:
        into_saga(rt, steps)
    refused(rt, "SW073", lambda: rt.rollback("o1", **OPERATOR))


def test_a_rollback_while_compensating_or_past_the_pivot_is_refused() -> None:
    rt, _ = runtime(Handlers())
    into_saga(rt, 2)
    rt.rollback("o1", **OPERATOR)
    refused(rt, "SW073", lambda: rt.rollback("o1", **OPERATOR))
    late, _ = runtime(Handlers())
    into_saga(late, 4)  # the parcel was handed over: the pivot is passed
    assert late.load("o1").active == ("Fulfilling.send_dispatch_email",)
    refused(late, "SW073", lambda: late.rollback("o1", **OPERATOR))


def test_a_rollback_needs_the_operator_permission() -> None:
    rt, _ = runtime(Handlers())
    into_saga(rt, 2)
    refused(rt, "SW070", lambda: rt.rollback("o1", actor="ann", reason="r", permissions=[]))


# --------------------------------------------------------------------------- redrive


def dead_lettered(handlers: Handlers) -> tuple[Runtime, Any, str]:
    """An order whose validation timed out four times: retries ran out, it waits in Quarantine."""
    handlers.failing["validate_order"] = Timeout
    rt, clock = runtime(handlers)
    start(rt)
    key = next(w.key for w in rt.store.work("o1") if w.kind == "invoke")
    for _ in range(4):  # backoff 1s..30s, `timeout 2m`: each retry falls due within 5 s
        run_invoke(rt)
        clock.now += 5_000
        rt.tick()
    assert rt.load("o1").active == ("Quarantine",)
    return rt, clock, key


def test_a_redrive_of_the_dead_lettered_validation_keeps_its_key_with_a_fresh_attempt() -> None:
    handlers = Handlers()
    rt, _, key = dead_lettered(handlers)
    assert [c.attempt for c in handlers.calls if c.action == "validate_order"] == [1, 2, 3, 4]
    moved = rt.redrive("o1", **OPERATOR)
    assert moved.active == ("Validating",)
    record = rt.audit("o1")[-1]
    assert (record.kind, record.work, dict(record.inputs)) == ("redrive", key, {"state": "Validating"})
    owed = [(w.action, w.key, w.attempt) for w in rt.store.work("o1") if w.kind == "invoke"]
    assert owed == [("validate_order", key, 1)]
    replays(rt)
    del handlers.failing["validate_order"]
    handlers.calls.clear()
    run_invoke(rt)
    assert [(c.key, c.attempt) for c in handlers.calls if c.action == "validate_order"] == [(key, 1)]
    rt.send("o1", "valid")
    assert rt.load("o1").active == ("Fulfilling.reserve_stock",)
    replays(rt)


def test_a_redrive_of_a_failed_instance_runs_the_work_again_in_place() -> None:
    spec = """workflow W {
      events { go }
      initial state A { on go -> Work }
      state Work { invoke fetch key "fetch-{id}"  done -> B  timeout 1m -> A }
      final state B
    }"""
    from statewright.runtime.definition import Definition
    from statewright.runtime.memory import MemoryStore

    failing = {"fetch": True}
    calls: list[tuple[str, int]] = []

    def fetch(call: Any) -> None:
        calls.append((call.key, call.attempt))
        if failing["fetch"]:
            raise RuntimeError("down")

    rt = Runtime(Definition(machine(spec)), MemoryStore(), {"fetch": fetch}, clock=lambda: 5)
    rt.start(instance_id="o1")
    rt.send("o1", "go")
    rt.run_work("o1")
    assert rt.load("o1").status == "failed"
    moved = rt.redrive("o1", **OPERATOR)
    assert (moved.status, moved.active) == ("running", ("Work",))
    assert [t.state for t in rt.store.timers("o1")] == ["Work"]  # its timeout starts again
    failing["fetch"] = False
    rt.run_work("o1")
    assert calls == [("fetch-o1", 1), ("fetch-o1", 1)]
    assert rt.load("o1").status == "completed"
    replay_check(rt)


def replay_check(rt: Runtime) -> None:
    """`run verify` for an instance of any definition."""
    from statewright.runtime import replay

    replay.check(rt.definition, rt.store, "o1")


def test_nothing_to_redrive_is_refused() -> None:
    rt, _ = runtime(Handlers())
    start(rt)
    refused(rt, "SW074", lambda: rt.redrive("o1", **OPERATOR))
    into_saga(rt, 2, "o2")
    refused_other = snapshot(rt, "o2")
    with pytest.raises(WorkflowError) as raised:
        rt.redrive("o2", **OPERATOR)
    assert raised.value.code.code == "SW074"
    assert snapshot(rt, "o2") == refused_other


def test_a_retrying_step_is_not_redriven() -> None:
    """While retries remain the work is still owed: nothing to redrive."""
    handlers = Handlers(failing={"validate_order": Timeout})
    rt, _ = runtime(handlers)
    start(rt)
    run_invoke(rt)
    refused(rt, "SW074", lambda: rt.redrive("o1", **OPERATOR))


def test_a_redrive_needs_the_operator_permission_and_a_redrive_is_done_once() -> None:
    rt, _, _ = dead_lettered(Handlers())
    refused(rt, "SW070", lambda: rt.redrive("o1", actor="ann", reason="r", permissions=[]))
    rt.redrive("o1", **OPERATOR)
    refused(rt, "SW074", lambda: rt.redrive("o1", **OPERATOR))


def test_a_cancelled_instance_is_not_redriven() -> None:
    rt, _, _ = dead_lettered(Handlers())
    rt.cancel("o1")
    with pytest.raises(NotRunning):
        rt.redrive("o1", **OPERATOR)


# --------------------------------------------------------------------------- generated modules


def test_an_instance_handle_reroutes_rolls_back_and_redrives() -> None:
    from statewright.runtime.memory import MemoryStore
    from statewright.runtime.workflow import InstanceHandle, Workflow

    class Order(Workflow):
        definition = order()

    handlers = Handlers(failing={"validate_order": Timeout})
    workflow = Order(MemoryStore(), handlers=handlers.table(), clock=lambda: 1_000)
    start(workflow.runtime)
    handle = InstanceHandle(workflow, "o1")
    assert handle.reroute("Quarantine", **OPERATOR).active == ("Quarantine",)
    with pytest.raises(WorkflowError) as raised:
        handle.redrive(**OPERATOR)
    assert raised.value.code.code == "SW074"  # a reroute is no failure to redrive
    handle.reroute("Fulfilling", **OPERATOR)
    run_invoke(workflow.runtime)
    assert handle.rollback(**OPERATOR).active == ("Fulfilling.release_stock",)
    handle.verify()


def test_an_event_named_like_a_repair_does_not_shadow_it() -> None:
    from statewright.targets.python_names import MACHINE_API, Namer

    namer = Namer(MACHINE_API)
    assert [namer.claim(name) for name in ("reroute", "rollback", "redrive")] == [
        "reroute_2",
        "rollback_2",
        "redrive_2",
    ]


def test_a_reroute_out_of_an_exit_s_compensation_chain_owes_the_rest_of_the_chain() -> None:
    """Mid-way through an event exit's compensations (`on cancel` from the saga), the rest still runs."""
    from statewright.runtime.definition import Definition
    from statewright.runtime.memory import MemoryStore
    from tests.sagas.test_saga_exits import trip

    rt = Runtime(Definition(machine(trip())), MemoryStore(), {}, clock=lambda: 5)
    rt.start(instance_id="o1")
    rt.send("o1", "go")
    for _ in range(3):  # flight, hotel and card done: the tickets are being issued
        owed = next(w for w in rt.store.work("o1") if w.kind == "invoke")
        rt.report("o1", owed.key)
    rt.send("o1", "cancel")
    assert rt.load("o1").active == ("Booking.cancel.refund_card",)
    rt.reroute("o1", "ManualReview", **OPERATOR)
    owed_do = [(w.action, w.key) for w in rt.store.work("o1") if w.kind == "do"]
    assert owed_do == [
        ("refund_card", "trip-7-refund"),
        ("cancel_hotel", "trip-7-unhotel"),
        ("cancel_flight", "trip-7-unflight"),
    ]
    replay_check(rt)


ANY_TARGET = sorted({*ROUTES, "Fulfilling.charge_card", "ManagerApproval.level_1", "Nowhere"})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.integers(0, 4),
    operation=st.sampled_from(["reroute", "rollback", "redrive"]),
    target=st.sampled_from(ANY_TARGET),
    permitted=st.booleans(),
)
def test_a_repair_applies_whole_or_not_at_all(
    steps: int, operation: str, target: str, permitted: bool
) -> None:
    """Property: a repair adds exactly one record of its kind, or raises and changes nothing."""
    rt, _ = runtime(Handlers())
    into_saga(rt, steps)
    before = snapshot(rt)
    who = {"actor": "ann", "reason": "r", "permissions": ["role:operator"] if permitted else []}
    try:
        if operation == "reroute":
            rt.reroute("o1", target, **who)  # type: ignore[arg-type]
        elif operation == "rollback":
            rt.rollback("o1", **who)  # type: ignore[arg-type]
        else:
            rt.redrive("o1", **who)  # type: ignore[arg-type]
    except WorkflowError:
        assert snapshot(rt) == before
        return
    records = rt.audit("o1")
    assert permitted
    assert records[len(before[1])].kind == operation
    assert list(records[: len(before[1])]) == before[1]
    replays(rt)


def test_a_failure_that_ended_the_instance_in_a_final_state_is_not_redriven() -> None:
    """The stock reservation fails for good: the saga's catch ends the order in `Cancelled`."""
    handlers = Handlers(failing={"reserve_stock": RuntimeError})
    rt, _ = runtime(handlers)
    into_saga(rt, 0)
    run_invoke(rt)
    assert (rt.load("o1").active, rt.load("o1").status) == (("Cancelled",), "failed")
    refused(rt, "SW074", lambda: rt.redrive("o1", **OPERATOR))


def test_the_generated_workflow_class_s_instances_repair() -> None:
    """Through the public API: `Spec.workflow_class()(store).instance(id).reroute(...)`."""
    import statewright
    from statewright.runtime.memory import MemoryStore
    from tests.operations.support import ORDER

    workflow = statewright.load(ORDER).workflow_class()(MemoryStore(), clock=lambda: 1_000)
    started = workflow.start(amount=Decimal("12.00"))  # type: ignore[attr-defined]
    handle = workflow.instance(started.id)  # type: ignore[attr-defined]
    assert handle.reroute("Quarantine", **OPERATOR).active == ("Quarantine",)
    assert handle.audit()[-1].kind == "reroute"
    handle.verify()
