"""Properties of the migrate map and of the analysis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.compiler.migration import analyse
from statewright.pipeline import compile_path, compile_text
from tests.migration import corpus

STATES = ("A", "B", "C", "D")
SPEC = """workflow W {{
  version 2
  migrate {{ {entries} }}
  events {{ go }}
  initial state A {{ on go -> B }}
  state B {{ on go -> C }}
  state C {{ on go -> D }}
  final state D
}}
"""


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from((*STATES, "X", "Y")), st.sampled_from((*STATES, "Z"))), max_size=5))
def test_the_lowered_map_is_always_a_plain_renaming(pairs: list[tuple[str, str]]) -> None:
    """Whatever is written, what lowering keeps is injective, names NEW states, and has no chains."""
    entries = ", ".join(f"{old} -> {new}" for old, new in pairs)
    result = compile_text(SPEC.format(entries=entries), "w.wf")
    if result.machine is None:
        assert any(d.code in ("SW990", "SW991") for d in result.diagnostics)
        return
    renames = result.machine.migrations
    olds = [r.old for r in renames]
    news = [r.new for r in renames]
    assert len(set(olds)) == len(olds) and len(set(news)) == len(news)
    assert not set(olds) & set(news)
    assert set(news) <= set(STATES)
    every_entry_kept = len(renames) == len(pairs)
    assert every_entry_kept or any(d.code in ("SW990", "SW991") for d in result.diagnostics)


EXAMPLES = sorted((corpus.ROOT / "examples").glob("*.wf"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_a_version_bump_alone_keeps_every_state_safe_and_every_transition_in_place(path: object) -> None:
    """For every example: the same spec under a greater version migrates everything, unchanged."""
    old = compile_path(path)  # type: ignore[arg-type]
    assert old.machine is not None
    text = old.source.text if old.source is not None else ""
    version = old.machine.version
    bumped = (
        text.replace(f"version {version}", f"version {version + 1}", 1)
        if version is not None
        else text.replace("{", "{\n  version 1\n", 1)
    )
    new = compile_text(bumped, "new.wf").machine
    assert new is not None
    migration = analyse(old.machine, new)
    assert migration.diagnostics == ()
    assert {s.verdict for s in migration.states} == {"safe"}
    assert dict(migration.transitions) == {i: i for i in range(len(old.machine.transitions))}
