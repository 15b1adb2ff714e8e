"""Data through Step Functions (issue 17): payloads, results and failures read by guards and sets.

The definition reads a transition's inputs where the callback answer and the
Catch put them (`$.signal.data`, `$.signal.result`, `$.error`), checks every
answer's data first with the runtime's check (`semantics.inputs.check_fields`,
run by the evaluator), routes failures by name before the catch-all, and
decides guarded `done` and `always` in dispatch order. Moto runs compare every
observation, context included, with the Python runtime.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.pipeline import compile_path
from statewright.semantics.inputs import check_fields, result_invalid_message
from statewright.semantics.values import holds
from statewright.targets.asl.actions import evaluator_body
from statewright.targets.asl.choice import condition, field_path
from statewright.targets.asl.evaluator import handler
from statewright.targets.asl.expressions import field_to_data, to_data
from statewright.targets.asl.protocol import done_answer, event_answer, is_evaluator_request
from statewright.testing.asl_engine import RESULT_NOT_RETRIED, AslEngine
from statewright.testing.equivalence import check_engine
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Observation, Scenario, Send, Step, Timeout, Unsupported, WorkDone
from tests.conftest import ROOT
from tests.semantics.typed_exprs import DECIMAL_LITERALS, STRING_LITERALS, Scope, typed
from tests.targets.asl.support import artifacts, validate
from tests.targets.asl.test_choice import run_rule
from tests.targets.specs import machine_of

GOLDEN = ROOT / "tests" / "golden" / "asl"
DATA_FLOW = ROOT / "tests" / "front" / "data" / "data_flow.wf"

PAYMENTS = """workflow Payments {
  reject * "not now"
  context {
    limit: decimal 0.00..1000.00 = 100.00
    paid: decimal 0.00..1000000.00 = 0.00
    last_error: string = ""
    comment: string = ""
  }
  events {
    pay(amount: decimal 0.00..1000.00, comment: string = "none", fast: bool = false)
    again
  }
  initial state Open {
    on pay when event.amount * 2 > limit -> Charging {
      set paid = event.amount * 2
      set comment = event.comment
    }
    on pay when event.amount * 2 <= limit and event.fast -> Charging { set paid = event.amount }
    on pay else -> Open { set comment = event.comment }
  }
  state Charging {
    invoke charge key "c-{id}" returns { fee: decimal 0.00..10.00, code: enum { ok, late } }
    heartbeat 30s
    timeout 1h -> Failed
    retry 1 backoff fixed 1s retry_on Unavailable dead_letter -> Manual {
      set last_error = error.name
      set comment = error.message
    }
    on error Declined -> Open { set last_error = error.message }
    done when result.fee + paid > limit -> Manual { set comment = "fee too high" }
    done when result.fee + paid <= limit and result.code == late -> Paid { set comment = "late" }
    done else -> Paid
  }
  state Manual { on again -> Charging }
  final state Paid
  final state Failed { outcome failure }
}
"""
"""Payload guards with arithmetic (the evaluator, with the payload), a fast path read by a Choice rule,
result guards, a named catch and a dead letter recording the failure, a missed heartbeat."""

RETRYING = """workflow Retrying {
  context { code: string = "" }
  events { go }
  initial state Idle { on go -> Working }
  state Working {
    invoke work key "w-{id}" returns { code: string }
    retry 2 backoff fixed 1s dead_letter -> Broken { set code = error.name }
    done -> Done { set code = result.code }
  }
  state Broken { on go -> Working }
  final state Done
}
"""
"""A policy retrying every error, so a bad result would be retried by the runtime."""


def _data_flow() -> ir.Machine:
    machine = compile_path(DATA_FLOW).machine
    assert machine is not None
    return machine


@pytest.fixture(scope="module")
def engine() -> Iterator[AslEngine]:
    """One in-memory AWS for the module."""
    with AslEngine() as opened:
        yield opened


@pytest.fixture(scope="module")
def payments() -> ir.Machine:
    """The payments spec above."""
    return machine_of(PAYMENTS)


def _definition(machine: ir.Machine) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(artifacts(machine)[f"{machine.name}.asl.json"])
    return found


def _python(machine: ir.Machine, scenario: Scenario) -> list[Observation]:
    observed = PythonEngine().run(machine, scenario)
    assert not isinstance(observed, Unsupported), observed
    return list(observed)


def _same(engine: AslEngine, machine: ir.Machine, steps: Sequence[Step]) -> list[Observation]:
    """Run `steps` on both engines; every observation, context included, is the same."""
    scenario = Scenario((), tuple(steps))
    observed = engine.run(machine, scenario)
    assert not isinstance(observed, Unsupported), observed
    expected = _python(machine, scenario)
    assert list(observed) == expected
    assert all(o.context is not None for o in observed)
    return expected


def _context(observation: Observation) -> dict[str, ir.Value]:
    assert observation.context is not None
    return dict(observation.context)


# ---------------------------------------------------------------------- the definition


def test_the_data_flow_definition_is_golden_and_valid(update_golden: bool, tmp_path: Path) -> None:
    """The canonical spec using every data feature: byte-identical to its golden file, and valid ASL."""
    machine = _data_flow()
    text = artifacts(machine, "tests/front/data/data_flow.wf")["DataFlow.asl.json"]
    path = GOLDEN / "DataFlow.asl.json"
    if update_golden:
        path.write_bytes(text.encode("utf-8"))
    assert path.read_bytes() == text.encode("utf-8"), f"{path} differs: run pytest --update-golden"
    other = tmp_path / "Payments.asl.json"
    other.write_text(artifacts(machine_of(PAYMENTS))["Payments.asl.json"], encoding="utf-8")
    result = validate([path, other])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("is valid") == 2


def test_inputs_are_read_where_the_answer_and_the_catch_put_them() -> None:
    """event.F in the answer's data, result.F in its result, error.* in the Catch's Error/Cause."""
    assert field_path("amount") == "$.context.amount"
    assert field_path("event.amount") == "$.signal.data.amount"
    assert field_path("result.error_rate") == "$.signal.result.error_rate"
    assert field_path("error.name") == "$.error.Error"
    assert field_path("error.message") == "$.error.Cause"
    states = _definition(_data_flow())["States"]
    rules = json.dumps(states["Review | wait | decide"]["Choices"])
    assert '"Variable": "$.signal.data.amount", "NumericGreaterThan": 100.0' in rules
    done = states["Measuring | done"]
    assert done["Type"] == "Choice" and "$.signal.result.error_rate" in json.dumps(done["Choices"])
    copies = [s["Parameters"] for s in states.values() if s["Type"] == "Pass" and "Parameters" in s]
    assert {"last_error.$": "$.error.Cause"} in copies and {"last_error.$": "$.error.Error"} in copies
    assert {"amount.$": "$.signal.data.amount"} in copies
    assert {"receipt.$": "$.signal.result.receipt"} in copies


def test_named_catches_come_before_the_catch_all() -> None:
    """`on error NAME` is a Catch naming it, in document order, before States.ALL (the dead letter)."""
    states = _definition(_data_flow())["States"]
    catches = [c["ErrorEquals"] for c in states["Measuring | work"]["Catch"]]
    assert catches.index(["QuotaExceeded"]) < catches.index(["Forbidden"]) < catches.index(["States.ALL"])
    assert catches[-1] == ["States.ALL"]
    assert all(c["ResultPath"] == "$.error" for c in states["Measuring | work"]["Catch"])


def test_every_answer_is_checked_before_it_is_decided() -> None:
    """The wait's answer goes to the evaluator's check; a bad payload refuses, a bad result fails."""
    states = _definition(_data_flow())["States"]
    assert states["Review | wait"]["Next"] == "Review | wait | check data"
    check = states["Review | wait | check data"]
    payload = check["Parameters"]["Payload"]
    assert payload["signal.$"] == "$.signal" and set(payload["check"]["payloads"]) == {"submit", "upgrade"}
    verdict = states["Measuring | work | data fits?"]
    assert verdict["Default"] == "Measuring | work | data refused"
    assert states["Measuring | work | data refused"]["Next"] == "Measuring | work"
    invalid = verdict["Choices"][1]["Next"]
    assert states[invalid]["InputPath"] == "$.check.error" and states[invalid]["ResultPath"] == "$.error"


def test_a_machine_without_data_has_no_check() -> None:
    """Specs declaring no payload or result keep their definitions: no evaluator call per answer."""
    machine = machine_of(RETRYING.replace("returns { code: string }", "").replace("result.code", '"ok"'))
    assert not any("check data" in name for name in _definition(machine)["States"])


def test_the_check_is_reported_once() -> None:
    """SW921 says the evaluator checks answers (the function must be deployed), once per machine."""
    from statewright.plugins.api import TargetOptions
    from statewright.targets.asl.target import AslTarget

    output = AslTarget().generate(machine_of(PAYMENTS), TargetOptions())
    notes = [d for d in output.diagnostics if d.code == "SW921" and "checked" in d.message]
    assert len(notes) == 1


def test_a_retried_bad_result_is_reported() -> None:
    """Step Functions cannot retry a succeeded Task: SW922 says the ResultInvalid goes to the catches."""
    from statewright.plugins.api import TargetOptions
    from statewright.targets.asl.target import AslTarget

    output = AslTarget().generate(machine_of(RETRYING), TargetOptions())
    assert any(d.code == "SW922" and "not retried" in d.message for d in output.diagnostics)


# ---------------------------------------------------------------------- the evaluator


def _check_request(fields: list[ir.ContextField], data: dict[str, Any], done: bool = False) -> dict[str, Any]:
    specs = [field_to_data(f) for f in fields]
    request = {
        "payloads": {} if done else {"pay": specs},
        "result": specs if done else [],
        "action": "charge",
    }
    signal = done_answer(data) if done else event_answer("pay", data=data)
    return {"check": request, "signal": signal}


PAY_FIELDS = machine_of(PAYMENTS).events[0].payload


def test_the_check_fills_defaults_and_types_numbers() -> None:
    """A valid payload comes back with its defaults, decimals as JSON numbers for the Choice rules."""
    request = _check_request(list(PAY_FIELDS), {"amount": "12.50"})
    assert is_evaluator_request(request)
    answer = handler(request)
    assert answer["valid"] is True
    assert answer["signal"]["data"] == {"amount": 12.5, "comment": "none", "fast": False}


def test_a_bad_payload_is_refused_and_a_bad_result_says_why_as_the_runtime() -> None:
    """Missing, extra and out-of-bound fields fail the check; a result's message is the runtime's."""
    refused = handler(_check_request(list(PAY_FIELDS), {"amount": 1000.01, "extra": 1}))
    assert refused["valid"] is False and refused["error"]["Error"] == "PayloadInvalid"
    fields = machine_of(PAYMENTS).state("Charging").invoke
    assert fields is not None
    failed = handler(_check_request(list(fields.result), {"fee": 1}, done=True))
    _, problems = check_fields(fields.result, {"fee": 1})
    assert failed == {
        "valid": False,
        "signal": done_answer({"fee": 1}),
        "error": {"Error": "ResultInvalid", "Cause": result_invalid_message("charge", problems)},
    }


@settings(max_examples=60, deadline=None)
@given(
    amount=st.one_of(
        st.decimals(min_value=-10, max_value=1100, places=2, allow_nan=False),
        st.integers(-5, 1005),
        st.booleans(),
        st.text(alphabet="ab .", max_size=4),
    ),
    fast=st.one_of(st.booleans(), st.integers(0, 1)),
    extra=st.booleans(),
)
def test_the_check_accepts_exactly_what_the_runtime_accepts(amount: Any, fast: Any, extra: bool) -> None:
    """Through JSON (decimals as numbers), the check's verdict is `check_fields`' on the sent values.

    (A decimal written as a string is read as its number, as `run send --data` reads it: see above.)
    """
    data: dict[str, Any] = {"amount": amount, "fast": fast}
    if extra:
        data["note"] = "x"
    sent = json.loads(json.dumps(event_answer("pay", data=data)))
    answer = handler({"check": _check_request(list(PAY_FIELDS), {})["check"], "signal": sent})
    _, problems = check_fields(PAY_FIELDS, data)
    assert answer["valid"] is (not problems)


def test_the_evaluator_reads_the_inputs_its_expressions_need() -> None:
    """`event.amount * 2 > limit` with the payload beside the context; another event's guard is false."""
    guard = ir.BinOp(
        ">",
        ir.BinOp("*", ir.Var("event.amount", "decimal"), ir.Lit(2, "int"), "decimal"),
        ir.Var("limit", "decimal"),
        "bool",
    )
    request = {
        "expressions": {"g1": to_data(guard)},
        "types": {"limit": "decimal", "event.amount": "decimal"},
        "context": {"limit": 100.0},
    }
    assert handler({**request, "event": {"amount": 50.01}}) == {"g1": True}
    assert handler({**request, "event": {"amount": 50.0}}) == {"g1": False}
    assert handler({**request, "event": {}}) == {"g1": False}
    message = ir.BinOp("==", ir.Var("error.message", "string"), ir.Lit("x", "string"), "bool")
    found = handler({"expressions": {"g1": to_data(message)}, "error": {"Error": "E", "Cause": "x"}})
    assert found == {"g1": True}


