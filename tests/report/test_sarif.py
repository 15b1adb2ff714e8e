"""SARIF 2.1.0 output: valid against the official schema, with rules, results, locations and code flows."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker
from typer.testing import CliRunner, Result

from statewright import __version__, cli
from statewright.cli import build as build_command
from statewright.cli import check as check_command
from statewright.diagnostics import Code, Diagnostic, Related, Severity, register
from statewright.ir import Machine
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.hookspecs import hookimpl
from statewright.plugins.manager import PluginManager
from statewright.report.sarif import SARIF_SCHEMA, artifact_location, region, sarif_log
from statewright.source import NO_SPAN, Span

SCHEMA_PATH = Path(__file__).parent / "sarif-schema-2.1.0.json"
ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "STATEWRIGHT_DEBUG": None, "COLUMNS": "200"}
ONLY_IR = ("statewright.targets.ir_target",)
"""Built-ins without the real rules, so each test controls which rules run."""
GOOD = "workflow Good {\n  events { go }\n  initial state A { on go -> B }\n  final state B\n}\n"

TEST_CODE = register(
    Code("TSS398", "test-deadlock", Severity.ERROR, "non-final state has no way out (tests)", "add an exit")
)


_URI_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def is_uri_reference(value: object) -> bool:
    """RFC 3986 characters only, percent-encoding well formed (jsonschema checks nothing without rfc3987)."""
    return not isinstance(value, str) or _URI_CHARS.fullmatch(value) is not None


def is_uri(value: object) -> bool:
    """An absolute RFC 3986 URI: a scheme, then URI characters."""
    return not isinstance(value, str) or (is_uri_reference(value) and _SCHEME.match(value) is not None)


@cache
def validator() -> Draft4Validator:
    """The official SARIF 2.1.0 schema (draft 4), loaded once, checking the `uri` formats too."""
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    Draft4Validator.check_schema(schema)
    formats = FormatChecker()
    formats.checks("uri")(is_uri)
    formats.checks("uri-reference")(is_uri_reference)
    return Draft4Validator(schema, format_checker=formats)


def test_the_uri_format_checks_reject_bad_uris() -> None:
    assert not validator().is_valid({"version": "2.1.0", "runs": [], "$schema": "not a uri"})
    log = sarif_log([Diagnostic("TSS398", Severity.ERROR, "m", "a.wf", Span(1, 1, 1, 2))], root=Path("/r"))
    assert validator().is_valid(log)
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b.wf"
    assert not validator().is_valid(log)
    assert not is_uri_reference("has space.wf")
    assert not is_uri("relative/path.wf")
    assert is_uri("file:///tmp/x%20y.wf")


def assert_valid(log: dict[str, Any]) -> None:
    """Fail with every schema error, each with its JSON path."""
    errors = sorted(validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_schema_file_is_the_official_one() -> None:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    assert schema["id"] == SARIF_SCHEMA
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]


# --------------------------------------------------------------------------- the log


def rich_findings(root: Path) -> list[Diagnostic]:
    """Findings exercising every SARIF feature statewright uses."""
    inside = str(root / "flows" / "order é.wf")
    outside = "/elsewhere/other.wf"
    return [
        Diagnostic(
            "TSS398",
            Severity.ERROR,
            "state `Stuck` has no way out",
            "flows/order é.wf",
            Span(3, 5, 3, 12),
            help="add an exit",
            counterexample=("submit", "after 30s"),
            related=(Related(inside, Span(1, 1, 1, 9), "declared here"),),
        ),
        Diagnostic(
            "TSS398", Severity.WARNING, "initial-state finding", inside, Span(1, 1, 2, 1), counterexample=()
        ),
        Diagnostic(
            "SW455",
            Severity.INFO,
            "guards overlap",
            outside,
            Span(7, 2, 7, 20),
            witness=(("amount", "10"),),
            help="a custom help",
        ),
        Diagnostic("SW900", Severity.WARNING, "plugin `x` failed to load", "<plugin x>", NO_SPAN),
        Diagnostic("SW901", Severity.ERROR, "unknown target `nope`", "<command line>", NO_SPAN),
        Diagnostic("SW001", Severity.ERROR, "`missing.wf` does not exist", "missing.wf", NO_SPAN),
    ]


def test_log_validates_and_carries_driver_rules_results(tmp_path: Path) -> None:
    log = sarif_log(rich_findings(tmp_path), root=tmp_path, exit_code=1, run_properties={"validation": []})
    assert_valid(log)
    assert log["version"] == "2.1.0"
    assert log["$schema"] == SARIF_SCHEMA
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("statewright", __version__)
    assert driver["informationUri"].startswith("https://")
    assert [rule["id"] for rule in driver["rules"]] == ["SW001", "SW455", "TSS398"]
    sw398 = driver["rules"][2]
    assert sw398["name"] == "test-deadlock"
    assert sw398["shortDescription"] == {"text": "non-final state has no way out (tests)"}
    assert sw398["help"] == {"text": "add an exit"}
    assert sw398["defaultConfiguration"] == {"level": "error"}
    assert driver["rules"][1]["shortDescription"]["text"].startswith("SW455 (not a registered")
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["TSS398", "TSS398", "SW455", "SW001"]
    assert [r["level"] for r in results] == ["error", "warning", "note", "error"]
    assert all(driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in results)


def test_locations_are_relative_to_the_working_directory(tmp_path: Path) -> None:
    log = sarif_log(rich_findings(tmp_path), root=tmp_path)
    results = log["runs"][0]["results"]
    first = results[0]["locations"][0]["physicalLocation"]
    assert first["artifactLocation"] == {"uri": "flows/order%20%C3%A9.wf", "uriBaseId": "%SRCROOT%"}
    assert first["region"] == {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 12}
    second = results[1]["locations"][0]["physicalLocation"]
    assert second["artifactLocation"]["uri"] == "flows/order%20%C3%A9.wf"  # absolute path inside root
    assert results[2]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "file:///elsewhere/other.wf"
    }
    missing = results[3]["locations"][0]["physicalLocation"]
    assert missing == {"artifactLocation": {"uri": "missing.wf", "uriBaseId": "%SRCROOT%"}}  # no region


def test_counterexamples_are_code_flows_and_properties(tmp_path: Path) -> None:
    results = sarif_log(rich_findings(tmp_path), root=tmp_path)["runs"][0]["results"]
    flow = results[0]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [step["location"]["message"]["text"] for step in flow] == ["submit", "after 30s"]
    assert [step["executionOrder"] for step in flow] == [1, 2]
    assert results[0]["properties"]["counterexample"] == ["submit", "after 30s"]
    assert results[0]["relatedLocations"][0]["message"] == {"text": "declared here"}
    initial = results[1]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [step["location"]["message"]["text"] for step in initial] == ["(initial state)"]
    assert results[1]["properties"]["counterexample"] == []
    assert results[2]["properties"]["witness"] == {"amount": "10"}
    assert results[2]["properties"]["help"] == "a custom help"


def test_findings_about_no_file_are_notifications(tmp_path: Path) -> None:
    (run,) = sarif_log(rich_findings(tmp_path), root=tmp_path, exit_code=2)["runs"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["exitCode"] == 2
    assert [n["descriptor"]["id"] for n in invocation["toolConfigurationNotifications"]] == ["SW900"]
    assert [n["descriptor"]["id"] for n in invocation["toolExecutionNotifications"]] == ["SW901"]
    notifications = run["tool"]["driver"]["notifications"]
    assert [n["id"] for n in notifications] == ["SW900", "SW901"]
    assert all(
        "<" not in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    )


def test_an_empty_run_is_valid(tmp_path: Path) -> None:
    log = sarif_log([], root=tmp_path, exit_code=0)
    assert_valid(log)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["invocations"] == [{"executionSuccessful": True, "exitCode": 0}]


def test_region_and_location_helpers(tmp_path: Path) -> None:
    assert region(NO_SPAN) is None
    assert region(Span(2, 4, 2, 4)) == {"startLine": 2, "startColumn": 4, "endLine": 2, "endColumn": 4}
    assert region(Span(5, 9, 6, 1)) == {"startLine": 5, "startColumn": 9, "endLine": 6, "endColumn": 1}
    assert artifact_location("a/../b.wf", tmp_path) == {"uri": "b.wf", "uriBaseId": "%SRCROOT%"}
    assert artifact_location("../up.wf", tmp_path)["uri"] == (tmp_path.parent / "up.wf").as_uri()


# --------------------------------------------------------------------------- the command line


@dataclass(frozen=True)
class StuckRule:
    """Reports TSS398 on state `A` of every machine, with a counterexample."""

    name: str = "stuck"
    family: str = "deadlock"
    codes: tuple[str, ...] = ("TSS398",)

    def check(self, machine: Machine, context: RuleContext) -> Iterable[Diagnostic]:
        """One finding on the machine's initial state."""
        state = machine.state(machine.initial)
        yield Diagnostic.of(TEST_CODE, "state `A` looks stuck", machine.source, state.span, counterexample=())


