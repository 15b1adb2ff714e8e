"""Saga rules (SW501–SW506): one spec that triggers each rule and one that does not."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from statewright import ir
from statewright.compiler.verify import verify
from statewright.compiler.verify.graph import MachineGraph
from statewright.compiler.verify.rules import parallel, retries, sagas, waits
from statewright.diagnostics import Diagnostic, Severity
from statewright.pipeline import compile_path
from statewright.plugins.manager import PluginManager
from tests.conftest import example_files
from tests.verify.support import at, machine_of, position, run_rules

GOOD = """\
workflow Shop {
  events { go, resolved }
  initial state Idle { on go -> Paying  timeout 1d -> Cancelled }
  saga Paying {
    step charge compensate refund key "o-charge" compensate_key "o-refund" service payments timeout 30s
    step book compensate unbook key "o-book" compensate_key "o-unbook" service shipping timeout 30s
    step ship pivot key "o-ship" service shipping timeout 1m
    step mail no_compensation "cannot unsend" key "o-mail" service mail timeout 1m
    done -> Done
    compensated -> Cancelled
    compensation_failed -> Manual
  }
  state Manual { on resolved -> Cancelled  timeout 5d -> Cancelled }
  final state Done
  final state Cancelled
}
"""


def findings(machine: ir.Machine, code: str | None = None) -> list[Diagnostic]:
    """Run the sagas rules; keep findings with `code` when given."""
    return run_rules(sagas, machine, code)


def test_good_saga_is_clean() -> None:
    assert findings(machine_of(GOOD)) == []


def test_rules_register_through_the_hook() -> None:
    manager = PluginManager(builtins=(), plugins=[sagas, waits, retries, parallel], entry_points=False)
    rules = {rule.name: rule for rule in manager.rules()}
    assert manager.diagnostics == ()
    codes = {code for rule in rules.values() for code in rule.codes}
    expected = {f"SW{n}" for n in [*range(501, 509), *range(601, 607), *range(701, 708), *range(801, 806)]}
    assert codes == expected
    assert {rules[name].family for name in rules} == {"sagas", "waits", "retries", "parallel"}


# --------------------------------------------------------------------------- SW501


def test_sw501_step_without_compensation() -> None:
    text = GOOD.replace("step book compensate unbook", "step book").replace('compensate_key "o-unbook" ', "")
    [finding] = findings(machine_of(text), "SW501")
    assert finding.severity is Severity.ERROR
    assert "`book`" in finding.message
    assert at(finding) == position(text, "step book")
    assert finding.counterexample == ("go", "done(charge)")


def test_sw501_markers_count_as_a_decision() -> None:
    assert findings(machine_of(GOOD), "SW501") == []


# --------------------------------------------------------------------------- SW502


def test_sw502_step_and_compensation_keys() -> None:
    text = GOOD.replace('key "o-charge" compensate_key "o-refund" ', "")
    found = findings(machine_of(text), "SW502")
    # same span: ordered by message, so the compensation's finding comes first
    assert [f.message.split(" ")[0] for f in found] == ["compensation", "step"]
    assert all(at(f) == position(text, "step charge") for f in found)
    assert found[0].counterexample == ("go", "done(charge)", "error(book)")
    assert found[1].counterexample == ("go",)


def test_sw502_every_key_present() -> None:
    assert findings(machine_of(GOOD), "SW502") == []


# --------------------------------------------------------------------------- SW503


def test_sw503_missing_compensation_failure_path() -> None:
    text = GOOD.replace("    compensation_failed -> Manual\n", "").replace(
        "state Manual { on resolved -> Cancelled  timeout 5d -> Cancelled }\n", ""
    )
    [finding] = findings(machine_of(text), "SW503")
    assert "no `compensation_failed" in finding.message
    assert at(finding) == position(text, "saga Paying")
    assert finding.counterexample == ("go", "done(charge)", "error(book)")


def test_sw503_failure_path_that_never_ends() -> None:
    text = GOOD.replace(
        "state Manual { on resolved -> Cancelled  timeout 5d -> Cancelled }",
        "state Manual { on resolved -> Manual }",
    )
    [finding] = findings(machine_of(text), "SW503")
    assert "ends in `Manual`" in finding.message
    assert at(finding) == position(text, "saga Paying")
    assert finding.related[0].span.line == position(text, "state Manual")[0]
    assert finding.counterexample == ("go", "done(charge)", "error(book)", "error(refund)")


def test_sw503_not_needed_without_compensations_or_pivot() -> None:
    text = """\
