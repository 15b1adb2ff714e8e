"""The in-memory machine: one instance in one process, with compiled dispatch for pure moves.

A generated module subclasses `Machine` (`OrderFulfilmentMachine`) and sets its
`definition`. `send(event)` first tries the compiled table (`fastpath`): when
the step is a pure move it costs one dict lookup and one attribute store; the
generated event methods (`order.submit()`) are that same path, made by `sends`.
Every other step (guards, actions, timers, work, approvals, parallel states,
refusals, an unknown event) goes through the same engine and `Runtime` as a
durable workflow, on an `EphemeralStore`, so both kinds of instance behave
identically; the in-memory machine is simply not durable and keeps no audit
log (so its records are not stamped: `snapshot().stamp` is empty). Refusals
raise the runtime's errors (`EventNotAllowed`, ...) and change nothing.
"""

from __future__ import annotations

import functools
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar, cast

from statewright import ir
from statewright.runtime import engine
from statewright.runtime.definition import Definition
from statewright.runtime.engine import initial_context
from statewright.runtime.ephemeral import EphemeralStore
from statewright.runtime.errors import WorkflowError
from statewright.runtime.fastpath import Choice, fast_leaves, pure_moves, rows, timed_moves
from statewright.runtime.model import Instance, Status, Timer, Work
from statewright.runtime.plan import plan_of
from statewright.runtime.runner import Handler, Runtime, system_clock

_LEAF = object()
"""The key under which a row holds its own leaf (no event can be this object)."""
_SLOW: dict[object, Any] = {}
"""The row of a configuration with no pure moves: every event goes to the engine."""
EventMethod = TypeVar("EventMethod", bound=Callable[..., None])
"""A generated event method's type (`(self, payload=None) -> None`), kept by `sends`."""


