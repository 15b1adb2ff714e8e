"""`statewright test`: every example passes on a CI-sized budget; bad input and bad options exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import run, write
from tests.conftest import EXAMPLES

BUDGET = ("--max-examples", "15", "--steps", "15", "--drawn", "0")


def test_every_example_passes_with_a_ci_budget() -> None:
    """The whole examples folder: exit 0, a PASS line per workflow, and the uncovered branches listed."""
    result = run("test", EXAMPLES, *BUDGET)
    assert result.exit_code == 0, result.output
    assert result.output.count("PASS ") == len(list(EXAMPLES.glob("*.wf")))
    assert "tested 5 workflows on python: 5 passed, 0 failed" in result.output
    assert "info[SW983]" in result.output  # order_fulfilment's deliberately unreachable `else`
    assert "warning[SW804]" not in result.output  # `check`'s findings are not repeated here


def test_json_report_holds_the_numbers() -> None:
    """`--format json`: one document with each workflow's design, coverage and engine results."""
    result = run("test", EXAMPLES / "order_fulfilment.wf", *BUDGET, "--seed", "3", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    (tested,) = document["tests"]
    assert tested["workflow"] == "OrderFulfilment"
    assert tested["passed"] is True
    assert tested["design"] == {"passed": True, "max_examples": 15, "steps": 15, "seed": 3}
    assert tested["coverage"]["covered"] >= tested["coverage"]["transitions"] - 1


def test_an_unknown_target_is_a_usage_error() -> None:
    """`--targets camunda` exits 2 and names the engines there are."""
    result = run("test", EXAMPLES / "order_fulfilment.wf", "--targets", "python,camunda")
    assert result.exit_code == 2
    assert "camunda" in result.output and "asl" in result.output and "temporal" in result.output


def test_a_spec_with_errors_is_not_tested(tmp_path: Path) -> None:
    """A syntax error is reported with its position and exit 2; nothing is run."""
    broken = write(tmp_path / "broken.wf", "workflow W {\n  initial state A { on go -> }\n}\n")
    result = run("test", broken, *BUDGET)
    assert result.exit_code == 2
    assert "broken.wf:2:" in result.output
    assert "PASS" not in result.output


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in sorted(EXAMPLES.glob("*.wf"))])
def test_every_example_agrees_on_every_target(path: Path) -> None:
    """`--targets python,asl,bpmn`: the path scenarios run alike in moto and SpiffWorkflow."""
    result = run(
        "test", path, "--targets", "python,asl,bpmn", "--max-examples", "10", "--steps", "10", "--drawn", "0"
    )
    assert result.exit_code == 0, result.output
    assert "asl agrees" in result.output and "bpmn agrees" in result.output


def test_the_data_flow_spec_passes_with_its_data() -> None:
    """data_flow.wf (payloads, results, catches, `always`): every transition covered, invariants held."""
    spec = Path(__file__).parents[1] / "front" / "data" / "data_flow.wf"
    result = run("test", spec, *BUDGET, "--format", "json")
    assert result.exit_code == 0, result.output
    (tested,) = json.loads(result.output)["tests"]
    assert tested["passed"] is True
    assert tested["coverage"]["uncovered"] == []
