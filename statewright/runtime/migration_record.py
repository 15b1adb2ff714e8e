"""A `migration` audit record's payload: what it carries, and the snapshot a replay resumes from.

`runtime/migrate.py` writes the record; `runtime/replay.py` resumes a replay
under the new definition from the last such record (the records before it
belong to an older definition).
"""

from __future__ import annotations

import json
from typing import Any

from statewright.runtime import codec
from statewright.runtime.definition import Definition
from statewright.runtime.model import Instance, Record, Timer, Work

MIGRATION_DATA = "migration"
"""The `data` member of a migration record that holds what it carries (canonical JSON text)."""


def carried(record: Record) -> dict[str, Any]:
    """What a migration record carries (`migration_commit`), decoded; ValueError when malformed."""
    text = record.data.get(MIGRATION_DATA)
    if not isinstance(text, str):
        raise ValueError("the record carries no migration data")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the migration data is not an object")
    return data


def resumed(
    definition: Definition, first: Record, record: Record, audit_key: str
) -> tuple[Instance, tuple[Timer, ...], tuple[Work, ...]]:
    """The snapshot, timers and owed work a migration record leaves (replay starts from it under NEW).

    `first` is the log's first record (its start time is the instance's); raises
    ValueError when the record was migrated to another definition or is malformed.
    """
    data = carried(record)
    target = data["to"]
    if target["definition"] != definition.identity:
        raise ValueError(
            f"the instance was migrated to definition {str(target['definition'])[:19]}…, "
            f"not this one ({definition.identity[:19]}…)"
        )
    votes = {str(k): tuple(codec.vote_from(v) for v in items) for k, items in dict(data["votes"]).items()}
    instance = Instance(
        record.instance,
        definition.name,
        target["version"],
        record.target,
        dict(record.context),
        record.status,
        record.seq,
        first.at_ms,
        record.at_ms,
        record.stamp,
        votes,
        {str(k): int(v) for k, v in dict(data["attempts"]).items()},
        {str(k): str(v) for k, v in dict(data["work"]).items()},
        definition.identity,
        audit_key,
    )
    timers = tuple(Timer(**t) for t in data["timers"])
    owed = tuple(Work(**w) for w in data["owed"])
    return instance, timers, owed