# ---------------------------------------------------------------------- moto against the runtime


def test_payload_guards_and_sets_agree(engine: AslEngine, payments: ir.Machine) -> None:
    """Arithmetic on the payload (evaluator), a bool read by a Choice rule, defaults, the else."""
    big = Send("pay", data=(("amount", Decimal("60.25")), ("comment", "big")))
    observed = _same(engine, payments, [big])
    assert observed[-1].active == ("Charging",)
    assert _context(observed[-1])["paid"] == Decimal("120.50")
    assert _context(observed[-1])["comment"] == "big"
    fast = Send("pay", data=(("amount", Decimal("10.00")), ("fast", True)))
    assert _context(_same(engine, payments, [fast])[-1])["paid"] == Decimal("10")
    small = Send("pay", data=(("amount", Decimal("10.00")),))
    last = _same(engine, payments, [small])[-1]
    assert last.active == ("Open",) and _context(last)["comment"] == "none"


def test_a_bad_payload_is_refused_on_both_engines(engine: AslEngine, payments: ir.Machine) -> None:
    """Missing, extra, ill-typed, out-of-bound: refused, nothing changes, the next good one is taken."""
    bad = [
        Send("pay"),
        Send("pay", data=(("amount", Decimal("10.00")), ("tip", 1))),
        Send("pay", data=(("amount", "ten"),)),
        Send("pay", data=(("amount", Decimal("1000.01")),)),
        Send("again", data=(("amount", Decimal("1.00")),)),
    ]
    good = Send("pay", data=(("amount", Decimal("80.00")),))
    observed = _same(engine, payments, [*bad, good])
    assert [o.accepted for o in observed[1:]] == [False] * len(bad) + [True]
    assert all(o.context == observed[0].context for o in observed[1 : len(bad) + 1])


