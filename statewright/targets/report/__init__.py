"""The built-in `report` target: one self-contained HTML design report per workflow.

`<Workflow>.report.html` holds the statechart (Graphviz's SVG of the
`statechart` DOT, inline), the validation summary with its PASS/FAIL evidence,
the state x event transition table with its explicit rejects, the saga
compensation tables, the known risks and the findings. Clicking a finding
highlights the states it is about and plays its counterexample on the
diagram. The page loads nothing: its CSS, script and data are inline, and the
SVG has no links. Every piece of spec text is HTML-escaped.

The summary, risks and findings come from `Verification.review`, which
`statewright build` fills; without it (a library call on an unverified
machine) the page says so and shows the rest.
"""

from __future__ import annotations

from statewright.plugins.api import Target
from statewright.plugins.hookspecs import hookimpl
from statewright.targets.report.target import ReportTarget

__all__ = ["ReportTarget"]


@hookimpl
def statewright_targets() -> list[Target]:
    """Provide the `report` target through the public plugin hook."""
    return [ReportTarget()]
