"""The `mermaid`, `dot` and `svg` targets: structure, escaping, Graphviz round trips, determinism."""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from statewright import cli
from statewright.cli import build as build_command
from statewright.dsl.format import format_string
from statewright.ir import Machine
from statewright.pipeline import compile_text
from statewright.plugins.api import TargetOptions
from statewright.targets.diagrams import (
    DotTarget,
    MermaidTarget,
    SvgTarget,
    mermaid,
    mermaid_ids,
    mermaid_text,
)
from statewright.targets.statechart import (
    GUARD_LIMIT,
    LEGEND_WIDTH,
    dot,
    dot_quote,
    edge_label,
    guard_legend,
    legend_lines,
    state_element_ids,
    transition_element_id,
)
from tests.targets.specs import COLLIDING, TRICKY, example, example_paths, machine_of, manager

ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "STATEWRIGHT_DEBUG": None, "COLUMNS": "200"}
SVG = "{http://www.w3.org/2000/svg}"
ID = r"[A-Za-z_][A-Za-z0-9_]*"
TEXT = r"(?:[^;\n<&\\*]|<(?![A-Za-z/!?])|&(?!#?\w+;)|\\[\\*_]|#\d+;)*"
"""Mermaid-safe label text: no `;`, no `<` that opens a tag, no `&` that starts an entity, and
`\\` or `*` only backslash-escaped; entity codes (`#59;`) allowed."""


def all_specs() -> list[tuple[str, Machine]]:
    """Every example plus the tricky and colliding specs."""
    specs = [(path.stem, example(path.stem)) for path in example_paths()]
    return [*specs, ("tricky", machine_of(TRICKY)), ("colliding", machine_of(COLLIDING))]


SPECS = all_specs()


# --------------------------------------------------------------------------- Mermaid


@dataclass
class Block:
    """One `state X { ... }` block of a parsed Mermaid diagram."""

    id: str | None
    sections: int = 1
    starts: list[str] = field(default_factory=list)
    ends: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)


@dataclass
class ParsedMermaid:
    """What the checker read from a diagram."""

    labels: dict[str, str] = field(default_factory=dict)
    blocks: dict[str | None, Block] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    declared: list[str] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)


def decode(text: str) -> str:
    """Undo Mermaid entity codes and Markdown backslash escapes, as Mermaid does when it renders."""
    text = re.sub(r"\\(.)", r"\1", text)
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), text)


def parse_mermaid(text: str) -> ParsedMermaid:
    """Check every line against the stateDiagram-v2 forms the target emits; fail on anything else."""
    lines = text.splitlines()
    assert lines[:4] == ["---", lines[1], "---", "stateDiagram-v2"]
    assert re.fullmatch(r"title: " + ID, lines[1])
    parsed = ParsedMermaid()
    stack: list[Block] = [Block(None)]
    parsed.blocks[None] = stack[0]
    note: list[str] | None = None
    for number, line in enumerate(lines[4:], start=5):
        stripped = line.strip()
        if note is not None:  # Mermaid closes a note at `end note` wherever it stands
            assert "end note" not in line.lower() or stripped == "end note", f"line {number}"
            if stripped == "end note":
                note = None
            else:
                note.append(decode(stripped).replace("\xa0", " "))
            continue
        assert line == "  " * (len(stack)) + stripped or stripped in ("}", "--"), (
            f"indentation, line {number}"
        )
        if m := re.fullmatch(rf'state "([^"]*)" as ({ID})', stripped):
            parsed.labels[m.group(2)] = decode(m.group(1))
            parsed.declared.append(m.group(2))
            stack[-1].members.append(m.group(2))
        elif m := re.fullmatch(rf"state ({ID}) \{{", stripped):
            block_id = m.group(1)
            block = Block(block_id)
            parsed.blocks[block_id] = block
            if block_id not in parsed.labels:
                parsed.declared.append(block_id)
                stack[-1].members.append(block_id)
            stack.append(block)
        elif stripped == "}":
            assert len(stack) > 1, f"unbalanced `}}` at line {number}"
            stack.pop()
        elif stripped == "--":
            stack[-1].sections += 1
        elif m := re.fullmatch(rf"\[\*\] --> ({ID})", stripped):
            stack[-1].starts.append(m.group(1))
        elif m := re.fullmatch(rf"({ID}) --> \[\*\]", stripped):
            stack[-1].ends.append(m.group(1))
        elif m := re.fullmatch(rf"({ID}) --> ({ID}) : ({TEXT})", stripped):
            parsed.edges.append((m.group(1), m.group(2), decode(m.group(3))))
        elif m := re.fullmatch(rf"note right of ({ID})", stripped):
            note = parsed.notes.setdefault(m.group(1), [])
        elif re.fullmatch(ID, stripped):
            parsed.declared.append(stripped)
            stack[-1].members.append(stripped)
        else:
            pytest.fail(f"line {number} is not a form the checker knows: {line!r}")
    assert len(stack) == 1, "a `state X {` block is not closed"
    assert note is None, "a note is not closed"
    return parsed


