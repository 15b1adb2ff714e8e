"""The SMT rules from the command line: the README's guard example, `--smt-timeout`, and the summary."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.test_cli import run, write
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")
OVERLAP = "    on submit when amount > 50.00 -> SupervisorApproval"
HARD = """workflow Hard {
  context {
    a: int
    b: int
    c: int
  }
  events { go }
  initial state A {
    on go when a * a * a + b * b * b == c * c * c and a > 0 and b > 0 and c > 0 -> B
    on go else -> B
  }
  final state B
}
"""


def readme_block(after: str) -> str:
    """The first fenced block in the README after the line containing `after`."""
    start = README.index(after)
    match = re.search(r"```\n(.*?)```", README[start:], re.S)
    assert match is not None
    return match.group(1)


@pytest.fixture
def refund(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The README's tour spec, written as refund.wf in a fresh working directory."""
    monkeypatch.chdir(tmp_path)
    return write(tmp_path / "refund.wf", readme_block("Save this as `refund.wf`:"))


def test_readme_tour_spec_is_proved_clean(refund: Path) -> None:
    """The tour spec passes every check, guard consistency included, as the README shows."""
    result = run("check", "refund.wf")
    assert result.exit_code == 0, result.output
    assert re.search(r"PASS +guard consistency", result.output)
    assert "satisfiable: 1 proved, 0 refuted, 0 unknown" in result.output


def test_readme_overlap_example_prints_exactly_what_the_readme_shows(refund: Path) -> None:
    """Replacing the `else` branch as the README says gives the README's SW402 report, verbatim."""
    text = refund.read_text("utf-8")
    assert "    on submit else -> SupervisorApproval" in text
    refund.write_text(text.replace("    on submit else -> SupervisorApproval", OVERLAP), "utf-8")
    result = run("check", "refund.wf")
    assert result.exit_code == 1
    shown = readme_block("z3 finds the").split("\n", 1)[1].strip("\n")
    assert shown in result.output
    assert re.search(r"FAIL +guard consistency", result.output)


def test_smt_timeout_turns_an_undecidable_query_into_sw409(tmp_path: Path) -> None:
    """With a 1 ms limit the nonlinear guard is reported as unknown (SW409), and check still ends."""
    path = write(tmp_path / "hard.wf", HARD)
    result = run("check", path, "--smt-timeout", "1", "--format", "json")
    document = json.loads(result.output)
    codes = {d["code"] for f in document["files"] for d in f["diagnostics"]}
    assert "SW409" in codes
    found = next(d for f in document["files"] for d in f["diagnostics"] if d["code"] == "SW409")
    assert "within 1 ms" in found["message"]
    guards = next(c for c in document["validation"][0]["checks"] if c["check"] == "guards")
    assert any("unknown" in line and not line.endswith(" 0 unknown") for line in guards["evidence"])


def test_smt_timeout_must_be_positive(tmp_path: Path) -> None:
    """A zero time limit is a usage error (exit 2), not a hang or a traceback."""
    path = write(tmp_path / "hard.wf", HARD)
    result = run("check", path, "--smt-timeout", "0")
    assert result.exit_code == 2
