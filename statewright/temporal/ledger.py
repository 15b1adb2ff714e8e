"""What a Temporal workflow holds in memory for one instance: the runtime's snapshot, timers and outbox.

The runtime keeps an instance in a store (`runtime.store`); inside a Temporal
workflow the event history is the durable log, so the shell keeps the same
values in workflow memory instead: the `Instance` snapshot, its pending
`Timer`s and its owed `Work`, changed only by applying the `Commit`s the
runtime's pure step functions return, exactly as a store applies them
(`MemoryStore.apply`: cancelled timers out, new timers in, done work out, new
work in at the end of the outbox). `Ledger.copy` is a working copy: a step
with consequences (eventless steps, emitted events) is computed on one and
kept only when the whole of it stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from statewright.runtime.definition import Definition
from statewright.runtime.model import Commit, Instance, Record, Timer, Work

MAX_WARNINGS = 100
"""Soft-timeout warnings a snapshot keeps (the latest ones)."""


@dataclass
class Ledger:
    """One instance's snapshot, pending timers (by key) and owed work (by key, in creation order)."""

    instance: Instance
    timers: dict[str, Timer] = field(default_factory=dict)
    work: dict[str, Work] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    entered: list[str] = field(default_factory=list)
    """The leaves entered by the steps applied to this copy, in order (`entered_leaves`)."""
    steps: int = 0
    """How many commits (refusals recorded by eventless steps too) were applied to this copy."""

    def copy(self) -> Ledger:
        """A working copy: applying commits to it leaves this one as it is."""
        return Ledger(
            self.instance,
            dict(self.timers),
            dict(self.work),
            list(self.warnings),
            list(self.entered),
            self.steps,
        )

    def apply(self, definition: Definition, commit: Commit) -> None:
        """Apply one commit as a store does, and note the leaves it entered and the warning it records."""
        self.instance = commit.instance
        for key in commit.cancel_timers:
            self.timers.pop(key, None)
        for timer in commit.timers:
            self.timers[timer.key] = timer
        for key in commit.done_work:
            self.work.pop(key, None)
        for item in commit.work:
            self.work.pop(item.key, None)
            self.work[item.key] = item
        record = commit.record
        self.steps += 1
        self.entered.extend(entered_leaves(definition, record))
        if record.kind == "soft_timeout" and record.outcome == "applied" and record.reason:
            self.warnings = [*self.warnings, record.reason][-MAX_WARNINGS:]


def entered_leaves(definition: Definition, record: Record) -> list[str]:
    """The leaf states an applied record entered, in document order, a re-entered leaf included.

    The leaves in the record's target that were not in its source, plus the
    leaves its transition re-entered (a self-loop leaves and enters its state):
    what a scenario observes as `entered` (`testing.scenario.Observation`).
    """
    if record.outcome != "applied":
        return []
    before = set(record.source)
    leaves = [leaf for leaf in record.target if leaf not in before]
    if record.transition is not None:
        taken = definition.transitions[record.transition]
        if taken.target is not None:
            again = definition.hierarchy.entered(taken.source, taken.target)
            leaves.extend(leaf for leaf in again if leaf in before and leaf in record.target)
    order = definition.hierarchy.order
    return sorted(dict.fromkeys(leaves), key=order.__getitem__)
