"""Third-party diagnostic codes: a plugin registers its own; one that takes a built-in code is a warning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ACME_MODULE = '''
"""A third-party plugin with its own diagnostic code and a rule that reports it."""

from statewright.diagnostics import Code, Diagnostic, Severity, register
from statewright.plugins.hookspecs import hookimpl

TOO_MANY = register(
    Code("ACME001", "acme-too-many-states", Severity.WARNING, "more states than Acme allows (tests)", "merge")
)


class StateBudget:
    name = "acme-state-budget"
    family = "acme"
    codes = ("ACME001",)

    def check(self, machine, context):
        if len(machine.states) > 1:
            yield Diagnostic.of(TOO_MANY, f"{len(machine.states)} states", machine.source, machine.span)


@hookimpl
def statewright_rules():
    return [StateBudget()]
'''

CLASH_MODULE = '''
"""A third-party plugin that takes a built-in code for something else."""

from statewright.diagnostics import Code, Severity, register

MINE = register(Code("SW301", "clash-thing", Severity.ERROR, "not what SW301 means"))
'''

SPEC = "workflow Greeter {\n  events { go }\n  initial state A { on go -> B }\n  final state B\n}\n"


def _distribution(site: Path, dist: str, module: str, body: str) -> None:
    """Lay out an installed distribution by hand: the module and a dist-info with one entry point."""
    (site / f"{module}.py").write_text(body, "utf-8")
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n", "utf-8")
    name = module.removeprefix("sw_")
    (info / "entry_points.txt").write_text(f"[statewright]\n{name} = {module}\n", "utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the `acme` and `clash` plugin distributions."""
    root = tmp_path_factory.mktemp("code-plugins")
    _distribution(root, "sw-acme", "sw_acme", ACME_MODULE)
    _distribution(root, "sw-clash", "sw_clash", CLASH_MODULE)
    return root


def _check(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `statewright check` in a fresh interpreter with the plugins on the path."""
    (cwd / "greeter.wf").write_text(SPEC, "utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "PYTHONPATH")}
    env.update(PYTHONPATH=str(site), NO_COLOR="1", COLUMNS="200")
    command = [sys.executable, "-m", "statewright.cli", "check", "greeter.wf", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, check=False)


def test_a_clashing_code_is_a_warning_and_the_other_plugins_still_run(site: Path, tmp_path: Path) -> None:
    done = _check(site, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "warning[SW900]" in done.stdout
    assert "plugin `clash`" in done.stdout
    clash = "CodeClashError: diagnostic code SW301 is statewright's built-in `unreachable-state`"
    assert clash in done.stdout
    assert "warning[ACME001]: 2 states\n --> greeter.wf:1:1" in done.stdout
    assert "= help: merge\n" in done.stdout


def test_a_plugin_code_is_described_in_sarif(site: Path, tmp_path: Path) -> None:
    done = _check(site, tmp_path, "--format", "sarif")
    assert done.returncode == 0, done.stdout + done.stderr
    run: dict[str, Any] = json.loads(done.stdout)["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["ACME001"]["name"] == "acme-too-many-states"
    assert rules["ACME001"]["shortDescription"]["text"] == "more states than Acme allows (tests)"
    notices = run["invocations"][0]["toolConfigurationNotifications"]
    assert any("SW301" in n["message"]["text"] and n["descriptor"]["id"] == "SW900" for n in notices)
