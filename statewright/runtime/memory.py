"""An in-memory store with the SQLite store's semantics, for tests and short-lived runs.

It keeps instances and records as the same canonical JSON the SQLite store
writes (so a value read back never shares state with the caller's, and a commit
that would not survive the database fails here too), checks versions and
idempotency keys the same way, and applies a commit completely or not at all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType

from statewright.runtime import codec
from statewright.runtime.errors import ConcurrentUpdate, InstanceExists, StoreError, UnknownInstance
from statewright.runtime.model import Commit, Instance, Record, Timer, Work
from statewright.runtime.sqlite import encode_commit, read_instance, read_record

_WHERE = "the memory store"


@dataclass(slots=True)
class _State:
    instances: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Instance id -> (version, JSON), in creation order."""
    records: dict[str, list[str]] = field(default_factory=dict)
    keys: dict[tuple[str, str], int] = field(default_factory=dict)
    """(instance, idempotency key) -> the seq of the applied record that used it up."""
    timers: dict[tuple[str, str], Timer] = field(default_factory=dict)
    work: dict[tuple[str, str], Work] = field(default_factory=dict)
    """Owed work only, in creation order (done work is dropped)."""


@dataclass(frozen=True, slots=True)
class _Snapshot:
    instances: dict[str, tuple[int, str]]
    lengths: dict[str, int]
    keys: dict[tuple[str, str], int]
    timers: dict[tuple[str, str], Timer]
    work: dict[tuple[str, str], Work]


