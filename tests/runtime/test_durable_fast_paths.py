"""The durable runtime's fast paths (issue 20): what they save, and that they change nothing observable.

- `SQLiteStore.load` returns the snapshot it committed (or decoded) last while the
  row's version is still that snapshot's, reading only the version: a second
  store on the file that commits, or a batch that rolls back, is always seen.
- Work is written with one statement per kind (timers cancelled and work marked
  done by `key IN (...)`, owed work by `INSERT OR REPLACE`; test_stores.py checks
  that a key owed again is still listed last).
- `run_work` marks the work it finished done with the instance's next commit,
  or all together in one transaction when it ends (even by an exception).
- Invoked work's outcome is computed on the snapshot read before it ran; a
  stale one fails the version check and is computed again on the stored one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright.pipeline import compile_text
from statewright.runtime.definition import Definition
from statewright.runtime.errors import UnknownHandler, WorkflowError
from statewright.runtime.runner import Call, Runtime
from statewright.runtime.sqlite import SQLiteStore
from statewright.semantics.calls import handler_names
from tests.conftest import ROOT

ORDER = (ROOT / "examples" / "order_fulfilment.wf").read_text("utf-8")
EVENTS = ("submit", "cancel", "valid", "invalid", "reviewed", "discard", "resolved", "approve")

WORK_SPEC = """workflow Works {
  events { go }
  initial state A {
    entry { do first key "w-first"  do second key "w-second" }
    on go -> B
  }
  state B {
    entry do note key "w-note"
    invoke fetch key "w-fetch"
    done -> C
  }
  final state C { outcome success }
}
"""


def _definition(source: str, name: str) -> Definition:
    result = compile_text(source, name)
    assert result.machine is not None, result.diagnostics
    return Definition(result.machine)


@pytest.fixture(scope="module")
def order() -> Definition:
    """The order example's definition."""
    return _definition(ORDER, "order_fulfilment.wf")


@pytest.fixture(scope="module")
def works() -> Definition:
    """A workflow with `do` work beside invoked work."""
    return _definition(WORK_SPEC, "works.wf")


def _handlers(calls: list[str] | None = None) -> dict[str, Callable[[Call], object]]:
    def run(call: Call) -> object:
        if calls is not None:
            calls.append(call.action)
        return {"receipt": "r-1"} if call.action == "charge_card" else None

    return dict.fromkeys([*_order_actions(), "first", "second", "note", "fetch"], run)


@functools.cache
def _order_actions() -> tuple[str, ...]:
    """Every action the order example calls (`semantics.calls.handler_names`)."""
    machine = compile_text(ORDER, "order_fulfilment.wf").machine
    assert machine is not None
    return handler_names(machine)


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """A list a store's trace callback appends every statement to."""
    yield []


def _commits(statements: list[str]) -> int:
    return sum(1 for text in statements if text == "COMMIT")


# ---------------------------------------------------------------------- load: the held snapshot


def test_load_of_a_current_snapshot_reads_only_its_version_and_equals_a_fresh_decode(
    order: Definition, tmp_path: Path, statements: list[str]
) -> None:
    path = tmp_path / "s.db"
    with SQLiteStore(path, synchronous="NORMAL") as store:
        runtime = Runtime(order, store, _handlers(), clock=lambda: 1_000)
        runtime.start({"amount": Decimal("12.50")}, instance_id="o")
        runtime.send("o", "submit")
        store.set_trace_callback(statements.append)
        held = store.load("o")
        store.set_trace_callback(None)
        assert len(statements) == 1 and statements[0].startswith("SELECT version, CASE WHEN version = 2 ")
        with SQLiteStore(path) as fresh:
            assert fresh.load("o") == held
        assert store.load("o") is not store.load("o")  # never shared with a caller


