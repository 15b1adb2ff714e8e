"""A saga's early exits share one drawing of their compensations (issue 22).

Each early exit from a saga has its own IR chain of compensation states, ending
in its own target (`compiler/lower_saga_exits.py`). The BPMN target draws the
interchangeable chains once: the way in records the exit (`exit_from_<saga>`),
and a gateway after the last compensation continues toward the exit's target.
The engines must still agree with the runtime on every exit, step and failure.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.semantics.sagas import pending_undo, shared_undo
from statewright.targets.bpmn.protocol import process_map
from statewright.targets.bpmn.target import build_model, render_bpmn
from statewright.targets.bpmn.undo import exit_variable, exit_variables
from statewright.testing.bpmn_node_engine import NodeBpmnEngine
from statewright.testing.scenario import Scenario, Send, Step, Timeout, WorkDone
from tests.sagas.test_saga_exits import MARKERS, saga_steps, trip
from tests.targets.bpmn import test_node_engine
from tests.targets.bpmn.geometry import measure
from tests.targets.bpmn.scenarios import scenarios
from tests.targets.bpmn.support import bpmnlint, diagram_problems, xsd_errors
from tests.targets.bpmn.test_equivalence import assert_same
from tests.targets.specs import machine_of

FLAVORS = ("generic", "javascript", "zeebe")
TRIP = trip()
"""The trip saga left early by `cancel` (to Cancelled) or by `abort` (to Aborted, counting it)."""
STEPS = ("book_flight", "book_hotel", "charge_card")
UNDO = {"book_flight": "cancel_flight", "book_hotel": "cancel_hotel", "charge_card": "refund_card"}


def owed(exit_: str, completed: int) -> list[str]:
    """The runtime's compensation states an exit after `completed` steps runs, in order."""
    return [f"Booking.{exit_}.{UNDO[step]}" for step in reversed(STEPS[:completed])]


def leaving(exit_: str, completed: int, ending: str) -> Scenario:
    """Book `completed` steps, leave by `exit_`, then run the compensations (the last one `ending`)."""
    steps: list[Step] = [Send("go"), *(WorkDone(f"Booking.{s}") for s in STEPS[:completed]), Send(exit_)]
    undo = owed(exit_, completed)
    for number, state in enumerate(undo, 1):
        if number < len(undo) or ending == "done":
            steps.append(WorkDone(state))
        elif ending == "fails":
            steps.append(WorkDone(state, "Boom"))
        else:
            steps.append(Timeout(state))
    steps.append(Send("resolved"))
    return Scenario((), tuple(steps))


EXITS = [
    leaving(exit_, completed, ending)
    for exit_ in ("cancel", "abort")
    for completed in (1, 2, 3)
    for ending in ("done", "fails", "times out")
]


def test_the_two_exits_chains_are_one_shared_group() -> None:
    machine = machine_of(TRIP)
    [group] = shared_undo(machine)
    assert group.saga == "Booking" and group.parent is None
    assert [chain.following for chain in group.chains] == ["Cancelled", "Aborted"]
    assert [chain.states for chain in group.chains] == [tuple(owed(e, 3)) for e in ("cancel", "abort")]


def test_exits_with_other_domains_are_not_grouped() -> None:
    """Re-entering the saga leaves only it (its chain lives in `Travel`); `abort` leaves `Travel`."""
    machine = machine_of(trip("on cancel -> Booking"))
    assert shared_undo(machine) == ()


@pytest.mark.parametrize("flavor", FLAVORS)
def test_each_compensation_is_drawn_twice_not_three_times(flavor: str) -> None:
    """The saga's own chain (events may still leave it) and the exits' shared chain (shielded)."""
    model, _ = build_model(machine_of(TRIP), "trip.wf", flavor)
    work = Counter(node.work.action for node in model.nodes if node.role == "work" and node.work is not None)
    assert [work[undo] for undo in UNDO.values()] == [2, 2, 2]
    records = [
        n for n in model.nodes if isinstance(n.action, ir.Assign) and n.action.field == "exit_from_Booking"
    ]
    assert sorted(n.name for n in records) == sorted(
        [*(["Booking left toward Cancelled"] * 3), *(["Booking left toward Aborted"] * 3)]
    )
    [choice] = [n for n in model.nodes if n.name == "which exit?"]
    assert sorted(f.name for f in model.outgoing[choice.id]) == ["toward Aborted", "toward Cancelled"]


def test_the_shared_chain_is_valid_lint_clean_and_laid_out_cleanly(tmp_path: Path) -> None:
    """The OMG schema, a complete diagram, bpmnlint's recommended rules, and the layout's geometry."""
    files = []
    for flavor in FLAVORS:
        text = render_bpmn(machine_of(TRIP), "trip.wf", flavor)
        assert xsd_errors(text) == [] and diagram_problems(text) == [], flavor
        found = measure(text)
        assert (found.through_nodes, found.label_overlaps, found.labels_on_shapes) == ([], [], []), flavor
        files.append(tmp_path / f"trip.{flavor}.bpmn")
        files[-1].write_text(text, "utf-8")
    result = bpmnlint(files)
    assert result.returncode == 0 and "warning" not in result.stdout, result.stdout + result.stderr


