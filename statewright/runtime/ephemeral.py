"""The store behind an in-memory machine: the latest snapshot, timers and owed work, and no audit log.

An in-memory machine (`machine.Machine`) is an object in one process, like a
`transitions` or python-statemachine model: it is not durable and keeps no
audit log, which is what lets its pure moves cost one dict lookup. This store
gives the engine what a step needs (the snapshot with optimistic versions,
idempotency keys, timers, work) without encoding anything, and lets the
machine write back the leaf its pure moves reached (`move`). Use `MemoryStore`
or `SQLiteStore` with a `Workflow` for audited instances.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from statewright.runtime.errors import ConcurrentUpdate, InstanceExists, StoreError, UnknownInstance
from statewright.runtime.model import Commit, Instance, Record, Timer, Work

_WHERE = "the in-memory machine's store"


class EphemeralStore:
    """A `Store` that keeps only what the next step needs (snapshots are immutable, so shared)."""

    def __init__(self) -> None:
        self._instances: dict[str, Instance] = {}
        self._keys: dict[tuple[str, str], Record] = {}
        self._timers: dict[tuple[str, str], Timer] = {}
        self._work: dict[tuple[str, str], Work] = {}
        self._last: dict[str, Record] = {}
        self._closed = False

    def apply(self, commit: Commit) -> None:
        """Apply one step; the same version and key checks as the durable stores, nothing half done."""
        instance, record = commit.instance, commit.record
        self._open()
        if record.key is not None and (instance.id, record.key) in self._keys:
            raise ConcurrentUpdate(f"idempotency key `{record.key}` was already applied to `{instance.id}`")
        stored = self._instances.get(instance.id)
        if commit.expected_version == 0:
            if stored is not None:
                raise InstanceExists.of(instance.id)
        elif stored is None:
            raise UnknownInstance(f"no instance `{instance.id}` in {_WHERE}")
        elif stored.version != commit.expected_version:
            raise ConcurrentUpdate(
                f"instance `{instance.id}` is at version {stored.version}, not {commit.expected_version}"
            )
        self._instances[instance.id] = instance
        self._last[instance.id] = record
        if record.consumed_key is not None:
            self._keys[instance.id, record.consumed_key] = record
        for key in commit.cancel_timers:
            self._timers.pop((instance.id, key), None)
        for timer in commit.timers:
            self._timers[instance.id, timer.key] = timer
        for key in commit.done_work:
            self._work.pop((instance.id, key), None)
        for item in commit.work:
            self._work.pop((instance.id, item.key), None)
            self._work[instance.id, item.key] = item

    def move(self, instance_id: str, leaf: str) -> Instance:
        """Record that pure moves left the instance in `leaf` (nothing else about it changed)."""
        instance = self.load(instance_id)
        if instance.active != (leaf,):
            instance = replace(instance, active=(leaf,))
            self._instances[instance_id] = instance
        return instance

    def retime(self, instance_id: str, cancel: tuple[str, ...], start: tuple[Timer, ...]) -> None:
        """Record a timed move's timer changes: `cancel` removed first, then `start` set."""
        timers = self._timers
        for key in cancel:
            timers.pop((instance_id, key), None)
        for timer in start:
            timers[instance_id, timer.key] = timer

    def load(self, instance_id: str) -> Instance:
        """The latest snapshot; raises `UnknownInstance`."""
        found = self._instances.get(instance_id)
        if found is None:
            self._open()  # a closed store holds no instance: say it is closed
            raise UnknownInstance(f"no instance `{instance_id}` in {_WHERE}")
        return found

    def instances(self) -> Sequence[Instance]:
        """Every instance, oldest first."""
        self._open()
        return list(self._instances.values())

    def records(self, instance_id: str) -> Sequence[Record]:
        """Always empty: an in-memory machine keeps no audit log."""
        self._open()
        return ()

    def last_record(self, instance_id: str) -> Record | None:
        """The record of the instance's latest engine step (pure moves make none), if any."""
        self._open()
        return self._last.get(instance_id)

    def find_key(self, instance_id: str, key: str) -> Record | None:
        """The record an idempotency key was applied with, if any."""
        self._open()
        return self._keys.get((instance_id, key))

    def timers(self, instance_id: str | None = None) -> Sequence[Timer]:
        """Pending timers, earliest first."""
        self._open()
        found = [t for t in self._timers.values() if instance_id in (None, t.instance)]
        return sorted(found, key=lambda t: (t.due_ms, t.instance, t.key))

    def work(self, instance_id: str | None = None) -> Sequence[Work]:
        """Owed work in creation order."""
        self._open()
        if instance_id is None:
            return list(self._work.values())
        return [w for w in self._work.values() if w.instance == instance_id]

    def finish_work(self, instance_id: str, key: str) -> None:
        """Mark owed work done; unknown keys are ignored."""
        self._open()
        self._work.pop((instance_id, key), None)

    def drop_timer(self, instance_id: str, key: str) -> None:
        """Remove a timer; unknown keys are ignored."""
        self._open()
        self._timers.pop((instance_id, key), None)

    def close(self) -> None:
        """Drop everything; later calls raise `StoreError`."""
        self._closed = True
        self._instances.clear()

    def _open(self) -> None:
        if self._closed:
            raise StoreError(f"{_WHERE} is closed")
