"""Verification over data (issue 17): payloads, work results and failures as free typed inputs.

The seeded defects the issue names (a guard no payload satisfies, two guards
that overlap for some payload, a `set` from a payload that breaks an invariant
or a bound) are each caught with a witness that names the payload; every
witness is read back into typed values and replayed with the runtime's
evaluator. Around them: `done` groups over a work's result, `always` choices
with actions, error catches (per caught name, the catch-alls apart), SW707
(a catch the retry policy never lets fire) and SW310 on `done` and error groups.
"""

from __future__ import annotations

from decimal import Decimal

from statewright import ir
from statewright.compiler.verify.rules import guards, invariants, retries, structure
from statewright.diagnostics import Diagnostic
from statewright.semantics.facts import Matrix
from statewright.semantics.inputs import all_inputs
from statewright.semantics.values import apply_sets, holds
from tests.verify.support import machine_of, run_rules

Context = dict[str, ir.Value]

REVIEW = """\
workflow Orders {
  context {
    amount: decimal 0.00..1000000.00 = 0.00
    note: string = ""
  }
  invariant amount <= 500000.00
  events {
    submit(amount: decimal 0.00..2000000.00, note: string = "")
  }
  initial state Review {
    on submit when event.amount > 100.00 and event.amount <= 500000.00 -> Big { set amount = event.amount }
    on submit else -> Small
  }
  final state Big
  final state Small
}
"""


def spec(body: str, context: str = "a: int 0..9 = 0", events: str = "go", extra: str = "") -> str:
    """A workflow with one context block, one events block and the given states."""
    return f"workflow W {{\n  context {{\n    {context}\n  }}\n{extra}  events {{ {events} }}\n{body}\n}}\n"


def typed(machine: ir.Machine, finding: Diagnostic) -> Context:
    """A finding's witness read back as values of the declared types (context fields and inputs)."""
    assert finding.witness is not None
    types = {f.name: f.type.name for f in machine.context}
    for fields in all_inputs(machine):
        types.update({f.name: f.type.name for f in fields})
    values: Context = {}
    for name, text in finding.witness:
        match types[name]:
            case "int":
                values[name] = int(text)
            case "decimal":
                values[name] = Decimal(text)
            case "bool":
                values[name] = text == "true"
            case "string":
                assert text.startswith('"') and text.endswith('"'), text
                values[name] = text[1:-1]
            case _:
                values[name] = text
    return values


def codes(found: list[Diagnostic]) -> list[str]:
    """The codes of some findings, in order."""
    return [d.code for d in found]


# --------------------------------------------------------------------------- the seeded defects


def test_the_reviewed_spec_is_clean() -> None:
    machine = machine_of(REVIEW)
    assert run_rules(guards, machine) == []
    assert run_rules(invariants, machine) == []


def test_a_guard_no_payload_can_satisfy_is_dead() -> None:
    text = REVIEW.replace("event.amount > 100.00 and", "event.amount > 2000000.00 and")
    (found,) = run_rules(guards, machine_of(text), "SW401")
    assert "whatever `submit` carries" in found.message


def test_two_guards_that_overlap_for_some_payload_name_it() -> None:
    text = REVIEW.replace("on submit else -> Small", "on submit when event.amount >= 500000.00 -> Small")
    machine = machine_of(text)
    (found,) = run_rules(guards, machine, "SW402")
    assert "submit(amount=500000.00)" in found.message
    values = typed(machine, found)
    assert values["event.amount"] == Decimal("500000.00")
    assert all(holds(t.guard, values) for t in machine.transitions if t.guard is not None)


def test_a_set_from_a_payload_that_breaks_an_invariant_names_the_payload() -> None:
    text = REVIEW.replace(" and event.amount <= 500000.00", "")
    machine = machine_of(text)
    (found,) = run_rules(invariants, machine, "SW405")
    assert found.severity.value == "error"
    assert "submit(amount=" in found.message
    before = typed(machine, found)
    after = apply_sets(machine.transitions[0].actions, before, machine.context)
    assert before["event.amount"] == after["amount"] != Decimal(0)
    assert "event.amount" in dict(found.witness or ())
    assert not holds(machine.invariants[0].expr, after)


