"""The `lsp` command: run the language server on stdin/stdout for an editor (see statewright/lsp/)."""

from __future__ import annotations

from typing import Annotated

import typer


def lsp(
    stdio: Annotated[
        bool, typer.Option("--stdio", help="Talk over stdin/stdout (the default and only transport).")
    ] = True,
) -> None:
    """Run the language server over stdio: findings as you type, hover, navigation, rename, formatting."""
    from statewright.lsp.server import serve

    serve()
