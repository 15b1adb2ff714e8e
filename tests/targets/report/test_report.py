"""The `report` target: one self-contained, escaped, deterministic page with every section; and its review."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statewright.compiler.verify.graph import graph_of
from statewright.diagnostics import Diagnostic, Severity
from statewright.pipeline import compile_text
from statewright.plugins.api import TargetOptions
from statewright.plugins.manager import PluginManager
from statewright.plugins.run import VerificationRun
from statewright.report.review import named_states, replay, review_of
from statewright.source import Span
from statewright.targets.report import ReportTarget
from statewright.targets.report.page import script_data
from statewright.targets.statechart import state_element_ids
from tests.targets.report.support import Page, build_report, refers_outside
from tests.targets.specs import example, example_paths
from tests.targets.test_hostile_text import NASTY, SENTINEL, spec

EXAMPLE = example_paths()[0].parent
SECTIONS = ("statechart", "findings", "summary", "risks", "transitions", "compensation")


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_every_example_has_a_complete_self_contained_page(path: Path) -> None:
    built = build_report(path)
    page = Page(built.page)
    ids = {attrs.get("id") for _, attrs in page.tags}
    assert set(SECTIONS) <= ids
    assert refers_outside(page) == []
    assert [tag for tag, _ in page.tags].count("script") == 2
    data = json.loads(page.scripts[0])
    elements = state_element_ids(built.machine)
    # every state is an element of the inline statechart, and each finding's data names its states' elements
    assert set(elements.values()) <= ids
    assert len(data["findings"]) == len(built.review.findings)
    for entry, finding in zip(data["findings"], built.review.findings, strict=True):
        assert entry["states"] == [elements[name] for name in finding.states]
    # the validation summary shows every check with its status, the matrix every row
    for check in built.review.checks:
        assert f">{check.status}</span>" in built.page
    assert f'id="sw-verdict">{built.review.verdict}<' in built.page
    assert "url(" not in re.sub(r"url\(#[^)]*\)", "", built.page)


def test_the_page_is_deterministic_and_registered() -> None:
    first = build_report(EXAMPLE / "order_fulfilment.wf").page
    assert first == build_report(EXAMPLE / "order_fulfilment.wf").page
    target = PluginManager(entry_points=False).targets()["report"]
    assert isinstance(target, ReportTarget)
    (artifact,) = target.generate(example("order_fulfilment"), TargetOptions("o.wf")).artifacts
    assert artifact.path == "OrderFulfilment.report.html"


def test_explicit_rejects_and_the_compensation_table_are_shown() -> None:
    page = build_report(EXAMPLE / "order_fulfilment.wf").page
    assert 'class="sw-cell sw-reject">reject: ' in page
    assert "Compensations run in reverse (LIFO) order" in page
    assert '<th scope="col">if the compensation fails</th>' in page


def test_without_a_review_the_page_says_so_and_keeps_the_rest() -> None:
    (artifact,) = ReportTarget().generate(example("deploy_pipeline"), TargetOptions("d.wf")).artifacts
    assert (
        artifact.content.count("Not available: this page was made from a machine that was not verified") == 3
    )
    assert 'id="sw-verdict">NOT VERIFIED<' in artifact.content
    assert 'class="sw-matrix"' in artifact.content


@pytest.mark.parametrize("text", NASTY, ids=[repr(t)[:30] for t in NASTY])
def test_hostile_spec_text_stays_text(text: str) -> None:
    result = compile_text(spec(text), "h.wf")
    assert result.machine is not None
    machine = result.machine
    (artifact,) = ReportTarget().generate(machine, TargetOptions(f"{text[:40]}.wf")).artifacts
    page = Page(artifact.content)
    assert [tag for tag, _ in page.tags].count("script") == 2
    assert not [tag for tag, _ in page.tags if tag in ("iframe", "img", "object", "embed", "link", "form")]
    assert refers_outside(page) == []
    assert json.loads(page.scripts[0]) == {"findings": []}
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    assert SENTINEL + "()" not in "".join(page.scripts)


@given(
    st.recursive(st.text() | st.integers(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner))
)
def test_script_data_cannot_close_its_block_and_reads_back(value: object) -> None:
    text = script_data(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value


# --------------------------------------------------------------------------- the review


def test_a_counterexample_replays_through_configurations_to_the_finding() -> None:
    machine = example("deploy_pipeline")
    graph = graph_of(VerificationRun(machine))
    # `plan_ready` could go to ChangeApproval too: the walk that ends where the finding is is chosen
    walk = replay(graph, ("plan_ready",), ("Applying",))
    assert [(step.label, step.states) for step in walk] == [
        ("", ("Planning",)),
        ("plan_ready", ("Applying",)),
    ]
    assert walk[0].transition is None and walk[1].transition is not None  # each move says what it took
    taken = machine.transitions[walk[1].transition]
    assert (taken.source, taken.event, taken.target) == ("Planning", "plan_ready", "Applying")
    # entering a parallel state enters every region; a label that is no move ends the walk
    walk = replay(graph, ("plan_ready", "done(terraform_apply)", "no_such_event"), ("Applying",))
    assert set(walk[2].states) == {"SmokeRunning", "LoadPending", "QaSignOff", "HealthProbing"}
    assert walk[3] == type(walk[3])("no_such_event", ())


def test_a_findings_states_are_the_states_it_names_or_the_one_around_it() -> None:
    machine = example("deploy_pipeline")
    span = next(state.span for state in machine.states if state.name == "Monitoring")
    inside = Span(span.line + 1, 5, span.line + 1, 9)
    quiet = Diagnostic("SW999", Severity.INFO, "nothing quoted", "d.wf", inside)
    assert named_states(machine, quiet) == ("Monitoring",)
    loud = Diagnostic("SW999", Severity.INFO, "`Applying` and `Planning`, not `load_passed`", "d.wf", inside)
    assert named_states(machine, loud) == ("Applying", "Planning")


def test_review_of_keeps_every_finding_and_the_summary() -> None:
    machine = example("deploy_pipeline")
    rules = PluginManager(entry_points=False).rules()
    finding = Diagnostic(
        "SW999",
        Severity.WARNING,
        "look at `Monitoring`",
        "d.wf",
        machine.span,
        counterexample=("plan_ready",),
    )
    review = review_of(machine, rules, [finding], "d.wf")
    (reviewed,) = review.findings
    assert reviewed.states == ("Monitoring",)
    assert [step.label for step in reviewed.path] == ["", "plan_ready"]
    assert [check.key for check in review.checks][:3] == ["reachability", "deadlock", "determinism"]


def test_a_counterexample_longer_than_the_recursion_limit_replays() -> None:
    """The replay is iterative: a chain of 1,200 states, walked to its end, needs no deep recursion."""
    states = "\n".join(f"  state S{i} {{ on go -> S{i + 1} }}" for i in range(1200))
    head = "workflow Chain {\n  events { go }\n  initial state S { on go -> S0 }\n"
    text = f"{head}{states}\n  final state S1200\n}}\n"
    result = compile_text(text, "chain.wf")
    assert result.machine is not None, result.diagnostics
    walk = replay(graph_of(VerificationRun(result.machine)), ("go",) * 1201, ("S1200",))
    assert [step.states for step in walk][-2:] == [("S1199",), ("S1200",)]


def test_statewright_build_hands_the_review_to_the_report(tmp_path: Path) -> None:
    """The command line wires it: `build --target report` writes a page with the summary and findings."""
    from typer.testing import CliRunner

    from statewright.cli import app

    spec = EXAMPLE / "deploy_pipeline.wf"
    result = CliRunner().invoke(app, ["build", str(spec), "--target", "report", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report" / "DeployPipeline.report.html").read_text("utf-8")
    expected = build_report(spec)
    assert f'id="sw-verdict">{expected.review.verdict}<' in page
    assert page.count('class="sw-finding ') == len(expected.review.findings) > 0
    assert "Not available" not in page