class Machine:
    """An in-memory workflow instance; generated subclasses add typed event methods and views."""

    __slots__ = (
        "_clock",
        "_depth",
        "_handlers",
        "_live_runtime",
        "_live_store",
        "_name",
        "_row",
        "_seed",
        "_start",
    )

    definition: ClassVar[Definition]
    _rows: ClassVar[dict[str, dict[object, Any]]]
    _timed: ClassVar[dict[str, dict[str, Choice]]]
    _unsealed: ClassVar[Definition]
    """`definition` as the engine runs it here: the store keeps no log, so no record is stamped."""
    _pure_start: ClassVar[dict[object, Any] | None]
    """The initial leaf's row when starting is only entering it (see `pure_start`); None otherwise."""

    def __init__(
        self,
        values: Mapping[str, ir.Value] | None = None,
        *,
        handlers: Mapping[str, Handler] | None = None,
        clock: Callable[[], int] = system_clock,
        seed: int = 0,
        instance_id: str | None = None,
    ) -> None:
        """Start the instance in its initial state (`values` override the context defaults).

        `instance_id` (default: a fresh random id) names the instance in the idempotency
        keys handlers receive, so two machines never share a key. A bad value raises
        `BadContext` here. When starting only enters the initial leaf (no entry
        actions, timers, work or eventless moves), the engine's start step is taken
        when the instance is first looked at or stepped through the engine, at the
        time this constructor read from `clock`, so the snapshot is the one an eager
        start would have made; until then pure moves need nothing but the row.
        """
        cls = type(self)
        if "_rows" not in cls.__dict__:
            _prepare(cls)
        self._handlers = handlers
        self._clock = clock
        self._seed = seed
        self._name = instance_id
        self._depth = 0
        self._live_store: EphemeralStore | None = None
        self._live_runtime: Runtime | None = None
        self._start: tuple[Mapping[str, ir.Value], int] | None = None
        self._row: dict[object, Any] = _SLOW
        row = cls._pure_start
        if row is None:
            self._row = self._row_of(self._runtime.start(values, self._id))
            return
        if values:
            initial_context(cls._unsealed, values)  # a bad value is refused now, as an eager start would
        self._start = (dict(values or {}), clock())
        self._row = row

    @property
    def _id(self) -> str:
        """The instance id: the one given, else a fresh random one, drawn when first needed."""
        name = self._name
        if name is None:
            name = self._name = uuid.uuid4().hex
        return name

    @property
    def _store(self) -> EphemeralStore:
        """The instance's store, made (with the deferred start step applied) on first use."""
        store = self._live_store
        if store is None:
            store = self._live_store = EphemeralStore()
            start = self._start
            if start is not None:  # the deferred start: what `Runtime.start` commits when nothing settles
                values, born = start
                self._start = None
                store.apply(engine.start(self._unsealed, self._id, values, born).commit)
        return store

    @property
    def _runtime(self) -> Runtime:
        """The runtime driving the engine for this instance, made on first use."""
        runtime = self._live_runtime
        if runtime is None:
            store = self._store
            runtime = Runtime(self._unsealed, store, self._handlers, self._clock, self._seed)
            self._live_runtime = runtime
        return runtime

    # ------------------------------------------------------------------ events

    def send(
        self,
        event: str,
        payload: Mapping[str, str] | None = None,
        *,
        data: Mapping[str, object] | None = None,
    ) -> None:
        """Send `event` with its evidence (`payload`) and the typed fields it declares (`data`).

        `payload` names the evidence a transition may require; `data` is checked first
        (`PayloadInvalid` when a field does not fit). A refusal raises the runtime's error
        (`PayloadInvalid`, `EventNotAllowed`, `EventRejected`, `NoGuardHolds`,
        `PermissionDenied`, `NotRunning`) and changes nothing.
        """
        if data is not None:
            self._engine_send(event, payload, data=data)
            return
        if payload is None:
            try:
                self._row = self._row[event]
                return
            except (KeyError, TypeError):
                pass
        self._engine_send(event, payload)

    def send_as(
        self,
        event: str,
        payload: Mapping[str, str] | None = None,
        *,
        actor: str | None = None,
        permissions: Sequence[str] = (),
        scope: str | None = None,
        key: str | None = None,
        delegate_to: str | None = None,
        data: Mapping[str, object] | None = None,
    ) -> None:
        """Send `event` as an actor presenting permissions and scope (the governance gate's inputs).

        `key` is a client idempotency key: a repeated key is applied once.
        `delegate_to` names whom an approver hands the decision to; `data` is the payload.
        """
        self._engine_send(
            event,
            payload,
            actor=actor,
            permissions=tuple(permissions),
            scope=scope,
            key=key,
            delegate_to=delegate_to,
            data=data,
        )

    def _engine_send(self, event: str, payload: Mapping[str, str] | None, **request: Any) -> None:
        if not isinstance(event, str):
            event = repr(event)
        elif payload is None and not request and self._timed_move(event):
            return
        self._through_engine(lambda: self._runtime.send(self._id, event, evidence=payload, **request))

    def _timed_move(self, event: str) -> bool:
        """Take `event` as a timed move if it is one from here: a new leaf and its timers, no engine."""
        leaf = self._row.get(_LEAF)
        if leaf is None:
            return False
        choice = self._timed.get(leaf, {}).get(event)
        if choice is None:
            return False
        context = self._store.load(self._id).context  # pure and timed moves never change it
        definition = self.definition
        for guard, move in choice:
            if guard is None or definition.guard_holds(guard, context):
                now = self._runtime.clock()
                instance = self._id
                started = tuple(
                    Timer(instance, key, now + after, kind, state, index)
                    for key, after, kind, state, index in move.start
                )
                self._store.retime(instance, move.cancel, started)
                self._row = self._rows[move.target]
                return True
        return False  # pragma: no cover - a choice always ends with an `else` or an unguarded move

    def _through_engine(self, step: Callable[[], object]) -> None:
        """Run a step on the engine: write back the pure moves first, pick up the new row after."""
        self._write_back()
        # While the engine steps (and runs handlers that may send to this machine), every send
        # goes through the engine too, so none is lost when the row is picked up afterwards.
        self._row = _SLOW
        self._depth += 1
        try:
            step()
        finally:
            self._depth -= 1
            self._row = _SLOW if self._depth else self._row_of(self._store.load(self._id))

    def _row_of(self, instance: Instance) -> dict[object, Any]:
        if instance.status == "running" and len(instance.active) == 1:
            return self._rows.get(instance.active[0], _SLOW)
        return _SLOW

    # ------------------------------------------------------------------ time, work, control

    def tick(self, now_ms: int | None = None) -> int:
        """Fire the timers due by `now_ms` (default: the clock); return how many fired."""
        fired: list[int] = []
        self._through_engine(lambda: fired.append(self._runtime.tick(now_ms)))
        return fired[0]

    def run_work(self, limit: int | None = None) -> int:
        """Run owed work with the registered handlers (see `Runtime.run_work`); return how many ran."""
        ran: list[int] = []
        self._through_engine(lambda: ran.append(self._runtime.run_work(self._id, limit)))
        return ran[0]

    def report(
        self,
        key: str,
        error: str | None = None,
        *,
        result: Mapping[str, object] | None = None,
        message: str | None = None,
    ) -> None:
        """Report the outcome of owed work done elsewhere (`error`: the failure's name, None: success).

        `result` is a success's result fields, `message` what a failure said (see `Runtime.report`).
        """
        self._through_engine(
            lambda: self._runtime.report(self._id, key, error, result=result, message=message)
        )

    def pause_instance(self, actor: str | None = None) -> None:
        """Pause: events are refused and timers wait until `resume_instance`."""
        self._through_engine(lambda: self._runtime.pause(self._id, actor))

    def resume_instance(self, actor: str | None = None) -> None:
        """Resume a paused instance."""
        self._through_engine(lambda: self._runtime.resume(self._id, actor))

    def cancel_instance(self, actor: str | None = None) -> None:
        """Cancel: timers and owed work are dropped; no more events are taken."""
        self._through_engine(lambda: self._runtime.cancel(self._id, actor))

    # ------------------------------------------------------------------ views

    def snapshot(self) -> Instance:
        """The instance as the engine sees it (pure moves written back first)."""
        return self._write_back()

    def _write_back(self) -> Instance:
        """The stored snapshot, with the leaf pure moves reached since the last engine step written back.

        Only a write-back that changes the stored snapshot makes the runtime drop the
        snapshot it committed last (`Runtime.forget`): that one is then stale, although
        its version still matches the store's. Otherwise the runtime keeps it.
        """
        store = self._store
        instance = store.load(self._id)
        leaf = self._row.get(_LEAF)
        if isinstance(leaf, str) and instance.active != (leaf,):
            instance = store.move(self._id, leaf)
            runtime = self._live_runtime
            if runtime is not None:
                runtime.forget(self._id)
        return instance

    @property
    def leaves(self) -> tuple[str, ...]:
        """The active leaf states' names (several inside parallel states)."""
        leaf = self._row.get(_LEAF)
        return (leaf,) if isinstance(leaf, str) else self._store.load(self._id).active

    @property
    def status(self) -> Status:
        """running, paused, cancelled, completed or failed."""
        return self._store.load(self._id).status

    @property
    def values(self) -> dict[str, ir.Value]:
        """The context as a plain mapping of field name to value."""
        return dict(self._store.load(self._id).context)

    @property
    def timers(self) -> Sequence[Timer]:
        """Pending timers, earliest first."""
        return self._store.timers(self._id)

    @property
    def work(self) -> Sequence[Work]:
        """Work owed and not yet run."""
        return self._store.work(self._id)

    def innermost(self) -> str:
        """The single active leaf, or the nearest state containing all active leaves."""
        return self.definition.hierarchy.innermost(self.leaves)


