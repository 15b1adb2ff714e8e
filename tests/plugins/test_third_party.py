"""A real third-party plugin package, installed with pip, found through its entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

HELLO_MODULE = '''
"""A third-party statewright plugin providing the `hello` target."""

from statewright.plugins.api import Artifact, TargetOutput
from statewright.plugins.hookspecs import hookimpl


class Hello:
    name = "hello"
    description = "says hello to each workflow"

    def generate(self, machine, options):
        greeting = options.extra.get("greeting", "hello")
        return TargetOutput(artifacts=(Artifact(f"{machine.name}.txt", f"{greeting} {machine.name}\\n"),))


@hookimpl
def statewright_targets():
    return [Hello()]
'''

BROKEN_MODULE = 'raise ImportError("sw_broken needs a library that is not installed")\n'

SPEC = "workflow Greeter {\n  events { go }\n  initial state A { on go -> B }\n  final state B\n}\n"


def _package(root: Path, dist: str, module: str, body: str) -> Path:
    """Write a minimal hatchling project exposing `module` under the `statewright` entry-point group."""
    project = root / dist
    project.mkdir()
    (project / "pyproject.toml").write_text(
        dedent(
            f"""\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "{dist}"
            version = "0.1.0"

            [project.entry-points.statewright]
            {module.removeprefix("sw_")} = "{module}"

            [tool.hatch.build.targets.wheel]
            include = ["{module}.py"]
            """
        ),
        "utf-8",
    )
    (project / f"{module}.py").write_text(body, "utf-8")
    return project


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install the plugin packages into a private directory with the running interpreter's pip."""
    root = tmp_path_factory.mktemp("plugins")
    target = root / "site"
    packages = [
        _package(root, "sw-hello", "sw_hello", HELLO_MODULE),
        _package(root, "sw-broken", "sw_broken", BROKEN_MODULE),
    ]
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    command += ["--target", str(target), *map(str, packages)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    return target


def _statewright(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m statewright.cli` with the plugin directory on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "PYTHONPATH")}
    env.update(PYTHONPATH=str(site), NO_COLOR="1")
    command = [sys.executable, "-m", "statewright.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, check=False)


def test_entry_point_target_is_listed(site: Path, tmp_path: Path) -> None:
    done = _statewright(site, "targets", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    listing = json.loads(done.stdout)
    by_name = {row["name"]: row for row in listing["targets"]}
    assert set(by_name) >= {"hello", "ir"}
    assert by_name["hello"]["plugin"] == "hello"
    assert by_name["hello"]["distribution"] == "sw-hello 0.1.0"
    assert "Traceback" not in done.stdout + done.stderr


def test_broken_plugin_is_a_warning_not_a_traceback(site: Path, tmp_path: Path) -> None:
    done = _statewright(site, "targets", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "warning[SW900]" in done.stdout
    assert "plugin `broken`" in done.stdout
    assert "sw_broken needs a library" in done.stdout
    assert "hello" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_build_with_the_third_party_target(site: Path, tmp_path: Path) -> None:
    (tmp_path / "greeter.wf").write_text(SPEC, "utf-8")
    args = ["build", "greeter.wf", "--target", "hello", "--out", "out", "--option", "greeting=hi"]
    done = _statewright(site, *args, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "out" / "hello" / "Greeter.txt").read_text("utf-8") == "hi Greeter\n"
    assert "wrote     out/hello/Greeter.txt" in done.stdout
