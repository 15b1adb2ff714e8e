"""Lowering: name resolution and type checks, and the shape of lowered constructs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from statewright import ir
from statewright.compiler.typecheck import depth
from statewright.ir.text import render
from statewright.pipeline import CompileResult, compile_text


def _compile(body: str, context: str = "", events: str = "go, stop") -> CompileResult:
    text = f"workflow W {{\n  context {{ {context} }}\n  events {{ {events} }}\n{body}\n}}\n"
    return compile_text(text, "w.wf")


def _machine(body: str, context: str = "", events: str = "go, stop") -> ir.Machine:
    result = _compile(body, context, events)
    assert result.diagnostics == (), result.diagnostics
    assert result.machine is not None
    return result.machine


def _codes(body: str, context: str = "", events: str = "go, stop") -> list[str]:
    result = _compile(body, context, events)
    assert result.machine is None
    return [d.code for d in result.diagnostics]


def _edges(machine: ir.Machine) -> set[tuple[str, str, str | None, str | None]]:
    return {(t.source, t.kind, t.event, t.target) for t in machine.transitions}


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("body", "context", "code"),
    [
        ("initial state A { on go -> Nowhere }", "", "SW102"),
        ("initial state A { on jump -> A }", "", "SW103"),
        ("initial state A { reject jump }", "", "SW103"),
        ("initial state A { on approve -> A }", "", "SW103"),
        ("initial state A { ignore acknowledge }", "", "SW103"),
        ("initial state A { on go -> A { emit jump } }", "", "SW103"),
        ("initial state A\nstate A", "", "SW101"),
        ("state A\nfinal state B", "", "SW107"),
        ("initial state A\ninitial state B", "", "SW108"),
        ("initial state A { state X\n state Y }", "", "SW107"),
        ("initial state A", "true: bool", "SW109"),
        ("initial state A", "x: int\nx: bool", "SW105"),
        ("initial state A", "x: enum { a, a }", "SW117"),
        ("initial state A", "x: int 5..1", "SW205"),
        ("initial state A", "x: int >= 0 = -1", "SW203"),
        ("initial state A", "x: bool = 3", "SW203"),
        ("initial state A", "x: enum { a, b } = c", "SW203"),
        ("initial state A", "a: int\nx: enum { a, b }", "SW118"),
        ("initial state A { on go when y > 1 -> A }", "x: int", "SW106"),
        ('initial state A { on go when x > "s" -> A }', "x: int", "SW201"),
        ("initial state A { on go when x -> A }", "x: int", "SW202"),
        ("initial state A { on go when x == c -> A }", "x: enum { a, b }", "SW204"),
        ("initial state A { on go -> A { set x = true } }", "x: int", "SW206"),
        ("initial state A { on go -> A { set y = 1 } }", "x: int", "SW106"),
        ("initial state A { on go when x / 2 > 1 -> A }", "x: int", "SW207"),
        ("initial state A { on go when x % 2.0 > 1 -> A }", "x: decimal", "SW201"),
        ("initial state A { on go when not x -> A }", "x: int", "SW201"),
        ('initial state A { on go when x in { 1, "a" } -> A }', "x: int", "SW201"),
        ("initial state A { on go when -s == 1 -> A }", "s: string", "SW201"),
        ("initial state A { retry 3 }", "", "SW113"),
        ("initial state A { done -> A }", "", "SW114"),
        ('initial state A { doc "a" doc "b" }', "", "SW112"),
        ("initial state A { timeout 1s -> A timeout 2s -> A }", "", "SW112"),
        ("initial parallel P { done -> P }", "", "SW116"),
        ("initial parallel P { region R { initial state X } }\nstate Y { on go -> R }", "", "SW114"),
    ],
)
def test_each_lowering_error_has_its_code(body: str, context: str, code: str) -> None:
    assert code in _codes(body, context)


def test_unknown_state_suggests_the_closest_name() -> None:
    result = _compile("initial state Validating { on go -> Validatin }\nfinal state Done")
    (diag,) = result.diagnostics
    assert diag.code == "SW102"
    assert "did you mean `Validating`" in diag.help
    assert (diag.span.line, diag.span.column) == (4, 37)


def test_duplicate_state_points_at_both_definitions() -> None:
    result = _compile("initial state A { state B }\nstate B")
    (diag,) = [d for d in result.diagnostics if d.code == "SW101"]
    assert diag.span.line == 5
    assert diag.related[0].span.line == 4


def test_errors_are_collected_not_stopped_at_the_first() -> None:
    codes = _codes("initial state A { on jump -> Nowhere }\nstate A\nstate B { on go -> Elsewhere }")
    assert sorted(codes) == ["SW101", "SW102", "SW102", "SW103"]


# --------------------------------------------------------------------------- types


def test_enum_members_resolve_against_the_compared_field() -> None:
    machine = _machine(
        "initial state A { on go when region == eu or region in { us } -> A }",
        "region: enum { eu, us, apac } = apac",
    )
    guard = machine.transitions[0].guard
    assert isinstance(guard, ir.BinOp) and guard.op == "or"
    assert guard.left == ir.BinOp("==", ir.Var("region", "enum"), ir.Lit("eu", "enum"), "bool")
    assert machine.context[0].default == "apac"


def test_ints_promote_to_decimal_and_defaults_are_typed() -> None:
    machine = _machine(
        "initial state A { on go when price * 2 > 10 -> A { set price = price + 1 } }",
        'price: decimal >= 0 = 3\nn: int = -4\nok: bool = true\nname: string = "x"',
    )
    assert [f.default for f in machine.context] == [Decimal(3), -4, True, "x"]
    assert isinstance(machine.context[0].default, Decimal)
    guard = machine.transitions[0].guard
    assert isinstance(guard, ir.BinOp) and guard.left.type == "decimal"
    assign = machine.transitions[0].actions[0]
    assert isinstance(assign, ir.Assign) and assign.value.type == "decimal"


def test_invariant_text_is_rendered_from_the_ir() -> None:
    machine = _machine("initial state A", "x: int\ny: int")
    assert machine.invariants == ()
    other = compile_text(
        "workflow W { context { x: int y: int } invariant (x - (y - 1)) * 2 >= -3 and not (x == y)"
        " initial state A }"
    ).machine
    assert other is not None
    assert other.invariants[0].text == "(x - (y - 1)) * 2 >= -3 and not x == y"


# --------------------------------------------------------------------------- constructs


def test_compound_state_lists_children_and_completion() -> None:
    machine = _machine(
        "initial state Outer { initial state In1 { on go -> In2 } final state In2 done -> End }\n"
        "final state End"
    )
    outer = machine.state("Outer")
    assert (outer.kind, outer.initial, outer.children) == ("compound", "In1", ("In1", "In2"))
    assert machine.state("In1").parent == "Outer"
    assert ("Outer", "completion", None, "End") in _edges(machine)
    assert [s.name for s in machine.states] == ["Outer", "In1", "In2", "End"]


def test_parallel_state_has_regions_and_joins_on_completion() -> None:
    machine = _machine(
        "initial parallel P {\n region R1 { initial state A { on go -> A2 } final state A2 }\n"
        " region R2 { initial state B { on stop -> B2 } final state B2 }\n done -> End }\nfinal state End"
    )
    assert machine.state("P").kind == "parallel"
    assert machine.state("P").children == ("R1", "R2")
    assert machine.state("R1").role == "region" and machine.state("R1").initial == "A"
    assert ("P", "completion", None, "End") in _edges(machine)


def test_invoke_retry_dead_letter_and_timers() -> None:
    machine = _machine(
        'initial state Work { invoke do_it key "k-{id}" service svc\n'
        " retry 4 backoff exponential 1s..1m factor 1.5 jitter decorrelated"
        " retry_on Boom, Bust dead_letter -> Dead\n"
        ' heartbeat 10s\n timeout 5m -> Dead\n warn after 1m "slow" { do page }\n done -> Ok }\n'
        'final state Ok\nfinal state Dead { outcome failure "gave up" }'
    )
    work = machine.state("Work")
    assert work.invoke == ir.Invoke(
        "do_it",
        "k-{id}",
        "svc",
        ir.RetryPolicy(
            4, "exponential", 1000, 60_000, Decimal("1.5"), "decorrelated", ("Boom", "Bust"), "Dead"
        ),
        10_000,
    )
    assert work.soft_timeouts == (ir.SoftTimeout(60_000, "slow", (ir.Call("page"),)),)
    assert {
        ("Work", "error", None, "Dead"),
        ("Work", "timeout", None, "Dead"),
        ("Work", "done", None, "Ok"),
    } <= _edges(machine)
    assert machine.state("Dead").outcome == "failure"
    assert machine.state("Dead").outcome_reason == "gave up"


SAGA = """
initial saga Pay {
  step reserve key "r" compensate release compensate_key "rr"
  step notify key "n" no_compensation "an email"
  step charge key "c" compensate refund compensate_key "cr" timeout 30s
  step ship key "s" pivot
  step track key "t"
  done -> Done
  compensated -> Undone
  compensation_failed -> Manual
}
final state Done
final state Undone
state Manual { on go -> Undone }
"""


def test_saga_failures_compensate_completed_steps_in_reverse() -> None:
    machine = _machine(SAGA)
    edges = _edges(machine)
    # forward chain
    assert ("Pay.reserve", "done", None, "Pay.notify") in edges
    assert ("Pay.track", "done", None, "Done") in edges
    # failure of each step starts at the latest completed compensable step
    assert ("Pay.reserve", "error", None, "Undone") in edges
    assert ("Pay.notify", "error", None, "Pay.release") in edges
    assert ("Pay.charge", "error", None, "Pay.release") in edges
    assert ("Pay.charge", "timeout", None, "Pay.release") in edges
    assert ("Pay.ship", "error", None, "Pay.refund") in edges
    # after the pivot nothing can be undone: manual intervention
    assert ("Pay.track", "error", None, "Manual") in edges
    # compensation chain is LIFO and skips steps without compensation
    assert ("Pay.refund", "done", None, "Pay.release") in edges
    assert ("Pay.release", "done", None, "Undone") in edges
    assert ("Pay.refund", "error", None, "Manual") in edges
    saga = machine.sagas[0]
    assert [s.action for s in saga.steps] == ["reserve", "notify", "charge", "ship", "track"]
    assert saga.steps[0].compensation_state == "Pay.release"
    assert saga.steps[1].no_compensation == "an email"
    assert saga.steps[3].pivot
    assert machine.state("Pay").initial == "Pay.reserve"


def test_saga_marker_conflicts_and_missing_outcomes_are_reported() -> None:
    codes = _codes("initial saga S { step a compensate b pivot }\nfinal state D")
    assert "SW015" in codes and codes.count("SW113") == 2


APPROVAL = """
initial approval Sign {{
  routing {routing}
  level 1 {when1} {{ approvers role:manager, role:lead quorum all timeout 1h escalate -> {esc} }}
  level 2 {when2} {{ approvers role:director timeout 2h escalate -> Rejected }}
  delegation allowed
  recall -> Draft
  approved -> Approved
  rejected -> Rejected
}}
state Draft {{ on go -> Sign }}
final state Approved
final state Rejected
"""


def _approval(routing: str, esc: str = "level 2", when1: str = "", when2: str = "") -> str:
    return APPROVAL.format(routing=routing, esc=esc, when1=when1, when2=when2)


def test_sequential_approval_goes_level_by_level() -> None:
    machine = _machine(_approval("sequential"))
    edges = _edges(machine)
    assert ("Sign.level_1", "event", "approve", "Sign.level_2") in edges
    assert ("Sign.level_2", "event", "approve", "Approved") in edges
    assert ("Sign.level_1", "timeout", None, "Sign.level_2") in edges
    assert ("Sign.level_1", "event", "reject", "Rejected") in edges
    assert ("Sign.level_1", "event", "delegate", None) in edges
    assert ("Sign", "event", "recall", "Draft") in edges
    table = machine.approvals[0]
    assert [level.quorum for level in table.levels] == [2, 1]
    assert {e.name: e.kind for e in machine.events}["approve"] == "approval"
    assert machine.state("Sign.level_1").waits


def test_conditional_approval_routes_with_exclusive_guards() -> None:
    machine = _machine(
        _approval("conditional", when1="when amount > 100", when2="when amount > 1000"), "amount: int >= 0"
    )
    route = [t for t in machine.transitions if t.source == "Sign.route"]
    assert [(t.kind, t.target, t.is_else) for t in route] == [
        ("always", "Sign.level_1", False),
        ("always", "Sign.level_2", False),
        ("always", "Approved", True),
    ]
    second = route[1].guard
    assert isinstance(second, ir.BinOp) and isinstance(second.left, ir.Unary)
    assert machine.state("Sign").initial == "Sign.route"


def test_parallel_approval_uses_regions_that_join() -> None:
    machine = _machine(_approval("parallel", esc="Rejected"))
    assert machine.state("Sign").kind == "parallel"
    assert machine.state("Sign.level_1").role == "approval_region"
    assert machine.state("Sign.level_1.granted").kind == "final"
    assert ("Sign.level_1.pending", "event", "approve", "Sign.level_1.granted") in _edges(machine)
    assert ("Sign", "completion", None, "Approved") in _edges(machine)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (_approval("sequential", esc="level 7"), "SW110"),
        (_approval("parallel", esc="level 2"), "SW114"),
        (_approval("sequential", when1="when amount > 1"), "SW114"),
        (
            APPROVAL.replace("level 2 {when2}", "level 1 {when2}").format(
                routing="sequential", esc="Rejected", when1="", when2=""
            ),
            "SW115",
        ),
    ],
)
def test_approval_errors(text: str, code: str) -> None:
    assert code in _codes(text, "amount: int")


def test_approval_events_may_be_handled_outside_the_approval() -> None:
    machine = _machine(
        _approval("sequential").replace(
            "state Draft { on go -> Sign }", "state Draft { on go -> Sign ignore approve }"
        )
    )
    assert ir.Reject("Draft", "approve", "ignore") in machine.rejects


def test_forbidden_delegation_is_an_explicit_reject() -> None:
    machine = _machine(_approval("sequential").replace("delegation allowed", "delegation forbidden"))
    assert ir.Reject("Sign.level_1", "delegate", "reject", "delegation is not allowed") in machine.rejects


def test_checkpoint_waits_for_acknowledgement_with_fallback() -> None:
    machine = _machine(
        'initial checkpoint Ack { prompt "Look" assignee user:"ann@x.org"'
        " acknowledged -> Done timeout 1h -> Late }\n"
        "final state Done\nfinal state Late"
    )
    assert machine.checkpoints == (ir.Checkpoint("Ack", "Look", "user:ann@x.org", "Done", 3_600_000, "Late"),)
    assert {("Ack", "event", "acknowledge", "Done"), ("Ack", "timeout", None, "Late")} <= _edges(machine)


def test_governance_clauses_reach_the_ir() -> None:
    machine = _machine(
        'initial state A { on go -> B requires "p:one", "p:two" scope "lock" evidence hash, version }\n'
        "final state B"
    )
    transition = machine.transitions[0]
    assert transition.permissions == ("p:one", "p:two")
    assert transition.scope == "lock"
    assert transition.evidence == ("hash", "version")


def test_lowering_is_deterministic(kitchen_sink: str) -> None:
    first = compile_text(kitchen_sink).machine
    second = compile_text(kitchen_sink).machine
    assert first is not None and first == second
    assert repr(first) == repr(second)


def test_saga_outcomes_may_follow_any_item() -> None:
    machine = _machine(
        "initial saga S { reject go\n done -> B compensated -> B\n step a compensate b retry 2\n"
        " compensation_failed -> B }\nfinal state B"
    )
    assert machine.sagas[0].done == "B" and machine.sagas[0].compensation_failed == "B"


def test_enum_members_may_end_with_a_comma() -> None:
    machine = _machine("initial state A", "e: enum { a, b, c, }")
    assert machine.context[0].type.members == ("a", "b", "c")


@pytest.mark.parametrize(
    "block",
    [
        "initial parallel P { region R { initial state X { on go -> Y } final state Y } done -> B {timers} }",
        "initial approval P { level 1 { approvers role:x } approved -> B rejected -> B {timers} }",
        "initial checkpoint P { acknowledged -> B {timers} }",
        "initial state P { on go -> B {timers} }",
    ],
    ids=["parallel", "approval", "checkpoint", "state"],
)
def test_every_state_kind_takes_hard_and_soft_timeouts(block: str) -> None:
    timers = 'timeout 1h -> B warn after 30m "late" { do page }'
    machine = _machine(block.replace("{timers}", timers) + "\nfinal state B")
    assert ("P", "timeout", None, "B") in _edges(machine)
    assert [t.after_ms for t in machine.transitions if t.source == "P" and t.kind == "timeout"] == [3_600_000]
    assert machine.state("P").soft_timeouts == (ir.SoftTimeout(1_800_000, "late", (ir.Call("page"),)),)


def test_duplicate_approval_level_has_its_own_code() -> None:
    codes = _codes(
        "initial approval P { level 1 { approvers role:x } level 1 { approvers role:y }"
        " approved -> B rejected -> B }\nfinal state B"
    )
    assert codes == ["SW115"]


def test_long_and_or_chains_lower_to_shallow_balanced_trees() -> None:
    terms = " or ".join(f"x == {i}" for i in range(1000))
    machine = _machine(f"initial state A {{ on go when {terms} -> A }}", "x: int")
    guard = machine.transitions[0].guard
    assert guard is not None and depth(guard) == 12
    assert render(guard) == terms


def test_typed_expressions_deeper_than_the_limit_are_refused() -> None:
    deep = "x" + " + x" * 62  # 63 levels of `+`, under the parser's limit of 64
    codes = _codes(f"initial state A {{ on go when ({deep}) > 0 and ({deep}) < 9 -> A }}", "x: int")
    assert codes == ["SW006"]


def test_a_saga_takes_soft_timers_and_step_timeouts_but_no_block_timeout() -> None:
    machine = _machine(
        'initial saga P { step a compensate b timeout 5s\n warn after 1m "slow"\n'
        " done -> B compensated -> B }\nfinal state B"
    )
    assert machine.state("P").soft_timeouts == (ir.SoftTimeout(60_000, "slow"),)
    assert ("P.a", "timeout", None, "B") in _edges(machine)
    result = _compile("initial saga P { step a compensate b timeout 5s -> B done -> B compensated -> B }")
    assert [d.code for d in result.diagnostics] == ["SW010"]


def test_keywords_name_fields_after_numeric_bounds() -> None:
    machine = _machine(
        "initial state A", "limit: int >= 0 = 1\ntimeout: int 0..5\nstate: decimal = 1.5\nstep: bool"
    )
    assert [f.name for f in machine.context] == ["limit", "timeout", "state", "step"]


def test_wildcard_refusals_cover_exactly_the_undecided_events() -> None:
    machine = _machine(
        'reject * "not now"\n'
        "initial state P { on stop -> P\n initial state A { ignore *\n on go -> A } }\n"
        "state Q { reject *\n on go -> P }",
        events="go, stop, late",
    )
    refusals = {(r.state, r.event, r.kind, r.reason) for r in machine.rejects}
    assert refusals == {
        ("A", "late", "ignore", None),  # `stop` is decided by the parent, `go` by A itself
        ("P", "go", "reject", "not now"),  # the child still wins at run time
        ("P", "late", "reject", "not now"),
        ("Q", "stop", "reject", None),  # Q's own wildcard wins over the workflow default
        ("Q", "late", "reject", None),
    }


def test_a_wildcard_refuses_what_its_own_guarded_transitions_leave_open() -> None:
    """Beside guarded-only transitions a wildcard adds a refusal; else or a parent's transitions block it."""
    machine = _machine(
        'reject * "no"\n'
        "initial state P { on go when n > 1 -> P\n on stop when n > 1 -> P\n on stop else -> P\n"
        " initial state A { reject *\n on late when n > 2 -> A } }",
        "n: int = 0",
        events="go, stop, late",
    )
    refusals = {(r.state, r.event) for r in machine.rejects}
    assert refusals == {
        ("P", "go"),  # P's `go` is guarded only: refused where `n > 1` does not hold
        ("P", "late"),
        ("A", "late"),  # beside A's own guarded `late`
    }


def test_a_wildcard_is_given_once_per_block() -> None:
    assert _codes("initial state A { reject * ignore * }") == ["SW112"]
    assert _codes('reject * "a"\nignore *\ninitial state A') == ["SW112"]


def test_a_compensation_runs_under_its_steps_timeout() -> None:
    machine = _machine(SAGA)
    assert ("Pay.refund", "timeout", None, "Manual") in _edges(machine)
    assert [t.after_ms for t in machine.transitions if t.source == "Pay.refund" and t.kind == "timeout"] == [
        30_000
    ]
    assert not [t for t in machine.transitions if t.source == "Pay.release" and t.kind == "timeout"]


def test_the_last_steps_compensation_gets_no_state() -> None:
    machine = _machine(
        'initial saga S { step a key "a" compensate undo_a\n step b key "b" compensate undo_b\n'
        " done -> D compensated -> D }\nfinal state D"
    )
    assert [s.name for s in machine.states if s.role == "compensation"] == ["S.undo_a"]
    last = machine.sagas[0].steps[-1]
    assert (last.compensation, last.compensation_state) == ("undo_b", None)
