"""`check`, `build` and `test` apply `[tool.statewright]` and inline suppressions; bad config exits 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from statewright import cli

ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "STATEWRIGHT_DEBUG": None, "COLUMNS": "200"}

# Review waits with no timeout (SW601 error); `audit` is never used (SW304 warning).
SPEC = (
    "workflow W {\n"
    "  events { go, audit }\n"
    "  initial state A { on go -> Review  timeout 1h -> Done }\n"
    "  state Review {  # statewright: ignore[SW601] the caller's deadline bounds this wait\n"
    "    on go -> Done\n"
    "  }\n"
    "  final state Done\n"
    "}\n"
)


def run(*args: str | Path) -> Result:
    """Invoke the CLI in-process, never with a traceback."""
    result = CliRunner().invoke(cli.app, [str(a) for a in args], env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def codes_of(result: Result) -> list[str]:
    """Every finding's code in a `--format json` document (run-level and per file)."""
    document = json.loads(result.stdout)
    found = [d["code"] for d in document["diagnostics"]]
    return found + [d["code"] for f in document["files"] for d in f["diagnostics"]]


def project(tmp_path: Path, config: str, spec: str = SPEC) -> Path:
    """A project directory: pyproject.toml with `config`, and specs/w.wf."""
    (tmp_path / "pyproject.toml").write_text(config, "utf-8")
    (tmp_path / "specs").mkdir()
    path = tmp_path / "specs" / "w.wf"
    path.write_text(spec, "utf-8")
    return path


def test_without_configuration_the_suppression_applies(tmp_path: Path) -> None:
    spec = tmp_path / "w.wf"
    spec.write_text(SPEC, "utf-8")
    result = run("check", "--format", "json", spec)
    assert codes_of(result) == ["SW304"]
    assert result.exit_code == 0
    unsuppressed = tmp_path / "v.wf"
    unsuppressed.write_text(SPEC.replace("# statewright: ignore[SW601]", "#"), "utf-8")
    assert codes_of(run("check", "--format", "json", unsuppressed)) == ["SW304", "SW601"]


def test_strict_in_the_configuration_fails_on_warnings(tmp_path: Path) -> None:
    spec = project(tmp_path, "[tool.statewright]\nstrict = true\n")
    result = run("check", "--format", "json", spec)
    assert codes_of(result) == ["SW304"] and result.exit_code == 1
    assert json.loads(result.stdout)["files"][0]["ok"] is False


def test_ignore_and_severity_change_the_exit_code(tmp_path: Path) -> None:
    spec = project(tmp_path, '[tool.statewright]\nstrict = true\nseverity = { SW304 = "info" }\n')
    result = run("check", "--format", "json", spec)
    assert codes_of(result) == ["SW304"] and result.exit_code == 0
    spec.write_text(SPEC.replace("# statewright: ignore[SW601] the caller's deadline bounds this wait", ""))
    (tmp_path / "pyproject.toml").write_text('[tool.statewright]\nignore = ["SW6", "SW304"]\n')
    result = run("check", "--format", "json", spec)
    assert codes_of(result) == [] and result.exit_code == 0


def test_an_unused_suppression_is_reported(tmp_path: Path) -> None:
    spec = project(tmp_path, '[tool.statewright]\nignore = ["SW304"]\n')
    spec.write_text(SPEC.replace("ignore[SW601]", "ignore[SW601, SW301]"), "utf-8")
    result = run("check", "--format", "concise", spec)
    assert (
        "w.wf:4:" in result.stdout and "SW065 warning: unused suppression: no SW301 finding" in result.stdout
    )
    assert result.exit_code == 0


def test_bad_configuration_is_reported_once_and_exits_2(tmp_path: Path) -> None:
    spec = project(tmp_path, '[tool.statewright]\nselect = ["SW6"]\ncolour = "always"\n')
    second = spec.with_name("x.wf")
    second.write_text(SPEC, "utf-8")
    result = run("check", "--format", "concise", spec, second)
    assert result.stdout.count("SW061") == 1
    assert "pyproject.toml:3:1: SW061 error: unknown key `tool.statewright.colour`" in result.stdout
    assert result.exit_code == 2
    sarif = json.loads(run("check", "--format", "sarif", spec).stdout)
    assert any(r["ruleId"] == "SW061" for r in sarif["runs"][0]["results"])


def test_build_takes_target_options_from_the_configuration(tmp_path: Path) -> None:
    spec = project(tmp_path, '[tool.statewright.options.python]\npython_form = "fast"\n')
    result = run("build", "--format", "json", spec, "-t", "python", "-o", tmp_path / "out")
    assert "SW913" in codes_of(result)
    result = run(
        "build",
        "--format",
        "json",
        spec,
        "-t",
        "python",
        "-o",
        tmp_path / "out",
        "--option",
        "python_form=code",
    )
    assert "SW913" not in codes_of(result) and result.exit_code == 0


def test_test_command_applies_the_configuration(tmp_path: Path) -> None:
    spec = project(tmp_path, '[tool.statewright]\nselect = ["SW3"\n')
    result = run("test", "--max-examples", "2", "--drawn", "0", spec)
    assert "SW060" in result.stdout and result.exit_code == 2


def test_the_validation_summary_follows_the_configuration_s_strict(tmp_path: Path) -> None:
    spec = project(tmp_path, "[tool.statewright]\n")
    loose = json.loads(run("check", "--format", "json", spec).stdout)["validation"][0]["verdict"]
    (tmp_path / "pyproject.toml").write_text("[tool.statewright]\nstrict = true\n", "utf-8")
    strict = json.loads(run("check", "--format", "json", spec).stdout)["validation"][0]["verdict"]
    assert (loose, strict) == ("WARN", "FAIL")


WARNS = (
    "workflow W {\n  events { go }\n  initial state A { on go -> Review  timeout 1h -> Done }\n"
    '  state Review {\n    on go -> Done\n    warn after 10m "slow"\n    timeout 1h -> Done\n  }\n'
    "  final state Done\n}\n"
)
"""Line 6's `warn after` has no Step Functions form: SW924, a warning of `build -t asl`."""


def test_a_build_warning_is_suppressed_inline_or_by_the_configuration(tmp_path: Path) -> None:
    spec = project(tmp_path, "[tool.statewright]\n", WARNS)
    out = tmp_path / "out"
    assert "SW924" in codes_of(run("build", "--format", "json", spec, "-t", "asl", "-o", out))
    spec.write_text(WARNS.replace('"slow"\n', '"slow"  # statewright: ignore[SW924] paged by our SLO\n'))
    result = run("build", "--format", "json", spec, "-t", "asl", "-o", out)
    assert codes_of(result) == [] and result.exit_code == 0
    assert codes_of(run("check", "--format", "json", spec)) == []  # not reported unused by check
    spec.write_text(WARNS)
    (tmp_path / "pyproject.toml").write_text('[tool.statewright]\nignore = ["SW92"]\n')
    assert codes_of(run("build", "--format", "json", spec, "-t", "asl", "-o", out)) == []
