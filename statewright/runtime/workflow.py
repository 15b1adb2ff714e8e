"""Durable workflows: a generated module's `Workflow` subclass runs audited instances on a store.

`OrderFulfilment(store)` (SQLite by default when given a path) starts
instances and returns handles (`OrderFulfilmentInstance`); a handle's event
methods (`order.submit(actor=...)`) send through `Runtime`, so every step is
one transaction holding the new snapshot, its audit record, timers and owed
work, and every refusal is recorded before its error is raised. A handle holds
only the instance id: every read goes to the store, so two handles (or two
processes) on one instance always see the committed state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

from statewright import ir
from statewright.runtime import replay
from statewright.runtime.audit import AuditKey
from statewright.runtime.definition import Definition
from statewright.runtime.model import Instance, Record, Status, Timer, Work
from statewright.runtime.runner import Handler, Runtime, system_clock
from statewright.runtime.sqlite import SQLiteStore
from statewright.runtime.store import Store


class InstanceHandle:
    """One stored instance of a workflow; generated subclasses add typed event methods."""

    __slots__ = ("id", "workflow")

    def __init__(self, workflow: Workflow, instance_id: str) -> None:
        """A handle on an instance that exists in `workflow`'s store."""
        self.workflow = workflow
        self.id = instance_id

    @property
    def runtime(self) -> Runtime:
        """The runtime the handle sends through."""
        return self.workflow.runtime

    def send(
        self,
        event: str,
        data: Mapping[str, object] | None = None,
        /,
        *,
        actor: str | None = None,
        permissions: Sequence[str] = (),
        scope: str | None = None,
        key: str | None = None,
        delegate_to: str | None = None,
        **payload: str,
    ) -> Instance:
        """Send `event` with the typed fields it declares (`data`); returns the committed snapshot.

        `data` is checked first (`PayloadInvalid` when a field does not fit); `payload`
        is recorded as the event's evidence.

        A refusal is recorded in the audit log, then raised (`EventNotAllowed`,
        `EventRejected`, `NoGuardHolds`, `PermissionDenied`, `NotRunning`); the
        instance is unchanged. A repeated client `key` is applied only once.
        """
        return self.runtime.send(
            self.id,
            event,
            actor=actor,
            permissions=permissions,
            scope=scope,
            evidence=payload,
            key=key,
            delegate_to=delegate_to,
            data=data,
        )

    def snapshot(self) -> Instance:
        """The stored snapshot."""
        return self.runtime.load(self.id)

    @property
    def leaves(self) -> tuple[str, ...]:
        """The active leaf states' names."""
        return self.snapshot().active

    @property
    def status(self) -> Status:
        """running, paused, cancelled, completed or failed."""
        return self.snapshot().status

    @property
    def values(self) -> dict[str, ir.Value]:
        """The context as a plain mapping of field name to value."""
        return dict(self.snapshot().context)

    def audit(self) -> Sequence[Record]:
        """The instance's audit log, oldest first."""
        return self.runtime.audit(self.id)

    def verify(self) -> Instance:
        """Replay the audit log and check it rebuilds the stored instance (raises `ReplayError`)."""
        runtime = self.runtime
        return replay.check(self.workflow.definition, runtime.store, self.id, runtime.seed, runtime.audit_key)

    @property
    def timers(self) -> Sequence[Timer]:
        """Pending timers, earliest first."""
        return self.runtime.store.timers(self.id)

    @property
    def work(self) -> Sequence[Work]:
        """Work owed and not yet done."""
        return self.runtime.store.work(self.id)

    def report(
        self,
        key: str,
        error: str | None = None,
        *,
        result: Mapping[str, object] | None = None,
        message: str | None = None,
    ) -> Instance:
        """Report the outcome of owed work done elsewhere (see `Runtime.report`).

        `error` is the failure's name and `message` what it said; `result` a success's result fields.
        """
        return self.runtime.report(self.id, key, error, result=result, message=message)

    def run_work(self, limit: int | None = None) -> int:
        """Run this instance's owed work with the registered handlers."""
        return self.runtime.run_work(self.id, limit)

    def pause_instance(self, actor: str | None = None) -> Instance:
        """Pause: events are refused and timers wait until `resume_instance`."""
        return self.runtime.pause(self.id, actor)

    def resume_instance(self, actor: str | None = None) -> Instance:
        """Resume a paused instance from its recorded state."""
        return self.runtime.resume(self.id, actor)

    def cancel_instance(self, actor: str | None = None) -> Instance:
        """Cancel: timers and owed work are dropped; no more events are taken."""
        return self.runtime.cancel(self.id, actor)

    def reroute(
        self, to: str, *, reason: str, actor: str, permissions: Sequence[str] = (), scope: str | None = None
    ) -> Instance:
        """An operator's move to state `to` (needs `role:operator`; see `Runtime.reroute`)."""
        return self.runtime.reroute(
            self.id, to, reason=reason, actor=actor, permissions=permissions, scope=scope
        )

    def rollback(
        self,
        *,
        reason: str,
        actor: str,
        permissions: Sequence[str] = (),
        scope: str | None = None,
        saga: str | None = None,
    ) -> Instance:
        """An operator's undo of the running saga by its compensations (see `Runtime.rollback`)."""
        return self.runtime.rollback(
            self.id, reason=reason, actor=actor, permissions=permissions, scope=scope, saga=saga
        )

    def redrive(
        self, *, reason: str, actor: str, permissions: Sequence[str] = (), scope: str | None = None
    ) -> Instance:
        """An operator's re-run of the failed work under its key (see `Runtime.redrive`)."""
        return self.runtime.redrive(self.id, reason=reason, actor=actor, permissions=permissions, scope=scope)

    def innermost(self) -> str:
        """The single active leaf, or the nearest state containing all active leaves."""
        return self.workflow.definition.hierarchy.innermost(self.leaves)