def test_a_set_from_a_payload_wider_than_the_field_is_out_of_range() -> None:
    text = REVIEW.replace(" and event.amount <= 500000.00", "").replace(
        "  invariant amount <= 500000.00\n", ""
    )
    machine = machine_of(text)
    (found,) = run_rules(invariants, machine, "SW406")
    assert found.severity.value == "error"
    assert "outside decimal 0.00..1000000.00" in found.message
    sent = typed(machine, found)["event.amount"]
    assert isinstance(sent, Decimal) and sent > Decimal("1000000.00")


def test_payload_guards_that_cover_every_payload_are_exhaustive_and_a_gap_names_the_payload() -> None:
    body = """\
  initial state A {
    on submit when event.n > 5 -> B
    on submit when event.n <= 5 -> B
  }
  final state B"""
    covered = machine_of(spec(body, events="submit(n: int 0..9)"))
    assert run_rules(guards, covered) == []
    gap = machine_of(spec(body.replace("event.n <= 5", "event.n < 5"), events="submit(n: int 0..9)"))
    (found,) = run_rules(guards, gap, "SW403")
    assert "submit(n=5)" in found.message


def test_bounds_of_two_events_with_the_same_field_never_mix() -> None:
    body = """\
  initial state A {
    on small when event.n > 5 -> B
    on small else -> B
    on big when event.n > 5 -> B
    on big else -> B
  }
  final state B"""
    found = run_rules(guards, machine_of(spec(body, events="small(n: int 0..3) big(n: int 0..9)")))
    assert codes(found) == ["SW401"]
    assert "event `small`" in found[0].message


# --------------------------------------------------------------------------- done, always, errors

WORK = """\
  initial state Measuring {
    invoke measure key "m" returns { rate: decimal 0.0000..1.0000, samples: int >= 0 }
    timeout 10m -> Broken
    done when result.rate < 0.0100 -> Good { set rate = result.rate }
    done when result.rate > 0.5000 -> Broken
  }
  final state Good
  final state Broken"""


def test_guarded_done_transitions_that_can_stall_name_the_result() -> None:
    machine = machine_of(spec(WORK, context="rate: decimal 0.0000..1.0000 = 0.0000"))
    (found,) = run_rules(guards, machine, "SW404")
    assert "measure returned (rate=" in found.message
    values = typed(machine, found)
    assert not any(holds(t.guard, values) for t in machine.transitions if t.kind == "done" and t.guard)


def test_overlapping_done_guards_name_the_result() -> None:
    text = spec(
        WORK.replace("result.rate > 0.5000", "result.rate >= 0.0050"), "rate: decimal 0.0000..1.0000 = 0"
    )
    (found,) = run_rules(guards, machine_of(text), "SW402")
    assert "measure returned (rate=" in found.message
    rate = typed(machine_of(text), found)["result.rate"]
    assert isinstance(rate, Decimal) and Decimal("0.0050") <= rate < Decimal("0.0100")


def test_a_set_from_a_result_into_a_narrower_field_is_out_of_range() -> None:
    text = spec(WORK, context="rate: decimal 0.0000..0.0050 = 0.0000")
    (found,) = run_rules(invariants, machine_of(text), "SW406")
    assert "measure returned (rate=" in found.message


def test_an_always_choice_with_actions_is_checked_like_any_transition() -> None:
    body = """\
  initial state Route {
    always when a > 5 -> B { set a = a + 5 }
    always when a <= 5 -> B
  }
  final state B"""
    machine = machine_of(spec(body))
    assert run_rules(guards, machine) == []
    (found,) = run_rules(invariants, machine, "SW406")
    assert "on `always`" in found.message


def test_an_error_name_copied_into_a_field_can_break_an_invariant() -> None:
    body = """\
  initial state Work {
    invoke charge key "c"
    retry 2 backoff fixed 1s jitter full dead_letter -> Failed { set last = error.message }
    timeout 1m -> Failed
    on error Declined -> Failed { set last = error.name }
    done -> Paid
  }
  final state Paid
  final state Failed"""
    machine = machine_of(spec(body, context='last: string = ""', extra='  invariant last != "Declined"\n'))
    by_message, by_name = run_rules(invariants, machine, "SW405")
    assert 'error(name="Declined")' in by_name.message
    assert "error `Declined`" in by_name.message
    assert 'message="Declined")' in by_message.message  # any message may arrive


