"""Issue 17's front end: payloads, results and failures typed where they arrive, and the edges carrying them.

LANGUAGE.md, "Data": `event.F` in `on E` (E declares F), `result.F` in `done` after
`invoke ... returns { }` and in a step's `then { }`, `error.name`/`error.message` in
`dead_letter`, `on error` and `compensation_failed` actions; nowhere else.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statewright import ir
from statewright.dsl.format import format_text
from statewright.ir.text import render
from statewright.pipeline import CompileResult, compile_text
from statewright.source import SourceText

DATA_FLOW = (Path(__file__).parent / "data" / "data_flow.wf").read_text("utf-8")

CONTEXT = 'amount: decimal 0..1000 = 0  note: string = ""  tier: enum { gold, silver } = silver  n: int = 0'
EVENTS = 'submit(amount: decimal 0..1000, note: string = ""), rated(rate: decimal 0..1), go'


def _compile(body: str, context: str = CONTEXT, events: str = EVENTS) -> CompileResult:
    text = f"workflow W {{\n  context {{ {context} }}\n  events {{ {events} }}\n{body}\n}}\n"
    return compile_text(text, "w.wf")


def _machine(body: str, context: str = CONTEXT, events: str = EVENTS) -> ir.Machine:
    result = _compile(body, context, events)
    assert result.machine is not None, result.diagnostics
    return result.machine


def _errors(body: str, context: str = CONTEXT, events: str = EVENTS) -> list[tuple[str, str, str]]:
    result = _compile(body, context, events)
    assert result.machine is None
    return [(d.code, d.message, d.help or "") for d in result.diagnostics if d.severity.name == "ERROR"]


def _from(machine: ir.Machine, source: str) -> list[ir.Transition]:
    return [t for t in machine.transitions if t.source == source]


def _assigned(transition: ir.Transition) -> list[str]:
    return [f"{a.field} = {render(a.value)}" for a in transition.actions if isinstance(a, ir.Assign)]


# --------------------------------------------------------------------------- declarations


def test_event_payload_lowers_to_typed_fields_with_defaults() -> None:
    machine = _machine("initial state A { on go -> A }")
    submit = next(e for e in machine.events if e.name == "submit")
    assert [(f.name, f.type.name, f.default) for f in submit.payload] == [
        ("amount", "decimal", None),
        ("note", "string", ""),
    ]
    assert submit.payload[0].type.min == 0 and submit.payload[0].type.max == 1000
    assert next(e for e in machine.events if e.name == "go").payload == ()


def test_empty_parentheses_declare_an_empty_payload() -> None:
    machine = _machine("initial state A { on ping -> A }", events="ping()")
    assert machine.events[0].payload == ()


def test_invoke_returns_is_the_state_invokes_result() -> None:
    machine = _machine(
        "initial state A { invoke w returns { rate: decimal 0..1, ok: bool } done -> B }\nstate B"
    )
    invoke = next(s.invoke for s in machine.states if s.name == "A")
    assert invoke is not None
    assert [(f.name, f.type.name) for f in invoke.result] == [("rate", "decimal"), ("ok", "bool")]


def test_step_returns_is_the_step_and_its_states_result() -> None:
    machine = compile_text(DATA_FLOW, "data_flow.wf").machine
    assert machine is not None
    step = machine.sagas[0].steps[0]
    state = next(s for s in machine.states if s.name == step.state)
    assert [f.name for f in step.result] == ["receipt"]
    assert state.invoke is not None and state.invoke.result == step.result


# --------------------------------------------------------------------------- where data is read


def test_event_fields_in_guard_and_actions_are_typed_inputs() -> None:
    machine = _machine(
        "initial state A {\n"
        "  on submit when event.amount > 100 -> B { set amount = event.amount  set note = event.note }\n"
        "  on submit else -> B\n"
        "}\nfinal state B"
    )
    guarded = _from(machine, "A")[0]
    assert guarded.guard is not None and render(guarded.guard) == "event.amount > 100"
    assert _assigned(guarded) == ["amount = event.amount", "note = event.note"]
    var = guarded.actions[0].value  # type: ignore[union-attr]
    assert var == ir.Var("event.amount", "decimal") and ir.input_of(var.name) == ("event", "amount")


def test_payload_enum_members_resolve_against_the_fields_enum() -> None:
    machine = _machine(
        "initial state A { on up when event.tier == gold -> A { set tier = event.tier } }",
        events="up(tier: enum { gold, silver })",
    )
    guard = _from(machine, "A")[0].guard
    assert guard is not None and render(guard) == "event.tier == gold"


def test_guarded_done_reads_the_result_and_keeps_document_order() -> None:
    machine = _machine(
        "initial state A {\n"
        "  invoke measure returns { rate: decimal 0..1 }\n"
        "  done when result.rate <= 0.01 -> B { set amount = result.rate }\n"
        "  done else -> C { set n = 1 }\n"
        "}\nfinal state B\nfinal state C"
    )
    first, second = _from(machine, "A")
    assert (first.kind, first.target, first.is_else) == ("done", "B", False)
    assert first.guard is not None and render(first.guard) == "result.rate <= 0.01"
    assert _assigned(first) == ["amount = result.rate"]
    assert (second.kind, second.target, second.is_else, second.guard) == ("done", "C", True, None)


def test_on_error_catches_come_in_order_before_the_dead_letter() -> None:
    machine = _machine(
        "initial state A {\n"
        "  invoke pay\n"
        "  retry 2 retry_on Unavailable dead_letter -> Broken { set note = error.message }\n"
        "  on error Declined -> Broken { set note = error.name }\n"
        "  on error Fraud -> Broken\n"
        "  done -> Broken\n"
        "}\nfinal state Broken"
    )
    errors = [t for t in _from(machine, "A") if t.kind == "error"]
    assert [(t.event, t.target) for t in errors] == [
        ("Declined", "Broken"),
        ("Fraud", "Broken"),
        (None, "Broken"),
    ]
    assert _assigned(errors[0]) == ["note = error.name"]
    assert _assigned(errors[2]) == ["note = error.message"]


def test_guarded_catches_read_the_failure() -> None:
    machine = _machine(
        "initial state A {\n  invoke pay\n"
        '  on error Declined when error.message == "limit" -> B { set note = error.message }\n'
        "  on error Declined else -> C\n  done -> B\n}\nfinal state B\nfinal state C"
    )
    guarded, fallback = (t for t in _from(machine, "A") if t.kind == "error")
    assert guarded.event == fallback.event == "Declined"
    assert guarded.guard is not None and render(guarded.guard) == 'error.message == "limit"'
    assert (fallback.is_else, fallback.target) == (True, "C")


def test_an_event_named_error_is_still_an_event() -> None:
    machine = _machine("initial state A { on error -> A }", events="error")
    assert [(t.kind, t.event) for t in machine.transitions] == [("event", "error")]


def test_a_catch_named_like_an_event_does_not_decide_that_event_for_reject_star() -> None:
    machine = _machine(
        'initial state A { invoke w on error Declined -> B done -> B reject * "busy" }\nfinal state B',
        events="Declined, go",
    )
    assert {(r.state, r.event) for r in machine.rejects} == {("A", "Declined"), ("A", "go")}


def test_always_is_an_eventless_choice() -> None:
    machine = _machine(
        "initial state Route {\n  always when tier == gold -> B\n  always else -> C { set n = 1 }\n}\n"
        "final state B\nfinal state C"
    )
    first, second = _from(machine, "Route")
    assert (first.kind, first.event, first.target, second.is_else) == ("always", None, "B", True)
    assert first.guard is not None and render(first.guard) == "tier == gold"
    assert _assigned(second) == ["n = 1"]


def test_saga_then_and_outcome_actions_land_on_the_edges_that_take_them() -> None:
    machine = compile_text(DATA_FLOW, "data_flow.wf").machine
    assert machine is not None
    edges = {(t.source, t.kind, t.event, t.target): _assigned(t) for t in machine.transitions}
    assert edges["Booking.charge", "done", None, "Booking.reserve"] == ["receipt = result.receipt"]
    assert edges["Booking.ship", "done", None, "Signing"] == ['note = "shipped"']
    assert edges["Booking.charge", "error", None, "Cancelled"] == ['note = "payment undone"']
    assert edges["Booking.charge", "timeout", None, "Cancelled"] == ['note = "payment undone"']
    assert edges["Booking.refund", "done", None, "Cancelled"] == ['note = "payment undone"']
    assert edges["Booking.reserve", "error", None, "Booking.refund"] == []
    for compensation in (
        "Booking.refund",
        "Booking.release",
        "Booking.cancel.refund",
        "Booking.cancel.release",
    ):
        assert edges[compensation, "error", None, "Broken"] == ['note = "manual"']
    assert edges["Booking.cancel.refund", "done", None, "Cancelled"] == []  # an exit is not `compensated`


def test_approval_and_checkpoint_outcome_actions() -> None:
    machine = compile_text(DATA_FLOW, "data_flow.wf").machine
    assert machine is not None
    edges = {(t.source, t.event, t.target): t for t in machine.transitions}
    assert _assigned(edges["Signing.level_1", "approve", "Inspection"]) == ["signed = true"]
    assert _assigned(edges["Signing.level_1", "reject", "Cancelled"]) == ['note = "declined"']
    assert [type(a) for a in edges["Inspection", "acknowledge", "Shipped"].actions] == [ir.Call]


@pytest.mark.parametrize("routing", ["sequential", "conditional", "parallel"])
def test_approved_actions_run_on_every_routing(routing: str) -> None:
    machine = _machine(
        f"initial approval P {{ routing {routing}\n"
        "  level 1 { approvers role:a timeout 1h escalate -> Done }\n"
        "  level 2 { approvers role:b timeout 1h escalate -> Done }\n"
        "  approved -> Done { set n = 7 }\n  rejected -> Done\n  recall -> Done { set n = 9 }\n}\n"
        "final state Done"
    )
    into_done = [t for t in machine.transitions if t.target == "Done" and t.kind != "timeout"]
    approved = [t for t in into_done if t.event not in ("reject", "recall")]
    assert approved and all(_assigned(t) == ["n = 7"] for t in approved)
    recall = [t for t in into_done if t.event == "recall"]
    assert [_assigned(t) for t in recall] == [["n = 9"]]


def test_parallel_done_takes_actions() -> None:
    machine = _machine(
        "initial parallel P { region R { initial state X { on go -> Y } final state Y }\n"
        "  done -> Done { set n = 1 } }\nfinal state Done"
    )
    completion = next(t for t in machine.transitions if t.kind == "completion")
    assert _assigned(completion) == ["n = 1"]


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("body", "code", "where"),
    [
        ("invariant event.amount > 0\ninitial state A", "SW209", "this invariant"),
        ("initial state A { entry set note = error.message }", "SW209", "`entry` actions"),
        ("initial state A { exit set note = event.note }", "SW209", "`exit` actions"),
        ("initial state A { timeout 1s -> A { set n = result.x } }", "SW209", "`timeout`"),
        ('initial state A { warn after 1s "w" { set note = error.name } }', "SW209", "`warn after`"),
        ("initial state A { on go -> A { set note = result.x } }", "SW209", "`on go`"),
        ("initial state A { on submit -> A { set note = error.name } }", "SW209", "`on submit`"),
        ("initial state A { always when event.amount > 1 -> A always else -> A }", "SW209", "`always`"),
        ("initial state A { invoke w done -> A { set note = event.note } }", "SW209", "`done`"),
        ("initial state A { invoke w done -> A { set note = error.message } }", "SW209", "`done`"),
        (
            "initial approval P { routing conditional level 1 when event.amount > 1 { approvers role:a }"
            " approved -> A rejected -> A }\nfinal state A",
            "SW209",
            "this level condition",
        ),
        (
            'initial saga S { step a key "k" returns { r: string }\n done -> A { set note = result.r }'
            " compensated -> A }\nfinal state A",
            "SW209",
            "`done` of `S`",
        ),
        (
            'initial saga S { step a key "k" done -> A compensated -> A { set note = error.name } }\n'
            "final state A",
            "SW209",
            "`compensated`",
        ),
    ],
)
def test_data_read_where_it_does_not_arrive(body: str, code: str, where: str) -> None:
    found = _errors(body)
    assert any(c == code and where in message for c, message, _ in found), found


def test_reading_another_events_field_names_the_event_that_has_it() -> None:
    ((code, message, help_text),) = _errors("initial state A { on go when event.rate > 0 -> A }")
    assert code == "SW210"
    assert message == "event `go` carries no field `rate`"
    assert "`rate` is a field of event `rated`" in help_text and "on rated" in help_text


def test_not_available_help_says_where_the_data_is_and_who_declares_it() -> None:
    result = _compile("initial state A { entry set amount = event.amount }")
    (diag,) = result.diagnostics
    assert (diag.code, diag.span.line, diag.span.column) == ("SW209", 4, 38)
    assert diag.file == "w.wf"
    assert "`on E`" in (diag.help or "") and "declared by event `submit`" in (diag.help or "")


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        ("initial state A { on go when foo.bar -> A }", "SW121", "event.FIELD"),
        ("initial state A { on go when evnt.x > 1 -> A }", "SW121", "did you mean `event`"),
        ("initial state A { on submit when event.amont > 1 -> A }", "SW210", "did you mean `amount`"),
        ("initial state A { invoke w returns { r: int } done when result.q > 1 -> A }", "SW210", "returns"),
        (
            "initial state A { invoke w retry 1 dead_letter -> A { set note = error.text } }",
            "SW210",
            "error.name",
        ),
    ],
)
def test_unknown_scopes_and_fields(body: str, code: str, text: str) -> None:
    found = _errors(body)
    assert any(c == code and (text in h or text in m) for c, m, h in found), found


@pytest.mark.parametrize(
    ("body", "events", "code"),
    [
        ("initial state A", "e(x: int, x: bool)", "SW122"),
        ("initial state A { invoke w returns { r: int  r: int } }", "go", "SW122"),
        ("initial state A", "e(true: int)", "SW109"),
        ("initial state A", "e(x: int 5..1)", "SW205"),
        ("initial state A", "e(x: int >= 0 = -1)", "SW203"),
        ("initial state A { invoke w returns { e: enum { a, a } } }", "go", "SW117"),
        ("initial state A { on go -> A always -> A }", "go", "SW123"),
        ("initial state A { invoke w always -> A }", "go", "SW123"),
        ("initial state A { state B always -> B }", "go", "SW123"),
        (
            "initial state A { invoke w on error X -> A on error X else -> A on error X else -> A }",
            "go",
            "SW112",
        ),
        ('initial state A { invoke w on error X -> A requires "p" }', "go", "SW124"),
        (
            "initial state A { initial state B { on go -> C } final state C done when n > 1 -> A }",
            "go",
            "SW124",
        ),
        ("initial state A { on error X -> A }", "go", "SW113"),
        (
            'initial saga S { step a key "k" on error X -> A done -> A compensated -> A }\nfinal state A',
            "go",
            "SW113",
        ),
        ("initial state A { invoke w on error X -> A on error X -> A }", "go", "SW112"),
        ("initial state A { invoke w done -> A done -> A }", "go", "SW112"),
        ("initial state A { invoke w done else -> A done else -> A }", "go", "SW112"),
        ("initial state A { done when n > 1 -> A }", "go", "SW114"),
    ],
)
def test_ill_formed_data_constructs(body: str, events: str, code: str) -> None:
    assert code in [c for c, _, _ in _errors(body, events=events)]


def test_compensation_failed_cannot_read_the_failure_where_a_timeout_leads_there() -> None:
    body = (
        'initial saga S { step a key "k" compensate u compensate_key "u" timeout 1m\n'
        '  step b key "k2"\n  done -> A  compensated -> A\n'
        "  compensation_failed -> A { set note = error.message } }\nfinal state A"
    )
    ((code, message, _),) = _errors(body)
    assert code == "SW209" and "step `a`'s timeout" in message
    without_timeout = body.replace(" timeout 1m", "")
    machine = _machine(without_timeout)
    failed = [t for t in machine.transitions if t.source == "S.u" and t.kind == "error"]
    assert [_assigned(t) for t in failed] == [["note = error.message"]]


def test_on_error_without_a_name_is_an_event_and_the_help_says_how_to_catch() -> None:
    result = _compile("initial state A { invoke w on error -> A }")
    (diag,) = result.diagnostics
    assert diag.code == "SW103" and "`on error NAME -> S`" in (diag.help or "")


def test_on_error_with_a_second_name_after_another_event_is_a_syntax_error() -> None:
    result = _compile("initial state A { on go nope -> A }")
    assert [d.code for d in result.diagnostics] == ["SW010"]
    assert "on error nope" in (result.diagnostics[0].help or "")


# --------------------------------------------------------------------------- the whole spec


def test_data_flow_spec_compiles_and_is_canonical() -> None:
    result = compile_text(DATA_FLOW, "data_flow.wf")
    assert result.machine is not None, result.diagnostics
    formatted = format_text(SourceText("data_flow.wf", DATA_FLOW))
    assert formatted.text == DATA_FLOW


def test_payload_bounds_are_exact_decimals() -> None:
    machine = compile_text(DATA_FLOW, "data_flow.wf").machine
    assert machine is not None
    rate = next(s.invoke for s in machine.states if s.name == "Measuring")
    assert rate is not None and rate.result[0].type.max == Decimal("1.0000")


# --------------------------------------------------------------------------- the property


_SITES: dict[str, tuple[str | None, str]] = {
    # site: (the scope that arrives there, a body reading REF in it)
    "on": ("event", "initial state A {{ on e when REF -> A on e else -> A }}"),
    "done": (
        "result",
        "initial state A {{ invoke w returns {{ FIELDS }} done when REF -> A done else -> A }}",
    ),
    "then": (
        "result",
        'initial saga S {{ step w key "k" returns {{ FIELDS }} then {{ set ok = REF }}\n'
        " done -> A compensated -> A }}\nfinal state A",
    ),
    "dead_letter": ("error", "initial state A {{ invoke w retry 1 dead_letter -> A {{ set ok = REF }} }}"),
    "on_error": ("error", "initial state A {{ invoke w on error X -> A {{ set ok = REF }} }}"),
    "on_error_guard": ("error", "initial state A {{ invoke w on error X when REF -> A done -> A }}"),
    "compensation_failed": (
        "error",
        'initial saga S {{ step w key "k" compensate u compensate_key "u"\n step v key "v"\n'
        " done -> A compensated -> A compensation_failed -> A {{ set ok = REF }} }}\nfinal state A",
    ),
    "compensated": (
        None,
        'initial saga S {{ step w key "k" done -> A compensated -> A {{ set ok = REF }} }}\nfinal state A',
    ),
    "always": (None, "initial state A {{ always when REF -> A always else -> A }}"),
    "entry": (None, "initial state A {{ entry set ok = REF }}"),
    "timeout": (None, "initial state A {{ timeout 1s -> A {{ set ok = REF }} }}"),
    "invariant": (None, "invariant REF\ninitial state A"),
}
_TYPES = ("int", "decimal 0..1", "bool", "string", "enum { p, q }")
_POOL = ("a", "b", "name", "message")


@given(
    site=st.sampled_from(sorted(_SITES)),
    scope=st.sampled_from(ir.INPUT_SCOPES),
    field=st.sampled_from(_POOL),
    declared=st.dictionaries(st.sampled_from(_POOL), st.sampled_from(_TYPES), max_size=3),
)
def test_an_input_is_read_exactly_where_it_arrives(
    site: str, scope: str, field: str, declared: dict[str, str]
) -> None:
    """`scope.field` type-checks iff its scope arrives at the site and has the field; else SW209/SW210."""
    arrives, template = _SITES[site]
    fields = ", ".join(f"{name}: {spec}" for name, spec in declared.items())
    ref = f"{scope}.{field} == {scope}.{field}"
    body = template.replace("{{", "{").replace("}}", "}").replace("FIELDS", fields).replace("REF", ref)
    result = _compile(body, context="ok: bool = false", events=f"e({fields}), go")
    found = {d.code for d in result.diagnostics}
    has = field in ("name", "message") if scope == "error" else field in declared
    if arrives != scope:
        assert "SW209" in found, (body, result.diagnostics)
    elif not has:
        assert "SW210" in found, (body, result.diagnostics)
    else:
        assert result.machine is not None, (body, result.diagnostics)
        assert not found & {"SW209", "SW210"}


def test_emit_of_an_event_with_a_required_payload_is_refused() -> None:
    """`emit submit` carries no data and `submit` requires `amount`: SW125 (once only refused at run time)."""
    errors = _errors("  initial state A { on go -> B { emit submit } }\n  final state B")
    assert [(code, message) for code, message, _ in errors] == [
        ("SW125", "`emit submit` sends no data, but `submit` requires `amount`")
    ]


def test_emit_of_an_event_whose_payload_fields_all_have_defaults_is_fine() -> None:
    machine = _machine(
        "  initial state A { on go -> B { emit ping } }\n  final state B",
        events='ping(note: string = ""), go',
    )
    assert any(isinstance(a, ir.Emit) for t in machine.transitions for a in t.actions)
