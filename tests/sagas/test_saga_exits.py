"""Leaving a saga early compensates first (issue 16): on the runtime, on every engine, and in the verifier.

A travel booking books a flight, a hotel, charges the card, issues tickets (the
pivot) and sends a mail. Cancelling it after the charge must refund the card,
cancel the hotel and cancel the flight, in that order, and only then enter the
cancellation's target, whichever way the saga is left: an `on cancel` on the
saga, a parent's transition, re-entering the saga, or cancelling the instance.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.compiler.verify.rules import sagas
from statewright.plugins.manager import PluginManager
from statewright.runtime.definition import Definition
from statewright.runtime.memory import MemoryStore
from statewright.runtime.model import Record
from statewright.runtime.runner import Call, Runtime
from statewright.testing.coverage import covering_scenarios
from statewright.testing.engine import load_engine
from statewright.testing.equivalence import check_engine
from tests.verify.support import machine_of, run_rules

STEPS = ("book_flight", "book_hotel", "charge_card", "issue_tickets", "send_mail")
UNDO = {"book_flight": "cancel_flight", "book_hotel": "cancel_hotel", "charge_card": "refund_card"}


def trip(exit_on_saga: str = "on cancel -> Cancelled", around: str = "") -> str:
    """The travel booking; `exit_on_saga` is written in the saga, `around` in the enclosing `Travel`."""
    return f"""
