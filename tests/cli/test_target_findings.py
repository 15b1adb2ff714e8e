"""A build's target findings are said once, naming the targets they are about (issue 21)."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from statewright.cli.target_findings import merged
from statewright.diagnostics import Diagnostic
from statewright.diagnostics.catalog.bpmn import JITTER_NOT_EXPRESSED
from statewright.source import NO_SPAN
from tests.cli.test_cli import run
from tests.conftest import EXAMPLES


def test_every_build_finding_names_its_targets_once(tmp_path: Path) -> None:
    """`build --target all`: no two findings alike, and every target finding says which targets."""
    shown = run(
        "build", EXAMPLES / "order_fulfilment.wf", "--target", "all", "--out", tmp_path, "--format", "concise"
    )
    findings = [line for line in shown.output.splitlines() if re.match(r"^\S+\.wf:\d+:\d+: SW9", line)]
    assert findings
    assert len(findings) == len(set(findings))
    assert all(re.search(r"\(targets? `[a-z-]+`(, `[a-z-]+`)*\)$", line) for line in findings), findings
    jitter = [line for line in findings if " SW941 " in line]
    assert jitter and all("`bpmn`, `bpmn-javascript`, `bpmn-zeebe`" in line for line in jitter)


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"])), max_size=12))
def test_merging_keeps_each_distinct_finding_once(said: list[tuple[str, str]]) -> None:
    """Each distinct finding appears once, naming exactly the targets that reported it, in order."""
    outputs = [
        (target, (Diagnostic.of(JITTER_NOT_EXPRESSED, message, "f.wf", NO_SPAN),)) for target, message in said
    ]
    result = merged(outputs)
    distinct = list(dict.fromkeys(message for _, message in said))
    assert [d.message.split(" (target")[0] for d in result] == distinct
    for finding in result:
        message = finding.message.split(" (target")[0]
        named = list(dict.fromkeys(t for t, m in said if m == message))
        assert finding.message.endswith(", ".join(f"`{t}`" for t in named) + ")")
