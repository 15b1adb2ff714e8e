"""Reports about a verified machine: the validation summary and SARIF.

- `summary`: each check family PASS / FAIL / NOT RUN with evidence, and the known risks;
- `sarif`: findings as a SARIF 2.1.0 log for code-scanning tools;
- `recommendation` (with `design_facts`, `engines`, `recommendation_text`): which engines fit
  the workflow's declared requirements and its design, ranked (docs/ENGINES.md).

The IR facts they present (the state x event matrix, saga failure modes, wait
bounds) are `statewright.semantics.facts`, which the `table` target reads too.
"""

from statewright.report.sarif import sarif_log
from statewright.report.summary import (
    CHECKS,
    CheckResult,
    Risk,
    Summary,
    render_summary,
    render_summary_concise,
    summarize,
)

__all__ = [
    "CHECKS",
    "CheckResult",
    "Risk",
    "Summary",
    "render_summary",
    "render_summary_concise",
    "sarif_log",
    "summarize",
]
