"""The `statewright` command: output, exit codes, and no tracebacks on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from statewright import __version__, cli
from statewright.cli import build as build_command
from statewright.cli import check as check_command
from statewright.cli import invocation
from statewright.cli import targets as targets_command
from statewright.diagnostics import Diagnostic, Severity
from statewright.ir import Machine
from statewright.plugins.api import Artifact, RuleContext, TargetOptions, TargetOutput
from statewright.plugins.hookspecs import hookimpl
from statewright.plugins.manager import PluginManager
from tests.conftest import EXAMPLES

GOOD = (
    "workflow Good {\n  events { go }\n"
    "  initial state A { on go -> B  timeout 1h -> B }\n  final state B\n}\n"
)
OTHER = "workflow Other {\n  events { go }\n  initial state A { on go -> B }\n  final state B\n}\n"
SYNTAX_ERROR = "workflow W {\n  initial state A { on go -> }\n}\n"
UNFORMATTED = "workflow Messy {\nevents { go }\n    initial state A { on go -> B }\n  final state B\n}\n"
ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "STATEWRIGHT_DEBUG": None, "COLUMNS": "200"}


def run(*args: str | Path) -> Result:
    """Invoke the CLI in-process; assert it ended through SystemExit and printed no traceback."""
    result = CliRunner().invoke(cli.app, [str(a) for a in args], env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "\x1b[" not in result.output
    return result


def write(path: Path, text: str) -> Path:
    """Write `text` as UTF-8 and return the path."""
    path.write_text(text, "utf-8")
    return path


# --------------------------------------------------------------------------- fake plugins


@dataclass(frozen=True)
class Rule:
    """A verification rule reporting one finding of the given severity on workflow `Good`."""

    severity: Severity
    name: str = "fake"
    family: str = "structure"
    codes: tuple[str, ...] = ("SW301",)
    crash: bool = False

    def check(self, machine: Machine, context: RuleContext) -> Iterable[Diagnostic]:
        """Report on `Good` only; crash first when asked to."""
        if self.crash:
            raise ValueError("rule bug")
        if machine.name == "Good":
            yield Diagnostic("SW301", self.severity, "state B looks odd", machine.source, machine.span)


@dataclass(frozen=True)
class Target:
    """A target whose behaviour is set per test."""

    name: str
    path: str = "{name}.txt"
    crash: bool = False
    description: str = "test target"

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """Write one file (or crash)."""
        if self.crash:
            raise RuntimeError("target bug")
        return TargetOutput(artifacts=(Artifact(self.path.format(name=machine.name), "content\n"),))


class Provides:
    """A plugin object for the given items."""

    def __init__(self, *items: object) -> None:
        self.items = items

    @hookimpl
    def statewright_targets(self) -> list[object]:
        """Return the fake targets."""
        return [i for i in self.items if isinstance(i, Target)]

    @hookimpl
    def statewright_rules(self) -> list[object]:
        """Return the fake rules."""
        return [i for i in self.items if isinstance(i, Rule)]


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Iterable[list[object]]:
    """Make the CLI use built-ins plus the objects appended to the yielded list."""
    extra: list[object] = []
    for command in (check_command, build_command, targets_command):
        monkeypatch.setattr(
            command,
            "get_plugin_manager",
            lambda: PluginManager(plugins=[Provides(*extra)], entry_points=False),
        )
    yield extra


# --------------------------------------------------------------------------- check: bad input


def test_missing_file(tmp_path: Path) -> None:
    result = run("check", tmp_path / "nope.wf")
    assert result.exit_code == 2
    assert "error[SW001]" in result.stdout
    assert "nope.wf` does not exist" in result.stdout
    assert "checked 1 file: 1 error, 0 warnings" in result.stdout


def test_directory_without_wf_files(tmp_path: Path) -> None:
    write(tmp_path / "notes.txt", "nothing here")
    result = run("check", tmp_path)
    assert result.exit_code == 2
    assert "error[SW906]" in result.stdout
    assert f"no `.wf` files found under `{tmp_path}`" in result.stdout


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.wf"
    path.write_bytes('workflow W {\n  doc "caf\xe9"\n}'.encode("latin-1"))
    result = run("check", path)
    assert result.exit_code == 2
    assert "error[SW003]" in result.stdout
    assert f"--> {path}:2:11" in result.stdout


def test_empty_file(tmp_path: Path) -> None:
    result = run("check", write(tmp_path / "empty.wf", ""))
    assert result.exit_code == 2
    assert "error[SW005]" in result.stdout


def test_syntax_error_shows_place_line_caret_and_code(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.wf", SYNTAX_ERROR)
    result = run("check", path)
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[0] == "error[SW010]: `->` must be followed by the name of a state"
    assert lines[1] == f" --> {path}:2:30"
    assert "2 |   initial state A { on go -> }" in lines
    caret = next(line for line in lines if "^ unexpected `}`" in line)
    assert caret.index("^") == lines[3].index("}")
    assert result.stderr == ""


def test_name_error_exits_2(tmp_path: Path) -> None:
    result = run("check", write(tmp_path / "w.wf", "workflow W {\n  initial state A { on go -> B }\n}\n"))
    assert result.exit_code == 2
    assert "error[SW103]" in result.stdout


def test_too_large_input(tmp_path: Path) -> None:
    result = run("check", "--max-bytes", "10", write(tmp_path / "good.wf", GOOD))
    assert result.exit_code == 2
    assert "SW004" in result.stdout


def test_concise_format(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.wf", SYNTAX_ERROR)
    result = run("check", "--format", "concise", path)
    assert result.stdout.splitlines() == [
        f"{path}:2:30: SW010 error: `->` must be followed by the name of a state",
        "checked 1 file: 1 error, 0 warnings",
    ]


def test_json_output_carries_file_line_column_code(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.wf", SYNTAX_ERROR)
    good = write(tmp_path / "good.wf", GOOD)
    result = run("check", "--format", "json", tmp_path)
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    files = {entry["file"]: entry for entry in document["files"]}
    assert files[str(good)] == {"file": str(good), "ok": True, "diagnostics": []}
    (finding,) = files[str(bad)]["diagnostics"]
    assert files[str(bad)]["ok"] is False
    assert (finding["file"], finding["code"], finding["severity"]) == (str(bad), "SW010", "error")
    assert (finding["span"]["line"], finding["span"]["column"]) == (2, 30)
    assert document["summary"] == {
        "files": 2,
        "failed": 1,
        "errors": 1,
        "warnings": 0,
        "infos": 0,
        "exit_code": 2,
    }


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = run("check", "--format", "xml", write(tmp_path / "good.wf", GOOD))
    assert result.exit_code == 2


# --------------------------------------------------------------------------- check: clean and verified


def test_clean_file(tmp_path: Path) -> None:
    result = run("check", write(tmp_path / "good.wf", GOOD))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "checked 1 file: no problems found"
    assert "validation of Good" in result.stdout


def test_examples_have_no_errors() -> None:
    result = run("check", EXAMPLES)
    assert result.exit_code == 0, result.stdout
    assert "error[" not in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("checked 5 files: 0 errors")


def test_verification_error_exits_1(tmp_path: Path, plugins: list[object]) -> None:
    plugins.append(Rule(Severity.ERROR))
    result = run("check", write(tmp_path / "good.wf", GOOD))
    assert result.exit_code == 1
    assert "error[SW301]: state B looks odd" in result.stdout
    assert "1 | workflow Good {" in result.stdout


def test_front_end_errors_win_over_verification(tmp_path: Path, plugins: list[object]) -> None:
    plugins.append(Rule(Severity.ERROR))
    write(tmp_path / "good.wf", GOOD)
    write(tmp_path / "bad.wf", SYNTAX_ERROR)
    assert run("check", tmp_path).exit_code == 2


def test_warnings_pass_unless_strict(tmp_path: Path, plugins: list[object]) -> None:
    plugins.append(Rule(Severity.WARNING))
    path = write(tmp_path / "good.wf", GOOD)
    assert run("check", path).exit_code == 0
    strict = run("check", "--strict", "--format", "json", path)
    assert strict.exit_code == 1
    assert json.loads(strict.stdout)["files"][0]["ok"] is False


def test_crashing_rule_is_sw092(tmp_path: Path, plugins: list[object]) -> None:
    plugins.append(Rule(Severity.ERROR, crash=True))
    result = run("check", write(tmp_path / "good.wf", GOOD))
    assert result.exit_code == 1
    assert "error[SW902]: verification rule `fake` raised ValueError: rule bug" in result.stdout


def test_internal_error_is_reported_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(invocation, "compile_path", explode)
    result = run("check", write(tmp_path / "good.wf", GOOD))
    assert result.exit_code == 2
    assert "internal error [SW909]: RuntimeError: kaboom" in result.stderr
    assert "please report it" in result.stderr


def test_main_guards_against_crashes_outside_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_app(**_kwargs: object) -> None:
        raise LookupError("outside")

    monkeypatch.setattr(cli, "app", broken_app)
    monkeypatch.delenv("STATEWRIGHT_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exited:
        cli.main(["check", "x.wf"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert "internal error [SW909]: LookupError: outside" in captured.err
    assert "Traceback" not in captured.err


# --------------------------------------------------------------------------- build


def test_build_is_byte_identical(tmp_path: Path) -> None:
    source = write(tmp_path / "good.wf", GOOD)
    first = run("build", source, "--target", "ir", "--out", tmp_path / "one")
    second = run("build", source, "--target", "all", "--out", tmp_path / "two")
    assert first.exit_code == second.exit_code == 0
    one = (tmp_path / "one" / "ir" / "Good.ir.json").read_bytes()
    assert one == (tmp_path / "two" / "ir" / "Good.ir.json").read_bytes()
    assert f"wrote     {tmp_path / 'one' / 'ir' / 'Good.ir.json'}" in first.stdout
    again = run("build", source, "--target", "ir", "--out", tmp_path / "one")
    assert "unchanged" in again.stdout
    assert (tmp_path / "one" / "ir" / "Good.ir.json").read_bytes() == one
    assert sorted(p.name for p in (tmp_path / "one" / "ir").iterdir()) == ["Good.ir.json"]


def test_build_json_lists_artifacts(tmp_path: Path) -> None:
    source = write(tmp_path / "good.wf", GOOD)
    result = run("build", source, "-t", "ir", "-o", tmp_path / "out", "--format", "json")
    (entry,) = json.loads(result.stdout)["files"]
    assert entry["artifacts"] == [
        {"target": "ir", "path": str(tmp_path / "out" / "ir" / "Good.ir.json"), "status": "wrote"}
    ]


def test_build_refuses_inputs_with_front_end_errors(tmp_path: Path) -> None:
    write(tmp_path / "bad.wf", SYNTAX_ERROR)
    write(tmp_path / "good.wf", GOOD)
    result = run("build", tmp_path, "--target", "ir", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "error[SW010]" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out" / "ir").iterdir()) == ["Good.ir.json"]


def test_build_refuses_inputs_with_verification_errors(tmp_path: Path, plugins: list[object]) -> None:
    plugins.append(Rule(Severity.ERROR))
    write(tmp_path / "good.wf", GOOD)
    write(tmp_path / "other.wf", OTHER)
    result = run("build", tmp_path, "--target", "ir", "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert sorted(p.name for p in (tmp_path / "out" / "ir").iterdir()) == ["Other.ir.json"]


def test_build_unknown_target_lists_known(tmp_path: Path) -> None:
    result = run("build", write(tmp_path / "good.wf", GOOD), "--target", "nope", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "error[SW901]: unknown target `nope`; known targets:" in result.stdout
    assert "ir" in result.stdout
    assert not (tmp_path / "out").exists()


def test_build_needs_a_target(tmp_path: Path) -> None:
    result = run("build", write(tmp_path / "good.wf", GOOD), "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "--target" in result.output


def test_build_bad_option_is_a_usage_error(tmp_path: Path) -> None:
    source = write(tmp_path / "good.wf", GOOD)
    result = run("build", source, "-t", "ir", "-o", tmp_path / "out", "--option", "novalue")
    assert result.exit_code == 2
    assert "key=value" in result.output


def test_build_output_path_is_a_file(tmp_path: Path) -> None:
    blocker = write(tmp_path / "out", "a file")
    result = run("build", write(tmp_path / "good.wf", GOOD), "-t", "ir", "-o", blocker)
    assert result.exit_code == 2
    assert "error[SW903]" in result.stdout


def test_build_target_crash_is_sw097(tmp_path: Path, plugins: list[object]) -> None:
    plugins.append(Target("boom", crash=True))
    result = run("build", write(tmp_path / "good.wf", GOOD), "-t", "boom", "-t", "ir", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "error[SW907]: target `boom` failed: RuntimeError: target bug" in result.stdout
    assert not (tmp_path / "out" / "boom").exists()
    # One failing target does not stop the others (issue 16): the ir file is still written.
    assert (tmp_path / "out" / "ir").is_dir() and any((tmp_path / "out" / "ir").iterdir())


def test_build_rejects_escaping_artifact_paths(tmp_path: Path, plugins: list[object]) -> None:
    plugins.append(Target("evil", path="../../{name}.txt"))
    plugins.append(Target("abs", path="/tmp/{name}.txt"))
    out = tmp_path / "deep" / "out"
    result = run("build", write(tmp_path / "good.wf", GOOD), "-t", "evil", "-t", "abs", "-o", out)
    assert result.exit_code == 1
    assert result.stdout.count("error[SW905]") == 2
    assert not (tmp_path / "Good.txt").exists()


def test_build_collision_between_inputs(tmp_path: Path) -> None:
    write(tmp_path / "a.wf", GOOD)
    write(tmp_path / "b.wf", GOOD)
    result = run("build", tmp_path, "-t", "ir", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "error[SW908]" in result.stdout


def test_build_options_reach_the_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[TargetOptions] = []

    class Spy:
        name = "spy"
        description = "records its options"

        def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
            seen.append(options)
            return TargetOutput()

    class SpyPlugin:
        @hookimpl
        def statewright_targets(self) -> list[object]:
            return [Spy()]

    monkeypatch.setattr(build_command, "get_plugin_manager", lambda: PluginManager(plugins=[SpyPlugin()]))
    source = write(tmp_path / "good.wf", GOOD)
    run("build", source, "-t", "spy", "-o", tmp_path / "out", "--option", "a=1", "--option", "b=x=y")
    assert [dict(o.extra) for o in seen] == [{"a": "1", "b": "x=y"}]
    assert seen[0].source_name == str(source)


# --------------------------------------------------------------------------- fmt


def test_fmt_check_reports_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "messy.wf", UNFORMATTED)
    result = run("fmt", "--check", path)
    assert result.exit_code == 1
    assert f"would reformat {path}" in result.stdout
    assert path.read_text("utf-8") == UNFORMATTED


def test_fmt_rewrites_then_check_passes(tmp_path: Path) -> None:
    path = write(tmp_path / "messy.wf", UNFORMATTED)
    path.chmod(0o640)
    result = run("fmt", path)
    assert result.exit_code == 0
    assert f"reformatted {path}" in result.stdout
    assert path.read_text("utf-8") != UNFORMATTED
    assert path.stat().st_mode & 0o777 == 0o640
    again = run("fmt", "--check", path)
    assert again.exit_code == 0
    assert "0 files would be reformatted, 1 already formatted" in again.stdout


def test_fmt_diff_goes_to_stdout_alone(tmp_path: Path) -> None:
    path = write(tmp_path / "messy.wf", UNFORMATTED)
    result = run("fmt", "--diff", path)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"--- a/{path}\n+++ b/{path}\n")
    assert f"would reformat {path}" in result.stderr
    assert path.read_text("utf-8") == UNFORMATTED


def test_fmt_leaves_unparsable_files_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bad.wf"
    original = b"workflow W {\r\n  initial state A { on go -> }\r\n}"
    path.write_bytes(original)
    result = run("fmt", path)
    assert result.exit_code == 2
    assert "error[SW010]" in result.stdout
    assert path.read_bytes() == original


def test_fmt_bad_inputs(tmp_path: Path) -> None:
    latin = tmp_path / "latin1.wf"
    latin.write_bytes(b'workflow W { doc "caf\xe9" }')
    result = run("fmt", latin, tmp_path / "missing.wf")
    assert result.exit_code == 2
    assert "SW003" in result.stdout and "SW001" in result.stdout
    assert latin.read_bytes() == b'workflow W { doc "caf\xe9" }'


# --------------------------------------------------------------------------- targets, version, process


def test_targets_lists_ir() -> None:
    result = run("targets")
    assert result.exit_code == 0
    assert "ir" in result.stdout
    assert "statewright.targets.ir_target" in result.stdout
    listing = json.loads(run("targets", "--format", "json").stdout)
    assert "ir" in [row["name"] for row in listing["targets"]]


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"statewright {__version__}\n"


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    write(tmp_path / "bad.wf", SYNTAX_ERROR)
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    for module in ("statewright", "statewright.cli"):
        done = subprocess.run(
            [sys.executable, "-m", module, "check", "bad.wf"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            check=False,
        )
        assert done.returncode == 2
        assert "error[SW010]" in done.stdout
        assert "\x1b[" not in done.stdout
        assert "Traceback" not in done.stdout + done.stderr
