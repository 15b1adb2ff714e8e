"""The default durable store: one SQLite file that several processes may share.

Every `apply` is one `BEGIN IMMEDIATE` transaction that writes the instance row
(with an optimistic version check), its audit record (whose idempotency key a
unique index guards), timer changes and owed work, or nothing. The file is in
WAL mode with `synchronous=FULL`, so a committed step survives a crash of the
process (and of the machine), and a busy timeout lets two processes write it.

Schema (version 1); every `data` column holds canonical JSON from `codec`:

- `meta(key, value)`: `application = statewright-store`, `schema = 1`.
- `instances(pos, id UNIQUE, version, data)`: `pos` (the rowid) is creation order.
- `records(instance, seq, key, data)`: primary key `(instance, seq)`; a partial
  unique index on `(instance, key)` where `key IS NOT NULL` holds the idempotency keys.
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast, get_args

from statewright.runtime import codec
from statewright.runtime.errors import ConcurrentUpdate, StoreError, UnknownInstance
from statewright.runtime.model import Commit, Instance, Record, Timer, TimerKind, Work, WorkKind

APPLICATION = "statewright-store"
"""The `meta` table's `application` value: this file is a statewright store."""
SCHEMA_VERSION = 1
"""The store schema this code reads and writes (`meta.schema`)."""
APPLICATION_ID = 0x53577374
"""SQLite's header `application_id` of a store ("SWst"), so tools like `file` can tell it apart."""
BUSY_TIMEOUT_S = 10.0
"""How long a writer waits for another process's transaction before giving up."""

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
    strays = [timer.key for timer in commit.timers if timer.instance != instance.id]
    strays += [item.key for item in commit.work if item.instance != instance.id]
    if strays:
        raise ValueError(f"timers or work {strays} of the commit belong to another instance")
    try:
        instance_text = codec.dumps(codec.instance_data(instance))
        record_text = codec.dumps(codec.record_data(record))
        timers = tuple((timer, codec.dumps(codec.timer_data(timer))) for timer in commit.timers)
        work = tuple((item, codec.dumps(codec.work_data(item))) for item in commit.work)
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


# --------------------------------------------------------------------------- the store


