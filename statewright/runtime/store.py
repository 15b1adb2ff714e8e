"""The store interface: what the runtime needs from persistence, and what another backend implements.

A store applies a `Commit` atomically (the new snapshot, its audit record, timer
changes and owed work together, or nothing) and only when the stored version
is the commit's `expected_version` and the record's idempotency key is not used
up; otherwise it raises `ConcurrentUpdate` and changes nothing. Only an applied
record uses up its key (`Record.consumed_key`). Records are append-only.

A store may also offer `batch()`, a context manager under which several commits
are applied all or nothing (group commit: `SQLiteStore` writes them in one
transaction); `Runtime.batch()` uses it when the store has it. It is not part of
the protocol, so a store without it is still a `Store`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from statewright.runtime.model import Commit, Instance, Record, Timer, Work


@runtime_checkable
class Store(Protocol):
    """Durable (or in-memory) storage of instances, audit records, timers and work."""

    def apply(self, commit: Commit) -> None:
        """Apply one step atomically; `expected_version` 0 creates the instance.

        Raises `ConcurrentUpdate` if the stored version differs (or the instance
        already exists on creation), `StoreError` if the store cannot be written.
        """
        ...

    def load(self, instance_id: str) -> Instance:
        """Return the stored snapshot; raises `UnknownInstance`."""
        ...

    def instances(self) -> Sequence[Instance]:
        """Every stored instance, oldest first."""
        ...

    def records(self, instance_id: str) -> Sequence[Record]:
        """The instance's audit log in `seq` order."""
        ...

    def find_key(self, instance_id: str, key: str) -> Record | None:
        """The applied record that used up an idempotency key, if any (a refusal uses up none)."""
        ...

    def timers(self, instance_id: str | None = None) -> Sequence[Timer]:
        """Pending timers (of one instance, or all), earliest first."""
        ...

    def work(self, instance_id: str | None = None) -> Sequence[Work]:
        """Work owed and not yet done (of one instance, or all), in creation order."""
        ...

    def finish_work(self, instance_id: str, key: str) -> None:
        """Mark owed work done outside a step (a `do` handler returned); unknown keys are ignored."""
        ...

    def drop_timer(self, instance_id: str, key: str) -> None:
        """Remove a timer that no longer applies outside a step; unknown keys are ignored."""
        ...

    def close(self) -> None:
        """Release the store's resources."""
        ...
