"""Task states for actions, waits and the evaluator, from the resource map.

A resource is either a Lambda function (`{"lambda": ARN}`, or a bare ARN) or an
SQS queue (`{"queue": URL}`). Callbacks (`.waitForTaskToken`) carry the task
token in the message; the answer names what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CALLBACK_TIMEOUT_S = 300
"""TimeoutSeconds of a `do` action or evaluator call: no Task waits unbounded."""


@dataclass(frozen=True, slots=True)
class Resource:
    """Where a Task sends its work: a Lambda function ARN or an SQS queue URL (either may be `${Name}`)."""

    kind: str  # "lambda" or "queue"
    address: str


def callback_task(resource: Resource, body: dict[str, Any]) -> dict[str, Any]:
    """A `.waitForTaskToken` Task whose message (payload) is `body`; the answer is the Task's result."""
    if resource.kind == "queue":
        return {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": resource.address, "MessageBody": body},
        }
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": resource.address, "Payload": body},
    }


def request_task(resource: Resource, body: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """A Task that returns an object with `keys` (the evaluator): Lambda invoke, or a queue callback."""
    if resource.kind == "queue":
        task = callback_task(resource, {"token.$": "$$.Task.Token", **body})
        task["ResultSelector"] = {f"{key}.$": f"$.{key}" for key in keys}
    else:
        task = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": resource.address, "Payload": body},
            "ResultSelector": {f"{key}.$": f"$.Payload.{key}" for key in keys},
        }
    task["TimeoutSeconds"] = CALLBACK_TIMEOUT_S
    return task


def fire_task(resource: Resource, body: dict[str, Any]) -> dict[str, Any]:
    """A Task that hands work off and goes on (a `do` action or an `emit`): its result is dropped."""
    if resource.kind == "queue":
        task: dict[str, Any] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": resource.address, "MessageBody": body},
        }
    else:
        task = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": resource.address, "InvocationType": "Event", "Payload": body},
        }
    task["TimeoutSeconds"] = CALLBACK_TIMEOUT_S
    task["ResultPath"] = None
    task["Retry"] = [
        {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2}
    ]
    return task
