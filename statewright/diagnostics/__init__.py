"""Findings: the Diagnostic value, the registry of stable codes, and the renderers.

`model` holds the values (`Severity`, `Code`, `Diagnostic`); `codes` (the front end's
SW0xx-SW2xx) and `catalog` (every other family) define each built-in code once;
`registry` puts them together (`BUILTIN_CODES`, `CODES`, `lookup`) and lets plugins add
theirs (`register`). Importing this package alone makes the registry complete.
"""

from statewright.diagnostics.model import Code, Diagnostic, DiagnosticError, Related, Severity, has_errors
from statewright.diagnostics.registry import (
    BUILTIN_CODES,
    CODES,
    RETIRED_CODES,
    CodeClashError,
    lookup,
    register,
)

__all__ = [
    "BUILTIN_CODES",
    "CODES",
    "RETIRED_CODES",
    "Code",
    "CodeClashError",
    "Diagnostic",
    "DiagnosticError",
    "Related",
    "Severity",
    "has_errors",
    "lookup",
    "register",
]
