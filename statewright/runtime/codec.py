"""Runtime values to and from canonical JSON, and the audit stamp chain.

Context values keep their exact type through JSON: ints, bools and strings are
themselves; a `Decimal` becomes `{"$decimal": "12.50"}`. Canonical JSON (sorted
keys, no spaces, UTF-8) makes the audit stamp, SHA-256 over the previous stamp
and the record, the same on every machine.

The `*_json` functions write the same canonical text as `dumps(*_data(...))`,
byte for byte, but by hand for the common case (the shapes the engine builds);
anything unusual (a subclass, a value of the wrong type) takes the general path,
so the two can never disagree. A step's record is encoded once: `seal` stamps it
and returns the stored text too, and `remember`/`recall` hand that text from the
engine to the store for the same (immutable) record object.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import json.encoder
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from statewright.ir import Value
from statewright.runtime.model import Instance, Record, Timer, Vote, Work

if TYPE_CHECKING:
    from statewright.runtime.audit import AuditKey

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


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def dumps(data: Any) -> str:
    """Canonical JSON text: what `json.dumps` writes with sorted keys, no spaces, UTF-8 unescaped."""
    return _ENCODER.encode(data)


# --------------------------------------------------------------------------- records


def record_data(record: Record) -> dict[str, Any]:
    """A record as JSON data (every field, the context encoded); built by hand, as `asdict` is slow.

    `data`, `result` and `message` (issue 17's evidence) appear only when the record has
    them, so the JSON and stamp of every record without them are what they always were.
    """
    data: dict[str, Any] = {
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
    if record.data:  # written only when present, so records without data keep their stamps
        data["data"] = encode_context(record.data)
    if record.result:
        data["result"] = encode_context(record.result)
    if record.message is not None:
        data["message"] = record.message
    return data


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
            data=decode_context(data.get("data", {})),
            result=decode_context(data.get("result", {})),
            message=_optional_text(data.get("message")),
            stamp=str(data["stamp"]),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not an audit record: {exc}") from exc


def _optional_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"`message` is {type(value).__name__}, not text")


def _digest(text: str, key: AuditKey | None) -> str:
    """SHA-256 of `text` on the plain chain, HMAC-SHA256 under `key` on a keyed one (`runtime.audit`)."""
    if key is None:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    return key.digest(text)


def stamp(previous: str, record: Record, key: AuditKey | None = None) -> str:
    """The audit stamp of `record`: SHA-256 (HMAC under `key`) of the previous stamp and the record's JSON.

    The JSON is the record's canonical JSON with an empty `stamp` (the field it is about to fill).
    """
    halves = _record_halves(record)
    if halves is None:
        body = record_data(record)
        body["stamp"] = ""
        return _digest(previous + dumps(body), key)
    head, tail = halves
    return _digest(previous + head + '""' + tail, key)


def seal(previous: str, record: Record, key: AuditKey | None = None) -> tuple[str, str]:
    """The stamp `record` gets on a chain ending in `previous`, and the record's canonical JSON with it.

    The engine stamps a record and the store writes its text from this one encoding;
    with `key`, the stamp is on the keyed chain (`runtime.audit`).
    """
    halves = _record_halves(record)
    if halves is None:
        body = record_data(record)
        body["stamp"] = ""
        digest = _digest(previous + dumps(body), key)
        body["stamp"] = digest
        return digest, dumps(body)
    head, tail = halves
    digest = _digest(previous + head + '""' + tail, key)
    return digest, f'{head}"{digest}"{tail}'


def record_json(record: Record) -> str:
    """The record's canonical JSON, `dumps(record_data(record))`, as a store keeps it."""
    halves = _record_halves(record)
    if halves is None or record.stamp.__class__ is not str:
        return dumps(record_data(record))
    return f"{halves[0]}{_quote(record.stamp)}{halves[1]}"


def verify_chain(records: list[Record], key: AuditKey | None = None) -> int | None:
    """Return the `seq` of the first record whose stamp or numbering is wrong, or None if the chain holds.

    Without `key` the stamps are checked as the plain SHA-256 chain, with it as the keyed chain.
    """
    previous = GENESIS
    for expected, record in enumerate(records, start=1):
        if record.seq != expected or not hmac.compare_digest(record.stamp, stamp(previous, record, key)):
            return record.seq
        previous = record.stamp
    return None


# --------------------------------------------------------------------------- instances, timers, work


def instance_data(instance: Instance) -> dict[str, Any]:
    """An instance snapshot as JSON data (`definition` and `audit_key` only when set)."""
    data: dict[str, Any] = {
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
            level: [vote_data(vote) for vote in votes] for level, votes in sorted(instance.votes.items())
        },
        "attempts": dict(sorted(instance.attempts.items())),
        "work": dict(sorted(instance.work.items())),
    }
    if instance.definition:
        data["definition"] = instance.definition
    if instance.audit_key:
        data["audit_key"] = instance.audit_key
    return data


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
                str(level): tuple(vote_from(vote) for vote in votes) for level, votes in data["votes"].items()
            },
            attempts={str(name): int(count) for name, count in data["attempts"].items()},
            work={str(name): str(key) for name, key in data.get("work", {}).items()},
            definition=str(data.get("definition", "")),
            audit_key=str(data.get("audit_key", "")),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"not an instance: {exc}") from exc


