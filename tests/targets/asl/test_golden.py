"""Golden files for two examples (order fulfilment, expense approval): byte-identical, and valid ASL.

Rewrite them with `pytest --update-golden` after an intended change, and read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.targets.asl.support import artifacts, example, validate

GOLDEN = ROOT / "tests" / "golden" / "asl"
CASES = [("order_fulfilment", "OrderFulfilment"), ("expense_approval", "ExpenseApproval")]
SUFFIXES = (".asl.json", ".sam.json", ".resources.json")


@pytest.mark.parametrize(("stem", "name"), CASES)
def test_golden_files(stem: str, name: str, update_golden: bool) -> None:
    """The generated files equal the golden files byte for byte."""
    files = artifacts(example(stem), f"examples/{stem}.wf")
    for suffix in SUFFIXES:
        path = GOLDEN / f"{name}{suffix}"
        if update_golden:
            GOLDEN.mkdir(parents=True, exist_ok=True)
            path.write_bytes(files[name + suffix].encode("utf-8"))
        assert path.read_bytes() == files[name + suffix].encode("utf-8"), (
            f"{path} differs: run pytest --update-golden"
        )


def test_golden_definitions_pass_asl_validator() -> None:
    """The golden definitions themselves are checked by the external validator."""
    result = validate([GOLDEN / f"{name}.asl.json" for _, name in CASES])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("is valid") == len(CASES)


def test_golden_files_are_utf8_with_a_final_newline() -> None:
    """Readable text files: UTF-8, LF line ends, one trailing newline."""
    for path in sorted(GOLDEN.glob("*.json")):
        text = path.read_bytes().decode("utf-8")
        assert text.endswith("}\n") and "\r" not in text, path
        assert Path(path).stat().st_size > 100