workflow Trip {{
  context {{ trip: int 1..1000000 = 7  cancels: int 0..100 = 0 }}
  events {{ cancel, go, resolved, abort }}
  reject * "not at this stage"
  initial state Planning {{
    on go -> Travel
    timeout 30d -> Cancelled
  }}
  state Travel {{
    on abort -> Aborted {{ set cancels = cancels + 1 }}
    {around}
    initial saga Booking {{
      step book_flight compensate cancel_flight key "trip-{{trip}}-flight"
           compensate_key "trip-{{trip}}-unflight" service air timeout 1m
      step book_hotel compensate cancel_hotel key "trip-{{trip}}-hotel" compensate_key "trip-{{trip}}-unhotel"
           service hotel timeout 1m
      step charge_card compensate refund_card key "trip-{{trip}}-charge" compensate_key "trip-{{trip}}-refund"
           service pay timeout 1m
      step issue_tickets pivot key "trip-{{trip}}-tickets" service air timeout 1m
      step send_mail no_compensation "a mail cannot be recalled" key "trip-{{trip}}-mail"
           service mail timeout 1m
      done -> Booked
      compensated -> Cancelled
      compensation_failed -> ManualReview
      {exit_on_saga}
    }}
  }}
  state ManualReview {{ on resolved -> Cancelled  timeout 5d -> Cancelled }}
  final state Booked
  final state Cancelled {{ outcome failure "cancelled" }}
  final state Aborted {{ outcome failure "aborted" }}
}}
"""


class Clock:
    """A fake clock."""

    def __init__(self) -> None:
        self.now = 1_000

    def __call__(self) -> int:
        return self.now


def booked(text: str, completed: int) -> tuple[Runtime, list[str]]:
    """An instance of `text` in its saga with the first `completed` steps done; the calls handlers saw."""
    calls: list[str] = []

    def handler(call: Call) -> None:
        calls.append(call.action)

    machine = machine_of(text)
    actions = {s.invoke.action for s in machine.states if s.invoke is not None}
    rt = Runtime(Definition(machine), MemoryStore(), dict.fromkeys(actions, handler), clock=Clock())
    rt.start(instance_id="t")
    rt.send("t", "go")
    for _ in range(completed):
        [work] = [w for w in rt.store.work() if w.kind == "invoke"]
        rt.report("t", work.key)
    return rt, calls


def drain(rt: Runtime) -> None:
    """Run owed work until none is left."""
    for _ in range(20):
        if not rt.run_work():
            return


def entered(records: list[Record]) -> list[str]:
    """Every leaf each applied record made active, in order."""
    found: list[str] = []
    for record in records:
        if record.outcome == "applied":
            found.extend(leaf for leaf in record.target if leaf not in record.source)
    return found


def undone(records: list[Record]) -> list[str]:
    """The compensations a log ran to completion, in order."""
    compensations = set(UNDO.values())
    return [
        record.source[0].rsplit(".", 1)[1]
        for record in records
        if record.kind == "done" and record.source and record.source[0].rsplit(".", 1)[1] in compensations
    ]


# --------------------------------------------------------------------------- the runtime


@pytest.mark.parametrize(
    ("exit_on_saga", "around", "event", "target"),
    [
        ("on cancel -> Cancelled", "", "cancel", "Cancelled"),  # an exit written on the saga
        ("", "", "abort", "Aborted"),  # a parent's transition
        ("on cancel -> Booking", "", "cancel", "Booking.book_flight"),  # re-entering the saga
    ],
)
def test_cancel_after_the_charge_undoes_all_three_in_reverse_before_the_target(
    exit_on_saga: str, around: str, event: str, target: str
) -> None:
    rt, calls = booked(trip(exit_on_saga, around), completed=3)
    rt.send("t", event)
    drain(rt)
    records = list(rt.audit("t"))
    assert undone(records) == ["refund_card", "cancel_hotel", "cancel_flight"]
    assert calls[:3] == ["refund_card", "cancel_hotel", "cancel_flight"]
    order = entered(records)
    assert order.index(target, order.index("Booking.issue_tickets") + 1) > max(
        i for i, leaf in enumerate(order) if leaf.endswith(".cancel_flight")
    )
    if target == "Booking.book_flight":  # the saga starts again, with nothing left booked
        assert calls[3] == "book_flight"


def test_a_parent_exit_runs_its_actions_once() -> None:
    rt, _ = booked(trip(), completed=2)
    rt.send("t", "abort")
    drain(rt)
    instance = rt.load("t")
    assert instance.active == ("Aborted",)
    assert instance.context["cancels"] == 1


def test_an_exit_before_anything_completed_goes_straight_to_its_target() -> None:
    rt, calls = booked(trip(), completed=0)
    rt.send("t", "cancel")
    assert rt.load("t").active == ("Cancelled",)
    assert calls == []


def test_an_exit_after_the_pivot_goes_where_post_pivot_failures_go() -> None:
    rt, calls = booked(trip(), completed=4)
    rt.send("t", "cancel")
    drain(rt)
    assert rt.load("t").active == ("ManualReview",)
    assert not set(calls) & set(UNDO.values())


def test_a_step_timeout_after_the_charge_compensates() -> None:
    rt, _ = booked(trip(), completed=3)
    clock = rt.clock
    assert isinstance(clock, Clock)
    clock.now += 60_000  # `issue_tickets` runs past its `timeout 1m`: the pivot never completed
    rt.tick()
    drain(rt)
    assert undone(list(rt.audit("t"))) == ["refund_card", "cancel_hotel", "cancel_flight"]
    assert rt.load("t").active == ("Cancelled",)


def test_while_an_exit_compensates_events_are_refused() -> None:
    rt, _ = booked(trip(), completed=3)
    rt.send("t", "cancel")
    assert rt.load("t").active == ("Booking.cancel.refund_card",)
    with pytest.raises(Exception, match="being undone"):
        rt.send("t", "abort")
    assert rt.load("t").active == ("Booking.cancel.refund_card",)


def test_cancelling_the_instance_mid_saga_compensates_then_a_second_cancel_stops_it() -> None:
    rt, calls = booked(trip(), completed=3)
    rt.cancel("t")
    instance = rt.load("t")
    assert instance.status == "running"
    assert instance.active == ("Booking.refund_card",)
    drain(rt)
    assert calls == ["refund_card", "cancel_hotel", "cancel_flight"]
    assert rt.load("t").active == ("Cancelled",)
    again, _ = booked(trip(), completed=3)
    again.cancel("t")
    again.cancel("t")  # already compensating: stop outright
    assert again.load("t").status == "cancelled"


def test_cancelling_before_anything_completed_just_stops() -> None:
    rt, _ = booked(trip(), completed=0)
    rt.cancel("t")
    assert rt.load("t").status == "cancelled"


def test_cancelling_after_the_pivot_goes_to_compensation_failed() -> None:
    rt, _ = booked(trip(), completed=4)
    rt.cancel("t")
    assert rt.load("t").active == ("ManualReview",)
    assert rt.load("t").status == "running"


# --------------------------------------------------------------------------- every target


@pytest.mark.parametrize("engine", ["asl", "bpmn"])
@pytest.mark.parametrize("exit_on_saga", ["on cancel -> Cancelled", "on cancel -> Booking"])
def test_every_engine_compensates_an_exit_as_the_runtime_does(engine: str, exit_on_saga: str) -> None:
    machine = machine_of(trip(exit_on_saga))
    paths = covering_scenarios(machine).scenarios
    assert any(
        "cancel" in str(step) and "book_hotel" in " ".join(map(str, scenario.steps))
        for scenario in paths
        for step in scenario.steps
    )
    result = check_engine(machine, load_engine(PluginManager(entry_points=False), engine), paths, drawn=0)
    assert result.divergence is None, result.divergence
    assert result.agreed == len(paths)


# --------------------------------------------------------------------------- the verifier


def test_the_lowered_booking_is_clean() -> None:
    machine = machine_of(trip(around="on cancel when cancels > 3 -> Aborted"))
    assert run_rules(sagas, machine, "SW507") == []
    assert run_rules(sagas, machine, "SW506") == []


def test_a_parent_timeout_that_would_skip_compensation_is_refused() -> None:
    [finding] = run_rules(sagas, machine_of(trip(around="timeout 2h -> Aborted")), "SW507")
    assert "after 2h" in finding.message and "`Travel`" in finding.message
    assert "cancel_flight" in finding.message


def test_an_exit_from_another_region_is_refused() -> None:
    text = (
        trip()
        .replace(
            "  state Travel {\n    on abort -> Aborted { set cancels = cancels + 1 }\n",
            "  parallel Travel {\n    on abort -> Aborted { set cancels = cancels + 1 }\n"
            "    region Watch { initial state Watching { on resolved -> Aborted } }\n"
            "    region Main {\n",
        )
        .replace("  state ManualReview", "  }\n  state ManualReview")
    )
    found = run_rules(sagas, machine_of(text), "SW507")
    assert found and all("resolved" in f.message for f in found)


def test_an_exit_that_skips_the_compensations_is_named() -> None:
    """IR edited by hand (or imported): the leaf's exit goes straight to its target."""
    machine = machine_of(trip())
    edited = [
        _retarget(t, "Cancelled") if (t.source, t.event) == ("Booking.charge_card", "cancel") else t
        for t in machine.transitions
    ]
    [finding] = run_rules(sagas, _with(machine, edited), "SW507")
    assert finding.message.startswith("`cancel` leaves saga `Booking` from step `charge_card`")
    assert "`cancel_hotel`, `cancel_flight`" in finding.message


