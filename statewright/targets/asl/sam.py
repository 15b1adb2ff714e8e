"""The deployable AWS SAM template and the resource map skeleton beside each definition.

The template creates the state machine from `<workflow>.asl.json` with one
DefinitionSubstitution per `${Name}` in it: Lambda ARNs come from template
parameters, the event and emit queues are created by the template, and the
evaluator function is packaged from the statewright wheel (`StatewrightCodeUri`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statewright import ir
from statewright.semantics.calls import handler_names
from statewright.targets.asl import asljson
from statewright.targets.asl.resources import EMIT_QUEUE, EVALUATOR, EVENT_QUEUE
from statewright.targets.asl.tasks import Resource

_QUEUES = {"EventQueueUrl": "EventQueue", "EmitQueueUrl": "EmitQueue"}


def logical_id(name: str) -> str:
    """A CloudFormation logical id (letters and digits only) for a substitution name."""
    return (
        "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_") if part)
        or "Resource"
    )


def template(machine: ir.Machine, substitutions: Mapping[str, str], definition_file: str) -> str:
    """The SAM template (JSON) deploying the definition with every substitution it uses."""
    parameters: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    values: dict[str, Any] = {}
    functions: list[Any] = []
    queues: list[Any] = []
    for name, kind in substitutions.items():
        if kind == "literal":  # `${StatewrightDollar}` is `$`: spec text's own `${` (asljson)
            values[name] = "$"
        elif name in _QUEUES:
            queue = _QUEUES[name]
            resources[queue] = {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 300}}
            values[name] = {"Ref": queue}
            queues.append({"Fn::GetAtt": [queue, "Arn"]})
        elif name == EVALUATOR:
            parameters["StatewrightCodeUri"] = {
                "Type": "String",
                "Description": "S3 URI of a zip of the statewright package (the evaluator's code)",
            }
            resources[EVALUATOR] = {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Handler": "statewright.targets.asl.evaluator.handler",
                    "Runtime": "python3.11",
                    "CodeUri": {"Ref": "StatewrightCodeUri"},
                    "Timeout": 30,
                },
            }
            values[name] = {"Fn::GetAtt": [EVALUATOR, "Arn"]}
            functions.append({"Fn::GetAtt": [EVALUATOR, "Arn"]})
        else:
            parameter = logical_id(name) + ("Arn" if kind == "lambda" else "Url")
            what = "ARN of the Lambda function" if kind == "lambda" else "URL of the SQS queue"
            parameters[parameter] = {"Type": "String", "Description": f"{what} serving `{name}`"}
            values[name] = {"Ref": parameter}
            (functions if kind == "lambda" else queues).append({"Ref": parameter})
    statements: list[dict[str, Any]] = []
    if functions:
        statements.append({"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": functions})
    if queues:
        statements.append({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queues})
    properties: dict[str, Any] = {
        "Type": "STANDARD",
        "DefinitionUri": definition_file,
        "DefinitionSubstitutions": values,
    }
    if statements:
        properties["Policies"] = [{"Version": "2012-10-17", "Statement": statements}]
    resources["StateMachine"] = {"Type": "AWS::Serverless::StateMachine", "Properties": properties}
    document: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": f"{machine.name}: the statewright workflow as a Step Functions state machine",
    }
    if parameters:
        document["Parameters"] = parameters
    document["Resources"] = resources
    document["Outputs"] = {"StateMachineArn": {"Value": {"Ref": "StateMachine"}}}
    return asljson.dumps(document) + "\n"


def resource_skeleton(machine: ir.Machine, entries: Mapping[str, Resource]) -> str:
    """A resource map to fill in: every action and the target's own resources, with what is known."""
    document: dict[str, Any] = {}
    for name in [*handler_names(machine), EVENT_QUEUE, EMIT_QUEUE, EVALUATOR]:
        found = entries.get(name)
        if found is None:
            document[name] = (
                {"queue": "${" + name + "Url}"} if name in (EVENT_QUEUE, EMIT_QUEUE) else "${" + name + "}"
            )
        else:
            document[name] = {found.kind: found.address}
    return asljson.dumps(document) + "\n"
