"""A missed heartbeat means the same in Step Functions (moto) as in the Python runtime (issue 16).

LANGUAGE.md §7: silence past `heartbeat D` is a failed attempt. The retry
policy retries it (when it retries every error or names `HeartbeatTimeout`),
and when the work fails for good the state leaves by `dead_letter`; with
nothing to handle the failure the instance fails. A hard `timeout` is a
different thing and never takes a missed heartbeat. Step Functions' own
`States.Timeout` also matches a missed heartbeat, so a definition that lists
the timers' `States.Timeout` first sent every miss to the timeout target
(deploy_pipeline's LoadTesting went to RollingBack where the runtime fails the
instance; RollingBack's misses were never retried). Every heartbeat work here
misses its heartbeat, at top level, nested, in parallel regions, with and
without retry policies and dead letters, by the clock (`Timeout`) and by a
reported `HeartbeatTimeout`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from statewright import ir
from statewright.targets.asl.retry import HEARTBEAT_ERROR
from statewright.testing.asl_engine import HEARTBEAT_BUDGET_SPLIT, AslEngine
from statewright.testing.asl_moto import ROLE_ARN, expire_heartbeat, moto_session
from statewright.testing.scenario import Scenario, Send, Step, Timeout, Unsupported, WorkDone
from tests.targets.asl.support import definition, example
from tests.targets.asl.test_equivalence import compare
from tests.targets.heartbeats import CASES, GO, heartbeats, miss, route


@pytest.fixture(scope="module")
def engine() -> Iterator[AslEngine]:
    """One in-memory AWS for the module; each machine's state machine is created once."""
    with AslEngine() as opened:
        yield opened


