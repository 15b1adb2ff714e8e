"""Retry and timeout rules (SW701–SW705): one spec that triggers each rule and one that does not."""

from __future__ import annotations

import dataclasses

from statewright import ir
from statewright.compiler.verify.rules import retries
from statewright.diagnostics import Diagnostic, Severity
from statewright.plugins.manager import PluginManager
from tests.verify.support import at, machine_of, position, run_rules

GOOD = """\
workflow W {
  events { go }
  initial state Idle { on go -> Working  timeout 1d -> Failed }
  state Working {
    invoke work key "w" service svc
    heartbeat 30s
    retry 3 backoff exponential 1s..30s jitter full dead_letter -> Failed
    timeout 5m -> Failed
    done -> Done
  }
  final state Done
  final state Failed
}
"""

SAGA = """\
workflow W {
  events { go, resolved }
  initial state Idle { on go -> Paying  timeout 1d -> Failed }
  saga Paying {
    step charge compensate refund key "c" compensate_key "r" timeout 30s
         retry 2 backoff fixed 1s jitter none
    step ship compensate recall_parcel key "s" compensate_key "p" timeout 30s
    done -> Done
    compensated -> Failed
    compensation_failed -> Manual
  }
  state Manual { on resolved -> Failed  timeout 5d -> Failed }
  final state Done
  final state Failed
}
"""


def findings(machine: ir.Machine, code: str | None = None) -> list[Diagnostic]:
    """Run the retries rules; keep findings with `code` when given."""
    return run_rules(retries, machine, code)


def test_good_spec_is_clean() -> None:
    assert findings(machine_of(GOOD)) == []


def test_rules_register_through_the_hook() -> None:
    manager = PluginManager(builtins=(), plugins=[retries], entry_points=False)
    assert {rule.name for rule in manager.rules()} == {
        "retry-policy",
        "retry-dead-letter",
        "bounded-work",
        "catch-reachable",
        "retry-idempotency-key",
    }


# --------------------------------------------------------------------------- SW701


def test_sw701_unlimited_retries() -> None:
    text = GOOD.replace("retry 3 backoff", "retry unlimited backoff")
    [finding] = findings(machine_of(text), "SW701")
    assert finding.severity is Severity.ERROR
    assert "retries of `work` in `Working` are unlimited" in finding.message
    assert at(finding) == position(text, "retry unlimited")
    assert finding.counterexample == ("go",)


def test_sw701_capped_retries() -> None:
    assert findings(machine_of(GOOD), "SW701") == []


# --------------------------------------------------------------------------- SW702


def test_sw702_uncapped_backoff() -> None:
    text = GOOD.replace("exponential 1s..30s", "linear 1s")
    [finding] = findings(machine_of(text), "SW702")
    assert finding.severity is Severity.WARNING
    assert "the linear backoff of `work` in `Working` has no cap" in finding.message
    assert "`backoff linear 1s..5m`" in finding.help
    assert at(finding) == position(text, "retry 3")
    assert finding.counterexample == ("go",)


def test_sw702_fixed_backoff_needs_no_cap() -> None:
    text = GOOD.replace("exponential 1s..30s", "fixed 1s")
    assert findings(machine_of(text), "SW702") == []
    assert findings(machine_of(GOOD), "SW702") == []


# --------------------------------------------------------------------------- SW703


def test_sw703_retries_without_dead_letter() -> None:
    text = GOOD.replace(" dead_letter -> Failed", "")
    [finding] = findings(machine_of(text), "SW703")
    assert finding.severity is Severity.ERROR
    assert "the failure goes nowhere" in finding.message
    assert at(finding) == position(text, "retry 3")
    assert finding.counterexample == ("go",)


def test_sw703_dead_letter_in_the_table_but_not_in_the_graph() -> None:
    machine = machine_of(GOOD)
    edited = dataclasses.replace(
        machine, transitions=tuple(t for t in machine.transitions if t.kind != "error")
    )
    [finding] = findings(edited, "SW703")
    assert "names dead letter `Failed`, but the machine has no `error` transition" in finding.message


def test_sw703_saga_steps_compensate_instead() -> None:
    assert findings(machine_of(GOOD), "SW703") == []
    assert findings(machine_of(SAGA), "SW703") == []


# --------------------------------------------------------------------------- SW704


def test_sw704_work_without_timeout_or_heartbeat() -> None:
    text = GOOD.replace("    heartbeat 30s\n", "").replace("    timeout 5m -> Failed\n", "")
    [finding] = findings(machine_of(text), "SW704")
    assert finding.severity is Severity.WARNING
    assert "`work` in `Working` has neither a timeout nor a heartbeat" in finding.message
    assert at(finding) == position(text, "invoke work")
    assert finding.counterexample == ("go",)


def test_sw704_heartbeat_timeout_or_enclosing_timeout_bound_the_work() -> None:
    heartbeat_only = GOOD.replace("    timeout 5m -> Failed\n", "")
    timeout_only = GOOD.replace("    heartbeat 30s\n", "")
    nested = """\
workflow W {
  events { go }
  initial state Idle { on go -> Outer  timeout 1d -> Done }
  state Outer {
    timeout 1h -> Done
    initial state Inner { invoke work  done -> Finished }
    final state Finished
    done -> Done
  }
  final state Done
}
"""
    for text in (heartbeat_only, timeout_only, nested):
        assert findings(machine_of(text), "SW704") == []


def test_sw704_compensations_run_under_their_steps_timeout() -> None:
    assert findings(machine_of(SAGA), "SW704") == []
    untimed = SAGA.replace('compensate_key "r" timeout 30s', 'compensate_key "r"')
    [finding] = findings(machine_of(untimed), "SW704")
    assert finding.severity is Severity.WARNING
    assert "nor has its compensation" in finding.message
    assert "its compensation gets the same bound" in finding.help
    assert finding.counterexample == ("go",)


# --------------------------------------------------------------------------- SW705


def test_sw705_retries_without_jitter() -> None:
    text = GOOD.replace("jitter full", "jitter none")
    [finding] = findings(machine_of(text), "SW705")
    assert finding.severity is Severity.INFO
    assert "retries of `work` in `Working` have no jitter" in finding.message
    assert at(finding) == position(text, "retry 3")
    assert finding.counterexample == ("go",)


def test_sw705_jitter_or_no_retries() -> None:
    assert findings(machine_of(GOOD), "SW705") == []
    no_retries = GOOD.replace("retry 3 backoff exponential 1s..30s jitter full", "retry 0 jitter none")
    assert findings(machine_of(no_retries), "SW705") == []


def test_a_saga_step_policy_is_reported_once_not_again_on_its_compensation() -> None:
    [finding] = findings(machine_of(SAGA), "SW705")
    assert "saga step `charge` of `Paying`" in finding.message
    assert at(finding) == position(SAGA, "retry 2")
    assert finding.counterexample == ("go",)
