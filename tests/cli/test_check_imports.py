"""`statewright check` imports only what checking needs (issue 20): no target, no testing stack.

A behaviour test, not a timed one: it runs `check` in a fresh interpreter and
reads `sys.modules` afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

NEVER_FOR_CHECK = (
    "hypothesis",
    "jinja2",
    "lxml",
    "temporalio",
    "pygls",
    "statewright.testing",
    "statewright.targets.bpmn",
    "statewright.targets.asl",
    "statewright.targets.python",
    "statewright.targets.temporal",
    "statewright.runtime",
    "statewright.lsp",
)
"""Packages `check` must not import: generation, testing, the runtime, the editor server."""


def _loaded_by(*args: str, cwd: Path) -> tuple[int, set[str]]:
    """Run the command line in a fresh interpreter; its exit code and every module it imported."""
    code = (
        "import sys, json, contextlib, io\n"
        "from statewright.cli import main\n"
        "code = 0\n"
        "try:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        f"        main({list(args)!r})\n"
        "except SystemExit as done:\n"
        "    code = done.code\n"
        "print(json.dumps([code, sorted(sys.modules)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=cwd)
    exit_code, modules = json.loads(done.stdout.splitlines()[-1])
    return exit_code, set(modules)


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in NEVER_FOR_CHECK))


@pytest.mark.parametrize("example", ["order_fulfilment", "expense_approval"])
@pytest.mark.parametrize("form", ["text", "json", "sarif"])
def test_check_imports_no_target_and_no_testing_stack(example: str, form: str, tmp_path: Path) -> None:
    """Every output form of `check` on a real example; the rules ran (the summary needs them)."""
    spec = EXAMPLES / f"{example}.wf"
    code, modules = _loaded_by("check", str(spec), "--format", form, cwd=tmp_path)
    assert code in (0, 1)
    assert _heavy(modules) == []
    assert "statewright.compiler.verify.rules.structure" in modules


def test_check_under_a_configuration_naming_targets_loads_none(tmp_path: Path) -> None:
    """`[tool.statewright.options.<target>]` is validated against the target names, not the targets."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.statewright]\nselect = ["SW"]\n\n[tool.statewright.options.python]\npython_form = "code"\n',
        "utf-8",
    )
    spec = tmp_path / "order.wf"
    spec.write_text((EXAMPLES / "order_fulfilment.wf").read_text("utf-8"), "utf-8")
    code, modules = _loaded_by("check", str(spec), cwd=tmp_path)
    assert code in (0, 1)
    assert _heavy(modules) == []


def test_build_still_loads_the_target_it_builds(tmp_path: Path) -> None:
    """The other side: `build --target python` imports the python target, and no other target."""
    spec = EXAMPLES / "order_fulfilment.wf"
    code, modules = _loaded_by("build", str(spec), "--target", "python", "--out", str(tmp_path), cwd=tmp_path)
    assert code == 0
    assert "statewright.targets.python" in modules
    assert "statewright.targets.bpmn" not in modules
    assert "statewright.targets.asl" not in modules
