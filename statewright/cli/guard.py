"""The command guard: a command's int result becomes its exit code and a crash becomes an SW909 report."""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Callable
from typing import ParamSpec

import typer
from rich.text import Text

from statewright.cli.codes import EXIT_USAGE, INTERNAL_ERROR
from statewright.cli.output import make_console

P = ParamSpec("P")


def guarded(command: Callable[P, int]) -> Callable[P, None]:
    """Run a command body; its int result is the exit code; any crash is an SW909, never a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            code = command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException, BrokenPipeError):
            raise
        except Exception as exc:
            report_internal_error(exc)
            raise typer.Exit(EXIT_USAGE) from None
        raise typer.Exit(code)

    return run


def report_internal_error(exc: BaseException) -> None:
    """Print an unexpected exception as `internal error [SW909]` with a hint to report it."""
    console = make_console(stderr=True)
    detail = str(exc).strip().splitlines()
    reason = f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__
    console.print(Text(f"internal error [{INTERNAL_ERROR.code}]: {reason}", style="bold red"))
    console.print(f"  = help: {INTERNAL_ERROR.help}")
    if os.environ.get("STATEWRIGHT_DEBUG"):
        console.print("".join(traceback.format_exception(exc)))
    else:
        console.print("  = note: set STATEWRIGHT_DEBUG=1 to include the Python traceback in the report")
