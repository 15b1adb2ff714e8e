"""The buffer analysis behind the server: never raises, whatever the text or a bug below it does."""

from __future__ import annotations

from collections.abc import Iterator

from statewright.lsp.analysis import analyze, checked
from statewright.plugins.api import Rule
from statewright.plugins.manager import get_plugin_manager
from tests.lsp.test_diagnostics import INCOMPLETE


class BrokenRules(list[Rule]):
    """A rule list that fails when the verifier walks it (stands for any bug below the server)."""

    def __iter__(self) -> Iterator[Rule]:
        raise RuntimeError("boom")


def test_a_failure_below_becomes_one_sw909_finding() -> None:
    analysis, found = checked("/tmp/x.wf", INCOMPLETE, BrokenRules())
    assert [d.code for d in found] == ["SW909"]
    assert "RuntimeError: boom" in found[0].message
    assert analysis.index is None and analysis.text == INCOMPLETE


def test_a_good_buffer_gets_check_s_findings() -> None:
    _, found = checked("/tmp/x.wf", INCOMPLETE, get_plugin_manager().rules())
    assert {d.code for d in found} == {"SW311"}


def test_hostile_text_is_a_located_finding() -> None:
    assert [d.code for d in analyze("x.wf", "a" * 20, max_chars=10).front] == ["SW004"]
    assert [d.code for d in analyze("x.wf", "workflow W {\x00}").front] == ["SW008"]
    assert [d.code for d in analyze("x.wf", "workflow W {\udc80}").front] == ["SW003"]
    assert [d.code for d in analyze("x.wf", "").front] == ["SW005"]
