"""The stores: atomic versioned commits, append-only records, idempotency keys, timers and work.

Most tests run against both `MemoryStore` and `SQLiteStore`; the rest cover the
SQLite file (foreign and damaged files, reopening, batches) and two processes:
a writer killed at random moments, and two writers racing on one instance.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeAlias, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statewright import ir
from statewright.ir import Value
from statewright.pipeline import compile_text
from statewright.runtime import codec
from statewright.runtime.definition import Definition
from statewright.runtime.errors import (
    ConcurrentUpdate,
    EventNotAllowed,
    EventRejected,
    StoreError,
    UnknownInstance,
)
from statewright.runtime.memory import MemoryStore
from statewright.runtime.model import Commit, Instance, Record, Timer, Vote, Work
from statewright.runtime.plan import accepts_values
from statewright.runtime.replay import check
from statewright.runtime.runner import Runtime
from statewright.runtime.sqlite import APPLICATION, SCHEMA_VERSION, SQLiteStore, Synchronous
from statewright.runtime.staging import staged_sets, staged_test
from statewright.runtime.store import Store
from statewright.semantics.values import apply_sets, holds, value_in_domain
from tests.runtime.commits import (
    HOUR_MS,
    NOTE,
    chain,
    count_of,
    created,
    incremented,
    timer_key,
    work_key,
)
from tests.semantics.typed_exprs import Scope, typed

AnyStore: TypeAlias = MemoryStore | SQLiteStore
ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("store_worker.py")


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnyStore]:
    """Each store, empty."""
    made: AnyStore = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "store.db")
    yield made
    made.close()


def apply_all(store: AnyStore, commits: list[Commit]) -> None:
    """Apply commits in order."""
    for commit in commits:
        store.apply(commit)


def everything(store: AnyStore, instance_id: str = "a") -> tuple[object, ...]:
    """All a store holds about one instance (and its lists of everything), to compare before and after."""
    try:
        loaded: Instance | None = store.load(instance_id)
    except UnknownInstance:
        loaded = None
    return (
        loaded,
        list(store.instances()),
        list(store.records(instance_id)),
        list(store.timers()),
        list(store.work()),
    )


def worker_env() -> dict[str, str]:
    """The environment for a worker process: the repository root importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


# --------------------------------------------------------------------------- both stores


def test_stores_satisfy_the_protocol(store: AnyStore) -> None:
    """Both stores are runtime-checkable `Store`s."""
    assert isinstance(store, Store)


def test_create_round_trips(store: AnyStore) -> None:
    """A created instance, its record, timer and work read back equal, Decimals and non-ASCII intact."""
    commit = created("a", key="first")
    store.apply(commit)
    loaded = store.load("a")
    assert loaded == commit.instance
    assert isinstance(loaded.context["total"], Decimal)
    assert str(loaded.context["total"]) == "0.00"
    assert loaded.context["note"] == NOTE
    assert loaded.context["flag"] is True
    assert list(store.instances()) == [commit.instance]
    assert list(store.records("a")) == [commit.record]
    assert store.find_key("a", "first") == commit.record
    assert list(store.timers("a")) == list(commit.timers)
    assert list(store.work("a")) == list(commit.work)


def test_steps_round_trip_and_chain(store: AnyStore) -> None:
    """After several increments the snapshot, gapless records, timers and work are the last commit's."""
    commits = chain("a", 6)
    apply_all(store, commits)
    loaded = store.load("a")
    records = list(store.records("a"))
    assert loaded == commits[-1].instance
    assert records == [commit.record for commit in commits]
    assert [record.seq for record in records] == list(range(1, 8))
    assert codec.verify_chain(records) is None
    assert loaded.version == len(records) and loaded.stamp == records[-1].stamp
    assert loaded.context["total"] == Decimal("7.50") and str(loaded.context["total"]) == "7.50"
    assert [timer.key for timer in store.timers("a")] == [timer_key(6)]
    assert [item.key for item in store.work("a")] == [work_key(6)]


def test_idempotency_keys_are_per_instance(store: AnyStore) -> None:
    """`find_key` returns the record a key was applied with, per instance; unknown keys are None."""
    apply_all(store, [created("a"), created("b")])
    first = incremented(store.load("a"), key="k")
    store.apply(first)
    assert store.find_key("a", "k") == first.record
    assert store.find_key("a", "other") is None
    assert store.find_key("b", "k") is None
    second = incremented(store.load("b"), key="k")
    store.apply(second)
    assert store.find_key("b", "k") == second.record
    assert store.find_key("a", "k") == first.record


def test_timers_upsert_cancel_and_order(store: AnyStore) -> None:
    """Timers list earliest first; a commit cancels keys, then sets (so cancel-and-set keeps the timer)."""
    apply_all(store, [created("a", now_ms=5_000), created("b", now_ms=1_000)])
    assert [(t.instance, t.key) for t in store.timers()] == [("b", timer_key(0)), ("a", timer_key(0))]
    assert [t.instance for t in store.timers("a")] == ["a"]
    store.apply(incremented(store.load("b"), now_ms=9_000))
    assert [(t.instance, t.key, t.due_ms) for t in store.timers()] == [
        ("a", timer_key(0), 5_000 + HOUR_MS),
        ("b", timer_key(1), 9_000 + HOUR_MS),
    ]
    store.apply(incremented(store.load("a"), now_ms=20_000, by=0))
    assert list(store.timers("a")) == [Timer("a", timer_key(0), 20_000 + HOUR_MS, "timeout", "counting", 0)]
    assert store.timers("missing") == []


