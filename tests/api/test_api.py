"""The public API: `statewright.load` and what a `Spec` does, checked against the command line."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

import statewright
from statewright.plugins.manager import UnknownTargetError
from tests.conftest import EXAMPLES, ROOT, example_files

ORDER = EXAMPLES / "order_fulfilment.wf"
TINY = """workflow Door {
  version 1
  events {
    open
    close
  }
  initial state Closed { on open -> Opened }
  state Opened { on close -> Closed }
}
"""


def _cli_check(path: Path) -> list[str]:
    shown = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "statewright"), "check", str(path), "--format", "json"],
        capture_output=True,
        text=True,
    )
    document = json.loads(shown.stdout)
    return sorted(
        f"{d['code']}:{d['span']['line'] if d.get('span') else 0}"
        for f in document["files"]
        for d in f["diagnostics"]
    )


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.stem)
def test_check_finds_what_the_command_line_finds(path: Path) -> None:
    """`Spec.check()` reports the same codes at the same lines as `statewright check`."""
    report = statewright.load(path).check()
    assert report.ok
    ours = sorted(f"{d.code}:{d.span.line}" for d in report.diagnostics)
    assert ours == _cli_check(path)


def test_a_string_is_a_path_or_text() -> None:
    """One-line strings ending in `.wf` are files; anything else is spec text."""
    assert statewright.load(str(ORDER)).name == str(ORDER)
    assert statewright.load(TINY).ir.name == "Door"
    assert statewright.load_text(TINY, "door.wf").name == "door.wf"


def test_bad_specs_are_data_until_the_ir_is_asked_for() -> None:
    """A broken spec loads; its findings say why; asking for the IR raises `SpecError` with them."""
    spec = statewright.load(TINY.replace("-> Opened", "-> Nowhere"))
    assert spec.diagnostics and not spec.check().ok
    with pytest.raises(statewright.SpecError) as raised:
        _ = spec.ir
    assert raised.value.diagnostics == spec.diagnostics
    assert "Nowhere" in str(raised.value)


def test_build_gives_the_artifacts_the_command_line_writes(tmp_path: Path) -> None:
    """`Spec.build(target)` returns byte-for-byte what `statewright build` writes."""
    built = statewright.load(ORDER).build("asl")
    assert built.ok and built.artifacts
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "statewright"),
            "build",
            str(ORDER),
            "--target",
            "asl",
            "--out",
            str(tmp_path / "cli"),
        ],
        check=True,
        capture_output=True,
    )
    written = built.write(tmp_path / "api")
    for path in written:
        twin = tmp_path / "cli" / "asl" / path.relative_to(tmp_path / "api")
        assert path.read_bytes() == twin.read_bytes()
    with pytest.raises(UnknownTargetError):
        statewright.load(ORDER).build("no-such-target")


def test_the_generated_machine_class_runs() -> None:
    """`machine_class()` is the generated in-memory machine: typed start values, events by name."""
    order_machine = statewright.load(ORDER).machine_class()
    order = order_machine(amount=Decimal("120.00"))  # type: ignore[call-arg]
    order.send("submit")
    assert [str(state) for state in getattr(order, "active")] == ["Validating"]  # noqa: B009 (generated)
    door_workflow = statewright.load(TINY).workflow_class()
    assert door_workflow.__name__ == "Door"


def test_the_slim_runtime_says_what_it_lacks() -> None:
    """`statewright.load` needs the compiler; an unknown attribute is an AttributeError."""
    with pytest.raises(AttributeError):
        getattr(statewright, "no_such_thing")  # noqa: B009
