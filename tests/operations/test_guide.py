"""docs/OPERATIONS.md's repair example: its commands, run as written, print the lines the guide shows."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from statewright.cli import app
from tests.conftest import EXAMPLES, ROOT

GUIDE = ROOT / "docs" / "OPERATIONS.md"
SECTION = "## Worked example: repairing orders"


def commands(guide: str) -> list[tuple[str, list[str]]]:
    """Each `$ statewright` line of the section, with the output lines the guide shows after it."""
    found: list[tuple[str, list[str]]] = []
    text = guide.split(SECTION, 1)[1].split("\n## ", 1)[0]
    inside = False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside
        elif inside and line.startswith("$ statewright "):
            found.append((line, []))
        elif inside and found and "..." not in line:
            found[-1][1].append(line)
    return found


def test_the_repair_example_prints_what_the_guide_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLES / "order_fulfilment.wf", tmp_path / "order_fulfilment.wf")
    steps = commands(GUIDE.read_text("utf-8"))
    assert len(steps) >= 20
    for command, shown in steps:
        done = CliRunner().invoke(app, shlex.split(command.removeprefix("$ statewright ")))
        assert done.exit_code == (1 if any(s.startswith("error[") for s in shown) else 0), done.output
        output = [line.rstrip() for line in done.output.splitlines()]
        for line in shown:
            assert line.rstrip() in output, (command, line, done.output)