def test_another_process_commit_is_seen_and_a_rolled_back_batch_is_never_held(
    order: Definition, tmp_path: Path
) -> None:
    path = tmp_path / "s.db"
    with SQLiteStore(path) as mine, SQLiteStore(path) as theirs:
        ours = Runtime(order, mine, _handlers(), clock=lambda: 1_000)
        other = Runtime(order, theirs, _handlers(), clock=lambda: 2_000)
        ours.start({"amount": Decimal("12.50")}, instance_id="o")
        assert mine.load("o").version == 1
        other.send("o", "submit")  # the other store moves it to version 2
        assert mine.load("o") == theirs.load("o")
        assert mine.load("o").active == ("Validating",)
        with pytest.raises(RuntimeError), ours.batch():
            ours.send("o", "valid")  # version 3, rolled back
            raise RuntimeError("the batch fails")
        other.send("o", "invalid")  # version 3 again, other content, committed by the other store
        assert mine.load("o") == theirs.load("o")
        assert mine.load("o").active == ("Quarantine",)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([*EVENTS, "work", "work"]), max_size=14), st.booleans())
def test_every_snapshot_held_or_returned_equals_the_stored_row_decoded(
    order: Definition, tmp_path_factory: pytest.TempPathFactory, operations: list[str], large: bool
) -> None:
    """Whatever an instance goes through, `load` (held) and a fresh store's `load` (decoded) agree."""
    path = tmp_path_factory.mktemp("held") / "s.db"
    amount = Decimal("15000.00") if large else Decimal("99.90")
    with SQLiteStore(path, synchronous="NORMAL") as store:
        runtime = Runtime(order, store, _handlers(), clock=lambda: 1_000)
        runtime.start({"amount": amount}, instance_id="o")
        for operation in operations:
            try:
                if operation == "work":
                    runtime.run_work("o")
                elif operation == "approve":
                    runtime.send("o", "approve", actor="m", permissions=["role:sales_manager"])
                else:
                    runtime.send("o", operation)
            except WorkflowError:
                pass
            with SQLiteStore(path) as fresh:
                held, decoded = store.load("o"), fresh.load("o")
                assert held == decoded
                for mapping in ("context", "votes", "attempts", "work"):  # what a handler iterates
                    assert list(getattr(held, mapping)) == list(getattr(decoded, mapping)), mapping
                assert store.work("o") == fresh.work("o")
                assert store.instances() == fresh.instances()


# ---------------------------------------------------------------------- run_work: marking work done


def test_do_work_is_marked_done_with_the_next_commit_or_together_at_the_end(
    works: Definition, tmp_path: Path, statements: list[str]
) -> None:
    calls: list[str] = []
    with SQLiteStore(tmp_path / "s.db", synchronous="NORMAL") as store:
        runtime = Runtime(works, store, _handlers(calls), clock=lambda: 1_000)
        runtime.start(instance_id="w")
        store.set_trace_callback(statements.append)
        assert runtime.run_work("w") == 2  # first, second: both marked in one transaction
        assert _commits(statements) == 1
        assert store.work("w") == []
        runtime.send("w", "go")
        statements.clear()
        assert runtime.run_work("w") == 2  # note, then fetch's `done -> C`: one commit holds both
        assert _commits(statements) == 1
        store.set_trace_callback(None)
        assert store.work("w") == []
        assert runtime.load("w").active == ("C",)
    assert calls == ["first", "second", "note", "fetch"]


def test_work_finished_before_run_work_raises_is_still_marked_done(works: Definition, tmp_path: Path) -> None:
    handlers = _handlers()
    del handlers["second"]
    with SQLiteStore(tmp_path / "s.db") as store:
        runtime = Runtime(works, store, handlers, clock=lambda: 1_000)
        runtime.start(instance_id="w")
        with pytest.raises(UnknownHandler):
            runtime.run_work("w")
        assert [item.action for item in store.work("w")] == ["second"]


class _Crash(BaseException):
    """A process dying inside a handler (not an `Exception`: nothing catches it)."""


