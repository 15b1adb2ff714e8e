"""The built-in diagram targets: `mermaid`, `dot` and `svg`, drawn from `statechart` (the shared helper).

- `mermaid` writes `<workflow>.mmd`, a Mermaid `stateDiagram-v2`: compound
  states are composite states, a parallel state's regions are separated by
  `--`, `[*] -->` marks each scope's initial state and `--> [*]` each final
  state. State names become Mermaid-safe ids (synthesised names such as
  `Fulfilling.reserve_stock` hold a `.`), declared with
  `state "label" as id`. Transition texts keep the guard as written except
  where Mermaid would misread it (see `mermaid_text`); long guards are short
  names spelt out in a note beside the initial state (see `statechart`).
- `dot` writes `<workflow>.dot` for Graphviz (`statechart.dot`).
- `svg` runs Graphviz's `dot -Tsvg` on the same DOT text (with a timeout) and
  writes `<workflow>.svg`. Without Graphviz it reports SW910 and writes nothing.
"""

from __future__ import annotations

import re
import shutil

from statewright import ir
from statewright.diagnostics import Diagnostic
from statewright.diagnostics.catalog.targets import (
    GRAPHVIZ_FAILED,
    GRAPHVIZ_MISSING,
)
from statewright.plugins.api import Artifact, Target, TargetOptions, TargetOutput
from statewright.plugins.hookspecs import hookimpl
from statewright.targets.statechart import (
    DOT_TIMEOUT_SECONDS,
    children,
    dot,
    edges,
    find_dot,
    guard_legend,
    legend_lines,
    render_svg,
    short_label,
)

# --------------------------------------------------------------------------- Mermaid

