"""`statewright explain`: every code's meaning, example and fix; docs/CODES.md is generated from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from statewright import cli
from statewright.diagnostics import BUILTIN_CODES
from statewright.diagnostics.examples import EXAMPLES, example_of, fix_of

ROOT = Path(__file__).resolve().parents[2]
ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "STATEWRIGHT_DEBUG": None, "COLUMNS": "200"}


def run(*args: str) -> Result:
    """Invoke the CLI in-process, never with a traceback."""
    result = CliRunner().invoke(cli.app, list(args), env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_every_built_in_code_has_an_example_and_a_fix() -> None:
    missing = [c for c in BUILTIN_CODES.values() if example_of(c) is None or not example_of(c).text.strip()]  # type: ignore[union-attr]
    assert missing == []
    assert [c.code for c in BUILTIN_CODES.values() if not fix_of(c).strip()] == []
    assert all(key.startswith("SW") and len(key) == 5 for key in EXAMPLES)


def test_explain_prints_name_meaning_example_and_fix() -> None:
    result = run("explain", "SW301")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "SW301 unreachable-state (error by default)"
    assert "state cannot be reached from the initial state" in lines[1]
    assert "Example:" in lines and "Fix:" in lines
    assert BUILTIN_CODES["SW301"].help in result.stdout


@pytest.mark.parametrize("name", ["sw301", " SW301 ", "unreachable-state", "UNREACHABLE-STATE"])
def test_explain_takes_a_code_in_any_case_or_its_name(name: str) -> None:
    assert run("explain", name).stdout == run("explain", "SW301").stdout


def test_a_code_without_help_gets_the_table_s_fix() -> None:
    assert BUILTIN_CODES["SW010"].help == ""
    assert "`==` compares" in run("explain", "SW010").stdout


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("SW3O1", "did you mean SW301"),
        ("unreachable-sate", "did you mean unreachable-state"),
        ("SW111", "SW111 is retired"),
        ("", "no diagnostic code"),
        ("\x1b[31mSW301", "no diagnostic code `?[31MSW301`"),
        ("x" * 5000, "no diagnostic code"),
    ],
)
def test_an_unknown_code_is_a_usage_error(name: str, says: str) -> None:
    result = run("explain", name)
    assert result.exit_code == 2
    assert says.lower() in " ".join(result.output.split()).lower()
    assert "\x1b[31m" not in result.output


def test_explain_needs_a_code_or_all() -> None:
    assert run("explain").exit_code == 2
    assert run("explain", "SW301", "--all").exit_code == 2


def test_json_form_lists_every_field() -> None:
    data = json.loads(run("explain", "--all", "--format", "json").stdout)
    assert [d["code"] for d in data] == list(BUILTIN_CODES)
    assert all(d["example"] and d["fix"] and d["name"] and d["title"] for d in data)


def test_docs_codes_md_is_current() -> None:
    """docs/CODES.md is `statewright explain --all --format markdown`; regenerate it when this fails."""
    generated = run("explain", "--all", "--format", "markdown").stdout
    assert (ROOT / "docs" / "CODES.md").read_text("utf-8") == generated, (
        "docs/CODES.md is stale: run `statewright explain --all --format markdown > docs/CODES.md`"
    )
    for code in BUILTIN_CODES:
        assert f"## {code} " in generated


def test_a_plugin_code_is_explained_from_its_registration() -> None:
    from statewright.diagnostics import Code, Severity, register

    register(Code("XPLN001", "explain-probe", Severity.WARNING, "a plugin's code (tests)", "do the thing"))
    result = run("explain", "xpln001")
    assert result.exit_code == 0
    assert result.stdout.startswith("XPLN001 explain-probe (warning by default)")
    assert "(none recorded)" in result.stdout and "do the thing" in result.stdout
    assert "XPLN001" not in run("explain", "--all", "--format", "markdown").stdout  # built-in codes only
