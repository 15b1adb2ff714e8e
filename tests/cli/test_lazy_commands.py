"""Sub-commands load when used (`cli.lazy`): the command line behaves as when all loaded up front."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from statewright import __version__, cli
from statewright.cli.lazy import COMMANDS, TYPER_SETTINGS, CommandSpec
from tests.conftest import EXAMPLES

ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "STATEWRIGHT_DEBUG": None, "COLUMNS": "100"}


def _eager_app() -> typer.Typer:
    """The command line as it was built before commands were lazy: every command registered up front."""
    app = typer.Typer(
        name="statewright",
        help="Compile workflow specs (.wf): check them, format them, and generate code for real engines.",
        no_args_is_help=True,
        **TYPER_SETTINGS,
    )
    app.callback()(cli._root)
    for spec in COMMANDS:
        value = getattr(importlib.import_module(spec.module), spec.attribute)
        if isinstance(value, typer.Typer):
            app.add_typer(value, name=spec.name)
        else:
            app.command()(value)
    return app


def _output(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=ENV)
    return result.exit_code, result.output


def test_the_root_callback_is_the_versions() -> None:
    """The eager reference above reuses the real root callback (`--version`)."""
    assert _output(_eager_app(), "--version") == (0, f"statewright {__version__}\n")


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        (),
        ("run", "--help"),
        ("chek",),
        ("bogus",),
        ("--bogus",),
        *[(spec.name, "--help") for spec in COMMANDS],
    ],
    ids=lambda args: " ".join(args) or "(nothing)",
)
def test_help_errors_and_suggestions_are_those_of_the_eager_command_line(args: tuple[str, ...]) -> None:
    """`--help`, no arguments, a mistyped command and every command's own help: byte-identical."""
    assert _output(cli.app, *args) == _output(_eager_app(), *args)


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda spec: spec.name)
def test_each_summary_is_the_first_paragraph_of_the_commands_help(spec: CommandSpec) -> None:
    """The root `--help` line kept as data is the command's own help, so the listing cannot drift."""
    command = spec.load()
    assert command.name == spec.name
    assert inspect.cleandoc(command.help or "").split("\n\n")[0] == spec.summary


def _modules_after(*args: str) -> set[str]:
    """The statewright modules a fresh interpreter has imported after running the command line."""
    code = (
        "import sys, json, contextlib, io\n"
        "from statewright.cli import main\n"
        "try:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        f"        main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_root_help_imports_no_command() -> None:
    """Listing the commands imports none of their modules."""
    loaded = _modules_after("--help")
    assert not {spec.module for spec in COMMANDS} & loaded


def test_a_command_imports_only_its_own_module() -> None:
    """`explain` loads its module and no other command's."""
    loaded = _modules_after("explain", "SW001")
    assert "statewright.cli.explain" in loaded
    assert not {spec.module for spec in COMMANDS if spec.name != "explain"} & loaded


def test_ctrl_c_while_a_command_loads_is_reported_as_an_interrupt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Typer would exit 130 silently; the command line says `interrupted` as for any other Ctrl-C."""

    def interrupted(self: CommandSpec) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(CommandSpec, "load", interrupted)
    with pytest.raises(SystemExit) as done:
        cli.main(["check", str(EXAMPLES / "order_fulfilment.wf")])
    assert done.value.code == 130
    assert "interrupted" in capsys.readouterr().err


def test_version_is_answered_before_the_command_line_loads() -> None:
    """`statewright --version`: the same line and exit code as the root option, without importing typer."""
    code = (
        "import sys\n"
        "sys.argv = ['statewright', '--version']\n"
        "from statewright.launch import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print('typer' in sys.modules, 'statewright.cli' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, f"statewright {__version__}\n")
    assert done.stderr.split() == ["False", "False"]
    assert _output(cli.app, "--version") == (0, done.stdout)


def test_version_with_more_arguments_is_left_to_the_command_line(tmp_path: Path) -> None:
    """Only `--version` alone is answered early; `--version --bogus` is still click's usage error."""
    done = subprocess.run(
        [sys.executable, "-m", "statewright", "--version", "--bogus"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "No such option" in done.stderr


@pytest.mark.parametrize("early", [True, False], ids=["--version alone", "--version via click"])
def test_version_into_a_closed_pipe_exits_1_quietly(early: bool) -> None:
    """Nobody reading stdout: exit 1 and no traceback, whether launch or the command line answers."""
    args = ["--version"] if early else ["--version", "--version"]
    code = (
        "import sys\nsys.argv = ['statewright', *sys.argv[1:]]\nfrom statewright.launch import main\nmain()\n"
    )
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *args], stdout=write, stderr=subprocess.PIPE, check=False
        )
    finally:
        os.close(write)
    assert done.returncode == 1
    assert done.stderr == b""
