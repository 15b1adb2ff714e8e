"""A third-party scenario engine, installed with pip, found through its entry point by `statewright test`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugins.test_third_party import SPEC, _package, _statewright

REPLAY_MODULE = '''
"""A third-party statewright plugin providing the `replay` scenario engine, which runs the `ir` target."""

from statewright.plugins.api import EngineSpec, TargetOptions
from statewright.plugins.hookspecs import hookimpl


class Replay:
    name = "replay"

    def __init__(self, target):
        self.target = target

    def run(self, machine, scenario):
        from statewright.testing.python_engine import PythonEngine

        assert self.target.name == "ir" and self.target.generate(machine, TargetOptions()).artifacts
        return PythonEngine().run(machine, scenario)


@hookimpl
def statewright_engines():
    return [EngineSpec("replay", "ir", "the IR target's file, replayed on the runtime", Replay)]
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install the engine plugin package into a private directory with the running interpreter's pip."""
    root = tmp_path_factory.mktemp("engine-plugin")
    target = root / "site"
    package = _package(root, "sw-replay", "sw_replay", REPLAY_MODULE)
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    command += ["--target", str(target), str(package)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    return target


BUDGET = ("--max-examples", "5", "--steps", "5", "--drawn", "3")


def test_statewright_test_runs_the_third_party_engine(site: Path, tmp_path: Path) -> None:
    """`--targets python,replay`: the plugin's engine is compared with the runtime and agrees."""
    (tmp_path / "greeter.wf").write_text(SPEC, "utf-8")
    done = _statewright(site, "test", "greeter.wf", "--targets", "python,replay", *BUDGET, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "replay agrees" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    done = _statewright(
        site, "test", "greeter.wf", "--targets", "replay", *BUDGET, "--format", "json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (tested,) = json.loads(done.stdout)["tests"]
    (engine,) = tested["engines"]
    assert engine["target"] == "replay" and engine["passed"] and engine["agreed"] > 0


def test_an_unknown_engine_lists_the_third_party_one(site: Path, tmp_path: Path) -> None:
    """An unknown `--targets` name is a usage error naming every registered engine, the plugin's too."""
    (tmp_path / "greeter.wf").write_text(SPEC, "utf-8")
    done = _statewright(site, "test", "greeter.wf", "--targets", "python,camunda", cwd=tmp_path)
    assert done.returncode == 2
    output = " ".join((done.stdout + done.stderr).split())  # the usage box wraps long lines
    assert "camunda" in output
    assert "asl, bpmn, bpmn-engine, python, replay, temporal" in output
