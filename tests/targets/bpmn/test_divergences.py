"""Divergences between the runtime and the BPMN engines, found by `statewright test` and fixed (issue 16).

Each case here once gave a different answer on a BPMN engine than on the runtime
(the reference); each runs on every engine it diverged on.

- A parallel approval's level with a quorum above 1 is a multi-instance user task.
  bpmn-engine waits in its iterations, each under its own execution id; the
  driver signalled the task's root execution, which no iteration listens to, so a
  vote at that level was taken and nothing happened (a reject did not reject, two
  approvals did not grant the level).
- A region's unhandled work failure while a sibling region's work, with a retry
  policy and a dead letter, still runs. The region's failure was an error end
  event inside the parallel state's sub-process, and both engines let the
  sibling work's catch-all error boundary catch it (SpiffWorkflow retried the
  sibling's work and kept running, bpmn-engine dead-lettered it). It is an
  escalation now, one code per sub-process, which no work-error boundary catches.
"""

from __future__ import annotations

import pytest

from statewright import ir
from statewright.testing.bpmn_engine import BpmnEngine
from statewright.testing.bpmn_node_engine import NodeBpmnEngine
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Observation, Scenario, Send, Unsupported, WorkDone
from tests.targets.heartbeats import GO, heartbeats, route
from tests.targets.specs import example

# A staging change over the cost limit: both approval levels, in parallel.
COSTLY_CHANGE: tuple[tuple[str, ir.Value], ...] = (
    ("environment", "staging"),
    ("change_risk", "low"),
    ("planned_changes", 1),
    ("monthly_cost_delta", 1001),
)
SECURITY = ("role:security_reviewer",)
PLATFORM = ("role:platform_lead",)
SRE = ("role:sre_oncall",)


def assert_same(observed: object, machine: ir.Machine, scenario: Scenario) -> list[Observation]:
    """`observed` equals the runtime's observations step by step; returns the runtime's."""
    reference = PythonEngine().run(machine, scenario)
    assert not isinstance(reference, Unsupported), reference
    assert not isinstance(observed, Unsupported), observed
    assert isinstance(observed, list | tuple)
    lines = scenario.describe()
    for index, (want, got) in enumerate(zip(reference, observed, strict=True)):
        assert got == want, "\n".join([*lines[: index + 1], f"python: {want}", f"engine: {got}"])
    return list(reference)


QUORUM_LEVEL = [
    # name, votes after plan_ready, the last observation's (entered, status)
    ("reject", (Send("reject", actor="alice", permissions=SECURITY),), (("ChangeRejected",), "failed")),
    (
        "approve-then-reject",
        (
            Send("approve", actor="alice", permissions=SECURITY),
            Send("reject", actor="bob", permissions=PLATFORM),
        ),
        (("ChangeRejected",), "failed"),
    ),
    (
        "two-approvals",
        (
            Send("approve", actor="alice", permissions=SECURITY),
            Send("approve", actor="bob", permissions=PLATFORM),
        ),
        (("ChangeApproval.level_2.granted",), "running"),
    ),
    (
        "both-levels",
        (
            Send("approve", actor="alice", permissions=SECURITY),
            Send("approve", actor="carol", permissions=SRE),
            Send("approve", actor="bob", permissions=PLATFORM),
        ),
        (("ChangeApproval.level_2.granted", "Applying"), "running"),
    ),
]


@pytest.mark.parametrize(("votes", "end"), [c[1:] for c in QUORUM_LEVEL], ids=[c[0] for c in QUORUM_LEVEL])
def test_bpmn_engine_counts_votes_at_a_multi_instance_approval_level(
    node_engine: NodeBpmnEngine, votes: tuple[Send, ...], end: tuple[tuple[str, ...], str]
) -> None:
    """Every vote at the quorum-2 level reaches an iteration: a reject rejects, two approvals grant."""
    machine = example("deploy_pipeline")
    scenario = Scenario(COSTLY_CHANGE, (Send("plan_ready"), *votes))
    observations = assert_same(node_engine.run(machine, scenario), machine, scenario)
    assert (observations[-1].entered, observations[-1].status) == end


# The work of region Left fails, nothing handles it; region Right's work (retry 1, dead_letter) still runs.
REGION_FAILS = Scenario(route("parallel"), (*GO, WorkDone("LeftBeating", "Failed")))
NEITHER_REGION_LEFT = (("LeftBeating", "RightBeating"), "failed")


def test_spiffworkflow_fails_the_instance_on_a_regions_failure_beside_running_work() -> None:
    """SpiffWorkflow: the sibling's work is neither retried nor dead-lettered; the instance fails."""
    observations = assert_same(BpmnEngine().run(heartbeats(), REGION_FAILS), heartbeats(), REGION_FAILS)
    assert (observations[-1].active, observations[-1].status) == NEITHER_REGION_LEFT


def test_bpmn_engine_fails_the_instance_on_a_regions_failure_beside_running_work(
    node_engine: NodeBpmnEngine,
) -> None:
    """bpmn-node_engine: the same (it went to the sibling's dead-letter target)."""
    observations = assert_same(node_engine.run(heartbeats(), REGION_FAILS), heartbeats(), REGION_FAILS)
    assert (observations[-1].active, observations[-1].status) == NEITHER_REGION_LEFT
