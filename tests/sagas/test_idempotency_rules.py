"""Idempotency keys on loops (SW508) and retried work without a key (SW706), issue 16."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright.compiler.verify.rules import retries, sagas
from tests.verify.support import machine_of, run_rules

RENEWAL = """
workflow Subscription {{
  context {{ period: int 0..1000 = 0 }}
  events {{ renewed, cancel }}
  reject * "not now"
  initial state Active {{
    on renewed -> Renewing {{ {bump} }}
    on cancel -> Ended
    timeout 30d -> Renewing
  }}
  state Renewing {{
    invoke charge_renewal key "{key}" service billing
    retry 3 backoff exponential 1s..1m jitter full dead_letter -> Ended
    timeout 1m -> Ended
    done -> Active
  }}
  final state Ended
}}
"""


def test_a_renewal_key_that_is_the_same_every_month_is_flagged() -> None:
    machine = machine_of(RENEWAL.format(bump="", key="sub-{subscription_id}-renewal"))
    [finding] = run_rules(sagas, machine, "SW508")
    assert finding.severity.value == "warning"
    assert "`charge_renewal`" in finding.message and "no context field" in finding.message
    assert finding.counterexample is not None and finding.counterexample[-1] == "renewed"


def test_a_key_naming_a_field_the_loop_changes_is_clean() -> None:
    machine = machine_of(RENEWAL.format(bump="set period = period + 1", key="sub-{id}-renewal-{period}"))
    assert run_rules(sagas, machine, "SW508") == []


def test_a_key_naming_a_field_the_loop_does_not_change_is_flagged() -> None:
    machine = machine_of(RENEWAL.format(bump="", key="sub-{id}-renewal-{period}"))
    [finding] = run_rules(sagas, machine, "SW508")
    assert "`period`" in finding.message


def test_a_saga_step_on_a_loop_is_checked_too() -> None:
    text = """
workflow Retrying {
  events { again }
  reject * "no"
  initial saga Pay {
    step charge compensate refund key "pay-{id}" compensate_key "refund-{id}" service p timeout 1m
    step ship pivot key "ship-{id}" service s timeout 1m
    done -> Done
    compensated -> Failed
    compensation_failed -> Failed
  }
  state Failed { on again -> Pay  timeout 1d -> Done }
  final state Done
}
"""
    found = run_rules(sagas, machine_of(text), "SW508")
    assert {f.message.split('"')[1] for f in found} == {"pay-{id}", "refund-{id}", "ship-{id}"}


RETRIED = """
workflow Charging {{
  events {{ go }}
  initial state Idle {{ on go -> Charging  timeout 1d -> Done }}
  state Charging {{
    invoke charge {key} service pay
    retry {count} backoff fixed 1s jitter full dead_letter -> Done
    timeout 1m -> Done
    done -> Done
  }}
  final state Done
}}
"""


def test_a_retried_invoke_without_a_key_is_a_warning() -> None:
    [finding] = run_rules(retries, machine_of(RETRIED.format(key="", count=3)), "SW706")
    assert finding.severity.value == "warning"
    assert "`charge`" in finding.message


def test_a_retried_invoke_with_a_key_or_no_retries_is_clean() -> None:
    assert run_rules(retries, machine_of(RETRIED.format(key='key "c-{id}"', count=3)), "SW706") == []
    assert run_rules(retries, machine_of(RETRIED.format(key="", count=0)), "SW706") == []


def _ring(size: int, keyed: int, setter: int | None, names_field: bool) -> str:
    states = []
    for number in range(size):
        following = f"S{(number + 1) % size}"
        key = f' key "k{number}-{{counter}}"' if names_field and number == keyed else f' key "k{number}"'
        work = (
            f"    invoke work_{number}{key} service svc\n    timeout 1m -> End\n" if number == keyed else ""
        )
        bump = " { set counter = counter + 1 }" if setter == number else ""
        move = f"    done -> {following}\n" if number == keyed else f"    on next -> {following}{bump}\n"
        if number == keyed and setter == number:
            move = f"    on next -> {following}{bump}\n    done -> {following}\n"
        initial = "initial " if number == 0 else ""
        states.append(f"  {initial}state S{number} {{\n{work}{move}    on stop -> End\n  }}")
    return (
        "workflow Ring {\n  context { counter: int 0..1000000 = 0 }\n  events { next, stop }\n"
        + "\n".join(states)
        + "\n  final state End\n}\n"
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.integers(1, 6), st.data())
def test_a_loop_key_is_flagged_exactly_when_it_names_no_field_the_loop_changes(
    size: int, data: st.DataObject
) -> None:
    """A ring of states with one keyed `invoke`: flagged unless the key names a field a loop move sets."""
    keyed = data.draw(st.integers(0, size - 1))
    setter = data.draw(st.one_of(st.none(), st.integers(0, size - 1)))
    names_field = data.draw(st.booleans())
    found = run_rules(sagas, machine_of(_ring(size, keyed, setter, names_field)), "SW508")
    changes = setter is not None and names_field
    assert (found == []) == changes, (size, keyed, setter, names_field, found)


TWO_LOOPS = """
workflow TwoLoops {
  events { next, other, stop }
  initial state A {
    invoke work_a key "a" service svc
    timeout 1m -> End
    done -> B
  }
  state B { on next -> A
            on other -> C }
  state C {
    invoke work_c key "c" service svc
    timeout 1m -> End
    done -> D
  }
  state D { on next -> C
            on other -> Once }
  state Once {
    invoke work_once key "once" service svc
    timeout 1m -> End
    done -> End
  }
  final state End
}
"""


def test_each_loop_reports_its_own_keyed_work_and_work_on_no_loop_is_left_alone() -> None:
    """Sites are found for every loop in one pass over the states (issue 20): none lost, none shared."""
    found = run_rules(sagas, machine_of(TWO_LOOPS), "SW508")
    assert sorted(f.message.split("`")[1] for f in found) == ["work_a", "work_c"]
    for finding, state in zip(sorted(found, key=lambda f: f.message), ("A", "C"), strict=True):
        assert f"through `{state}`" in finding.message