workflow W {
  events { go }
  initial state Idle { on go -> Notify }
  saga Notify {
    step mail no_compensation key "m"
    done -> Done
    compensated -> Done
  }
  final state Done
}
"""
    assert findings(machine_of(text), "SW503") == []


# --------------------------------------------------------------------------- SW504, SW505


def _long_saga(count: int, services: int) -> str:
    steps = "\n".join(
        f'    step s{i} compensate u{i} key "k{i}" compensate_key "c{i}" service svc{i % services}'
        for i in range(count)
    )
    return f"""\
workflow W {{
  events {{ go, resolved }}
  initial state Idle {{ on go -> Long }}
  saga Long {{
{steps}
    done -> Done
    compensated -> Done
    compensation_failed -> Manual
  }}
  state Manual {{ on resolved -> Done }}
  final state Done
}}
"""


def test_sw504_more_than_ten_steps() -> None:
    text = _long_saga(11, 1)
    [finding] = findings(machine_of(text), "SW504")
    assert finding.severity is Severity.WARNING
    assert "11 steps" in finding.message
    assert at(finding) == position(text, "saga Long")
    assert finding.counterexample == ("go",)


def test_sw504_ten_steps_are_fine() -> None:
    assert findings(machine_of(_long_saga(10, 1)), "SW504") == []


def test_sw505_five_services() -> None:
    text = _long_saga(5, 5)
    [finding] = findings(machine_of(text), "SW505")
    assert finding.severity is Severity.INFO
    assert "svc0, svc1, svc2, svc3, svc4" in finding.message
    assert at(finding) == position(text, "saga Long")
    assert finding.counterexample == ("go",)


def test_sw505_four_services_are_fine() -> None:
    assert findings(machine_of(_long_saga(8, 4)), "SW505") == []


# --------------------------------------------------------------------------- SW506


def _retarget(machine: ir.Machine, source: str, kind: str, target: str) -> ir.Machine:
    """Return `machine` with the `kind` move out of `source` sent to `target` (a hand edit)."""
    transitions = tuple(
        dataclasses.replace(t, target=target) if (t.source, t.kind) == (source, kind) else t
        for t in machine.transitions
    )
    return dataclasses.replace(machine, transitions=transitions)


def test_sw506_compensations_out_of_order() -> None:
    machine = machine_of(GOOD)
    # unbook should continue with refund (reverse order); a hand edit skips straight to the end
    edited = _retarget(machine, "Paying.unbook", "done", "Cancelled")
    [finding] = findings(edited, "SW506")
    assert "`unbook`" in finding.message
    assert "`Paying.refund`" in finding.message
    assert "reverse order" in finding.message
    assert at(finding) == position(GOOD, "step book")
    assert finding.counterexample == MachineGraph(edited).path_to("Paying.unbook")
    assert finding.counterexample == ("go", "done(charge)", "done(book)", "error(ship)")


def test_sw506_forward_order_and_missing_moves() -> None:
    machine = machine_of(GOOD)
    reordered = _retarget(machine, "Paying.charge", "done", "Paying.ship")
    [finding] = findings(reordered, "SW506")
    assert "in the order written" in finding.message
    dropped = dataclasses.replace(
        machine,
        transitions=tuple(t for t in machine.transitions if (t.source, t.kind) != ("Paying.refund", "error")),
    )
    [finding] = findings(dropped, "SW506")
    assert "goes to nowhere" in finding.message
    assert "`Manual`" in finding.message


def test_sw506_lowered_sagas_agree_with_their_tables() -> None:
    assert findings(machine_of(GOOD), "SW506") == []
    for path in example_files():
        machine = compile_path(path).machine
        assert machine is not None
        assert findings(machine, "SW506") == []


# --------------------------------------------------------------------------- the examples


@pytest.mark.parametrize("path", example_files(), ids=lambda p: Path(p).stem)
def test_examples_have_no_errors_from_these_rules(path: Path) -> None:
    machine = compile_path(path).machine
    assert machine is not None
    rules = [
        *sagas.statewright_rules(),
        *waits.statewright_rules(),
        *retries.statewright_rules(),
        *parallel.statewright_rules(),
    ]
    errors = [d for d in verify(machine, rules) if d.severity is Severity.ERROR]
    assert errors == []
