"""Reports about a verified machine: the validation summary, SARIF, and the IR facts they share.

- `summary`: each check family PASS / FAIL / NOT RUN with evidence, and the known risks;
- `sarif`: findings as a SARIF 2.1.0 log for code-scanning tools;
- `facts`: the state x event matrix, saga failure modes and wait bounds, computed from the IR
  (also used by the `table` target).
"""

from statewright.report.facts import Cell, Entry, Matrix, matrix_of
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
    "Cell",
    "CheckResult",
    "Entry",
    "Matrix",
    "Risk",
    "Summary",
    "matrix_of",
    "render_summary",
    "render_summary_concise",
    "sarif_log",
    "summarize",
]
