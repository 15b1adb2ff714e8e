"""Issue 17 in the runtime: event payloads, work results and errors as data (LANGUAGE.md, "Data").

Bad payloads and bad results are refused with a code at every runtime entry point
(engine, `Runtime` on memory and SQLite, the in-memory `Machine`, the durable
`Workflow`), and nothing is half-applied; guards and `set`s read the inputs;
failures are routed by name; the audit record keeps the data and replays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.runtime import codec, replay
from statewright.runtime.definition import Definition
from statewright.runtime.errors import EventNotAllowed, InvariantBroken, PayloadInvalid
from statewright.runtime.fastpath import timed_moves
from statewright.runtime.machine import Machine
from statewright.runtime.memory import MemoryStore
from statewright.runtime.runner import Call, Runtime
from statewright.runtime.sqlite import SQLiteStore
from statewright.runtime.store import Store
from statewright.runtime.workflow import InstanceHandle, Workflow
from statewright.semantics.dispatch import Dispatch
from statewright.semantics.inputs import check_fields
from statewright.semantics.values import value_in_domain
from tests.runtime.data_specs import compiled, markers, with_inputs

SPEC = """workflow Orders {
  context {
    amount: decimal 0.00..1000.00 = 0.00
    capped: decimal 0.00..500.00 = 0.00
    note: string = ""
    receipt: string = ""
    last_error: string = ""
    error_rate: decimal 0.0000..1.0000 = 0.0000
    ev_amount: decimal 0.00..1000.00 = 0.00
    ev_note: string = ""
    ev_big: bool = false
    res_receipt: string = ""
    res_rate: decimal 0.0000..1.0000 = 0.0000
    err_name: string = ""
    err_message: string = ""
  }
  events { submit, cap, cancel, catch_QuotaExceeded, catch_any, done_low, done_high }
  initial state Review {
    on submit when ev_amount > 100.00 -> Charging { set amount = ev_amount  set note = ev_note }
    on submit else -> Small { set note = ev_note }
    on cap -> Review { set capped = ev_amount }
  }
  state Charging {
    invoke charge key "c-{id}" retry 1 backoff fixed 1s retry_on Unavailable
    on done_low when res_rate <= 0.0100 -> Paid { set receipt = res_receipt  set error_rate = res_rate }
    on done_high else -> Review { set error_rate = res_rate }
    on catch_QuotaExceeded -> Throttled { set last_error = err_name }
    on catch_any -> Broken { set last_error = err_message }
  }
  state Small { on cancel -> Review }
  state Throttled { on cancel -> Review }
  state Broken { on cancel -> Review }
  final state Paid
}
"""


def orders() -> ir.Machine:
    """The spec with `submit(amount, note)`, `cap(amount)` and `charge` returning (receipt, rate)."""
    return with_inputs(
        markers(compiled(SPEC)),
        payloads={"submit": ("amount", "note?"), "cap": ("amount",)},
        results={"Charging": ("receipt", "rate")},
    )


MACHINE = orders()


class OrdersMachine(Machine):
    """The in-memory machine over `MACHINE` (as a generated module would declare it)."""

    __slots__ = ()
    definition = Definition(MACHINE)


class OrdersWorkflow(Workflow):
    """Durable instances over `MACHINE`."""

    definition = Definition(MACHINE)


def runtime(store: Store | None = None) -> Runtime:
    """A runtime on `store` (memory by default) with a fixed clock."""
    return Runtime(Definition(MACHINE), store or MemoryStore(), clock=lambda: 1_000)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Both stores."""
    if request.param == "memory":
        yield MemoryStore()
    else:
        opened = SQLiteStore(tmp_path / "runs.db")
        yield opened
        opened.close()


# --------------------------------------------------------------------------- payloads


BAD_PAYLOADS = [
    ({}, "amount"),  # missing (note has a default)
    ({"amount": "12.50"}, "amount"),  # a string is not a decimal here
    ({"amount": 1.5}, "amount"),  # a float is not a value
    ({"amount": True}, "amount"),  # a bool is not a number
    ({"amount": Decimal("1000.01")}, "amount"),  # out of bounds
    ({"amount": Decimal("1." + "0" * 20 + "1")}, "amount"),  # more digits than a decimal holds
    ({"amount": Decimal("5.00"), "tip": 1}, "tip"),  # not declared
    ({"amount": Decimal("5.00"), "note": 3}, "note"),  # ill-typed
]


