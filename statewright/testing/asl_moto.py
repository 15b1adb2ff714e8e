"""moto's Step Functions engine set up for scenario runs: execution on, no real sleeping, fresh tokens.

Four changes to moto while a run is active, all undone afterwards: Retry's
backoff sleep is skipped (`time.sleep` in the retrier); a callback endpoint
forgets an answer once its Task has consumed it (moto reuses one task token
for every attempt of a retried `.waitForTaskToken` Task and would otherwise
hand the first attempt's failure to every later attempt; Step Functions itself
issues a new token per attempt); and a missed heartbeat is the error Step
Functions documents. moto reports it as plain `States.Timeout`, so a Retry or
Catch on `States.HeartbeatTimeout` never matched; in Step Functions it matches
`States.HeartbeatTimeout`, and `States.Timeout` and `States.ALL` as well
(States.Timeout covers "failed to heartbeat"), which is what the harness
models (`_heartbeat_error`, `_timeout_covers_heartbeat`); and SendTaskFailure
keeps its `cause` (moto's request handler passed only the error on, so a Catch
saw `"Cause": null` where Step Functions gives the cause: `error.message`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
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
        from moto.stepfunctions.parser.asl.component.common.error_name import error_equals_decl
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
        from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
            state_task_service_callback as service,
        )
        from moto.stepfunctions.responses import StepFunctionResponse
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
    equals_class: Any = error_equals_decl.ErrorEqualsDecl
    original_error, original_equals = task_class._from_error, equals_class._eval_body
    task_class._from_error = _heartbeat_error(original_error)
    equals_class._eval_body = _timeout_covers_heartbeat(original_equals)
    responses: Any = StepFunctionResponse
    original_failure = responses.send_task_failure
    responses.send_task_failure = _failure_with_cause
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            yield boto3.client("stepfunctions", region_name=REGION), boto3.client("sqs", region_name=REGION)
    finally:
        task_class._eval_execution = original_attempt
        retry_module.time = original_time
        task_class._from_error = original_error
        equals_class._eval_body = original_equals
        responses.send_task_failure = original_failure


HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
TIMEOUT = "States.Timeout"


def _heartbeat_error(original: Callable[[Any, Any, Exception], Any]) -> Callable[[Any, Any, Exception], Any]:
    """A Task's failure as moto builds it, but a missed heartbeat named `States.HeartbeatTimeout`."""
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatTimeoutError

    def from_error(self: Any, env: Any, ex: Exception) -> Any:
        event = original(self, env, ex)
        if isinstance(ex, HeartbeatTimeoutError):
            event.error_name = StatesErrorName(typ=StatesErrorNameType.StatesHeartbeatTimeout)
        return event

    return from_error


def _timeout_covers_heartbeat(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """ErrorEquals matching as Step Functions does it: `States.Timeout` also matches a missed heartbeat."""

    def eval_body(self: Any, env: Any) -> None:
        error = env.stack[-1] if env.stack else None
        original(self, env)
        heartbeat = getattr(error, "error_name", None) == HEARTBEAT_TIMEOUT
        if heartbeat and env.stack[-1] is False:
            env.stack[-1] = any(getattr(name, "error_name", None) == TIMEOUT for name in self.error_names)

    return eval_body


def _failure_with_cause(self: Any) -> Any:
    """The SendTaskFailure request handler of moto, passing the request's `cause` on with its `error`."""
    from moto.core.responses import EmptyResult

    token, error, cause = self._get_param("taskToken"), self._get_param("error"), self._get_param("cause")
    self.stepfunction_backend.send_task_failure(token, error=error, cause=cause)
    return EmptyResult()


HEARTBEAT_SETUP_S = 5.0
"""How long `expire_heartbeat` waits for moto to set up the heartbeat of a task it has just started."""


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
    deadline = time.monotonic() + HEARTBEAT_SETUP_S
    while True:  # the task's message can arrive before moto has set up its heartbeat (a loaded machine)
        for execution in backend._get_executions(ExecutionStatus.RUNNING):
            endpoint = execution.exec_worker.env.callback_pool_manager.get(token)
            beat = getattr(endpoint, "_heartbeat_endpoint", None)
            if beat is not None:
                beat._heartbeat_seconds = 0
                beat.notify()
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
