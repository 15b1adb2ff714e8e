"""The built-in diagram targets: `mermaid`, `dot` and `svg`.

- `mermaid` writes `<workflow>.mmd`, a Mermaid `stateDiagram-v2`: compound
  states are composite states, a parallel state's regions are separated by
  `--`, `[*] -->` marks each scope's initial state and `--> [*]` each final
  state. State names become Mermaid-safe ids (synthesised names such as
  `Fulfilling.reserve_stock` hold a `.`), declared with
  `state "label" as id`. Transition texts keep the guard as written except
  where Mermaid would misread it (see `mermaid_text`).
- `dot` writes `<workflow>.dot` for Graphviz: one `subgraph cluster_*` per
  compound or parallel state (regions as nested, dashed clusters) and
  `compound=true`, so a transition from or to a composite state is drawn to
  its cluster's border (`ltail`/`lhead`) from an invisible anchor node inside
  it. Labels are quoted and escaped.
- `svg` runs Graphviz's `dot -Tsvg` on the same DOT text (with a timeout) and
  writes `<workflow>.svg`. Without Graphviz it reports SW910 and writes nothing.

Transition labels read as counterexamples do: the event (`submit`), a timer
(`after 30s`), the outcome of invoked work (`done(validate_order)`,
`error(validate_order)`), `completion` or `always`, followed by the guard in
brackets or `[else]`. A transition that stays (`delegate`) is a loop marked `(stay)`.
A guard longer than `GUARD_LIMIT` characters is drawn as a short name (`[g1]`,
numbered in order of first use, one name per distinct guard text) and spelt out
in a legend (a Mermaid note beside the initial state; the DOT graph's label
under its title) and, in DOT, the edge's tooltip, so long guards never stack
over each other or the states.

Cluster titles in DOT are left-justified (`labeljust=l`): edges leave a state
to the right (`rankdir=LR`) and so cross the clusters below it near its own
column, while the left edge of a cluster holds only its start point.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from statewright import ir
from statewright.diagnostics import Diagnostic
from statewright.diagnostics.catalog.targets import (
    GRAPHVIZ_FAILED,
    GRAPHVIZ_MISSING,
)
from statewright.ir.text import render, transition_label
from statewright.plugins.api import Artifact, Target, TargetOptions, TargetOutput
from statewright.plugins.hookspecs import hookimpl

GUARD_LIMIT = 40
"""Guards longer than this (in characters) are drawn as a short name and spelt out in the legend."""

DOT_TIMEOUT_SECONDS = 60.0
"""How long `dot -Tsvg` may run before the svg target gives up (`--option graphviz_timeout=SECONDS`)."""


# --------------------------------------------------------------------------- the tree and the edges


@dataclass(frozen=True, slots=True)
class DiagramEdge:
    """One transition as drawn: source, target (the source itself for a stay) and label.

    `label` is what the diagram shows (a long guard as its short name), `full`
    the whole text, and `transition` the IR transition's index.
    """

    source: str
    target: str
    label: str
    stay: bool
    full: str = ""
    transition: int = -1


def _children(machine: ir.Machine) -> dict[str | None, list[ir.State]]:
    tree: dict[str | None, list[ir.State]] = {}
    for state in machine.states:
        tree.setdefault(state.parent, []).append(state)
    return tree


def guard_legend(machine: ir.Machine, limit: int = GUARD_LIMIT) -> dict[str, str]:
    """Map every guard text longer than `limit` to its short name (`g1`, `g2`, ...), in order of first use.

    One name per distinct text, so a guard written on several transitions reads
    the same everywhere; the numbering follows the IR, so it is deterministic.
    """
    legend: dict[str, str] = {}
    for transition in machine.transitions:
        if transition.guard is None or transition.is_else:
            continue
        text = render(transition.guard)
        if len(text) > limit and text not in legend:
            legend[text] = f"g{len(legend) + 1}"
    return legend


LEGEND_WIDTH = 80
"""Legend lines wrap at spaces to about this many characters (continuations indented)."""


def legend_lines(legend: Mapping[str, str]) -> list[str]:
    """The legend as `g1: full guard text` lines, wrapped at spaces to `LEGEND_WIDTH`.

    Lines break only at spaces (never inside a word or at a hyphen); the
    spaces at a break are dropped, every other character is kept.
    """
    lines: list[str] = []
    for text, short in legend.items():
        lines.extend(
            textwrap.wrap(
                f"{short}: {' '.join(text.splitlines())}",
                LEGEND_WIDTH,
                subsequent_indent="    ",
                break_on_hyphens=False,
                break_long_words=False,
                replace_whitespace=False,
                drop_whitespace=True,
            )
        )
    return lines


def edge_label(
    machine: ir.Machine,
    transition: ir.Transition,
    states: dict[str, ir.State] | None = None,
    legend: Mapping[str, str] | None = None,
) -> str:
    """Return a transition's label: what triggers it, then its guard in brackets or `[else]`.

    With a `legend` (see `guard_legend`), a guard it names is shown by its short name.
    """
    if states is None:
        states = {s.name: s for s in machine.states}
    text = transition_label(transition, states.get(transition.source))
    if transition.is_else:
        text += " [else]"
    elif transition.guard is not None:
        guard = render(transition.guard)
        text += f" [{(legend or {}).get(guard, guard)}]"
    if transition.target is None:
        text += " (stay)"
    return text


def edges(machine: ir.Machine, legend: Mapping[str, str] | None = None) -> Iterator[DiagramEdge]:
    """Yield every transition of the machine as a drawable edge, in IR order (long guards per `legend`)."""
    states = {s.name: s for s in machine.states}
    for index, transition in enumerate(machine.transitions):
        target = transition.target if transition.target is not None else transition.source
        yield DiagramEdge(
            transition.source,
            target,
            edge_label(machine, transition, states, legend),
            transition.target is None,
            edge_label(machine, transition, states),
            index,
        )


def short_label(state: ir.State) -> str:
    """Return the name shown inside a composite: `level_1` for `Approval.level_1`, else the name."""
    if state.parent is not None and state.name.startswith(state.parent + "."):
        return state.name[len(state.parent) + 1 :]
    return state.name


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
    tree = _children(machine)
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


# --------------------------------------------------------------------------- DOT


def dot_quote(text: str) -> str:
    """Return `text` as a DOT quoted string: backslashes, quotes and line breaks escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    return f'"{escaped}"'