@pytest.mark.parametrize(("data", "field"), BAD_PAYLOADS)
def test_a_bad_payload_is_refused_with_its_code_and_nothing_applied(
    store: Store, data: dict[str, object], field: str
) -> None:
    rt = runtime(store)
    rt.start({}, "o1")
    before = rt.load("o1")
    with pytest.raises(PayloadInvalid) as raised:
        rt.send("o1", "submit", data=data)
    assert raised.value.code.code == "SW974"
    assert [p.field for p in raised.value.problems] == [field]
    after = rt.load("o1")
    assert (after.active, after.context, after.status) == (before.active, before.context, before.status)
    record = rt.audit("o1")[-1]
    assert (record.kind, record.outcome, record.event) == ("event", "invalid", "submit")
    assert f"`{field}`" in (record.reason or "")
    assert not store.work("o1") and not store.timers("o1")
    replay.check(Definition(MACHINE), store, "o1")


def test_payload_fields_reach_guards_and_sets_but_never_the_context(store: Store) -> None:
    rt = runtime(store)
    rt.start({}, "big")
    rt.send("big", "submit", data={"amount": Decimal("250.00"), "note": "rush"})
    big = rt.load("big")
    assert big.active == ("Charging",)
    assert big.context["amount"] == Decimal("250.00") and big.context["note"] == "rush"
    assert not any("." in name for name in big.context)
    record = rt.audit("big")[-1]
    assert record.data == {"amount": Decimal("250.00"), "note": "rush"}
    rt.start({}, "small")
    rt.send("small", "submit", data={"amount": 7})  # an int for a decimal; note takes its default
    small = rt.load("small")
    assert small.active == ("Small",) and small.context["amount"] == Decimal("0.00")
    assert rt.audit("small")[-1].data == {"amount": Decimal(7), "note": ""}
    replay.check(Definition(MACHINE), store, "big")
    replay.check(Definition(MACHINE), store, "small")


def test_a_set_from_a_payload_that_breaks_a_range_is_refused_whole() -> None:
    rt = runtime()
    rt.start({}, "c")
    rt.send("c", "cap", data={"amount": Decimal("400.00")})
    assert rt.load("c").context["capped"] == Decimal("400.00")
    with pytest.raises(InvariantBroken):
        rt.send("c", "cap", data={"amount": Decimal("600.00")})
    assert rt.load("c").context["capped"] == Decimal("400.00")
    assert rt.audit("c")[-1].outcome == "denied"
    replay.check(Definition(MACHINE), rt.store, "c")


def test_an_event_without_a_payload_refuses_data() -> None:
    rt = runtime()
    rt.start({}, "x")
    rt.send("x", "submit", data={"amount": 1})
    with pytest.raises(PayloadInvalid):
        rt.send("x", "cancel", data={"why": "no"})
    assert rt.load("x").active == ("Small",)


def test_the_same_key_with_another_payload_is_another_request() -> None:
    from statewright.runtime.errors import KeyReused

    rt = runtime()
    rt.start({}, "k")
    rt.send("k", "submit", data={"amount": 5}, key="once")
    rt.send("k", "submit", data={"amount": Decimal("5"), "note": ""}, key="once")  # the same, as read
    with pytest.raises(KeyReused):
        rt.send("k", "submit", data={"amount": 6}, key="once")


# --------------------------------------------------------------------------- results and errors


def charging(store: Store | None = None) -> tuple[Runtime, str]:
    """An instance waiting on its `charge` work, and the work's key."""
    rt = runtime(store)
    rt.start({}, "p")
    rt.send("p", "submit", data={"amount": Decimal("150.00")})
    (work,) = rt.store.work("p")
    return rt, work.key


def test_a_result_is_read_by_done_guards_and_sets(store: Store) -> None:
    rt, key = charging(store)
    rt.report("p", key, result={"receipt": "R-1", "rate": Decimal("0.0050")})
    done = rt.load("p")
    assert done.active == ("Paid",) and done.status == "completed"
    assert done.context["receipt"] == "R-1" and done.context["error_rate"] == Decimal("0.0050")
    assert rt.audit("p")[-1].result == {"receipt": "R-1", "rate": Decimal("0.0050")}
    replay.check(Definition(MACHINE), store, "p")


