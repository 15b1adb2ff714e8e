"""`statewright check` prints the validation summary after the findings, and carries it in JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from statewright import cli
from statewright.cli import check as check_command
from statewright.diagnostics import Diagnostic, Severity
from statewright.ir import Machine
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.hookspecs import hookimpl
from statewright.plugins.manager import PluginManager

ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "STATEWRIGHT_DEBUG": None, "COLUMNS": "200"}
ONLY_IR = ("statewright.targets.ir_target",)
"""Built-ins without the real rules, so each test controls which rules run."""
GOOD = "workflow Good {\n  events { go }\n  initial state A { on go -> B }\n  final state B\n}\n"


@dataclass(frozen=True)
class OddRule:
    """A completeness rule that warns about state A (with a counterexample)."""

    name: str = "odd"
    family: str = "completeness"
    codes: tuple[str, ...] = ("TSC311",)

    def check(self, machine: Machine, context: RuleContext) -> Iterable[Diagnostic]:
        """One warning on the initial state."""
        state = machine.state(machine.initial)
        yield Diagnostic(
            "TSC311", Severity.WARNING, "state A looks odd", machine.source, state.span, counterexample=()
        )


class Plugin:
    """Provides the odd rule."""

    @hookimpl
    def statewright_rules(self) -> list[Rule]:
        """Return the rule."""
        return [OddRule()]


def use(monkeypatch: pytest.MonkeyPatch, *plugins: object) -> None:
    """Make `check` use the ir target plus `plugins` (none of the built-in rules)."""
    monkeypatch.setattr(
        check_command,
        "get_plugin_manager",
        lambda: PluginManager(ONLY_IR, plugins=list(plugins), entry_points=False),
    )


def run(*args: str | Path) -> Result:
    """Invoke the CLI in-process."""
    result = CliRunner().invoke(cli.app, [str(a) for a in args], env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_text_shows_findings_then_validation_then_the_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, Plugin())
    path = tmp_path / "good.wf"
    path.write_text(GOOD, "utf-8")
    result = run("check", path)
    assert result.exit_code == 0
    out = result.stdout
    finding = out.index("warning[TSC311]: state A looks odd")
    validation = out.index(f"validation of Good ({path}): INCOMPLETE — 0 pass, 1 warn, 0 fail, 8 not run")
    assert finding < validation < out.index("checked 1 file: 0 errors, 1 warning")
    assert "  WARN     completeness" in out
    assert "  NOT RUN  reachability" in out
    assert "counterexample (TSC311): (initial state)" in out
    assert f"  - finding: TSC311 warning at {path}:3:3: state A looks odd" in out
    assert out.rstrip("\n").splitlines()[-1] == "checked 1 file: 0 errors, 1 warning"


def test_concise_has_one_validation_line_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, Plugin())
    path = tmp_path / "good.wf"
    path.write_text(GOOD, "utf-8")
    lines = run("check", "--format", "concise", path).stdout.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith(f"{path}:3:3: TSC311 warning")
    assert lines[1].startswith(f"{path}: validation INCOMPLETE: reachability NOT RUN,")
    assert "completeness WARN" in lines[1]
    assert lines[2] == "engine recommendation for Good: none (no requirements declared, SW811)"
    assert lines[3] == "checked 1 file: 0 errors, 1 warning"


def test_json_carries_validation_next_to_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, Plugin())
    path = tmp_path / "good.wf"
    path.write_text(GOOD, "utf-8")
    (tmp_path / "bad.wf").write_text("workflow W {\n  initial state A { on go -> }\n}\n", "utf-8")
    document = json.loads(run("check", "--format", "json", tmp_path).stdout)
    assert list(document) == ["files", "diagnostics", "summary", "validation", "recommendation"]
    (validation,) = document["validation"]  # the file with a syntax error was not verified
    assert (validation["file"], validation["workflow"], validation["verdict"]) == (
        str(path),
        "Good",
        "INCOMPLETE",
    )
    completeness = next(c for c in validation["checks"] if c["check"] == "completeness")
    assert completeness["status"] == "WARN"
    assert completeness["rules"] == ["odd"]
    assert validation["risks"][0]["code"] == "TSC311"


def test_without_rules_text_stays_as_it_was_and_json_says_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch)
    path = tmp_path / "good.wf"
    path.write_text(GOOD, "utf-8")
    assert run("check", path).stdout == "checked 1 file: no problems found\n"
    (validation,) = json.loads(run("check", "--format", "json", path).stdout)["validation"]
    assert {c["status"] for c in validation["checks"]} == {"NOT RUN"}
    assert validation["verdict"] == "INCOMPLETE"


def test_the_verdict_agrees_with_the_exit_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16: a warning said FAIL while `check` exited 0 with 0 errors; WARN now, FAIL under --strict."""
    use(monkeypatch, Plugin())
    path = tmp_path / "good.wf"
    path.write_text(GOOD, "utf-8")
    plain = run("check", "--format", "json", path)
    strict = run("check", "--strict", "--format", "json", path)
    assert (plain.exit_code, strict.exit_code) == (0, 1)
    for result, status in ((plain, "WARN"), (strict, "FAIL")):
        (validation,) = json.loads(result.stdout)["validation"]
        completeness = next(c for c in validation["checks"] if c["check"] == "completeness")
        assert completeness["status"] == status