def _cluster(name: str) -> str:
    return dot_quote(f"cluster_{name}")


def _start(scope: str | None) -> str:
    return dot_quote(f"{scope}#start" if scope else "#start")


def dot_lines(lines: Sequence[str], first_centred: bool = True) -> str:
    """Return lines as one DOT quoted label: the first centred (`\\n`), the others left-justified (`\\l`)."""
    quoted = [dot_quote(line)[1:-1] for line in lines]
    if first_centred and quoted:
        return '"' + quoted[0] + "\\n" + "".join(f"{line}\\l" for line in quoted[1:]) + '"'
    return '"' + "".join(f"{line}\\l" for line in quoted) + '"'


def state_element_ids(machine: ir.Machine) -> dict[str, str]:
    """Map every state to the SVG element id `dot(..., element_ids=True)` gives it: `state-N`, N its index."""
    return {state.name: f"state-{index}" for index, state in enumerate(machine.states)}


def transition_element_id(index: int) -> str:
    """The SVG element id `dot(..., element_ids=True)` gives the edge of IR transition `index`."""
    return f"transition-{index}"


def dot(machine: ir.Machine, element_ids: bool = False) -> str:
    """Return the machine as a Graphviz digraph with a cluster per compound or parallel state.

    With `element_ids`, every state's node or cluster and every transition's edge
    carries an `id` (`state_element_ids`, `transition_element_id`) that Graphviz
    copies into its SVG, so a page can find them (the `report` target).
    """
    tree = _children(machine)
    states = {state.name: state for state in machine.states}
    composite = {name for name, state in states.items() if state.kind in ("compound", "parallel")}
    legend = guard_legend(machine)
    element = state_element_ids(machine) if element_ids else {}
    title = dot_lines([machine.name, *(["guards:", *legend_lines(legend)] if legend else [])])
    lines = [
        f"digraph {dot_quote(machine.name)} {{",
        f"  graph [compound=true, rankdir=LR, fontname=Helvetica, label={title}, labelloc=t];",
        "  node [shape=box, style=rounded, fontname=Helvetica, fontsize=11];",
        "  edge [fontname=Helvetica, fontsize=9];",
    ]

    def inside(name: str, ancestor: str) -> bool:
        current: str | None = name
        while current is not None:
            if current == ancestor:
                return True
            current = states[current].parent
        return False

    def start(scope: str | None, initial: str | None, pad: str) -> None:
        if initial is None:
            return
        lines.append(f'{pad}{_start(scope)} [shape=point, width=0.12, label=""];')
        head = f", lhead={_cluster(initial)}" if initial in composite else ""
        lines.append(f"{pad}{_start(scope)} -> {dot_quote(initial)} [arrowsize=0.6{head}];")

    def node(state: ir.State, pad: str) -> None:
        attributes = [f"label={dot_quote(short_label(state))}"]
        if state.name in element:
            attributes.append(f"id={dot_quote(element[state.name])}")
        if state.kind == "final":
            colour = "#f8d7da" if state.outcome == "failure" else "#d4edda"
            attributes += ["peripheries=2", 'style="rounded,filled"', f'fillcolor="{colour}"']
        elif state.waits:
            attributes.append('style="rounded,dashed"')
        lines.append(f"{pad}{dot_quote(state.name)} [{', '.join(attributes)}];")

    def cluster(state: ir.State, depth: int) -> None:
        pad = "  " * depth
        style = "dashed" if state.role in ("region", "approval_region") else "rounded"
        if state.kind == "parallel":
            style = "rounded,bold"
        kind = " (parallel)" if state.kind == "parallel" else ""
        lines.append(f"{pad}subgraph {_cluster(state.name)} {{")
        lines.append(
            f"{pad}  label={dot_quote(short_label(state) + kind)}; style={dot_quote(style)}; labeljust=l;"
        )
        if state.name in element:
            lines.append(f"{pad}  id={dot_quote(element[state.name])};")
        lines.append(
            f'{pad}  {dot_quote(state.name)} [shape=point, style=invis, width=0, height=0, label=""];'
        )
        children = tree.get(state.name, [])
        if state.kind != "parallel":
            start(state.name, state.initial, pad + "  ")
        for child in children:
            place(child, depth + 1)
        lines.append(f"{pad}}}")

    def place(state: ir.State, depth: int) -> None:
        if state.name in composite:
            cluster(state, depth)
        else:
            node(state, "  " * depth)

    start(None, machine.initial, "  ")
    for state in tree.get(None, []):
        place(state, 1)
    for edge in edges(machine, legend):
        attributes = [f"label={dot_quote(edge.label)}"]
        if edge.label != edge.full:
            attributes.append(f"tooltip={dot_quote(edge.full)}")
        if element_ids:
            attributes.append(f"id={dot_quote(transition_element_id(edge.transition))}")
        if edge.source in composite and not inside(edge.target, edge.source):
            attributes.append(f"ltail={_cluster(edge.source)}")
        if edge.target in composite and not inside(edge.source, edge.target):
            attributes.append(f"lhead={_cluster(edge.target)}")
        if edge.stay:
            attributes.append("style=dashed")
        lines.append(f"  {dot_quote(edge.source)} -> {dot_quote(edge.target)} [{', '.join(attributes)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- SVG


def find_dot(options: TargetOptions) -> str | None:
    """Return the Graphviz `dot` program to run: `--option graphviz_dot=PATH`, else `dot` on PATH."""
    chosen = options.extra.get("graphviz_dot")
    if chosen:
        return shutil.which(chosen)
    return shutil.which("dot")


def render_svg(dot_text: str, program: str, timeout: float = DOT_TIMEOUT_SECONDS) -> tuple[str | None, str]:
    """Run `program -Tsvg` on DOT text; return (svg, "") or (None, the reason it failed)."""
    try:
        done = subprocess.run(
            [program, "-Tsvg"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"`{program} -Tsvg` did not finish within {timeout:g}s"
    except OSError as exc:
        return None, f"`{program}` could not be run: {exc.strerror or type(exc).__name__}"
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        first = detail[0] if detail else f"exit status {done.returncode}"
        return None, f"`{program} -Tsvg` failed: {first}"
    return done.stdout.decode("utf-8", "replace"), ""


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