_MERMAID_RESERVED = frozenset(
    {
        "state",
        "note",
        "end",
        "direction",
        "class",
        "classdef",
        "style",
        "click",
        "as",
        "hide",
        "left",
        "right",
    }
    | {"of", "over", "accdescr", "acctitle", "title", "tb", "bt", "lr", "rl", "default", "root"}
)
_MERMAID_ESCAPES = re.compile(r";|<(?=[A-Za-z/!?])|&(?=#?\w+;)|[\\*]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def _mermaid_escape(match: re.Match[str]) -> str:
    char = match.group(0)[0]
    if char in ";<&":
        return f"#{ord(char)};"
    return "\\" + char


def mermaid_text(text: str) -> str:
    """Make text safe in a Mermaid label, changing as little as Mermaid 11 needs.

    `;` ends a statement, a `<` before a letter would open an HTML tag and a `&`
    before `name;` would be read as an HTML entity, so those become entity codes
    (`#59;`, `#60;`, `#38;`); labels are Markdown, so `\\`,
    `*` and a `_` at a word edge are backslash-escaped. Everything else
    (`" < <= > [ ] { } | # & :` and non-ASCII) renders as written. (Mermaid 11
    decodes entity codes in edge labels only in some diagrams, which is why
    they are kept to the characters that have no other escape.)
    """
    return _MERMAID_ESCAPES.sub(_mermaid_escape, text)


_NOTE_END = re.compile(r"(?i)(?<=end) (?=note)")
"""The space of `end note`, which closes a Mermaid note wherever it stands: it becomes a no-break space."""


def mermaid_ids(machine: ir.Machine) -> dict[str, str]:
    """Map every state name to a unique Mermaid id made of letters, digits and `_`."""
    used: set[str] = set()
    ids: dict[str, str] = {}
    for state in machine.states:
        base = re.sub(r"[^A-Za-z0-9_]", "_", state.name) or "state"
        if base[0].isdigit():
            base = "s_" + base
        if base.lower() in _MERMAID_RESERVED:
            base += "_"
        candidate, number = base, 2
        while candidate.lower() in used:
            candidate, number = f"{base}_{number}", number + 1
        used.add(candidate.lower())
        ids[state.name] = candidate
    return ids


def mermaid(machine: ir.Machine) -> str:
    """Return the machine as a Mermaid `stateDiagram-v2`."""
    ids = mermaid_ids(machine)
    tree = children(machine)
    by_name = {state.name: state for state in machine.states}
    lines = ["---", f"title: {machine.name}", "---", "stateDiagram-v2"]

    def declare(state: ir.State, depth: int) -> None:
        pad = "  " * depth
        shown = short_label(state)
        if shown != ids[state.name]:
            lines.append(f'{pad}state "{mermaid_text(shown)}" as {ids[state.name]}')
        children = tree.get(state.name, [])
        if not children:
            if shown == ids[state.name]:
                lines.append(f"{pad}{ids[state.name]}")
            return
        lines.append(f"{pad}state {ids[state.name]} {{")
        if state.kind == "parallel":
            for index, region in enumerate(children):
                if index:
                    lines.append(f"{pad}  --")
                declare(region, depth + 1)
        else:
            body(state.name, children, depth + 1)
        lines.append(f"{pad}}}")

    def body(scope: str | None, children: list[ir.State], depth: int) -> None:
        pad = "  " * depth
        initial = machine.initial if scope is None else by_name[scope].initial
        if initial is not None:
            lines.append(f"{pad}[*] --> {ids[initial]}")
        for child in children:
            declare(child, depth)
        for child in children:
            if child.kind == "final":
                lines.append(f"{pad}{ids[child.name]} --> [*]")

    body(None, tree.get(None, []), 1)
    legend = guard_legend(machine)
    for edge in edges(machine, legend):
        lines.append(f"  {ids[edge.source]} --> {ids[edge.target]} : {mermaid_text(edge.label)}")
    if legend and machine.initial is not None:
        lines.append(f"  note right of {ids[machine.initial]}")
        for line in ["guards:", *legend_lines(legend)]:
            lines.append(f"    {_NOTE_END.sub(chr(0xA0), mermaid_text(line))}")
        lines.append("  end note")
    return "\n".join(lines) + "\n"


class MermaidTarget:
    """Writes `<workflow>.mmd`: a Mermaid stateDiagram-v2 with composite and concurrent states."""

    name: str = "mermaid"
    description: str = "a Mermaid stateDiagram-v2 (<workflow>.mmd) that GitHub and mermaid.live render"

    def generate(self, machine: ir.Machine, options: TargetOptions) -> TargetOutput:
        """Return the Mermaid diagram of one machine."""
        return TargetOutput(artifacts=(Artifact(f"{machine.name}.mmd", mermaid(machine)),))


class DotTarget:
    """Writes `<workflow>.dot`: a Graphviz digraph with clusters for compound and parallel states."""

    name: str = "dot"
    description: str = "a Graphviz digraph (<workflow>.dot) with clusters for compound and parallel states"

    def generate(self, machine: ir.Machine, options: TargetOptions) -> TargetOutput:
        """Return the DOT text of one machine."""
        return TargetOutput(artifacts=(Artifact(f"{machine.name}.dot", dot(machine)),))


class SvgTarget:
    """Writes `<workflow>.svg` by running Graphviz's `dot -Tsvg` on the `dot` target's text."""

    name: str = "svg"
    description: str = "the Graphviz diagram rendered as SVG (<workflow>.svg); needs Graphviz's `dot`"

    def unavailable(self) -> str | None:
        """Say why this target cannot run here (Graphviz missing), so `--target all` can skip it."""
        if shutil.which("dot") is None:
            return "Graphviz's `dot` program was not found (install the `graphviz` package)"
        return None

    def generate(self, machine: ir.Machine, options: TargetOptions) -> TargetOutput:
        """Render the diagram with Graphviz; SW910 when `dot` is missing, SW911 when it fails."""
        source = options.source_name or machine.source or machine.name
        program = find_dot(options)
        if program is None:
            wanted = options.extra.get("graphviz_dot") or "dot"
            message = f"cannot render `{machine.name}.svg`: Graphviz's `{wanted}` program was not found"
            return TargetOutput(diagnostics=(Diagnostic.of(GRAPHVIZ_MISSING, message, source, machine.span),))
        timeout = DOT_TIMEOUT_SECONDS
        if "graphviz_timeout" in options.extra:
            try:
                timeout = float(options.extra["graphviz_timeout"])
            except ValueError:
                timeout = DOT_TIMEOUT_SECONDS
        svg, problem = render_svg(dot(machine), program, timeout)
        if svg is None:
            message = f"cannot render `{machine.name}.svg`: {problem}"
            return TargetOutput(diagnostics=(Diagnostic.of(GRAPHVIZ_FAILED, message, source, machine.span),))
        return TargetOutput(artifacts=(Artifact(f"{machine.name}.svg", svg),))


@hookimpl
def statewright_targets() -> list[Target]:
    """Provide the `mermaid`, `dot` and `svg` targets through the public plugin hook."""
    return [MermaidTarget(), DotTarget(), SvgTarget()]
