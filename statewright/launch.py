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
from types import FrameType

_EXIT_INTERRUPTED = 128 + signal.SIGINT
# statewright.cli.interrupts.EXIT_INTERRUPTED; importing it would load the whole command line.


def _interrupted_while_starting(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("interrupted\n")
    sys.stderr.flush()
    os._exit(_EXIT_INTERRUPTED)


def main() -> None:
    """Run the command line, exiting 130 without a traceback if interrupted while it loads."""
    previous = signal.signal(signal.SIGINT, _interrupted_while_starting)
    from statewright.cli import main as command_line

    signal.signal(signal.SIGINT, previous)
    command_line()
