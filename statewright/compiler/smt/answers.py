"""The z3-free vocabulary of the proofs: terms, inputs, a query's answer and its witness.

The rules, the report and the targets' `Verification` read answers without
importing z3 (about 0.1 s to load): a machine whose checks ask no query never
loads it. `encode.py` and `prover.py`, which do, are imported on the first query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from statewright import ir

Term = Any
"""A z3 expression (z3 ships no type information)."""

Inputs = tuple[ir.ContextField, ...]
"""A transition's inputs as typed fields named `event.F`, `result.F` or `error.F` (`semantics.inputs`)."""

Status: TypeAlias = Literal["found", "none", "unknown"]
Witness: TypeAlias = tuple[tuple[str, ir.Value], ...]


@dataclass(frozen=True, slots=True)
class Search:
    """The answer to one query: a witness when `found`, z3's reason when `unknown`."""

    status: Status
    witness: Witness = ()
    reason: str = ""
