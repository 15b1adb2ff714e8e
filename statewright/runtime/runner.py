"""The runtime driver: runs workflow instances on a store, with handlers and an injectable clock.

`Runtime` loads a snapshot, computes a step with `engine` (pure), applies its
commit atomically, and only then raises a refusal's error or runs owed work.
Contract: state transitions happen exactly once (a commit applies only on the
version it was computed from, and a client's idempotency key is applied once);
actions run at least once, each with a stable key, so handlers must be
idempotent on that key. Work owed by a committed step survives a crash in the
store's outbox and runs on the next `run_work`.

`Runtime.batch()` is group commit: the steps taken inside it are computed and
checked one by one, but committed together in one store transaction when the
block ends (much faster: one durable write for the lot), and all of them are
lost if it fails; see its docstring for the trade-off.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from typing import Literal

from statewright import ir
from statewright.diagnostics.catalog.operations import NOTHING_TO_REDRIVE
from statewright.runtime import audit, engine, operations
from statewright.runtime.audit import AuditKey, keyed
from statewright.runtime.definition import Definition
from statewright.runtime.engine import RESULT_INVALID, Request, Step
from statewright.runtime.errors import (
    AuditKeyMismatch,
    ConcurrentUpdate,
    DefinitionChanged,
    InvariantBroken,
    KeyReused,
    NotRunning,
    UnknownHandler,
    UnknownWork,
    WorkflowError,
    WrongWorkflow,
)
from statewright.runtime.failures import failure_of
from statewright.runtime.model import Instance, Record, Work, WorkKind
from statewright.runtime.store import Store
from statewright.semantics.inputs import check_fields

MAX_SETTLE = 1000
"""Eventless steps one event may cause before the runtime stops following them (a livelock guard)."""

_ANONYMOUS = Request()


@dataclass(frozen=True, slots=True)
class Call:
    """What a handler receives: the action, its idempotency key, the attempt, and the context."""

    instance: str
    action: str
    key: str
    attempt: int
    context: Mapping[str, ir.Value]
    state: str | None
    service: str | None


Handler = Callable[[Call], object]


def request_difference(
    prior: Record, event: str, request: Request, data: Mapping[str, ir.Value] | None = None
) -> list[str]:
    """What differs between the request a record applied and a new one under the same key.

    The request is what was asked (the event and its payload `data` as the
    event read it, who asked, in which scope, with which evidence, delegating to
    whom); the permissions presented are credentials, not part of the request,
    so a retry may present others. `data` None: not compared.
    """
    pairs = (
        ("data", data is None or dict(prior.data) == dict(data)),
        ("event", prior.kind == "event" and prior.event == event),
        ("actor", prior.actor == request.actor),
        ("scope", prior.request_scope == request.scope),
        ("evidence", dict(prior.evidence) == dict(request.evidence)),
        ("delegate", prior.delegate_to == request.delegate_to),
    )
    return [name for name, same in pairs if not same]


def definition_mismatch(instance: Instance, identity: str) -> str:
    """Why an instance may not run on a definition with `identity` (its name and version matched).

    An instance records the identity of the definition that started it; the same
    name and version with another identity is a spec edited without bumping
    `version`, and running on it could crash (a renamed state) or silently change
    what the instance accepts (a type, an approver role). An instance stored
    before identities were recorded has none: it is refused too, since nothing
    shows the definition is the one that started it.
    """
    name = f"`{instance.workflow}` version {instance.workflow_version}"
    if not instance.definition:
        return (
            f"instance `{instance.id}` was stored without the identity of the definition that started it "
            f"(by a statewright before definitions were recorded), so nothing shows that this {name} is "
            "that definition; finish it with the statewright release that started it"
        )
    return (
        f"instance `{instance.id}` was started by a definition of {name} with identity "
        f"{instance.definition[:19]}…, and this one is {identity[:19]}…: the spec changed without a new "
        "`version`; run this instance with the spec that started it, or bump `version` and migrate "
        "with `statewright run migrate OLD.wf --db FILE --to NEW.wf` (`statewright diff OLD.wf NEW.wf` "
        "shows which states can move)"
    )


def system_clock() -> int:
    """Milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


class Runtime:
    """Instances of one workflow on one store."""

    def __init__(
        self,
        definition: Definition,
        store: Store,
        handlers: Mapping[str, Handler] | None = None,
        clock: Callable[[], int] = system_clock,
        seed: int = 0,
        audit_key: AuditKey | None = None,
    ) -> None:
        self.definition = definition
        self.store = store
        self.handlers = dict(handlers or {})
        self.clock = clock
        self.seed = seed
        self.audit_key = audit_key
        """The key of the keyed audit chain (`runtime.audit`); None: the plain SHA-256 chain."""
        self._known: dict[str, Instance] = {}
        """Snapshots this runtime committed last; a stale one fails the store's version check."""
        self._finished: dict[str, list[str]] = {}
        """Instance id -> keys of work that `run_work` ran and has not yet marked done in the store:
        they are marked with the instance's next commit, or together when `run_work` ends."""

    # ------------------------------------------------------------------ instances

    def start(
        self,
        values: Mapping[str, ir.Value] | None = None,
        instance_id: str | None = None,
        actor: str | None = None,
    ) -> Instance:
        """Create an instance (validated context), then follow its eventless steps."""
        step = engine.start(
            self.definition,
            instance_id or uuid.uuid4().hex,
            dict(values or {}),
            self.clock(),
            Request(actor=actor),
        )
        step = self._commit(step)
        return self._settle(step.commit.instance)

    def load(self, instance_id: str) -> Instance:
        """The stored snapshot of an instance of this workflow."""
        instance = self.store.load(instance_id)
        if instance.workflow != self.definition.name:
            raise WrongWorkflow(
                f"instance `{instance_id}` runs `{instance.workflow}`, not `{self.definition.name}`"
            )
        if instance.workflow_version != self.definition.machine.version:
            raise WrongWorkflow(
                f"instance `{instance_id}` was started by version {instance.workflow_version} of "
                f"`{instance.workflow}`, and this definition is version {self.definition.machine.version}; "
                "run it with the definition that started it"
                + (
                    ", or move it to this version with `statewright run migrate OLD.wf --db FILE --to NEW.wf`"
                    if (instance.workflow_version or 0) < (self.definition.machine.version or 0)
                    else ""
                )
            )
        if instance.definition != self.definition.identity:
            raise DefinitionChanged(definition_mismatch(instance, self.definition.identity))
        problem = audit.mismatch(instance_id, instance.audit_key, self.audit_key)
        if problem is not None:
            raise AuditKeyMismatch(problem)
        return instance

    def send(
        self,
        instance_id: str,
        event: str,
        *,
        actor: str | None = None,
        permissions: Sequence[str] = (),
        scope: str | None = None,
        evidence: Mapping[str, str] | None = None,
        key: str | None = None,
        delegate_to: str | None = None,
        data: Mapping[str, object] | None = None,
    ) -> Instance:
        """Send an event with its payload `data`; a refusal is recorded, then raised.

        The payload is checked first against the fields the event declares: a
        missing, undeclared or ill-typed field is refused with `PayloadInvalid`
        (SW974), recorded, and nothing is applied. A repeated `key` is applied only once.

        Only an applied step uses up its `key`: a refused request is recorded with
        its key and may be sent again under it (with the permission it lacked, say).
        The same request again under a used key changes nothing and returns the
        stored snapshot; a different request (event, actor, scope, evidence or
        delegate) under it raises `KeyReused` (SW975) and changes nothing.
        """
        if actor is None and not permissions and scope is None and not evidence and delegate_to is None:
            request = _ANONYMOUS if key is None else Request(key=key)
        else:
            request = Request(actor, tuple(permissions), scope, dict(evidence or {}), key, delegate_to)
        known = self._known.get(instance_id)
        instance = known or self.load(instance_id)
        if key is not None:
            prior = self.store.find_key(instance_id, key)
            if prior is not None:
                return self._repeated(instance_id, prior, event, request, data)
        while True:
            try:
                step = engine.send(self.definition, instance, event, self.clock(), request, data)
                step = self._commit(step)
                break
            except (ConcurrentUpdate, NotRunning):
                if key is not None:
                    prior = self.store.find_key(instance_id, key)
                    if prior is not None:  # another writer applied it meanwhile
                        return self._repeated(instance_id, prior, event, request, data)
                if known is None:
                    raise
                # Another writer moved it since this runtime's last commit: recompute on the stored snapshot.
                self._known.pop(instance_id, None)
                known = None
                instance = self.load(instance_id)
        if step.error is not None:
            raise step.error
        return self._settle(step.commit.instance)

    def _repeated(
        self,
        instance_id: str,
        prior: Record,
        event: str,
        request: Request,
        data: Mapping[str, object] | None = None,
    ) -> Instance:
        """A key already used up: the stored snapshot for the same request, `KeyReused` for another.

        The payloads are compared as the event reads them (defaults filled in).
        """
        fields = self.definition.payloads.get(event, ())
        values, problems = check_fields(fields, data or {})
        differs = request_difference(prior, event, request, values)
        if problems and "data" not in differs:
            differs.append("data")
        if differs:
            raise KeyReused(
                f"idempotency key `{prior.key}` was used by record {prior.seq} of instance `{instance_id}` "
                f"for another request (its {', '.join(differs)} differ); nothing was applied"
            )
        return self.load(instance_id)  # applied before: once is enough

    def pause(self, instance_id: str, actor: str | None = None) -> Instance:
        """Pause: events are refused and timers wait until `resume`."""
        return self._control(instance_id, "pause", actor)

    def resume(self, instance_id: str, actor: str | None = None) -> Instance:
        """Resume a paused instance from its recorded state."""
        return self._control(instance_id, "resume", actor)

    def cancel(self, instance_id: str, actor: str | None = None) -> Instance:
        """Cancel: timers and owed work are dropped; the instance takes no more events."""
        return self._control(instance_id, "cancel", actor)

    def _control(
        self, instance_id: str, action: Literal["pause", "resume", "cancel"], actor: str | None
    ) -> Instance:
        step = engine.control(
            self.definition, self.load(instance_id), action, self.clock(), Request(actor=actor)
        )
        return self._apply(step)

    # ------------------------------------------------------------------ operator repairs

    def reroute(
        self,
        instance_id: str,
        to: str,
        *,
        reason: str,
        actor: str,
        permissions: Sequence[str] = (),
        scope: str | None = None,
    ) -> Instance:
        """Move an instance to state `to` by hand, exiting and entering as a transition does.

        An operator repair (docs/OPERATIONS.md): it needs `role:operator` among
        `permissions` (and the workflow's scope), records a `reroute` with the actor
        and the reason, and owes the compensations of a saga it leaves. A refusal
        (SW070-SW072, SW968, SW971) changes and records nothing.
        """
        request = Request(actor, tuple(permissions), scope)
        step = operations.reroute(self.definition, self.load(instance_id), to, self.clock(), request, reason)
        return self._apply(step)

    def rollback(
        self,
        instance_id: str,
        *,
        reason: str,
        actor: str,
        permissions: Sequence[str] = (),
        scope: str | None = None,
        saga: str | None = None,
    ) -> Instance:
        """Undo the running saga (`saga`, or every active one): its compensations run, latest first.

        Records a `rollback`; the saga's own compensation chain then runs as the
        owed work finishes and leaves through `compensated`. SW073 when nothing can
        be undone (no saga, its first step, a saga already compensating or past its pivot).
        """
        request = Request(actor, tuple(permissions), scope)
        instance = self.load(instance_id)
        step = operations.rollback(self.definition, instance, self.clock(), request, reason, saga)
        return self._apply(step)

    def redrive(
        self,
        instance_id: str,
        *,
        reason: str,
        actor: str,
        permissions: Sequence[str] = (),
        scope: str | None = None,
    ) -> Instance:
        """Run failed work again from where it failed, under the same idempotency key, attempt 1.

        For an instance that failed because nothing handled a failure, or that waits
        where a catch (a `dead_letter`) sent it; records a `redrive`. SW074 when the
        log shows no such failure.
        """
        request = Request(actor, tuple(permissions), scope)
        operations.authorise(self.definition, request, reason)
        instance = self.load(instance_id)
        if instance.status not in ("running", "failed"):
            raise NotRunning(f"cannot redrive instance `{instance_id}`: it is {instance.status}")
        found = failure_of(self.definition, self.store.records(instance_id), self.seed, self.audit_key)
        if found is None:
            raise operations.OperationRefusedError(
                f"instance `{instance_id}` ({instance.status}, in "
                f"{', '.join(f'`{leaf}`' for leaf in instance.active)}) shows no failed work to run again",
                code=NOTHING_TO_REDRIVE,
            )
        state, key = found
        step = operations.redrive(self.definition, instance, state, key, self.clock(), request, reason)
        return self._apply(step)

    def forget(self, instance_id: str) -> None:
        """Drop the snapshot this runtime committed last, so the next step reloads it from the store.

        For a caller that changed the stored snapshot itself (the in-memory machine
        writing back its pure moves).
        """
        self._known.pop(instance_id, None)

    def batch(self) -> AbstractContextManager[None]:
        """Take several steps as one group commit: `with runtime.batch(): ...`.

        Every step inside the block is computed and checked as usual (a conflict or
        a refusal raises at its `send`), and the audit log reads as if each had
        been committed on its own, but the store writes them together, in one
        transaction, when the block ends. The trade-off is durability: none of them
        is durable until the block ends, and they commit all or nothing. If the
        block raises (an uncaught refusal too) or the final write fails, every step
        of the batch is lost, as if none had been taken. Owed work runs only
        through `run_work`, so run it after the batch, once its steps are durable.
        While a batch is open the store serves no other thread or process.

        Needs a store with `batch()` (`SQLiteStore`, `MemoryStore`); TypeError otherwise.
        """
        opener = getattr(self.store, "batch", None)
        if opener is None:
            raise TypeError(f"{type(self.store).__name__} cannot batch: it has no `batch()`")
        return self._batch(opener)

    @contextmanager
    def _batch(self, opener: Callable[[], AbstractContextManager[object]]) -> Iterator[None]:
        known = dict(self._known)
        try:
            with opener():
                yield
        except BaseException:
            self._known = known  # the batch's snapshots were never committed
            raise

    def audit(self, instance_id: str) -> Sequence[Record]:
        """The instance's audit log."""
        self.load(instance_id)
        return self.store.records(instance_id)

    # ------------------------------------------------------------------ applying steps

    def _apply(self, step: Step) -> Instance:
        step = self._commit(step)
        if step.error is not None:
            raise step.error
        return self._settle(step.commit.instance)

    def _commit(self, step: Step) -> Step:
        """Apply the step (on the keyed chain when this runtime holds a key); return what was applied.

        Work `run_work` finished for the instance and has not marked done yet is marked
        done by this commit (`_finished`).
        """
        if self.audit_key is not None:
            step = Step(keyed(step.commit, self.audit_key), step.error)
        name = step.commit.instance.id
        finished = self._finished.pop(name, None)
        commit = step.commit
        if finished:
            commit = replace(commit, done_work=(*commit.done_work, *finished))
        try:
            self.store.apply(commit)
        except BaseException as exc:
            if finished:
                self._finished.setdefault(name, []).extend(finished)
            if isinstance(exc, ConcurrentUpdate):
                self._known.pop(name, None)
            raise
        self._known[step.commit.instance.id] = step.commit.instance
        return step

    def _settle(self, instance: Instance) -> Instance:
        """Follow enabled eventless transitions, one committed step each.

        A refused eventless step (its `set` would break a range or an invariant) is
        recorded once and ends the settling: the instance stays where it was.
        """
        for _ in range(MAX_SETTLE):
            step = engine.settle(self.definition, instance, self.clock())
            if step is None:
                return instance
            try:
                step = self._commit(step)
            except ConcurrentUpdate:
                # Another writer committed after our step: it settles from a snapshot that holds
                # ours, so this caller's step stands (raising would invite a second send).
                return self.load(instance.id)
            instance = step.commit.instance
            if step.error is not None:
                return instance
        return instance

    # ------------------------------------------------------------------ timers and work

    def tick(self, now_ms: int | None = None) -> int:
        """Fire every timer due by now (or `now_ms`) of running instances; return how many fired."""
        now = self.clock() if now_ms is None else now_ms
        fired = 0
        due = [timer for timer in self.store.timers() if timer.due_ms <= now]
        for timer in due:
            # An earlier firing may have cancelled (or re-armed) this timer: fire only what is pending.
            if timer not in self.store.timers(timer.instance):
                continue
            try:
                instance = self.load(timer.instance)
            except WorkflowError:
                continue
            if instance.status != "running":
                continue
            step = engine.fire(self.definition, instance, timer, now)
            if step is None:
                self.store.drop_timer(timer.instance, timer.key)
                continue
            try:
                step = self._commit(step)
            except ConcurrentUpdate:
                continue
            if step.error is not None:
                continue  # refused (recorded): the timer stays pending
            self._settle(step.commit.instance)
            fired += 1
        return fired

    def fire_now(self, instance_id: str, key: str) -> Instance:
        """Fire one pending timer of an instance now, ahead of its due time; others wait.

        For operators skipping a backoff and for tests that let one timeout happen
        without moving the clock for every other timer. Raises `UnknownWork` when
        the instance has no pending timer with this key; a refused firing is
        recorded and the timer stays pending, as with `tick`.
        """
        instance = self.load(instance_id)
        timer = next((t for t in self.store.timers(instance_id) if t.key == key), None)
        if timer is None:
            pending = ", ".join(f"`{t.key}`" for t in self.store.timers(instance_id))
            raise UnknownWork(
                f"instance `{instance_id}` has no pending timer `{key}`; pending: {pending or 'none'}"
            )
        if instance.status != "running":
            raise NotRunning(f"instance `{instance_id}` is {instance.status}; its timers wait")
        step = engine.fire(self.definition, instance, timer, self.clock())
        if step is None:
            self.store.drop_timer(instance_id, key)
            return instance
        step = self._commit(step)
        if step.error is not None:
            return step.commit.instance
        return self._settle(step.commit.instance)

    def run_work(
        self,
        instance_id: str | None = None,
        limit: int | None = None,
        kinds: Collection[WorkKind] = ("do", "invoke", "emit"),
        keys: Collection[str] | None = None,
    ) -> int:
        """Run owed work with the registered handlers; return how many items ran.

        Without `instance_id`, every instance of this workflow in the store (others are
        left to their own runtimes); a paused instance's work waits for `resume`.
        `kinds` limits which work runs (for example only `do` and `emit`, leaving
        invoked work to an outside worker that calls `report`), and `keys` to the
        owed items with these keys (one chosen item, say).

        A `do` handler that raises leaves its work owed (it runs again later, same
        key). Invoked work reports its outcome: success takes the state's `done`
        transition, an exception its retry policy or `error` transition.

        Work that succeeded without a step of its own (a `do` handler; invoked work
        whose outcome moves nothing) is marked done with the instance's next commit
        in this run, or, for what is left, in one transaction when the run moves on
        to another instance or ends (even when it ends by an exception); until then
        this runtime does not run it again. A crash before that runs the handler
        again, under the same key: actions run at least once.
        """
        done = 0
        try:
            for work in list(self.store.work(instance_id)):
                if limit is not None and done >= limit:
                    break
                if work.kind not in kinds or (keys is not None and work.key not in keys):
                    continue
                if work.key in self._finished.get(work.instance, ()):
                    continue  # ran in this run (a handler's own `run_work`, say); its mark is pending
                if any(name != work.instance for name in self._finished):
                    self._mark_finished()  # on to another instance: the last one's marks wait no longer
                instance = self.store.load(work.instance) if instance_id is None else self.load(work.instance)
                if instance.definition != self.definition.identity:
                    continue  # another definition's instance in a shared store: its own runtime runs it
                if instance.status == "paused":
                    continue  # a paused instance waits: its work runs after `resume`
                if work.kind == "emit":
                    self._emit(instance, work)
                elif work.kind == "do":
                    handler = self._handler(work.action)
                    try:
                        handler(self._call(instance, work))
                    except Exception:
                        continue
                    self._finished.setdefault(work.instance, []).append(work.key)
                else:
                    try:
                        self._invoke(instance, work)
                    except InvariantBroken:
                        continue  # its result was refused (recorded); the work stays owed
                done += 1
        finally:
            self._mark_finished()
        return done

    def _mark_finished(self) -> None:
        """Mark the work `run_work` finished and no commit has marked yet done, in one transaction."""
        finished, self._finished = self._finished, {}
        if not finished:
            return
        together = getattr(self.store, "finish_all", None)
        if together is not None:
            together(finished)
            return
        opener = getattr(self.store, "batch", None)
        with nullcontext() if opener is None else opener():
            for name, keys in finished.items():
                for key in keys:
                    self.store.finish_work(name, key)

    def _handler(self, action: str) -> Handler:
        handler = self.handlers.get(action)
        if handler is None:
            raise UnknownHandler(
                f"no handler for `{action}`; register one with `handlers={{'{action}': ...}}`"
            )
        return handler

    def _call(self, instance: Instance, work: Work) -> Call:
        return Call(
            instance.id, work.action, work.key, work.attempt, dict(instance.context), work.state, work.service
        )

    def _emit(self, instance: Instance, work: Work) -> None:
        if instance.status != "running":
            self.store.finish_work(work.instance, work.key)
            return
        step = engine.send(self.definition, instance, work.action, self.clock(), Request(actor="workflow"))
        commit = replace(step.commit, done_work=(*step.commit.done_work, work.key))
        self._settle(self._commit(Step(commit)).commit.instance)

    def _invoke(self, instance: Instance, work: Work) -> None:
        """Run invoked work: its return value is the result (a mapping), an exception its failure.

        The exception's type name is the error's name and its text the message.
        When the invoke declares no result, the return value is ignored.
        """
        handler = self._handler(work.action)
        error: str | None = None
        message: str | None = None
        result: Mapping[str, object] | None = None
        try:
            returned = handler(self._call(instance, work))
        except Exception as exc:
            error, message = type(exc).__name__, str(exc)
        else:
            if work.state in self.definition.results:
                if returned is None or isinstance(returned, Mapping):
                    result = returned or {}
                else:
                    error = RESULT_INVALID
                    message = (
                        f"the handler of `{work.action}` returned {type(returned).__name__}, "
                        "not a mapping of its result fields"
                    )
        self._outcome(work, error, result, message, instance, later=True)

    def _outcome(
        self,
        work: Work,
        error: str | None,
        result: Mapping[str, object] | None = None,
        message: str | None = None,
        instance: Instance | None = None,
        later: bool = False,
    ) -> Instance:
        """Apply the outcome of invoked work to its instance; what the instance is after.

        `instance` is a snapshot read before the work ran (None: read it now). A
        step computed on a snapshot that is no longer current fails the store's
        version check and is computed again on the stored one. An outcome that
        moves nothing marks the work done: with `later`, as `run_work` marks what it
        finished; otherwise at once.
        """
        current = instance or self.load(work.instance)
        while True:
            if current.status == "paused":
                raise NotRunning(
                    f"instance `{current.id}` is paused; report `{work.key}` after `resume` (it stays owed)"
                )
            step = engine.finish(
                self.definition, current, work, error, self.clock(), self.seed, result, message
            )
            if step is None:
                if instance is not None:  # nothing to commit: the row's version shows whether it is current
                    instance = None
                    stored = self.load(work.instance)
                    if stored.version != current.version:
                        current = stored
                        continue
                if later:
                    self._finished.setdefault(work.instance, []).append(work.key)
                else:
                    self.store.finish_work(work.instance, work.key)
                return current
            try:
                step = self._commit(step)
            except ConcurrentUpdate:
                if instance is None:
                    raise
                instance = None  # once more, on the stored snapshot
                current = self.load(work.instance)
                continue
            if step.error is not None:
                raise step.error
            return self._settle(step.commit.instance)

    def report(
        self,
        instance_id: str,
        key: str,
        error: str | None = None,
        *,
        result: Mapping[str, object] | None = None,
        message: str | None = None,
    ) -> Instance:
        """Report the outcome of owed work done outside this process (an external worker, the CLI).

        `error` is the failure's name (as a handler's exception type name would be)
        and `message` what it said, None for success; `result` is the success's
        result, checked against the fields the invoke `returns` (a result that does
        not fit is a `ResultInvalid` failure, never a crash). Invoked work then
        takes its `done` transition, or retries per its policy, or its failure is
        caught (`on error NAME`, then the dead letter); a `do` action that succeeded
        is marked done, one that failed stays owed. Raises `UnknownWork` when no
        owed work has this key.
        """
        instance = self.load(instance_id)
        work = next((w for w in self.store.work(instance_id) if w.key == key), None)
        if work is None or work.kind == "emit":
            owed = ", ".join(f"`{w.key}`" for w in self.store.work(instance_id) if w.kind != "emit")
            raise UnknownWork(
                f"instance `{instance_id}` owes no work with key `{key}`; owed: {owed or 'nothing'}"
            )
        if work.kind == "do":
            if error is None:
                self.store.finish_work(instance_id, key)
            return instance
        return self._outcome(work, error, result, message)
