"""The evaluator Lambda: computes what Choice rules cannot (arithmetic, approval matchings).

Deployed by the SAM template as `statewright.targets.asl.evaluator.handler`.
It answers two requests with the runtime's own meaning, so the result is what
the Python runtime computes:

- guard-language expressions (`expressions`), evaluated with
  `statewright.semantics.values`: exact decimals, `a / 0 == 0`, floor `%`;
- one approval at a level (`approvals`, see `targets/asl/approvals.py`):
  whether it fills another place and whether the quorum is then reached, by
  the maximum matching of `statewright.semantics.approvals`;
- one callback answer (`check`): its event's payload or its work's result
  checked against the declared fields by `semantics.inputs.check_fields`, as
  the runtime checks them before anything else.

Expressions may read a transition's inputs (`event.F`, `result.F`,
`error.name`/`error.message`): the request then carries the answer's `event`
payload, work `result` or Catch `error` object beside the context.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from statewright import ir
from statewright.semantics.approvals import counts, filled
from statewright.semantics.inputs import RESULT_INVALID, check_fields, result_invalid_message
from statewright.semantics.values import evaluate
from statewright.targets.asl.expressions import context_value, field_from_data, from_data, sent_value

TALLY = "approvals"
"""The key that marks an approval request: `{"places": [...], "quorum": N}`."""
TALLY_KEYS = ("counts", "approved")
"""What an approval request is answered with."""
CHECK = "check"
"""The key that marks a check request: `{"payloads": {event: [field]}, "result": [field], "action"}`."""
CHECK_KEYS = ("valid", "signal", "error")
"""What a check request is answered with: the verdict, the answer with its data typed, the failure."""
_ERROR_KEYS = {"name": "Error", "message": "Cause"}


def handler(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    """An approval request -> `tally`; `{"expressions": {name: expr}, "types", "context"}` -> values."""
    if TALLY in event:
        return tally(event)
    if CHECK in event:
        return check(event)
    types: dict[str, str] = event.get("types", {})
    env = {
        name: context_value(value, types.get(name, "string"))
        for name, value in event.get("context", {}).items()
    }
    for scope in ir.INPUT_SCOPES:
        for key, value in (event.get(scope) or {}).items():
            field_name = (
                next((k for k, v in _ERROR_KEYS.items() if v == key), key) if scope == "error" else key
            )
            name = f"{scope}.{field_name}"
            env[name] = context_value(value, types.get(name, "string"))
    results: dict[str, Any] = {}
    for name, data in event.get("expressions", {}).items():
        expr = from_data(data)
        try:
            value = evaluate(expr, env)
        except KeyError:  # an input of another event's guard: that guard's rule tests the event first
            value = False if expr.type == "bool" else None
        results[name] = float(value) if isinstance(value, Decimal) else value
    return results


def check(event: Mapping[str, Any]) -> dict[str, Any]:
    """`{"check": {"payloads", "result", "action"}, "signal": answer}` -> `{"valid", "signal", "error"}`.

    An event answer's `data` is checked against its event's payload (an event
    declaring none takes no data), a `done` answer's `result` against the
    work's result fields: missing, extra, ill-typed and out-of-bound fields are
    problems (`semantics.inputs.check_fields`). Valid: the answer comes back
    with its values typed and defaults filled in (decimals as JSON numbers), so
    Choice rules compare numbers. A bad payload is refused by the definition;
    a bad result is a `ResultInvalid` failure whose `Cause` says what is wrong.
    """
    request: Mapping[str, Any] = event[CHECK]
    signal = dict(event.get("signal") or {})
    done = signal.get("kind") == "done"
    key = "result" if done else "data"
    if done:
        specs = request.get("result", [])
    else:
        specs = request.get("payloads", {}).get(str(signal.get("event", "")), [])
    fields = [field_from_data(spec) for spec in specs]
    types = {f.name: f.type.name for f in fields}
    raw = signal.get(key) or {}
    sent = {name: sent_value(value, types.get(name, "")) for name, value in dict(raw).items()}
    values, problems = check_fields(fields, sent)
    error = {"Error": "", "Cause": ""}
    if problems:
        cause = (
            result_invalid_message(str(request.get("action", "")), problems)
            if done
            else "; ".join(map(str, problems))
        )
        error = {"Error": RESULT_INVALID if done else "PayloadInvalid", "Cause": cause}
    else:
        signal[key] = {name: float(v) if isinstance(v, Decimal) else v for name, v in values.items()}
    return {"valid": not problems, "signal": signal, "error": error}


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
