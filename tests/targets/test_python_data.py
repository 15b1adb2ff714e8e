"""The python target with data (issue 17): typed event methods, result TypedDicts, guards over inputs.

Payload fields become keyword-only parameters (`submit(*, amount: Decimal, note: str = "")`);
each invoke that `returns` fields gets a TypedDict its handler returns. Names a method already
uses, keywords and builtins get a suffix; spec text in docs is escaped; the module stays
`mypy --strict` and `ruff` clean. A bad payload is refused by the generated methods with
SW974 and nothing applied, in memory and on SQLite.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from statewright.runtime.errors import PayloadInvalid
from statewright.runtime.runner import Call
from statewright.targets.python import render_module
from statewright.targets.python.view import LINE_LENGTH, module_view
from tests.generated import load_module
from tests.targets.specs import machine_of

VENV_BIN = Path(sys.executable).parent

HOSTILE = r"""workflow Hostile {
  context {
    total: decimal 0.00..100.00 = 0.00
    label: string = ""
    tier: enum { gold, silver } = silver
    code: string = ""
  }
  events {
    submit(from: decimal 0.00..100.00, data: string = "x\"\"\"y", actor: enum { gold, silver } = gold,
           self: bool = false, str: int 0..9 = 0) "doc with \"\"\" and \\ and {braces}"
    again
  }
  initial state Idle {
    on submit when event.from > 10.00 and event.self == false -> Working {
      set total = event.from  set label = event.data  set tier = event.actor
    }
    on submit else -> Idle
    on again -> Idle
  }
  state Working {
    invoke fetch key "f-{id}" returns { class: string, str: int 0..9, ok: bool }
      retry 1 backoff fixed 1s dead_letter -> Idle { set code = error.message }
    done when result.ok -> Done { set code = result.class }
    done else -> Idle
  }
  final state Done
}
"""

PLAIN = """workflow Plain {
  context { amount: decimal 0.00..100.00 = 0.00  receipt: string = "" }
  events { submit(amount: decimal 0.00..100.00, note: string = "") }
  initial state Idle { on submit -> Paying { set amount = event.amount } }
  state Paying {
    invoke charge key "c-{id}" returns { receipt: string }
    done -> Paid { set receipt = result.receipt }
  }
  final state Paid
}
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The generated module of `HOSTILE`, imported."""
    text = render_module(machine_of(HOSTILE), "hostile.wf")
    return load_module(text, tmp_path_factory.mktemp("hostile"), "hostile")


def test_modules_with_data_pass_mypy_strict_and_ruff(tmp_path: Path) -> None:
    for name, spec in (("hostile", HOSTILE), ("plain", PLAIN)):
        (tmp_path / f"{name}.py").write_text(render_module(machine_of(spec), f"{name}.wf"), "utf-8")
    table = render_module(machine_of(HOSTILE), "hostile.wf", form="table")
    (tmp_path / "hostile_table.py").write_text(table, "utf-8")
    (tmp_path / "use.py").write_text(USE, "utf-8")
    mypy = subprocess.run(
        [str(VENV_BIN / "mypy"), "--strict", "--no-incremental", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    ruff = str(VENV_BIN / "ruff")
    formatted = subprocess.run(
        [ruff, "format", "--check", "--diff", "--line-length", str(LINE_LENGTH), "--no-cache", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    select = "E,F,W,I,B,UP,SIM,RUF,N"
    generated = [str(tmp_path / f"{name}.py") for name in ("hostile", "plain", "hostile_table")]
    linted = subprocess.run(
        [ruff, "check", "--no-cache", "--select", select, "--ignore", "E501", *generated],
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


USE = '''"""Typed use of a generated module: what mypy accepts (and so what a user writes)."""

from decimal import Decimal

from plain import ChargeResult, PlainMachine
from statewright.runtime.runner import Call


def charge(call: Call) -> ChargeResult:
    """A handler returning the TypedDict."""
    return {"receipt": f"r-{call.key}"}


def run() -> None:
    """Send a typed payload."""
    m = PlainMachine(handlers={"charge": charge})
    m.submit(amount=Decimal("1.50"))
    m.submit(amount=Decimal("1.50"), note="n")
'''


def test_parameters_never_take_a_name_the_method_uses() -> None:
    view = module_view(machine_of(HOSTILE), "hostile.wf")
    (submit,) = [m for m in view.methods if m.event == "submit"]
    assert [(p.name, p.parameter) for p in submit.params] == [
        ("from", "from_"),
        ("data", "data_2"),
        ("actor", "actor_2"),
        ("self", "self_2"),
        ("str", "str_2"),
    ]
    assert submit.params[2].annotation == 'Literal["gold", "silver"]'
    (result,) = view.results
    assert (result.name, result.handler) == ("FetchResult", "FetchHandler")
    assert result.lines[0].startswith('FetchResult = TypedDict("FetchResult", {"class": str')


def test_guards_read_inputs_beside_the_context() -> None:
    text = render_module(machine_of(HOSTILE), "hostile.wf")
    assert 'as_fraction(c["event.from"])' in text and 'as_bool(c["result.ok"])' in text


def test_typed_methods_send_the_payload_and_refuse_bad_ones(hostile: Any) -> None:
    m = hostile.HostileMachine(clock=lambda: 0)
    with pytest.raises(PayloadInvalid) as raised:
        m.submit(from_=Decimal("100.01"))
    assert raised.value.code.code == "SW974" and [p.field for p in raised.value.problems] == ["from"]
    with pytest.raises(PayloadInvalid):
        m.submit(from_=Decimal("50"), str_2=True)  # a bool is not an int
    assert m.state == hostile.State.IDLE and m.values["total"] == Decimal("0.00")
    m.submit(from_=Decimal("5"))
    assert m.state == hostile.State.IDLE  # the else branch: event.from is not > 10.00
    m.submit(from_=Decimal("50.00"), actor_2="gold")
    assert m.state == hostile.State.WORKING
    assert (m.context.total, m.context.label, m.context.tier) == (Decimal("50.00"), 'x"""y', "gold")


def test_handlers_return_the_typed_result(hostile: Any) -> None:
    def fetch(call: Call) -> dict[str, object]:
        return {"class": "C-1", "str": 3, "ok": True}

    m = hostile.HostileMachine(handlers={"fetch": fetch}, clock=lambda: 0)
    m.submit(from_=Decimal("20"))
    m.run_work()
    assert m.state == hostile.State.DONE and m.context.code == "C-1"


def test_a_bad_handler_result_fails_the_work_through_its_dead_letter(hostile: Any) -> None:
    m = hostile.HostileMachine(handlers={"fetch": lambda call: {"class": 1}}, clock=lambda: 0)
    m.submit(from_=Decimal("20"))
    m.run_work()  # ResultInvalid: retried once
    m.tick(10_000)
    m.run_work()  # ResultInvalid again: the dead letter, which records the message
    assert m.state == hostile.State.IDLE
    assert str(m.context.code).startswith("the result of `fetch` does not fit")


def test_durable_instances_take_typed_payloads(hostile: Any, tmp_path: Path) -> None:
    with hostile.Hostile(tmp_path / "h.db", clock=lambda: 0) as flow:
        instance = flow.start(instance_id="h1")
        with pytest.raises(PayloadInvalid):
            instance.submit(from_=Decimal("-1"))
        assert instance.submit(from_=Decimal("30"), actor="ops") == hostile.State.WORKING
        records = instance.audit()
        assert [r.outcome for r in records][-2:] == ["invalid", "applied"]
        assert records[-1].data["from"] == Decimal("30") and records[-1].actor == "ops"
        instance.verify()