def vote_data(vote: Vote) -> list[Any]:
    """A vote as JSON data: `[actor, decision]`, plus `[approvers, to]` when it names them."""
    if not vote.approvers and vote.to is None:
        return [vote.actor, vote.decision]
    return [vote.actor, vote.decision, list(vote.approvers), vote.to]


def vote_from(data: Any) -> Vote:
    """A vote from `vote_data`'s form (a snapshot written before votes named approvers has two items)."""
    if len(data) == 2:
        return Vote(str(data[0]), data[1])
    actor, decision, approvers, to = data
    return Vote(str(actor), decision, tuple(str(a) for a in approvers), None if to is None else str(to))


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


def instance_json(instance: Instance) -> str:
    """The snapshot's canonical JSON, `dumps(instance_data(instance))`."""
    i = instance
    try:
        votes = i.votes
        version = i.workflow_version
        created, updated, count = i.created_ms, i.updated_ms, i.version
        if created.__class__ is not int or updated.__class__ is not int or count.__class__ is not int:
            raise _IrregularError
        audit = f'"audit_key":{_quote(i.audit_key)},' if i.audit_key else ""
        definition = f'"definition":{_quote(i.definition)},' if i.definition else ""
        return (
            f'{{"active":{_strings(i.active)},"attempts":{_counts(i.attempts)},{audit}'
            f'"context":{_context(i.context)},"created_ms":{created},{definition}"id":{_quote(i.id)},'
            f'"stamp":{_quote(i.stamp)},"status":{_quote(i.status)},"updated_ms":{updated},'
            f'"version":{count},"votes":{"{}" if votes == {} else _votes(votes)},'
            f'"work":{_names(i.work)},"workflow":{_quote(i.workflow)},'
            f'"workflow_version":{"null" if version is None else _int(version)}}}'
        )
    except Exception:  # anything unusual: the general path encodes it (or raises what it raises)
        return dumps(instance_data(instance))


def timer_json(timer: Timer) -> str:
    """The timer's canonical JSON, `dumps(timer_data(timer))`."""
    t = timer
    try:
        transition, due = t.transition, t.due_ms
        if due.__class__ is not int:
            raise _IrregularError
        return (
            f'{{"due_ms":{due},"instance":{_quote(t.instance)},"key":{_quote(t.key)},'
            f'"kind":{_quote(t.kind)},"state":{_quote(t.state)},'
            f'"transition":{"null" if transition is None else _int(transition)}}}'
        )
    except Exception:
        return dumps(timer_data(timer))


def work_json(work: Work) -> str:
    """The work item's canonical JSON, `dumps(work_data(work))`."""
    w = work
    try:
        return (
            f'{{"action":{_quote(w.action)},"attempt":{_int(w.attempt)},"instance":{_quote(w.instance)},'
            f'"key":{_quote(w.key)},"kind":{_quote(w.kind)},"seq":{_int(w.seq)},'
            f'"service":{_maybe(w.service)},"state":{_maybe(w.state)}}}'
        )
    except Exception:
        return dumps(work_data(work))


# --------------------------------------------------------------------------- the encoded text of a record

_TEXTS: dict[int, tuple[object, str]] = {}
_TEXTS_MAX = 1024


def remember(value: object, text: str) -> None:
    """Keep the canonical JSON of an immutable value the caller just encoded, for `recall`.

    Only the latest few are kept; each is found by identity, so a copy (or a
    `dataclasses.replace` of it) is encoded afresh.
    """
    if len(_TEXTS) >= _TEXTS_MAX:
        _TEXTS.clear()
    _TEXTS[id(value)] = (value, text)


def recall(value: object) -> str | None:
    """The text `remember` kept for this very object (and forget it), or None."""
    found = _TEXTS.pop(id(value), None)
    if found is None or found[0] is not value:
        return None
    return found[1]


# --------------------------------------------------------------------------- hand-written canonical JSON

_quote: Callable[[str], str] = json.encoder.encode_basestring
"""A JSON string, exactly as `json.dumps(..., ensure_ascii=False)` writes it (TypeError if not a str)."""


class _IrregularError(Exception):
    """A value the hand-written encoder does not handle; the general path encodes it."""