def test_a_handler_that_never_returns_leaves_its_work_owed_and_the_others_marked(
    works: Definition, tmp_path: Path
) -> None:
    handlers = _handlers()

    def crash(call: Call) -> object:
        raise _Crash

    handlers["second"] = crash
    with SQLiteStore(tmp_path / "s.db") as store:
        runtime = Runtime(works, store, handlers, clock=lambda: 1_000)
        runtime.start(instance_id="w")
        with pytest.raises(_Crash):
            runtime.run_work("w")
        assert [item.action for item in store.work("w")] == ["second"]
        runtime.handlers["second"] = _handlers()["second"]
        assert runtime.run_work("w") == 1
        assert store.work("w") == []


def test_under_full_a_transaction_of_marks_alone_is_synced_with_the_next_commit(
    works: Definition, tmp_path: Path, statements: list[str]
) -> None:
    """Only the marks' own transaction runs at NORMAL; the level is FULL again before any step commits."""
    with SQLiteStore(tmp_path / "s.db", synchronous="FULL") as store:
        runtime = Runtime(works, store, _handlers(), clock=lambda: 1_000)
        runtime.start(instance_id="w")
        store.set_trace_callback(statements.append)
        assert runtime.run_work("w") == 2
        runtime.send("w", "go")
        store.set_trace_callback(None)
        assert store.work("w")[0].action == "note"
    pragmas = [text for text in statements if text.startswith("PRAGMA")]
    assert pragmas == ["PRAGMA synchronous=NORMAL", "PRAGMA synchronous=FULL"]
    lowered, raised = statements.index(pragmas[0]), statements.index(pragmas[1])
    assert statements[lowered + 1 : raised] == [
        "BEGIN IMMEDIATE",
        "UPDATE work SET done = 1 WHERE instance = 'w' AND key IN ('w-first', 'w-second') AND done = 0",
        "COMMIT",
    ]
    assert statements[raised + 1 :].count("COMMIT") == 1  # the step `go`, at FULL


def test_marks_inside_a_batch_are_part_of_it_and_change_no_level(
    works: Definition, tmp_path: Path, statements: list[str]
) -> None:
    with SQLiteStore(tmp_path / "s.db", synchronous="FULL") as store:
        runtime = Runtime(works, store, _handlers(), clock=lambda: 1_000)
        runtime.start(instance_id="w")
        store.set_trace_callback(statements.append)
        with runtime.batch():
            assert runtime.run_work("w") == 2
            runtime.send("w", "go")
        store.set_trace_callback(None)
        assert [item.action for item in store.work("w")] == ["note", "fetch"]
    assert not [text for text in statements if text.startswith("PRAGMA")]
    assert statements.count("COMMIT") == 1


def test_a_handler_running_work_itself_does_not_run_finished_work_again(
    works: Definition, tmp_path: Path
) -> None:
    """`second` calls `run_work`: `first` ran already (its mark is pending) and is not run twice."""
    calls: list[str] = []
    with SQLiteStore(tmp_path / "s.db") as store:
        handlers = _handlers(calls)
        runtime = Runtime(works, store, handlers, clock=lambda: 1_000)
        runtime.start(instance_id="w")

        def second(call: Call) -> object:
            calls.append(call.action)
            if calls.count("second") == 1:
                runtime.run_work("w")
            return None

        runtime.handlers["second"] = second
        runtime.run_work("w")
        assert calls.count("first") == 1
        assert store.work("w") == []


def test_marks_are_written_before_the_run_moves_on_to_another_instance(
    works: Definition, tmp_path: Path
) -> None:
    """Across instances, one instance's finished work is marked before the next one's runs."""
    owed_then: list[list[str]] = []
    with SQLiteStore(tmp_path / "s.db") as store:
        handlers = _handlers()
        runtime = Runtime(works, store, handlers, clock=lambda: 1_000)
        runtime.start(instance_id="a")
        runtime.start(instance_id="b")

        def first(call: Call) -> object:
            if call.instance == "b":
                owed_then.append([work.key for work in store.work("a")])
            return None

        runtime.handlers["first"] = first
        assert runtime.run_work() == 4
    assert owed_then == [[]]
