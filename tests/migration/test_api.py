"""The Python API: `Spec.diff` and `Spec.migrate` do what `statewright diff` and `run migrate` do."""

from __future__ import annotations

from decimal import Decimal

import pytest

import statewright
from statewright.api import SpecError
from statewright.runtime.definition import Definition
from statewright.runtime.memory import MemoryStore
from statewright.runtime.replay import check
from statewright.runtime.runner import Runtime
from tests.migration import corpus


def test_diff_and_migrate_move_exactly_the_instances_that_fit() -> None:
    old = statewright.load(corpus.OLD)
    new = statewright.load_text(corpus.NARROWED, "v4.wf")
    assert {s.verdict for s in old.diff(new).states} == {"check"}
    store = MemoryStore()
    runtime = Runtime(Definition(old.ir), store, clock=lambda: 1_000)
    runtime.start({"amount": Decimal("5.00"), "items": 50}, instance_id="small")
    runtime.start({"amount": Decimal("5.00"), "items": 300}, instance_id="large")
    before = (store.load("large"), tuple(store.records("large")))
    outcomes = {o.instance: o for o in old.migrate(store, new, now_ms=2_000, actor="ops:ann")}
    assert outcomes["small"].outcome == "moved" and outcomes["large"].outcome == "refused"
    assert "items" in outcomes["large"].detail
    assert (store.load("large"), tuple(store.records("large"))) == before
    assert check(Definition(new.ir), store, "small").workflow_version == 4


def test_migrate_refuses_specs_that_do_not_compare() -> None:
    old = statewright.load(corpus.OLD)
    with pytest.raises(SpecError) as raised:
        old.migrate(MemoryStore(), old, now_ms=0)
    assert [d.code for d in raised.value.diagnostics] == ["SW992"]
