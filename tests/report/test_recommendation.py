"""The engine recommendation: no ranking without requirements, the design's limits, and check's outputs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from statewright import cli, ir
from statewright.pipeline import compile_path, compile_text
from statewright.plugins.api import TargetOptions
from statewright.report.design_facts import design_facts
from statewright.report.engines import DURABILITY_ORDER, ENGINES
from statewright.report.recommendation import Recommendation, recommend
from statewright.report.recommendation_text import recommendation_findings, render_recommendation
from statewright.semantics.facts import Facts
from statewright.targets.asl.target import AslTarget
from tests.conftest import example_files
from tests.report.test_sarif import assert_valid
from tests.targets.asl.support import artifacts

ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "STATEWRIGHT_DEBUG": None, "COLUMNS": "200"}
SPEC = """workflow Claim {
  events { submit, done_reviewing }
  initial state Draft {
    on submit -> Review
    timeout TIMER -> Closed
  }
  state Review { on done_reviewing -> Closed }
  final state Closed
  REQUIREMENTS
}
"""
APPROVAL = """workflow Spend {
  events { submit }
  initial state Draft { on submit -> Approve }
  approval Approve {
    level 1 { approvers role:manager quorum 1 timeout 2d escalate -> Rejected }
    approved -> Paid
    rejected -> Rejected
  }
  final state Paid
  final state Rejected { outcome failure "no" }
  REQUIREMENTS
}
"""
ROUTER = """workflow Route {
  context { amount: int 0..100 = 0 }
  initial state Decide {
    always when amount > 50 -> Big
    always else -> Small
  }
  final state Big
  final state Small
  REQUIREMENTS
}
"""


def machine(text: str, requirements: str = "", timer: str = "1h") -> ir.Machine:
    """Compile a spec above with a `requirements { ... }` block (none when empty)."""
    block = f"requirements {{ {requirements} }}" if requirements else ""
    result = compile_text(text.replace("REQUIREMENTS", block).replace("TIMER", timer), "claim.wf")
    assert result.machine is not None, result.diagnostics
    return result.machine


def fits(rec: Recommendation) -> list[str]:
    """The ids of the engines that fit, best first."""
    return [fit.engine.id for fit in rec.fitting]


# --------------------------------------------------------------------------- no requirements


def test_no_requirements_ranks_nothing_and_says_what_to_declare() -> None:
    rec = recommend(machine(SPEC))
    assert not rec.declared and rec.ranked == () and rec.fitting == ()
    assert rec.missing() == (
        "durability",
        "hosting",
        "longest_run",
        "volume",
        "human_steps",
        "language",
        "vendor_lock",
    )
    (note,) = recommendation_findings(rec)
    assert (note.code, note.file, note.span.line) == ("SW811", "claim.wf", 1)
    data = rec.to_dict()
    assert data["declared"] is False and "engines" not in data
    assert data["declare"] == list(rec.missing())
    assert "none, no `requirements` block (SW811)" in render_recommendation(rec)


def test_the_suggested_block_is_valid_and_follows_the_design() -> None:
    """The example a user is told to declare compiles, and says `human_steps: yes` where people act."""
    for text, human in ((SPEC, "no"), (APPROVAL, "yes")):
        example = recommend(machine(text)).to_dict()["example"]
        assert f"human_steps: {human}" in example
        result = compile_text(text.replace("REQUIREMENTS", example).replace("TIMER", "1h"), "claim.wf")
        assert result.diagnostics == () and result.machine is not None
        assert result.machine.requirements is not None
        assert result.machine.requirements.longest_run_ms is not None


# --------------------------------------------------------------------------- properties

_REQUIREMENTS = st.builds(
    ir.Requirements,
    durability=st.none() | st.sampled_from(get_args(ir.Durability)),
    hosting=st.none() | st.sampled_from(get_args(ir.Hosting)),
    longest_run_ms=st.none() | st.integers(1, 10 * 365 * 86_400_000),
    volume=st.none() | st.builds(ir.Volume, st.integers(1, 10**6), st.sampled_from(get_args(ir.RateUnit))),
    human_steps=st.none() | st.booleans(),
    language=st.none() | st.sampled_from(get_args(ir.Language)),
    vendor_lock=st.none() | st.sampled_from(get_args(ir.VendorLock)),
)


def _example(path: Path) -> ir.Machine:
    compiled = compile_path(path).machine
    assert compiled is not None
    return compiled


_SPECS = {
    "claim": machine(SPEC),
    "approval": machine(APPROVAL),
    "router": machine(ROUTER),
    **{path.stem: _example(path) for path in example_files()},
}
"""The designs the properties draw from: three small ones and every example."""


@given(_REQUIREMENTS, st.sampled_from(sorted(_SPECS)))
@settings(max_examples=300, deadline=None)
def test_every_engine_is_weighed_once_and_only_blockers_keep_one_out(req: ir.Requirements, spec: str) -> None:
    rec = recommend(replace(_SPECS[spec], requirements=req))
    assert sorted(fit.engine.id for fit in rec.ranked) == sorted(engine.id for engine in ENGINES)
    for fit in rec.ranked:
        assert fit.fits == (not fit.blockers)
    assert list(rec.ranked[: len(rec.fitting)]) == list(rec.fitting)  # the fitting ones come first
    scores = [fit.score for fit in rec.fitting]
    assert scores == sorted(scores, reverse=True)
    assert rec == recommend(replace(_SPECS[spec], requirements=req))  # a pure function
    codes = [d.code for d in recommendation_findings(rec)]
    assert ("SW810" in codes) == bool(rec.fitting) and ("SW812" in codes) == (not rec.fitting)


@given(_REQUIREMENTS, st.integers(5 * 60_000 + 1, 365 * 86_400_000))
@settings(max_examples=200, deadline=None)
def test_a_wait_longer_than_five_minutes_never_fits_express(req: ir.Requirements, timer_ms: int) -> None:
    seconds = -(-timer_ms // 1000)
    rec = recommend(replace(machine(SPEC, timer=f"{seconds}s"), requirements=req))
    assert design_facts(machine(SPEC, timer=f"{seconds}s")).longest_timer_ms == seconds * 1000
    assert "stepfunctions-express" not in fits(rec)
    express = next(fit for fit in rec.ranked if fit.engine.id == "stepfunctions-express")
    assert any("past the 5m an execution may run" in blocker for blocker in express.blockers)


@given(_REQUIREMENTS)
@settings(max_examples=100, deadline=None)
def test_callbacks_and_people_never_fit_express(req: ir.Requirements) -> None:
    """`.waitForTaskToken` is Standard-only: a design that waits for anything cannot run on Express."""
    for spec in sorted(_SPECS):
        if spec == "router":  # the one design that never waits
            continue
        rec = recommend(replace(_SPECS[spec], requirements=req))
        assert "stepfunctions-express" not in fits(rec)


def test_express_fits_a_design_that_never_waits() -> None:
    rec = recommend(machine(ROUTER, "durability: none, hosting: serverless"))
    assert "stepfunctions-express" in fits(rec)
    assert design_facts(_SPECS["router"]).waits is False


@given(_REQUIREMENTS, st.sampled_from(sorted(_SPECS)))
@settings(max_examples=200, deadline=None)
def test_asking_for_less_durability_never_removes_an_engine(req: ir.Requirements, spec: str) -> None:
    if req.durability is None:
        return
    stronger = recommend(replace(_SPECS[spec], requirements=req))
    for weaker in DURABILITY_ORDER[: DURABILITY_ORDER.index(req.durability)]:
        relaxed = recommend(replace(_SPECS[spec], requirements=replace(req, durability=weaker)))
        assert set(fits(stronger)) <= set(fits(relaxed))


@given(_REQUIREMENTS)
@settings(max_examples=100, deadline=None)
def test_stated_stances_are_honoured(req: ir.Requirements) -> None:
    found = fits(recommend(replace(_SPECS["claim"], requirements=req)))
    if req.vendor_lock == "avoid":
        assert not {"stepfunctions-standard", "stepfunctions-express"} & set(found)
    if req.hosting == "serverless":
        assert set(found) <= {"stepfunctions-standard", "stepfunctions-express"}
    if req.durability in ("machine_loss", "zone_loss"):
        assert "python" not in found
    if req.longest_run_ms is not None and req.longest_run_ms > 365 * 86_400_000:
        assert "stepfunctions-standard" not in found


# --------------------------------------------------------------------------- design facts and conflicts


def test_a_serverless_team_that_avoids_lock_in_gets_no_engine() -> None:
    rec = recommend(machine(SPEC, "hosting: serverless, vendor_lock: avoid"))
    assert rec.fitting == ()
    (note,) = recommendation_findings(rec)
    assert note.code == "SW812" and note.span.line == 9
    assert "no engine fits every requirement (SW812)" in render_recommendation(rec)


def test_requirements_the_design_contradicts_are_sw813() -> None:
    rec = recommend(machine(APPROVAL, "human_steps: no, longest_run: 1d"))
    conflicts = [d for d in recommendation_findings(rec) if d.code == "SW813"]
    assert [d.message.split(",")[0] for d in conflicts] == ["`human_steps: no`", "`longest_run: 1d`"]
    assert all(d.severity.value == "warning" for d in conflicts)


def test_the_python_runtime_has_one_sqlite_file_of_throughput() -> None:
    assert "python" in fits(recommend(machine(SPEC, "volume: 10/s, durability: process_crash")))
    busy = recommend(machine(SPEC, "volume: 5000/s"))
    python = next(fit for fit in busy.ranked if fit.engine.id == "python")
    assert not python.fits and "docs/PERFORMANCE.md" in python.blockers[0]


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.stem)
def test_the_evaluator_is_named_exactly_when_the_asl_target_calls_it(path: Path) -> None:
    """What the recommendation says Step Functions loses to the evaluator Lambda, the asl output shows."""
    example = compile_path(path).machine
    assert example is not None
    definition = artifacts(example)[f"{example.name}.asl.json"]
    assert bool(design_facts(example).evaluator) == ("StatewrightEvaluator" in definition)


# --------------------------------------------------------------------------- check's outputs


def run(*args: str | Path) -> Result:
    """Invoke the CLI in-process."""
    result = CliRunner().invoke(cli.app, [str(a) for a in args], env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _write(tmp_path: Path, requirements: str) -> Path:
    path = tmp_path / "claim.wf"
    block = f"requirements {{ {requirements} }}" if requirements else ""
    path.write_text(SPEC.replace("REQUIREMENTS", block).replace("TIMER", "2d"), "utf-8")
    return path


REQUIRED = "durability: machine_loss, hosting: either, longest_run: 30d, human_steps: no, language: python"


def test_check_text_ranks_the_engines(tmp_path: Path) -> None:
    out = run("check", _write(tmp_path, REQUIRED)).stdout
    section = out[out.index("engine recommendation for Claim") :]
    assert "  1. Temporal (self-hosted, or Temporal Cloud) (target `temporal`)" in section
    assert "  does not fit:" in section and "AWS Step Functions Express:" in section
    assert section.index("engine recommendation") < section.index("checked 1 file")


def test_check_concise_is_one_line(tmp_path: Path) -> None:
    lines = run("check", "--format", "concise", _write(tmp_path, REQUIRED)).stdout.splitlines()
    (line,) = [line for line in lines if line.startswith("engine recommendation")]
    assert line.startswith("engine recommendation for Claim: temporal, ")
    assert line.endswith("do not fit)")


def test_check_json_carries_the_recommendation(tmp_path: Path) -> None:
    document = json.loads(run("check", "--format", "json", _write(tmp_path, REQUIRED)).stdout)
    (rec,) = document["recommendation"]
    assert rec["declared"] is True and rec["workflow"] == "Claim"
    assert rec["requirements"]["longest_run"] == "30d"
    ranks = [engine["rank"] for engine in rec["engines"] if engine["fits"]]
    assert ranks == list(range(1, len(ranks) + 1))
    express: dict[str, Any] = next(e for e in rec["engines"] if e["engine"] == "stepfunctions-express")
    assert express["fits"] is False and express["rank"] is None and express["blockers"]
    assert rec["design"]["longest_timer"] == "2d"


def test_check_sarif_has_the_notes_and_stays_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, REQUIRED + ", vendor_lock: accept")
    log = json.loads(run("check", "--format", "sarif", "claim.wf").stdout)
    assert_valid(log)
    (sarif_run,) = log["runs"]
    notes = [r for r in sarif_run["results"] if r["ruleId"].startswith("SW81")]
    assert [(n["ruleId"], n["level"]) for n in notes] == [("SW810", "note")]
    assert notes[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 9
    assert notes[0]["message"]["text"].startswith("engine recommendation for Claim: 1. ")
    (descriptor,) = [d for d in sarif_run["tool"]["driver"]["rules"] if d["id"] == "SW810"]
    assert descriptor["properties"]["tags"] == ["statewright", "recommendation"]
    (rec,) = sarif_run["properties"]["recommendation"]
    assert rec["engines"][0]["rank"] == 1


def test_ignoring_the_code_hides_the_section_and_the_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`[tool.statewright] ignore = ["SW811"]`: a team that does not want the prompt does not get it."""
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "")
    assert "engine recommendation for Claim" in run("check", "claim.wf").stdout
    (tmp_path / "pyproject.toml").write_text('[tool.statewright]\nignore = ["SW811"]\n', "utf-8")
    assert "engine recommendation" not in run("check", "claim.wf").stdout
    log = json.loads(run("check", "--format", "sarif", "claim.wf").stdout)
    assert not [r for r in log["runs"][0]["results"] if r["ruleId"] == "SW811"]
    (rec,) = json.loads(run("check", "--format", "json", "claim.wf").stdout)["recommendation"]
    assert rec["declared"] is False  # the data stays in JSON


