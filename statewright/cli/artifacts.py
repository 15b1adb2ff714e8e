"""Writing one target's files as soon as it has made them, all of them or none.

`build` generates one target at a time and hands its files here before the next
target runs, so at most one target's output is held at a time (never every
artifact of every target, and never a second, encoded copy of all of them). A
target's files are checked (a safe relative path, no collision with a file an
earlier target or input wrote) and written atomically in path order; an unsafe
path or a collision writes none of that target's files. A streaming target
(`plugins.api.StreamingTarget`) hands its files over one by one: each is
written to a temporary file beside its destination as it comes and dropped from
memory, and only when the target has finished without an error are the
temporary files renamed into place, in path order; otherwise they are removed,
so nothing is half-applied.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from statewright.cli.codes import ARTIFACT_COLLISION, BAD_ARTIFACT_PATH, OUTPUT_NOT_WRITABLE
from statewright.cli.files import artifact_problem, write_atomic, write_new
from statewright.cli.invocation import FileReport, Invocation
from statewright.diagnostics import Diagnostic
from statewright.plugins.api import Artifact
from statewright.source import NO_SPAN


@dataclass(frozen=True, slots=True)
class _Staged:
    """One accepted file of a streaming target: where its content waits, its size and digest."""

    temporary: Path
    size: int
    digest: bytes


@dataclass
class _Tree:
    """Files chosen so far and every folder above them: a new file may be neither, nor lie under a file."""

    files: set[Path] = field(default_factory=set)
    folders: set[Path] = field(default_factory=set)

    def clash(self, destination: Path) -> Path | None:
        """The chosen file or folder that `destination` cannot coexist with, if any."""
        if destination in self.folders:
            return destination
        return next((parent for parent in destination.parents if parent in self.files), None)

    def add(self, destination: Path) -> None:
        """Note a chosen file."""
        self.files.add(destination)
        self.folders.update(destination.parents)


@dataclass
class Writer:
    """Writes each target's files under `out`, remembering only which file each input wrote (by digest)."""

    out: Path
    invocation: Invocation
    seen: dict[Path, tuple[FileReport, bytes]] = field(default_factory=dict)
    written: _Tree = field(default_factory=_Tree)
    """The files of `seen` and their folders."""

    def whole(self, report: FileReport, target: str, artifacts: Iterable[Artifact]) -> None:
        """Write a target's whole output (checked first: one bad path or collision writes none of it)."""
        chosen: dict[Path, tuple[Artifact, bytes]] = {}
        tree = _Tree()
        found: list[Diagnostic] = []
        for artifact in artifacts:
            checked = self.check(report, target, artifact, artifact.content.encode("utf-8"), tree)
            if isinstance(checked, Diagnostic):
                found.append(checked)
            else:
                chosen[checked[0]] = (artifact, checked[1])
                tree.add(checked[0])
        report.later.extend(found)
        if found:
            return
        for destination in sorted(chosen):
            artifact, digest = chosen[destination]
            self.remember(report, destination, digest)
            self._write(report, target, destination, artifact.content.encode("utf-8"))

    def streamed(self, report: FileReport, target: str) -> Staging:
        """Start taking a streaming target's files one by one (`Staging.add`, then `commit` or `discard`)."""
        return Staging(self, report, target)

    def remember(self, report: FileReport, destination: Path, digest: bytes) -> None:
        """Note that `report`'s input writes `destination` with this content."""
        self.seen[destination] = (report, digest)
        self.written.add(destination)

    def check(
        self, report: FileReport, target: str, artifact: Artifact, data: bytes, chosen: _Tree
    ) -> Diagnostic | tuple[Path, bytes]:
        """The artifact's destination and content digest, or why it cannot be written.

        `chosen` holds the target's files accepted so far: a file may not be where
        another (of this target or an earlier write) needs a folder, or the reverse.
        """
        problem = artifact_problem(artifact.path)
        if problem is not None:
            message = f"target `{target}` produced the path {artifact.path!r}, which {problem}"
            return Diagnostic.of(BAD_ARTIFACT_PATH, message, report.name, NO_SPAN)
        destination = self.out / target / artifact.path
        digest = hashlib.sha256(data).digest()
        previous = self.seen.get(destination)
        if previous is not None and (previous[0] is not report or previous[1] != digest):
            message = f"`{destination}` would be written for both `{previous[0].name}` and `{report.name}`"
            return Diagnostic.of(ARTIFACT_COLLISION, message, report.name, NO_SPAN)
        clash = chosen.clash(destination) or self.written.clash(destination)
        if clash is not None:
            message = f"`{clash}` would be both a file and a folder (writing `{destination}`)"
            return Diagnostic.of(ARTIFACT_COLLISION, message, report.name, NO_SPAN)
        return destination, digest

    def _write(self, report: FileReport, target: str, destination: Path, data: bytes) -> None:
        """Write one file atomically and record it; a failure is a usage error (exit 2), not a crash."""
        try:
            changed = write_atomic(destination, data)
        except OSError as exc:
            self.unwritable(destination, exc)
            return
        self.record(report, target, destination, changed)

    def record(self, report: FileReport, target: str, destination: Path, changed: bool) -> None:
        """Note one file in the input's report (`wrote`, or `unchanged` when it already held the content)."""
        status = "wrote" if changed else "unchanged"
        report.written.append({"target": target, "path": str(destination), "status": status})

    def unwritable(self, destination: Path, exc: OSError) -> None:
        """Report a file the system would not let us write (a run-level error: exit 2)."""
        reason = exc.strerror or type(exc).__name__
        message = f"cannot write `{destination}`: {reason}"
        self.invocation.usage.append(Diagnostic.of(OUTPUT_NOT_WRITABLE, message, str(destination), NO_SPAN))


@dataclass
class Staging:
    """A streaming target's files so far: checked, each in a temporary file, awaiting `commit`.

    The temporary files live in one staging directory under the output directory
    (so a rename moves them), made on the first file and removed at the end; at
    `commit` each file is moved into place exactly as `write_atomic` writes a
    whole output's file, in path order, so both kinds of target give the same
    files, statuses and findings.
    """

    writer: Writer
    report: FileReport
    target: str
    staged: dict[Path, _Staged] = field(default_factory=dict)
    found: list[Diagnostic] = field(default_factory=list)
    area: Path | None = None
    created: list[Path] = field(default_factory=list)
    """Directories made for the staging directory, removed again at the end when empty."""
    tree: _Tree = field(default_factory=_Tree)
    """The files accepted so far and their folders."""
    failed: bool = False
    """A file could not be staged: the target is written not at all."""

    def add(self, artifact: Artifact) -> None:
        """Check one file and put its content in a temporary file (dropped from memory)."""
        data = artifact.content.encode("utf-8")
        checked = self.writer.check(self.report, self.target, artifact, data, self.tree)
        if isinstance(checked, Diagnostic):
            self.found.append(checked)
            return
        destination, digest = checked
        self.tree.add(destination)
        self._drop(destination)
        if self.found or self.failed:
            return  # nothing of this target will be written
        try:
            temporary = self._stage(data)
        except OSError as exc:
            self.writer.unwritable(destination, exc)
            self.failed = True
            return
        self.staged[destination] = _Staged(temporary, len(data), digest)

    def commit(self) -> None:
        """Move every staged file into place, in path order (none after a bad path, collision or failure)."""
        self.report.later.extend(self.found)
        if self.found or self.failed:
            self.discard()
            return
        for destination in sorted(self.staged):
            staged = self.staged.pop(destination)
            self.writer.remember(self.report, destination, staged.digest)
            if _holds(destination, staged.size, staged.digest):
                staged.temporary.unlink(missing_ok=True)
                self.writer.record(self.report, self.target, destination, False)
                continue
            try:
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged.temporary, destination)
            except OSError as exc:
                staged.temporary.unlink(missing_ok=True)
                self.writer.unwritable(destination, exc)
                continue
            self.writer.record(self.report, self.target, destination, True)
        self._tidy()

    def discard(self) -> None:
        """Remove every temporary file (the target failed): nothing of it is written."""
        for destination in list(self.staged):
            self._drop(destination)
        self._tidy()

    def _drop(self, destination: Path) -> None:
        """Forget the file staged for `destination` (a later one with the same path replaces it)."""
        previous = self.staged.pop(destination, None)
        if previous is not None:
            previous.temporary.unlink(missing_ok=True)

    def _tidy(self) -> None:
        """Remove the staging directory and the directories made for it that stayed empty."""
        for directory in [*([self.area] if self.area is not None else []), *reversed(self.created)]:
            with contextlib.suppress(OSError):  # not empty: files were written there
                directory.rmdir()
        self.area = None
        self.created.clear()

    def _stage(self, data: bytes) -> Path:
        """Write `data` to a new temporary file in the staging directory (flushed to disk); its path."""
        if self.area is None:
            out = self.writer.out
            self.created.extend(reversed([p for p in (out, *out.parents) if not p.exists()]))
            out.mkdir(parents=True, exist_ok=True)
            area = out / f".statewright-{secrets.token_hex(6)}.tmp"
            area.mkdir()
            self.area = area
        temporary = self.area / f"{len(self.staged)}-{secrets.token_hex(4)}"
        write_new(temporary, data)
        return temporary


def _holds(path: Path, size: int, digest: bytes) -> bool:
    """True when `path` is a file holding exactly that content (left alone, reported unchanged)."""
    try:
        return (
            path.is_file()
            and path.stat().st_size == size
            and hashlib.sha256(path.read_bytes()).digest() == digest
        )
    except OSError:
        return False
