"""Progress of long work (issue 20): a status line on a terminal's stderr, nothing when piped.

The commands run in a subprocess whose stderr is a pseudo-terminal (stdout a
pipe), and again fully piped: the terminal run shows the stages, the piped run
prints nothing on stderr, and both print the same report on stdout.
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest

from statewright.cli.output import ReportFormat
from statewright.cli.progress import Progress, progress_line, wanted
from statewright.pipeline import compile_text
from statewright.plugins.api import EngineSpec
from statewright.testing.suite import TestOptions, test_machine
from tests.conftest import EXAMPLES
from tests.plugins.test_manager import FakeTarget
from tests.testing.test_engine_plugins import Engines, _manager

SPEC = EXAMPLES / "order_fulfilment.wf"
ENV = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "STATEWRIGHT_DEBUG")}


def _command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "statewright", *(str(a) for a in args)]


def on_terminal(*args: str | Path, term: str = "xterm") -> tuple[int, bytes, bytes]:
    """Run statewright with stderr on a pseudo-terminal: (exit code, stdout, what the terminal got).

    The terminal is 400 columns wide, so that the status line (cut to the
    width) shows whole however long the checkout's path is.
    """
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 400, 0, 0))
    shown = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the follower side closed (EIO on Linux)
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        with subprocess.Popen(
            _command(*args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
            env={**ENV, "TERM": term},
        ) as process:
            os.close(follower)
            out, _ = process.communicate(timeout=600)
    finally:
        reader.join(timeout=60)
        os.close(leader)
    return process.returncode, out, bytes(shown)


def piped(*args: str | Path) -> tuple[int, bytes, bytes]:
    """Run statewright with stdout and stderr piped."""
    done = subprocess.run(_command(*args), capture_output=True, env=ENV, timeout=600, check=False)
    return done.returncode, done.stdout, done.stderr


def test_build_shows_its_stages_on_a_terminal_and_nothing_when_piped(tmp_path: Path) -> None:
    args = ("build", SPEC, "-t", "ir", "-t", "table", "-o")
    code, out, shown = on_terminal(*args, tmp_path / "a")
    for stage in (b"reading", b"parsing", b"lowering", b"verifying ", b"generating ir", b"writing table"):
        assert stage in shown, shown
    assert shown.endswith(b"\r") and b"\x1b" not in shown  # erased at the end; no escape sequences
    piped_code, piped_out, piped_err = piped(*args, tmp_path / "b")
    assert (code, piped_code) == (0, 0)
    assert piped_err == b""
    assert out.replace(b"/a/", b"/b/") == piped_out
    for built in sorted((tmp_path / "b").rglob("*")):
        twin = tmp_path / "a" / built.relative_to(tmp_path / "b")
        assert built.is_dir() or twin.read_bytes() == built.read_bytes()


def test_no_progress_and_dumb_terminals_and_json_show_nothing(tmp_path: Path) -> None:
    for extra, term in (("--no-progress", "xterm"), ("--format=concise", "dumb"), ("--format=json", "xterm")):
        code, out, shown = on_terminal("build", SPEC, "-t", "ir", "-o", tmp_path, extra, term=term)
        assert code == 0, out
        assert shown == b"", (extra, term, shown)


def test_progress_forced_when_piped(tmp_path: Path) -> None:
    code, out, err = piped("build", SPEC, "-t", "ir", "-o", tmp_path, "--progress")
    assert code == 0
    assert b"generating ir" in err and err.endswith(b"\r")
    assert b"generating" not in out


def test_statewright_test_shows_design_runs_on_a_terminal_and_nothing_when_piped() -> None:
    args = ("test", SPEC, "--max-examples", "3", "--steps", "3", "--depth", "4")
    code, out, shown = on_terminal(*args)
    assert b"design runs 0/3" in shown and b"searching path-covering scenarios" in shown, shown
    assert b"verifying " in shown
    piped_code, piped_out, piped_err = piped(*args)
    assert code == piped_code == 0
    assert piped_err == b""
    assert out == piped_out  # the report does not depend on the progress display


def test_test_machine_tells_the_tally_and_gets_the_same_outcome() -> None:
    """Counting runs and scenarios changes nothing the tests find (same seed, same numbers)."""
    plugin = Engines(targets=[FakeTarget("hello")])
    plugin.engines = (EngineSpec("replay", "hello", "the runtime, again", plugin.replay),)
    manager = _manager(plugin)
    machine = compile_text(SPEC.read_text("utf-8"), str(SPEC)).machine
    assert machine is not None
    options = TestOptions(("python", "replay"), 4, 4, depth=4, drawn=3)
    told: list[tuple[str, int, int]] = []
    quiet = test_machine(machine, "o.wf", options, manager=manager)
    counted = test_machine(machine, "o.wf", options, manager=manager, tally=lambda *a: told.append(a))
    assert counted.to_dict() == quiet.to_dict()
    assert [d.to_dict() for d in counted.diagnostics] == [d.to_dict() for d in quiet.diagnostics]
    runs = [done for what, done, total in told if what == "design runs"]
    assert runs[0] == 0 and runs[-1] >= 4 and runs == sorted(runs)
    assert counted.coverage is not None
    total = len(counted.coverage.scenarios) + 3
    scenarios = [(done, t) for what, done, t in told if what == "replay scenarios"]
    assert scenarios[0] == (0, total) and scenarios[-1][0] >= len(counted.coverage.scenarios)


# --------------------------------------------------------------------------- the line itself


class Tty(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_wanted_follows_the_terminal_the_format_term_and_the_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    assert wanted(None, ReportFormat.TEXT, Tty())
    assert wanted(None, ReportFormat.CONCISE, Tty())
    assert not wanted(None, ReportFormat.TEXT, io.StringIO())
    assert not wanted(None, ReportFormat.JSON, Tty())
    assert not wanted(None, ReportFormat.SARIF, Tty())
    assert wanted(True, ReportFormat.JSON, io.StringIO())
    assert not wanted(False, ReportFormat.TEXT, Tty())
    monkeypatch.setenv("TERM", "dumb")
    assert not wanted(None, ReportFormat.TEXT, Tty())


def test_the_line_is_redrawn_in_place_cut_to_the_width_and_erased() -> None:
    stream = io.StringIO()
    now = [0.0]
    line = Progress(stream, clock=lambda: now[0])
    line.show("a.wf: parsing a long stage name " + "x" * 200)
    assert len(stream.getvalue()) == 1 + 79  # "\r" and the line cut below the 80 columns
    line.show("a.wf: lowering")
    assert stream.getvalue().endswith("\ra.wf: lowering" + " " * (79 - len("a.wf: lowering")))
    tally = line.tally_for("W")
    assert tally is not None
    tally("design runs", 1, 10)
    tally("design runs", 2, 10)  # the same stage within REDRAW_S: not redrawn
    assert "design runs 1/10" in stream.getvalue() and "2/10" not in stream.getvalue()
    now[0] = 1.0
    tally("design runs", 12, 10)  # shrinking runs past the total: shown as the total
    assert stream.getvalue().endswith("\rW: design runs 1/10\rW: design runs 10/10")  # blanks only as needed
    line.show("bad\x1b[2Jname")
    assert stream.getvalue().endswith("\rbad?[2Jname" + " " * 9)  # no escape sequence gets through
    line.close()
    assert stream.getvalue().endswith("\r" + " " * 11 + "\r")


def test_nothing_is_drawn_or_asked_for_when_off() -> None:
    stream = Tty()
    with progress_line(False, stream) as line:
        assert line.stage_for("a.wf") is None and line.tally_for("W") is None
        line.show("x")
    assert stream.getvalue() == ""


def test_the_line_is_erased_when_the_work_raises() -> None:
    stream = Tty()
    with pytest.raises(KeyboardInterrupt), progress_line(True, stream) as line:
        line.show("a.wf: verifying guards")
        raise KeyboardInterrupt
    assert stream.getvalue().endswith("\r" + " " * len("a.wf: verifying guards") + "\r")


def test_the_pure_stages_tell_their_stages_and_print_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """compile_path says reading, parsing, lowering; verify names each rule family once, in order."""
    from statewright.compiler.verify import verify
    from statewright.pipeline import compile_path
    from statewright.plugins.manager import PluginManager

    told: list[str] = []
    result = compile_path(SPEC, stage=told.append)
    assert told == ["reading", "parsing", "lowering"] and result.machine is not None
    rules = PluginManager(entry_points=False).rules()
    told.clear()
    assert verify(result.machine, rules, stage=told.append) == verify(result.machine, rules)
    families = list(dict.fromkeys(rule.family for rule in rules))
    assert told == [f"verifying {family}" for family in families if family] and len(told) >= 3
    assert capsys.readouterr() == ("", "")


def test_wide_characters_are_cut_by_columns_not_characters() -> None:
    """A name in CJK takes two columns a character: the line still fits the 80 columns."""
    from rich.cells import cell_len

    stream = io.StringIO()
    line = Progress(stream, clock=lambda: 0.0)
    line.show("注文フロー" * 20 + ".wf: parsing")
    shown = stream.getvalue()[1:]
    assert cell_len(shown) == 79 and len(shown) < 79
    line.close()
    assert stream.getvalue().endswith("\r" + " " * 79 + "\r")  # erased by columns too
