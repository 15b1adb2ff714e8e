"""The validation summary: PASS / FAIL / NOT RUN per check family, evidence from the IR, known risks."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from statewright.compiler.verify.result import verification_of
from statewright.diagnostics import Code, Diagnostic, Severity, register
from statewright.ir import Machine
from statewright.pipeline import compile_path, compile_text
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.run import VerificationRun
from statewright.report.summary import (
    CHECKS,
    Summary,
    check_of,
    render_summary,
    render_summary_concise,
    rule_checks,
    summarize,
)
from statewright.runtime import engine
from statewright.runtime.definition import Definition
from statewright.runtime.draft import NO_REQUEST
from statewright.runtime.errors import EventNotAllowed
from statewright.runtime.model import Instance
from statewright.semantics.facts import Matrix
from statewright.source import Span
from tests.conftest import EXAMPLES
from tests.targets.specs import APPROVE, COLLIDING, SHOP, TRICKY
from tests.targets.specs import CHECKS as PARALLEL_SPEC

SMALL = """workflow Small {
  events { go, stop, poke }
  initial state Idle {
    on go -> Busy
    on stop -> Done
    reject poke "not now"
  }
  state Busy {
    on stop -> Done
    timeout 5s -> Idle
    initial state Inner { on go -> Inner2 }
    state Inner2 { ignore poke }
  }
  final state Done
}
"""

WAITS = """workflow Waits {
  events { go }
  initial state Start { on go -> Check }
  checkpoint Check { prompt "ok?" acknowledged -> Done timeout 1h -> Failed }
  final state Done
  final state Failed { outcome failure "nobody answered" }
}
"""

HERE = Span(2, 3, 2, 10)

# Test-only codes use a prefix of their own, as plugins do, so they never meet a real SW code.
register(Code("TSU397", "test-unreachable-state", Severity.ERROR, "state cannot be reached (tests)"))
register(Code("TSU398", "test-deadlock", Severity.ERROR, "non-final state has no way out (tests)"))


def machine_of(text: str) -> Machine:
    """Compile `text`; fail the test on any front-end finding."""
    result = compile_text(text, "spec.wf")
    assert result.machine is not None, result.diagnostics
    return result.machine


def finding(
    code: str,
    severity: Severity = Severity.ERROR,
    message: str = "something is wrong",
    counterexample: tuple[str, ...] | None = None,
) -> Diagnostic:
    """A finding about spec.wf at a fixed place."""
    return Diagnostic(code, severity, message, "spec.wf", HERE, counterexample=counterexample)


@dataclass(frozen=True)
class FakeRule:
    """A rule that only declares its family and codes (findings are passed to `summarize` directly)."""

    name: str
    family: str
    codes: tuple[str, ...] = field(default=())

    def check(self, machine: Machine, context: RuleContext) -> Iterable[Diagnostic]:
        """Report nothing; the tests hand findings to the summary themselves."""
        return ()


ALL_RULES: list[Rule] = [
    FakeRule("unreachable", "reachability", ("SW301",)),
    FakeRule("trap", "deadlock", ("SW302", "SW303")),
    FakeRule("nondeterminism", "determinism", ("SW310",)),
    FakeRule("completeness", "completeness", ("SW311",)),
    FakeRule("saga", "sagas", ("SW501",)),
    FakeRule("waits", "waits", ("SW601",)),
    FakeRule("retries", "retries", ("SW701",)),
    FakeRule("parallel", "parallel", ("SW801", "SW803", "SW804")),
]


def statuses(summary: Summary) -> dict[str, str]:
    """Map each check key to its status."""
    return {check.key: check.status for check in summary.checks}


# --------------------------------------------------------------------------- statuses


def test_no_rules_means_every_check_is_not_run() -> None:
    summary = summarize(machine_of(SMALL), [], [])
    assert [check.key for check in summary.checks] == [spec.key for spec in CHECKS]
    assert set(statuses(summary).values()) == {"NOT RUN"}
    assert summary.verdict == "INCOMPLETE"


def test_a_family_without_findings_passes_and_guards_stay_not_run() -> None:
    summary = summarize(machine_of(SMALL), ALL_RULES, [])
    found = statuses(summary)
    assert found["guards"] == "NOT RUN"
    assert {key: value for key, value in found.items() if key != "guards"} == dict.fromkeys(
        ["reachability", "deadlock", "determinism", "completeness", "sagas", "waits", "retries", "parallel"],
        "PASS",
    )
    assert summary.verdict == "INCOMPLETE"
    assert summary.check("reachability").rules == ("unreachable",)


def test_errors_fail_and_warnings_warn_their_check_with_codes_and_counterexample() -> None:
    """Issue 16: a warning-only check is WARN (check exits 0), FAIL only under --strict, as the exit code."""
    findings = [
        finding("SW311", Severity.WARNING, "state `Idle` leaves `poke` open", ("go", "stop")),
        finding("SW311", Severity.WARNING, "state `Busy` leaves `poke` open"),
        finding("SW302", Severity.ERROR, "trap", ("go",)),
    ]
    summary = summarize(machine_of(SMALL), ALL_RULES, findings)
    assert (
        summarize(machine_of(SMALL), ALL_RULES, findings, strict=True).check("completeness").status == "FAIL"
    )
    completeness = summary.check("completeness")
    assert completeness.status == "WARN"
    assert (completeness.warnings, completeness.errors) == (2, 0)
    assert completeness.codes == (("SW311", "warning", 2),)
    assert completeness.counterexample == ("go", "stop")
    assert completeness.counterexample_code == "SW311"
    deadlock = summary.check("deadlock")
    assert (deadlock.status, deadlock.errors, deadlock.counterexample) == ("FAIL", 1, ("go",))
    assert summary.check("reachability").status == "PASS"
    assert summary.verdict == "FAIL"


def test_info_findings_do_not_fail_a_check() -> None:
    summary = summarize(machine_of(SMALL), ALL_RULES, [finding("SW701", Severity.INFO, "no jitter")])
    retries = summary.check("retries")
    assert (retries.status, retries.infos, retries.codes) == ("PASS", 1, (("SW701", "info", 1),))


def test_partial_exploration_is_marked() -> None:
    summary = summarize(machine_of(SMALL), ALL_RULES, [finding("SW803", Severity.INFO, "bound hit")])
    parallel = summary.check("parallel")
    assert parallel.status == "PASS"
    assert parallel.partial
    assert "partial" in render_summary(summary)
    assert summary.to_dict()["checks"][8]["partial"] is True


def test_a_crashed_rule_fails_the_checks_it_covers() -> None:
    crash = Diagnostic(
        "SW902", Severity.ERROR, "verification rule `trap` raised ValueError: x", "spec.wf", HERE
    )
    summary = summarize(machine_of(SMALL), ALL_RULES, [crash])
    deadlock = summary.check("deadlock")
    assert (deadlock.status, deadlock.crashed) == ("FAIL", ("trap",))
    assert "crashed: trap" in render_summary(summary)
    assert summary.check("reachability").status == "PASS"


def test_a_structure_family_rule_is_split_by_its_codes() -> None:
    rule = FakeRule("structure", "structure", ("TSU397", "TSU398"))
    assert rule_checks(rule) == ("reachability", "deadlock")
    summary = summarize(machine_of(SMALL), [rule], [finding("TSU398")])
    assert statuses(summary)["reachability"] == "PASS"
    assert statuses(summary)["deadlock"] == "FAIL"


def test_a_family_outside_the_nine_gets_its_own_row() -> None:
    style = FakeRule("verb-state-name", "style", ("SW305",))
    summary = summarize(machine_of(SMALL), [style], [finding("SW305", Severity.WARNING)])
    row = summary.check("family:style")
    assert (row.title, row.status, row.warnings) == ("style", "WARN", 1)
    assert row.evidence == ("rules: verb-state-name",)


def test_findings_without_a_declaring_rule_fall_back_to_the_code_number() -> None:
    assert check_of("SW512") == "sagas"
    assert check_of("SW642") == "waits"
    assert check_of("SW455") == "guards"
    assert check_of("SW396") is None  # SW3xx with no registered name: none of the nine
    assert check_of("SW396", "deadlock") == "deadlock"
    assert check_of("TSU398", "structure") == "deadlock"  # by the words of its registered name
    assert check_of("SW101") is None
    summary = summarize(machine_of(SMALL), [], [finding("SW512", Severity.WARNING)])
    assert summary.check("sagas").status == "WARN"


def test_family_names_are_matched_loosely() -> None:
    assert rule_checks(FakeRule("r", "Approvals & waits")) == ("waits",)
    assert rule_checks(FakeRule("r", "retries & timeouts")) == ("retries",)
    assert rule_checks(FakeRule("r", "guard consistency")) == ("guards",)


# --------------------------------------------------------------------------- evidence


def test_evidence_counts_come_from_the_ir() -> None:
    summary = summarize(machine_of(SMALL), [], [])
    assert summary.check("reachability").evidence == (
        "5 states (4 leaves)",
        "4 of 4 leaves reachable from Idle",
    )
    # rows Idle, Inner, Inner2; Inner gets `stop` from Busy; Inner leaves poke and Inner2 go open
    completeness = summary.check("completeness").evidence
    assert completeness[0] == "3 non-final leaves x 3 events = 9 pairs"
    assert completeness[1] == (
        "5 transition, 1 reject, 1 ignore, 0 handled by another region, "
        "0 approval/checkpoint events refused where not awaited, 2 external events undecided"
    )
    assert completeness[2] == "SW311 checks 3 reachable waiting leaves x 3 external events: 2 undecided"
    assert summary.check("deadlock").evidence == (
        "3 of 3 non-final leaves have a way out",
        "4 of 4 leaves can reach a final state of the workflow",
    )


def test_saga_and_wait_evidence() -> None:
    summary = summarize(machine_of(SHOP), [], [])
    assert summary.check("sagas").evidence == (
        "1 saga, 4 steps, 2 compensations, 4 services",
        "4 of 4 steps keyed, 2 of 2 compensations keyed",
    )
    approvals = summarize(machine_of(APPROVE), [], [])
    assert approvals.check("waits").evidence == (
        "3 waiting states (2 approval levels, 0 checkpoints, 1 waiting on events), 2 with a timeout",
        "of the 1 without one: 1 wait by design (initial state, review queue), 0 unreachable (SW301), "
        "0 reported (SW601)",
        "1 approval, 0 checkpoints",
    )


# --------------------------------------------------------------------------- known risks


def test_risks_list_unresolved_findings_compensation_failures_and_failing_waits() -> None:
    warning = finding("SW311", Severity.WARNING, "open events")
    note = finding("SW701", Severity.INFO, "just a note")
    summary = summarize(machine_of(SHOP), ALL_RULES, [warning, note])
    kinds = [risk.kind for risk in summary.risks]
    assert kinds.count("finding") == 1  # the info note is not a risk
    messages = [risk.message for risk in summary.risks]
    assert "SW311 warning at spec.wf:2:3: open events" in messages
    release = [m for m in messages if m.startswith("saga Fulfilling: compensation release_stock ")]
    assert len(release) == 1
    assert "fails -> ManualReview, the saga's compensation_failed outcome" in release[0]
    assert any(
        m.startswith("saga Fulfilling: step notify after the pivot fails -> ManualReview") for m in messages
    )
    waits = [risk.message for risk in summarize(machine_of(APPROVE), [], []).risks if risk.kind == "wait"]
    # level 1 escalates to level 2, which is not an outcome: only level 2 is a risk
    assert waits == ["Review.level_2 times out after 2d -> Rejected (failure: not approved)"]


def test_a_compensation_without_timeout_is_a_risk() -> None:
    no_timeouts = re.sub(r" timeout (30s|4h|1m)", "", SHOP)
    messages = [risk.message for risk in summarize(machine_of(no_timeouts), [], []).risks]
    release = next(m for m in messages if m.startswith("saga Fulfilling: compensation release_stock "))
    assert release.endswith("has no timeout: if it hangs, the saga waits in it forever")


def test_a_wait_whose_timeout_fails_and_an_unbounded_wait() -> None:
    summary = summarize(machine_of(WAITS), [], [])
    assert [r.message for r in summary.risks if r.kind == "wait"] == [
        "Check times out after 1h -> Failed (failure: nobody answered)"
    ]
    unbounded = WAITS.replace(" timeout 1h -> Failed", "")
    summary = summarize(machine_of(unbounded), [], [])
    assert [r.message for r in summary.risks if r.kind == "wait"] == [
        "Check waits without a timeout: it can wait forever"
    ]


def test_race_candidates_are_listed_once_as_races() -> None:
    race = finding("SW804", Severity.WARNING, "race candidate: event `go` is handled by two regions")
    summary = summarize(machine_of(SMALL), ALL_RULES, [race])
    races = [risk for risk in summary.risks if risk.kind == "race"]
    assert [risk.message for risk in races] == [
        "SW804 at spec.wf:2:3: race candidate: event `go` is handled by two regions"
    ]
    assert not [risk for risk in summary.risks if risk.kind == "finding"]


# --------------------------------------------------------------------------- rendering


def test_text_rendering_has_a_row_per_check_and_the_risks() -> None:
    findings = [finding("SW311", Severity.WARNING, "open", ("go",))]
    text = render_summary(summarize(machine_of(SMALL), ALL_RULES, findings, "spec.wf"))
    lines = text.splitlines()
    assert lines[0] == "validation of Small (spec.wf): INCOMPLETE — 7 pass, 1 warn, 0 fail, 1 not run"
    assert lines[1].startswith("  PASS     reachability       5 states (4 leaves)")
    assert any(line.startswith("  WARN     completeness") for line in lines)
    assert any(
        line.startswith("  NOT RUN  guard consistency  no rule of this family is registered")
        for line in lines
    )
    assert any(line.strip() == "counterexample (SW311): go" for line in lines)
    assert "known risks:" in lines
    assert "  - finding: SW311 warning at spec.wf:2:3: open" in lines


def test_concise_rendering_is_one_line() -> None:
    text = render_summary_concise(summarize(machine_of(SMALL), ALL_RULES, [], "spec.wf"))
    assert "\n" not in text
    assert text.startswith("spec.wf: validation INCOMPLETE: reachability PASS, deadlock-free PASS")
    assert text.endswith(
        "guard consistency NOT RUN, sagas PASS, waits PASS, retries PASS, parallel PASS; 0 known risks"
    )


def test_json_form_round_trips() -> None:
    findings = [finding("SW302", counterexample=("go",))]
    data = summarize(machine_of(SMALL), ALL_RULES, findings, "spec.wf").to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["verdict"] == "FAIL"
    deadlock = next(check for check in data["checks"] if check["check"] == "deadlock")
    assert deadlock["counterexample"] == {"code": "SW302", "path": ["go"]}
    assert deadlock["findings"]["codes"] == [{"code": "SW302", "severity": "error", "count": 1}]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.wf")), ids=lambda p: p.name)
def test_every_example_summarises_deterministically(path: Path) -> None:
    result = compile_path(str(path))
    if result.machine is None:
        pytest.fail(f"example does not compile: {result.diagnostics}")
    first = render_summary(summarize(result.machine, ALL_RULES, []))
    second = render_summary(summarize(compile_path(str(path)).machine or result.machine, ALL_RULES, []))
    assert first == second


@pytest.mark.parametrize(
    "machine",
    [
        *(machine_of(text) for text in (SMALL, WAITS, SHOP, APPROVE, PARALLEL_SPEC, TRICKY, COLLIDING)),
        *(
            example_machine
            for p in sorted(EXAMPLES.glob("*.wf"))
            if (example_machine := compile_path(p).machine)
        ),
    ],
    ids=lambda m: m.name,
)
def test_fast_counts_agree_with_the_cells(machine: Machine) -> None:
    matrix = Matrix(machine, verification_of(VerificationRun(machine)).exhaustive)
    cells = matrix.cells
    statuses = Counter(cell.status for cell in cells)
    external = {event.name for event in machine.events if event.kind == "external"}
    stats = matrix.stats
    assert stats.pairs == len(cells)
    assert (stats.transition, stats.reject, stats.ignore) == (
        statuses["transition"],
        statuses["reject"],
        statuses["ignore"],
    )
    assert (stats.other_region, stats.unresolved) == (statuses["other_region"], statuses["unresolved"])
    assert stats.not_awaited == statuses["not_awaited"]
    assert all(cell.event in external for cell in cells if cell.status == "unresolved")
    assert all(cell.event not in external for cell in cells if cell.status == "not_awaited")
    assert stats.open_guarded == sum(1 for cell in cells if cell.entries and not cell.closed)
    assert stats.choices == sum(1 for cell in cells if cell.choices > 1)


@pytest.mark.parametrize(
    "machine",
    [m for p in sorted(EXAMPLES.glob("*.wf")) if (m := compile_path(p).machine)]
    + [machine_of(APPROVE), machine_of(PARALLEL_SPEC)],
    ids=lambda m: m.name,
)
def test_not_awaited_cells_are_refused_by_the_runtime(machine: Machine) -> None:
    """Issue 16: the table and completeness call an approval event outside its approval refused; it is.

    Every `not_awaited` cell (shown `(refused: not awaited here)`, counted as refused, never as
    undecided) is an event the runtime refuses there as not allowed (SW960), changing nothing.
    """
    matrix = Matrix(machine, verification_of(VerificationRun(machine)).exhaustive)
    definition = Definition(machine)
    context = engine.initial_context(definition, {}) if not _required(machine) else None
    refused = [cell for cell in matrix.cells if cell.status == "not_awaited"]
    for cell in refused:
        instance = Instance(
            "i", machine.name, machine.version, (cell.state,), context or {}, "running", 1, 0, 0
        )
        step = engine.send(definition, instance, cell.event, 0, NO_REQUEST)
        assert isinstance(step.error, EventNotAllowed), (cell.state, cell.event)
        assert step.commit.record.outcome == "not_allowed"
    assert all(cell.event not in {e.name for e in machine.events if e.kind == "external"} for cell in refused)


def _required(machine: Machine) -> bool:
    """True when some context field has no default (the test then sends with an empty context)."""
    return any(field.default is None for field in machine.context)
