"""docs/OPERATIONS.md's worked example: its commands, run as written, print what the guide shows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from statewright.cli import app
from tests.migration import corpus

GUIDE = corpus.ROOT / "docs" / "OPERATIONS.md"


def _run(line: str) -> str:
    args = line.removeprefix("$ statewright ").split()
    done = CliRunner().invoke(app, args)
    assert done.exit_code in (0, 1) or "error[SW969]" in done.output, done.output
    return str(done.output)


def test_the_worked_example_prints_what_the_guide_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(corpus.OLD, tmp_path / "order_fulfilment.wf")
    (tmp_path / "order_fulfilment_v4.wf").write_text(corpus.RENAMED, "utf-8")
    guide = GUIDE.read_text("utf-8")
    assert "migrate { Quarantine -> ReviewQueue }" in corpus.RENAMED
    assert "channel: enum { web, phone } = web" in corpus.RENAMED
    commands = [line for line in guide.splitlines() if line.startswith("$ statewright ")]
    assert len(commands) >= 8
    for command in commands:
        output = _run(command)
        for shown in output.splitlines():
            if shown.startswith(("MOVED", "WOULD", "OK ", "moved ", "would move ", "error[")):
                assert shown in guide, shown
    assert "SAFE   Quarantine                      renamed to ReviewQueue" in _run(
        "$ statewright diff order_fulfilment.wf order_fulfilment_v4.wf"
    )
