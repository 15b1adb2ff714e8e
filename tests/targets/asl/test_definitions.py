"""Generated definitions: valid for asl-validator, byte-identical across runs, readable names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.targets.asl.checks import states_of
from statewright.targets.asl.compile import compile_machine
from statewright.targets.asl.names import MAX_NAME, Namer
from tests.targets.asl.support import EXAMPLE_STEMS, artifacts, definition, example, validate
from tests.verify.test_structure import machines


def test_every_example_definition_passes_asl_validator(tmp_path: Path) -> None:
    """All five examples in one asl-validator call: exit 0 and one `is valid` line per file."""
    paths = []
    for stem in EXAMPLE_STEMS:
        machine = example(stem)
        path = tmp_path / f"{machine.name}.asl.json"
        path.write_text(artifacts(machine, f"examples/{stem}.wf")[path.name], "utf-8")
        paths.append(path)
    result = validate(paths)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("is valid") == len(paths)


def test_the_validator_rejects_a_broken_definition(tmp_path: Path) -> None:
    """The check can fail: a dangling Next in a generated definition is caught."""
    machine = example("order_fulfilment")
    data = definition(machine)
    data["States"]["Draft"]["Next"] = "Nowhere"
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(data), "utf-8")
    result = validate([path])
    assert result.returncode == 1
    assert "Nowhere" in result.stdout + result.stderr


@settings(max_examples=3, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(machines(nested=True, parallel=True), min_size=12, max_size=12))
def test_random_machines_give_valid_definitions(
    tmp_path_factory: pytest.TempPathFactory, batch: list[ir.Machine]
) -> None:
    """Random flat, nested and parallel machines (choice states, work): valid ASL, one call per batch."""
    folder = tmp_path_factory.mktemp("random")
    paths = []
    for number, machine in enumerate(batch):
        compiled = compile_machine(machine)
        names = [name for name, _ in states_of(compiled.definition)]
        assert len(names) == len(set(names))
        assert all(len(name) <= MAX_NAME for name in names)
        if any(d.code == "SW933" for d in compiled.diagnostics):  # never ends (e.g. an `always` loop)
            assert not any(
                s["Type"] in ("Succeed", "Fail") for s in compiled.definition["States"].values()
            ) or any("branch" in d.message for d in compiled.diagnostics if d.code == "SW933")
            continue
        path = folder / f"m{number}.asl.json"
        path.write_text(compiled.text, "utf-8")
        paths.append(path)
    if not paths:
        return
    result = validate(paths)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("stem", EXAMPLE_STEMS)
def test_output_is_byte_identical_across_runs(stem: str) -> None:
    """Same machine, same files; a fresh compile of the same source gives the same bytes too."""
    machine = example(stem)
    first = artifacts(machine, f"examples/{stem}.wf")
    assert first == artifacts(machine, f"examples/{stem}.wf")
    assert sorted(first) == sorted(
        [f"{machine.name}.asl.json", f"{machine.name}.sam.json", f"{machine.name}.resources.json"]
    )


def test_leaf_states_keep_their_ir_names_and_cite_the_dsl_line() -> None:
    """Each IR leaf is a state of its own name; its Comment gives `file.wf:LINE`."""
    machine = example("order_fulfilment")
    data = definition(machine, "examples/order_fulfilment.wf")
    states = dict(states_of(data))
    for leaf in ("Draft", "Validating", "Fulfilling.charge_card", "ManagerApproval.level_2", "Shipped"):
        assert leaf in states
        assert "examples/order_fulfilment.wf:" in states[leaf]["Comment"]
    assert states["Shipped"]["Type"] == "Succeed"
    assert states["Cancelled"] == {
        "Type": "Fail",
        "Comment": states["Cancelled"]["Comment"],
        "Error": "Cancelled",
        "Cause": "order cancelled; any payment was refunded",
    }


def test_every_wait_is_bounded() -> None:
    """No callback Task without TimeoutSeconds, in any example (a waitForTaskToken without one can hang)."""
    for stem in EXAMPLE_STEMS:
        for name, state in states_of(definition(example(stem))):
            if state["Type"] == "Task":
                assert isinstance(state.get("TimeoutSeconds"), int), (stem, name)


def test_namer_cuts_long_names_stably_and_keeps_them_unique() -> None:
    """Over 80 characters: cut with a hash suffix; repeated bases get `#2`; the same key, the same name."""
    namer = Namer()
    long = "S" * 100
    first = namer.name(long)
    assert len(first) <= MAX_NAME and first == Namer().name(long)
    assert namer.name(long) == first
    assert namer.name("A", "wait") == "A | wait"
    other = Namer()
    assert other.name("A | wait") == "A | wait"
    assert other.name("A", "wait") == "A | wait #2"