def test_a_done_else_takes_the_other_branch() -> None:
    rt, key = charging()
    rt.report("p", key, result={"receipt": "R-2", "rate": Decimal("0.5")})
    back = rt.load("p")
    assert back.active == ("Review",) and back.context["error_rate"] == Decimal("0.5000")
    assert back.context["receipt"] == ""


@pytest.mark.parametrize(
    "result",
    [None, {}, {"receipt": "R"}, {"receipt": "R", "rate": Decimal("2")}, {"receipt": 1, "rate": 0}],
)
def test_a_bad_result_is_a_result_invalid_failure_not_a_crash(
    store: Store, result: dict[str, object] | None
) -> None:
    rt, key = charging(store)
    rt.report("p", key, result=result)
    failed = rt.load("p")
    assert failed.active == ("Broken",)  # not retried (retry_on Unavailable), caught by the catch-all
    assert str(failed.context["last_error"]).startswith("the result of `charge` does not fit")
    record = rt.audit("p")[-1]
    assert (record.failure, record.result) == ("ResultInvalid", {})
    assert record.message == failed.context["last_error"]
    replay.check(Definition(MACHINE), store, "p")


def test_a_named_catch_beats_the_catch_all_and_reads_the_error() -> None:
    rt, key = charging()
    rt.report("p", key, "QuotaExceeded", message="try tomorrow")
    throttled = rt.load("p")
    assert throttled.active == ("Throttled",) and throttled.context["last_error"] == "QuotaExceeded"
    assert rt.audit("p")[-1].message == "try tomorrow"


def test_a_retried_error_then_the_catch_all_with_its_message() -> None:
    rt, key = charging()
    rt.report("p", key, "Unavailable", message="503")
    assert rt.load("p").active == ("Charging",)  # retrying
    rt.tick(10_000)
    (work,) = rt.store.work("p")
    rt.report("p", work.key, "Unavailable", message="still 503")
    broken = rt.load("p")
    assert broken.active == ("Broken",) and broken.context["last_error"] == "still 503"
    replay.check(Definition(MACHINE), rt.store, "p")


def test_handlers_return_results_and_raise_messages() -> None:
    class DeclinedError(Exception):
        pass

    outcomes: list[object] = [{"receipt": "H-1", "rate": Decimal("0.001")}]

    def charge(call: Call) -> object:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    rt = Runtime(Definition(MACHINE), MemoryStore(), {"charge": charge}, clock=lambda: 0)
    rt.start({}, "h")
    rt.send("h", "submit", data={"amount": Decimal("101.00")})
    rt.run_work("h")
    assert rt.load("h").context["receipt"] == "H-1"
    for outcome, expected in (
        (DeclinedError("card declined"), "card declined"),
        ("not a mapping", "returned str"),
    ):
        outcomes.append(outcome)
        rt.start({}, f"h-{expected}")
        rt.send(f"h-{expected}", "submit", data={"amount": Decimal("101.00")})
        rt.run_work(f"h-{expected}")
        assert rt.load(f"h-{expected}").active == ("Broken",)
        assert expected in str(rt.load(f"h-{expected}").context["last_error"])


# --------------------------------------------------------------------------- the wrappers


def test_the_in_memory_machine_refuses_bad_payloads_and_reads_good_ones() -> None:
    assert not any("submit" in row or "cap" in row for row in timed_moves(OrdersMachine.definition).values())
    m = OrdersMachine()
    with pytest.raises(PayloadInvalid):
        m.send("submit")
    with pytest.raises(PayloadInvalid):
        m.send("submit", data={"amount": "1"})
    assert m.leaves == ("Review",) and m.values["note"] == ""
    m.send("submit", data={"amount": Decimal("200.00"), "note": "n"})
    assert m.leaves == ("Charging",) and m.values["note"] == "n"
    (work,) = m.work
    m.report(work.key, result={"receipt": "M", "rate": Decimal("0")})
    assert m.status == "completed" and m.values["receipt"] == "M"


def test_the_durable_workflow_refuses_bad_payloads(tmp_path: Path) -> None:
    with OrdersWorkflow(tmp_path / "w.db") as flow:
        instance = InstanceHandle(flow, flow._start({}, "w", None).id)
        with pytest.raises(PayloadInvalid):
            instance.send("submit", {"amount": Decimal("-1")})
        instance.send("submit", {"amount": Decimal("3")})
        assert instance.leaves == ("Small",)
        assert [r.outcome for r in instance.audit()][-2:] == ["invalid", "applied"]
        instance.verify()