def test_drop_timer_removes_only_that_timer(store: AnyStore) -> None:
    """`drop_timer` removes one stale timer outside a step, and ignores keys it does not know."""
    apply_all(store, [created("a"), created("b")])
    store.drop_timer("a", timer_key(0))
    store.drop_timer("a", "no-such-timer")
    assert [(t.instance, t.key) for t in store.timers()] == [("b", timer_key(0))]
    assert store.load("a").version == 1  # no record, no new version


def test_work_done_finish_and_reowe(store: AnyStore) -> None:
    """Work lists in creation order; done or finished keys vanish; owing a key again lists it last."""
    apply_all(store, [created("a"), created("b")])
    assert [(w.instance, w.key) for w in store.work()] == [("a", work_key(0)), ("b", work_key(0))]
    store.apply(incremented(store.load("a"), by=0))
    assert [(w.instance, w.key, w.seq) for w in store.work()] == [
        ("b", work_key(0), 1),
        ("a", work_key(0), 2),
    ]
    store.finish_work("a", work_key(0))
    store.finish_work("a", "no-such-key")
    store.finish_work("missing", work_key(0))
    assert [(w.instance, w.key) for w in store.work()] == [("b", work_key(0))]
    store.apply(incremented(store.load("a"), by=0))
    assert [(w.instance, w.key, w.seq) for w in store.work()] == [
        ("b", work_key(0), 1),
        ("a", work_key(0), 3),
    ]
    store.apply(incremented(store.load("b")))
    assert [(w.instance, w.key) for w in store.work("b")] == [("b", work_key(1))]
    assert isinstance(store.work("b")[0], Work)


def test_stale_version_conflicts_and_changes_nothing(store: AnyStore) -> None:
    """A commit computed from an older version raises `ConcurrentUpdate` (SW967) and changes nothing."""
    commits = chain("a", 2)
    apply_all(store, commits)
    before = everything(store)
    stale = incremented(commits[1].instance, key="late")
    with pytest.raises(ConcurrentUpdate) as info:
        store.apply(stale)
    assert info.value.code.code == "SW967"
    assert "version 3, not 2" in str(info.value)
    assert everything(store) == before
    assert store.find_key("a", "late") is None


def test_creating_an_existing_instance_conflicts(store: AnyStore) -> None:
    """Creating an instance whose id exists raises `ConcurrentUpdate` and keeps the first one."""
    first = created("a", now_ms=1_000)
    store.apply(first)
    before = everything(store)
    with pytest.raises(ConcurrentUpdate, match="already exists"):
        store.apply(created("a", now_ms=2_000, key="again"))
    assert everything(store) == before
    assert store.load("a") == first.instance


def test_duplicate_key_is_refused_atomically(store: AnyStore) -> None:
    """A second commit with an applied key fails whole: no instance change, record, timer or work of it."""
    apply_all(store, [created("a")])
    keyed = incremented(store.load("a"), key="pay-1")
    store.apply(keyed)
    before = everything(store)
    again = incremented(keyed.instance, key="pay-1")
    with pytest.raises(ConcurrentUpdate, match="pay-1"):
        store.apply(again)
    assert everything(store) == before
    assert store.load("a") == keyed.instance
    assert [record.seq for record in store.records("a")] == [1, 2]
    assert [timer.key for timer in store.timers("a")] == [timer_key(1)]
    assert [item.key for item in store.work("a")] == [work_key(1)]
    assert store.find_key("a", "pay-1") == keyed.record
    store.apply(replace(again, record=replace(again.record, key="pay-2")))
    assert store.load("a").version == 3


def test_unknown_instance(store: AnyStore) -> None:
    """A missing id raises `UnknownInstance` (SW964) on load and on update; it has no records."""
    with pytest.raises(UnknownInstance) as info:
        store.load("missing")
    assert info.value.code.code == "SW964"
    with pytest.raises(UnknownInstance):
        store.apply(incremented(created("missing").instance))
    assert store.records("missing") == []
    assert store.instances() == []
    assert store.find_key("missing", "k") is None


def test_returned_values_are_not_shared(store: AnyStore) -> None:
    """Mutating a committed or returned value's dicts or lists never changes what the store holds."""
    commit = created("a")
    store.apply(commit)
    cast(dict[str, Any], commit.instance.context)["count"] = 99
    loaded = store.load("a")
    assert loaded.context["count"] == 0
    cast(dict[str, Any], loaded.context)["count"] = 42
    cast(dict[str, Any], loaded.work).clear()
    record = store.records("a")[0]
    cast(dict[str, Any], record.context)["note"] = "changed"
    cast(dict[str, Any], record.inputs).clear()
    listed = store.instances()
    cast(list[Instance], listed).clear()
    timers = store.timers()
    cast(list[Timer], timers).clear()
    assert store.load("a").context["count"] == 0
    assert store.load("a").work == {"counting": work_key(0)}
    assert store.records("a")[0].context["note"] == NOTE
    assert store.records("a")[0].inputs == {"note": NOTE}
    assert len(store.instances()) == 1 and len(store.timers()) == 1
    assert store.load("a") is not store.load("a")


def _wrong_seq(commit: Commit) -> Commit:
    return replace(commit, record=replace(commit.record, seq=5))


def _other_instance_record(commit: Commit) -> Commit:
    return replace(commit, record=replace(commit.record, instance="b"))


def _stray_timer(commit: Commit) -> Commit:
    return replace(commit, timers=(replace(commit.timers[0], instance="b"),))


