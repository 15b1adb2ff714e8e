"""`statewright build --target asl` end to end: files, the resource map option, bad options."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.test_cli import run
from tests.conftest import EXAMPLES
from tests.targets.asl.support import validate


def test_build_writes_definition_template_and_resource_map(tmp_path: Path) -> None:
    """One call: three files per workflow; every `${Name}` is a DefinitionSubstitution of the template."""
    result = run("build", EXAMPLES / "order_fulfilment.wf", "--target", "asl", "--out", tmp_path)
    assert result.exit_code == 0, result.stdout
    folder = tmp_path / "asl"
    assert sorted(p.name for p in folder.iterdir()) == [
        "OrderFulfilment.asl.json",
        "OrderFulfilment.resources.json",
        "OrderFulfilment.sam.json",
    ]
    text = (folder / "OrderFulfilment.asl.json").read_text("utf-8")
    template = json.loads((folder / "OrderFulfilment.sam.json").read_text("utf-8"))
    machine = template["Resources"]["StateMachine"]["Properties"]
    used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", text))
    assert used == set(machine["DefinitionSubstitutions"])
    assert {"validate_order", "reserve_stock", "EventQueueUrl", "StatewrightEvaluator"} <= used
    assert machine["DefinitionUri"] == "OrderFulfilment.asl.json"
    assert template["Resources"]["EventQueue"]["Type"] == "AWS::SQS::Queue"
    assert template["Parameters"]["ValidateOrderArn"]["Type"] == "String"
    skeleton = json.loads((folder / "OrderFulfilment.resources.json").read_text("utf-8"))
    assert skeleton["validate_order"] == "${validate_order}"
    assert "info[SW921]" in result.stdout  # the evaluator is reported, not hidden


def test_resource_map_file_and_single_entries_replace_substitutions(tmp_path: Path) -> None:
    """Mapped actions get their ARN or queue; the rest stay substitutions; the result still validates."""
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:validate-order"
    queue = "https://sqs.eu-west-1.amazonaws.com/123456789012/stock"
    mapping = tmp_path / "resources.json"
    mapping.write_text(json.dumps({"validate_order": arn, "reserve_stock": {"queue": queue}}), "utf-8")
    result = run(
        "build",
        EXAMPLES / "order_fulfilment.wf",
        "--target",
        "asl",
        "--out",
        tmp_path / "out",
        "--option",
        f"asl_resource_map={mapping}",
        "--option",
        'asl_resource.charge_card={"lambda": "arn:aws:lambda:eu-west-1:123456789012:function:charge"}',
    )
    assert result.exit_code == 0, result.stdout
    path = tmp_path / "out" / "asl" / "OrderFulfilment.asl.json"
    data = json.loads(path.read_text("utf-8"))
    assert data["States"]["Validating | work"]["Parameters"]["FunctionName"] == arn
    stock = data["States"]["Fulfilling.reserve_stock | work"]
    assert stock["Resource"] == "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    assert stock["Parameters"]["QueueUrl"] == queue
    assert data["States"]["Fulfilling.charge_card | work"]["Parameters"]["FunctionName"].endswith(":charge")
    substitutions = json.loads((tmp_path / "out" / "asl" / "OrderFulfilment.sam.json").read_text("utf-8"))
    names = substitutions["Resources"]["StateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert "validate_order" not in names and "reserve_stock" not in names and "book_courier" in names
    check = validate([path])
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_bad_resource_map_is_sw920_and_writes_nothing(tmp_path: Path) -> None:
    """A missing file, or an entry that is neither form: an error with its code, no traceback, no files."""
    missing = run(
        "build",
        EXAMPLES / "order_fulfilment.wf",
        "-t",
        "asl",
        "-o",
        tmp_path / "a",
        "--option",
        f"asl_resource_map={tmp_path / 'none.json'}",
    )
    assert missing.exit_code != 0
    assert "SW920" in missing.stdout
    assert not (tmp_path / "a" / "asl").exists() or not any((tmp_path / "a" / "asl").iterdir())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"validate_order": 42}), "utf-8")
    wrong = run(
        "build",
        EXAMPLES / "order_fulfilment.wf",
        "-t",
        "asl",
        "-o",
        tmp_path / "b",
        "--option",
        f"asl_resource_map={bad}",
    )
    assert "SW920" in wrong.stdout and "validate_order" in wrong.stdout


def test_asl_is_listed_among_the_targets() -> None:
    """The target registers through the plugin hook like any other."""
    result = run("targets")
    assert result.exit_code == 0
    assert "asl" in result.stdout
