"""The default durable store: one SQLite file that several processes may share.

Every `apply` is one `BEGIN IMMEDIATE` transaction that writes the instance row
(with an optimistic version check), its audit record (whose idempotency key a
unique index guards), timer changes and owed work, or nothing. The file is in
WAL mode with `synchronous=FULL` by default, so a committed step survives a
crash of the process and of the machine (power loss, kernel panic); with
`synchronous="NORMAL"` a committed step survives a crash of the process, but the
last commits before a machine crash may be lost (never half applied: the WAL
still rolls back or forward whole transactions). A busy timeout lets two
processes write the file. (`finish_all`, marking finished work done outside a
step, is not synced on its own under FULL: the next synced commit carries it.)

`batch()` is group commit: the steps applied inside it are checked one by one as
they are applied, but written together (the latest snapshot of each instance, every
audit record, the net timer and work changes) in one transaction when the batch
ends, so they become durable together, or not at all.

Schema (version 1); every `data` column holds canonical JSON from `codec`:

- `meta(key, value)`: `application = statewright-store`, `schema = 1`.
- `instances(pos, id UNIQUE, version, data)`: `pos` (the rowid) is creation order.
- `records(instance, seq, key, data)`: primary key `(instance, seq)`; a partial
  unique index on `(instance, key)` where `key IS NOT NULL` holds the idempotency keys
  applied steps used up (`key` is NULL on a refusal: its key stays in `data` only).
- `timers(instance, key, due_ms, data)`: primary key `(instance, key)`; indexed by `due_ms`.
- `work(pos, instance, key, done, data)`: unique `(instance, key)`; `pos` is creation
  order (owing a key again moves it to the end); done work is kept, flagged `done = 1`.

A file that is not such a store (not SQLite, another application's database, a
newer schema, damaged, or an empty file) raises `StoreError` (SW965); a missing
file is created (atomically: the schema is built in a temporary file that is then
linked into place, so a racing process never sees a half-made store).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeAlias, TypeVar, cast, get_args

from statewright.runtime import codec
from statewright.runtime.errors import ConcurrentUpdate, InstanceExists, StoreError, UnknownInstance
from statewright.runtime.model import Commit, Instance, Record, Timer, TimerKind, Work, WorkKind, quick_init

APPLICATION = "statewright-store"
"""The `meta` table's `application` value: this file is a statewright store."""
SCHEMA_VERSION = 1
"""The store schema this code reads and writes (`meta.schema`)."""
APPLICATION_ID = 0x53577374
"""SQLite's header `application_id` of a store ("SWst"), so tools like `file` can tell it apart."""
BUSY_TIMEOUT_S = 10.0
"""How long a writer waits for another process's transaction before giving up."""
HELD_SNAPSHOTS = 1024
"""How many committed snapshots a store keeps decoded, so `load` of a current one decodes nothing."""
HELD_WORK = 4096
"""How many work items a store keeps decoded by their stored JSON."""

Synchronous: TypeAlias = Literal["FULL", "NORMAL"]
"""SQLite's `synchronous` level for a store in WAL mode: `FULL` syncs the log on every commit
(a committed step survives a machine crash); `NORMAL` syncs it only at checkpoints (a committed
step survives a process crash, the latest ones may be lost to a machine crash)."""

_HEADER = b"SQLite format 3\x00"
_TABLES = frozenset({"meta", "instances", "records", "timers", "work"})
_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE instances (pos INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL,"
    " data TEXT NOT NULL)",
    "CREATE TABLE records (instance TEXT NOT NULL, seq INTEGER NOT NULL, key TEXT, data TEXT NOT NULL,"
    " PRIMARY KEY (instance, seq)) WITHOUT ROWID",
    "CREATE UNIQUE INDEX records_key ON records (instance, key) WHERE key IS NOT NULL",
    "CREATE TABLE timers (instance TEXT NOT NULL, key TEXT NOT NULL, due_ms INTEGER NOT NULL,"
    " data TEXT NOT NULL, PRIMARY KEY (instance, key)) WITHOUT ROWID",
    "CREATE INDEX timers_due ON timers (due_ms, instance, key)",
    "CREATE TABLE work (pos INTEGER PRIMARY KEY, instance TEXT NOT NULL, key TEXT NOT NULL,"
    " done INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL, UNIQUE (instance, key))",
    "CREATE INDEX work_owed ON work (instance, pos) WHERE done = 0",
    "CREATE INDEX work_owed_all ON work (pos) WHERE done = 0",
)

_T = TypeVar("_T")


# --------------------------------------------------------------------------- encoding commits


@quick_init
@dataclass(frozen=True, slots=True)
class Encoded:
    """A commit checked and encoded as the canonical JSON a store keeps."""

    commit: Commit
    instance: str
    record: str
    timers: tuple[tuple[Timer, str], ...]
    work: tuple[tuple[Work, str], ...]