def _float_context(commit: Commit) -> Commit:
    context = {**commit.instance.context, "count": cast(Any, 1.5)}
    return replace(commit, instance=replace(commit.instance, context=context))


def _nan_decimal(commit: Commit) -> Commit:
    context = {**commit.record.context, "total": Decimal("NaN")}
    return replace(commit, record=replace(commit.record, context=context))


@pytest.mark.parametrize(
    "spoil", [_wrong_seq, _other_instance_record, _stray_timer, _float_context, _nan_decimal]
)
def test_malformed_commits_are_refused(store: AnyStore, spoil: Callable[[Commit], Commit]) -> None:
    """A commit out of sequence, mixing instances, or holding values JSON cannot keep raises ValueError."""
    with pytest.raises(ValueError):
        store.apply(spoil(created("a")))
    assert store.instances() == [] and store.timers() == [] and store.work() == []


def test_batch_is_all_or_nothing(store: AnyStore) -> None:
    """A batch that raises leaves nothing; one that ends applies every commit; its reads see its writes."""
    commits = chain("a", 3)
    with pytest.raises(RuntimeError), store.batch():
        apply_all(store, commits[:2])
        assert store.load("a") == commits[1].instance
        raise RuntimeError("abandon")
    assert everything(store) == (None, [], [], [], [])
    with pytest.raises(ConcurrentUpdate), store.batch():
        store.apply(commits[0])
        store.apply(commits[0])
    assert everything(store) == (None, [], [], [], [])
    with store.batch():
        apply_all(store, commits)
    assert store.load("a") == commits[-1].instance
    assert len(store.records("a")) == 4


def test_batch_keeps_other_commits_when_a_conflict_is_caught(store: AnyStore) -> None:
    """Inside a batch each apply is atomic: a caught conflict drops only that commit."""
    commits = chain("a", 2)
    with store.batch():
        store.apply(commits[0])
        with pytest.raises(ConcurrentUpdate):
            store.apply(commits[2])
        with store.batch():
            store.apply(commits[1])
        with pytest.raises(RuntimeError), store.batch():
            store.apply(commits[2])
            raise RuntimeError("inner batch abandoned")
    assert store.load("a") == commits[1].instance
    assert [record.seq for record in store.records("a")] == [1, 2]


def test_closed_store_refuses_use(store: AnyStore) -> None:
    """After `close()` every call raises `StoreError`; closing again is harmless."""
    store.apply(created("a"))
    store.close()
    store.close()
    with pytest.raises(StoreError) as info:
        store.load("a")
    assert info.value.code.code == "SW965"
    with pytest.raises(StoreError):
        store.apply(created("b"))


# --------------------------------------------------------------------------- the SQLite file


def test_new_store_file_layout(tmp_path: Path) -> None:
    """A new store file is WAL, marked with the application and schema, and leaves no temporary files."""
    path = tmp_path / "new.db"
    with SQLiteStore(path) as store:
        store.apply(created("a"))
    assert sorted(os.listdir(tmp_path)) == ["new.db"]
    conn = sqlite3.connect(path)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        assert meta == {"application": APPLICATION, "schema": str(SCHEMA_VERSION)}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT id, version FROM instances").fetchall() == [("a", 1)]
    finally:
        conn.close()


def test_data_survives_close_and_reopen(tmp_path: Path) -> None:
    """Everything applied is read back the same after closing and reopening the file."""
    path = tmp_path / "store.db"
    commits = chain("a", 4)
    with SQLiteStore(path) as store:
        apply_all(store, commits)
        store.apply(created("b"))
        store.finish_work("b", work_key(0))
        store.apply(incremented(store.load("a"), key="late"))
        before = everything(store)
    with SQLiteStore(str(path)) as store:
        assert everything(store) == before
        assert store.find_key("a", "late") is not None
        assert [i.id for i in store.instances()] == ["a", "b"]
        assert store.work("b") == []


def test_in_memory_database() -> None:
    """`:memory:` gives a working private store."""
    with SQLiteStore(":memory:") as store:
        apply_all(store, chain("a", 2))
        assert store.load("a").version == 3


def _random_bytes(path: Path) -> None:
    path.write_bytes(random.Random(7).randbytes(8192))


def _empty_file(path: Path) -> None:
    path.write_bytes(b"")


def _sqlite_with(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def _other_tables(path: Path) -> None:
    _sqlite_with(
        path,
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)",
        "INSERT INTO invoices VALUES (1, 'x')",
    )


def _empty_sqlite(path: Path) -> None:
    _sqlite_with(path, "PRAGMA user_version = 3")


def _other_meta(path: Path) -> None:
    _sqlite_with(
        path,
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
        "INSERT INTO meta VALUES ('application', 'acme-ledger'), ('schema', '1')",
    )


def _other_application_id(path: Path) -> None:
    _sqlite_with(path, "PRAGMA application_id = 1234", "CREATE TABLE meta (key TEXT, value TEXT)")


def _future_schema(path: Path) -> None:
    SQLiteStore(path).close()
    _sqlite_with(path, f"UPDATE meta SET value = '{SCHEMA_VERSION + 1}' WHERE key = 'schema'")


def _missing_table(path: Path) -> None:
    SQLiteStore(path).close()
    _sqlite_with(path, "DROP TABLE timers")


