"""Golden files for two examples (order fulfilment, expense approval): the generated module, byte for byte.

They are stored as `<module>.py.golden`, so that linters and type checkers run over
the repository leave them alone (test_module.py checks the modules themselves).
Rewrite them with `pytest --update-golden` after an intended change, and read the diff.
"""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tests.targets.temporal.support import example, generate

GOLDEN = ROOT / "tests" / "golden" / "temporal"
CASES = ["order_fulfilment", "expense_approval"]


@pytest.mark.parametrize("stem", CASES)
def test_golden_files(stem: str, update_golden: bool) -> None:
    """The generated module equals the golden file byte for byte."""
    files, _ = generate(example(stem), f"{stem}.wf")
    ((name, text),) = files.items()
    path = GOLDEN / f"{name}.golden"
    if update_golden:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    assert path.read_bytes() == text.encode("utf-8"), f"{path} differs: run pytest --update-golden"


def test_golden_files_are_utf8_with_a_final_newline() -> None:
    """Readable text files: UTF-8, LF line ends, one trailing newline."""
    assert len(list(GOLDEN.glob("*.py.golden"))) == len(CASES)
    for path in sorted(GOLDEN.glob("*.py.golden")):
        text = path.read_bytes().decode("utf-8")
        assert text.endswith("main()\n") and "\r" not in text, path