def test_result_guards_and_sets_agree(engine: AslEngine, payments: ir.Machine) -> None:
    """Guarded `done` in dispatch order: fee over the limit, late, else."""
    pay = Send("pay", data=(("amount", Decimal("50.00")), ("fast", True)))
    over = WorkDone("Charging", result=(("fee", Decimal("9.99")), ("code", "ok")))
    late = WorkDone("Charging", result=(("fee", Decimal("1.00")), ("code", "late")))
    fine = WorkDone("Charging", result=(("fee", Decimal("1.00")), ("code", "ok")))
    bigger = Send("pay", data=(("amount", Decimal("95.00")), ("fast", True)))
    assert _same(engine, payments, [bigger, over])[-1].active == ("Manual",)
    assert _context(_same(engine, payments, [pay, late])[-1])["comment"] == "late"
    assert _same(engine, payments, [pay, fine])[-1].status == "succeeded"


def test_failures_are_caught_by_name_and_recorded(engine: AslEngine, payments: ir.Machine) -> None:
    """`on error Declined` before the dead letter; messages and names land in the context."""
    pay = Send("pay", data=(("amount", Decimal("50.00")), ("fast", True)))
    declined = WorkDone("Charging", error="Declined", message="card declined")
    last = _same(engine, payments, [pay, declined])[-1]
    assert last.active == ("Open",) and _context(last)["last_error"] == "card declined"
    other = WorkDone("Charging", error="Fraud", message="flagged")
    last = _same(engine, payments, [pay, other])[-1]
    assert last.active == ("Manual",) and _context(last)["last_error"] == "Fraud"
    assert _context(last)["comment"] == "flagged"
    retried: list[Step] = [pay, WorkDone("Charging", error="Unavailable", message="down"), other]
    assert _same(engine, payments, retried)[-1].active == ("Manual",)


