"""Findings: a registry of stable codes, the Diagnostic value, and its renderers."""

from statewright.diagnostics.codes import CODES, Code, Severity, lookup, register
from statewright.diagnostics.model import Diagnostic, DiagnosticError, Related, has_errors

__all__ = [
    "CODES",
    "Code",
    "Diagnostic",
    "DiagnosticError",
    "Related",
    "Severity",
    "has_errors",
    "lookup",
    "register",
]
