"""A worker for generated statewright workflows: the workflow class and its activities on one task queue.

Workflow code runs in Temporal's sandbox; statewright's own modules are passed
through it (they are deterministic, import-time side-effect free and keep no
global state), so every workflow run shares the one imported runtime instead of
re-importing it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

SDK_THROTTLE = timedelta(seconds=60)
"""The SDK's own cap on holding heartbeats back."""
PASSED_THROUGH = ("statewright",)
"""Modules the sandbox shares with the worker instead of re-importing per run."""


def sandbox(*modules: str) -> SandboxedWorkflowRunner:
    """Temporal's sandboxed workflow runner with statewright (and `modules`) passed through."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH, *modules)
    return SandboxedWorkflowRunner(restrictions=restrictions)


def make_worker(
    client: Client,
    task_queue: str,
    workflows: Sequence[type[Any]],
    activities: Sequence[Callable[..., Any]],
    passed_through: Sequence[str] = (),
    heartbeat_throttle: timedelta | None = None,
) -> Worker:
    """A worker polling `task_queue` for the workflow classes and activities (not yet running).

    `heartbeat_throttle` caps how long the SDK holds an activity's heartbeats back
    (by default 80% of the heartbeat timeout, at most a minute).
    """
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(workflows),
        activities=list(activities),
        workflow_runner=sandbox(*passed_through),
        max_heartbeat_throttle_interval=heartbeat_throttle or SDK_THROTTLE,
    )


async def run_worker(
    client: Client, task_queue: str, workflow: type[Any], activities: Sequence[Callable[..., Any]]
) -> None:
    """Run a worker for one generated workflow class and its activities until cancelled."""
    await make_worker(client, task_queue, [workflow], activities).run()
