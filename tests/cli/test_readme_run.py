"""The README's `Build it` and `Run it` examples, replayed: the build listing and the Python snippet."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from statewright.pipeline import compile_path
from statewright.targets.python import render_module
from tests.cli.test_cli import run
from tests.cli.test_smt_cli import README, readme_block, refund  # noqa: F401 - `refund` is a fixture


def test_readme_build_listing_is_what_build_writes(refund: Path) -> None:  # noqa: F811
    """`statewright build refund.wf --target all --out build/` writes the files the README lists."""
    block = readme_block("Build it.")
    result = run("build", "refund.wf", "--target", "all", "--out", "build/")
    assert result.exit_code == 0, result.output
    listed = re.findall(r"^wrote +(\S+)$", block, re.M)
    written = re.findall(r"^wrote +(\S+)$", result.output, re.M)
    assert written == listed
    assert block.strip().splitlines()[-1] in result.output


def test_readme_python_snippet_runs(refund: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """The snippet under `Run it.` runs against the generated module and does what its comments say."""
    start = README.index("Run it.")
    match = re.search(r"```python\n(.*?)```", README[start:], re.S)
    assert match is not None
    result = compile_path(refund)
    assert result.machine is not None
    (tmp_path / "refund_request.py").write_text(render_module(result.machine, "refund.wf"), "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    namespace: dict[str, Any] = {}
    try:
        exec(match.group(1), namespace)
    finally:
        sys.modules.pop("refund_request", None)
    assert namespace["paid"] == ["refund-r-17"]  # the snippet's own handler ran, with the key
    assert namespace["refund"].state == "Refunding"
    with namespace["RefundRequest"]("refunds.db") as reopened:
        request = reopened.instance("r-17")
        assert request.state == "Refunded"
        assert request.context.refund_id == "re_8731"  # the payload, kept by `set refund_id = ...`
        kinds = [(r.kind, r.event) for r in request.audit()]
        assert kinds == [
            ("start", None),
            ("event", "submit"),
            ("event", "approve"),
            ("event", "approve"),
            ("done", None),
            ("event", "refunded"),
        ]
