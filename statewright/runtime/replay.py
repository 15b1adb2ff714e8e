"""Replay an instance's audit log through the engine and check that it rebuilds the same records.

Each record says what caused its step (the event and request, the timer, the
work result, a control action). Replaying feeds those causes, in order, to the
pure step functions over an in-memory store, which keeps the timers and work the
recomputed steps create, and compares every recomputed record with the stored
one, field for field and stamp for stamp. The result is the rebuilt instance:
the same state and context as stored, or a `ReplayError` naming the first
record that differs.

A log with a `migration` record (`runtime/migrate.py`) is replayed under the
definition it was migrated to from its last such record on: that record carries
the snapshot, timers and owed work it left, and the records before it belong to
an older definition (their stamps still chain, which `run verify` checks).
"""

from __future__ import annotations

from collections.abc import Sequence

from statewright.runtime import engine, operations
from statewright.runtime.audit import AuditKey, key_id, keyed
from statewright.runtime.definition import Definition
from statewright.runtime.engine import Request, Step
from statewright.runtime.errors import LOG_DOES_NOT_REPLAY, WorkflowError
from statewright.runtime.memory import MemoryStore
from statewright.runtime.migration_record import resumed
from statewright.runtime.model import Instance, Record
from statewright.runtime.store import Store


class ReplayError(WorkflowError):
    """A recomputed record differs from the stored one (or could not be recomputed): SW973."""

    code = LOG_DOES_NOT_REPLAY

    def __init__(self, seq: int, detail: str) -> None:
        super().__init__(f"audit record {seq} does not replay: {detail}")
        self.seq = seq
        self.detail = detail


def replay(
    definition: Definition, records: Sequence[Record], seed: int = 0, key: AuditKey | None = None
) -> Instance:
    """Rebuild an instance from its audit log; raises `ReplayError` at the first difference.

    With `key` the recomputed records are stamped on the keyed chain (`runtime.audit`),
    as the runtime that wrote them did.
    """
    if not records:
        raise ReplayError(0, "the log is empty")
    store = MemoryStore()
    instance: Instance | None = None
    last = max((i for i, r in enumerate(records) if r.kind == "migration"), default=None)
    if last is not None:
        moved = records[last]
        try:
            instance, timers, owed = resumed(definition, records[0], moved, key_id(key))
        except (ValueError, KeyError, TypeError) as error:
            raise ReplayError(moved.seq, f"its migration cannot be resumed: {error}") from None
        store.restore(instance, moved, timers, owed)
        records = records[last + 1 :]
    for record in records:
        step = _recompute(definition, store, instance, record, seed)
        if step is None:
            raise ReplayError(record.seq, f"its {record.kind} step no longer applies")
        commit = step.commit if key is None else keyed(step.commit, key)
        if commit.record != record:
            raise ReplayError(record.seq, _difference(commit.record, record))
        store.apply(commit)
        instance = commit.instance
    assert instance is not None
    return instance


def check(
    definition: Definition, store: Store, instance_id: str, seed: int = 0, key: AuditKey | None = None
) -> Instance:
    """Replay a stored instance's log and check that it ends where the store says it is."""
    rebuilt = replay(definition, store.records(instance_id), seed, key)
    stored = store.load(instance_id)
    if rebuilt != stored:
        raise ReplayError(stored.version, "the rebuilt instance differs from the stored one")
    return rebuilt


def _recompute(
    definition: Definition, store: MemoryStore, instance: Instance | None, record: Record, seed: int
) -> Step | None:
    at = record.at_ms
    request = Request(
        record.actor,
        record.granted,
        record.request_scope,
        dict(record.evidence),
        record.key,
        record.delegate_to,
    )
    if record.kind == "start" or instance is None:
        return engine.start(definition, record.instance, record.inputs, at, request)
    if record.kind == "event":
        assert record.event is not None
        if record.outcome == "invalid" and record.reason is not None:
            return engine.refused_payload(definition, instance, record.event, at, request, record.reason)
        return engine.send(definition, instance, record.event, at, request, record.data)
    if record.kind in ("always", "completion"):
        return engine.settle(definition, instance, at)
    if record.kind in ("pause", "resume", "cancel"):
        return engine.control(definition, instance, record.kind, at, request)
    if record.kind in ("reroute", "rollback", "redrive"):
        return _repair(definition, instance, record, request)
    if record.timer is not None:
        timer = next((t for t in store.timers(instance.id) if t.key == record.timer), None)
        return None if timer is None else engine.fire(definition, instance, timer, at)
    if record.work is not None:
        work = next((w for w in store.work(instance.id) if w.key == record.work), None)
        if work is None:
            return None
        failure, message = record.failure, record.message
        if failure == engine.RESULT_INVALID:  # the bad result is not kept: its failure replays as reported
            return engine.finish(definition, instance, work, failure, at, seed, message=message)
        return engine.finish(definition, instance, work, failure, at, seed, record.result, message)
    return None


def _repair(definition: Definition, instance: Instance, record: Record, request: Request) -> Step | None:
    """An operator's repair (`runtime/operations.py`) recomputed from what its record keeps."""
    at, reason, given = record.at_ms, record.reason or "", record.inputs
    try:
        if record.kind == "reroute":
            return operations.reroute(definition, instance, str(given.get("to")), at, request, reason)
        if record.kind == "rollback":
            saga = given.get("saga")
            return operations.rollback(definition, instance, at, request, reason, str(saga) if saga else None)
        state, key = str(given.get("state")), record.work or ""
        return operations.redrive(definition, instance, state, key, at, request, reason)
    except WorkflowError as error:
        raise ReplayError(record.seq, f"its {record.kind} is refused on replay: {error}") from None


def _difference(recomputed: Record, stored: Record) -> str:
    for name in Record.__dataclass_fields__:
        if getattr(recomputed, name) != getattr(stored, name):
            return (
                f"`{name}` is {getattr(recomputed, name)!r} on replay, {getattr(stored, name)!r} in the log"
            )
    return "the records differ"