KEYWORDS = {"state", "note", "end", "direction", "class", "classdef", "style", "click", "as", "hide"}


@pytest.mark.parametrize(("name", "machine"), SPECS, ids=[name for name, _ in SPECS])
def test_mermaid_structure(name: str, machine: Machine) -> None:
    parsed = parse_mermaid(mermaid(machine))
    ids = mermaid_ids(machine)
    states = {state.name: state for state in machine.states}
    # every state is declared exactly once, under a safe, unique id that is no keyword
    assert sorted(parsed.declared) == sorted(ids.values())
    assert len(set(ids.values())) == len(ids)
    assert not {i.lower() for i in ids.values()} & KEYWORDS
    for state_name, mermaid_id in ids.items():
        shown = parsed.labels.get(mermaid_id, mermaid_id)
        assert state_name.endswith(shown), (state_name, shown)
    # composite blocks mirror compound and parallel states; regions are `--` sections
    composites = {ids[s.name]: s for s in machine.states if s.kind in ("compound", "parallel")}
    assert set(parsed.blocks) - {None} == set(composites)
    for block_id, state in composites.items():
        block = parsed.blocks[block_id]
        assert block.members == [ids[child] for child in state.children]
        if state.kind == "parallel":
            assert block.sections == len(state.children)
            assert block.starts == []
        else:
            assert block.sections == 1
            assert block.starts == [ids[state.initial]] if state.initial else []
        finals = [ids[c] for c in state.children if states[c].kind == "final"]
        assert block.ends == finals
    top = parsed.blocks[None]
    assert top.starts == [ids[machine.initial]]
    assert top.ends == [ids[s.name] for s in machine.states if s.kind == "final" and s.parent is None]
    # one edge per transition, labelled like a counterexample step with the guard (long ones by name)
    legend = guard_legend(machine)
    expected = [
        (
            ids[t.source],
            ids[t.target if t.target is not None else t.source],
            edge_label(machine, t, None, legend),
        )
        for t in machine.transitions
    ]
    assert parsed.edges == expected
    # the legend spells every short name out, beside the initial state
    if legend:
        assert list(parsed.notes) == [ids[machine.initial]]
        assert parsed.notes[ids[machine.initial]] == [
            line.strip() for line in ["guards:", *legend_lines(legend)]
        ]
    else:
        assert parsed.notes == {}


def test_mermaid_escapes_only_what_mermaid_misreads() -> None:
    assert (
        mermaid_text('a <= 3 and s == "x|y" # %% : {} [else] é') == 'a <= 3 and s == "x|y" # %% : {} [else] é'
    )
    assert mermaid_text("a;b") == "a#59;b"
    assert mermaid_text("x<y </i> <= z") == "x#60;y #60;/i> <= z"
    assert mermaid_text("R&D &amp; &#59;") == "R&D #38;amp#59; #38;#59#59;"
    assert mermaid_text("amount * fx_rate _u_ back\\slash") == "amount \\* fx_rate \\_u\\_ back\\\\slash"
    parsed = parse_mermaid(mermaid(machine_of(TRICKY)))
    assert ("Idle", "Busy", 'go [label == "x|y \\"quoted\\" é"]') in parsed.edges


def test_mermaid_ids_for_synthesised_names_keywords_and_collisions() -> None:
    ids = mermaid_ids(machine_of(COLLIDING))
    assert ids["Pay.charge"] == "Pay_charge"
    assert ids["Pay_charge"] == "Pay_charge_2"
    text = mermaid(machine_of(COLLIDING))
    assert '    state "charge" as Pay_charge\n' in text
    assert '  state "Pay_charge" as Pay_charge_2\n' in text
    tricky = mermaid_ids(machine_of(TRICKY))
    assert (tricky["note"], tricky["end"]) == ("note_", "end_")


