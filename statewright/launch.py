"""The `statewright` console script: quiet on Ctrl-C from the first instruction.

The command line imports a good deal (the parser, z3, the targets) before
`statewright.cli.main` can install its interrupt handling; a Ctrl-C in that time
used to print a KeyboardInterrupt traceback from deep inside an import. This
module imports nothing heavy: it routes SIGINT to an immediate, quiet exit 130
for the import, then hands over to the command line, which installs its own
handler. Nothing has been read or written before the command line starts, so
nothing is lost by ending there.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, NoReturn

_EXIT_INTERRUPTED = 128 + signal.SIGINT
# statewright.cli.interrupts.EXIT_INTERRUPTED; importing it would load the whole command line.
_EXIT_BROKEN_PIPE = 1
# What statewright.cli.main exits with when stdout's reader has gone (cli.codes.EXIT_FINDINGS).


def _interrupted_while_starting(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("interrupted\n")
    sys.stderr.flush()
    os._exit(_EXIT_INTERRUPTED)


_Handler = Callable[[int, FrameType | None], Any] | int


def _quiet() -> _Handler:
    """Route SIGINT to the quiet exit; the handler it replaces (Python's default where none was set)."""
    try:
        previous = signal.signal(signal.SIGINT, _interrupted_while_starting)
    except ValueError:  # not the main thread: signals are the main thread's, nothing to quiet here
        return signal.default_int_handler
    return signal.default_int_handler if previous is None else previous


# The one import-time effect in the package, and this module's reason to exist: pip's console
# script imports this module, then runs a regular expression over argv[0] before it calls
# `main()`, and a Ctrl-C there would print a traceback. Only the console script imports it.
_PREVIOUS = _quiet()


def main() -> None:
    """Run the command line, exiting 130 without a traceback if interrupted while it loads.

    `statewright --version` alone is answered here, before the command line is
    imported: the same line and exit code 0 as the root `--version` option gives.
    """
    if sys.argv[1:] == ["--version"]:
        _version()
    _quiet()
    from statewright.cli import main as command_line

    signal.signal(signal.SIGINT, _PREVIOUS)
    command_line()


def _version() -> NoReturn:
    """Print `statewright VERSION` and exit 0; exit 1 quietly if nobody reads stdout, as `cli.main` does."""
    from statewright import __version__

    try:
        sys.stdout.write(f"statewright {__version__}\n")
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(_EXIT_BROKEN_PIPE)
    sys.exit(0)
