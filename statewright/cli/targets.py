"""The `targets` command: list the registered code-generation targets and their plugins."""

from __future__ import annotations

import enum
from typing import Annotated

import typer
from rich.table import Table

from statewright.cli.codes import EXIT_OK
from statewright.cli.guard import guarded
from statewright.cli.output import ReportFormat, emit_json, make_console, print_findings
from statewright.plugins.manager import get_plugin_manager


class ListFormat(enum.StrEnum):
    """How the target list is printed."""

    TEXT = "text"
    JSON = "json"


@guarded
def targets(
    format: Annotated[
        ListFormat, typer.Option("--format", case_sensitive=False, help="Listing form: text or json.")
    ] = ListFormat.TEXT,
) -> int:
    """List the registered code-generation targets and the plugins that provide them."""
    manager = get_plugin_manager()
    found = manager.targets()
    rows = []
    for name, target in found.items():
        info = manager.target_provider(name)
        rows.append(
            {
                "name": name,
                "description": str(target.description),
                "plugin": info.name,
                "distribution": info.distribution,
            }
        )
    if format is ListFormat.JSON:
        emit_json({"targets": rows, "diagnostics": [d.to_dict() for d in manager.diagnostics]})
        return EXIT_OK
    console = make_console()
    print_findings(console, manager.diagnostics, lambda _file, _line: "", ReportFormat.TEXT)
    if manager.diagnostics:
        console.print()
    if not rows:
        console.print("no targets are registered")
        return EXIT_OK
    table = Table("target", "description", "plugin")
    for row in rows:
        table.add_row(row["name"], row["description"], f"{row['plugin']} ({row['distribution']})")
    console.print(table, soft_wrap=False)
    return EXIT_OK