def _broken_header(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + random.Random(3).randbytes(4080))


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_random_bytes, "not a SQLite database"),
        (_empty_file, "empty file"),
        (_other_tables, "another application's SQLite database"),
        (_empty_sqlite, "an empty SQLite database"),
        (_other_meta, "another application's database"),
        (_other_application_id, "application_id 0x4d2"),
        (_future_schema, f"newer statewright (store schema {SCHEMA_VERSION + 1}"),
        (_missing_table, "lacks the tables timers"),
        (_broken_header, "damaged or not a statewright store"),
    ],
)
def test_foreign_files_are_refused_untouched(tmp_path: Path, make: Callable[[Path], None], says: str) -> None:
    """A file that is not a usable store raises `StoreError` (SW965) with a clear message, unchanged."""
    path = tmp_path / "foreign.db"
    make(path)
    content = path.read_bytes()
    with pytest.raises(StoreError) as info:
        SQLiteStore(path)
    assert info.value.code.code == "SW965"
    assert says in str(info.value)
    assert path.read_bytes() == content


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    """A store in a directory that does not exist raises `StoreError`, creating nothing."""
    with pytest.raises(StoreError, match="does not exist"):
        SQLiteStore(tmp_path / "nowhere" / "store.db")
    assert not (tmp_path / "nowhere").exists()


def test_directory_path_is_refused(tmp_path: Path) -> None:
    """A directory given as the store path raises `StoreError`, not an OS or sqlite3 error."""
    with pytest.raises(StoreError) as info:
        SQLiteStore(tmp_path)
    assert info.value.code.code == "SW965"


def read_everything(path: Path) -> None:
    """Open a store and read every instance with its records, timers and work."""
    with SQLiteStore(path) as store:
        for instance in store.instances():
            store.records(instance.id)
            store.load(instance.id)
        store.timers()
        store.work()


def test_damaged_pages_raise_store_error(tmp_path: Path) -> None:
    """A store whose pages after the first are overwritten raises `StoreError` (never a sqlite3 error)."""
    path = tmp_path / "store.db"
    with SQLiteStore(path) as store, store.batch():
        for name in ("a", "b", "c"):
            apply_all(store, chain(name, 60))
    read_everything(path)
    data = bytearray(path.read_bytes())
    assert len(data) > 4 * 4096
    data[4096:] = random.Random(11).randbytes(len(data) - 4096)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as info:
        read_everything(path)
    assert info.value.code.code == "SW965"


@pytest.mark.parametrize(
    ("table", "value", "read"),
    [
        ("instances", '{"id": "a"}', lambda store: store.load("a")),
        ("instances", "not json", lambda store: store.instances()),
        ("records", '{"seq": 1}', lambda store: store.records("a")),
        ("records", "[1, 2]", lambda store: store.find_key("a", "k0")),
        ("timers", '{"instance": "a", "key": 3}', lambda store: store.timers()),
        ("work", '{"kind": "sleep"}', lambda store: store.work("a")),
    ],
)
def test_undecodable_rows_raise_store_error(
    tmp_path: Path, table: str, value: str, read: Callable[[SQLiteStore], object]
) -> None:
    """A row whose JSON does not decode to its model value raises `StoreError` naming the damage."""
    path = tmp_path / "store.db"
    with SQLiteStore(path) as store:
        store.apply(created("a", key="k0"))
        read(store)
    _sqlite_with(path, f"UPDATE {table} SET data = '{value}'")
    with SQLiteStore(path) as store, pytest.raises(StoreError, match="damaged") as info:
        read(store)
    assert info.value.code.code == "SW965"


def test_row_holding_another_instance_is_damage(tmp_path: Path) -> None:
    """An instance row whose JSON is another instance's raises `StoreError`."""
    path = tmp_path / "store.db"
    with SQLiteStore(path) as store:
        apply_all(store, [created("a"), created("b")])
    _sqlite_with(
        path, "UPDATE instances SET data = (SELECT data FROM instances WHERE id = 'b') WHERE id = 'a'"
    )
    with SQLiteStore(path) as store, pytest.raises(StoreError, match="holds `b`"):
        store.load("a")


# --------------------------------------------------------------------------- processes


def check_counter(store: SQLiteStore, instance_id: str) -> tuple[Instance, list[Record]]:
    """Assert the counter's log is whole: gapless, chained, one increment per record, snapshot = head."""
    instance = store.load(instance_id)
    records = list(store.records(instance_id))
    assert [record.seq for record in records] == list(range(1, len(records) + 1))
    assert codec.verify_chain(records) is None
    assert instance.version == len(records)
    assert instance.stamp == records[-1].stamp
    assert instance.context == records[-1].context
    assert [record.context["count"] for record in records] == list(range(len(records)))
    return instance, records


def start_worker(*args: str) -> subprocess.Popen[bytes]:
    """Start `store_worker.py` with `args`."""
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=worker_env(),
        cwd=ROOT,
    )


def expect_line(process: subprocess.Popen[bytes], expected: str) -> str:
    """Read the worker's next line and check it starts with `expected` (showing its stderr otherwise)."""
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    if not line.startswith(expected):
        process.kill()
        _, errors = process.communicate(timeout=10)
        pytest.fail(f"worker said {line!r}, not {expected!r}:\n{errors.decode()}")
    return line


