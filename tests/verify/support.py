"""Helpers the rule tests share: compile a spec, run one rule module, locate findings."""

from __future__ import annotations

from types import ModuleType

from statewright import ir
from statewright.compiler.verify import verify
from statewright.diagnostics import Diagnostic
from statewright.pipeline import compile_text
from statewright.plugins.api import RuleContext
from statewright.plugins.run import VerificationRun


def machine_of(text: str) -> ir.Machine:
    """Compile a spec that the front end accepts."""
    result = compile_text(text, "spec.wf")
    assert result.machine is not None, result.diagnostics
    return result.machine


def run_rules(
    module: ModuleType,
    machine: ir.Machine,
    code: str | None = None,
    settings: dict[str, str] | None = None,
    run: VerificationRun | None = None,
) -> list[Diagnostic]:
    """Run the rules one plugin module provides (in `run` if given); keep findings with `code` if given."""
    context = RuleContext(settings=settings or {}, run=run)
    found = verify(machine, module.statewright_rules(), context)
    return [d for d in found if code is None or d.code == code]


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first occurrence of `needle`."""
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def at(diagnostic: Diagnostic) -> tuple[int, int]:
    """A finding's line and column."""
    return diagnostic.span.line, diagnostic.span.column
