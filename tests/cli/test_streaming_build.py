"""`build` writes each target's files before the next target runs; a streaming target hands them one by one.

A target with `stream` (plugins.api.StreamingTarget) has each file staged in a
temporary file as it comes; the files are moved into place only when the
stream ends without an error, so a failing stream writes nothing and leaves
no temporary file or empty directory behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from statewright import cli
from statewright.cli import build as build_command
from statewright.cli.artifacts import Writer
from statewright.cli.invocation import FileReport, Invocation
from statewright.diagnostics import Diagnostic, Severity
from statewright.ir import Machine
from statewright.plugins.api import Artifact, StreamingTarget, TargetOptions, TargetOutput
from statewright.plugins.hookspecs import hookimpl
from statewright.plugins.manager import PluginManager

GOOD = (
    "workflow Good {\n  events { go }\n"
    "  initial state A { on go -> B  timeout 1h -> B }\n  final state B\n}\n"
)
ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "STATEWRIGHT_DEBUG": None, "COLUMNS": "200"}


@dataclass(frozen=True)
class Streamer:
    """A streaming target: yields `files` (path, content), then `finding`; may crash after `crash_after`."""

    name: str
    files: tuple[tuple[str, str], ...] = (("b/two.txt", "2\n"), ("one.txt", "1\n"))
    finding: Severity | None = None
    crash_after: int | None = None
    description: str = "a streaming test target"

    def stream(self, machine: Machine, options: TargetOptions) -> Iterator[Artifact | Diagnostic]:
        """Yield the files one by one (and the finding, or a crash)."""
        for index, (path, content) in enumerate(self.files):
            if self.crash_after == index:
                raise RuntimeError("stream bug")
            yield Artifact(path, content)
        if self.finding is not None:
            yield Diagnostic("SW907", self.finding, "a finding", machine.source, machine.span)

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """The whole output: every streamed item."""
        return TargetOutput.collect(self.stream(machine, options))


@dataclass(frozen=True)
class Whole:
    """A third-party target of the old kind: `generate` only, returning the same files."""

    name: str
    files: tuple[tuple[str, str], ...] = (("b/two.txt", "2\n"), ("one.txt", "1\n"))
    description: str = "a whole-output test target"

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """Return every file at once."""
        return TargetOutput(artifacts=tuple(Artifact(p, c) for p, c in self.files))


class Provides:
    """A plugin object for the given targets."""

    def __init__(self, *targets: object) -> None:
        self.targets = targets

    @hookimpl
    def statewright_targets(self) -> list[object]:
        """Return the targets."""
        return list(self.targets)


@pytest.fixture
def targets(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Make `build` use the built-ins plus the targets appended to the returned list."""
    extra: list[object] = []
    monkeypatch.setattr(
        build_command,
        "get_plugin_manager",
        lambda: PluginManager(plugins=[Provides(*extra)], entry_points=False),
    )
    return extra