def test_a_bad_result_is_a_result_invalid_failure(engine: AslEngine, payments: ir.Machine) -> None:
    """A result missing a field fails the work with ResultInvalid; the dead letter records why."""
    pay = Send("pay", data=(("amount", Decimal("50.00")), ("fast", True)))
    bad = WorkDone("Charging", result=(("fee", Decimal("1.00")),))
    last = _same(engine, payments, [pay, bad])[-1]
    assert _context(last)["last_error"] == "ResultInvalid"
    assert "does not fit" in str(_context(last)["comment"])


def test_a_missed_heartbeat_is_named_as_the_runtime_names_it(engine: AslEngine, payments: ir.Machine) -> None:
    """Step Functions says States.HeartbeatTimeout; `error.name` reads HeartbeatTimeout on both."""
    pay = Send("pay", data=(("amount", Decimal("50.00")), ("fast", True)))
    last = _same(engine, payments, [pay, Timeout("Charging")])[-1]
    assert _context(last)["last_error"] == "HeartbeatTimeout"
    assert _context(last)["comment"] == "no heartbeat within 30000 ms"


def test_a_bad_result_the_policy_retries_is_a_documented_limit(engine: AslEngine) -> None:
    """The runtime retries a ResultInvalid under `retry 2`; the engine says it cannot, never diverges."""
    machine = machine_of(RETRYING)
    steps = (Send("go"), WorkDone("Working", result=(("code", 1),)))
    observed, unsupported = engine.run_prefix(machine, Scenario((), steps))
    assert unsupported is not None and unsupported.reason == RESULT_NOT_RETRIED
    assert len(observed) == 2
    spent: tuple[Step, ...] = (
        Send("go"),
        *[WorkDone("Working", error="E")] * 2,
        WorkDone("Working", result=(("code", 1),)),
    )
    last = _same(engine, machine, spent)[-1]
    assert last.active == ("Broken",) and _context(last)["code"] == "ResultInvalid"


