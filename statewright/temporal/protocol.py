"""The wire contract between a generated Temporal module, its workers and its clients.

Everything here crosses Temporal's data converter (JSON), so it is plain data:
frozen dataclasses of strings, numbers, lists and dicts. Context values, payload
data and results travel in the runtime codec's JSON form
(`statewright.runtime.codec.encode_value` / `encode_context`: decimals as exact
strings), never as Python objects the converter would guess at.

Names fixed here (the generated module, `statewright.testing.temporal_engine`,
the worker entry point and the durability tests all rely on them):

- the workflow type is the machine's name (`ir.Machine.name`);
- `SEND_UPDATE` is the generic update every generated workflow accepts: a
  `SendRequest` in, a `SendAnswer` out; a refusal (the runtime's `EventRejected`,
  `EventNotAllowed`, `NoGuardHolds`, `PermissionDenied`, `PayloadInvalid`, ...)
  fails the update with a `temporalio.exceptions.ApplicationError` whose `type`
  is the runtime error's class name and whose `details[0]` is a `Refusal`;
  nothing is applied. Generated modules add one typed update per event that
  calls the same code;
- `SNAPSHOT_QUERY` returns a `Snapshot`;
- every activity is registered under the IR action's name and takes one
  `ActivityCall`; it returns the action's result fields (a dict, codec JSON) or
  None; a failure is an `ApplicationError` whose `type` is the error's name
  (matched against `retry_on` and `on error` catches) and whose message is the
  failure's message;
- `StartInput` starts the workflow (the starting context's fields, codec JSON).

The shell (`statewright.temporal.shell.StatewrightWorkflow`) and the generated
module meet here; the generated class declares every Temporal handler itself
(no handler is inherited) and delegates to the base:

- class attributes the generated class sets: `definition` (the runtime
  `Definition` loaded from the embedded IR) and `activity_settings`
  (`Mapping[str, ActivitySettings]`, keyed by the IR state that invokes the work,
  or by the action's name for work owed without a state);
- `async def _execute(self, start: StartInput) -> Snapshot` (the `@workflow.run` body),
  `async def _send(self, request: SendRequest) -> SendAnswer` (every update's body),
  `def _validate_send(self, request: SendRequest) -> None` (every update's validator),
  `def _snapshot(self) -> Snapshot` (the query's body);
- `statewright.temporal.activities.define(definition, action, implementation)`
  turns a user's `async def (call: ActivityCall) -> dict | None` into the
  activity registered under `action` (it checks results, marks failures the
  retry policy does not retry as non-retryable);
- `statewright.temporal.worker.run_worker(client, task_queue, workflow, activities)`
  runs a worker until cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEND_UPDATE = "statewright_send"
"""The generic update: deliver one event to the instance, answered with a `SendAnswer` or a refusal."""
SEND_SIGNAL = "statewright_signal"
"""The fire-and-forget variant of `SEND_UPDATE`: a `SendRequest` applied like the update's, a refusal
only logged (the sender learns nothing; use the update when it must)."""
SNAPSHOT_QUERY = "statewright_snapshot"
"""The query returning the instance's `Snapshot`."""


@dataclass(frozen=True)
class StartInput:
    """How a workflow run starts: the context fields that differ from the defaults, and who started it."""

    context: dict[str, Any] = field(default_factory=dict)
    actor: str | None = None
    seed: int = 0


@dataclass(frozen=True)
class SendRequest:
    """One event for the instance: the event's name, its typed payload and the sender's identity.

    `permissions` are the roles the sender holds (`role:...`), `scope` the scope
    lock the sender works under, `delegate_to` the delegate of a `delegate`
    event, `evidence` the free-text evidence recorded with the transition, and
    `key` an idempotency key (a repeated key is answered as before, applied once).
    """

    event: str
    data: dict[str, Any] = field(default_factory=dict)
    actor: str | None = None
    permissions: list[str] = field(default_factory=list)
    scope: str | None = None
    delegate_to: str | None = None
    evidence: dict[str, str] = field(default_factory=dict)
    key: str | None = None


@dataclass(frozen=True)
class SendAnswer:
    """What an accepted event did: the leaf states entered, in order, and the configuration after it."""

    entered: list[str]
    active: list[str]
    status: str


@dataclass(frozen=True)
class Refusal:
    """Why an event was refused, as the runtime says it: its stable code, the error class and the message."""

    code: str
    error: str
    message: str


@dataclass(frozen=True)
class OwedWork:
    """Work the instance is waiting for: the action, the state that invoked it, its key and attempt."""

    action: str
    state: str | None
    key: str
    attempt: int
    kind: str


@dataclass(frozen=True)
class Snapshot:
    """The instance as a query sees it: active leaves (sorted), status, context (codec JSON), owed work."""

    workflow: str
    active: list[str]
    status: str
    context: dict[str, Any]
    work: list[OwedWork] = field(default_factory=list)
    timers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ActivityCall:
    """The single argument of every generated activity.

    `key` is the work's idempotency key (stable across retries and worker
    restarts; pass it to the service you call), `attempt` the attempt number
    (1-based), `instance` the workflow id, `context` the instance's context when
    the work was owed (codec JSON), `kind` what the work is (`invoke`,
    `compensate`, `do`, `emit`).
    """

    action: str
    key: str
    instance: str
    state: str | None
    attempt: int
    kind: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActivitySettings:
    """How one activity runs on Temporal, as the generated module's table states it (from the IR).

    Durations in milliseconds; None means "not bounded by this setting".
    `maximum_attempts` counts the first attempt (max_retries + 1; 0 means
    unlimited); `retry_on` None retries every error, else only those named (the
    activity wrapper marks the others non-retryable); `wait_cancellation_completed`
    is set for compensation-critical work (saga steps and their compensations).
    `source_line` is the DSL line the settings come from.
    """

    start_to_close_ms: int | None = None
    heartbeat_ms: int | None = None
    initial_interval_ms: int = 1000
    backoff_coefficient: float = 1.0
    maximum_interval_ms: int | None = None
    maximum_attempts: int = 1
    retry_on: tuple[str, ...] | None = None
    wait_cancellation_completed: bool = False
    source_line: int | None = None
