"""Definition identity: an instance runs only on the definition that started it, hash for hash.

Issue 16: an instance used to be matched to its definition by name and version
only, so a spec edited without bumping `version` crashed running instances
(SW909 `KeyError` on a renamed state) or silently accepted a changed type or
approver role.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.ir import embedded
from statewright.ir.identity import identity
from statewright.pipeline import compile_text
from statewright.runtime.definition import Definition
from statewright.runtime.errors import DefinitionChanged
from statewright.runtime.memory import MemoryStore
from statewright.runtime.runner import Runtime
from statewright.runtime.sqlite import SQLiteStore
from tests.conftest import EXAMPLES

SPEC = """workflow Claim {
  version 3
  context { amount: int 0..1000 = 0 }
  events { submit, approve }
  initial state Draft { on submit -> Review }
  state Review { on approve -> Done requires "finance:approve" }
  final state Done
}
"""


def machine(text: str) -> ir.Machine:
    """The compiled machine of `text`."""
    result = compile_text(text, "claim.wf")
    assert result.machine is not None, result.diagnostics
    return result.machine


def started(store: MemoryStore | SQLiteStore) -> Runtime:
    """A runtime of SPEC with instance `c` in Review."""
    runtime = Runtime(Definition(machine(SPEC)), store)
    runtime.start(instance_id="c")
    runtime.send("c", "submit")
    return runtime


EDITS = {
    "a renamed state": ("Review", "Checking"),
    "a changed range": ("0..1000", "0..10"),
    "a changed role": ('"finance:approve"', '"anyone:approve"'),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_spec_with_the_same_version_is_refused(edit: str, tmp_path: Path) -> None:
    """Every entry point refuses the old instance with SW976: no KeyError, no silent acceptance."""
    with SQLiteStore(tmp_path / "c.db") as store:
        before = started(store)
        old, new = EDITS[edit]
        edited = Runtime(Definition(machine(SPEC.replace(old, new))), store)
        for attempt in (
            lambda: edited.load("c"),
            lambda: edited.send("c", "approve", permissions=["finance:approve"]),
            lambda: edited.pause("c"),
            lambda: edited.audit("c"),
        ):
            with pytest.raises(DefinitionChanged) as info:
                attempt()
            assert info.value.code.code == "SW976"
            assert "bump `version`" in str(info.value)
        assert edited.tick(10**15) == 0 and edited.run_work() == 0
        assert store.load("c") == before.load("c")  # nothing was written


def test_a_new_version_is_still_wrong_workflow_and_a_cosmetic_edit_is_the_same_definition() -> None:
    """Comments, layout, docs and the file name do not change the identity; behaviour does."""
    cosmetic = SPEC.replace("initial state Draft {", '# a comment\ninitial state  Draft {\n doc "drafting"\n')
    assert identity(machine(cosmetic)) == identity(machine(SPEC))
    assert identity(replace(machine(SPEC), source="elsewhere/x.wf")) == identity(machine(SPEC))
    for old, new in EDITS.values():
        assert identity(machine(SPEC.replace(old, new))) != identity(machine(SPEC))
    store = MemoryStore()
    started(store)
    assert Runtime(Definition(machine(cosmetic)), store).load("c").active == ("Review",)


def test_an_instance_stored_without_an_identity_is_refused(tmp_path: Path) -> None:
    """A snapshot written before identities were recorded has none: refused, with what to do."""
    path = tmp_path / "old.db"
    with SQLiteStore(path) as store:
        started(store)

    with sqlite3.connect(path) as conn:
        (data,) = conn.execute("SELECT data FROM instances WHERE id = 'c'").fetchone()
        old = json.loads(data)
        del old["definition"]
        conn.execute("UPDATE instances SET data = ? WHERE id = 'c'", (json.dumps(old),))
    conn.close()
    with SQLiteStore(path) as store:
        with pytest.raises(DefinitionChanged, match="without the identity") as info:
            Runtime(Definition(machine(SPEC)), store).load("c")
        assert info.value.code.code == "SW976"


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.wf")), ids=lambda p: p.stem)
def test_the_embedded_ir_has_the_compiled_identity(example: Path) -> None:
    """A generated module (embedded IR, no spans) and the `.wf` name the same definition."""
    compiled = machine(example.read_text("utf-8"))
    assert identity(embedded.load(embedded.dump(compiled))) == identity(compiled)
    assert Definition(compiled).identity == identity(compiled)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=999), st.integers(min_value=1, max_value=50))
def test_identity_changes_with_any_bound_and_the_version(upper: int, version: int) -> None:
    """Property: two specs differing in one bound (or the version) never share an identity."""
    base = SPEC.replace("version 3", f"version {version}")
    one = machine(base.replace("0..1000", f"0..{upper + 1}"))
    other = machine(base.replace("0..1000", f"0..{upper + 2}"))
    assert identity(one) != identity(other)
    assert identity(one) != identity(machine(SPEC.replace("version 3", f"version {version + 1}")))
