"""The `statewright` command: `check`, `build`, `fmt`, `targets`, and the `run` group (`cli/run/`).

Streams. stdout carries what a command produces: the findings report and its
one-line summary (`check`), the list of files written (`build`), the files
reformatted (`fmt`), the target table, and every `--format json` document —
with `--format json` stdout holds exactly one JSON document and nothing else.
One exception: with `fmt --diff` stdout holds only the unified diff (so it can
be piped to `patch`) and the per-file status and summary go to stderr.
stderr otherwise carries only problems with the run itself: usage errors and
internal errors (and, for `run`, the error a refused or invalid request printed).
On a terminal, `build` and `test` also draw a transient progress line there,
erased before they print (`cli.progress`); piped, stderr gets none of it.

Exit codes. 0: clean. 1: the inputs were read and compiled, but verification
rules, a target's generation, or `--strict` warnings found problems, or
`fmt --check` found files to reformat. 2: usage errors and input errors —
a missing or unreadable file, bad bytes, a directory with no `.wf` files, a
syntax, name or type error (any error produced by read, parse or lower), an
unknown target, an output directory that cannot be written. When both kinds
occur, 2 wins. `run` (see `cli.run.session`): 1 when the workflow refused a
well-formed request, 2 for usage and input errors. An unexpected exception
prints `internal error [SW909]: ...` and exits 2; it never shows a traceback
unless STATEWRIGHT_DEBUG is set.

Colour is used only when stdout/stderr is a terminal and NO_COLOR is unset
(FORCE_COLOR forces it, as rich defines); otherwise output is plain text.
`fmt --diff` alone exits 0 (it is a preview); add `--check` to fail on changes.

Start-up. Each sub-command's module is imported only when that command runs or
its own help is shown (`cli.lazy`): `check` loads neither the targets nor the
testing stack, and `statewright --version` is answered by the console script
(`statewright.launch`) before the command line is imported at all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated, NoReturn

import typer

from statewright import __version__
from statewright.cli.codes import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from statewright.cli.interrupts import EXIT_INTERRUPTED, interruptible
from statewright.cli.lazy import TYPER_SETTINGS, Interrupted, LazyGroup

__all__ = ["app", "main"]

app = typer.Typer(
    name="statewright",
    cls=LazyGroup,  # every sub-command of cli.lazy.COMMANDS, imported when used
    help="Compile workflow specs (.wf): check them, format them, and generate code for real engines.",
    no_args_is_help=True,
    **TYPER_SETTINGS,
)


def _version(value: bool) -> None:
    """Print the version and stop, when `--version` was given."""
    if value:
        typer.echo(f"statewright {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Compile workflow specs (.wf): check them, format them, and generate code for real engines."""


def main(argv: Sequence[str] | None = None) -> None:
    """Run the `statewright` command; exits with the policy's code and never shows a traceback."""
    with interruptible() as interrupts:
        try:
            app(args=None if argv is None else list(argv), prog_name="statewright")
        except SystemExit as done:
            interrupts.raising = False  # leaving: no further interrupt while the exit is reported
            if interrupts.seen and done.code != EXIT_INTERRUPTED:  # click's "Aborted!" (1), or a crash
                _interrupted()
            raise
        except (KeyboardInterrupt, Interrupted):
            interrupts.raising = False
            _interrupted()
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(EXIT_FINDINGS)
        except Exception as exc:
            interrupts.raising = False
            if interrupts.seen:  # an error the interrupt caused is the interrupt
                _interrupted()
            from statewright.cli.guard import report_internal_error

            report_internal_error(exc)
            sys.exit(EXIT_USAGE)


def _interrupted() -> NoReturn:
    """Exit as a command stopped by Ctrl-C does: one line on stderr, code 130."""
    from statewright.cli.output import make_console

    make_console(stderr=True).print("interrupted")
    sys.exit(EXIT_INTERRUPTED)
