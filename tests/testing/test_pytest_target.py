"""The `pytest` target: standalone test files that are formatted, typed, deterministic, and pass.

The strongest check runs one generated file in a fresh virtual environment
where only the statewright wheel (with its dependencies) and pytest are
installed, outside this repository, as a user would keep it.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import venv
from dataclasses import replace
from pathlib import Path

from statewright import ir
from statewright.ir.embedded import dump
from statewright.testing.pytest_target import PATHS_LIMIT, render_tests
from statewright.testing.pytest_target.cases import layout, step_source
from statewright.testing.scenario import Send
from tests.conftest import ROOT, example_files
from tests.testing.test_python_engine import machine_of

VENV_BIN = Path(sys.executable).parent
EXAMPLES = [(path.stem, machine_of(path), path.name) for path in example_files()]


@functools.cache
def rendered(stem: str) -> str:
    """The example's test file, rendered once per test process (the path search takes seconds)."""
    _, machine, source = next(e for e in EXAMPLES if e[0] == stem)
    text, searched = render_tests(machine, source)
    assert searched
    return text


def _write_all(folder: Path) -> list[Path]:
    written = []
    for stem, _, _ in EXAMPLES:
        path = folder / f"test_{stem}.py"
        path.write_text(rendered(stem), "utf-8")
        written.append(path)
    return written


def test_files_are_formatted_typed_and_identical_across_renders(tmp_path: Path) -> None:
    """`ruff format` would change nothing, `mypy --strict` passes, and a second render is byte-identical."""
    _write_all(tmp_path)
    stem, machine, source = EXAMPLES[0]
    assert render_tests(machine, source)[0] == (tmp_path / f"test_{stem}.py").read_text("utf-8")
    ruff = str(VENV_BIN / "ruff")
    formatted = subprocess.run(
        [ruff, "format", "--check", "--diff", "--line-length", "100", "--no-cache", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    mypy = subprocess.run(
        [str(VENV_BIN / "mypy"), "--strict", "--no-incremental", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_the_path_cases_cover_what_the_search_covered(tmp_path: Path) -> None:
    """Each example's file holds path cases; together their comments name every covered state."""
    for stem, _, _ in EXAMPLES:
        text = rendered(stem)
        assert text.count("PathCase(") >= 5, stem
        assert "def test_path(case: PathCase)" in text
        assert "TestDesign = design_test_case(" in text


def test_a_path_case_that_no_longer_holds_fails_with_the_step(tmp_path: Path) -> None:
    """Edit the workflow after generating: the path test names the first step that now differs."""
    stem, machine, _ = next(e for e in EXAMPLES if e[0] == "order_fulfilment")
    text = rendered(stem)
    # The spec changes: a cancelled draft is now abandoned. The kept test file must notice.
    changed = list(machine.transitions)
    index = next(i for i, t in enumerate(changed) if t.source == "Draft" and t.event == "cancel")
    changed[index] = replace(changed[index], target="Abandoned")
    start = text.index('r"""\n') + len('r"""\n')
    end = text.index('\n"""', start)
    edited = text[:start] + dump(replace(machine, transitions=tuple(changed))) + text[end:]
    path = tmp_path / f"test_{stem}.py"
    path.write_text(edited, "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path), "-k", "test_path"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "send cancel: entered ['Abandoned'], expected ['Cancelled']" in result.stdout


def test_large_machines_get_the_design_test_only() -> None:
    """From PATHS_LIMIT states the path search is skipped, and the file still imports what it uses."""
    _, machine, source = EXAMPLES[0]
    filler = tuple(ir.State(f"Filler{i}", "final") for i in range(PATHS_LIMIT))
    big = replace(machine, states=machine.states + filler)
    text, searched = render_tests(big, source)
    assert not searched
    assert "PathCase" not in text and "import pytest" not in text
    assert "TestDesign = design_test_case(" in text


def test_long_steps_are_split_as_ruff_would() -> None:
    """A step too long for its line is split one argument a line, nested tuples too."""
    step = Send(
        "permissions_granted",
        actor="alice",
        payload=(("permission_set", "permission_set-1"), ("policy_version", "policy_version-1")),
    )
    text = step_source(step, 16)
    assert text.splitlines()[0] == "Send("
    assert all(len(line) <= 100 for line in text.splitlines())
    assert layout("f(x)", 4) == "f(x)"


def test_the_generated_file_passes_in_a_fresh_virtual_environment(tmp_path: Path) -> None:
    """Build the wheel, install it and pytest into a new venv, and run one generated file there."""
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next(wheels.glob("statewright-*.whl"))
    fresh = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=True, clear=True).create(fresh)
    python = fresh / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel), "pytest>=8"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_order_fulfilment.py").write_text(rendered("order_fulfilment"), "utf-8")
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project)],
        capture_output=True,
        text=True,
        cwd=project,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout
