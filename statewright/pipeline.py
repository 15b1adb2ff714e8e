"""The front half of the compiler as pure steps: read -> parse -> lower.

`compile_path` never raises for bad input: every problem (a missing file, bad
bytes, a syntax error, an unknown name) comes back as a located diagnostic.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from statewright.compiler.collector import collector_paused
from statewright.compiler.lower import lower
from statewright.diagnostics import Diagnostic, codes, has_errors
from statewright.dsl import ast
from statewright.dsl.parser import parse
from statewright.ir import Machine
from statewright.source import NO_SPAN, SourceText

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""Inputs larger than this are refused (SW004); `--max-bytes` changes it."""


@dataclass(frozen=True)
class CompileResult:
    """Everything the front end produced for one input, findings included."""

    name: str
    source: SourceText | None
    workflow: ast.Workflow | None
    machine: Machine | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        """True when a machine was produced and no finding is an error."""
        return self.machine is not None and not has_errors(self.diagnostics)


def read_source(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceText | Diagnostic:
    """Read and decode one input file, or say precisely why it cannot be used."""
    name = str(path)
    try:
        if path.is_dir():
            return Diagnostic.of(codes.NOT_A_FILE, f"`{name}` is a directory", name, NO_SPAN)
        if not path.exists():
            return Diagnostic.of(codes.FILE_NOT_FOUND, f"`{name}` does not exist", name, NO_SPAN)
        if not path.is_file():
            return Diagnostic.of(codes.NOT_A_FILE, f"`{name}` is not a regular file", name, NO_SPAN)
        size = path.stat().st_size
        if size > max_bytes:
            return Diagnostic.of(
                codes.FILE_TOO_LARGE,
                f"`{name}` is {size} bytes, over the limit of {max_bytes}",
                name,
                NO_SPAN,
            )
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return Diagnostic.of(codes.UNREADABLE, f"cannot read `{name}`: {reason}", name, NO_SPAN)
    if len(data) > max_bytes:
        return Diagnostic.of(
            codes.FILE_TOO_LARGE, f"`{name}` is over the limit of {max_bytes} bytes", name, NO_SPAN
        )
    return decode_source(name, data)


def decode_source(name: str, data: bytes) -> SourceText | Diagnostic:
    """Decode UTF-8 bytes (a BOM is dropped); bad bytes and NULs are located diagnostics."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        where = SourceText(name, good)
        line, column = where.position(len(good))
        span = where.span(len(good), len(good))
        return Diagnostic.of(
            codes.BAD_ENCODING,
            f"byte 0x{data[exc.start]:02x} at line {line}, column {column} is not valid UTF-8",
            name,
            span,
        )
    nul = text.find("\x00")
    if nul >= 0:
        source = SourceText(name, text)
        return Diagnostic.of(codes.BINARY_INPUT, "input contains a NUL byte", name, source.span(nul, nul + 1))
    return SourceText(name, text)


def compile_source(source: SourceText, *, stage: Callable[[str], None] | None = None) -> CompileResult:
    """Parse and lower one decoded source; `stage` (a progress display) is told `parsing`, then `lowering`."""
    with collector_paused():
        if stage is not None:
            stage("parsing")
        parsed = parse(source)
        if parsed.workflow is None or has_errors(parsed.diagnostics):
            return CompileResult(source.name, source, parsed.workflow, None, parsed.diagnostics)
        if stage is not None:
            stage("lowering")
        machine, findings = lower(parsed.workflow, source.name)
    diagnostics = parsed.diagnostics + findings
    return CompileResult(source.name, source, parsed.workflow, machine, diagnostics)


def compile_path(
    path: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES, stage: Callable[[str], None] | None = None
) -> CompileResult:
    """Read, parse and lower one `.wf` file; never raises for bad input.

    `stage`, when given, is told each stage as it starts (`reading`, `parsing`,
    `lowering`): the command line's progress display; the steps themselves print nothing.
    """
    path = Path(path)
    if stage is not None:
        stage("reading")
    source = read_source(path, max_bytes=max_bytes)
    if isinstance(source, Diagnostic):
        return CompileResult(str(path), None, None, None, (source,))
    return compile_source(source, stage=stage)


def compile_text(text: str, name: str = "<string>") -> CompileResult:
    """Parse and lower source given as text (tests, the API, stdin)."""
    return compile_source(SourceText(name, text))


def discover(paths: list[Path]) -> list[Path]:
    """Expand directories into the `.wf` files below them, sorted; keep files as given."""
    found: list[Path] = []
    for path in paths:
        try:
            is_dir = path.is_dir()
        except OSError:
            is_dir = False  # read_source reports the path itself
        if is_dir:
            for root, _dirs, files in os.walk(path):
                found.extend(Path(root) / f for f in files if f.endswith(".wf"))
        else:
            found.append(path)
    return sorted(dict.fromkeys(found))
