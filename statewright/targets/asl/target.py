"""The built-in `asl` target: AWS Step Functions definitions, a SAM template and a resource map skeleton."""

from __future__ import annotations

from statewright.diagnostics import Diagnostic
from statewright.ir import Machine
from statewright.plugins.api import Artifact, TargetOptions, TargetOutput
from statewright.targets.asl import sam
from statewright.targets.asl.codes import OPTION_INVALID
from statewright.targets.asl.compile import MAX_WAIT_S, compile_machine
from statewright.targets.asl.resources import ResourceMapError, from_options


class AslTarget:
    """Writes `<workflow>.asl.json`, `<workflow>.sam.json` and `<workflow>.resources.json`."""

    name: str = "asl"
    description: str = (
        "AWS Step Functions (Amazon States Language, JSONPath): <workflow>.asl.json, a SAM template "
        "with DefinitionSubstitutions, and a resource map skeleton"
    )

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """Translate one machine; a bad resource map or option is SW920 and writes nothing."""
        source = options.source_name or machine.source or machine.name
        try:
            resources = from_options(options.extra)
            max_wait = int(options.extra.get("asl_max_wait", str(MAX_WAIT_S)))
            if not 1 <= max_wait <= 99_999_999:
                raise ResourceMapError("`asl_max_wait` must be a number of seconds from 1 to 99999999")
        except (ResourceMapError, ValueError) as error:
            return TargetOutput(
                diagnostics=(Diagnostic.of(OPTION_INVALID, str(error), source, machine.span),)
            )
        compiled = compile_machine(machine, resources, options.source_name, max_wait)
        base = machine.name
        artifacts = (
            Artifact(f"{base}.asl.json", compiled.text),
            Artifact(f"{base}.sam.json", sam.template(machine, compiled.substitutions, f"{base}.asl.json")),
            Artifact(f"{base}.resources.json", sam.resource_skeleton(machine, resources.entries)),
        )
        return TargetOutput(artifacts=artifacts, diagnostics=tuple(compiled.diagnostics))
