"""The slim runtime distribution: a service runs generated code with only `statewright-runtime` installed.

The wheel is built from `packaging/runtime/` (the same source files as the full
package: the IR, the semantics, the diagnostic codes, the runtime), installed
offline into a fresh virtual environment, and every example's generated
`python` module is imported and driven there through its path-covering
scenarios on SQLite. What it sees must equal what the reference engine sees in
the full installation, and none of the compiler's dependencies may be
importable in that environment.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest

from statewright import ir
from statewright.pipeline import compile_path
from statewright.runtime.codec import encode_value
from statewright.semantics.calls import do_calls
from statewright.testing.coverage import covering_scenarios
from statewright.testing.python_engine import PythonEngine, PythonRun
from statewright.testing.scenario import Scenario, Send, Timeout, scope_lock
from tests.conftest import example_files

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("slim_driver.py")
COMPILER_DEPENDENCIES = (
    "lark",
    "z3",
    "hypothesis",
    "lxml",
    "typer",
    "jinja2",
    "pluggy",
    "rich",
    "jsonschema",
)
SCENARIOS_PER_EXAMPLE = 12


@pytest.fixture(scope="module")
def slim_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding only the slim runtime wheel, built from this tree."""
    work = tmp_path_factory.mktemp("slim")
    wheels = work / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            str(ROOT / "packaging" / "runtime"),
            "-w",
            str(wheels),
        ],
        check=True,
    )
    wheel = next(wheels.glob("statewright_runtime-*.whl"))
    environment = work / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-index", str(wheel)], check=True)
    return python


def test_the_wheel_holds_only_the_runtime_layers(slim_python: Path) -> None:
    """Only statewright-runtime is installed, and no compiler dependency can be imported."""
    listed = subprocess.run(
        [str(slim_python), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    names = {entry["name"] for entry in json.loads(listed.stdout)}
    assert names <= {"statewright-runtime", "pip", "setuptools"}, names
    probe = (
        "import importlib.util, json\n"
        f"print(json.dumps([n for n in {COMPILER_DEPENDENCIES!r} if importlib.util.find_spec(n)]))\n"
        "import statewright.runtime.workflow, statewright.runtime.machine, statewright.runtime.sqlite\n"
        "import importlib.util as u\n"
        "print(u.find_spec('statewright.compiler') is None, u.find_spec('statewright.cli') is None)\n"
        "import statewright\n"
        "try:\n"
        "    statewright.load\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    shown = subprocess.run([str(slim_python), "-I", "-c", probe], capture_output=True, text=True, check=True)
    found, absent, api = shown.stdout.splitlines()
    assert json.loads(found) == []
    assert absent == "True True"
    assert api.startswith(
        "statewright.load needs the full statewright distribution (pip install statewright); "
        "this installation has only the runtime ("
    )


def _encoded(values: tuple[tuple[str, ir.Value], ...]) -> dict[str, Any]:
    return {name: encode_value(value) for name, value in values}


def _plan(machine: ir.Machine, scenario: Scenario) -> dict[str, Any]:
    """A scenario as the driver reads it, each send with the scope lock its sender presents then."""
    run = PythonRun(machine, dict(scenario.context))
    steps: list[dict[str, Any]] = []
    for step in scenario.steps:
        if isinstance(step, Send):
            active = run.hierarchy.active_states(run.instance().active)
            steps.append(
                {
                    "kind": "send",
                    "event": step.event,
                    "actor": step.actor,
                    "permissions": list(step.permissions),
                    "scope": scope_lock(machine, active, step.event),
                    "evidence": dict(step.payload),
                    "delegate_to": step.delegate_to,
                    "data": _encoded(step.data),
                }
            )
        elif isinstance(step, Timeout):
            steps.append({"kind": "timeout", "state": step.state})
        else:
            steps.append(
                {
                    "kind": "work",
                    "state": step.state,
                    "error": step.error,
                    "result": _encoded(step.result),
                    "message": step.message,
                }
            )
        run.apply(step)
    return {
        "context": _encoded(scenario.context),
        "do_actions": sorted({call.name for call in do_calls(machine)}),
        "steps": steps,
    }


def _module_of(directory: Path, spec: Path) -> str:
    """The generated module built from `spec` (its docstring names the source file)."""
    (found,) = (p.stem for p in directory.glob("*.py") if f" from {spec.name};" in p.read_text("utf-8"))
    return found


def test_every_example_runs_on_the_slim_runtime(slim_python: Path, tmp_path: Path) -> None:
    """Generated modules import and run with only the runtime, and agree with the reference engine."""
    modules = tmp_path / "modules"
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "statewright"),
            "build",
            *map(str, example_files()),
            "--target",
            "python",
            "--out",
            str(modules),
        ],
        check=True,
        capture_output=True,
    )
    plan: dict[str, list[dict[str, Any]]] = {}
    expected: dict[str, list[list[list[Any]]]] = {}
    for path in example_files():
        machine = compile_path(path).machine
        assert machine is not None, path
        scenarios = covering_scenarios(machine).scenarios[:SCENARIOS_PER_EXAMPLE]
        assert scenarios, path
        module = _module_of(modules / "python", path)
        plan[module] = [_plan(machine, scenario) for scenario in scenarios]
        expected[module] = []
        for scenario in scenarios:
            observations = PythonEngine().run(machine, scenario)
            assert isinstance(observations, list)
            expected[module].append([[sorted(o.active), o.status] for o in observations])
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    ran = subprocess.run(
        [
            str(slim_python),
            "-I",
            str(DRIVER),
            str(tmp_path / "plan.json"),
            str(modules / "python"),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == expected