class Workflow:
    """Durable instances of one workflow on one store; generated subclasses type `start`."""

    definition: ClassVar[Definition]

    def __init__(
        self,
        store: Store | str | Path,
        *,
        handlers: Mapping[str, Handler] | None = None,
        clock: Callable[[], int] = system_clock,
        seed: int = 0,
        audit_key: AuditKey | None = None,
    ) -> None:
        """Run on `store` (a path opens or creates a SQLite store there).

        With `audit_key`, instances started here keep a keyed (HMAC-SHA256) audit chain
        whose key the store never holds; an instance is opened only with the key it started
        with (see `runtime.audit`).
        """
        self._owns_store = isinstance(store, str | Path)
        opened: Store = SQLiteStore(store) if isinstance(store, str | Path) else store
        self.runtime = Runtime(type(self).definition, opened, handlers, clock, seed, audit_key)

    def _start(self, values: Mapping[str, ir.Value], instance_id: str | None, actor: str | None) -> Instance:
        return self.runtime.start(values, instance_id, actor)

    def tick(self, now_ms: int | None = None) -> int:
        """Fire every due timer of every instance; return how many fired."""
        return self.runtime.tick(now_ms)

    def run_work(self, limit: int | None = None) -> int:
        """Run the owed work of every instance with the registered handlers."""
        return self.runtime.run_work(None, limit)

    def instance_ids(self) -> list[str]:
        """The ids of the stored instances of this workflow and version, oldest first."""
        machine = type(self).definition.machine
        return [
            i.id
            for i in self.runtime.store.instances()
            if i.workflow == machine.name and i.workflow_version == machine.version
        ]

    def close(self) -> None:
        """Close the store if this object opened it."""
        if self._owns_store:
            self.runtime.store.close()

    def __enter__(self) -> Self:
        """The workflow itself."""
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """Close the store if this object opened it."""
        self.close()
