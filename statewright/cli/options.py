"""Arguments and options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from statewright.cli.output import ReportFormat

_FLAG_VALUES = frozenset({"true", "false", "yes", "no", "on", "off", "1", "0"})


def no_flag_values(paths: list[Path]) -> list[Path]:
    """Refuse `check --strict true x.wf`: flags take no value, and `true` is not a `.wf` file.

    Only a missing path spelled like a boolean is refused (exit 2, usage); a
    file really named `true` is read as usual.
    """
    for path in paths:
        if str(path).lower() in _FLAG_VALUES and not path.exists():
            raise typer.BadParameter(
                f"`{path}` is not a file: flags such as `--strict` take no value "
                f"(write `--strict`, not `--strict {path}`)"
            )
    return paths


PathsArg = Annotated[
    list[Path],
    typer.Argument(
        metavar="PATH",
        help="`.wf` files, or directories searched for `.wf` files.",
        show_default=False,
        callback=no_flag_values,
    ),
]
MaxBytesOpt = Annotated[
    int,
    typer.Option(
        "--max-bytes", min=1, metavar="BYTES", help="Refuse inputs larger than this many bytes (SW004)."
    ),
]
FormatOpt = Annotated[
    ReportFormat,
    typer.Option(
        "--format", case_sensitive=False, help="Report form: text, concise, json or sarif (SARIF 2.1.0)."
    ),
]
SmtTimeoutOpt = Annotated[
    int,
    typer.Option(
        "--smt-timeout",
        min=1,
        max=86_400_000,
        metavar="MS",
        help="Time limit of one SMT (z3) query in milliseconds; an undecided query is SW409.",
    ),
]
