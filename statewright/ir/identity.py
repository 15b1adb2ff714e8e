"""A definition's identity: a hash of its IR without source positions, file name or doc strings.

Running instances are matched to the definition that started them by this
hash, not only by name and `version`: a spec edited without bumping `version`
(a renamed state, a changed type or approver role) hashes differently, and the
runtime refuses to run the old instance on it (SW976). Positions, the file name
and `doc` strings change nothing an instance does, so they are left out: moving
a spec, reformatting it, adding a comment or rewording a doc keeps the identity,
and so does the `requirements` block (it chooses an engine; an instance runs the same
on any),
and the `.wf` compiled and the IR a generated module embeds (`ir/embedded.py`,
which drops positions and directories) hash alike.

The text hashed is the IR's JSON data (`json_form.to_data`) with every `span`
and `doc` member, the machine's `requirements` and the `source` left out, written canonically (sorted keys, no
spaces, ASCII), so the hash is the same on every machine and Python version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

from statewright.ir import json_form
from statewright.ir.model import Machine

PREFIX = "sha256:"
"""What every identity starts with (the algorithm, so another can follow without ambiguity)."""


def canonical(machine: Machine) -> str:
    """The IR's canonical text without positions, file name or docs: what `identity` hashes."""
    data = _without_spans(json_form.to_data(replace(machine, source="")))
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def identity(machine: Machine) -> str:
    """The definition's identity, `sha256:<hex>` over `canonical(machine)`."""
    return PREFIX + hashlib.sha256(canonical(machine).encode("ascii")).hexdigest()


_LEFT_OUT = frozenset({"span", "doc", "requirements"})


def _without_spans(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_spans(item) for key, item in value.items() if key not in _LEFT_OUT}
    if isinstance(value, list):
        return [_without_spans(item) for item in value]
    return value