def test_records_with_data_round_trip_through_the_codec() -> None:
    rt, key = charging()
    rt.report("p", key, "QuotaExceeded", message="m\u00e9")
    for record in rt.audit("p"):
        assert codec.record_from(codec.record_data(record)) == record
        text = codec.record_json(record)
        assert codec.record_from(__import__("json").loads(text)) == record
    plain = rt.audit("p")[0]
    assert "data" not in codec.record_data(plain) and "message" not in codec.record_data(plain)


def test_final_failure_routing_order_is_dispatchs() -> None:
    dispatch = Dispatch(MACHINE)
    chain = ("Charging",)
    named = dispatch.caught(chain, "QuotaExceeded")
    anything = dispatch.caught(chain, "Other")
    assert [MACHINE.transitions[i].target for i in named] == ["Throttled"]
    assert [MACHINE.transitions[i].target for i in anything] == ["Broken"]
    assert [MACHINE.transitions[i].target for i in dispatch.caught(chain, None)] == ["Broken"]


def test_an_uncaught_failure_fails_the_instance() -> None:
    bare = dataclasses.replace(
        MACHINE,
        transitions=tuple(t for t in MACHINE.transitions if not (t.kind == "error" and t.event is None)),
    )
    rt = Runtime(Definition(bare), MemoryStore(), clock=lambda: 0)
    rt.start({}, "u")
    rt.send("u", "submit", data={"amount": Decimal("500.00")})
    (work,) = rt.store.work("u")
    rt.report("u", work.key, "Boom", message="no")
    assert rt.load("u").status == "failed"


def test_done_guards_with_nothing_holding_stay_put() -> None:
    guarded = dataclasses.replace(
        MACHINE, transitions=tuple(t for t in MACHINE.transitions if not (t.kind == "done" and t.is_else))
    )
    rt = Runtime(Definition(guarded), MemoryStore(), clock=lambda: 0)
    rt.start({}, "g")
    rt.send("g", "submit", data={"amount": Decimal("500.00")})
    (work,) = rt.store.work("g")
    rt.report("g", work.key, result={"receipt": "r", "rate": Decimal("0.9")})
    assert rt.load("g").active == ("Charging",) and not rt.store.work("g")
    assert rt.audit("g")[-1].reason == "charge finished"


# --------------------------------------------------------------------------- the check itself


FIELD_TYPES = st.one_of(
    st.just(ir.FieldType("bool")),
    st.just(ir.FieldType("string")),
    st.just(ir.FieldType("enum", members=("a", "b"))),
    st.tuples(st.integers(-5, 5), st.integers(0, 5)).map(lambda p: ir.FieldType("int", p[0], p[0] + p[1])),
    st.tuples(st.integers(-500, 500), st.integers(0, 500)).map(
        lambda p: ir.FieldType("decimal", Decimal(p[0]) / 100, Decimal(p[0] + p[1]) / 100)
    ),
)
VALUES = st.one_of(
    st.booleans(),
    st.integers(-10, 10),
    st.text(max_size=3),
    st.sampled_from(["a", "b", "c"]),
    st.decimals(min_value=-10, max_value=10, places=3, allow_nan=False),
    st.floats(allow_nan=True),
    st.none(),
    st.lists(st.integers(), max_size=1),
)


@settings(max_examples=300, deadline=None)
@given(FIELD_TYPES, VALUES)
def test_check_fields_accepts_exactly_the_in_domain_values(field_type: ir.FieldType, value: object) -> None:
    field = ir.ContextField("f", field_type)
    values, problems = check_fields((field,), {"f": value})
    in_domain = (
        isinstance(value, bool | int | str | Decimal)
        and not (isinstance(value, Decimal) and not value.is_finite())
        and value_in_domain(value, field_type)
    )
    assert (not problems) == in_domain
    if in_domain:
        assert values["f"] == value
        assert isinstance(values["f"], Decimal) == (field_type.name == "decimal")


