"""Rough edges a new user met on the command line (issue 21), each kept fixed by a test."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

import statewright
from statewright.runtime.errors import ConcurrentUpdate, InstanceExists
from tests.cli.test_cli import run
from tests.cli.test_smt_cli import readme_block
from tests.conftest import EXAMPLES, ROOT

ORDER = EXAMPLES / "order_fulfilment.wf"
PIPELINE = EXAMPLES / "data_pipeline.wf"
COMMANDS = (
    ("check",),
    ("build",),
    ("fmt",),
    ("test",),
    ("targets",),
    ("run",),
    ("run", "start"),
    ("run", "send"),
    ("run", "status"),
    ("run", "work"),
)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_shows_flags_as_flags(command: tuple[str, ...]) -> None:
    """No `<bool>` placeholder after a flag: `--strict` takes no value, so its help shows none."""
    shown = run(*command, "--help")
    assert shown.exit_code == 0
    assert "<bool>" not in shown.output
    assert "--help" in shown.output


def test_a_flag_given_a_value_is_a_usage_error() -> None:
    """`check --strict true x.wf` is refused (exit 2): flags take no value (not "`true` does not exist")."""
    shown = run("check", "--strict", "true", ORDER)
    assert shown.exit_code == 2
    assert "flags such as `--strict` take no value" in shown.output


def test_test_reports_in_every_offered_form() -> None:
    """`test --format concise|sarif` are honoured, not silently printed as text."""
    settings = ("--max-examples", "3", "--steps", "3", "--drawn", "0")
    concise = run("test", PIPELINE, "--format", "concise", *settings)
    assert concise.exit_code == 0
    findings = [line for line in concise.output.splitlines() if re.match(r"^\S+\.wf:\d+:\d+: SW98\d ", line)]
    assert findings, concise.output
    assert "= help" not in concise.output  # the full form's help lines are not printed
    sarif = run("test", PIPELINE, "--format", "sarif", *settings)
    assert sarif.exit_code == 0
    log = json.loads(sarif.output)
    assert log["version"] == "2.1.0"
    (only,) = log["runs"]
    assert {result["ruleId"] for result in only["results"]} == {"SW983"}
    assert only["properties"]["tests"][0]["passed"] is True


def test_the_regenerate_hint_of_a_generated_module_works(tmp_path: Path) -> None:
    """The command the generated module's docstring gives, run where the spec is, rebuilds the same module."""
    shutil.copy(ORDER, tmp_path / ORDER.name)
    built = run("build", tmp_path / ORDER.name, "--target", "python", "--out", tmp_path / "build")
    assert built.exit_code == 0
    module = tmp_path / "build" / "python" / "order_fulfilment.py"
    text = module.read_text("utf-8")
    (hint,) = re.findall(r"Regenerate with `(statewright build [^`]+)`", text)
    module.unlink()
    argv = [str(ROOT / ".venv" / "bin" / "statewright"), *hint.split()[1:]]
    subprocess.run(argv, cwd=tmp_path, check=True, capture_output=True)
    assert module.read_text("utf-8") == text


def test_a_misspelt_event_is_a_usage_error_and_writes_nothing(tmp_path: Path) -> None:
    """`run send` with an undeclared event: SW103, exit 2, a did-you-mean, and no audit record."""
    db = tmp_path / "orders.db"
    assert run("run", "start", ORDER, "--db", db, "--id", "o1", "--set", "amount=10").exit_code == 0
    before = run("run", "log", ORDER, "o1", "--db", db, "--format", "json").output
    sent = run("run", "send", ORDER, "o1", "submitt", "--db", db)
    assert sent.exit_code == 2
    assert "SW103" in sent.output
    assert "did you mean `submit`?" in sent.output
    assert run("run", "log", ORDER, "o1", "--db", db, "--format", "json").output == before


def test_starting_an_existing_id_says_so(tmp_path: Path) -> None:
    """A second start under one id raises `InstanceExists` (a `ConcurrentUpdate`) naming the id and fix."""
    workflow = statewright.load(ORDER).workflow_class()
    orders = workflow(tmp_path / "orders.db")
    orders.start(amount=Decimal("10.00"), instance_id="o1")  # type: ignore[attr-defined]
    with pytest.raises(
        InstanceExists, match=r"instance `o1` already exists; start it under another id"
    ) as raised:
        orders.start(amount=Decimal("10.00"), instance_id="o1")  # type: ignore[attr-defined]
    assert isinstance(raised.value, ConcurrentUpdate)


def test_the_tour_spec_is_already_formatted(tmp_path: Path) -> None:
    """The README's `refund.wf` is what `statewright fmt` prints: copied, it passes `fmt --check`."""
    spec = tmp_path / "refund.wf"
    spec.write_text(readme_block("Save this as `refund.wf`:"), "utf-8")
    shown = run("fmt", "--check", spec)
    assert shown.exit_code == 0, shown.output


def test_the_readme_enum_mistake_prints_what_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`channel == shop` in the tour gives the README's SW204 report verbatim, at its line and column."""
    monkeypatch.chdir(tmp_path)
    text = readme_block("Save this as `refund.wf`:")
    assert "channel == store -> Refunding" in text
    Path("refund.wf").write_text(
        text.replace("channel == store -> Refunding", "channel == shop -> Refunding"), "utf-8"
    )
    shown = run("check", "refund.wf")
    assert shown.exit_code == 2  # the spec does not compile
    expected = readme_block("Change `channel == store` to").split("\n", 1)[1].strip("\n")
    assert expected in shown.output


SYNOPSIS_COMMANDS = ("check", "build", "fmt", "targets", "test", "explain", "lsp", "diff")


@pytest.mark.parametrize("command", SYNOPSIS_COMMANDS)
def test_the_readme_synopsis_lists_every_option(command: str) -> None:
    """Each option a command's `--help` shows is in the README's synopsis of that command."""
    lines = readme_block("## The command line").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"statewright {command} "))
    shown = lines[start]
    for line in lines[start + 1 :]:  # continuation lines are indented
        if not line.startswith(" "):
            break
        shown += " " + line
    options = set(re.findall(r"^\s+(?:-\w, )?(--[a-z-]+)", run(command, "--help").output, re.M)) - {"--help"}
    assert options, command
    assert {option for option in options if option not in shown} == set()