def test_killed_writer_loses_and_doubles_nothing(tmp_path: Path) -> None:
    """SIGKILL at random moments (20 runs, one file): every reopen finds a whole, consistent counter."""
    path = tmp_path / "crash.db"
    rng = random.Random(20_250_611)
    last = 0
    for run in range(20):
        batch = 4 if run % 2 else 1
        process = start_worker("loop", str(path), "c", "--batch", str(batch))
        try:
            expect_line(process, "started")
            time.sleep(rng.uniform(0.02, 0.3))
        finally:
            process.kill()
            process.communicate(timeout=10)
        assert process.returncode == -9
        with SQLiteStore(path) as store:
            instance, records = check_counter(store, "c")
            count = count_of(instance)
            assert count >= last
            if batch > 1:
                assert (count - last) % batch == 0
            assert [timer.key for timer in store.timers("c")] == [timer_key(count)]
            assert [item.key for item in store.work("c")] == [work_key(count)]
            if count:
                assert store.find_key("c", f"n{count}") == records[-1]
        last = count
    assert last > 20


def test_two_processes_increment_one_instance(tmp_path: Path) -> None:
    """Two processes racing load-build-apply (retrying conflicts) lose no increment: 2N, 2N+1 records."""
    path = tmp_path / "race.db"
    times = 100
    with SQLiteStore(path) as store:
        store.apply(created("r"))
    workers = [start_worker("count", str(path), "r", str(times), name) for name in ("left", "right")]
    try:
        for process in workers:
            expect_line(process, "ready")
        for process in workers:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            process.stdin.flush()
        for process in workers:
            expect_line(process, "done")
            process.communicate(timeout=60)
            assert process.returncode == 0
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=10)
    with SQLiteStore(path) as store:
        instance, records = check_counter(store, "r")
        assert count_of(instance) == 2 * times
        assert len(records) == 2 * times + 1
        for name in ("left", "right"):
            for number in range(times):
                found = store.find_key("r", f"{name}:{number}")
                assert found is not None and found.key == f"{name}:{number}"


# --------------------------------------------------------------------------- synchronous levels


@pytest.mark.parametrize(("level", "pragma"), [("FULL", 2), ("NORMAL", 1)])
def test_the_synchronous_level_is_the_stores_choice(tmp_path: Path, level: Synchronous, pragma: int) -> None:
    """`synchronous` sets SQLite's level on the store's connection (FULL unless told); WAL either way."""
    path = tmp_path / "store.db"
    with SQLiteStore(path, synchronous=level) as store:
        store.apply(created("a"))
        conn = store_connection(store)
        assert store.synchronous == level
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == pragma
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with SQLiteStore(path) as store:  # the level belongs to the connection, not to the file
        assert store.synchronous == "FULL"
        assert store_connection(store).execute("PRAGMA synchronous").fetchone()[0] == 2
        assert store.load("a") == created("a").instance


def test_an_unknown_synchronous_level_is_refused(tmp_path: Path) -> None:
    """Only FULL and NORMAL are levels a store keeps its promise with; anything else is a ValueError."""
    for level in ("OFF", "full", "EXTRA"):
        with pytest.raises(ValueError, match="synchronous"):
            SQLiteStore(tmp_path / "store.db", synchronous=level)  # type: ignore[arg-type]
    assert not (tmp_path / "store.db").exists()


def store_connection(store: SQLiteStore) -> sqlite3.Connection:
    """The store's own connection (to read its pragmas)."""
    conn = store._conn
    assert conn is not None
    return conn


# --------------------------------------------------------------------------- batches: the net effect


def shuffled_changes(instance: Instance, rng: random.Random) -> Commit:
    """An increment whose timer and work changes are drawn from small key pools (so keys recur)."""
    commit = incremented(instance)
    name, seq, now = instance.id, commit.record.seq, commit.record.at_ms
    keys = [f"k{number}" for number in range(4)]
    timers = tuple(
        Timer(name, key, now + rng.randrange(5) * HOUR_MS, "timeout", "counting", 0)
        for key in rng.sample(keys, rng.randrange(3))
    )
    cancel = tuple(key for key in rng.sample(keys, rng.randrange(3)) if key not in {t.key for t in timers})
    work = tuple(
        Work(name, key, "tally", "do", None, 1, seq, None) for key in rng.sample(keys, rng.randrange(3))
    )
    done = tuple(rng.sample(keys, rng.randrange(3)))
    return replace(commit, timers=timers, cancel_timers=cancel, work=work, done_work=done)


def rows(path: Path) -> tuple[object, ...]:
    """Every row a store file holds, in its own order (done work included)."""
    conn = sqlite3.connect(path)
    try:
        return tuple(
            conn.execute(query).fetchall()
            for query in (
                "SELECT id, version, data FROM instances ORDER BY pos",
                "SELECT instance, seq, key, data FROM records ORDER BY instance, seq",
                "SELECT instance, key, due_ms, data FROM timers ORDER BY instance, key",
                "SELECT instance, key, done, data FROM work ORDER BY pos",
            )
        )
    finally:
        conn.close()