def encode_commit(commit: Commit) -> Encoded:
    """Check a commit's shape and encode it; raises ValueError (nothing is written) when it is malformed.

    The record must be the instance's next one (`record.seq == instance.version ==
    expected_version + 1`), and the record, timers and work must belong to the
    instance. Every context value must be one JSON carries back exactly (`codec.encode_value`).
    """
    instance, record = commit.instance, commit.record
    if commit.expected_version < 0:
        raise ValueError(f"expected_version must be >= 0, not {commit.expected_version}")
    if record.instance != instance.id:
        raise ValueError(f"the record belongs to `{record.instance}`, not to instance `{instance.id}`")
    if not record.seq == instance.version == commit.expected_version + 1:
        raise ValueError(
            f"a commit on version {commit.expected_version} must write record and version "
            f"{commit.expected_version + 1}, not record {record.seq} and version {instance.version}"
        )
    if commit.timers or commit.work:
        strays = [timer.key for timer in commit.timers if timer.instance != instance.id]
        strays += [item.key for item in commit.work if item.instance != instance.id]
        if strays:
            raise ValueError(f"timers or work {strays} of the commit belong to another instance")
    try:
        instance_text = codec.instance_json(instance)
        record_text = codec.recall(record) or codec.record_json(record)
        timers = tuple([(timer, codec.timer_json(timer)) for timer in commit.timers])
        work = tuple([(item, codec.work_json(item)) for item in commit.work])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the commit for instance `{instance.id}` does not encode: {exc}") from exc
    return Encoded(commit, instance_text, record_text, timers, work)


def _field(data: Any, name: str, kind: type[_T]) -> _T:
    value = data[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"`{name}` is {value!r}, not a {kind.__name__}")
    return value


def _maybe(data: Any, name: str, kind: type[_T]) -> _T | None:
    return None if data[name] is None else _field(data, name, kind)