@pytest.mark.parametrize(("context", "steps", "end"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_missed_heartbeat_behaves_as_the_runtime(
    engine: AslEngine,
    context: tuple[tuple[str, ir.Value], ...],
    steps: tuple[Step, ...],
    end: tuple[tuple[str, ...], str],
) -> None:
    """Moto and the runtime agree step by step, and the runtime ends where LANGUAGE.md §7 says."""
    observations = compare(engine, heartbeats(), Scenario(context, steps))
    assert (observations[-1].active, observations[-1].status) == end


DEPLOY = (("planned_changes", 3), ("change_risk", "low"))
TO_LOAD_TESTING: tuple[Step, ...] = (Send("plan_ready"), WorkDone("Applying"), Send("probe_passed"))
TO_ROLLING_BACK: tuple[Step, ...] = (Send("plan_ready"), WorkDone("Applying"), Send("smoke_failed"))
DEPLOY_CASES = [
    pytest.param((*TO_LOAD_TESTING, Timeout("LoadTesting")), "failed", id="load-testing-misses"),
    pytest.param(
        (*TO_LOAD_TESTING, WorkDone("LoadTesting", "HeartbeatTimeout")), "failed", id="load-testing-reports"
    ),
    pytest.param((*TO_ROLLING_BACK, *miss("RollingBack", 2)), "running", id="rollback-retried"),
    pytest.param((*TO_ROLLING_BACK, *miss("RollingBack", 3)), "failed", id="rollback-dead-letter"),
    pytest.param((Send("plan_ready"), *miss("Applying", 1)), "running", id="apply-dead-letter"),
    pytest.param(miss("Planning", 1), "failed", id="plan-dead-letter"),
]


@pytest.mark.parametrize(("steps", "status"), DEPLOY_CASES)
def test_deploy_pipeline_heartbeats_behave_as_the_runtime(
    engine: AslEngine, steps: tuple[Step, ...], status: str
) -> None:
    """The divergence found: LoadTesting (a region, no dead letter) fails the instance, never RollingBack."""
    observations = compare(engine, example("deploy_pipeline"), Scenario(DEPLOY, steps))
    assert observations[-1].status == status
    assert "RollingBack" not in observations[-1].entered or steps[-1] != Timeout("LoadTesting")


def test_a_split_budget_is_a_documented_limit(engine: AslEngine) -> None:
    """`retry 2` (every error) with a heartbeat: moto counts misses apart, the engine says so."""
    steps = (*GO, WorkDone("Every", "Failed"), Timeout("Every"))
    observed, unsupported = engine.run_prefix(heartbeats(), Scenario(route("every"), steps))
    assert unsupported == Unsupported(3, HEARTBEAT_BUDGET_SPLIT)  # the start, go, the error agreed
    assert len(observed) == 3


def task(machine: ir.Machine, leaf: str) -> dict[str, Any]:
    """The work Task of `leaf` in the generated definition (searched through Parallel branches)."""

    def tasks(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, state in states.items():
            yield name, state
            for branch in state.get("Branches", []):
                yield from tasks(branch["States"])

    return next(
        s
        for n, s in tasks(definition(machine)["States"])
        if n.startswith(f"{leaf} |") and "HeartbeatSeconds" in s
    )


def test_heartbeat_errors_come_before_the_timers_in_retry_and_catch() -> None:
    """States.Timeout matches a missed heartbeat, so States.HeartbeatTimeout is handled ahead of it."""
    machine = heartbeats()
    for leaf in ("Bare", "Every", "Named", "Unnamed", "Inner", "LeftBeating", "RightBeating"):
        found = task(machine, leaf)
        catches = [c["ErrorEquals"] for c in found["Catch"]]
        assert catches[0] == [HEARTBEAT_ERROR], leaf
        assert found["Catch"][0]["Next"] == found["Catch"][-1]["Next"], leaf  # the work's failure path
        retry = [r["ErrorEquals"] for r in found.get("Retry", [])]
        timers = next(i for i, e in enumerate(retry) if "States.Timeout" in e)
        heartbeat = [i for i, e in enumerate(retry) if HEARTBEAT_ERROR in e]
        assert all(i < timers for i in heartbeat), leaf
    assert task(machine, "Named")["Retry"][0]["ErrorEquals"] == [HEARTBEAT_ERROR, "Flaky"]
    every = task(machine, "Every")["Retry"]
    assert [r["ErrorEquals"] for r in every] == [
        [HEARTBEAT_ERROR],
        ["Timer.Every", "States.Timeout"],
        ["States.ALL"],
    ]
    assert every[0]["MaxAttempts"] == every[2]["MaxAttempts"] == 2
    assert not any(HEARTBEAT_ERROR in r["ErrorEquals"] for r in task(machine, "Unnamed")["Retry"])


HANDWRITTEN = {
    "StartAt": "Work",
    "States": {
        "Work": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "QUEUE", "MessageBody": {"token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 600,
            "HeartbeatSeconds": 60,
            "Catch": [],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
        "Heartbeat": {"Type": "Succeed"},
        "Timeout": {"Type": "Succeed"},
    },
}


@pytest.mark.parametrize(
    ("catches", "reached"),
    [
        ([["States.HeartbeatTimeout"], ["States.Timeout"]], "Heartbeat"),
        ([["States.Timeout"], ["States.HeartbeatTimeout"]], "Timeout"),
        ([["States.ALL"]], "Heartbeat"),
    ],
)
def test_the_harness_names_a_missed_heartbeat_as_step_functions_does(
    catches: list[list[str]], reached: str
) -> None:
    """The harness names a miss States.HeartbeatTimeout (moto: States.Timeout), as Step Functions does."""
    with moto_session() as (sfn, sqs):
        queue = sqs.create_queue(QueueName="work")["QueueUrl"]
        text = json.dumps(HANDWRITTEN).replace("QUEUE", queue)
        machine = json.loads(text)
        names = {
            "States.HeartbeatTimeout": "Heartbeat",
            "States.Timeout": "Timeout",
            "States.ALL": "Heartbeat",
        }
        machine["States"]["Work"]["Catch"] = [{"ErrorEquals": e, "Next": names[e[0]]} for e in catches]
        name = "beat-" + "-".join(e[0].split(".")[1] for e in catches)  # moto's AWS outlives a session
        made = sfn.create_state_machine(name=name, definition=json.dumps(machine), roleArn=ROLE_ARN)
        arn = sfn.start_execution(stateMachineArn=made["stateMachineArn"], name=name, input="{}")[
            "executionArn"
        ]
        deadline = time.monotonic() + 15
        messages: list[dict[str, Any]] = []
        while not messages and time.monotonic() < deadline:
            messages = sqs.receive_message(QueueUrl=queue).get("Messages", [])
        token = json.loads(messages[0]["Body"])["token"]
        assert expire_heartbeat(token)
        while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.05)
        history = sfn.get_execution_history(executionArn=arn)["events"]
        entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        assert entered[-1] == reached
