"""The built-in `ir` target: the machine as JSON in the published, versioned IR schema.

It registers through the same `statewright_targets` hook a third-party plugin uses.
"""

from __future__ import annotations

from statewright.ir import Machine
from statewright.ir.json_form import dump
from statewright.plugins.api import Artifact, Target, TargetOptions, TargetOutput
from statewright.plugins.hookspecs import hookimpl


class IRTarget:
    """Writes `<name>.ir.json`: the IR as JSON, valid against `statewright/ir/schema/ir.schema.json`."""

    name: str = "ir"
    description: str = "the IR as JSON (one <workflow>.ir.json), valid against the published IR JSON Schema"

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """Return the machine's IR JSON as one artifact; equal machines give byte-identical files."""
        return TargetOutput(artifacts=(Artifact(f"{machine.name}.ir.json", dump(machine)),))


@hookimpl
def statewright_targets() -> list[Target]:
    """Provide the `ir` target through the public plugin hook."""
    return [IRTarget()]
