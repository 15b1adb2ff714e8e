"""Filesystem safety: stat checks that never raise, atomic writes, and artifact-path validation."""

from __future__ import annotations

import os
import secrets
from pathlib import Path, PurePosixPath


def is_dir(path: Path) -> bool:
    """Return True for a directory; False (not a traceback) for paths the OS cannot even stat."""
    try:
        return path.is_dir()
    except OSError:
        return False


def exists(path: Path) -> bool:
    """Return True when something is at `path`; False for paths the OS cannot even stat."""
    try:
        return path.exists()
    except OSError:
        return False


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> bool:
    """Write `data` to `path` via a temporary file and a rename; False when it already held `data`."""
    try:
        if path.is_file() and path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    write_new(temporary, data, 0o666 if mode is None else mode)
    try:
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return True


def write_new(path: Path, data: bytes, mode: int = 0o666) -> None:
    """Create `path` (it must not exist) holding `data`, flushed to disk; nothing is left on failure."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def artifact_problem(relative: str) -> str | None:
    """Say why an artifact path is unsafe to write under the output directory, or None."""
    if not relative or "\\" in relative or "\x00" in relative:
        return "is empty or holds a backslash or NUL"
    pure = PurePosixPath(relative)
    if pure.is_absolute() or relative.startswith("~"):
        return "is absolute"
    if any(part in ("..", "") for part in relative.split("/")) or relative.endswith("/"):
        return "leaves its directory or is not a file name"
    return None