@pytest.mark.parametrize("seed", range(12))
def test_a_batch_writes_what_applying_its_commits_one_by_one_writes(tmp_path: Path, seed: int) -> None:
    """A batch (flat or nested) leaves the file row for row as the same commits applied one by one do.

    Timers set and cancelled, work owed, done and owed again, on two instances,
    with `finish_work` and `drop_timer` calls in between.
    """
    rng = random.Random(seed)
    plan: list[tuple[str, str]] = [
        (rng.choice("ab"), rng.choice(["step", "step", "step", "finish", "drop"])) for _ in range(30)
    ]
    paths = {mode: tmp_path / f"{mode}.db" for mode in ("single", "batched", "nested")}
    for mode, path in paths.items():
        draw = random.Random(seed)
        with SQLiteStore(path) as store:
            instances = {name: created(name) for name in "ab"}
            for name in "ab":
                store.apply(instances[name])
            with store.batch() if mode != "single" else contextlib.nullcontext():
                for number, (name, what) in enumerate(plan):
                    current = instances[name].instance
                    if what == "step":
                        commit = shuffled_changes(current, draw)
                        if mode == "nested" and number % 7 == 0:
                            with store.batch():
                                store.apply(commit)
                        else:
                            store.apply(commit)
                        instances[name] = commit
                    elif what == "finish":
                        store.finish_work(name, f"k{draw.randrange(4)}")
                    else:
                        store.drop_timer(name, f"k{draw.randrange(4)}")
    assert rows(paths["batched"]) == rows(paths["single"])
    assert rows(paths["nested"]) == rows(paths["single"])


def test_a_batch_holds_its_commits_until_it_ends(tmp_path: Path) -> None:
    """Another connection sees nothing of an open batch; all of it once the batch ends."""
    path = tmp_path / "store.db"
    commits = chain("a", 5)
    with SQLiteStore(path) as store:
        store.apply(commits[0])
        with store.batch():
            apply_all(store, commits[1:])
            with SQLiteStore(path) as other:
                assert other.load("a") == commits[0].instance
        with SQLiteStore(path) as other:
            assert other.load("a") == commits[-1].instance
            assert len(other.records("a")) == 6


def test_reads_in_a_batch_see_its_commits(store: AnyStore) -> None:
    """Inside a batch: the latest snapshot, a key's record, the log, timers and work are the batch's."""
    commits = chain("a", 2)
    keyed = incremented(commits[-1].instance, key="pay")
    with store.batch():
        apply_all(store, commits)
        assert store.load("a") == commits[-1].instance
        store.apply(keyed)
        assert store.load("a") == keyed.instance
        assert store.find_key("a", "pay") == keyed.record
        with pytest.raises(ConcurrentUpdate, match="pay"):
            store.apply(incremented(keyed.instance, key="pay"))
        with pytest.raises(ConcurrentUpdate, match="version"):
            store.apply(incremented(commits[-1].instance))
        assert [record.seq for record in store.records("a")] == [1, 2, 3, 4]
        assert [timer.key for timer in store.timers("a")] == [timer_key(3)]
        later = incremented(keyed.instance)
        store.apply(later)  # after a read: the batch goes on
        assert [item.key for item in store.work("a")] == [work_key(4)]
    assert store.load("a") == later.instance
    assert [record.seq for record in store.records("a")] == [1, 2, 3, 4, 5]


def test_a_batch_that_raises_after_a_read_leaves_nothing(store: AnyStore) -> None:
    """A read inside a batch writes what the batch held; the batch still commits all of it or nothing."""
    store.apply(created("a"))
    with pytest.raises(RuntimeError), store.batch():
        store.apply(incremented(store.load("a")))
        assert len(store.records("a")) == 2
        raise RuntimeError("abandon")
    assert store.load("a") == created("a").instance
    assert len(store.records("a")) == 1


def test_a_failed_batch_write_fails_the_whole_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If writing what a batch holds fails, the batch refuses more commits and ends having changed nothing."""
    with SQLiteStore(tmp_path / "store.db") as store:
        commits = chain("a", 3)
        store.apply(commits[0])
        before = everything(store)

        def broken(*args: object) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        with pytest.raises(StoreError), store.batch():
            store.apply(commits[1])
            monkeypatch.setattr(store, "_write_all", broken)
            with pytest.raises(StoreError, match="disk I/O error"):
                store.records("a")
            monkeypatch.undo()
            with pytest.raises(StoreError, match="earlier write of this batch failed"):
                store.apply(commits[2])
        assert everything(store) == before
        store.apply(commits[1])  # the store itself is fine
        assert store.load("a") == commits[1].instance


# --------------------------------------------------------------------------- the runtime's group commit

PING_PONG = """workflow PingPong {
  context { count: int 0..1000 = 0 }
  events { ping, pong, stop }
  initial state A { on ping -> B { set count = count + 1 }  timeout 1h -> B  reject stop "not now" }
  state B { on pong -> A  timeout 1h -> A }
}
"""


def ping_pong(store: Store) -> Runtime:
    """A runtime of the ping-pong workflow on `store`, with a clock that moves 1 ms per reading."""
    result = compile_text(PING_PONG, "ping_pong.wf")
    assert result.machine is not None, result.diagnostics
    ticks = iter(range(1_000, 10**9))
    return Runtime(Definition(result.machine), store, clock=lambda: next(ticks))


def test_a_runtime_batch_logs_what_single_steps_log(tmp_path: Path) -> None:
    """Steps in `runtime.batch()` log, store and time out as steps committed one by one; the log replays."""
    with SQLiteStore(tmp_path / "single.db") as single, SQLiteStore(tmp_path / "batched.db") as batched:
        one, many = ping_pong(single), ping_pong(batched)
        for runtime in (one, many):
            runtime.start(instance_id="p")
        for number in range(40):
            event = "ping" if number % 2 == 0 else "pong"
            one.send("p", event, key=f"e{number}")
        for first in range(0, 40, 8):
            with many.batch():
                for number in range(first, first + 8):
                    many.send("p", "ping" if number % 2 == 0 else "pong", key=f"e{number}")
        assert list(batched.records("p")) == list(single.records("p"))
        assert batched.load("p") == single.load("p")
        assert list(batched.timers()) == list(single.timers())
        check(many.definition, batched, "p")


def test_a_runtime_batch_is_all_or_nothing(tmp_path: Path) -> None:
    """A refusal raised out of a batch loses the batch's earlier steps; the runtime goes on from the file."""
    with SQLiteStore(tmp_path / "store.db") as store:
        runtime = ping_pong(store)
        runtime.start(instance_id="p")
        with pytest.raises(EventRejected), runtime.batch():
            runtime.send("p", "ping")
            runtime.send("p", "pong")
            runtime.send("p", "stop")  # refused in A: raised, and the batch with it
        assert store.load("p").version == 1
        assert len(store.records("p")) == 1
        with runtime.batch():
            runtime.send("p", "ping")
            with pytest.raises(EventNotAllowed):
                runtime.send("p", "ping")  # a caught refusal is a step of the batch like any other
        assert [record.outcome for record in store.records("p")] == ["applied", "applied", "not_allowed"]
        assert runtime.send("p", "pong").active == ("A",)


