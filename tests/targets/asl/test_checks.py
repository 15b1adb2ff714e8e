"""The capability lint fires on crafted definitions and machines, and stays quiet on good ones."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from statewright import ir
from statewright.targets.asl.checks import MAX_HISTORY, check, history_bound, retry_catch_problems
from statewright.targets.asl.compile import compile_machine
from tests.targets.specs import machine_of

MACHINE = ir.Machine("M", "A", (ir.State("A", "final"),), ())


def codes(definition: dict[str, Any], text: str = "") -> list[str]:
    """The codes the lint reports for a definition."""
    return sorted(d.code for d in check(MACHINE, definition, text or "{}", "m.wf"))


def test_long_and_duplicate_state_names_are_sw927() -> None:
    """A name over 80 characters, and one used in two Parallel branches."""
    long = {"StartAt": "x" * 81, "States": {"x" * 81: {"Type": "Succeed"}}}
    assert "SW927" in codes(long)
    branch = {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}
    twice = {"StartAt": "A", "States": {"A": {"Type": "Parallel", "Branches": [branch, branch], "End": True}}}
    assert codes(twice).count("SW927") == 2
    assert "SW927" not in codes({"StartAt": "x" * 80, "States": {"x" * 80: {"Type": "Succeed"}}})


def test_retry_and_catch_order_and_backoff_rate() -> None:
    """`States.ALL` not alone, not last; BackoffRate below 1; an unknown JitterStrategy."""
    assert retry_catch_problems({"Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]})
    assert retry_catch_problems({"Catch": [{"ErrorEquals": ["States.ALL", "X"], "Next": "B"}]})
    assert retry_catch_problems({"Retry": [{"ErrorEquals": ["X"], "BackoffRate": Decimal("0.5")}]})
    assert retry_catch_problems({"Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "EQUAL"}]})
    assert not retry_catch_problems(
        {"Retry": [{"ErrorEquals": ["X"], "BackoffRate": 1}, {"ErrorEquals": ["States.ALL"]}]}
    )
    bad = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": "r",
                "End": True,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A"}, {"ErrorEquals": ["X"], "Next": "A"}],
            }
        },
    }
    assert "SW929" in codes(bad)


def test_definition_over_one_megabyte_is_sw928() -> None:
    """The size is the UTF-8 byte count of the text."""
    assert "SW928" in codes({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}, "é" * 600_000)
    assert "SW928" not in codes({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}, "e" * 600_000)


def test_a_huge_doc_makes_a_machine_too_large() -> None:
    """A crafted machine: one state whose doc alone passes the limit."""
    machine = ir.Machine("Big", "A", (ir.State("A", "final", doc="d" * 1_100_000),), ())
    assert "SW928" in [d.code for d in compile_machine(machine).diagnostics]


def test_no_terminal_state_is_sw933() -> None:
    """A definition nothing can end."""
    loop = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}}
    assert "SW933" in codes(loop)


def test_history_bound_of_an_acyclic_chain_and_its_limit() -> None:
    """Acyclic: a number, growing with retries; a long chain passes 25,000 (SW930); a loop is SW931."""
    chain: dict[str, Any] = {
        "StartAt": "S0",
        "States": {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(10)},
    }
    chain["States"]["S10"] = {"Type": "Succeed"}
    assert history_bound(chain) == 5 * 11
    chain["States"]["S3"] = {
        "Type": "Task",
        "Resource": "r",
        "Next": "S4",
        "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": 4}],
    }
    assert history_bound(chain) == 5 * 10 + 5 * 5
    long: dict[str, Any] = {
        "StartAt": "S0",
        "States": {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(6000)},
    }
    long["States"]["S6000"] = {"Type": "Succeed"}
    assert (history_bound(long) or 0) > MAX_HISTORY
    assert "SW930" in codes(long)
    assert "SW931" in codes({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}})


def test_refusal_loops_do_not_make_a_machine_unbounded() -> None:
    """A workflow whose only cycles are refused events gets a numeric bound (plus so much per refusal)."""
    machine = machine_of(
        """workflow Line {
  events { go, stop }
  initial state A { on go -> B  reject stop  timeout 1m -> B }
  state B { invoke work retry 2 dead_letter -> C  done -> C  timeout 1m -> C }
  final state C
}
"""
    )
    found = {d.code: d.message for d in compile_machine(machine).diagnostics}
    assert "SW931" not in found
    assert "SW930" not in found


def test_the_examples_pass_every_lint_that_is_an_error() -> None:
    """No error-severity target finding on the five examples (their loops are SW931 notes)."""
    from tests.targets.asl.support import EXAMPLE_STEMS, example

    for stem in EXAMPLE_STEMS:
        errors = [d for d in compile_machine(example(stem)).diagnostics if d.severity.value == "error"]
        assert errors == [], stem


def test_sub_second_timeouts_are_rounded_up_and_reported() -> None:
    """`timeout 1500ms` becomes TimeoutSeconds 2 with SW923."""
    machine = machine_of(
        """workflow Quick {
  events { go }
  initial state A { on go -> B  timeout 1500ms -> B }
  final state B
}
"""
    )
    compiled = compile_machine(machine)
    assert compiled.definition["States"]["A | wait"]["TimeoutSeconds"] == 2
    assert "SW923" in [d.code for d in compiled.diagnostics]
