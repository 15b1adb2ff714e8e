"""Arguments and options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from statewright.cli.output import ReportFormat

PathsArg = Annotated[
    list[Path],
    typer.Argument(
        metavar="PATHS...", help="`.wf` files, or directories searched for `.wf` files.", show_default=False
    ),
]
MaxBytesOpt = Annotated[
    int, typer.Option("--max-bytes", min=1, help="Refuse inputs larger than this many bytes (SW004).")
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