class Provides:
    """A plugin providing the stuck rule."""

    @hookimpl
    def statewright_rules(self) -> list[Rule]:
        """Return the fake rule."""
        return [StuckRule()]


@pytest.fixture
def with_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make `check` and `build` see the ir target and the stuck rule."""
    for command in (check_command, build_command):
        monkeypatch.setattr(
            command,
            "get_plugin_manager",
            lambda: PluginManager(ONLY_IR, plugins=[Provides()], entry_points=False),
        )
    yield


def invoke(*args: str | Path) -> Result:
    """Run the CLI in-process."""
    result = CliRunner().invoke(cli.app, [str(a) for a in args], env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_check_format_sarif(tmp_path: Path, with_rule: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "good.wf").write_text(GOOD, "utf-8")
    result = invoke("check", "--format", "sarif", "specs/good.wf")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert_valid(log)
    (run,) = log["runs"]
    found, note = run["results"]  # the finding, then the engine recommendation's note
    assert note["ruleId"] == "SW811"
    assert (note["level"], note["locations"][0]["physicalLocation"]["region"]["startLine"]) == ("note", 1)
    assert found["ruleId"] == "TSS398"
    location = found["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "specs/good.wf", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 3, "startColumn": 3, "endLine": 3, "endColumn": 33}
    (validation,) = run["properties"]["validation"]
    assert validation["workflow"] == "Good"
    deadlock = next(c for c in validation["checks"] if c["check"] == "deadlock")
    assert deadlock["status"] == "FAIL"


def test_check_sarif_with_an_absolute_path_and_a_syntax_error(
    tmp_path: Path, with_rule: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.wf"
    bad.write_text("workflow W {\n  initial state A { on go -> }\n}\n", "utf-8")
    result = invoke("check", "--format", "sarif", bad, tmp_path / "missing.wf")
    assert result.exit_code == 2
    log = json.loads(result.stdout)
    assert_valid(log)
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]
    ]
    assert uris == ["bad.wf", "missing.wf"]
    assert log["runs"][0]["properties"]["validation"] == []
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_build_format_sarif_lists_artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        build_command, "get_plugin_manager", lambda: PluginManager(ONLY_IR, entry_points=False)
    )
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.wf").write_text(GOOD, "utf-8")
    result = invoke(
        "build", "--format", "sarif", "good.wf", "--target", "ir", "--target", "nope", "--out", "out"
    )
    log = json.loads(result.stdout)
    assert_valid(log)
    invocation = log["runs"][0]["invocations"][0]
    assert [n["descriptor"]["id"] for n in invocation["toolExecutionNotifications"]] == ["SW901"]
    clean = invoke("build", "--format", "sarif", "good.wf", "--target", "ir", "--out", "out")
    assert clean.exit_code == 0
    log = json.loads(clean.stdout)
    assert_valid(log)
    assert log["runs"][0]["properties"]["artifacts"] == [
        {"target": "ir", "path": os.path.join("out", "ir", "Good.ir.json"), "status": "wrote"}
    ]


def test_sarif_output_is_deterministic(
    tmp_path: Path, with_rule: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.wf").write_text(GOOD, "utf-8")
    first = invoke("check", "--format", "sarif", "good.wf").stdout
    assert first == invoke("check", "--format", "sarif", "good.wf").stdout
