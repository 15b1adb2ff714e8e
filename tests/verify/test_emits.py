"""SW312: cycles of emitted events that need no external event (issue 16)."""

from __future__ import annotations

from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.compiler.verify.rules import emits
from statewright.diagnostics import Severity
from tests.verify.support import machine_of, position, run_rules

PING = """workflow P {
  events { ping, go }
  initial state A {
    on ping -> A { emit ping emit ping }
    on go -> B
    timeout 1h -> B
  }
  final state B
}
"""


def test_an_event_that_emits_itself_twice_is_an_error_at_its_transition() -> None:
    """The issue's spec passed `check`; one `run send` then wrote 66,000 audit records in a minute."""
    (finding,) = run_rules(emits, machine_of(PING), "SW312")
    assert finding.severity is Severity.ERROR
    assert (finding.span.line, finding.span.column) == position(PING, "on ping")
    assert "doubles" in finding.message


def test_a_cycle_through_two_states_and_entry_actions_is_found() -> None:
    text = """workflow P {
  events { a, b }
  initial state A { entry { emit a } on a -> B  timeout 1h -> Done }
  state B { entry { emit a } on a -> A  on b -> Done }
  final state Done
}
"""
    assert [d.severity for d in run_rules(emits, machine_of(text), "SW312")] == [Severity.ERROR]


def test_a_guarded_cycle_is_a_warning_and_an_emit_that_moves_on_is_clean() -> None:
    guarded = """workflow P {
  context { n: int 0..10 = 0 }
  events { ping }
  initial state A {
    on ping when n < 3 -> A { set n = n + 1 emit ping }
    on ping else -> B
  }
  final state B
}
"""
    assert [d.severity for d in run_rules(emits, machine_of(guarded), "SW312")] == [Severity.WARNING]
    moves_on = PING.replace("on ping -> A { emit ping emit ping }", "on ping -> B { emit ping emit ping }")
    assert run_rules(emits, machine_of(moves_on), "SW312") == []


STATES = ["S0", "S1", "S2", "S3"]
EVENTS = ["e0", "e1", "e2"]


@st.composite
def flat_machines(draw: st.DrawFn) -> tuple[str, dict[tuple[str, str], tuple[str, list[str]]]]:
    """A flat, unguarded machine: per (state, event) maybe one transition with 0-2 emits."""
    table: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for state in STATES[:-1]:
        for event in EVENTS:
            if draw(st.booleans()):
                target = draw(st.sampled_from(STATES))
                table[(state, event)] = (target, draw(st.lists(st.sampled_from(EVENTS), max_size=2)))
    lines = ["workflow R {", f"  events {{ {', '.join(EVENTS)} }}"]
    for number, state in enumerate(STATES[:-1]):
        lines.append(f"  {'initial ' if number == 0 else ''}state {state} {{")
        for event in EVENTS:
            if (state, event) in table:
                target, emitted = table[(state, event)]
                actions = " ".join(f"emit {e}" for e in emitted)
                lines.append(f"    on {event} -> {target}" + (f" {{ {actions} }}" if actions else ""))
        lines.append("    timeout 1h -> S3")
        lines.append("  }")
    lines += ["  final state S3", "}"]
    return "\n".join(lines) + "\n", table


def _runs_forever(table: dict[tuple[str, str], tuple[str, list[str]]], limit: int = 300) -> bool:
    """Brute force: whether one emitted event, in a reachable state, starts a cascade past `limit` steps."""
    reachable, queue = {"S0"}, deque(["S0"])
    while queue:
        state = queue.popleft()
        for event in EVENTS:
            found = table.get((state, event))
            if found is not None and found[0] not in reachable:
                reachable.add(found[0])
                queue.append(found[0])
    emitted = {e for _, out in table.values() for e in out}
    for start in reachable:
        for event in emitted:
            state, pending, steps = start, deque([event]), 0
            while pending and steps <= limit:
                found = table.get((state, pending.popleft()))
                if found is not None:  # an event the state does not handle is refused: no step
                    state, out = found[0], found[1]
                    pending.extend(out)
                    steps += 1
            if steps > limit:
                return True
    return False


@settings(max_examples=150, deadline=None)
@given(flat_machines())
def test_the_rule_reports_every_cascade_that_never_stops(
    drawn: tuple[str, dict[tuple[str, str], tuple[str, list[str]]]],
) -> None:
    """Sound always (a cascade that never stops is reported); exact when no step emits twice.

    With at most one emit per step the queue of emitted events never holds two, and the
    rule's graph is exact; with several, it over-approximates where later events are taken.
    """
    text, table = drawn
    findings = run_rules(emits, machine_of(text), "SW312")
    forever = _runs_forever(table)
    if forever:
        assert findings, text
    if all(len(out) <= 1 for _, out in table.values()):
        assert bool(findings) == forever, text
    assert all(d.severity is Severity.ERROR for d in findings)