def timer_from(data: Any) -> Timer:
    """A timer from JSON data (as `codec.timer_data` wrote it); raises ValueError otherwise."""
    try:
        kind = _field(data, "kind", str)
        if kind not in get_args(TimerKind):
            raise ValueError(f"`kind` is {kind!r}, not a timer kind")
        return Timer(
            instance=_field(data, "instance", str),
            key=_field(data, "key", str),
            due_ms=_field(data, "due_ms", int),
            kind=cast(TimerKind, kind),
            state=_field(data, "state", str),
            transition=_maybe(data, "transition", int),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a timer: {exc}") from exc


def work_from(data: Any) -> Work:
    """A work item from JSON data (as `codec.work_data` wrote it); raises ValueError otherwise."""
    try:
        kind = _field(data, "kind", str)
        if kind not in get_args(WorkKind):
            raise ValueError(f"`kind` is {kind!r}, not a work kind")
        return Work(
            instance=_field(data, "instance", str),
            key=_field(data, "key", str),
            action=_field(data, "action", str),
            kind=cast(WorkKind, kind),
            state=_maybe(data, "state", str),
            attempt=_field(data, "attempt", int),
            seq=_field(data, "seq", int),
            service=_maybe(data, "service", str),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a work item: {exc}") from exc


def decode(text: object, what: str, read: Callable[[Any], _T], where: str) -> _T:
    """Decode one stored JSON value with `read`; raises StoreError (the store is damaged) otherwise."""
    try:
        if not isinstance(text, str):
            raise ValueError(f"stored as {type(text).__name__}, not JSON text")
        return read(json.loads(text))
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise StoreError(f"{where}: a stored {what} does not decode ({exc}); the store is damaged") from exc


def detached(instance: Instance, *, as_stored: bool = False) -> Instance:
    """A copy of a snapshot that shares no mutable mapping with it (its values are immutable).

    What a store holds and what it returns are never shared with a caller, who may
    mutate a snapshot's dicts (`tests/runtime/test_stores.py`). `as_stored` orders
    each mapping as the stored row decodes (by key), so a held snapshot and the
    same row read afresh are alike down to their key order.
    """
    order = _by_key if as_stored else _copy
    return Instance(
        instance.id,
        instance.workflow,
        instance.workflow_version,
        instance.active,
        order(instance.context),
        instance.status,
        instance.version,
        instance.created_ms,
        instance.updated_ms,
        instance.stamp,
        order(instance.votes),
        order(instance.attempts),
        order(instance.work),
        instance.definition,
        instance.audit_key,
    )


_V = TypeVar("_V")


def _by_key(mapping: Mapping[str, _V]) -> dict[str, _V]:
    return dict(sorted(mapping.items()))


def _copy(mapping: Mapping[str, _V]) -> dict[str, _V]:
    return dict(mapping)


def read_instance(text: object, where: str, instance_id: str, version: int | None = None) -> Instance:
    """Decode a stored instance and check it is the one its row says."""
    instance = decode(text, "instance", codec.instance_from, where)
    if instance.id != instance_id or (version is not None and instance.version != version):
        raise StoreError(
            f"{where}: the row of instance `{instance_id}` holds `{instance.id}` version "
            f"{instance.version}; the store is damaged"
        )
    return instance


def read_record(text: object, where: str, instance_id: str, seq: int | None = None) -> Record:
    """Decode a stored record and check it is the one its row says."""
    record = decode(text, "audit record", codec.record_from, where)
    if record.instance != instance_id or (seq is not None and record.seq != seq):
        raise StoreError(
            f"{where}: the row of record {seq} of `{instance_id}` holds record {record.seq} of "
            f"`{record.instance}`; the store is damaged"
        )
    return record


_DELETE_TIMER = "DELETE FROM timers WHERE instance = ? AND key = ?"
_UPSERT_TIMER = (
    "INSERT INTO timers (instance, key, due_ms, data) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (instance, key) DO UPDATE SET due_ms = excluded.due_ms, data = excluded.data"
)
_FINISH_WORK = "UPDATE work SET done = 1 WHERE instance = ? AND key = ? AND done = 0"
_OWE_WORK = "INSERT OR REPLACE INTO work (instance, key, done, data) VALUES (?, ?, ?, ?)"
"""Owe work: a row owed (or done) under the key before is deleted and a new row inserted, so its
`pos` (a new rowid, past every other row's) puts it at the end."""
_PROBE_INSTANCE = "SELECT version, CASE WHEN version = ? THEN NULL ELSE data END FROM instances WHERE id = ?"
"""An instance's version, and its data only when that version is not the one given."""
_IN_LIST_MAX = 16
"""The most keys one `... key IN (...)` statement names (more are split over several)."""
_DELETE_TIMERS = tuple(
    f"DELETE FROM timers WHERE instance = ? AND key IN ({', '.join('?' * size)})"
    for size in range(1, _IN_LIST_MAX + 1)
)
"""`_DELETE_TIMERS[n - 1]` cancels n timers of one instance in one statement."""
_FINISH_WORKS = tuple(
    f"UPDATE work SET done = 1 WHERE instance = ? AND key IN ({', '.join('?' * size)}) AND done = 0"
    for size in range(1, _IN_LIST_MAX + 1)
)
"""`_FINISH_WORKS[n - 1]` marks n work items of one instance done in one statement."""


def _keyed_statements(
    conn: sqlite3.Connection, statements: tuple[str, ...], name: str, keys: Sequence[str]
) -> None:
    """Run one of `statements` (by how many keys) for `keys` of instance `name`, a chunk at a time."""
    for start in range(0, len(keys), _IN_LIST_MAX):
        chunk = keys[start : start + _IN_LIST_MAX]
        conn.execute(statements[len(chunk) - 1], (name, *chunk))


_Known: TypeAlias = tuple[
    dict[str, int | None], dict[str, tuple[int, str]], dict[tuple[str, str], tuple[int, str]]
]


@dataclass(slots=True)
class _Batch:
    """What an open batch has checked but not yet written, and what it knows of the file."""

    staged: list[Encoded] = field(default_factory=list)
    versions: dict[str, int | None] = field(default_factory=dict)
    """Instance id -> its version with the batch's commits (None: it does not exist)."""
    snapshots: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Instance id -> (version, JSON) of its latest snapshot in the batch."""
    keys: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    """(instance, idempotency key) -> (seq, JSON) of the batch's record that applied it."""
    failed: bool = False

    def bookkeeping(self) -> _Known:
        """A copy of what the batch knows (taken when an inner batch opens, with nothing staged)."""
        return dict(self.versions), dict(self.snapshots), dict(self.keys)

    def restore(self, saved: _Known) -> None:
        """Forget an inner batch: drop what it staged and go back to what was known when it opened."""
        self.staged = []
        self.versions, self.snapshots, self.keys = saved


# --------------------------------------------------------------------------- the store


class SQLiteStore:
    """A `Store` in one SQLite file (WAL, `synchronous=FULL` unless told otherwise), safe to share.

    Use it as a context manager (or call `close()`). `batch()` applies several
    commits in one transaction (group commit). One store object may be used from
    several threads (calls are serialized); each process opens its own.

    `synchronous` chooses what a committed step survives: `"FULL"` (the default)
    a crash of the machine, `"NORMAL"` a crash of the process only (the latest
    commits may be lost to a power cut; much faster on most disks).
    """

    def __init__(self, path: str | Path, synchronous: Synchronous = "FULL") -> None:
        if synchronous not in get_args(Synchronous):
            raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        self.path = path
        self.synchronous: Synchronous = synchronous
        self._where = f"store `{path}`"
        self._lock = threading.RLock()
        self._depth = 0
        self._batch: _Batch | None = None
        self._conn: sqlite3.Connection | None = None
        self._held: dict[str, Instance] = {}
        """Instance id -> a snapshot committed under its version (written here, or read and decoded):
        `load` returns it while the row's version is still that one, which proves it current."""
        self._decoded_work: dict[str, Work] = {}
        """A work item's stored JSON -> the item (decoding is a pure function of the text)."""
        if str(path) == ":memory:":
            self._conn = self._connect()
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={synchronous}")
            _create_schema(self._conn)
            return
        target = Path(path)
        if not target.exists():
            self._create_file(target)
        self._conn = self._open(target)

    # ------------------------------------------------------------------ opening

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {self._where}: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"cannot open {self._where}: {exc}") from exc
        return conn

    def _create_file(self, target: Path) -> None:
        """Build a new store in a temporary file, then link it into place unless another process won."""
        parent = target.parent
        if not parent.is_dir():
            raise StoreError(f"cannot create {self._where}: the directory `{parent}` does not exist")
        temporary = parent / f".{target.name}.{uuid.uuid4().hex}.creating"
        try:
            conn = sqlite3.connect(temporary, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                _create_schema(conn)
            finally:
                conn.close()
            try:
                os.link(temporary, target)
            except FileExistsError:
                pass  # another process created the store first; open theirs
            except OSError:
                if not target.exists():  # no hard links on this file system
                    os.replace(temporary, target)
            _sync_directory(parent)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot create {self._where}: {exc}") from exc
        finally:
            for leftover in ("", "-wal", "-shm", "-journal"):
                with suppress(OSError):
                    os.unlink(f"{temporary}{leftover}")

    def _open(self, target: Path) -> sqlite3.Connection:
        try:
            with target.open("rb") as file:
                header = file.read(len(_HEADER))
        except OSError as exc:
            raise StoreError(f"cannot read {self._where}: {exc}") from exc
        if not header:
            raise StoreError(f"{self._where} is an empty file, not a statewright store")
        if header != _HEADER:
            raise StoreError(f"{self._where} is not a SQLite database, so not a statewright store")
        conn = self._connect()
        try:
            self._check(conn)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"{self._where} is damaged or not a statewright store: {exc}") from exc
        except StoreError:
            conn.close()
            raise
        return conn

    def _check(self, conn: sqlite3.Connection) -> None:
        """Refuse another application's database, a newer schema, or a store missing its tables."""
        where = self._where
        (app_id,) = conn.execute("PRAGMA application_id").fetchone()
        if app_id not in (0, APPLICATION_ID):
            raise StoreError(f"{where} is another application's database (application_id {app_id:#x})")
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            what = "an empty SQLite database" if not tables else "another application's SQLite database"
            raise StoreError(f"{where} is {what} (no statewright `meta` table), not a statewright store")
        meta = {str(key): value for key, value in conn.execute("SELECT key, value FROM meta")}
        if meta.get("application") != APPLICATION:
            raise StoreError(
                f"{where} is another application's database (its `meta` table does not say "
                f"`application = {APPLICATION}`)"
            )
        schema = meta.get("schema")
        if not isinstance(schema, str) or not schema.isdigit() or int(schema) < 1:
            raise StoreError(f"{where} is damaged: its schema version is {schema!r}")
        if int(schema) > SCHEMA_VERSION:
            raise StoreError(
                f"{where} was written by a newer statewright (store schema {schema}; this version "
                f"reads schema {SCHEMA_VERSION}); upgrade statewright to open it"
            )
        missing = sorted(_TABLES - tables)
        if missing:
            raise StoreError(f"{where} is damaged: it lacks the tables {', '.join(missing)}")

    # ------------------------------------------------------------------ transactions

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self._where} is closed")
        return self._conn

    @contextmanager
    def _reading(self, flush: bool = False) -> Iterator[sqlite3.Connection]:
        """The connection for a read; `flush` first writes what an open batch holds back."""
        with self._lock:
            conn = self._connection()
            try:
                if flush and self._batch is not None:
                    self._flush(conn, self._batch)
                yield conn
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read {self._where}: {exc}") from exc

    def _begin(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write {self._where}: {exc}") from exc

    def _abandon(self, conn: sqlite3.Connection, exc: BaseException) -> StoreError | None:
        """Roll the open transaction back; the StoreError to raise for a SQLite error, else None."""
        with suppress(sqlite3.Error):  # (a closed connection has rolled back already)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            return StoreError(f"cannot write {self._where} (nothing was applied): {exc}")
        return None

    def _write_one(self, statement: str, parameters: tuple[Any, ...]) -> None:
        """One statement outside a step: its own transaction, or part of the open batch."""

        def in_batch(conn: sqlite3.Connection, batch: _Batch) -> None:
            self._flush(conn, batch)
            conn.execute(statement, parameters)

        self._write_or_stage(in_batch, lambda conn: conn.execute(statement, parameters))

    def _write_or_stage(
        self,
        in_batch: Callable[[sqlite3.Connection, _Batch], object],
        alone: Callable[[sqlite3.Connection], object],
        committed: Callable[[], object] | None = None,
    ) -> None:
        """Inside a batch, `in_batch`; otherwise `alone` in a transaction of its own (all or nothing).

        `committed` runs once `alone`'s transaction has committed (never inside a batch).
        """
        with self._lock:
            conn = self._connection()
            batch = self._batch
            if batch is not None:
                try:
                    in_batch(conn, batch)
                except sqlite3.Error as exc:
                    raise StoreError(f"cannot write {self._where}: {exc}") from exc
                return
            self._begin(conn)
            try:
                alone(conn)
                conn.execute("COMMIT")
            except BaseException as exc:
                error = self._abandon(conn, exc)
                if error is not None:
                    raise error from exc
                raise
            if committed is not None:
                committed()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Apply several commits in one transaction (group commit): all of them, or none.

        Each `apply` in the block is checked when it is made (version, idempotency
        key, shape) and raises there, so a caught `ConcurrentUpdate` drops only that
        commit; the accepted ones are written together when the batch ends, in one
        transaction: every audit record, the latest snapshot of each instance and
        the net timer and work changes. None of them is durable before the batch
        ends, and if it fails (the block raises, or the final write does) none is.
        Reads in the block see the batch's writes. Batches nest: an inner batch that
        raises drops only its own commits. Other threads wait until the batch ends.
        """
        with self._lock:
            conn = self._connection()
            outer = self._batch
            if outer is None:
                yield from self._outer_batch(conn)
            else:
                yield from self._inner_batch(conn, outer)

    def _outer_batch(self, conn: sqlite3.Connection) -> Iterator[None]:
        self._begin(conn)
        batch = self._batch = _Batch()
        self._depth = 1
        try:
            yield
            self._flush(conn, batch)
            conn.execute("COMMIT")
        except BaseException as exc:
            error = self._abandon(conn, exc)
            if error is not None:
                raise error from exc
            raise
        finally:
            self._batch = None
            self._depth = 0

    def _inner_batch(self, conn: sqlite3.Connection, batch: _Batch) -> Iterator[None]:
        depth = self._depth
        savepoint = f"sw_{depth}"
        try:
            self._flush(conn, batch)
            conn.execute(f"SAVEPOINT {savepoint}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write {self._where}: {exc}") from exc
        saved = batch.bookkeeping()
        self._depth = depth + 1
        try:
            yield
            self._flush(conn, batch)
            conn.execute(f"RELEASE {savepoint}")
        except BaseException as exc:
            batch.restore(saved)
            with suppress(sqlite3.Error):
                conn.execute(f"ROLLBACK TO {savepoint}")
                conn.execute(f"RELEASE {savepoint}")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot write {self._where} (nothing was applied): {exc}") from exc
            raise
        finally:
            self._depth = depth

    # ------------------------------------------------------------------ writing

    def apply(self, commit: Commit) -> None:
        """Apply one step atomically; `expected_version` 0 creates the instance.

        Raises `ConcurrentUpdate` if the stored version differs, the instance already
        exists on creation, or the record's idempotency key was applied before;
        `UnknownInstance` if the instance to update does not exist; `StoreError` if the
        store cannot be written; ValueError for a malformed commit. Nothing changes on error.
        Inside `batch()` the commit is checked now and written when the batch ends.
        """
        encoded = encode_commit(commit)
        self._write_or_stage(
            lambda conn, batch: self._stage(conn, batch, encoded),
            lambda conn: self._write(conn, encoded),
            lambda: self._hold(encoded),
        )

    def _hold(self, encoded: Encoded) -> None:
        """Keep a committed step's snapshot and work items decoded, for `load` and `work`.

        Only after its COMMIT: a rolled-back snapshot's version may later be committed
        with other content, by another process.
        """
        self._hold_instance(encoded.commit.instance)
        for item, text in encoded.work:
            self._hold_work(text, item)

    def _hold_instance(self, instance: Instance) -> None:
        held = self._held
        held.pop(instance.id, None)
        if len(held) >= HELD_SNAPSHOTS:
            del held[next(iter(held))]
        held[instance.id] = detached(instance, as_stored=True)

    def _hold_work(self, text: str, item: Work) -> None:
        decoded = self._decoded_work
        if len(decoded) >= HELD_WORK:
            del decoded[next(iter(decoded))]
        decoded[text] = item

    def _write(self, conn: sqlite3.Connection, encoded: Encoded) -> None:
        """Write one commit in the open transaction; raises (the caller rolls back) on a conflict."""
        commit = encoded.commit
        instance, record = commit.instance, commit.record
        name = instance.id
        if commit.expected_version == 0:
            try:
                conn.execute(
                    "INSERT INTO instances (id, version, data) VALUES (?, ?, ?)",
                    (name, instance.version, encoded.instance),
                )
            except sqlite3.IntegrityError:
                raise InstanceExists.of(name) from None
        else:
            cursor = conn.execute(
                "UPDATE instances SET version = ?, data = ? WHERE id = ? AND version = ?",
                (instance.version, encoded.instance, name, commit.expected_version),
            )
            if cursor.rowcount != 1:
                row = conn.execute("SELECT version FROM instances WHERE id = ?", (name,)).fetchone()
                if row is None:
                    raise UnknownInstance(f"no instance `{name}` in {self._where}")
                raise ConcurrentUpdate(
                    f"instance `{name}` is at version {row[0]}, not {commit.expected_version}"
                )
        consumed = record.consumed_key
        if consumed is None and record.key is not None:
            self._check_key(conn, name, record.key)  # a refusal under a used key: that request applied
        try:
            conn.execute(
                "INSERT INTO records (instance, seq, key, data) VALUES (?, ?, ?, ?)",
                (name, record.seq, consumed, encoded.record),
            )
        except sqlite3.IntegrityError:
            if consumed is not None:
                self._check_key(conn, name, consumed)
            raise
        if commit.cancel_timers:
            _keyed_statements(conn, _DELETE_TIMERS, name, commit.cancel_timers)
        timers = encoded.timers
        if timers:
            if len(timers) == 1:
                timer, text = timers[0]
                conn.execute(_UPSERT_TIMER, (name, timer.key, timer.due_ms, text))
            else:
                conn.executemany(
                    _UPSERT_TIMER, [(name, timer.key, timer.due_ms, text) for timer, text in timers]
                )
        if commit.done_work:
            _keyed_statements(conn, _FINISH_WORKS, name, commit.done_work)
        work = encoded.work
        if work:
            if len(work) == 1:
                item, text = work[0]
                conn.execute(_OWE_WORK, (name, item.key, 0, text))
            else:
                conn.executemany(_OWE_WORK, [(name, item.key, 0, text) for item, text in work])

    def _check_key(self, conn: sqlite3.Connection, name: str, key: str) -> None:
        """Raise `ConcurrentUpdate` if the idempotency key was applied to the instance (in the file)."""
        found = conn.execute("SELECT seq FROM records WHERE instance = ? AND key = ?", (name, key)).fetchone()
        if found is not None:
            raise ConcurrentUpdate(
                f"idempotency key `{key}` was already applied to instance `{name}` (record {found[0]})"
            )

    def _stage(self, conn: sqlite3.Connection, batch: _Batch, encoded: Encoded) -> None:
        """Check a commit inside a batch against the file and the batch, and hold it for the batch's write."""
        if batch.failed:
            raise StoreError(f"cannot write {self._where}: an earlier write of this batch failed")
        commit = encoded.commit
        instance, record = commit.instance, commit.record
        name = instance.id
        versions = batch.versions
        if name in versions:
            current = versions[name]
        else:
            row = conn.execute("SELECT version FROM instances WHERE id = ?", (name,)).fetchone()
            current = versions[name] = None if row is None else int(row[0])
        key = record.key
        if key is not None:
            held = batch.keys.get((name, key))
            if held is not None:
                raise ConcurrentUpdate(
                    f"idempotency key `{key}` was already applied to instance `{name}` (record {held[0]})"
                )
            if current is not None:
                self._check_key(conn, name, key)
        expected = commit.expected_version
        if expected == 0:
            if current is not None:
                raise InstanceExists.of(name)
        elif current is None:
            raise UnknownInstance(f"no instance `{name}` in {self._where}")
        elif current != expected:
            raise ConcurrentUpdate(f"instance `{name}` is at version {current}, not {expected}")
        batch.staged.append(encoded)
        versions[name] = instance.version
        batch.snapshots[name] = (instance.version, encoded.instance)
        if record.consumed_key is not None:
            batch.keys[name, record.consumed_key] = (record.seq, encoded.record)

    def _flush(self, conn: sqlite3.Connection, batch: _Batch) -> None:
        """Write the commits a batch holds, in its transaction; a failure fails the whole batch."""
        if batch.failed:
            raise StoreError(f"cannot write {self._where}: an earlier write of this batch failed")
        staged = batch.staged
        if not staged:
            return
        batch.staged = []
        try:
            self._write_all(conn, staged)
        except BaseException:
            batch.failed = True
            raise

    def _write_all(self, conn: sqlite3.Connection, staged: list[Encoded]) -> None:
        """Write checked commits as their net effect: what applying them one by one would leave."""
        first: dict[str, int] = {}
        """Instance id -> the version the batch found it at (0: the batch creates it)."""
        last: dict[str, Encoded] = {}
        records: list[tuple[str, int, str | None, str]] = []
        timers: dict[tuple[str, str], tuple[int, str] | None] = {}
        work: dict[tuple[str, str], list[Any]] = {}
        """(instance, key) -> [text, done] for work owed in the batch, or [None, 1] for work only finished."""
        for encoded in staged:
            commit = encoded.commit
            record = commit.record
            name = commit.instance.id
            if name not in first:
                first[name] = commit.expected_version
            last[name] = encoded
            records.append((name, record.seq, record.consumed_key, encoded.record))
            for key in commit.cancel_timers:
                timers[name, key] = None
            for timer, text in encoded.timers:
                timers[name, timer.key] = (timer.due_ms, text)
            for key in commit.done_work:
                entry = work.get((name, key))
                if entry is None:
                    work[name, key] = [None, 1]
                else:
                    entry[1] = 1
            for item, text in encoded.work:
                work.pop((name, item.key), None)  # owing a key again moves it to the end
                work[name, item.key] = [text, 0]
        created = [
            (name, e.commit.instance.version, e.instance) for name, e in last.items() if first[name] == 0
        ]
        updated = [
            (e.commit.instance.version, e.instance, name, first[name])
            for name, e in last.items()
            if first[name] != 0
        ]
        if created:
            conn.executemany("INSERT INTO instances (id, version, data) VALUES (?, ?, ?)", created)
        if updated:
            cursor = conn.executemany(
                "UPDATE instances SET version = ?, data = ? WHERE id = ? AND version = ?", updated
            )
            if cursor.rowcount != len(updated):
                raise StoreError(f"{self._where} changed under an open batch; nothing of it was applied")
        conn.executemany("INSERT INTO records (instance, seq, key, data) VALUES (?, ?, ?, ?)", records)
        if timers:
            dropped = [key for key, value in timers.items() if value is None]
            if dropped:
                conn.executemany(_DELETE_TIMER, dropped)
            kept = [(*key, *value) for key, value in timers.items() if value is not None]
            if kept:
                conn.executemany(_UPSERT_TIMER, kept)
        if work:
            finished = [key for key, (text, _) in work.items() if text is None]
            if finished:
                conn.executemany(_FINISH_WORK, finished)
            owed = [(*key, done, text) for key, (text, done) in work.items() if text is not None]
            if owed:
                conn.executemany(_OWE_WORK, owed)

    def finish_work(self, instance_id: str, key: str) -> None:
        """Mark owed work done outside a step (a `do` handler returned); unknown keys are ignored."""
        self._write_one(_FINISH_WORK, (instance_id, key))

    def finish_all(self, finished: Mapping[str, Sequence[str]]) -> None:
        """Mark owed work done outside a step, instance id -> keys, in one transaction (or the open batch).

        Under `synchronous=FULL` this transaction alone is not synced: it becomes
        durable with the next commit (which syncs the log, this one's pages
        included) or checkpoint. A mark is outbox bookkeeping, never a step: losing
        it to a power cut only runs those handlers again under their keys (work is
        at least once), and the log keeps its order, so no later commit survives
        without it. Every step's commit is still synced.
        """
        items = [(name, list(keys)) for name, keys in finished.items() if keys]
        if not items:
            return

        def mark(conn: sqlite3.Connection) -> None:
            for name, keys in items:
                _keyed_statements(conn, _FINISH_WORKS, name, keys)

        def in_batch(conn: sqlite3.Connection, batch: _Batch) -> None:
            self._flush(conn, batch)
            mark(conn)

        with self._lock:
            conn = self._connection()
            lazy = self._batch is None and self.synchronous == "FULL"
            if lazy:
                self._set_synchronous(conn, "NORMAL")
            try:
                self._write_or_stage(in_batch, mark)
            finally:
                if lazy:
                    self._set_synchronous(conn, "FULL")

    def _set_synchronous(self, conn: sqlite3.Connection, level: Synchronous) -> None:
        """Set the connection's `synchronous` level; if it cannot go back, close it: never kept weaker."""
        try:
            conn.execute(f"PRAGMA synchronous={level}")
        except sqlite3.Error as exc:
            if level == self.synchronous:
                self.close()
            raise StoreError(f"cannot write {self._where}: {exc}") from exc

    def drop_timer(self, instance_id: str, key: str) -> None:
        """Remove a timer that no longer applies (its state was left); unknown keys are ignored."""
        self._write_one(_DELETE_TIMER, (instance_id, key))

    # ------------------------------------------------------------------ reading

    def load(self, instance_id: str) -> Instance:
        """Return the stored snapshot; raises `UnknownInstance`."""
        with self._lock:  # as `_reading()` does, without a generator: every step of a run loads
            conn = self._connection()
            batch = self._batch
            held = None if batch is None else batch.snapshots.get(instance_id)
            if held is not None:
                return read_instance(held[1], self._where, instance_id, held[0])
            known = self._held.get(instance_id)
            try:
                if known is None:
                    row = conn.execute(
                        "SELECT version, data FROM instances WHERE id = ?", (instance_id,)
                    ).fetchone()
                else:  # the row's data only when its version is not the snapshot's at hand
                    row = conn.execute(_PROBE_INSTANCE, (known.version, instance_id)).fetchone()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read {self._where}: {exc}") from exc
            if row is None:
                raise UnknownInstance(f"no instance `{instance_id}` in {self._where}")
            if known is not None and row[0] == known.version:
                return detached(known)
            instance = read_instance(row[1], self._where, instance_id, row[0])
            if batch is None:
                self._hold_instance(instance)
            return instance

    def instances(self) -> Sequence[Instance]:
        """Every stored instance, oldest first."""
        with self._reading(flush=True) as conn:
            rows = conn.execute("SELECT id, version, data FROM instances ORDER BY pos").fetchall()
            held = self._held
            found: list[Instance] = []
            for name, version, data in rows:
                known = held.get(name)
                if known is None or known.version != version:
                    found.append(read_instance(data, self._where, name, version))
                else:
                    found.append(detached(known))
        return found

    def records(self, instance_id: str) -> Sequence[Record]:
        """The instance's audit log in `seq` order (empty for an unknown instance)."""
        with self._reading(flush=True) as conn:
            rows = conn.execute(
                "SELECT seq, data FROM records WHERE instance = ? ORDER BY seq", (instance_id,)
            ).fetchall()
        return [read_record(data, self._where, instance_id, seq) for seq, data in rows]

    def find_key(self, instance_id: str, key: str) -> Record | None:
        """The record an idempotency key was first applied with, if any."""
        with self._reading() as conn:
            batch = self._batch
            held = None if batch is None else batch.keys.get((instance_id, key))
            if held is not None:
                return read_record(held[1], self._where, instance_id, held[0])
            row = conn.execute(
                "SELECT seq, data FROM records WHERE instance = ? AND key = ?", (instance_id, key)
            ).fetchone()
        return None if row is None else read_record(row[1], self._where, instance_id, row[0])

    def timers(self, instance_id: str | None = None) -> Sequence[Timer]:
        """Pending timers (of one instance, or all), earliest first (then by instance and key)."""
        with self._reading(flush=True) as conn:
            if instance_id is None:
                rows = conn.execute("SELECT data FROM timers ORDER BY due_ms, instance, key").fetchall()
            else:
                rows = conn.execute(
                    "SELECT data FROM timers WHERE instance = ? ORDER BY due_ms, instance, key",
                    (instance_id,),
                ).fetchall()
        return [decode(data, "timer", timer_from, self._where) for (data,) in rows]

    def work(self, instance_id: str | None = None) -> Sequence[Work]:
        """Work owed and not yet done (of one instance, or all), in creation order."""
        with self._reading(flush=True) as conn:
            if instance_id is None:
                rows = conn.execute("SELECT data FROM work WHERE done = 0 ORDER BY pos").fetchall()
            else:
                rows = conn.execute(
                    "SELECT data FROM work WHERE done = 0 AND instance = ? ORDER BY pos", (instance_id,)
                ).fetchall()
            decoded = self._decoded_work
            items: list[Work] = []
            for (data,) in rows:
                item = decoded.get(data)
                if item is None:
                    item = decode(data, "work item", work_from, self._where)
                    self._hold_work(data, item)
                items.append(item)
        return items

    # ------------------------------------------------------------------ observing

    def set_trace_callback(self, callback: Callable[[str], object] | None) -> None:
        """Have SQLite call `callback` with the text of every statement the store runs (None: stop).

        For counting statements and commits (the benchmarks) and for debugging; it
        is `sqlite3.Connection.set_trace_callback` on the store's connection.
        """
        with self._lock:
            self._connection().set_trace_callback(callback)

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Release the file (an open batch is rolled back); closing twice is harmless."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                with suppress(sqlite3.Error):
                    conn.close()

    def __enter__(self) -> SQLiteStore:
        """The store itself."""
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """Close the store."""
        self.close()


def _create_schema(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            [("application", APPLICATION), ("schema", str(SCHEMA_VERSION))],
        )
        conn.execute("COMMIT")
    except BaseException:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


def _sync_directory(directory: Path) -> None:
    """Make a new directory entry durable (best effort; not every platform can open a directory)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