def test_mermaid_parallel_regions_are_sections() -> None:
    text = mermaid(example("deploy_pipeline"))
    start = text.index("  state Verifying {\n")
    block = text[start : text.index("\n  }\n", start)]
    assert block.count("\n    --\n") == 3
    for region in ("SmokeTests", "HealthChecks", "LoadTests", "ExploratoryQa"):
        assert f"    state {region} {{\n" in block


# --------------------------------------------------------------------------- DOT and SVG


def run_dot(text: str) -> subprocess.CompletedProcess[bytes]:
    """Run Graphviz on DOT text (Graphviz is installed by .ci/run)."""
    return subprocess.run(
        ["dot", "-Tsvg"], input=text.encode("utf-8"), capture_output=True, timeout=120, check=False
    )


@pytest.mark.parametrize(("name", "machine"), SPECS, ids=[name for name, _ in SPECS])
def test_dot_parses_and_renders_without_warnings(name: str, machine: Machine) -> None:
    done = run_dot(dot(machine))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b"", done.stderr.decode()
    root = ET.fromstring(done.stdout)
    assert root.tag == f"{SVG}svg"
    titles = {g.findtext(f"{SVG}title") for g in root.iter(f"{SVG}g") if g.get("class") == "node"}
    leaves = {s.name for s in machine.states if s.kind in ("atomic", "final")}
    assert leaves <= titles
    clusters = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]
    assert len(clusters) == sum(1 for s in machine.states if s.kind in ("compound", "parallel"))
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    initials = 1 + sum(1 for s in machine.states if s.kind == "compound" and s.initial)
    assert len(edges) == len(machine.transitions) + initials


def test_dot_clusters_and_compound_edges() -> None:
    text = dot(example("deploy_pipeline"))
    assert "compound=true" in text
    assert 'subgraph "cluster_Verifying" {' in text
    assert 'label="Verifying (parallel)"; style="rounded,bold";' in text
    assert 'subgraph "cluster_SmokeTests" {' in text
    assert 'label="SmokeTests"; style="dashed";' in text
    # a transition written on the parallel state leaves from its border
    assert '"Verifying" -> "RollingBack" [label="abort", ltail="cluster_Verifying"];' in text
    # entering the approval enters its cluster
    assert 'lhead="cluster_ChangeApproval"' in text