def test_a_repeated_key_is_applied_once_inside_and_across_batches(store: AnyStore) -> None:
    """A send whose key was applied returns the stored snapshot and writes nothing, batched or not."""
    runtime = ping_pong(store)
    runtime.start(instance_id="p")
    with runtime.batch():
        first = runtime.send("p", "ping", key="k1")
        assert runtime.send("p", "ping", key="k1") == first
    assert runtime.send("p", "ping", key="k1") == first
    for _ in range(2):  # refused in B, and recorded with its key each time: a refusal uses no key up
        with pytest.raises(EventNotAllowed):
            runtime.send("p", "stop", key="k2")
    assert [record.key for record in store.records("p")] == [None, "k1", "k2", "k2"]
    assert store.find_key("p", "k2") is None
    assert runtime.send("p", "pong", key="k2").active == ("A",)  # the key is still free
    assert store.find_key("p", "k2") == store.records("p")[-1]


def test_a_store_without_batches_cannot_batch() -> None:
    """`Runtime.batch()` needs a store with `batch()`."""

    class Plain:
        def __getattr__(self, name: str) -> Any:
            raise AttributeError(name)

    runtime = ping_pong(cast(Store, Plain()))
    with pytest.raises(TypeError, match="batch"):
        runtime.batch()


# --------------------------------------------------------------------------- canonical JSON

_texts = st.text(max_size=6) | st.sampled_from(['"stamp":""', "stamp", "\\", '"', "é\u2028", "\x00"])
_values = (
    st.integers(-(2**70), 2**70)
    | st.booleans()
    | _texts
    | st.decimals(allow_nan=False, allow_infinity=False, places=3)
    | st.sampled_from([Decimal("1E+3"), Decimal("-0.00")])
)
_odd: st.SearchStrategy[Any] = st.sampled_from([None, 0, 1.5, Decimal("NaN"), ("x",), [], {}])
"""Values of the wrong type: the hand-written encoders must leave them to the general path."""
_maybe_text = st.none() | _texts
_contexts = st.dictionaries(_texts, _values | _odd, max_size=3) | _odd
_names = st.lists(_texts, max_size=3).map(tuple) | _odd


@given(
    st.builds(
        Record,
        instance=_texts,
        seq=st.integers() | _odd,
        at_ms=st.integers(),
        kind=_texts,
        outcome=_texts,
        source=_names,
        target=_names,
        context=_contexts,
        status=_texts | _odd,
        event=_maybe_text,
        transition=st.none() | st.integers() | st.booleans(),
        guards=st.lists(st.tuples(_texts, st.booleans() | st.integers(0, 1)), max_size=2).map(tuple) | _odd,
        actor=_maybe_text | _odd,
        permissions=_names,
        granted=_names,
        scope=_maybe_text,
        evidence=st.dictionaries(_texts, _texts | st.integers(), max_size=2) | _odd,
        key=_maybe_text,
        reason=_maybe_text,
        decision=_maybe_text,
        request_scope=_maybe_text,
        delegate_to=_maybe_text,
        inputs=_contexts,
        timer=_maybe_text,
        work=_maybe_text,
        failure=_maybe_text,
        stamp=_texts,
    ),
    _texts,
)
def test_hand_written_record_json_is_the_general_encoding(record: Record, previous: str) -> None:
    """`record_json`, `stamp` and `seal` write (or refuse) exactly what `dumps(record_data(...))` does."""

    def outcome(make: Callable[[], object]) -> object:
        try:
            return make()
        except Exception as exc:
            return type(exc)

    general = outcome(lambda: codec.dumps(codec.record_data(record)))
    assert outcome(lambda: codec.record_json(record)) == general
    expected = outcome(
        lambda: hashlib.sha256(
            (previous + codec.dumps({**codec.record_data(record), "stamp": ""})).encode("utf-8")
        ).hexdigest()
    )
    assert outcome(lambda: codec.stamp(previous, record)) == expected
    sealed = outcome(lambda: codec.seal(previous, record))
    if isinstance(expected, str):
        assert sealed == (expected, codec.dumps(codec.record_data(replace(record, stamp=expected))))


