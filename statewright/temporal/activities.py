"""Activities: a user's implementation of one IR action, wrapped as the Temporal activity the shell starts.

`define(definition, action, implementation)` turns `async def (call: ActivityCall)
-> dict | None` into the activity registered under `action`. The wrapper gives
the two rules the runtime applies to work results one meaning on Temporal:

- a failure (any exception; an `ApplicationError` keeps its `type`, another
  exception is named by its class, as `runtime.runner` names it) of invoked
  work is marked non-retryable when the invoking state's retry policy does not
  retry that error (`semantics.retries.retryable`: `retry_on` is a whitelist, Temporal's
  `non_retryable_error_types` a blacklist), so Temporal's `RetryPolicy` retries
  exactly what the runtime would;
- a result of work that declares `returns` is checked against those fields
  (`semantics.inputs.check_fields`); one that does not fit is a `ResultInvalid`
  failure with the runtime's message, retried like any failure.

`call.attempt` is Temporal's attempt number (1-based, across retries).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from statewright import ir
from statewright.runtime import codec
from statewright.runtime.definition import Definition
from statewright.semantics import retries
from statewright.semantics.inputs import RESULT_INVALID, check_fields, result_invalid_message
from statewright.temporal.protocol import ActivityCall

Implementation = Callable[[ActivityCall], Awaitable[Mapping[str, Any] | None]]
"""What a user writes for one action: the call in, the result fields (codec JSON) or None out."""
Activity = Callable[[ActivityCall], Awaitable[dict[str, Any] | None]]
"""The registered activity (`activity.defn(name=action)` applied)."""


def policy_of(definition: Definition, state: str | None) -> ir.RetryPolicy | None:
    """The retry policy of the work `state` invokes (None: no policy, or work owed without a state)."""
    found = definition.states.get(state) if state is not None else None
    return found.invoke.retry if found is not None and found.invoke is not None else None


def failure(definition: Definition, call: ActivityCall, error: BaseException) -> ApplicationError:
    """The `ApplicationError` an implementation's failure becomes: named, non-retryable unless retried."""
    if isinstance(error, ApplicationError):
        name, message = error.type or type(error).__name__, error.message
    else:
        name, message = type(error).__name__, str(error)
    # A `do` action is retried until it succeeds (the runtime keeps failed `do` work owed and runs it
    # again); invoked work as its state's retry policy says.
    retried = call.kind == "do" or retries.retryable(policy_of(definition, call.state), name)
    if isinstance(error, ApplicationError) and (error.non_retryable or retried):
        return error
    category = error.category if isinstance(error, ApplicationError) else ApplicationErrorCategory.UNSPECIFIED
    return ApplicationError(message, type=name, non_retryable=not retried, category=category)


def checked_result(definition: Definition, call: ActivityCall, returned: object) -> dict[str, Any] | None:
    """The result an activity returns, checked against the fields its invoke `returns` (ResultInvalid)."""
    fields = definition.results.get(call.state or "", ()) if call.kind != "do" else ()
    if not fields:
        return dict(returned) if isinstance(returned, Mapping) else None
    if returned is not None and not isinstance(returned, Mapping):
        message = (
            f"the handler of `{call.action}` returned {type(returned).__name__}, "
            "not a mapping of its result fields"
        )
        raise failure(definition, call, ApplicationError(message, type=RESULT_INVALID))
    data = dict(returned or {})
    values: dict[str, object] = {}
    for name, value in data.items():
        try:
            values[name] = codec.decode_value(value)
        except ValueError:
            values[name] = value
    _, problems = check_fields(fields, values)
    if problems:
        message = result_invalid_message(call.action, problems)
        raise failure(definition, call, ApplicationError(message, type=RESULT_INVALID))
    return data


def define(definition: Definition, action: str, implementation: Implementation) -> Activity:
    """The activity registered under `action` that runs `implementation` with the runtime's result rules."""

    async def run(call: ActivityCall) -> dict[str, Any] | None:
        call = dataclasses.replace(call, attempt=activity.info().attempt)
        try:
            returned = await implementation(call)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            converted = failure(definition, call, error)
            if converted is error:
                raise
            raise converted from error
        return checked_result(definition, call, returned)

    run.__name__ = run.__qualname__ = f"statewright_{action}"
    return activity.defn(name=action)(run)
