"""Shared helpers for the asl target tests: compiling, the asl-validator, the example machines."""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path
from typing import Any

from statewright import ir
from statewright.pipeline import compile_path
from statewright.plugins.api import TargetOptions
from statewright.targets.asl.target import AslTarget
from tests.conftest import example_files
from tests.tools import node_tool


@functools.cache
def example(stem: str) -> ir.Machine:
    """One example's IR, compiled once per test process."""
    path = next(p for p in example_files() if p.stem == stem)
    machine = compile_path(path).machine
    assert machine is not None
    return machine


EXAMPLE_STEMS = [path.stem for path in example_files()]


def artifacts(machine: ir.Machine, source: str = "", **extra: str) -> dict[str, str]:
    """The asl target's files for one machine, by path."""
    output = AslTarget().generate(machine, TargetOptions(source_name=source, extra=extra))
    return {artifact.path: artifact.content for artifact in output.artifacts}


def definition(machine: ir.Machine, source: str = "") -> dict[str, Any]:
    """The generated definition, parsed."""
    found: dict[str, Any] = json.loads(artifacts(machine, source)[f"{machine.name}.asl.json"])
    return found


def validate(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    """Run asl-validator once over every file (it costs about 0.75 s a call)."""
    command = [str(node_tool("asl-validator"))]
    for path in paths:
        command += ["--json-path", str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