def _retarget(transition: ir.Transition, target: str) -> ir.Transition:
    import dataclasses

    return dataclasses.replace(transition, target=target)


def _with(machine: ir.Machine, transitions: list[ir.Transition]) -> ir.Machine:
    import dataclasses

    return dataclasses.replace(machine, transitions=tuple(transitions))


# --------------------------------------------------------------------------- property


MARKERS = st.sampled_from(["compensate", "no_compensation", "pivot"])


def saga_steps(markers: list[str]) -> list[str]:
    """Saga step lines `do_N`, each compensated by `undo_N`, marked `no_compensation` or the pivot."""
    lines = []
    for number, marker in enumerate(markers):
        clause = {
            "compensate": f'compensate undo_{number} compensate_key "u{number}-{{id}}"',
            "no_compensation": 'no_compensation "nothing to undo"',
            "pivot": "pivot",
        }[marker]
        lines.append(f'      step do_{number} {clause} key "d{number}-{{id}}" service s timeout 1m')
    return lines


def _saga(markers: list[str]) -> str:
    lines = saga_steps(markers)
    return f"""
workflow Random {{
  events {{ go, cancel }}
  reject * "no"
  initial state Idle {{ on go -> Work  timeout 1d -> Gone }}
  state Work {{
    on cancel -> Gone
    initial saga Steps {{
{chr(10).join(lines)}
      done -> Gone
      compensated -> Gone
      compensation_failed -> Review
    }}
  }}
  state Review {{ timeout 1d -> Gone }}
  final state Gone
}}
"""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.lists(MARKERS, min_size=2, max_size=6), st.data())
def test_an_exit_runs_exactly_the_completed_compensations_reversed(
    markers: list[str], data: st.DataObject
) -> None:
    """Random saga, random exit point: the compensations run are the completed compensable steps, reversed."""
    completed = data.draw(st.integers(0, len(markers) - 1))
    how: Callable[[Runtime], object] = data.draw(
        st.sampled_from([lambda rt: rt.send("t", "cancel"), lambda rt: rt.cancel("t")])
    )
    rt, calls = booked(_saga(markers), completed)
    how(rt)
    drain(rt)
    done = markers[:completed]
    if "pivot" in done:
        assert rt.load("t").active == ("Review",)
        assert not [c for c in calls if c.startswith("undo_")]
        return
    expected = [f"undo_{i}" for i in reversed(range(completed)) if markers[i] == "compensate"]
    assert [c for c in calls if c.startswith("undo_")] == expected
    status = rt.load("t").status
    assert status in ("completed", "cancelled")
    assert status == "cancelled" or rt.load("t").active == ("Gone",)