class SQLiteStore:
    """A `Store` in one SQLite file (WAL, `synchronous=FULL`), safe to share between processes.

    Use it as a context manager (or call `close()`). `batch()` applies several
    commits in one transaction. One store object may be used from several
    threads (calls are serialized); each process opens its own.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self._where = f"store `{path}`"
        self._lock = threading.RLock()
        self._depth = 0
        self._conn: sqlite3.Connection | None = None
        if str(path) == ":memory:":
            self._conn = self._connect()
            self._conn.execute("PRAGMA journal_mode=WAL")
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
            conn.execute("PRAGMA synchronous=FULL")
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
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            try:
                yield conn
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read {self._where}: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction (`BEGIN IMMEDIATE`), or a savepoint inside an open batch: all or nothing."""
        with self._lock:
            conn = self._connection()
            depth = self._depth
            savepoint = f"sw_{depth}"
            try:
                conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot write {self._where}: {exc}") from exc
            self._depth = depth + 1
            try:
                yield conn
                conn.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")
            except BaseException as exc:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        if depth == 0:
                            conn.execute("ROLLBACK")
                        else:
                            conn.execute(f"ROLLBACK TO {savepoint}")
                            conn.execute(f"RELEASE {savepoint}")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"cannot write {self._where} (nothing was applied): {exc}") from exc
                raise
            finally:
                self._depth = depth

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Apply several commits in one transaction: all of them, or (if the block raises) none.

        Inside the block each `apply` is still atomic on its own (a savepoint), so a
        caught `ConcurrentUpdate` leaves the batch's other commits in place. Reads
        in the block see the batch's writes. Batches nest.
        """
        with self._transaction():
            yield

    # ------------------------------------------------------------------ writing

    def apply(self, commit: Commit) -> None:
        """Apply one step atomically; `expected_version` 0 creates the instance.

        Raises `ConcurrentUpdate` if the stored version differs, the instance already
        exists on creation, or the record's idempotency key was applied before;
        `UnknownInstance` if the instance to update does not exist; `StoreError` if the
        store cannot be written; ValueError for a malformed commit. Nothing changes on error.
        """
        encoded = encode_commit(commit)
        instance, record = commit.instance, commit.record
        with self._transaction() as conn:
            if record.key is not None:
                found = conn.execute(
                    "SELECT seq FROM records WHERE instance = ? AND key = ?", (instance.id, record.key)
                ).fetchone()
                if found is not None:
                    raise ConcurrentUpdate(
                        f"idempotency key `{record.key}` was already applied to instance `{instance.id}` "
                        f"(record {found[0]})"
                    )
            if commit.expected_version == 0:
                if conn.execute("SELECT 1 FROM instances WHERE id = ?", (instance.id,)).fetchone():
                    raise ConcurrentUpdate(f"instance `{instance.id}` already exists")
                conn.execute(
                    "INSERT INTO instances (id, version, data) VALUES (?, ?, ?)",
                    (instance.id, instance.version, encoded.instance),
                )
            else:
                cursor = conn.execute(
                    "UPDATE instances SET version = ?, data = ? WHERE id = ? AND version = ?",
                    (instance.version, encoded.instance, instance.id, commit.expected_version),
                )
                if cursor.rowcount != 1:
                    row = conn.execute(
                        "SELECT version FROM instances WHERE id = ?", (instance.id,)
                    ).fetchone()
                    if row is None:
                        raise UnknownInstance(f"no instance `{instance.id}` in {self._where}")
                    raise ConcurrentUpdate(
                        f"instance `{instance.id}` is at version {row[0]}, not {commit.expected_version}"
                    )
            conn.execute(
                "INSERT INTO records (instance, seq, key, data) VALUES (?, ?, ?, ?)",
                (instance.id, record.seq, record.key, encoded.record),
            )
            conn.executemany(
                "DELETE FROM timers WHERE instance = ? AND key = ?",
                [(instance.id, key) for key in commit.cancel_timers],
            )
            conn.executemany(
                "INSERT INTO timers (instance, key, due_ms, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (instance, key) DO UPDATE SET due_ms = excluded.due_ms, data = excluded.data",
                [(instance.id, timer.key, timer.due_ms, text) for timer, text in encoded.timers],
            )
            conn.executemany(
                "UPDATE work SET done = 1 WHERE instance = ? AND key = ? AND done = 0",
                [(instance.id, key) for key in commit.done_work],
            )
            for item, text in encoded.work:
                conn.execute("DELETE FROM work WHERE instance = ? AND key = ?", (instance.id, item.key))
                conn.execute(
                    "INSERT INTO work (instance, key, data) VALUES (?, ?, ?)", (instance.id, item.key, text)
                )

    def finish_work(self, instance_id: str, key: str) -> None:
        """Mark owed work done outside a step (a `do` handler returned); unknown keys are ignored."""
        with self._transaction() as conn:
            conn.execute(
                "UPDATE work SET done = 1 WHERE instance = ? AND key = ? AND done = 0", (instance_id, key)
            )

    def drop_timer(self, instance_id: str, key: str) -> None:
        """Remove a timer that no longer applies (its state was left); unknown keys are ignored."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM timers WHERE instance = ? AND key = ?", (instance_id, key))

    # ------------------------------------------------------------------ reading

    def load(self, instance_id: str) -> Instance:
        """Return the stored snapshot; raises `UnknownInstance`."""
        with self._reading() as conn:
            row = conn.execute("SELECT version, data FROM instances WHERE id = ?", (instance_id,)).fetchone()
        if row is None:
            raise UnknownInstance(f"no instance `{instance_id}` in {self._where}")
        return read_instance(row[1], self._where, instance_id, row[0])

    def instances(self) -> Sequence[Instance]:
        """Every stored instance, oldest first."""
        with self._reading() as conn:
            rows = conn.execute("SELECT id, version, data FROM instances ORDER BY pos").fetchall()
        return [read_instance(data, self._where, name, version) for name, version, data in rows]

    def records(self, instance_id: str) -> Sequence[Record]:
        """The instance's audit log in `seq` order (empty for an unknown instance)."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT seq, data FROM records WHERE instance = ? ORDER BY seq", (instance_id,)
            ).fetchall()
        return [read_record(data, self._where, instance_id, seq) for seq, data in rows]

    def find_key(self, instance_id: str, key: str) -> Record | None:
        """The record an idempotency key was first applied with, if any."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT seq, data FROM records WHERE instance = ? AND key = ?", (instance_id, key)
            ).fetchone()
        return None if row is None else read_record(row[1], self._where, instance_id, row[0])

    def timers(self, instance_id: str | None = None) -> Sequence[Timer]:
        """Pending timers (of one instance, or all), earliest first (then by instance and key)."""
        with self._reading() as conn:
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
        with self._reading() as conn:
            if instance_id is None:
                rows = conn.execute("SELECT data FROM work WHERE done = 0 ORDER BY pos").fetchall()
            else:
                rows = conn.execute(
                    "SELECT data FROM work WHERE done = 0 AND instance = ? ORDER BY pos", (instance_id,)
                ).fetchall()
        return [decode(data, "work item", work_from, self._where) for (data,) in rows]

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