def _prepare(cls: type[Machine]) -> None:
    """A generated class's tables, made when its first instance is constructed."""
    definition = cls.definition
    rows = _linked_rows(definition)
    unsealed = definition.unsealed()
    start: dict[object, Any] | None = None
    leaf = pure_start(unsealed)
    if leaf is not None:
        try:
            initial_context(definition, {})
        except WorkflowError:
            pass  # the defaults alone do not start it: every construction starts at once, and says why
        else:
            start = rows.get(leaf)
    cls._timed = timed_moves(definition)
    cls._unsealed = unsealed
    cls._pure_start = start
    cls._rows = rows  # last: its presence says the class is prepared (another thread may be looking)


def pure_start(definition: Definition) -> str | None:
    """The initial leaf when starting an instance is only entering it; None when the start does more.

    More is: several initial leaves (parallel regions), an entered state with entry
    actions, timers or invoked work, an initial state that is final, or an eventless
    move enabled from the initial configuration (`Runtime.start` then settles).
    """
    plan = plan_of(definition)
    leaves = tuple(definition.hierarchy.initial_leaves)
    if len(leaves) != 1 or leaves[0] in plan.top_final or plan.settle_states(leaves):
        return None
    for name in plan.states_of(leaves):
        state = definition.states[name]
        if state.entry or plan.entry_timers[name] or state.invoke is not None:
            return None
    return leaves[0]


def _linked_rows(definition: Definition) -> dict[str, dict[object, Any]]:
    """The pure-move rows of a definition, each holding its leaf under `_LEAF`.

    Every leaf the machine can be in alone has a row (with no moves when none is
    pure), so a timed move can land on it.
    """
    table: dict[str, dict[str, str]] = {leaf: {} for leaf in fast_leaves(definition)}
    table.update(pure_moves(definition))
    return rows(table, _LEAF)


def sends(event: str) -> Callable[[EventMethod], EventMethod]:
    """Make a generated event method send `event`: `Machine.send`'s fast path for one event, no extra call.

    A generated module declares each event method as a typed stub whose body is
    its docstring, decorated with `@sends("submit")`; the method it gets is this
    one helper, so the module does not repeat the fast-path body per event, and
    calling `order.submit()` costs what `order.send("submit")` costs, not a call
    more. The stub's name, docstring and signature are kept (`functools.wraps`).
    """
    key = sys.intern(event)  # the very object the rows are keyed by: the lookup compares no characters

    def decorate(stub: EventMethod) -> EventMethod:
        @functools.wraps(stub)
        def method(self: Machine, payload: Mapping[str, str] | None = None) -> None:
            if payload is None:
                try:
                    self._row = self._row[key]
                    return
                except KeyError:
                    pass
            self._engine_send(key, payload)

        return cast(EventMethod, method)

    return decorate