PIVOTED = """workflow Pivoted {
  context { last_error: string = ""  last_name: string = "" }
  events { go }
  initial state Idle { on go -> Book }
  saga Book {
    step charge key "c-{id}" pivot
    step ship key "s-{id}" compensate unship compensate_key "u-{id}"
    done -> Done
    compensated -> Done
    compensation_failed -> Manual { set last_error = error.message  set last_name = error.name }
  }
  state Manual { on go -> Done }
  final state Done
}
"""


def test_cancelling_past_the_pivot_hands_the_failure_path_its_error() -> None:
    """A cancel past a saga's pivot takes the running step's failure move to `compensation_failed`.

    Its actions read `error.name`/`error.message` there too (they used to meet no input and crash).
    """
    definition = Definition(compiled(PIVOTED))
    rt = Runtime(definition, MemoryStore(), clock=lambda: 0)
    rt.start({}, "s")
    rt.send("s", "go")
    (charge,) = rt.store.work("s")
    rt.report("s", charge.key)
    assert rt.load("s").active == ("Book.ship",)
    rt.cancel("s")
    cancelled = rt.load("s")
    assert cancelled.active == ("Manual",)
    assert cancelled.context["last_error"] == "the instance was cancelled"
    assert cancelled.context["last_name"] == "Cancelled"
    replay.check(definition, rt.store, "s")


def test_a_failed_compensation_records_its_message() -> None:
    from tests.runtime.test_conformance import DATA

    definition = Definition(compiled(DATA))
    rt = Runtime(definition, MemoryStore(), clock=lambda: 0)
    rt.start({}, "s")
    rt.send("s", "submit", data={"amount": Decimal("500"), "tier": "gold"})
    (charge,) = rt.store.work("s")
    rt.report("s", charge.key, result={"receipt": "R", "ok": True})
    (hold,) = rt.store.work("s")
    rt.report("s", hold.key, result={"ref": "H-1"})
    assert rt.load("s").active == ("Booking.ship",) and rt.load("s").context["note"] == "H-1"
    (ship,) = rt.store.work("s")
    rt.report("s", ship.key, "Lost", message="the parcel is gone")
    assert rt.load("s").active == ("Booking.release",)
    (release,) = rt.store.work("s")
    rt.report("s", release.key, "Refused", message="no refunds on Sunday")
    broken = rt.load("s")
    assert broken.active == ("Broken",) and broken.context["last_error"] == "no refunds on Sunday"
    replay.check(definition, rt.store, "s")


def test_hostile_text_from_callers_is_refused_or_stored_never_a_crash(tmp_path: Path) -> None:
    """Keys, error names, messages and event names that are not UTF-8 text (lone surrogates) or huge.

    Each used to reach the SQLite store's encoder as is and crash it mid-step.
    """
    store = SQLiteStore(tmp_path / "hostile.db")
    rt = runtime(store)
    rt.start({}, "h")
    for data in ({"a\udcff": 1, "amount": 5}, {"amount": "\udcff"}, {"x" * 5000: 1, "amount": 1}):
        with pytest.raises(PayloadInvalid):
            rt.send("h", "submit", data=data)
    with pytest.raises(EventNotAllowed):
        rt.send("h", "\udcff" * 300)
    rt.send("h", "submit", data={"amount": Decimal(500)})
    (work,) = store.work("h")
    rt.report("h", work.key, "X\udcff", message="m\udcfe" + "y" * 5000)
    broken = rt.load("h")
    assert broken.active == ("Broken",) and len(str(broken.context["last_error"])) <= 2000
    assert rt.audit("h")[-1].failure == "X?"
    replay.check(Definition(MACHINE), store, "h")
    store.close()


def test_records_with_data_verify_on_a_keyed_chain(tmp_path: Path) -> None:
    """The keyed (HMAC) chain stamps data, results and messages; replay re-stamps them alike."""
    from statewright.runtime.audit import AuditKey
    from statewright.runtime.codec import verify_chain

    key = AuditKey(b"correct horse battery staple")
    store = SQLiteStore(tmp_path / "keyed.db")
    rt = Runtime(Definition(MACHINE), store, clock=lambda: 0, audit_key=key)
    rt.start({}, "k")
    rt.send("k", "submit", data={"amount": Decimal("150.00"), "note": "n"})
    (work,) = store.work("k")
    rt.report("k", work.key, "QuotaExceeded", message="later")
    records = list(store.records("k"))
    assert verify_chain(records, key) is None and verify_chain(records) is not None
    replay.check(Definition(MACHINE), store, "k", key=key)
    store.close()
