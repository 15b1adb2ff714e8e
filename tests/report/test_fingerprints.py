"""SARIF `partialFingerprints`: the same finding keeps its fingerprint across runs and unrelated edits."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from statewright import cli
from statewright.diagnostics import Diagnostic, lookup
from statewright.report.fingerprints import FINGERPRINT_KEY, fingerprints
from statewright.source import Span
from tests.report.test_sarif import validator

ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "STATEWRIGHT_DEBUG": None, "COLUMNS": "200"}
SPEC = (
    "workflow W {\n"
    "  events { go, audit, ping }\n"
    "  initial state A { on go -> Review  timeout 1h -> Done }\n"
    "  state Review { on go -> Done }\n"
    "  state Orphan { on go -> Done  timeout 1h -> Done }\n"
    "  final state Done\n"
    "}\n"
)


@contextmanager
def cwd(path: Path) -> Iterator[None]:
    """Run with `path` as the working directory (SARIF URIs are relative to it)."""
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def results(tmp_path: Path, text: str) -> dict[str, tuple[int, str]]:
    """Check `text` as w.wf and return code+message start -> (line, fingerprint) of each result."""
    (tmp_path / "w.wf").write_text(text, "utf-8")
    with cwd(tmp_path):
        output = CliRunner().invoke(cli.app, ["check", "--format", "sarif", "w.wf"], env=ENV).stdout
    log: dict[str, Any] = json.loads(output)
    validator().validate(log)
    found: dict[str, tuple[int, str]] = {}
    for result in log["runs"][0]["results"]:
        key = f"{result['ruleId']} {result['message']['text'][:40]}"
        line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
        found[key] = (line, result["partialFingerprints"][FINGERPRINT_KEY])
    return found


def test_fingerprints_survive_reruns_and_unrelated_edits(tmp_path: Path) -> None:
    first = results(tmp_path, SPEC)
    assert len(first) >= 3  # SW301 Orphan, SW601 Review, SW304/SW311 ...
    assert len({fingerprint for _, fingerprint in first.values()}) == len(first)
    assert results(tmp_path, SPEC) == first
    edited = "# a comment on top\n\n" + SPEC.replace(
        "  final state Done\n", "  state Extra { on ping -> Done  timeout 1h -> Done }\n  final state Done\n"
    )
    second = results(tmp_path, edited)
    moved = 0
    for key, (line, fingerprint) in first.items():
        if key in second:
            assert second[key][1] == fingerprint, key
            moved += second[key][0] != line
    assert moved >= 3  # the lines moved, the fingerprints did not


def finding(code: str, message: str, line: int = 1) -> Diagnostic:
    """A finding at `line`."""
    return Diagnostic.of(lookup(code), message, "w.wf", Span(line, 1, line, 2))


def test_the_names_a_finding_is_about_make_it_distinct() -> None:
    a = finding("SW301", "state `A` is unreachable")
    b = finding("SW301", "state `B` is unreachable")
    c = finding("SW302", "state `A` is unreachable")
    witness_1 = finding("SW406", "`set n = n + 1` can leave `n` outside its range: from n = 3 it sets n = 4")
    witness_2 = finding(
        "SW406", "`set n = n + 1` can leave `n` outside its range: from n = 9, m = 1 it sets 10", 9
    )
    keys = list(fingerprints([(a, "w.wf"), (b, "w.wf"), (c, "w.wf"), (a, "x.wf"), (witness_1, "w.wf")]))
    assert len(set(keys)) == 5
    assert list(fingerprints([(witness_2, "w.wf")])) == keys[4:]


@given(st.lists(st.sampled_from(["`A`", "`B`", "plain 1", "plain 22"]), min_size=1, max_size=8))
def test_repeats_are_numbered_in_order_and_never_collide(messages: list[str]) -> None:
    keys = list(fingerprints([(finding("SW301", m), "w.wf") for m in messages]))
    assert len(set(keys)) == len(keys)
    assert keys == list(fingerprints([(finding("SW301", m, 7), "w.wf") for m in messages]))