# --------------------------------------------------------------------------- `statewright run cancel`


def test_run_cancel_mid_saga_compensates_and_verifies(tmp_path: Path) -> None:
    from tests.cli.test_run_cli import Store

    spec = tmp_path / "trip.wf"
    spec.write_text(trip(), encoding="utf-8")
    store = Store(spec, tmp_path / "runs.db")
    store("start", "--id", "t1", "--now", "2026-03-01T09:00:00Z")
    store("send", "t1", "go", "--now", "2026-03-01T09:00:01Z")
    for second, step in enumerate(("flight", "hotel", "charge"), start=2):
        store("work", "t1", f"trip-7-{step}", "--now", f"2026-03-01T09:00:0{second}Z")
    cancelled = store.json("cancel", "t1", "--now", "2026-03-01T09:00:06Z")
    assert cancelled["instance"]["status"] == "running"
    assert cancelled["instance"]["active"] == ["Booking.refund_card"]
    for second, undo in enumerate(("refund", "unhotel", "unflight"), start=7):
        store("work", "t1", f"trip-7-{undo}", "--now", f"2026-03-01T09:00:0{second}Z")
    assert store.targets("t1")[-4:] == [
        "Booking.refund_card",
        "Booking.cancel_hotel",
        "Booking.cancel_flight",
        "Cancelled",
    ]
    assert store("verify", "t1").stdout.startswith("OK")


def test_an_exit_around_a_parallel_state_compensates_even_when_another_region_selects_it() -> None:
    """Both regions' leaves select `cancel`; the saga leaf's copy comes first and preempts the original."""
    text = (
        trip(exit_on_saga="")
        .replace(
            "  state Travel {\n    on abort -> Aborted { set cancels = cancels + 1 }\n",
            "  parallel Travel {\n    on abort -> Aborted { set cancels = cancels + 1 }\n"
            "    region Watch { initial state Watching { timeout 30d -> Done } final state Done }\n"
            "    region Main {\n",
        )
        .replace("  state ManualReview", "  }\n  state ManualReview")
    )
    rt, calls = booked(text, completed=2)
    assert set(rt.load("t").active) == {"Watching", "Booking.charge_card"}
    rt.send("t", "abort")
    drain(rt)
    assert calls[:2] == ["cancel_hotel", "cancel_flight"]
    assert rt.load("t").active == ("Aborted",)
    assert rt.load("t").context["cancels"] == 1