def test_the_data_flow_spec_agrees(engine: AslEngine) -> None:
    """Every construct of the canonical spec: payloads, always, results, catches, saga `then`, outcomes."""
    machine = _data_flow()
    submit = Send("submit", data=(("amount", Decimal("150.25")), ("note", "hi")))
    gold = Send("upgrade", data=(("tier", "gold"),))
    measured = WorkDone("Measuring", result=(("error_rate", Decimal("0.0050")), ("samples", 3)))
    receipt = WorkDone("Booking.charge", result=(("receipt", "R-1"),))
    refund_failed = WorkDone("Booking.refund", error="Gone")
    paths: list[list[Step]] = [
        [Send("submit", data=(("amount", "abc"),)), submit, WorkDone("Measuring", error="QuotaExceeded")],
        [
            gold,
            submit,
            measured,
            receipt,
            WorkDone("Booking.reserve", error="No"),
            WorkDone("Booking.refund"),
        ],
        [submit, WorkDone("Measuring", error="Unavailable", message="m"), WorkDone("Measuring", error="X")],
        [submit, WorkDone("Measuring", result=(("error_rate", Decimal("0.5")), ("samples", 1)))],
        [submit, measured, receipt, WorkDone("Booking.reserve"), WorkDone("Booking.ship")],
        [submit, measured, receipt, WorkDone("Booking.reserve", error="No"), *[refund_failed] * 4],
    ]
    contexts = [_context(_same(engine, machine, steps)[-1]) for steps in paths]
    assert contexts[0]["last_error"] == "QuotaExceeded"
    assert contexts[1]["lane"] == 2 and contexts[1]["receipt"] == "R-1"
    assert contexts[1]["note"] == "payment undone"
    assert contexts[2]["last_error"] == "" and contexts[3]["error_rate"] == Decimal("0.5")
    assert contexts[4]["note"] == "shipped" and contexts[5]["note"] == "manual"


