"""The temporal target's capability lint: history, pending activities, payload size, retries, names."""

from __future__ import annotations

import pytest

from statewright.targets.temporal import checks
from tests.targets.temporal.support import EXAMPLE_STEMS, codes, example, generate, machine_of


def test_a_loop_through_work_that_runs_on_its_own_is_unbounded_history() -> None:
    """`dead_letter -> Wait`, `timeout -> Poll`: no sender paces it; each lap adds work and timer events."""
    machine = machine_of(
        """workflow Poller {
  initial state Poll {
    invoke check key "k"
    retry 0 dead_letter -> Wait
    done -> Done
  }
  state Wait { timeout 1m -> Poll }
  final state Done
}
"""
    )
    files, found = generate(machine)
    (history,) = [d for d in found if d.code == "SW951"]
    assert "`Poll`, `Wait`" in history.message and "continue-as-new" in history.message
    assert history.span.line == 2
    assert files  # a warning: the module is still written


def test_a_timer_loop_alone_is_unbounded_history() -> None:
    machine = machine_of(
        """workflow Ticker {
  events { stop }
  initial state Tick {
    timeout 1h -> Tock
    on stop -> Done
  }
  state Tock { timeout 1h -> Tick on stop -> Done }
  final state Done
}
"""
    )
    assert "SW951" in codes(machine)
    assert "a timer" in next(d.message for d in generate(machine)[1] if d.code == "SW951")


def test_a_loop_only_senders_drive_is_not_flagged() -> None:
    """Each lap needs an outside event: its senders pace the history, as every example's loops do."""
    machine = machine_of(
        """workflow Review {
  events { submit, reject, accept }
  initial state Draft { on submit -> Checking }
  state Checking {
    invoke check key "k"
    done -> Waiting
  }
  state Waiting { on reject -> Draft on accept -> Done }
  final state Done
}
"""
    )
    assert "SW951" not in codes(machine)
    assert checks.history_bound(machine) is None  # it does loop


@pytest.mark.parametrize("stem", EXAMPLE_STEMS)
def test_no_example_has_a_history_pending_payload_or_name_finding(stem: str) -> None:
    assert not {"SW951", "SW952", "SW953", "SW954", "SW956", "SW957"} & set(codes(example(stem)))


def test_a_path_longer_than_the_history_limit() -> None:
    """6,500 work states in a row: 8 events each (task, update, activity) pass 51,200."""
    states = "\n".join(f'  state S{i} {{ invoke w{i} key "k" done -> S{i + 1} }}' for i in range(6500))
    machine = machine_of(
        f"workflow Long {{\n  initial state Start {{ always -> S0 }}\n{states}\n  final state S6500\n}}\n"
    )
    bound = checks.history_bound(machine)
    assert bound is not None and bound > checks.MAX_HISTORY_EVENTS
    found = [d for d in generate(machine)[1] if d.code == "SW952"]
    assert len(found) == 1 and f"{bound:,}" in found[0].message


def test_history_bound_counts_task_update_work_and_timer_events() -> None:
    machine = machine_of(
        """workflow Short {
  initial state A {
    invoke w key "k"
    timeout 1m -> Done
    done -> Done
  }
  final state Done
}
"""
    )
    per_visit = checks.TASK_EVENTS + checks.UPDATE_EVENTS
    expected = per_visit + checks.ACTIVITY_EVENTS + checks.TIMER_EVENTS + per_visit
    assert checks.history_bound(machine) == expected


def _fan_out(regions: int, calls: int) -> str:
    body = "\n".join(
        f"    region R{i} {{\n      initial state W{i} {{\n        entry {{"
        + "".join(f' do c{i}_{j} key "k"' for j in range(calls))
        + f" }}\n        on stop -> F{i}\n      }}\n      final state F{i}\n    }}"
        for i in range(regions)
    )
    head = "workflow Fan {\n  events { stop }\n  initial parallel All {\n"
    return f"{head}{body}\n    done -> Done\n  }}\n  final state Done\n}}\n"


def test_parallel_regions_past_the_pending_activity_limit() -> None:
    """667 regions owing 3 `do` calls each: 2,001 activities pending at once."""
    machine = machine_of(_fan_out(667, 3))
    assert checks.pending_activities(machine) == 2001
    (found,) = [d for d in generate(machine)[1] if d.code == "SW953"]
    assert "2001 activities" in found.message


def test_parallel_regions_at_the_limit_are_fine() -> None:
    machine = machine_of(_fan_out(500, 4))
    assert checks.pending_activities(machine) == 2000
    assert "SW953" not in codes(machine)


def test_a_context_past_the_payload_limit() -> None:
    """Decimals carry up to 1,000 digits each side of the point: 1,100 of them pass 2 MB."""
    fields = "\n".join(f"    d{i}: decimal = 0" for i in range(1100))
    machine = machine_of(
        f'workflow Wide {{\n  context {{\n{fields}\n    note: string = ""\n  }}\n'
        "  initial state A { always -> Done }\n  final state Done\n}\n"
    )
    size, unbounded = checks.payload_bound(machine)
    assert size > checks.MAX_PAYLOAD_BYTES and unbounded == 1
    (found,) = [d for d in generate(machine)[1] if d.code == "SW954"]
    assert "plus 1 string or unbounded fields" in found.message


def test_bounded_fields_have_their_sizes() -> None:
    machine = machine_of(
        """workflow Small {
  context {
    n: int 0..1000 = 0
    flag: bool = false
    colour: enum { red, green } = red
    text: string = ""
  }
  initial state A { always -> Done }
  final state Done
}
"""
    )
    size, unbounded = checks.payload_bound(machine)
    assert (size, unbounded) == ((1 + 4 + 4) + (4 + 4 + 5) + (6 + 4 + 2 + 5), 1)


def test_linear_backoff_and_jitter_are_reported_where_the_policy_is() -> None:
    machine = machine_of(
        """workflow Retrying {
  initial state Work {
    invoke w key "k"
    retry 3 backoff linear 1s..1m jitter equal
    done -> Done
  }
  final state Done
}
"""
    )
    found = [d for d in generate(machine)[1] if d.code == "SW955"]
    assert [("linear" in d.message, "equal" in d.message) for d in found] == [(True, False), (False, True)]
    assert all(d.span.line == 4 for d in found)


def test_an_event_named_like_the_generic_update_gets_no_typed_update() -> None:
    machine = machine_of(
        """workflow Named {
  events { statewright_send, go }
  initial state A { on statewright_send -> Done on go -> Done }
  final state Done
}
"""
    )
    files, found = generate(machine)
    assert [d.code for d in found] == ["SW956"]
    (text,) = files.values()
    assert '@workflow.update(name="go")' in text and '@workflow.update(name="statewright_send")' not in text


def test_a_state_sharing_a_do_actions_name_is_an_error_and_writes_nothing() -> None:
    machine = machine_of(
        """workflow Clash {
  initial state notify {
    invoke check key "k"
    done -> Done { do notify }
  }
  final state Done
}
"""
    )
    files, found = generate(machine)
    assert "SW957" in [d.code for d in found] and files == {}
