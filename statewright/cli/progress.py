"""Progress of long work on a terminal: one transient status line on stderr, erased when done.

`build` and `test` make one `Progress` and hand its callbacks to the pure stages
explicitly (`Progress.stage_for`, `Progress.tally_for`); the stages never print.
The line is shown only when it is wanted (`wanted`): stderr is a terminal, TERM
is not `dumb`, and the report is not a JSON or SARIF document, unless
`--progress` / `--no-progress` says otherwise. It holds no colour and no escape
sequence (a carriage return and blanks redraw it), so NO_COLOR and dumb
terminals see plain text, and it is erased before the command prints anything.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TextIO

import typer
from rich.cells import cell_len, set_cell_size

from statewright.cli.output import ReportFormat

Stage = Callable[[str], None]
"""Told each stage of one input's work as it starts (`parsing`, `verifying guards`, ...)."""
Tally = Callable[[str, int, int], None]
"""Told what a test run is doing and how far it is: (what, done, total); total 0 means no count."""

ProgressOpt = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress",
        help="Show what runs on a status line on stderr (default: when stderr is a terminal and the "
        "report is text or concise).",
        show_default=False,
    ),
]

REDRAW_S = 0.1
"""Counters are redrawn at most this often; a new stage is drawn at once."""

_DOCUMENT_FORMATS = frozenset({ReportFormat.JSON, ReportFormat.SARIF})


def wanted(choice: bool | None, format: ReportFormat, stream: TextIO) -> bool:
    """Decide whether to show progress: `choice` when given, else a terminal that is not dumb, text reports.

    JSON and SARIF reports are documents read by programs, so they get none unless
    asked for; a dumb terminal (TERM=dumb) is treated as the rest of the CLI treats it.
    """
    if choice is not None:
        return choice
    if format in _DOCUMENT_FORMATS or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _width(stream: TextIO) -> int:
    """The terminal's width in columns (80 when it cannot be told, or a new terminal says 0)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80
    return columns if columns > 0 else 80


class Progress:
    """One status line on `stream` (None: show nothing); `close` erases it.

    The line is cut to the terminal's width so that it never wraps, which would
    leave a line behind that a carriage return cannot reach.
    """

    def __init__(self, stream: TextIO | None, clock: Callable[[], float] = time.monotonic) -> None:
        """Draw on `stream`, or nowhere when it is None; `clock` spaces out counter redraws."""
        self._stream = stream
        self._clock = clock
        self._shown = 0
        self._head = ""
        self._drawn_at = 0.0

    @property
    def enabled(self) -> bool:
        """True when the line is drawn somewhere."""
        return self._stream is not None

    def show(self, text: str, head: str | None = None) -> None:
        """Replace the line with `text`; while `head` (default `text`) stays the same, redraw now and then."""
        stream = self._stream
        if stream is None:
            return
        head = text if head is None else head
        now = self._clock()
        if head == self._head and now - self._drawn_at < REDRAW_S:
            return
        self._head, self._drawn_at = head, now
        line = "".join(c if c.isprintable() else "?" for c in text)
        limit = max(_width(stream) - 1, 1)
        if cell_len(line) > limit:  # columns, not characters: a CJK name or an emoji takes two
            line = set_cell_size(line, limit)
        columns = cell_len(line)
        stream.write("\r" + line + " " * max(self._shown - columns, 0))
        stream.flush()
        self._shown = columns

    def close(self) -> None:
        """Erase the line (the cursor is left at the start of an empty line)."""
        stream = self._stream
        if stream is None or not self._shown:
            return
        stream.write("\r" + " " * self._shown + "\r")
        stream.flush()
        self._shown = 0
        self._head = ""

    def stage_for(self, name: str) -> Stage | None:
        """The callback that shows `name: <stage>` for one input, or None when nothing is shown."""
        if self._stream is None:
            return None
        return lambda stage: self.show(f"{name}: {stage}")

    def tally_for(self, name: str) -> Tally | None:
        """The callback that shows `name: <what> <done>/<total>` for one workflow, or None."""
        if self._stream is None:
            return None

        def tally(what: str, done: int, total: int) -> None:
            count = f" {min(done, total)}/{total}" if total else ""
            self.show(f"{name}: {what}{count}", head=f"{name}: {what}")

        return tally


@contextmanager
def progress_line(show: bool, stream: TextIO) -> Iterator[Progress]:
    """A `Progress` on `stream` when `show`, erased however the block ends (errors and Ctrl-C too)."""
    progress = Progress(stream if show else None)
    try:
        yield progress
    finally:
        progress.close()
