"""Shared helpers for the temporal target tests: compiling specs and examples, the target's output."""

from __future__ import annotations

import functools

from statewright import ir
from statewright.diagnostics import Diagnostic
from statewright.pipeline import compile_path, compile_text
from statewright.plugins.api import TargetOptions
from statewright.targets.temporal import TemporalTarget
from tests.conftest import example_files

EXAMPLE_STEMS = [path.stem for path in example_files()]


@functools.cache
def example(stem: str) -> ir.Machine:
    """One example's IR, compiled once per test process."""
    path = next(p for p in example_files() if p.stem == stem)
    machine = compile_path(path).machine
    assert machine is not None
    return machine


def machine_of(text: str) -> ir.Machine:
    """A spec's IR; the spec must compile without errors."""
    result = compile_text(text)
    errors = [d for d in result.diagnostics if d.severity.value == "error"]
    assert result.machine is not None and not errors, errors[:3]
    return result.machine


def generate(machine: ir.Machine, source: str = "") -> tuple[dict[str, str], list[Diagnostic]]:
    """The temporal target's files (path -> text) and findings for one machine."""
    output = TemporalTarget().generate(machine, TargetOptions(source_name=source))
    return {a.path: a.content for a in output.artifacts}, list(output.diagnostics)


def codes(machine: ir.Machine) -> list[str]:
    """The codes of the target's findings, in order."""
    return [d.code for d in generate(machine)[1]]