def _int(value: object) -> str:
    if value.__class__ is not int:
        raise _IrregularError
    return int.__repr__(value)


def _maybe(value: str | None) -> str:
    return "null" if value is None else _quote(value)


def _strings(values: Iterable[str]) -> str:
    return "[" + ",".join(map(_quote, values)) + "]"


def _value(value: Value) -> str:
    kind = value.__class__
    if kind is str:
        return _quote(value)  # type: ignore[arg-type]
    if kind is int:
        return int.__repr__(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is Decimal and value.is_finite():  # type: ignore[union-attr]
        return '{"$decimal":' + _quote(format(value, "f")) + "}"
    raise _IrregularError


def _context(context: Mapping[str, Value]) -> str:
    if context == {}:
        return "{}"
    return "{" + ",".join([f"{_quote(name)}:{_value(context[name])}" for name in sorted(context)]) + "}"


def _names(mapping: Mapping[str, str]) -> str:
    items = mapping.items()  # as `dict(sorted(mapping.items()))` reads it
    if not items:
        return "{}"
    return "{" + ",".join([f"{_quote(name)}:{_quote(value)}" for name, value in sorted(items)]) + "}"


def _counts(mapping: Mapping[str, int]) -> str:
    items = mapping.items()
    if not items:
        return "{}"
    return "{" + ",".join([f"{_quote(name)}:{_int(value)}" for name, value in sorted(items)]) + "}"


def _votes(votes: Mapping[str, tuple[Vote, ...]]) -> str:
    parts = []
    for level, cast in sorted(votes.items()):
        decisions = ",".join([_vote(vote) for vote in cast])
        parts.append(f"{_quote(level)}:[{decisions}]")
    return "{" + ",".join(parts) + "}"


def _vote(vote: Vote) -> str:
    if not vote.approvers and vote.to is None:
        return f"[{_quote(vote.actor)},{_quote(vote.decision)}]"
    to = "null" if vote.to is None else _quote(vote.to)
    return f"[{_quote(vote.actor)},{_quote(vote.decision)},{_strings(vote.approvers)},{to}]"


def _guards(guards: Iterable[tuple[str, bool]]) -> str:
    parts = []
    for text, held in guards:
        if held is not True and held is not False:
            raise _IrregularError
        parts.append(f"[{_quote(text)},{'true' if held else 'false'}]")
    return "[" + ",".join(parts) + "]"


def _record_halves(record: Record) -> tuple[str, str] | None:
    """The record's canonical JSON before and after the value of its `stamp` field; None if unusual."""
    r = record
    q = _quote
    if r.data or r.result or r.message is not None:
        return None  # the general path writes these optional fields
    try:
        actor, decision, delegate, event, failure = r.actor, r.decision, r.delegate_to, r.event, r.failure
        key, reason, request_scope, scope = r.key, r.reason, r.request_scope, r.scope
        timer, transition, work = r.timer, r.transition, r.work
        granted, permissions, evidence = r.granted, r.permissions, r.evidence
        at_ms, seq = r.at_ms, r.seq
        if at_ms.__class__ is not int or seq.__class__ is not int:
            return None
        head = (
            f'{{"actor":{"null" if actor is None else q(actor)},"at_ms":{at_ms},'
            f'"context":{_context(r.context)},"decision":{"null" if decision is None else q(decision)},'
            f'"delegate_to":{"null" if delegate is None else q(delegate)},'
            f'"event":{"null" if event is None else q(event)},'
            f'"evidence":{"{}" if evidence == {} else _names(evidence)},'
            f'"failure":{"null" if failure is None else q(failure)},'
            f'"granted":{"[]" if granted == () else _strings(granted)},'
            f'"guards":{"[]" if r.guards == () else _guards(r.guards)},'
            f'"inputs":{"{}" if r.inputs == {} else _context(r.inputs)},"instance":{q(r.instance)},'
            f'"key":{"null" if key is None else q(key)},"kind":{q(r.kind)},"outcome":{q(r.outcome)},'
            f'"permissions":{"[]" if permissions == () else _strings(permissions)},'
            f'"reason":{"null" if reason is None else q(reason)},'
            f'"request_scope":{"null" if request_scope is None else q(request_scope)},'
            f'"scope":{"null" if scope is None else q(scope)},"seq":{seq},'
            f'"source":{_strings(r.source)},"stamp":'
        )
        tail = (
            f',"status":{q(r.status)},"target":{_strings(r.target)},'
            f'"timer":{"null" if timer is None else q(timer)},'
            f'"transition":{"null" if transition is None else _int(transition)},'
            f'"work":{"null" if work is None else q(work)}}}'
        )
    except Exception:  # anything unusual: the caller takes the general path
        return None
    return head, tail
