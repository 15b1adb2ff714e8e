"""The `temporal` target: a Python module per workflow, run on Temporal by statewright's shell."""

from __future__ import annotations

import jinja2

from statewright.diagnostics import Severity
from statewright.ir import Machine
from statewright.plugins.api import Artifact, TargetOptions, TargetOutput
from statewright.targets.templating import template
from statewright.targets.temporal import checks
from statewright.targets.temporal.settings import work_settings
from statewright.targets.temporal.view import module_name, module_view


def _template() -> jinja2.Template:
    return template("statewright.targets.temporal", "module.py.jinja")


def render_module(machine: Machine, source_name: str = "") -> str:
    """The generated module's text for one machine (byte-identical for equal machines)."""
    return _template().render(v=module_view(machine, source_name, work_settings(machine)))


class TemporalTarget:
    """Writes `<workflow>_temporal.py`: the Temporal workflow, its activity interface and a worker entry."""

    name: str = "temporal"
    description: str = (
        "a typed Python module per workflow for Temporal (temporalio): the workflow class on "
        "statewright's runtime, typed updates per event, the activities to implement, a worker"
    )

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """Render the module, with the capability lint's findings; an error finding writes nothing."""
        source = options.source_name or machine.source or machine.name
        work = work_settings(machine)
        findings = tuple(checks.check(machine, work, source))
        if any(d.severity is Severity.ERROR for d in findings):
            return TargetOutput(diagnostics=findings)
        text = _template().render(v=module_view(machine, options.source_name, work))
        return TargetOutput(artifacts=(Artifact(f"{module_name(machine)}.py", text),), diagnostics=findings)
