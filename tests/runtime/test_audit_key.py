"""The keyed audit chain: HMAC-SHA256 stamps under a key the store never holds.

Issue 16: the plain SHA-256 chain lets anyone with write access to the store
rewrite a record and re-stamp the chain, and `verify` says OK. A keyed chain
makes such a rewrite detectable by whoever holds the key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.pipeline import compile_text
from statewright.runtime import codec, replay
from statewright.runtime.audit import AuditKey
from statewright.runtime.definition import Definition
from statewright.runtime.errors import AuditKeyMismatch, WorkflowError
from statewright.runtime.memory import MemoryStore
from statewright.runtime.runner import Runtime
from statewright.runtime.sqlite import SQLiteStore
from statewright.runtime.store import Store
from statewright.runtime.workflow import InstanceHandle, Workflow

SPEC = """workflow Ledger {
  context { total: int 0..1000 = 0 }
  events { add, close }
  initial state Open { on add -> Open { set total = total + 1 }  on close -> Closed }
  final state Closed
}
"""
KEY = AuditKey(b"correct horse battery staple")
OTHER = AuditKey(b"another secret of enough bytes")


def definition() -> Definition:
    """The ledger's definition."""
    result = compile_text(SPEC, "ledger.wf")
    assert result.machine is not None, result.diagnostics
    return Definition(result.machine)


def runtime(store: Store, key: AuditKey | None) -> Runtime:
    """A runtime of the ledger on `store` with `key`, and a clock that moves 1 ms per reading."""
    ticks = iter(range(1_000, 10**9))
    return Runtime(definition(), store, clock=lambda: next(ticks), audit_key=key)


def restamp_plain(path: Path, instance: str, seq: int, edit: dict[str, object], keep_key_id: bool) -> None:
    """What a writer without the key can do: edit a record, re-stamp the whole chain with plain SHA-256."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT seq, data FROM records WHERE instance = ? ORDER BY seq", (instance,))
        previous = codec.GENESIS
        for number, data in rows.fetchall():
            body = json.loads(data)
            if number == seq:
                body.update(edit)
            body["stamp"] = ""
            digest = hashlib.sha256((previous + codec.dumps(body)).encode()).hexdigest()
            body["stamp"] = previous = digest
            conn.execute(
                "UPDATE records SET data = ? WHERE instance = ? AND seq = ?",
                (codec.dumps(body), instance, number),
            )
        (data,) = conn.execute("SELECT data FROM instances WHERE id = ?", (instance,)).fetchone()
        snapshot = json.loads(data)
        snapshot["stamp"] = previous
        if not keep_key_id:
            snapshot.pop("audit_key", None)
        conn.execute("UPDATE instances SET data = ? WHERE id = ?", (codec.dumps(snapshot), instance))
    conn.close()


def test_a_keyed_chain_verifies_only_under_its_key(tmp_path: Path) -> None:
    """Stamps are HMACs: the key verifies them, the plain chain and another key do not; replay agrees."""
    path = tmp_path / "ledger.db"
    with SQLiteStore(path) as store:
        rt = runtime(store, KEY)
        rt.start(instance_id="l")
        for _ in range(3):
            rt.send("l", "add", actor="ann")
        records = list(store.records("l"))
        assert store.load("l").audit_key == KEY.id
        assert codec.verify_chain(records, KEY) is None
        assert codec.verify_chain(records) == 1
        assert codec.verify_chain(records, OTHER) == 1
        assert replay.check(rt.definition, store, "l", key=KEY) == store.load("l")
    assert b"correct horse" not in path.read_bytes()  # the store holds the key's id only
    assert "correct horse" not in repr(KEY)


def test_a_rewrite_restamped_without_the_key_is_detected(tmp_path: Path) -> None:
    """Re-stamped with plain SHA-256: the keyed check fails; the plain check passes (its documented limit)."""
    path = tmp_path / "ledger.db"
    with SQLiteStore(path) as store:
        rt = runtime(store, KEY)
        rt.start(instance_id="l")
        rt.send("l", "add", actor="ann")
    restamp_plain(path, "l", 2, {"actor": "mallory"}, keep_key_id=False)
    with SQLiteStore(path) as store:
        records = list(store.records("l"))
        assert records[1].actor == "mallory"
        assert codec.verify_chain(records) is None  # a plain chain shows integrity only
        assert codec.verify_chain(records, KEY) == 1
        with pytest.raises(AuditKeyMismatch) as info:
            runtime(store, KEY).load("l")  # the key holder refuses the now "plain" instance
        assert info.value.code.code == "SW977"


@pytest.mark.parametrize(("started", "opened"), [(KEY, None), (KEY, OTHER), (None, KEY)])
def test_an_instance_keeps_the_chain_it_started_with(
    started: AuditKey | None, opened: AuditKey | None
) -> None:
    """Another key, or none, may not extend a chain: SW977 on every entry point, nothing written."""
    store = MemoryStore()
    runtime(store, started).start(instance_id="l")
    before = list(store.records("l"))
    other = runtime(store, opened)
    attempts: list[Callable[[], object]] = [
        lambda: other.send("l", "add"),
        lambda: other.cancel("l"),
        lambda: other.load("l"),
    ]
    for attempt in attempts:
        with pytest.raises(AuditKeyMismatch) as info:
            attempt()
        assert info.value.code.code == "SW977"
    assert other.tick(10**15) == 0
    assert list(store.records("l")) == before


def test_a_short_key_is_refused(tmp_path: Path) -> None:
    """A key shorter than 16 bytes is a ValueError; a file's trailing newline is not part of the key."""
    with pytest.raises(ValueError, match="16 bytes"):
        AuditKey(b"short")
    (tmp_path / "k").write_bytes(b"correct horse battery staple\n")
    assert AuditKey.from_file(tmp_path / "k").id == KEY.id


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["add", "close", "add"]), max_size=8), st.binary(min_size=16, max_size=40))
def test_keyed_runs_replay_and_verify(events: list[str], secret: bytes) -> None:
    """Property: whatever the steps (refusals too), the keyed log verifies and replays under its key only."""
    key = AuditKey(secret)
    store = MemoryStore()
    rt = runtime(store, key)
    rt.start(instance_id="l")
    for event in events:
        with contextlib.suppress(WorkflowError):
            rt.send("l", event)
    records = list(store.records("l"))
    assert codec.verify_chain(records, key) is None
    assert codec.verify_chain(records, OTHER if secret != b"another secret of enough bytes" else KEY) == 1
    assert replay.check(rt.definition, store, "l", key=key) == store.load("l")


def test_a_durable_workflow_class_takes_the_key(tmp_path: Path) -> None:
    """Generated `Workflow` classes inherit `audit_key=`: their instances keep the keyed chain and verify."""
    ledger = definition()

    class Ledger(Workflow):
        pass

    Ledger.definition = ledger

    with Ledger(tmp_path / "ledger.db", audit_key=KEY) as flow:
        created = flow._start({}, "l", None)
        handle = InstanceHandle(flow, created.id)
        handle.send("add", actor="ann")
        assert handle.snapshot().audit_key == KEY.id
        assert handle.verify() == handle.snapshot()
    with Ledger(tmp_path / "ledger.db") as keyless, pytest.raises(AuditKeyMismatch):
        InstanceHandle(keyless, "l").send("add")