def test_dot_labels_are_escaped() -> None:
    assert dot_quote('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\nd"'
    text = dot(machine_of(TRICKY))
    assert (
        '"Idle" -> "Busy" [label="go [label == \\"x|y \\\\\\"quoted\\\\\\" é\\"]", lhead="cluster_Busy"];'
        in text
    )


def test_svg_target_writes_well_formed_svg() -> None:
    output = SvgTarget().generate(example("order_fulfilment"), TargetOptions(source_name="order.wf"))
    assert not output.diagnostics
    (artifact,) = output.artifacts
    assert artifact.path == "OrderFulfilment.svg"
    assert ET.fromstring(artifact.content.encode("utf-8")).tag == f"{SVG}svg"


def test_svg_without_graphviz_is_sw910(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    output = SvgTarget().generate(machine_of(TRICKY), TargetOptions(source_name="spec.wf"))
    assert output.artifacts == ()
    (problem,) = output.diagnostics
    assert (problem.code, problem.severity.value, problem.file) == ("SW910", "error", "spec.wf")
    assert "Graphviz's `dot` program was not found" in problem.message
    assert "apt-get install graphviz" in problem.help
    missing = SvgTarget().generate(
        machine_of(TRICKY), TargetOptions(extra={"graphviz_dot": "/nowhere/dot"}, source_name="spec.wf")
    )
    assert [d.code for d in missing.diagnostics] == ["SW910"]


def fake_dot(tmp_path: Path, body: str) -> str:
    """Write an executable script standing in for `dot`."""
    script = tmp_path / "fake-dot"
    script.write_text(f"#!/bin/sh\n{body}\n", "utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_svg_when_graphviz_fails_is_sw911(tmp_path: Path) -> None:
    program = fake_dot(tmp_path, "echo 'Error: boom' >&2; exit 3")
    output = SvgTarget().generate(machine_of(TRICKY), TargetOptions(extra={"graphviz_dot": program}))
    (problem,) = output.diagnostics
    assert problem.code == "SW911"
    assert problem.message.endswith("-Tsvg` failed: Error: boom")


def test_svg_when_graphviz_hangs_is_sw911(tmp_path: Path) -> None:
    program = fake_dot(tmp_path, "sleep 30")
    options = TargetOptions(extra={"graphviz_dot": program, "graphviz_timeout": "0.3"})
    (problem,) = SvgTarget().generate(machine_of(TRICKY), options).diagnostics
    assert problem.code == "SW911"
    assert "did not finish within 0.3s" in problem.message


# --------------------------------------------------------------------------- plugin, build, determinism


def test_the_targets_are_registered_through_the_hook() -> None:
    targets = manager().targets()
    assert isinstance(targets["mermaid"], MermaidTarget)
    assert isinstance(targets["dot"], DotTarget)
    assert isinstance(targets["svg"], SvgTarget)


@pytest.mark.parametrize(("name", "machine"), SPECS, ids=[name for name, _ in SPECS])
def test_diagrams_are_deterministic(name: str, machine: Machine) -> None:
    assert mermaid(machine) == mermaid(machine)
    assert dot(machine) == dot(machine)


def test_build_writes_every_diagram_twice_identically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_command, "get_plugin_manager", manager)
    spec = tmp_path / "tricky.wf"
    spec.write_text(TRICKY, "utf-8")
    args = ["build", str(spec), "-t", "mermaid", "-t", "dot", "-t", "svg", "-t", "table"]
    runner = CliRunner()
    for out in ("a", "b"):
        result = runner.invoke(cli.app, [*args, "--out", str(tmp_path / out)], env=ENV)
        assert result.exit_code == 0, result.stdout
    for relative in ("mermaid/Tricky.mmd", "dot/Tricky.dot", "svg/Tricky.svg", "table/Tricky.transitions.md"):
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes()
    again = runner.invoke(cli.app, [*args, "--out", str(tmp_path / "a")], env=ENV)
    assert "unchanged" in again.stdout and "wrote" not in again.stdout


def test_all_skips_svg_with_a_note_when_graphviz_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--target all` builds what it can; naming `svg` explicitly still fails clearly."""
    from typer.testing import CliRunner

    from statewright.cli import app

    spec = tmp_path / "w.wf"
    spec.write_text(
        'workflow W {\n  events { go }\n  reject * "no"\n  initial state A { on go -> B  timeout 1h -> B }\n'
        "  final state B\n}\n"
    )
    monkeypatch.setattr("shutil.which", lambda name: None)
    runner = CliRunner()
    everything = runner.invoke(app, ["build", str(spec), "--target", "all", "--out", str(tmp_path / "out")])
    assert everything.exit_code == 0, everything.stdout
    assert "SW912" in everything.stdout and "`svg`" in everything.stdout
    assert (tmp_path / "out" / "dot" / "W.dot").exists()
    assert not (tmp_path / "out" / "svg").exists()
    explicit = runner.invoke(app, ["build", str(spec), "--target", "svg", "--out", str(tmp_path / "out2")])
    assert explicit.exit_code == 1
    assert "SW910" in explicit.stdout


# --------------------------------------------------------------------------- long guards and cluster titles


def test_long_guards_are_short_names_with_the_full_text_in_a_legend_and_tooltip() -> None:
    machine = example("deploy_pipeline")
    legend = guard_legend(machine)
    assert list(legend.values()) == [f"g{n}" for n in range(1, len(legend) + 1)]
    assert all(len(text) > GUARD_LIMIT for text in legend)
    text = dot(machine)
    labels = re.findall(r'label="((?:[^"\\]|\\.)*)"', text)
    assert all(len(label) <= 2 * GUARD_LIMIT for label in labels[1:])  # labels[0] is the title + legend
    for transition in machine.transitions:
        full = edge_label(machine, transition)
        shown = edge_label(machine, transition, None, legend)
        if shown != full:
            assert f"label={dot_quote(shown)}, tooltip={dot_quote(full)}" in text
    assert set(re.findall(r"\[(g\d+)\]", text)) == set(legend.values())
    assert labels[0].startswith("DeployPipeline\\nguards:\\l")
    assert '[label="plan_ready [planned_changes == 0]"]' in text  # a short guard stays as written
    flat = mermaid(machine)
    assert "Planning --> Applying : plan_ready [g1]" in flat
    assert "  note right of Planning\n    guards:\n    g1: planned_changes > 0 and" in flat


Box = tuple[float, float, float, float]


def _text_boxes(item: dict[str, Any]) -> list[Box]:
    """The boxes of an object's or edge's label lines in Graphviz's `-Tjson` drawing operations."""
    boxes, size = [], 14.0
    for op in item.get("_ldraw_", []):
        size = op.get("size", size)
        if op["op"] == "T":  # `pt` is the baseline's left end, centre or right end, as `align` says
            (x, y), width = op["pt"], op["width"]
            left = {"l": x, "r": x - width}.get(op.get("align", "c"), x - width / 2)
            boxes.append((left, y - 0.25 * size, left + width, y + 0.85 * size))
    return boxes


def _curve(points: list[list[float]]) -> list[tuple[float, float]]:
    """A Graphviz edge path (piecewise cubic Bézier), sampled at 33 points per segment."""
    sampled = []
    for i in range(0, len(points) - 3, 3):
        (ax, ay), (bx, by), (cx, cy), (dx, dy) = points[i : i + 4]
        for k in range(33):
            t = k / 32
            w = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t**3)
            sampled.append(
                (w[0] * ax + w[1] * bx + w[2] * cx + w[3] * dx, w[0] * ay + w[1] * by + w[2] * cy + w[3] * dy)
            )
    return sampled


def _inside(x: float, y: float, box: Box) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _overlap(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5


@pytest.mark.parametrize(("name", "machine"), SPECS, ids=[name for name, _ in SPECS])
def test_dot_edges_and_their_labels_keep_off_cluster_titles(name: str, machine: Machine) -> None:
    """Regression: centred titles of parallel regions were crossed by edges leaving the regions above.

    Measured on Graphviz's own layout (`dot -Tjson`): no edge's curve passes
    through a cluster's title, and no edge label covers one.
    """
    done = subprocess.run(
        ["dot", "-Tjson"], input=dot(machine).encode("utf-8"), capture_output=True, check=True
    )
    layout = json.loads(done.stdout)
    titles = {
        item["name"]: box
        for item in layout.get("objects", [])
        if item.get("name", "").startswith("cluster_")
        for box in _text_boxes(item)
    }
    assert len(titles) == sum(1 for s in machine.states if s.kind in ("compound", "parallel"))
    edges = layout.get("edges", [])
    curves = [_curve(op["points"]) for edge in edges for op in edge.get("_draw_", []) if op["op"] == "b"]
    labels = [box for edge in edges for box in _text_boxes(edge)]
    crossed = [
        name for name, box in titles.items() for curve in curves if any(_inside(*p, box) for p in curve)
    ]
    covered = [name for name, box in titles.items() for label in labels if _overlap(box, label)]
    assert (crossed, covered) == ([], [])


def test_dot_element_ids_name_every_state_and_transition_in_the_svg() -> None:
    machine = example("deploy_pipeline")
    done = run_dot(dot(machine, element_ids=True))
    root = ET.fromstring(done.stdout)
    ids = {g.get("id") for g in root.iter(f"{SVG}g")}
    states = state_element_ids(machine)
    assert set(states.values()) <= ids
    assert {transition_element_id(i) for i in range(len(machine.transitions))} <= ids
    assert dot(machine) == dot(machine, element_ids=False)
    assert "id=" not in dot(machine)


_GUARD_TEXT = st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=120)


@settings(max_examples=60, deadline=None)
@given(_GUARD_TEXT)
def test_the_legend_keeps_every_character_and_a_note_never_closes_early(text: str) -> None:
    legend = {text: "g1"}
    lines = legend_lines(legend)
    assert "".join("".join(lines).split()) == "".join(("g1:" + text).split())  # only whitespace goes
    assert all(len(line) <= LEGEND_WIDTH or " " not in line.strip() for line in lines)
    spec = (
        f'workflow W {{\n  context {{ tag: string = "" }}\n  events {{ go }}\n'
        f"  initial state A {{ on go when tag == {format_string('x ' * 20 + text)} -> B  on go else -> B }}\n"
        "  final state B\n}\n"
    )
    result = compile_text(spec)
    if result.machine is None:  # text the front end refuses (SW018) is not a guard
        return
    parse_mermaid(mermaid(result.machine))  # the note closes only at its own `end note`
    assert run_dot(dot(result.machine)).returncode == 0
