"""The built-in `python` target: one typed, readable module per workflow on `statewright.runtime`.

`<workflow>.py` (the workflow's name in snake case) holds the states and
events as enums, the context as a frozen dataclass, the guards compiled to
Python (each with the DSL line it came from), the IR it dispatches on, an
in-memory machine class with compiled dispatch and a durable workflow class.
It imports only `statewright.runtime` (standard library only) and passes
`mypy --strict`.

`--option python_form=code|table|auto` picks the layout: `code` compiles every
guard and lists every state; `table` (chosen by `auto` from
`view.TABLE_FORM_STATES` states on) keeps the module small for very large
machines, interpreting guards from the embedded IR.
"""

from __future__ import annotations

import jinja2

from statewright.diagnostics import Diagnostic
from statewright.diagnostics.catalog.targets import BAD_FORM as BAD_FORM
from statewright.ir import Machine
from statewright.plugins.api import Artifact, Target, TargetOptions, TargetOutput
from statewright.plugins.hookspecs import hookimpl
from statewright.targets.python import names
from statewright.targets.python.view import module_view
from statewright.targets.templating import template

FORMS = ("auto", "code", "table")


def _template() -> jinja2.Template:
    return template("statewright.targets.python", "module.py.jinja")


def render_module(machine: Machine, source_name: str = "", form: str = "auto") -> str:
    """The generated module's text for one machine (byte-identical for equal machines)."""
    return _template().render(v=module_view(machine, source_name, form))


class PythonTarget:
    """Writes `<workflow>.py`: a typed module running the workflow on `statewright.runtime`."""

    name: str = "python"
    description: str = (
        "a typed Python module per workflow (enums, context dataclass, compiled guards, "
        "in-memory and durable classes) on statewright.runtime"
    )

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """Render the module; an unknown `python_form` option is SW913 and writes nothing."""
        form = options.extra.get("python_form", "auto")
        if form not in FORMS:
            source = options.source_name or machine.source or machine.name
            message = f"unknown python_form `{form}`; use one of: {', '.join(FORMS)}"
            return TargetOutput(diagnostics=(Diagnostic.of(BAD_FORM, message, source, machine.span),))
        path = f"{names.module_name(machine.name)}.py"
        return TargetOutput(artifacts=(Artifact(path, render_module(machine, options.source_name, form)),))


@hookimpl
def statewright_targets() -> list[Target]:
    """Provide the `python` target through the public plugin hook."""
    return [PythonTarget()]
