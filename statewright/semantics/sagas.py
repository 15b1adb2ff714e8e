"""What leaving a saga owes: the compensations of its completed steps (LANGUAGE.md §9).

Shared by the compiler (`compiler/lower_saga_exits.py` routes every event exit
through these compensations) and the runtime (an operator's reroute out of a saga
owes them too, `runtime/operations.py`), so both read one definition of the debt.
"""

from __future__ import annotations

import dataclasses

from statewright import ir

__all__ = ["Pending", "pending_undo"]


@dataclasses.dataclass(frozen=True, slots=True)
class Pending:
    """What leaving a saga from one of its leaves owes.

    `undo` are the steps whose compensations must run, latest first; `post_pivot`
    is True when the pivot has completed (nothing is undone automatically).
    """

    undo: tuple[ir.SagaStep, ...]
    post_pivot: bool

    @property
    def owes(self) -> bool:
        """True when an exit from this leaf cannot simply go to its target."""
        return self.post_pivot or bool(self.undo)


def pending_undo(saga: ir.Saga) -> dict[str, Pending]:
    """For every leaf of `saga` (steps and compensations), what an exit from it owes.

    A step leaf owes the compensations of the completed compensable steps before
    it, latest first, or is past the pivot; a compensation leaf owes its own
    compensation (in flight) and those of the compensable steps before its step.
    """
    found: dict[str, Pending] = {}
    pivot_seen = False
    for position, step in enumerate(saga.steps):
        before = tuple(s for s in reversed(saga.steps[:position]) if s.compensation is not None)
        found[step.state] = Pending(() if pivot_seen else before, pivot_seen)
        if step.compensation_state is not None:
            found[step.compensation_state] = Pending((step, *before), False)
        pivot_seen = pivot_seen or step.pivot
    return found