def _chain(states: int, retries: int) -> ir.Machine:
    """A straight line of invoked work, each retried `retries` times: no loops, a long history."""
    body = "".join(
        f'  state S{i} {{ invoke w{i} key "k{i}" retry {retries} dead_letter -> Failed done -> S{i + 1} '
        "timeout 1h -> Failed }\n"
        for i in range(states)
    ).replace("  state S0", "  initial state S0", 1)
    text = (
        f"workflow Chain {{\n{body}  final state S{states}\n  final state Failed {{ outcome failure }}\n}}\n"
    )
    result = compile_text(text.replace("}\n}", "}\n  requirements { hosting: either }\n}"), "chain.wf")
    assert result.machine is not None, result.diagnostics
    return result.machine


@pytest.mark.parametrize(("states", "retries"), [(150, 30), (200, 30), (20, 2)])
def test_history_past_25000_events_agrees_with_the_asl_targets_sw930(states: int, retries: int) -> None:
    """Without loops the recommendation estimates Standard's history as the asl target bounds it."""
    chain = _chain(states, retries)
    assert not design_facts(chain).loops
    standard = next(fit for fit in recommend(chain).ranked if fit.engine.id == "stepfunctions-standard")
    estimated = any("history events on the longest path" in loss for loss in standard.losses)
    output = AslTarget().generate(chain, TargetOptions(source_name="chain.wf"))
    assert estimated == any(d.code == "SW930" for d in output.diagnostics)


@pytest.mark.parametrize("spec", sorted(_SPECS))
def test_unbounded_waits_are_the_facts_waits_without_a_timer(spec: str) -> None:
    """The recommendation's own reading of timers agrees with `semantics.facts` (the summary's)."""
    expected = tuple(wait.state for wait in Facts(_SPECS[spec]).waits() if not wait.bounded)
    assert design_facts(_SPECS[spec]).unbounded_waits == expected


def test_a_checkpoint_with_no_timer_is_an_unbounded_wait() -> None:
    spec = machine(
        """workflow Ack {
  initial checkpoint Confirm { prompt "ok?" acknowledged -> Done }
  final state Done
  REQUIREMENTS
}
""",
        "hosting: serverless",
    )
    assert design_facts(spec).unbounded_waits == ("Confirm",)
    assert design_facts(spec).unbounded_waits == tuple(w.state for w in Facts(spec).waits() if not w.bounded)
    standard = next(fit for fit in recommend(spec).ranked if fit.engine.id == "stepfunctions-standard")
    assert "1 wait(s) with no timer are cut at one year (SW925)" in standard.losses
