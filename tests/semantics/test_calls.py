"""semantics.calls: the handler table every target and engine builds from."""

from __future__ import annotations

from pathlib import Path

import pytest

from statewright.pipeline import compile_text
from statewright.semantics.calls import do_calls, handler_names
from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.wf"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_handlers_are_the_invoked_work_and_the_do_actions_each_once(path: Path) -> None:
    machine = compile_text(path.read_text("utf-8"), path.name).machine
    assert machine is not None
    names = handler_names(machine)
    invoked = {state.invoke.action for state in machine.states if state.invoke is not None}
    assert len(names) == len(set(names))
    assert set(names) == invoked | {call.name for call in do_calls(machine)}


def test_a_state_s_work_comes_before_its_do_actions_and_transitions_last() -> None:
    source = """workflow W {
  events { go }
  initial state A {
    entry do first key "a"
    invoke fetch key "f"
    done -> B
  }
  state B {
    on go -> C { do third key "t" }
    exit do second key "s"
  }
  final state C { outcome success }
}
"""
    machine = compile_text(source, "w.wf").machine
    assert machine is not None
    assert handler_names(machine) == ("fetch", "first", "second", "third")
    assert [call.name for call in do_calls(machine)] == ["first", "second", "third"]
