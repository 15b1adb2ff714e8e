"""A worker for generated statewright workflows: the workflow class and its activities on one task queue.

Workflow code runs in Temporal's sandbox; statewright's own modules are passed
through it (they are deterministic, import-time side-effect free and keep no
global state), so every workflow run shares the one imported runtime instead of
re-importing it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

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
) -> Worker:
    """A worker polling `task_queue` for the workflow classes and activities (not yet running)."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(workflows),
        activities=list(activities),
        workflow_runner=sandbox(*passed_through),
    )


async def run_worker(
    client: Client, task_queue: str, workflow: type[Any], activities: Sequence[Callable[..., Any]]
) -> None:
    """Run a worker for one generated workflow class and its activities until cancelled."""
    await make_worker(client, task_queue, [workflow], activities).run()
