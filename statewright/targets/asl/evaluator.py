"""The evaluator Lambda: computes what Choice rules cannot (arithmetic, approval matchings).

Deployed by the SAM template as `statewright.targets.asl.evaluator.handler`.
It answers two requests with the runtime's own meaning, so the result is what
the Python runtime computes:

- guard-language expressions (`expressions`), evaluated with
  `statewright.semantics.values`: exact decimals, `a / 0 == 0`, floor `%`;
- one approval at a level (`approvals`, see `targets/asl/approvals.py`):
  whether it fills another place and whether the quorum is then reached, by
  the maximum matching of `statewright.semantics.approvals`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from statewright.semantics.approvals import counts, filled
from statewright.semantics.values import evaluate
from statewright.targets.asl.expressions import context_value, from_data

TALLY = "approvals"
"""The key that marks an approval request: `{"places": [...], "quorum": N}`."""
TALLY_KEYS = ("counts", "approved")
"""What an approval request is answered with."""


def handler(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    """An approval request -> `tally`; `{"expressions": {name: expr}, "types", "context"}` -> values."""
    if TALLY in event:
        return tally(event)
    types: dict[str, str] = event.get("types", {})
    context = {
        name: context_value(value, types.get(name, "string"))
        for name, value in event.get("context", {}).items()
    }
    results: dict[str, Any] = {}
    for name, data in event.get("expressions", {}).items():
        value = evaluate(from_data(data), context)
        results[name] = float(value) if isinstance(value, Decimal) else value
    return results


def _stood_for(places: list[str], flags: Mapping[str, Any], prefix: str) -> frozenset[str]:
    """The places whose flag `{prefix}{i}` (i counted from 1) is true."""
    return frozenset(place for i, place in enumerate(places, 1) if flags.get(f"{prefix}{i}") is True)


def tally(event: Mapping[str, Any]) -> dict[str, bool]:
    """`{"approvals": {"places", "quorum"}, "votes": {...}, "standing": {...}}` -> `{"counts", "approved"}`.

    `votes` is the level's slot object: `n` approvals stored, approval `j`
    standing for place `i` when `fj_i` is true; `standing` holds `ti`, whether
    the new approval's actor stands for place `i`. The approval counts when it
    fills another place (`semantics.approvals.counts`); the level is approved
    when, with it, the matching fills `quorum` places.
    """
    request: Mapping[str, Any] = event[TALLY]
    places = [str(place) for place in request["places"]]
    votes: Mapping[str, Any] = event.get("votes", {})
    cast = [_stood_for(places, votes, f"f{j}_") for j in range(1, int(votes.get("n", 0)) + 1)]
    standing = _stood_for(places, event.get("standing", {}), "t")
    fills = counts(cast, standing)
    approved = fills and filled([*cast, standing]) >= int(request["quorum"])
    return {"counts": fills, "approved": approved}