def test_the_process_map_tells_which_state_a_shared_element_stands_for() -> None:
    process = process_map(machine_of(TRIP))
    variable = exit_variable("Booking")
    drawn = "Booking.cancel.refund_card"
    assert process.shared[drawn] == (variable, (drawn, "Booking.abort.refund_card"))
    assert process.state_of(drawn, {variable: 2}) == "Booking.abort.refund_card"
    assert process.state_of(drawn, {variable: 1}) == drawn
    assert process.state_of(drawn, {}) == drawn  # nothing recorded yet: the drawn state
    assert process.state_of(drawn, {variable: "2"}) == "Booking.abort.refund_card"  # javascript's text
    assert process.state_of(drawn, {variable: True}) == drawn
    assert process.state_of(drawn, {variable: 3}) == drawn
    assert process.state_of("Booking.book_flight", {variable: 2}) == "Booking.book_flight"


@pytest.mark.parametrize("scenario", EXITS, ids=lambda s: " ".join(map(str, s.steps[-4:])))
def test_every_exit_agrees_with_the_runtime_on_spiffworkflow(scenario: Scenario) -> None:
    observations = assert_same(machine_of(TRIP), scenario)
    exit_ = "cancel" if Send("cancel") in scenario.steps else "abort"
    entered = {state for observation in observations for state in observation.entered}
    assert {s for s in entered if ".cancel." in s or ".abort." in s} == {
        s for s in entered if s.startswith(f"Booking.{exit_}.")
    }


def test_every_exit_agrees_with_the_runtime_on_bpmn_engine(node_engine: NodeBpmnEngine) -> None:
    machine = machine_of(TRIP)
    for scenario in EXITS:
        test_node_engine.assert_same(node_engine, machine, scenario)


def exits_saga(markers: list[str]) -> str:
    """A random saga left early three ways: on the saga, on its parent with an action, to a waiting state."""
    lines = saga_steps(markers)
    return f"""
workflow Random {{
  context {{ n: int 0..9 = 0 }}
  events {{ go, cancel, abort, hold, release }}
  reject * "no"
  initial state Idle {{ on go -> Work  timeout 1d -> Gone }}
  state Work {{
    on abort -> Aborted {{ set n = 1 }}
    on hold -> Held
    initial saga Steps {{
{chr(10).join(lines)}
      done -> Gone
      compensated -> Gone
      compensation_failed -> Review
      on cancel -> Gone
    }}
  }}
  state Held {{ on release -> Gone  timeout 1d -> Gone }}
  state Review {{ timeout 1d -> Gone }}
  final state Gone
  final state Aborted {{ outcome failure "aborted" }}
}}
"""


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.lists(MARKERS, min_size=1, max_size=5), st.data())
def test_random_sagas_left_three_ways_share_one_chain_and_agree(
    markers: list[str], data: st.DataObject
) -> None:
    machine = machine_of(exits_saga(markers))
    states = {state.name: state for state in machine.states}
    [saga] = machine.sagas
    owed = {step.index for debt in pending_undo(saga).values() if not debt.post_pivot for step in debt.undo}
    undone = [f"undo_{step.index}" for step in reversed(saga.steps) if step.index in owed]
    groups = shared_undo(machine)
    assert len(groups) == (1 if undone else 0)
    for group in groups:
        assert [chain.following for chain in group.chains] == ["Gone", "Aborted", "Held"]
        for chain in group.chains:
            invoked = [states[name].invoke for name in chain.states]
            assert [i.action for i in invoked if i is not None] == undone  # latest first
        model, _ = build_model(machine, "random.wf", "generic")
        work = Counter(n.work.action for n in model.nodes if n.role == "work" and n.work is not None)
        # The saga's own chain and the shared one; nothing after the pivot can be reached (so not drawn).
        expected = [0 if "pivot" in markers[: int(action[5:])] else 2 for action in undone]
        assert [work[action] for action in undone] == expected, work
    assert_same(machine, data.draw(scenarios(machine, 12)))


def test_a_context_field_of_the_variables_name_is_never_overwritten() -> None:
    """A field named `exit_from_Booking`: the exit is recorded in `exit_from_Booking_2`, and engines agree."""
    machine = machine_of(TRIP.replace("cancels", "exit_from_Booking"))
    process = process_map(machine)
    assert {variable for variable, _ in process.shared.values()} == {"exit_from_Booking_2"}
    for scenario in (leaving("abort", 2, "done"), leaving("cancel", 3, "fails")):
        observations = assert_same(machine, scenario)
        counted = 1 if Send("abort") in scenario.steps else 0  # `abort` adds one to the field
        assert ("exit_from_Booking", counted) in (observations[-1].context or ())


def test_sagas_whose_names_meet_in_one_ncname_get_variables_of_their_own() -> None:
    machine = machine_of(TRIP)
    assert exit_variables(machine, ["Booking", "_Booking", "Booking"]) == {
        "Booking": "exit_from_Booking",
        "_Booking": "exit_from_Booking_2",
    }