@given(
    st.builds(
        Instance,
        id=_texts,
        workflow=_texts,
        workflow_version=st.none() | st.integers() | st.booleans(),
        active=_names,
        context=_contexts,
        status=_texts,
        version=st.integers(),
        created_ms=st.integers(),
        updated_ms=st.integers(),
        stamp=_texts,
        votes=st.dictionaries(
            _texts, st.lists(st.builds(Vote, _texts, _texts), max_size=2).map(tuple), max_size=2
        )
        | _odd,
        attempts=st.dictionaries(_texts, st.integers() | st.booleans(), max_size=2) | _odd,
        work=st.dictionaries(_texts, _texts, max_size=2) | _odd,
    ),
    st.builds(
        Timer, _texts, _texts, st.integers() | st.booleans(), _texts, _texts, st.none() | st.integers()
    ),
    st.builds(Work, _texts, _texts, _texts, _texts, _maybe_text, st.integers(), st.integers(), _maybe_text),
)
def test_hand_written_snapshot_timer_and_work_json_is_the_general_encoding(
    instance: Instance, timer: Timer, work: Work
) -> None:
    """`instance_json`, `timer_json` and `work_json` write (or refuse) what `dumps(*_data(...))` does."""

    def outcome(make: Callable[[], object]) -> object:
        try:
            return make()
        except Exception as exc:
            return type(exc)

    assert outcome(lambda: codec.instance_json(instance)) == outcome(
        lambda: codec.dumps(codec.instance_data(instance))
    )
    assert codec.timer_json(timer) == codec.dumps(codec.timer_data(timer))
    assert codec.work_json(work) == codec.dumps(codec.work_data(work))


def test_a_remembered_text_is_recalled_once_and_only_for_that_object() -> None:
    """The engine hands a record's text to the store by identity: an equal copy is encoded afresh."""
    record = created("a").record
    codec.remember(record, "text")
    assert codec.recall(replace(record)) is None
    assert codec.recall(record) == "text"
    assert codec.recall(record) is None


# --------------------------------------------------------------------------- the engine's staged expressions

FIELDS = (
    ir.ContextField("i", ir.FieldType("int", -6, 6)),
    ir.ContextField("j", ir.FieldType("int")),
    ir.ContextField("d", ir.FieldType("decimal")),
    ir.ContextField("b", ir.FieldType("bool")),
    ir.ContextField("e", ir.FieldType("enum", members=("lo", "mid", "hi"))),
    ir.ContextField("s", ir.FieldType("string")),
)
SCOPE = Scope(
    ints=("i", "j"), decimals=("d",), bools=("b",), enums=(("e", ("lo", "mid", "hi")),), strings=("s",)
)
CONTEXTS = st.fixed_dictionaries(
    {
        "i": st.integers(-6, 6),
        "j": st.integers(-6, 6) | st.sampled_from([-(2**63), 2**63 - 1, 10**9]),
        "d": st.decimals(allow_nan=False, allow_infinity=False, places=3) | st.integers(-3, 3),
        "b": st.booleans(),
        "e": st.sampled_from(("lo", "mid", "hi")),
        "s": st.text(max_size=3),
    }
)


def exactly(context: dict[str, Value]) -> dict[str, tuple[str, str]]:
    """A context with each value's type and exact text (so `True` is not `1`, nor `1.50` `1.5`)."""
    return {name: (type(value).__name__, str(value)) for name, value in context.items()}


@given(expr=typed(SCOPE, "bool", 3), context=CONTEXTS)
def test_a_staged_guard_holds_exactly_when_the_evaluator_says(
    expr: ir.Expr, context: dict[str, Value]
) -> None:
    """The engine walks a guard once (`staged_test`); it decides every context as `values.holds` does."""
    assert staged_test(expr)(context) == holds(expr, context)


@given(
    first=st.sampled_from(["i", "j", "d"]).flatmap(
        lambda name: st.tuples(st.just(name), typed(SCOPE, "int" if name != "d" else "decimal", 3))
    ),
    second=typed(SCOPE, "decimal", 2),
    context=CONTEXTS,
)
def test_staged_sets_store_exactly_what_apply_sets_stores(
    first: tuple[str, ir.Expr], second: ir.Expr, context: dict[str, Value]
) -> None:
    """`set x = ...; set d = ...` (the second reading the first) walked once gives `apply_sets`' context."""
    actions = (ir.Assign(first[0], first[1]), ir.Assign("d", second))
    assert exactly(staged_sets(actions, FIELDS)(context)) == exactly(apply_sets(actions, context, FIELDS))


_FIELD_TYPES = st.sampled_from(
    [
        ir.FieldType("int"),
        ir.FieldType("int", -3, 3),
        ir.FieldType("int", 0, None),
        ir.FieldType("decimal"),
        ir.FieldType("decimal", Decimal("0.00"), Decimal("10.50")),
        ir.FieldType("bool"),
        ir.FieldType("string"),
        ir.FieldType("enum", members=("lo", "hi")),
    ]
)
_ANY_VALUES: st.SearchStrategy[Any] = (
    st.integers(-(2**64), 2**64)
    | st.sampled_from([-(2**63), 2**63 - 1, 2**63, True, False, "lo", "hi", "\ud800", 1.5, None])
    | st.decimals(allow_nan=True, allow_infinity=True, places=20)
    | st.text(max_size=3)
)


@given(field_type=_FIELD_TYPES, values=st.lists(_ANY_VALUES, max_size=6))
def test_the_engines_domain_checks_are_value_in_domain(field_type: ir.FieldType, values: list[Any]) -> None:
    """The engine's per-field checks (inlined, or remembered per value) decide as `values.value_in_domain`."""
    accepts = accepts_values(field_type)
    for value in [*values, *values]:  # twice: the remembered answers too
        assert accepts(value) == value_in_domain(value, field_type), value
