"""Idempotency keys: only an applied step uses its key up; a key reused for another request is refused.

Issue 16: a refused request used to consume its key, so re-sending it with the
permission it lacked reported "already applied" while nothing had changed, and
the same key sent with another event silently did nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.pipeline import compile_text
from statewright.runtime.definition import Definition
from statewright.runtime.errors import KeyReused, PermissionDenied
from statewright.runtime.memory import MemoryStore
from statewright.runtime.runner import Runtime
from statewright.runtime.sqlite import SQLiteStore
from statewright.runtime.store import Store

GATED = """workflow Payout {
  events { pay, hold }
  initial state Review {
    on pay -> Paid requires "finance:pay"
    on hold -> Held
  }
  state Held { on pay -> Paid requires "finance:pay" }
  final state Paid
}
"""


def runtime(store: Store) -> Runtime:
    """A runtime of the gated workflow on `store`, with a clock that moves 1 ms per reading."""
    result = compile_text(GATED, "payout.wf")
    assert result.machine is not None, result.diagnostics
    ticks = iter(range(1_000, 10**9))
    return Runtime(Definition(result.machine), store, clock=lambda: next(ticks))


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """Each durable store kind."""
    if request.param == "memory":
        return MemoryStore()
    return SQLiteStore(tmp_path / "keys.db")


def test_a_refused_request_leaves_its_key_free(store: Store) -> None:
    """Refused for a missing permission, then re-sent with it under the same key: it applies."""
    rt = runtime(store)
    rt.start(instance_id="p", actor="ann")
    with pytest.raises(PermissionDenied):
        rt.send("p", "pay", actor="ann", key="pay-1")
    assert rt.load("p").active == ("Review",)
    assert store.find_key("p", "pay-1") is None
    done = rt.send("p", "pay", actor="ann", permissions=["finance:pay"], key="pay-1")
    assert done.active == ("Paid",)
    applied = store.find_key("p", "pay-1")
    assert applied is not None and applied.outcome == "applied" and applied.event == "pay"
    # the refusal stays in the log with its key: evidence of what was asked
    assert [(r.outcome, r.key) for r in store.records("p")][1:] == [("denied", "pay-1"), ("applied", "pay-1")]


def test_the_same_request_again_changes_nothing(store: Store) -> None:
    """The applied request re-sent under its key returns the stored snapshot and writes no record."""
    rt = runtime(store)
    rt.start(instance_id="p")
    first = rt.send("p", "hold", actor="ann", key="h")
    count = len(store.records("p"))
    assert rt.send("p", "hold", actor="ann", key="h") == first
    assert runtime(store).send("p", "hold", actor="ann", key="h") == first  # another runtime too
    assert len(store.records("p")) == count


@pytest.mark.parametrize(
    ("event", "options", "differs"),
    [
        ("pay", {"actor": "ann"}, "event"),
        ("hold", {"actor": "bob"}, "actor"),
        ("hold", {"actor": "ann", "evidence": {"note": "x"}}, "evidence"),
        ("hold", {"actor": "ann", "scope": "finance"}, "scope"),
    ],
)
def test_a_key_reused_for_another_request_is_refused(
    store: Store, event: str, options: dict[str, object], differs: str
) -> None:
    """Another event, actor, evidence or scope under a used key: SW975, nothing applied or recorded."""
    rt = runtime(store)
    rt.start(instance_id="p")
    rt.send("p", "hold", actor="ann", key="h")
    before = (rt.load("p"), len(store.records("p")))
    with pytest.raises(KeyReused) as info:
        rt.send("p", event, key="h", **options)  # type: ignore[arg-type]
    assert info.value.code.code == "SW975"
    assert differs in str(info.value) and "`h`" in str(info.value)
    assert (rt.load("p"), len(store.records("p"))) == before


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["pay", "hold"]),
            st.sampled_from(["ann", "bob"]),
            st.booleans(),
            st.sampled_from(["k1", "k2"]),
        ),
        max_size=8,
    )
)
def test_a_key_is_used_up_by_exactly_the_one_applied_record(sends: list[tuple[str, str, bool, str]]) -> None:
    """Property: a key is used up iff some record with it applied, and then by the first such record."""
    store = MemoryStore()
    rt = runtime(store)
    rt.start(instance_id="p")
    for event, actor, granted, key in sends:
        try:
            rt.send("p", event, actor=actor, permissions=["finance:pay"] if granted else [], key=key)
        except Exception as error:  # refusals are expected; anything else is a failure
            assert getattr(error, "code", None) is not None, error
    records = store.records("p")
    for key in ("k1", "k2"):
        applied = [r for r in records if r.key == key and r.outcome == "applied"]
        assert len(applied) <= 1
        assert store.find_key("p", key) == (applied[0] if applied else None)
