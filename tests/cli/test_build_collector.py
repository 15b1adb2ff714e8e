"""`build` pauses the cyclic garbage collector while a target generates, and restores it after.

A target builds one large structure that stays alive (a definition, a module's
text); with the collector on, every full collection walks it again, together
with the AST and IR the front end keeps: 40% of the `asl` target's CPU time at
50,000 states (issue 20). `compiler/collector.py` explains the same choice for
parsing, lowering and verifying.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from statewright import cli
from statewright.cli import build as build_command
from statewright.ir import Machine
from statewright.plugins.api import Artifact, TargetOptions, TargetOutput
from statewright.plugins.hookspecs import hookimpl
from statewright.plugins.manager import PluginManager

GOOD = (
    "workflow Good {\n  events { go }\n"
    "  initial state A { on go -> B  timeout 1h -> B }\n  final state B\n}\n"
)


@dataclass
class Recorder:
    """A target that notes whether the collector ran while it generated (and may crash)."""

    name: str = "recorder"
    description: str = "notes gc.isenabled()"
    crash: bool = False
    seen: list[bool] = field(default_factory=list)

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """Record the collector's state; write one file (or crash)."""
        self.seen.append(gc.isenabled())
        if self.crash:
            raise RuntimeError("target bug")
        return TargetOutput(artifacts=(Artifact("seen.txt", "ok\n"),))


class Provides:
    """A plugin object for one target."""

    def __init__(self, target: Recorder) -> None:
        self.target = target

    @hookimpl
    def statewright_targets(self) -> list[object]:
        """Return the target."""
        return [self.target]


@pytest.mark.parametrize("crash", [False, True])
def test_a_target_generates_with_the_collector_paused_and_it_runs_again_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash: bool
) -> None:
    """During generate: paused; after the build (even when the target crashed): on, as before."""
    target = Recorder(crash=crash)
    manager = PluginManager(plugins=[Provides(target)], entry_points=False)
    monkeypatch.setattr(build_command, "get_plugin_manager", lambda: manager)
    spec = tmp_path / "good.wf"
    spec.write_text(GOOD, "utf-8")
    assert gc.isenabled()
    result = CliRunner().invoke(
        cli.app, ["build", str(spec), "--target", "recorder", "--out", str(tmp_path / "out")]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert target.seen == [False]
    assert gc.isenabled()
    assert (tmp_path / "out" / "recorder" / "seen.txt").exists() is not crash
