"""Step Functions' own clock: a state's TimeoutSeconds really fires States.Timeout and takes the timeout."""

from __future__ import annotations

import json
import time

from statewright.targets.asl import AslTarget
from statewright.testing.asl_engine import MAX_SECONDS, definition_text, scenario_options, without_wall_clock
from statewright.testing.asl_moto import ROLE_ARN, moto_session
from tests.targets.specs import machine_of

SPEC = """workflow Ticking {
  events { go }
  initial state Waiting { on go -> Failed  timeout 1s -> Expired }
  final state Expired
  final state Failed { outcome failure }
}
"""


def test_timeout_seconds_fires_without_the_driver() -> None:
    """Nobody answers the callback: after one second the Catch for States.Timeout enters `Expired`."""
    machine = machine_of(SPEC)
    with moto_session() as (sfn, sqs):
        callbacks = sqs.create_queue(QueueName="callbacks")["QueueUrl"]
        outbox = sqs.create_queue(QueueName="outbox")["QueueUrl"]
        target = AslTarget()
        text = definition_text(target, machine, scenario_options(target, machine, callbacks, outbox))
        assert json.loads(text)["States"]["Waiting | wait"]["TimeoutSeconds"] == 1
        made = sfn.create_state_machine(name="ticking", definition=text, roleArn=ROLE_ARN)
        arn = sfn.start_execution(stateMachineArn=made["stateMachineArn"], name="t", input='{"context": {}}')[
            "executionArn"
        ]
        deadline = time.monotonic() + 15
        while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"
        history = sfn.get_execution_history(executionArn=arn)["events"]
        names = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        assert names[-1] == "Expired"
        assert any(e["type"] == "TaskTimedOut" for e in history)
        message = sqs.receive_message(QueueUrl=callbacks)["Messages"][0]
        assert json.loads(message["Body"])["state"] == "Waiting"


def test_the_scenario_engine_stretches_wall_clock_timers_keeping_heartbeat_below_timeout() -> None:
    """The engine fires timers itself; moto must not fire a 30 s heartbeat on a slow machine first."""
    definition = {
        "States": {
            "Work": {"Type": "Task", "TimeoutSeconds": 1200, "HeartbeatSeconds": 30},
            "Long": {"Type": "Task", "TimeoutSeconds": 864_000, "HeartbeatSeconds": 300},
            "Wait": {"Type": "Wait", "Seconds": 5},
        }
    }
    stretched = json.loads(without_wall_clock(json.dumps(definition)))["States"]
    assert stretched["Work"] == {"Type": "Task", "TimeoutSeconds": 1_200_000, "HeartbeatSeconds": 30_000}
    assert stretched["Long"]["HeartbeatSeconds"] < stretched["Long"]["TimeoutSeconds"] <= MAX_SECONDS
    assert stretched["Wait"] == {"Type": "Wait", "Seconds": 5}