def run(*args: str | Path) -> Result:
    """Invoke the CLI in-process; it must end through SystemExit and print no traceback."""
    result = CliRunner().invoke(cli.app, [str(a) for a in args], env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` (temporary ones included), by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_streaming_target_is_written_like_a_whole_one(tmp_path: Path, targets: list[object]) -> None:
    targets += [Streamer("s"), Whole("w")]
    spec = tmp_path / "good.wf"
    spec.write_text(GOOD, "utf-8")
    result = run("build", spec, "-t", "s", "-t", "w", "-o", tmp_path / "out", "--format", "json")
    assert result.exit_code == 0, result.stdout
    files = tree(tmp_path / "out")
    assert files == {"s/b/two.txt": b"2\n", "s/one.txt": b"1\n", "w/b/two.txt": b"2\n", "w/one.txt": b"1\n"}
    (entry,) = json.loads(result.stdout)["files"]
    assert [(a["target"], Path(a["path"]).name, a["status"]) for a in entry["artifacts"]] == [
        ("s", "two.txt", "wrote"),
        ("s", "one.txt", "wrote"),
        ("w", "two.txt", "wrote"),
        ("w", "one.txt", "wrote"),
    ]
    again = run("build", spec, "-t", "s", "-o", tmp_path / "out")
    assert again.stdout.count("unchanged ") == 2 and tree(tmp_path / "out") == files


@pytest.mark.parametrize(
    "streamer",
    [
        Streamer("s", finding=Severity.ERROR),
        Streamer("s", crash_after=1),
        Streamer("s", files=(("ok", "x"), ("../up", "y"))),
    ],
    ids=["error finding", "crash midway", "bad path"],
)
def test_a_failing_stream_writes_nothing_and_leaves_nothing(
    tmp_path: Path, targets: list[object], streamer: Streamer
) -> None:
    targets += [streamer, Whole("w")]
    spec = tmp_path / "good.wf"
    spec.write_text(GOOD, "utf-8")
    result = run("build", spec, "-t", "s", "-t", "w", "-o", tmp_path / "out")
    assert result.exit_code == 1, result.stdout
    assert not (tmp_path / "out" / "s").exists()  # no file, no temporary file, no directory made for it
    assert tree(tmp_path / "out") == {"w/b/two.txt": b"2\n", "w/one.txt": b"1\n"}


def test_a_stream_yielding_something_else_is_sw907(tmp_path: Path, targets: list[object]) -> None:
    class Odd(Streamer):
        def stream(self, machine: Machine, options: TargetOptions) -> Iterator[Artifact | Diagnostic]:
            yield Artifact("a.txt", "a")
            yield "b.txt"  # type: ignore[misc]

    targets.append(Odd("s"))
    spec = tmp_path / "good.wf"
    spec.write_text(GOOD, "utf-8")
    result = run("build", spec, "-t", "s", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "error[SW907]: target `s` failed: TypeError: stream() yielded str" in result.stdout
    assert not (tmp_path / "out").exists() or tree(tmp_path / "out") == {}


def test_the_streaming_protocol_is_recognised() -> None:
    assert isinstance(Streamer("s"), StreamingTarget)
    assert not isinstance(Whole("w"), StreamingTarget)


# --------------------------------------------------------------------------- property: streamed == whole

paths = st.sampled_from(["a", "b", "d/a", "d/e/f", "x.txt", "../no", "", "d"])
contents = st.text(alphabet="ab\n", max_size=4)
outputs = st.lists(st.tuples(paths, contents), max_size=6)


def _written(
    root: Path, stream: bool, batches: Iterable[tuple[str, list[tuple[str, str]]]]
) -> tuple[object, list[str], dict[str, bytes]]:
    """Write the batches (report name, files) through the writer, all one way; what it did.

    What each input's report says, the run-level errors (failed writes), and the files.
    """
    invocation = Invocation()
    writer = Writer(root, invocation)
    reports: dict[str, FileReport] = {}
    for name, files in batches:
        report = reports.setdefault(name, FileReport(name, None, ()))
        invocation.reports.append(report) if report not in invocation.reports else None
        _write(writer, report, stream, [Artifact(p, c) for p, c in files])
    written = [
        (
            r.name,
            [(w["path"].replace(str(root), ""), w["status"]) for w in r.written],
            [d.code for d in r.later],
        )
        for r in invocation.reports
    ]
    return written, [d.message for d in invocation.usage], tree(root)


def _write(writer: Writer, report: FileReport, stream: bool, artifacts: list[Artifact]) -> None:
    """Hand one target's files to the writer, streamed one by one or whole."""
    if stream:
        staging = writer.streamed(report, "t")
        for artifact in artifacts:
            staging.add(artifact)
        staging.commit()
    else:
        writer.whole(report, "t", artifacts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.tuples(st.sampled_from(["x.wf", "y.wf"]), outputs), max_size=3))
def test_streaming_writes_what_the_whole_output_writes(
    tmp_path_factory: pytest.TempPathFactory, batches: list[tuple[str, list[tuple[str, str]]]]
) -> None:
    """Same files, same statuses, same findings (bad paths, collisions), in the same order; no temporaries.

    No write ever fails midway: `d` beside `d/a` (of one target, or an earlier input)
    is a collision found before anything of the target is written.
    """
    whole = tmp_path_factory.mktemp("whole")
    streamed = tmp_path_factory.mktemp("streamed")
    done = _written(whole, False, batches)
    assert _written(streamed, True, batches) == done
    assert done[1] == []


@pytest.mark.parametrize("stream", [False, True])
def test_a_file_and_a_folder_of_one_name_write_none_of_the_target(tmp_path: Path, stream: bool) -> None:
    invocation = Invocation()
    writer = Writer(tmp_path, invocation)
    report = FileReport("x.wf", None, ())
    _write(writer, report, stream, [Artifact("a.txt", "a"), Artifact("x", "x"), Artifact("x/y", "y")])
    [finding] = report.later
    folder = tmp_path / "t" / "x"
    assert finding.message == f"`{folder}` would be both a file and a folder (writing `{folder / 'y'}`)"
    assert tree(tmp_path) == {} and invocation.usage == []


def test_a_file_that_cannot_be_staged_writes_none_of_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second of three files fails to stage: the other two are not moved into place either."""
    from statewright.cli import artifacts as artifacts_module

    staged: list[bytes] = []
    stage = artifacts_module.Staging._stage

    def failing(self: artifacts_module.Staging, data: bytes) -> Path:
        staged.append(data)
        if data == b"b":
            raise OSError(28, "No space left on device")
        return stage(self, data)

    monkeypatch.setattr(artifacts_module.Staging, "_stage", failing)
    invocation = Invocation()
    writer = Writer(tmp_path / "out", invocation)
    staging = writer.streamed(FileReport("x.wf", None, ()), "t")
    for path, content in (("a.txt", "a"), ("b.txt", "b"), ("c.txt", "c")):
        staging.add(Artifact(path, content))
    staging.commit()
    assert staged == [b"a", b"b"]  # nothing more is staged once one failed
    assert [d.message for d in invocation.usage] == [
        f"cannot write `{tmp_path / 'out' / 't' / 'b.txt'}`: No space left on device"
    ]
    assert not (tmp_path / "out").exists() or tree(tmp_path / "out") == {}


def test_collect_refuses_what_build_refuses() -> None:
    """A stream's `generate` (`TargetOutput.collect`, as `Spec.build` runs it) fails on a stray item too."""
    with pytest.raises(TypeError, match=r"stream\(\) yielded str, not an Artifact or a Diagnostic"):
        TargetOutput.collect([Artifact("a.txt", "a"), "b.txt"])  # type: ignore[list-item]
