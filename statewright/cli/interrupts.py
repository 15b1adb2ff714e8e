"""Ctrl-C as one outcome: a command stopped by SIGINT exits 130, whatever it was doing when it came.

Python turns SIGINT into a KeyboardInterrupt wherever the main thread is; code
below may swallow it (a broad handler, a test framework) or turn it into another
error, and click turns one that reaches it into "Aborted!" with exit code 1.
`Interrupts` is the SIGINT handler that notes each interrupt before raising, so
the command line can tell afterwards that the run was interrupted and exit 130
with no verdict, however the interrupt was then handled.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

EXIT_INTERRUPTED = 130
"""The exit code of a command stopped by Ctrl-C (128 + SIGINT, as shells report it)."""


RAISE_AGAIN_S = 0.25
"""How often an interrupt is raised again while the interrupted code keeps running."""

GIVE_UP_S = 20.0
"""How long interrupted code may keep running before the process ends anyway (exit 130).

Only code that swallows every KeyboardInterrupt for this long reaches it; the
durable runtime loses nothing by it, since an uncommitted SQLite transaction is
rolled back when the file is next opened.
"""


class Interrupts:
    """A SIGINT handler: notes each interrupt and, while `raising`, raises KeyboardInterrupt.

    Python drops an exception raised where it cannot propagate (a garbage-collector
    callback, a `__del__`, and Hypothesis runs one on every collection), so one
    KeyboardInterrupt may vanish and the run go on. After the first interrupt a
    daemon thread therefore signals the process again every RAISE_AGAIN_S seconds
    until the block ends or the caller stops `raising`.
    """

    def __init__(self) -> None:
        self.seen = False
        self.raising = True
        self.done = False
        self._again: threading.Thread | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        """Note the interrupt; stop the running code unless the caller asked only to note it."""
        self.seen = True
        if not self.raising:
            return
        if self._again is None:
            self._again = threading.Thread(target=self._raise_again, name="interrupt-again", daemon=True)
            self._again.start()
        raise KeyboardInterrupt

    def _raise_again(self) -> None:
        started = time.monotonic()
        while True:
            time.sleep(RAISE_AGAIN_S)
            if self.done or not self.raising:
                return
            if time.monotonic() - started > GIVE_UP_S:
                sys.stderr.write("interrupted: no verdict\n")
                sys.stderr.flush()
                os._exit(EXIT_INTERRUPTED)
            signal.raise_signal(signal.SIGINT)

    def unraisable(
        self, previous: Callable[[sys.UnraisableHookArgs], object]
    ) -> Callable[[sys.UnraisableHookArgs], None]:
        """A `sys.unraisablehook` that, once interrupted, drops what the interrupt left behind.

        An interrupt that lands in a garbage-collector callback or a `__del__`
        cannot propagate; Python would print it as "Exception ignored ... Traceback".
        It is not an error: the next raise reaches the interrupted code. An object
        whose constructor the interrupt cut short (z3's Context, say) fails in its
        `__del__` at exit for the same reason. Once interrupted the process only
        ends, with exit code 130, so these are all dropped; before an interrupt every
        unraisable exception goes to the hook that was there before.
        """

        def hook(unraisable: sys.UnraisableHookArgs) -> None:
            if not self.seen:
                previous(unraisable)

        return hook


@contextmanager
def interruptible() -> Iterator[Interrupts]:
    """Route SIGINT to a fresh `Interrupts` for the block (in the main thread; elsewhere as set)."""
    interrupts = Interrupts()
    if threading.current_thread() is not threading.main_thread():
        yield interrupts
        return
    previous = signal.signal(signal.SIGINT, interrupts)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = interrupts.unraisable(previous_hook)
    try:
        yield interrupts
    finally:
        interrupts.done = True
        if interrupts.seen and isinstance(previous, Interrupts):  # the enclosing block was interrupted too
            previous.seen = True
        if not interrupts.seen:  # an interrupted process is ending; its finalizers run after this
            sys.unraisablehook = previous_hook
        signal.signal(signal.SIGINT, previous)
