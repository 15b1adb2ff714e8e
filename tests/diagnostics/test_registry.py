"""The code registry: complete on `import statewright.diagnostics` alone; the one home of built-in codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statewright.diagnostics import (
    BUILTIN_CODES,
    CODES,
    RETIRED_CODES,
    Code,
    CodeClashError,
    Severity,
    codes,
    lookup,
    register,
)
from statewright.diagnostics.catalog import FAMILIES
from statewright.diagnostics.catalog.parallel import EXPLORATION_PARTIAL

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_ALONE = {"statewright", "statewright.source"}
"""What importing `statewright.diagnostics` may load besides its own modules."""

FAMILY_RANGES = {
    "codes": [(1, 299)],
    "structure": [(300, 399)],
    "guards": [(400, 499)],
    "sagas": [(500, 599)],
    "waits": [(600, 699)],
    "retries": [(700, 799)],
    "parallel": [(800, 809), (820, 899)],
    "recommendation": [(810, 819)],
    "command": [(900, 909), (912, 912)],
    "targets": [(910, 919)],
    "asl": [(920, 939)],
    "bpmn": [(940, 950)],
    "temporal": [(951, 959)],
    "runtime": [(960, 979)],
    "testing": [(980, 989)],
    "migration": [(990, 999)],
    "operations": [(70, 79)],
}
"""The number ranges each table may use (SW912 `target-skipped` is the command line's)."""


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    """Run the probe in a fresh interpreter (nothing imported before it)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.diagnostics.registry_probe"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_importing_diagnostics_alone_loads_no_stage(probe: dict[str, Any]) -> None:
    loaded = set(probe["loaded"])
    outside = {m for m in loaded if not m.startswith("statewright.diagnostics")} - ALLOWED_ALONE
    assert outside == set()
    assert len(probe["alone"]) == len(BUILTIN_CODES) > 100


def test_importing_every_module_and_plugin_changes_nothing(probe: dict[str, Any]) -> None:
    assert probe["everything"] == probe["alone"]
    assert list(probe["alone"]) == sorted(probe["alone"])


def test_every_code_the_package_reports_is_built_in(probe: dict[str, Any]) -> None:
    assert set(probe["used"]) - set(probe["alone"]) == set()


def test_every_built_in_code_is_reported_somewhere(probe: dict[str, Any]) -> None:
    """A code nothing refers to is dead (as SW111 `final-with-exits` was: the grammar forbids the case)."""
    assert set(probe["alone"]) - set(probe["used"]) == set()


def test_every_code_the_source_names_exists(probe: dict[str, Any]) -> None:
    assert set(probe["mentioned"]) - set(probe["alone"]) - set(RETIRED_CODES) == set()
    assert set(RETIRED_CODES) & set(probe["alone"]) == set()


def test_each_table_keeps_to_its_number_range() -> None:
    for module in (codes, *FAMILIES):
        family = module.__name__.rsplit(".", 1)[-1]
        for value in vars(module).values():
            if isinstance(value, Code):
                number = int(value.code.removeprefix("SW"))
                assert any(lo <= number <= hi for lo, hi in FAMILY_RANGES[family]), value.code


def test_codes_are_well_formed() -> None:
    names = [c.name for c in BUILTIN_CODES.values()]
    assert len(names) == len(set(names))
    for key, code in BUILTIN_CODES.items():
        assert key == code.code
        assert re.fullmatch(r"SW[0-9]{3}", code.code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code.name)
        assert code.title and code.title == code.title.strip() and not code.title.endswith(".")
        assert lookup(key) is code is CODES[key]


def test_a_setting_named_in_a_help_text_is_the_rule_s_setting() -> None:
    from statewright.compiler.verify.rules.parallel import LIMIT_SETTING

    assert f"`{LIMIT_SETTING}`" in EXPLORATION_PARTIAL.help


def test_emitting_modules_keep_their_constant_names() -> None:
    from statewright.cli.codes import INTERNAL_ERROR
    from statewright.runtime.errors import LOG_DOES_NOT_REPLAY, WorkflowError
    from statewright.targets.asl.codes import OPTION_INVALID
    from statewright.targets.bpmn.checks import NO_FINAL_STATE
    from statewright.testing.codes import INVARIANT_BROKEN

    found = [INTERNAL_ERROR, LOG_DOES_NOT_REPLAY, WorkflowError.code, OPTION_INVALID, NO_FINAL_STATE]
    assert [c.code for c in [*found, INVARIANT_BROKEN]] == [
        "SW909",
        "SW973",
        "SW960",
        "SW920",
        "SW948",
        "SW980",
    ]
    assert all(BUILTIN_CODES[c.code] is c for c in found)


# ------------------------------------------------------------------ plugin codes


def test_plugin_code_is_registered_after_the_built_ins() -> None:
    mine = Code("TREG001", "test-registry-code", Severity.WARNING, "a plugin's own code (tests)", "do x")
    assert register(mine) is mine
    assert register(Code(*_fields(mine))) == mine
    assert lookup("TREG001") is mine
    assert "TREG001" not in BUILTIN_CODES
    keys = list(CODES)
    assert keys[: len(BUILTIN_CODES)] == list(BUILTIN_CODES)
    assert "TREG001" in keys[len(BUILTIN_CODES) :]
    assert len(CODES) == len(keys)


def test_plugin_code_cannot_be_redefined() -> None:
    register(Code("TREG002", "first", Severity.INFO, "first definition (tests)"))
    with pytest.raises(CodeClashError, match="already registered as `first`"):
        register(Code("TREG002", "second", Severity.INFO, "second definition (tests)"))


def test_registering_a_built_in_unchanged_is_harmless() -> None:
    built_in = BUILTIN_CODES["SW301"]
    assert register(Code(*_fields(built_in))) == built_in
    assert CODES["SW301"] is built_in


@given(
    st.sampled_from(sorted(BUILTIN_CODES)),
    st.text(st.sampled_from("abcdefghij -"), min_size=1, max_size=12),
)
def test_a_plugin_cannot_take_a_built_in_code(code: str, title: str) -> None:
    clash = Code(code, "plugin-thing", Severity.INFO, title)
    with pytest.raises(CodeClashError, match=f"{code} is statewright's built-in"):
        register(clash)
    assert CODES[code] is BUILTIN_CODES[code] != clash


@given(st.integers(0, 999).map(lambda n: f"SW{n:03d}").filter(lambda c: c not in BUILTIN_CODES))
def test_the_sw_prefix_is_reserved(code: str) -> None:
    with pytest.raises(CodeClashError, match="reserved"):
        register(Code(code, "plugin-thing", Severity.INFO, "not ours"))
    assert code not in CODES


def _fields(code: Code) -> tuple[str, str, Severity, str, str]:
    return (code.code, code.name, code.severity, code.title, code.help)