def test_a_dead_letter_never_sees_an_error_a_catch_always_takes() -> None:
    body = """\
  initial state Work {
    invoke charge key "c"
    retry 2 backoff fixed 1s jitter full dead_letter -> Failed { set last = error.name }
    timeout 1m -> Failed
    on error Declined -> Failed
    done -> Paid
  }
  final state Paid
  final state Failed"""
    machine = machine_of(spec(body, context='last: string = ""', extra='  invariant last != "Declined"\n'))
    assert run_rules(invariants, machine) == []


def test_error_groups_follow_the_catch_order_not_one_choice() -> None:
    """A guarded catch-all beside a catch naming the error is priority, not overlap; an open one no stall."""
    states = (ir.State("Work", "atomic", invoke=ir.Invoke("charge")), ir.State("Done", "final"))
    message = ir.Var("error.message", "string")
    empty = ir.BinOp("==", message, ir.Lit("", "string"), "bool")
    impossible = ir.BinOp("==", ir.Var("error.name", "string"), ir.Lit("Other", "string"), "bool")
    transitions = (
        ir.Transition("Work", "error", "Done", event="Declined"),
        ir.Transition("Work", "error", "Done", event="Declined2", guard=impossible),
        ir.Transition("Work", "error", "Done", guard=empty),
        ir.Transition("Work", "done", "Done"),
    )
    machine = ir.Machine("W", "Work", states, transitions)
    found = run_rules(guards, machine)
    assert codes(found) == ["SW401"]
    assert "error `Declined2`" in found[0].message


# --------------------------------------------------------------------------- SW707, SW310, SW408

CATCH = """\
  initial state Work {
    invoke charge key "c"
    retry POLICY backoff fixed 1s jitter full RETRY_ON dead_letter -> Failed
    timeout 1m -> Failed
    on error Declined -> Failed
    done -> Paid
  }
  final state Paid
  final state Failed"""


def test_a_catch_the_policy_retries_forever_can_never_fire() -> None:
    for policy, retry_on, expected in (
        ("unlimited", "", ["SW707"]),
        ("unlimited", "retry_on Declined", ["SW707"]),
        ("unlimited", "retry_on Unavailable", []),
        ("3", "", []),
    ):
        machine = machine_of(spec(CATCH.replace("POLICY", policy).replace("RETRY_ON", retry_on)))
        assert codes(run_rules(retries, machine, "SW707")) == expected, policy


def test_two_unguarded_done_transitions_are_nondeterministic() -> None:
    states = (
        ir.State("Work", "atomic", invoke=ir.Invoke("charge")),
        ir.State("A", "final"),
        ir.State("B", "final"),
    )
    transitions = (ir.Transition("Work", "done", "A"), ir.Transition("Work", "done", "B"))
    found = run_rules(structure, ir.Machine("W", "Work", states, transitions), "SW310")
    assert len(found) == 1 and "`done`" in found[0].message


def test_a_divisor_read_from_a_payload_counts_its_bounds() -> None:
    body = """\
  initial state A {
    on split when a / event.parts > 1.0 -> B
    on split else -> B
  }
  final state B"""
    safe = machine_of(spec(body, context="a: decimal 0.0..9.0 = 0.0", events="split(parts: int 1..4)"))
    assert run_rules(invariants, safe, "SW408") == []
    risky = machine_of(spec(body, context="a: decimal 0.0..9.0 = 0.0", events="split(parts: int 0..4)"))
    (found,) = run_rules(invariants, risky, "SW408")
    assert found.witness is not None and ("event.parts", "0") in found.witness
    assert "split(parts=0)" in found.message


def test_the_matrix_names_the_error_a_catch_takes() -> None:
    """The `table`'s error column tells a catch from the dead letter (`semantics.facts`)."""
    machine = machine_of(spec(CATCH.replace("POLICY", "3").replace("RETRY_ON", "")))
    entries = Matrix(machine).timer("Work", "error")
    assert [entry.guard for entry in entries] == ['error.name == "Declined"', None]


def test_a_routing_state_decided_by_guards_alone_waits_for_no_event() -> None:
    """`always` guards without `else` still make a routing state (a gap is SW404), so SW311 skips it."""
    body = """\
  initial state Idle {
    on go -> Route
  }
  state Route {
    always when a > 5 -> Done
    always when a <= 5 -> Done
  }
  final state Done"""
    machine = machine_of(spec(body))
    assert run_rules(structure, machine, "SW311") == []
    assert run_rules(guards, machine) == []
