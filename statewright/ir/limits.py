"""The bounds every stage and every target can honour, checked once by the front end.

The parser refuses a spec past them with a located diagnostic, so the verifier,
the targets and the runtime never see a number or a name they cannot carry
(a SQLite timestamp past 64 bits, a file name past 255 bytes, a state name no
engine accepts). The runtime clamps what it computes from them (backoff growth)
to the same bounds.
"""

from __future__ import annotations

from decimal import Decimal

MAX_NAME_LENGTH = 128
"""Longest name (state, event, field, member, work, service, role): becomes a Python identifier,
a BPMN id and, shortened by the asl namer, a Step Functions state name."""

MAX_WORKFLOW_NAME_LENGTH = 64
"""Longest workflow name: it names every generated file (`test_<snake_case>.py`,
`<name>.transitions.csv`, ...), which must stay far below a file system's 255 bytes."""

MAX_DURATION_MS = 100 * 365 * 86_400_000
"""Longest duration (timeouts, warnings, heartbeats, backoff base and cap): 100 years of 365 days.
An instant plus it stays far inside 64-bit milliseconds, in every store and engine."""

MAX_BACKOFF_FACTOR = Decimal(100)
"""Largest exponential backoff factor; the runtime still clamps each grown delay to MAX_DURATION_MS."""
