"""SW910-SW919: the diagram, python and pytest targets.

SW910 and SW911 are reported by `targets/diagrams.py` (`svg`), SW913 by
`targets/python/`, SW914 by `testing/pytest_target/`.
"""

from statewright.diagnostics.model import Code, Severity

GRAPHVIZ_MISSING = Code(
    "SW910",
    "graphviz-missing",
    Severity.ERROR,
    "the `svg` target needs Graphviz's `dot` program, which was not found",
    "install Graphviz (Debian/Ubuntu: `apt-get install graphviz`, macOS: `brew install graphviz`), "
    "or pass its path with `--option graphviz_dot=/path/to/dot`; the `dot` target writes the "
    "DOT text without it",
)
GRAPHVIZ_FAILED = Code(
    "SW911",
    "graphviz-failed",
    Severity.ERROR,
    "Graphviz's `dot` failed to render the diagram",
    "this is a bug in statewright's DOT output or in Graphviz; please report it with the workflow",
)
BAD_FORM = Code(
    "SW913",
    "python-form-unknown",
    Severity.ERROR,
    "the python target's `python_form` option is not one of auto, code, table",
    "pass `--option python_form=auto` (the default), `code` or `table`",
)
PATHS_SKIPPED = Code(
    "SW914",
    "pytest-paths-skipped",
    Severity.INFO,
    "the workflow is too large for the pytest target's path search; only the design test is written",
    "run `statewright test` for coverage figures, or split the workflow",
)
