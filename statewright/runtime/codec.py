"""Runtime values to and from canonical JSON, and the audit stamp chain.

Context values keep their exact type through JSON: ints, bools and strings are
themselves; a `Decimal` becomes `{"$decimal": "12.50"}`. Canonical JSON (sorted
keys, no spaces, UTF-8) makes the audit stamp, SHA-256 over the previous stamp
and the record, the same on every machine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from statewright.compiler.ir import Value
from statewright.runtime.model import Instance, Record, Timer, Vote, Work

GENESIS = "0" * 64
"""The stamp before an instance's first record."""


def encode_value(value: Value) -> Any:
    """A context value as JSON data; raises ValueError for anything that is not a context value."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite decimal: {value!r}")
        return {"$decimal": format(value, "f")}
    if isinstance(value, bool | int | str):
        return value
    raise ValueError(f"not a context value: {value!r}")


def decode_value(data: Any) -> Value:
    """A context value from JSON data; raises ValueError on anything else."""
    if isinstance(data, dict):
        text = data.get("$decimal")
        if not isinstance(text, str) or len(data) != 1:
            raise ValueError(f"not a context value: {data!r}")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal: {text!r}") from exc
        if not value.is_finite():
            raise ValueError(f"not a finite decimal: {text!r}")
        return value
    if isinstance(data, bool | int | str):
        return data
    raise ValueError(f"not a context value: {data!r}")


def encode_context(context: Mapping[str, Value]) -> dict[str, Any]:
    """A context as JSON data (keys sorted)."""
    return {name: encode_value(context[name]) for name in sorted(context)}


def decode_context(data: Any) -> dict[str, Value]:
    """A context from JSON data; raises ValueError when it is not one."""
    if not isinstance(data, dict):
        raise ValueError("a context is a JSON object")
    return {str(name): decode_value(value) for name, value in data.items()}


def dumps(data: Any) -> str:
    """Canonical JSON text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------- records


def record_data(record: Record) -> dict[str, Any]:
    """A record as JSON data (every field, the context encoded); built by hand, as `asdict` is slow."""
    return {
        "instance": record.instance,
        "seq": record.seq,
        "at_ms": record.at_ms,
        "kind": record.kind,
        "outcome": record.outcome,
        "source": list(record.source),
        "target": list(record.target),
        "context": encode_context(record.context),
        "status": record.status,
        "event": record.event,
        "transition": record.transition,
        "guards": [[text, held] for text, held in record.guards],
        "actor": record.actor,
        "permissions": list(record.permissions),
        "granted": list(record.granted),
        "scope": record.scope,
        "evidence": dict(sorted(record.evidence.items())),
        "key": record.key,
        "reason": record.reason,
        "decision": record.decision,
        "request_scope": record.request_scope,
        "delegate_to": record.delegate_to,
        "inputs": encode_context(record.inputs),
        "timer": record.timer,
        "work": record.work,
        "failure": record.failure,
        "stamp": record.stamp,
    }


def record_from(data: Any) -> Record:
    """A record from JSON data (as `record_data` wrote it); raises ValueError otherwise."""
    try:
        return Record(
            instance=str(data["instance"]),
            seq=int(data["seq"]),
            at_ms=int(data["at_ms"]),
            kind=data["kind"],
            outcome=data["outcome"],
            source=tuple(data["source"]),
            target=tuple(data["target"]),
            context=decode_context(data["context"]),
            status=data["status"],
            event=data["event"],
            transition=data["transition"],
            guards=tuple((str(text), bool(held)) for text, held in data["guards"]),
            actor=data["actor"],
            permissions=tuple(data["permissions"]),
            granted=tuple(data["granted"]),
            scope=data["scope"],
            evidence={str(k): str(v) for k, v in data["evidence"].items()},
            key=data["key"],
            reason=data["reason"],
            decision=data["decision"],
            request_scope=data.get("request_scope"),
            delegate_to=data.get("delegate_to"),
            inputs=decode_context(data.get("inputs", {})),
            timer=data.get("timer"),
            work=data.get("work"),
            failure=data.get("failure"),
            stamp=str(data["stamp"]),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not an audit record: {exc}") from exc


def stamp(previous: str, record: Record) -> str:
    """The audit stamp of `record`: SHA-256 of the previous stamp and the record's canonical JSON."""
    body = record_data(record)
    body["stamp"] = ""
    return hashlib.sha256((previous + dumps(body)).encode("utf-8")).hexdigest()


def verify_chain(records: list[Record]) -> int | None:
    """Return the `seq` of the first record whose stamp or numbering is wrong, or None if the chain holds."""
    previous = GENESIS
    for expected, record in enumerate(records, start=1):
        if record.seq != expected or record.stamp != stamp(previous, record):
            return record.seq
        previous = record.stamp
    return None


# --------------------------------------------------------------------------- instances, timers, work


def instance_data(instance: Instance) -> dict[str, Any]:
    """An instance snapshot as JSON data."""
    return {
        "id": instance.id,
        "workflow": instance.workflow,
        "workflow_version": instance.workflow_version,
        "active": list(instance.active),
        "context": encode_context(instance.context),
        "status": instance.status,
        "version": instance.version,
        "created_ms": instance.created_ms,
        "updated_ms": instance.updated_ms,
        "stamp": instance.stamp,
        "votes": {
            level: [[vote.actor, vote.decision] for vote in votes]
            for level, votes in sorted(instance.votes.items())
        },
        "attempts": dict(sorted(instance.attempts.items())),
        "work": dict(sorted(instance.work.items())),
    }


def instance_from(data: Any) -> Instance:
    """An instance snapshot from JSON data; raises ValueError otherwise."""
    try:
        return Instance(
            id=str(data["id"]),
            workflow=str(data["workflow"]),
            workflow_version=data["workflow_version"],
            active=tuple(str(name) for name in data["active"]),
            context=decode_context(data["context"]),
            status=data["status"],
            version=int(data["version"]),
            created_ms=int(data["created_ms"]),
            updated_ms=int(data["updated_ms"]),
            stamp=str(data["stamp"]),
            votes={
                str(level): tuple(Vote(str(actor), decision) for actor, decision in votes)
                for level, votes in data["votes"].items()
            },
            attempts={str(name): int(count) for name, count in data["attempts"].items()},
            work={str(name): str(key) for name, key in data.get("work", {}).items()},
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"not an instance: {exc}") from exc


def timer_data(timer: Timer) -> dict[str, Any]:
    """A timer as JSON data."""
    return {
        "instance": timer.instance,
        "key": timer.key,
        "due_ms": timer.due_ms,
        "kind": timer.kind,
        "state": timer.state,
        "transition": timer.transition,
    }


def work_data(work: Work) -> dict[str, Any]:
    """A work item as JSON data."""
    return {
        "instance": work.instance,
        "key": work.key,
        "action": work.action,
        "kind": work.kind,
        "state": work.state,
        "attempt": work.attempt,
        "seq": work.seq,
        "service": work.service,
    }