def test_drawn_scenarios_agree(engine: AslEngine, payments: ir.Machine) -> None:
    """Path scenarios, then drawn ones (payloads and results from their types): no divergence."""
    result = check_engine(payments, engine, [], drawn=6, max_steps=6)
    assert result.passed, "\n".join(result.divergence.describe() if result.divergence else [])


# ---------------------------------------------------------------------- guards over inputs, as rules

INPUT_SCOPE = Scope(
    ints=("i", "event.n"), decimals=("result.r", "d"), bools=("event.flag",), strings=("error.message",)
)
"""Context fields beside inputs of every kind: a guard reads them alike, at their own paths."""
INPUT_MACHINE = ir.Machine(
    name="Inputs",
    initial="S",
    states=(),
    transitions=(),
    events=(),
    context=(
        ir.ContextField("i", ir.FieldType("int")),
        ir.ContextField("d", ir.FieldType("decimal")),
    ),
)


def _resolved(body: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The Parameters as Step Functions passes them: `key.$` paths read from the state data."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key.endswith(".$") and isinstance(value, str) and value.startswith("$."):
            found: Any = data
            for part in value.removeprefix("$.").split("."):
                found = found[part]
            out[key.removesuffix(".$")] = found
        elif not key.endswith(".$"):
            out[key] = value
    return out


@settings(max_examples=200, deadline=None)
@given(
    guard=typed(INPUT_SCOPE, "bool", 3),
    i=st.integers(-4, 4),
    n=st.integers(-4, 4),
    d=DECIMAL_LITERALS,
    r=DECIMAL_LITERALS,
    flag=st.booleans(),
    message=st.sampled_from(STRING_LITERALS),
)
def test_guards_over_inputs_agree_with_the_runtime(
    guard: ir.Expr, i: int, n: int, d: Decimal, r: Decimal, flag: bool, message: str
) -> None:
    """A guard reading payload, result and failure beside the context: rule + evaluator == `holds`."""
    env: dict[str, ir.Value] = {
        "i": i,
        "d": d,
        "event.n": n,
        "event.flag": flag,
        "result.r": r,
        "error.message": message,
    }
    offloaded: dict[str, ir.Expr] = {}

    def offload(expr: ir.Expr) -> str:
        key = f"g{len(offloaded) + 1}"
        offloaded[key] = expr
        return f"$.guards.{key}"

    rule = condition(guard, offload)
    data: dict[str, Any] = json.loads(
        json.dumps(
            {
                "context": {"i": i, "d": float(d)},
                "signal": {"data": {"n": n, "flag": flag}, "result": {"r": float(r)}},
                "error": {"Error": "E", "Cause": message},
            }
        )
    )
    body = _resolved(evaluator_body(INPUT_MACHINE, offloaded), data)
    data["guards"] = handler(json.loads(json.dumps(body, default=str)))
    assert run_rule(rule, data) == holds(guard, env)