class MemoryStore:
    """A `Store` held in memory: atomic, versioned, append-only, with `batch()` like `SQLiteStore`."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._state = _State()
        self._closed = False

    def copy(self) -> MemoryStore:
        """An independent store holding the same data (for exploring several futures of one instance)."""
        with self._lock:
            state = self._open()
            twin = MemoryStore()
            twin._state = _State(
                dict(state.instances),
                {instance: list(lines) for instance, lines in state.records.items()},
                dict(state.keys),
                dict(state.timers),
                dict(state.work),
            )
            return twin

    # ------------------------------------------------------------------ writing

    def restore(
        self, instance: Instance, record: Record, timers: Sequence[Timer], work: Sequence[Work]
    ) -> None:
        """Hold an instance as a log left it at `record` (its last), with its timers and owed work.

        For a replay that resumes from a migration record (`runtime/replay.py`), whose
        earlier records belong to an older definition. Raises `InstanceExists` if held.
        """
        with self._lock:
            state = self._open()
            if instance.id in state.instances:
                raise InstanceExists.of(instance.id)
            state.instances[instance.id] = (instance.version, codec.instance_json(instance))
            state.records[instance.id] = [codec.record_json(record)]
            for timer in timers:
                state.timers[instance.id, timer.key] = timer
            for item in work:
                state.work[instance.id, item.key] = item

    def apply(self, commit: Commit) -> None:
        """Apply one step atomically; `expected_version` 0 creates the instance.

        Raises `ConcurrentUpdate` if the stored version differs, the instance already
        exists on creation, or the record's idempotency key was applied before;
        `UnknownInstance` if the instance to update does not exist; ValueError for a
        malformed commit. Nothing changes on error.
        """
        encoded = encode_commit(commit)
        instance, record = commit.instance, commit.record
        with self._lock:
            state = self._open()
            if record.key is not None:
                seq = state.keys.get((instance.id, record.key))
                if seq is not None:
                    raise ConcurrentUpdate(
                        f"idempotency key `{record.key}` was already applied to instance `{instance.id}` "
                        f"(record {seq})"
                    )
            stored = state.instances.get(instance.id)
            if commit.expected_version == 0:
                if stored is not None:
                    raise InstanceExists.of(instance.id)
            elif stored is None:
                raise UnknownInstance(f"no instance `{instance.id}` in {_WHERE}")
            elif stored[0] != commit.expected_version:
                raise ConcurrentUpdate(
                    f"instance `{instance.id}` is at version {stored[0]}, not {commit.expected_version}"
                )
            # Nothing below can fail: the commit is encoded and checked.
            state.instances[instance.id] = (instance.version, encoded.instance)
            state.records.setdefault(instance.id, []).append(encoded.record)
            if record.consumed_key is not None:
                state.keys[instance.id, record.consumed_key] = record.seq
            for key in commit.cancel_timers:
                state.timers.pop((instance.id, key), None)
            for timer, _ in encoded.timers:
                state.timers[instance.id, timer.key] = timer
            for key in commit.done_work:
                state.work.pop((instance.id, key), None)
            for item, _ in encoded.work:
                state.work.pop((instance.id, item.key), None)
                state.work[instance.id, item.key] = item

    def finish_work(self, instance_id: str, key: str) -> None:
        """Mark owed work done outside a step (a `do` handler returned); unknown keys are ignored."""
        with self._lock:
            self._open().work.pop((instance_id, key), None)

    def drop_timer(self, instance_id: str, key: str) -> None:
        """Remove a timer that no longer applies (its state was left); unknown keys are ignored."""
        with self._lock:
            self._open().timers.pop((instance_id, key), None)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Apply several commits together: all of them, or (if the block raises) none; batches nest.

        Other threads wait until the batch ends.
        """
        with self._lock:
            state = self._open()
            snapshot = _Snapshot(
                dict(state.instances),
                {name: len(records) for name, records in state.records.items()},
                dict(state.keys),
                dict(state.timers),
                dict(state.work),
            )
            try:
                yield
            except BaseException:
                self._restore(snapshot)
                raise

    def _restore(self, snapshot: _Snapshot) -> None:
        state = self._state
        state.instances = snapshot.instances
        for name in list(state.records):
            if name in snapshot.lengths:
                del state.records[name][snapshot.lengths[name] :]
            else:
                del state.records[name]
        state.keys = snapshot.keys
        state.timers = snapshot.timers
        state.work = snapshot.work

    # ------------------------------------------------------------------ reading

    def _open(self) -> _State:
        if self._closed:
            raise StoreError(f"{_WHERE} is closed")
        return self._state

    def load(self, instance_id: str) -> Instance:
        """Return the stored snapshot; raises `UnknownInstance`."""
        with self._lock:
            stored = self._open().instances.get(instance_id)
        if stored is None:
            raise UnknownInstance(f"no instance `{instance_id}` in {_WHERE}")
        return read_instance(stored[1], _WHERE, instance_id, stored[0])

    def instances(self) -> Sequence[Instance]:
        """Every stored instance, oldest first."""
        with self._lock:
            stored = list(self._open().instances.items())
        return [read_instance(text, _WHERE, name, version) for name, (version, text) in stored]

    def records(self, instance_id: str) -> Sequence[Record]:
        """The instance's audit log in `seq` order (empty for an unknown instance)."""
        with self._lock:
            stored = list(self._open().records.get(instance_id, ()))
        return [read_record(text, _WHERE, instance_id, seq) for seq, text in enumerate(stored, start=1)]

    def records_after(self, instance_id: str, seq: int) -> Sequence[Record]:
        """The instance's records after `seq` (only those are decoded: for readers following a log)."""
        with self._lock:
            stored = list(self._open().records.get(instance_id, ())[seq:])
        return [read_record(text, _WHERE, instance_id, n) for n, text in enumerate(stored, start=seq + 1)]

    def find_key(self, instance_id: str, key: str) -> Record | None:
        """The record an idempotency key was first applied with, if any."""
        with self._lock:
            state = self._open()
            seq = state.keys.get((instance_id, key))
            if seq is None:
                return None
            text = state.records[instance_id][seq - 1]
        return read_record(text, _WHERE, instance_id, seq)

    def timers(self, instance_id: str | None = None) -> Sequence[Timer]:
        """Pending timers (of one instance, or all), earliest first (then by instance and key)."""
        with self._lock:
            timers = [t for t in self._open().timers.values() if instance_id in (None, t.instance)]
        return sorted(timers, key=lambda t: (t.due_ms, t.instance, t.key))

    def work(self, instance_id: str | None = None) -> Sequence[Work]:
        """Work owed and not yet done (of one instance, or all), in creation order."""
        with self._lock:
            return [w for w in self._open().work.values() if instance_id in (None, w.instance)]

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Drop the data; later calls raise `StoreError`. Closing twice is harmless."""
        with self._lock:
            self._closed = True
            self._state = _State()

    def __enter__(self) -> MemoryStore:
        """The store itself."""
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """Close the store."""
        self.close()
