"""The statechart every diagram draws: the state tree, transition labels, the guard legend, DOT and Graphviz.

A helper every target may use (the `targets.shared` layer): the `mermaid`,
`dot` and `svg` targets draw from it, and the `report` target renders the same
DOT, with element ids, into its page.

Transition labels read as counterexamples do: the event (`submit`), a timer
(`after 30s`), the outcome of invoked work (`done(validate_order)`,
`error(validate_order)`), `completion` or `always`, followed by the guard in
brackets or `[else]`. A transition that stays (`delegate`) is a loop marked `(stay)`.
A guard longer than `GUARD_LIMIT` characters is drawn as a short name (`[g1]`,
numbered in order of first use, one name per distinct guard text) and spelt out
in a legend (a Mermaid note beside the initial state; the DOT graph's label
under its title) and, in DOT, the edge's tooltip, so long guards never stack
over each other or the states.

DOT has one `subgraph cluster_*` per compound or parallel state (regions as
nested, dashed clusters) and `compound=true`, so a transition from or to a
composite state is drawn to its cluster's border (`ltail`/`lhead`) from an
invisible anchor node inside it. Labels are quoted and escaped. Cluster titles
are left-justified (`labeljust=l`): edges leave a state to the right
(`rankdir=LR`) and so cross the clusters below it near its own column, while
the left edge of a cluster holds only its start point.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from statewright import ir
from statewright.ir.text import render, transition_label
from statewright.plugins.api import TargetOptions

GUARD_LIMIT = 40
"""Guards longer than this (in characters) are drawn as a short name and spelt out in the legend."""

DOT_TIMEOUT_SECONDS = 60.0
"""How long `dot -Tsvg` may run before a target gives up (`--option graphviz_timeout=SECONDS`)."""


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


def children(machine: ir.Machine) -> dict[str | None, list[ir.State]]:
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
    whitespace at a break is dropped, every other character is kept.
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
    tree = children(machine)
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
