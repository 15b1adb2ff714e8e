"""Delivering emitted events with a bound: one external step causes at most MAX_EMITTED_STEPS more.

An `emit` becomes owed work of kind `emit`, delivered after its step as an event
from the workflow itself. A design whose emitted events re-trigger themselves
(`on ping -> A { emit ping emit ping }`, SW312) would otherwise run forever and
double its audit log at every round. `deliver_emits` runs emitted events until
none is owed and refuses with SW979 past the bound; `cascade` runs an external
step and its emitted events in one batch of the store, so a refused cascade
leaves nothing behind: not the external step, not one emitted step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from statewright.diagnostics.catalog.runtime import EMIT_CASCADE
from statewright.runtime.errors import WorkflowError
from statewright.runtime.model import WorkKind
from statewright.runtime.runner import Runtime

MAX_EMITTED_STEPS = 1000
"""Most steps emitted events may take after one external step (SW979 beyond)."""

T = TypeVar("T")
_EMITS: tuple[WorkKind, ...] = ("emit",)


class EmitCascadeError(WorkflowError):
    """Emitted events kept re-triggering each other past the bound."""

    code = EMIT_CASCADE


def deliver_emits(courier: Runtime, instance_id: str, limit: int = MAX_EMITTED_STEPS) -> int:
    """Deliver the instance's emitted events (and what they emit) until none is owed; return how many.

    `courier` is a runtime whose `run_work` runs emitted events (it needs no handlers
    for them). Raises EmitCascadeError when events are still owed after `limit` steps; the
    steps already taken stay (use `cascade` to take them all or none).
    """
    delivered = 0
    while any(work.kind == "emit" for work in courier.store.work(instance_id)):
        if delivered >= limit:
            raise EmitCascadeError(
                f"instance `{instance_id}`: emitted events took {delivered} steps after one external "
                f"step and still emit more; the workflow's emits re-trigger each other (see SW312)"
            )
        ran = courier.run_work(instance_id, limit=limit - delivered, kinds=_EMITS)
        if ran == 0:
            break  # a paused or finished instance: its emits wait or are dropped by the runtime
        delivered += ran
    return delivered


def cascade(runtime: Runtime, courier: Runtime, instance_id: str, step: Callable[[], T]) -> T:
    """Take `step` (an external step on `instance_id`) and deliver its emitted events, all or none.

    Both run in one batch of the store (`runtime.batch()`): if the emitted events pass
    the bound, the batch is dropped and EmitCascadeError raised, so the store is as before
    the step. A step that is itself refused keeps its refusal record and raises as usual
    (whatever exception the caller's `step` turns the refusal into).
    """
    refused: Exception | None = None
    with runtime.batch():
        try:
            result = step()
        except Exception as error:  # a refusal (as the caller reports it): its record stays
            refused = error
        else:
            deliver_emits(courier, instance_id)
            return result
    assert refused is not None
    raise refused
