"""The resource map: which Lambda function or SQS queue serves each DSL action.

Given with `--option asl_resource_map=FILE` (a JSON object) and/or
`--option asl_resource.NAME=VALUE`; a value is a Lambda ARN (string), or
`{"lambda": ARN}`, or `{"queue": URL}`. An action not in the map gets
`${name}`, a DefinitionSubstitution the SAM template fills from a parameter.
Three names are the target's own: `EventQueue` (where waiting states send
their task token), `EmitQueue` (where `emit` puts events for redelivery) and
`StatewrightEvaluator` (the function computing arithmetic the Choice rules
cannot).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from statewright.targets.asl.tasks import Resource

EVENT_QUEUE = "EventQueue"
EMIT_QUEUE = "EmitQueue"
EVALUATOR = "StatewrightEvaluator"
_DEFAULTS = {
    EVENT_QUEUE: Resource("queue", "${EventQueueUrl}"),
    EMIT_QUEUE: Resource("queue", "${EmitQueueUrl}"),
}
_SUBSTITUTION = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class ResourceMapError(ValueError):
    """The resource map option or file is malformed."""


@dataclass
class ResourceMap:
    """Action name -> resource, recording every `${Name}` substitution the definition uses."""

    entries: Mapping[str, Resource] = field(default_factory=dict)
    used: dict[str, str] = field(default_factory=dict)
    """Substitution name -> "lambda" or "queue", in first-use order."""

    def resource(self, name: str) -> Resource:
        """The resource serving `name`, defaulting to a `${name}` Lambda substitution."""
        found = self.entries.get(name) or _DEFAULTS.get(name) or Resource("lambda", "${" + name + "}")
        for match in _SUBSTITUTION.finditer(found.address):
            self.used.setdefault(match.group(1), found.kind)
        return found


def parse_entry(name: str, raw: Any) -> Resource:
    """One resource map value as a `Resource` (ResourceMapError when it is neither form)."""
    if isinstance(raw, str) and raw:
        return Resource("lambda", raw)
    if isinstance(raw, dict) and len(raw) == 1:
        ((kind, address),) = raw.items()
        if kind in ("lambda", "queue") and isinstance(address, str) and address:
            return Resource(kind, address)
    raise ResourceMapError(
        f'resource map entry `{name}` must be an ARN string, {{"lambda": ARN}} or {{"queue": URL}}'
    )


def from_options(extra: Mapping[str, str]) -> ResourceMap:
    """The resource map the target options name (a file, then single entries, which win)."""
    entries: dict[str, Resource] = {}
    path = extra.get("asl_resource_map")
    if path:
        try:
            data = json.loads(Path(path).read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ResourceMapError(f"cannot read the resource map `{path}`: {error}") from None
        if not isinstance(data, dict):
            raise ResourceMapError(f"the resource map `{path}` must hold a JSON object")
        for name in sorted(data):
            entries[name] = parse_entry(name, data[name])
    for key in sorted(extra):
        if key.startswith("asl_resource."):
            name = key.removeprefix("asl_resource.")
            value = extra[key]
            entries[name] = parse_entry(name, json.loads(value) if value.startswith("{") else value)
    return ResourceMap(entries)
