"""Which failed work a redrive runs again: found in the instance's audit log.

A redrive (`runtime/operations.py`) re-owes the invoke whose failure the
instance still shows, under the idempotency key that attempt had. The log says
which: the last applied record that moved the instance is an `error` step, one
that failed the instance (nothing handled the failure) or one a catch routed
(the dead letter) to where the instance still is. The key is the one the failed
state's work was owed under just before that record, read from the instance as
replaying the log up to it rebuilds it (`runtime/replay.py`), so keys made from
the context, and keys the runtime made, are both the ones the handler saw.
"""

from __future__ import annotations

from collections.abc import Sequence

from statewright.runtime.audit import AuditKey
from statewright.runtime.definition import Definition
from statewright.runtime.model import Record
from statewright.runtime.replay import replay

QUIET = frozenset({"soft_timeout", "pause", "resume"})
"""Record kinds that leave the instance where it was: a failure before them is still the last."""
CHAINED = frozenset({"saga_step", "compensation"})
"""Roles of the states a saga's own failure path moves through (not a dead letter)."""


def failure_of(
    definition: Definition, records: Sequence[Record], seed: int = 0, key: AuditKey | None = None
) -> tuple[str, str] | None:
    """The failed state and its work's key, or None when the instance shows no failure to redrive."""
    for position in range(len(records) - 1, -1, -1):
        record = records[position]
        if record.outcome != "applied" or record.kind in QUIET:
            continue
        if record.kind != "error" or record.failure is None or record.target != records[-1].target:
            return None
        if record.status != "failed" and record.transition is None:
            return None  # a retry was scheduled: the work is still owed
        if any(definition.states[leaf].role in CHAINED for leaf in record.target):
            return None  # a saga step's failure is being compensated: its chain runs on
        if position == 0:
            return None
        before = replay(definition, records[:position], seed, key)
        if record.timer is not None and record.timer.startswith("heartbeat:"):
            state = record.timer.split(":", 1)[1]
            owed = before.work.get(state)
            return None if owed is None else (state, owed)
        for state, owed in before.work.items():
            if owed == record.work:
                return (state, owed)
        return None
    return None
