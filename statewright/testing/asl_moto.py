"""moto's Step Functions engine set up for scenario runs: execution on, no real sleeping, fresh tokens.

Two changes to moto while a run is active, both undone afterwards: Retry's
backoff sleep is skipped (`time.sleep` in the retrier), and a callback
endpoint forgets an answer once its Task has consumed it. moto reuses one task
token for every attempt of a retried `.waitForTaskToken` Task and would
otherwise hand the first attempt's failure to every later attempt; Step
Functions itself issues a new token per attempt.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/statewright-scenarios"


class MotoMissingError(RuntimeError):
    """moto (with its Step Functions extra) and boto3 are needed to run scenarios on the asl engine."""


class _NoSleep:
    @staticmethod
    def sleep(_seconds: float) -> None:
        """Backoff is skipped: the scenario, not the clock, says when the next attempt is answered."""


@contextlib.contextmanager
def moto_session() -> Iterator[tuple[Any, Any]]:
    """An in-memory AWS with Step Functions execution turned on: (sfn client, sqs client)."""
    try:
        import boto3
        from moto import mock_aws
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
        from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
            state_task_service_callback as service,
        )
    except ImportError as error:  # pragma: no cover - exercised only without the dev extras
        raise MotoMissingError(
            "the asl engine needs moto[stepfunctions] and boto3 (pip install 'moto[stepfunctions]' boto3)"
        ) from error
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    task_class: Any = service.StateTaskServiceCallback
    retry_module: Any = retrier_decl
    original_attempt = task_class._eval_execution
    original_time = retry_module.time

    def fresh_attempt(self: Any, env: Any) -> None:
        token = env.states.context_object.context_object_data.get("Task", {}).get("Token")
        endpoint = env.callback_pool_manager.get(token) if token else None
        if endpoint is not None:  # a retried attempt starts with no answer
            endpoint._outcome = None
            endpoint._notify_event.clear()
        original_attempt(self, env)

    task_class._eval_execution = fresh_attempt
    retry_module.time = _NoSleep
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            yield boto3.client("stepfunctions", region_name=REGION), boto3.client("sqs", region_name=REGION)
    finally:
        task_class._eval_execution = original_attempt
        retry_module.time = original_time


def expire_heartbeat(token: str) -> bool:
    """Make the Task waiting on `token` miss its heartbeat now (States.HeartbeatTimeout).

    An error name starting with `States.` cannot be sent with SendTaskFailure, so the
    driver shortens the pending heartbeat instead of waiting HeartbeatSeconds.
    """
    from moto import core
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    account: str = getattr(core, "DEFAULT_ACCOUNT_ID")  # noqa: B009 - not in moto's public exports
    backend = stepfunctions_parser_backends[account][REGION]
    for execution in backend._get_executions(ExecutionStatus.RUNNING):
        endpoint = execution.exec_worker.env.callback_pool_manager.get(token)
        beat = getattr(endpoint, "_heartbeat_endpoint", None)
        if beat is not None:
            beat._heartbeat_seconds = 0
            beat.notify()
            return True
    return False
