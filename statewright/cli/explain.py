"""The `explain` command: what a diagnostic code means, an example of it, and the fix.

`statewright explain SW301` (or its name, `unreachable-state`) prints one code;
`--all` prints every built-in code, and `--all --format markdown` is docs/CODES.md
(a test checks the committed file is current). Everything comes from the registry
(`statewright.diagnostics`) and the example table beside it (`diagnostics.examples`).
An unknown code is a usage error (exit 2) that suggests the closest codes.
"""

from __future__ import annotations

import difflib
import enum
import json
from collections.abc import Iterable
from typing import Annotated, Any

import typer

from statewright.cli.codes import EXIT_OK
from statewright.cli.guard import guarded
from statewright.diagnostics import BUILTIN_CODES, CODES, RETIRED_CODES, Code
from statewright.diagnostics.examples import example_of, fix_of
from statewright.plugins.manager import get_plugin_manager


class ExplainFormat(enum.StrEnum):
    """How `explain` prints."""

    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


@guarded
def explain(
    code: Annotated[
        str | None,
        typer.Argument(
            metavar="CODE", help="A code (`SW301`) or its name (`unreachable-state`).", show_default=False
        ),
    ] = None,
    all_codes: Annotated[bool, typer.Option("--all", help="Explain every built-in code.")] = False,
    format: Annotated[
        ExplainFormat, typer.Option("--format", case_sensitive=False, help="text, markdown or json.")
    ] = ExplainFormat.TEXT,
) -> int:
    """Explain a diagnostic code: its name, what it means, an example, and how to fix it."""
    if all_codes == (code is not None):
        raise typer.BadParameter("give one CODE, or --all", param_hint="CODE")
    if code is None:
        chosen = list(BUILTIN_CODES.values())
    else:
        get_plugin_manager().diagnostics  # noqa: B018 - loads plugins' entry points, which register their codes
        chosen = [resolve(code)]
    if format is ExplainFormat.JSON:
        typer.echo(json.dumps([as_dict(c) for c in chosen], indent=2, ensure_ascii=False))
    elif format is ExplainFormat.MARKDOWN:
        typer.echo(markdown(chosen, whole=all_codes), nl=False)
    else:
        typer.echo("\n\n".join(text(c) for c in chosen))
    return EXIT_OK


def resolve(name: str) -> Code:
    """Return the code `name` names (a code in any case, or a kebab-case name); a usage error otherwise."""
    wanted = name.strip()
    found = CODES.get(wanted.upper())
    if found is not None:
        return found
    by_name = {c.name: c for c in CODES.values()}
    if wanted.lower() in by_name:
        return by_name[wanted.lower()]
    shown = "".join(ch if ch.isprintable() else "?" for ch in wanted)[:60]
    if wanted.upper() in RETIRED_CODES:
        raise typer.BadParameter(
            f"{wanted.upper()} is retired: {RETIRED_CODES[wanted.upper()]}", param_hint="CODE"
        )
    upper = wanted.upper()
    close = [
        c for c in CODES if len(c) == len(upper) and sum(x != y for x, y in zip(c, upper, strict=True)) == 1
    ]
    close += difflib.get_close_matches(upper, list(CODES), n=3, cutoff=0.6)
    close += difflib.get_close_matches(wanted.lower(), list(by_name), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(list(dict.fromkeys(close))[:3])}?" if close else ""
    raise typer.BadParameter(f"no diagnostic code `{shown}`{hint}", param_hint="CODE")


def as_dict(code: Code) -> dict[str, Any]:
    """Return one code's explanation as plain data."""
    example = example_of(code)
    return {
        "code": code.code,
        "name": code.name,
        "severity": code.severity.value,
        "title": code.title,
        "example": example.text if example is not None else "",
        "fix": fix_of(code),
    }


def text(code: Code) -> str:
    """Return one code's explanation for a terminal."""
    data = as_dict(code)
    lines = [f"{code.code} {code.name} ({code.severity.value} by default)", f"  {code.title}", ""]
    lines.append("Example:")
    lines.extend(f"    {line}" for line in (data["example"] or "(none recorded)").splitlines())
    lines.extend(["", "Fix:", f"    {data['fix'] or '(none recorded)'}"])
    return "\n".join(lines)


def markdown(codes: Iterable[Code], *, whole: bool) -> str:
    """Return the codes' explanations as Markdown; `whole` adds the page header of docs/CODES.md."""
    parts: list[str] = []
    if whole:
        parts.append(
            "# Diagnostic codes\n\n"
            "Every code statewright reports, with an example and the fix. Generated from the\n"
            "registry by `statewright explain --all --format markdown > docs/CODES.md`; do not\n"
            "edit by hand (a test checks it is current). Severities are the defaults;\n"
            "`[tool.statewright]` can change them (docs/CONFIGURATION.md).\n"
        )
    for code in codes:
        data = as_dict(code)
        example = data["example"] or "(none recorded)"
        parts.append(
            f"## {code.code} {code.name}\n\n"
            f"**{code.severity.value}**: {_escaped(code.title)}\n\n"
            f"```\n{example}\n```\n\n"
            f"Fix: {_escaped(data['fix']) or '(none recorded)'}\n"
        )
    return "\n".join(parts)


def _escaped(line: str) -> str:
    """Markdown text with characters that would start markup where none is meant made plain."""
    return line.replace("<", "&lt;").replace(">", "&gt;")
