"""`[tool.statewright]` in `pyproject.toml`: finding it, reading it, and what it says.

The configuration of a `.wf` file is the `[tool.statewright]` table of the nearest
`pyproject.toml` above it (its own directory first) that has one, as ruff finds
`[tool.ruff]`. A `pyproject.toml` without the table is passed over. Reading never raises:
a file that cannot be read or parsed (SW060), an unknown key (SW061), a value of the wrong
type (SW062) or a code nothing reports (SW063) is a finding naming the file, the key and
its line, and the configuration then falls back to the defaults for that key only.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from statewright.diagnostics import Code, Diagnostic, Severity, codes
from statewright.source import Span

TABLE = ("tool", "statewright")
KEYS = ("select", "ignore", "severity", "strict", "options")
MAX_CONFIG_BYTES = 1_000_000
"""A `pyproject.toml` larger than this is not read (SW060)."""

_SEVERITIES = {s.value: s for s in Severity}


@dataclass(frozen=True, slots=True)
class Config:
    """What one `[tool.statewright]` table says; the default value is the empty table.

    `select` None means every code; prefixes select a family (`SW6`), and the longest
    matching prefix of `select` and `ignore` decides (`ignore` wins a tie), as in ruff.
    """

    path: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    strict: bool = False
    options: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def enabled(self, code: str) -> bool:
        """Return True when findings with `code` are reported under this configuration."""
        selected = ("",) if self.select is None else self.select
        chosen = max((len(p) for p in selected if code.startswith(p)), default=-1)
        dropped = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return chosen > dropped

    def severity_of(self, code: str, default: Severity) -> Severity:
        """Return the severity the configuration gives `code` (its own when not overridden)."""
        return dict(self.severity).get(code, default)

    def target_options(self, target: str) -> dict[str, str]:
        """Return the `options.TARGET` settings for `target` (strings, as `--option key=value`)."""
        return dict(dict(self.options).get(target, ()))


DEFAULT = Config()


def find_config(start: Path) -> Path | None:
    """Return the nearest `pyproject.toml` at or above `start`'s directory holding `[tool.statewright]`.

    Unreadable directories and files are passed over; a file that mentions `tool.statewright`
    but does not parse is returned, so that reading it reports why.
    """
    try:
        here = Path(os.path.abspath(start))
    except (OSError, ValueError):
        return None
    first = here if _is_dir(here) else here.parent
    for directory in (first, *first.parents):
        candidate = directory / "pyproject.toml"
        text = _read_small(candidate)
        if text is not None and re.search(r"tool\s*\.\s*[\"']?statewright\b", text):
            return candidate
    return None


def load_config(
    path: Path, known: Iterable[str], targets: Iterable[str] | None = None
) -> tuple[Config, tuple[Diagnostic, ...]]:
    """Read `[tool.statewright]` from `path`; `known` are the codes it may name (built-in and plugins').

    `targets` are the registered targets `options` may name (None: any name).

    Returns the configuration and the problems found in it; every problem is a finding at
    the key's line, and the offending key keeps its default.
    """
    name = display_name(path)
    problems: list[Diagnostic] = []

    def report(code: Code, message: str, line: int) -> None:
        problems.append(Diagnostic.of(code, message, name, Span(line, 1, line, 1)))

    try:
        raw = path.read_bytes()
        if len(raw) > MAX_CONFIG_BYTES:
            raise ValueError(f"it is larger than {MAX_CONFIG_BYTES} bytes")
        text = raw.decode("utf-8")
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = _error_line(str(error), text)
        report(codes.CONFIG_UNREADABLE, f"`{name}` is not valid TOML: {_first_line(error)}", line)
        return Config(path=name), tuple(problems)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else _first_line(error)
        report(codes.CONFIG_UNREADABLE, f"cannot read `{name}`: {reason}", 1)
        return Config(path=name), tuple(problems)
    lines = KeyLines(text)
    table: Any = document.get("tool", {})
    table = table.get("statewright", {}) if isinstance(table, dict) else {}
    if not isinstance(table, dict):
        report(codes.CONFIG_BAD_VALUE, "`tool.statewright` must be a table", lines.line(TABLE))
        return Config(path=name), tuple(problems)
    for key in table:
        if key not in KEYS:
            report(
                codes.CONFIG_UNKNOWN_KEY,
                f"unknown key `tool.statewright.{key}` (known: {', '.join(KEYS)})",
                lines.line((*TABLE, key)),
            )
    chosen = None if targets is None else frozenset(targets)
    reader = _Reader(table, lines, frozenset(known), report, chosen)
    config = Config(
        path=name,
        select=reader.codes("select"),
        ignore=reader.codes("ignore") or (),
        severity=reader.severity(),
        strict=reader.strict(),
        options=reader.options(),
    )
    return config, tuple(sorted(problems, key=Diagnostic.sort_key))


@dataclass
class _Reader:
    """Reads each key of one table, reporting what does not fit."""

    table: dict[str, Any]
    lines: KeyLines
    known: frozenset[str]
    report: Callable[[Code, str, int], None]
    targets: frozenset[str] | None = None

    def codes(self, key: str) -> tuple[str, ...] | None:
        """A list of codes or prefixes (`select`, `ignore`); None when absent or wrong."""
        value = self.table.get(key)
        if value is None:
            return None
        line = self.lines.line((*TABLE, key))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.report(
                codes.CONFIG_BAD_VALUE, f"`tool.statewright.{key}` must be a list of code strings", line
            )
            return None
        found: list[str] = []
        for item in value:
            if not item or not any(code.startswith(item) for code in self.known):
                self.report(
                    codes.CONFIG_UNKNOWN_CODE,
                    f"`tool.statewright.{key}` names `{_shown(item)}`, which no known code starts with",
                    self.lines.item_line((*TABLE, key), item),
                )
                continue
            found.append(item)
        return tuple(found)

    def severity(self) -> tuple[tuple[str, Severity], ...]:
        """The `severity` table: code -> error, warning or info."""
        value = self.table.get("severity")
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.report(
                codes.CONFIG_BAD_VALUE,
                "`tool.statewright.severity` must be a table of code = severity",
                self.lines.line((*TABLE, "severity")),
            )
            return ()
        found: list[tuple[str, Severity]] = []
        for code, level in value.items():
            line = self.lines.line((*TABLE, "severity", code))
            if code not in self.known:
                message = f"`tool.statewright.severity` names `{_shown(code)}`, which is not a known code"
                self.report(codes.CONFIG_UNKNOWN_CODE, message, line)
                continue
            if not isinstance(level, str) or level not in _SEVERITIES:
                self.report(
                    codes.CONFIG_BAD_VALUE,
                    f'`tool.statewright.severity.{code}` must be "error", "warning" or "info"',
                    line,
                )
                continue
            found.append((code, _SEVERITIES[level]))
        return tuple(sorted(found))

    def strict(self) -> bool:
        """The `strict` flag."""
        value = self.table.get("strict", False)
        if isinstance(value, bool):
            return value
        line = self.lines.line((*TABLE, "strict"))
        self.report(codes.CONFIG_BAD_VALUE, "`tool.statewright.strict` must be true or false", line)
        return False

    def options(self) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
        """The `options.TARGET` tables, their values as the strings `--option` would give."""
        value = self.table.get("options")
        if value is None:
            return ()
        if not isinstance(value, dict):
            line = self.lines.line((*TABLE, "options"))
            self.report(codes.CONFIG_BAD_VALUE, "`tool.statewright.options` must be a table of targets", line)
            return ()
        found: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        for target, settings in value.items():
            where = (*TABLE, "options", target)
            if self.targets is not None and target not in self.targets:
                message = (
                    f"`tool.statewright.options.{_shown(target)}` names no registered target "
                    f"(known: {', '.join(sorted(self.targets))})"
                )
                self.report(codes.CONFIG_UNKNOWN_KEY, message, self.lines.line(where))
                continue
            if not isinstance(settings, dict):
                message = f"`tool.statewright.options.{_shown(target)}` must be a table of key = value"
                self.report(codes.CONFIG_BAD_VALUE, message, self.lines.line(where))
                continue
            pairs: list[tuple[str, str]] = []
            for key, item in settings.items():
                text = _option_text(item)
                if text is None:
                    message = (
                        f"`tool.statewright.options.{_shown(target)}.{_shown(key)}` must be a string, "
                        "a number or a boolean"
                    )
                    self.report(codes.CONFIG_BAD_VALUE, message, self.lines.line((*where, key)))
                    continue
                pairs.append((key, text))
            found.append((target, tuple(sorted(pairs))))
        return tuple(sorted(found))


def _option_text(value: object) -> str | None:
    """A target option's value as `--option key=value` would spell it; None for lists and tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


class KeyLines:
    """Where each key of a TOML text is written: the line of `[a.b]` headers and `key =` lines.

    tomllib gives values, not positions, so this reads the lines it needs: table headers,
    `key = value` lines (dotted keys too), and keys inside one-line inline tables. A key not
    found is placed at its nearest written ancestor (or line 1).
    """

    def __init__(self, text: str) -> None:
        self.text_lines = text.splitlines()
        self.found: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(self.text_lines, start=1):
            stripped = line.strip()
            if stripped.startswith("[") and not stripped.startswith("[["):
                table = _dotted(stripped[1:].split("]", 1)[0])
                self.found.setdefault(table, number)
                continue
            key, sep, rest = stripped.partition("=")
            if not sep or not key.strip() or stripped.startswith("#"):
                continue
            path = (*table, *_dotted(key))
            self.found.setdefault(path, number)
            for inner in re.finditer(r"([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=", rest.split("#", 1)[0]):
                self.found.setdefault((*path, inner.group(1).strip('"')), number)

    def line(self, path: Iterable[str]) -> int:
        """Return the line of `path`, or of its nearest ancestor that is written."""
        key = tuple(path)
        while key:
            if key in self.found:
                return self.found[key]
            key = key[:-1]
        return 1

    def item_line(self, path: tuple[str, ...], item: str) -> int:
        """Return the line where the list at `path` writes the string `item` (else the key's line)."""
        start = self.line(path)
        for number in range(start, min(len(self.text_lines), start + 200) + 1):
            if f'"{item}"' in self.text_lines[number - 1] or f"'{item}'" in self.text_lines[number - 1]:
                return number
        return start


def _dotted(key: str) -> tuple[str, ...]:
    """Split a TOML key (`a.b`, `a."b.c"`) into its parts."""
    parts = re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", key.strip())
    return tuple(p.strip().strip("\"'") for p in parts if p.strip())


def _is_dir(path: Path) -> bool:
    """True for a directory; False for paths the OS cannot stat."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _read_small(path: Path) -> str | None:
    """The text of a readable regular file (a prefix for a large one); None otherwise."""
    try:
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            return handle.read(MAX_CONFIG_BYTES + 1).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def display_name(path: Path) -> str:
    """Return `path` relative to the working directory when it lies below it, else absolute."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute)
    except ValueError:
        return absolute
    return absolute if relative.startswith("..") else relative


def _error_line(message: str, text: str) -> int:
    """The line tomllib's error names (`(at line 3, column 7)`; `at end of document`: the last)."""
    match = re.search(r"line (\d+)", message)
    if match:
        return int(match.group(1))
    return max(1, len(text.splitlines())) if "end of document" in message else 1


def _first_line(error: Exception) -> str:
    """An exception's message, first line only."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _shown(text: str) -> str:
    """A user's string for a message: printable, at most 40 characters."""
    clean = "".join(c if c.isprintable() else "?" for c in text)
    return clean if len(clean) <= 40 else clean[:39] + "…"
