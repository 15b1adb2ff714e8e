"""The built-in `asl` target: a workflow as an AWS Step Functions state machine (Amazon States Language).

See docs/targets/asl.md for the construct-by-construct mapping. The target reads
only the IR. Its public contract for callers of the generated state machine
(resource names, callback messages and answers, timer errors, how to read a
history) is `statewright.targets.asl.protocol`, re-exported here with the target
class; every other module is the builder's own.
"""

from __future__ import annotations

from statewright.plugins.api import Target
from statewright.plugins.hookspecs import hookimpl
from statewright.targets.asl import protocol
from statewright.targets.asl.protocol import (
    EMIT_QUEUE,
    EVALUATOR,
    EVENT_QUEUE,
    HEARTBEAT_ERROR,
    RESOURCE_OPTION,
    WAIT,
    WORK,
    HistoryMap,
    definition_file,
    deployed,
    done_answer,
    emitted_event,
    evaluator_handler,
    event_answer,
    execution_context,
    execution_input,
    heartbeat_budget_split,
    history_map,
    is_evaluator_request,
    queue_options,
    resource_map_file,
    timer_error,
)
from statewright.targets.asl.target import AslTarget

__all__ = [
    "EMIT_QUEUE",
    "EVALUATOR",
    "EVENT_QUEUE",
    "HEARTBEAT_ERROR",
    "RESOURCE_OPTION",
    "WAIT",
    "WORK",
    "AslTarget",
    "HistoryMap",
    "definition_file",
    "deployed",
    "done_answer",
    "emitted_event",
    "evaluator_handler",
    "event_answer",
    "execution_context",
    "execution_input",
    "heartbeat_budget_split",
    "history_map",
    "is_evaluator_request",
    "protocol",
    "queue_options",
    "resource_map_file",
    "statewright_targets",
    "timer_error",
]


@hookimpl
def statewright_targets() -> list[Target]:
    """Provide the `asl` target through the public plugin hook."""
    return [AslTarget()]
