"""One machine to its Step Functions definition, layout and findings (target and driver)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from statewright import ir
from statewright.diagnostics import Diagnostic
from statewright.targets.asl import asljson, checks
from statewright.targets.asl.build import Builder
from statewright.targets.asl.layout import Layout
from statewright.targets.asl.resources import ResourceMap

MAX_WAIT_S = 31_536_000
"""The default bound (one year) on a callback whose state has no timeout."""


@dataclass
class Compiled:
    """A definition as data and as text, how to read its histories, and the findings."""

    definition: dict[str, Any]
    text: str
    layout: Layout
    substitutions: dict[str, str]
    diagnostics: list[Diagnostic] = field(default_factory=list)


def compile_machine(
    machine: ir.Machine, resources: ResourceMap | None = None, source: str = "", max_wait_s: int = MAX_WAIT_S
) -> Compiled:
    """Translate `machine`; equal inputs give byte-identical text."""
    resources = resources if resources is not None else ResourceMap()
    builder = Builder(machine, resources, source, max_wait_s)
    definition = builder.definition()
    layout, notes = builder.layout, builder.notes
    del builder  # its indexes and memo tables are as large as the definition: gone before the text is
    definition, text, escaped = asljson.escaped_dumps(definition, "\n")
    used = dict(resources.used)
    if escaped:
        used[asljson.LITERAL_DOLLAR] = "literal"
    file = source or machine.source or machine.name
    found = [Diagnostic.of(code, message, file, span) for code, message, span in notes]
    found += checks.check(machine, definition, text, file, layout.forward)
    return Compiled(definition, text, layout, used, found)
