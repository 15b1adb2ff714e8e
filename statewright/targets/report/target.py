"""The `report` target's plugin object: render the statechart with Graphviz, then assemble the page."""

from __future__ import annotations

import shutil

from statewright import ir
from statewright.diagnostics import Diagnostic
from statewright.diagnostics.catalog.targets import GRAPHVIZ_FAILED, GRAPHVIZ_MISSING
from statewright.plugins.api import Artifact, TargetOptions, TargetOutput
from statewright.targets.report.page import report_page
from statewright.targets.statechart import DOT_TIMEOUT_SECONDS, dot, find_dot, render_svg


def _timeout(options: TargetOptions) -> float:
    try:
        return float(options.extra.get("graphviz_timeout", DOT_TIMEOUT_SECONDS))
    except ValueError:
        return DOT_TIMEOUT_SECONDS


class ReportTarget:
    """Writes `<workflow>.report.html`: the design report, one self-contained page."""

    name: str = "report"
    description: str = (
        "a self-contained HTML design report (<workflow>.report.html): statechart, validation summary, "
        "transition and compensation tables, risks and findings; needs Graphviz's `dot`"
    )

    def unavailable(self) -> str | None:
        """Say why this target cannot run here (Graphviz missing), so `--target all` can skip it."""
        if shutil.which("dot") is None:
            return "Graphviz's `dot` program was not found (install the `graphviz` package)"
        return None

    def generate(self, machine: ir.Machine, options: TargetOptions) -> TargetOutput:
        """Render the statechart (SW910 without Graphviz, SW911 when it fails) and write the page."""
        source = options.source_name or machine.source or machine.name
        path = f"{machine.name}.report.html"
        program = find_dot(options)
        if program is None:
            wanted = options.extra.get("graphviz_dot") or "dot"
            message = f"cannot render the statechart of `{path}`: Graphviz's `{wanted}` program was not found"
            return TargetOutput(diagnostics=(Diagnostic.of(GRAPHVIZ_MISSING, message, source, machine.span),))
        svg, problem = render_svg(dot(machine, element_ids=True), program, _timeout(options))
        if svg is None:
            message = f"cannot render the statechart of `{path}`: {problem}"
            return TargetOutput(diagnostics=(Diagnostic.of(GRAPHVIZ_FAILED, message, source, machine.span),))
        text = report_page(machine, options.source_name or machine.source, svg, options.verification)
        return TargetOutput(artifacts=(Artifact(path, text),))
