"""The built-in `pytest` target: a standalone test file per workflow, for users to keep in their repo.

It lives in the testing layer, not among the targets, because it writes down what
this layer computes (path-covering scenarios found by running the reference
engine on the runtime), and a target may not import the runtime or testing.

`test_<workflow>.py` embeds the workflow's IR (in the python target's
span-free form, `statewright.ir.embedded`), renders its python-target
module in memory when imported, and holds two kinds of tests: the design's
Hypothesis state machine (the same one `statewright test` runs) and one test
per path-covering scenario, each asserting the states every step entered when
the file was generated. It needs only `statewright` (with Hypothesis) and
pytest installed.

Above `PATHS_LIMIT` states the path search is skipped (an info diagnostic),
because its budget would cover too little of such a machine to be worth the
build time; the design test is still written.
"""

from __future__ import annotations

from pathlib import PurePath

import jinja2

from statewright.diagnostics import Diagnostic
from statewright.diagnostics.catalog.targets import PATHS_SKIPPED
from statewright.ir import Machine, embedded
from statewright.plugins.api import Artifact, Target, TargetOptions, TargetOutput
from statewright.plugins.hookspecs import hookimpl
from statewright.targets.python.names import module_name
from statewright.targets.python_literals import comment, file_name
from statewright.targets.templating import template
from statewright.testing.pytest_target.cases import path_cases

PATHS_LIMIT = 2_000
"""From this many states on, no path scenarios are searched for (SW914)."""


def _template() -> jinja2.Template:
    return template("statewright.testing.pytest_target", "test_module.py.jinja")


def render_tests(machine: Machine, source_name: str = "") -> tuple[str, bool]:
    """The test file's text, and whether path scenarios were searched for (False above the limit)."""
    source = PurePath(source_name or machine.source or f"{machine.name}.wf").name
    searched = len(machine.states) < PATHS_LIMIT
    cases = path_cases(machine) if searched else []
    uses = "\n".join(line for case in cases for line in (case.context, *case.steps, case.changed))
    names = ["Scenario", *(name for name in ("Send", "Timeout", "WorkDone") if f"{name}(" in uses)]
    text = _template().render(
        uses=uses,
        scenario_names=", ".join(names),
        workflow=machine.name,
        source=source,
        cited=comment(file_name(source)),
        ir_text=embedded.dump(machine),
        cases=cases,
        searched=searched,
    )
    return text, searched


class PytestTarget:
    """Writes `test_<workflow>.py`: the design's property tests and path scenarios, for pytest."""

    name: str = "pytest"
    description: str = "a standalone pytest file per workflow: the design state machine and path scenarios"

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """Render the test file (and say so when the machine was too large for the path search)."""
        text, searched = render_tests(machine, options.source_name)
        diagnostics: tuple[Diagnostic, ...] = ()
        if not searched:
            source = options.source_name or machine.source or machine.name
            message = f"{len(machine.states)} states: path scenarios are not searched from {PATHS_LIMIT}"
            diagnostics = (Diagnostic.of(PATHS_SKIPPED, message, source, machine.span),)
        artifact = Artifact(f"test_{module_name(machine.name)}.py", text)
        return TargetOutput(artifacts=(artifact,), diagnostics=diagnostics)


@hookimpl
def statewright_targets() -> list[Target]:
    """Provide the `pytest` target through the public plugin hook."""
    return [PytestTarget()]
