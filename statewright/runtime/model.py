"""The runtime's values: an instance's snapshot, its audit records, timers and pending work.

All are frozen dataclasses of plain data (JSON-ready through `codec.py`), so a
store can persist them and a step can be computed as a pure function of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, TypeVar

from statewright.ir import Value

Status: TypeAlias = Literal["running", "paused", "cancelled", "completed", "failed"]
"""`completed`/`failed`: the instance reached a top-level final state with that outcome."""
RUNNING: Status = "running"

_C = TypeVar("_C", bound=type[Any])


def quick_init(cls: _C) -> _C:
    """Give a frozen, slotted dataclass an `__init__` that stores its fields without `object.__setattr__`.

    The dataclass's own `__init__` of a frozen class calls `object.__setattr__` once
    per field; this one calls each slot's descriptor directly, which is about twice
    as fast (a step builds several of these values). It takes the same parameters,
    defaults and default factories, and builds the same value; the class stays frozen.
    Only for classes without `__post_init__`, `InitVar`s, `init=False` or keyword-only fields.
    """
    fields = dataclasses.fields(cls)
    if hasattr(cls, "__post_init__") or any(not f.init or f.kw_only is True for f in fields):
        raise TypeError(f"{cls.__name__} needs the dataclass's own __init__")
    if not all(f.name.isidentifier() for f in fields):  # the source below holds only field names
        raise TypeError(f"{cls.__name__} has a field that is not an identifier")
    names: dict[str, Any] = {"_MISSING": dataclasses.MISSING}
    params, body = [], []
    for number, f in enumerate(fields):
        names[f"_set{number}"] = cls.__dict__[f.name].__set__
        if f.default is not dataclasses.MISSING:
            names[f"_default{number}"] = f.default
            params.append(f"{f.name}=_default{number}")
        elif f.default_factory is not dataclasses.MISSING:
            names[f"_factory{number}"] = f.default_factory
            params.append(f"{f.name}=_MISSING")
            body.append(f" if {f.name} is _MISSING: {f.name} = _factory{number}()")
        else:
            params.append(f.name)
        body.append(f" _set{number}(self, {f.name})")
    source = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body or [" pass"]) + "\n"
    exec(source, names)  # as `dataclasses` builds its own __init__; no spec text reaches here
    init = names["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(cls.__init__.__annotations__)
    cls.__init__ = init
    return cls


RecordKind: TypeAlias = Literal[
    "start",
    "event",
    "timeout",
    "soft_timeout",
    "done",
    "error",
    "retry",
    "always",
    "completion",
    "pause",
    "resume",
    "cancel",
    "migration",
    "reroute",
    "rollback",
    "redrive",
]
Outcome: TypeAlias = Literal["applied", "rejected", "ignored", "denied", "not_allowed", "no_guard", "invalid"]
"""`applied`: the step changed the instance (or ran a targetless transition); the others are
refusals recorded with no change of state or context: `rejected`/`ignored` by an explicit
refusal, `denied` by the governance gate, `not_allowed` because nothing handles the event
there, `no_guard` because no guard held and nothing further out decided, `invalid` because the
event's payload does not fit the fields it declares."""
Decision: TypeAlias = Literal["approve", "reject", "delegate"]
"""`delegate`: the vote's `to` may decide at the level in the delegating actor's place."""
TimerKind: TypeAlias = Literal["timeout", "soft_timeout", "retry", "heartbeat"]
WorkKind: TypeAlias = Literal["do", "invoke", "emit"]
"""`do`: an action's handler; `invoke`: a state's work (its outcome is an event); `emit`: an
event raised by an action, sent to the instance after the step that raised it."""


@quick_init
@dataclass(frozen=True, slots=True)
class Vote:
    """One actor's decision at an approval level.

    `approve`: `approvers` are the listed approvers the actor stood for when
    approving (the level fills its places by a maximum matching of these,
    `semantics.approvals`);
    `delegate`: `actor` is the delegator, `to` the delegate, and `approvers` the
    listed approvers the delegator stood for, which the delegate now stands for
    (LANGUAGE.md §10: delegation transfers a vote, it never adds one).
    """

    actor: str
    decision: Decision
    approvers: tuple[str, ...] = ()
    to: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Instance:
    """One workflow instance as stored: where it is, its data, and its counters.

    `version` counts committed records; a store applies a step only if the stored
    version is the one the step was computed from (optimistic concurrency).
    `stamp` is the audit stamp of the latest record (the head of the hash chain).
    """

    id: str
    workflow: str
    workflow_version: int | None
    active: tuple[str, ...]
    context: Mapping[str, Value]
    status: Status
    version: int
    created_ms: int
    updated_ms: int
    stamp: str = ""
    votes: Mapping[str, tuple[Vote, ...]] = field(default_factory=dict)
    attempts: Mapping[str, int] = field(default_factory=dict)
    work: Mapping[str, str] = field(default_factory=dict)
    """Active state -> the key of the work it invoked, so late results of exited states are dropped."""
    definition: str = ""
    """The identity of the definition that started it (`ir.identity`): a runtime whose definition
    has another refuses it (SW976). Empty on instances stored before identities were recorded."""
    audit_key: str = ""
    """The id of the key its audit chain is keyed with (`runtime.audit`); empty for a plain SHA-256
    chain. Only the id: the key itself is never stored."""


@quick_init
@dataclass(frozen=True, slots=True)
class Record:
    """One audit log entry: a step that was applied, or a refusal that changed nothing.

    It carries what the step needs to be replayed (kind, event, actor, presented
    permissions, evidence, key, time) and what it produced (the active states,
    context and status after), chained by `stamp` = SHA-256 over the previous
    stamp and this record's canonical JSON.
    """

    instance: str
    seq: int
    at_ms: int
    kind: RecordKind
    outcome: Outcome
    source: tuple[str, ...]
    target: tuple[str, ...]
    context: Mapping[str, Value]
    status: Status
    event: str | None = None
    transition: int | None = None
    guards: tuple[tuple[str, bool], ...] = ()
    actor: str | None = None
    permissions: tuple[str, ...] = ()
    granted: tuple[str, ...] = ()
    scope: str | None = None
    evidence: Mapping[str, str] = field(default_factory=dict)
    key: str | None = None
    reason: str | None = None
    decision: Decision | None = None
    request_scope: str | None = None
    delegate_to: str | None = None
    inputs: Mapping[str, Value] = field(default_factory=dict)
    """For `start`: the values the caller gave (the rest are defaults); for replay."""
    timer: str | None = None
    """The key of the timer that caused the step (timeouts, retries, heartbeats)."""
    work: str | None = None
    """The key of the work whose result caused the step (`done`/`error`)."""
    failure: str | None = None
    """The error a failed attempt reported (its exception's type name)."""
    data: Mapping[str, Value] = field(default_factory=dict)
    """For an event: its payload as the transition read it (validated, defaults filled in)."""
    result: Mapping[str, Value] = field(default_factory=dict)
    """For finished work: its result as the `done` transition read it (validated)."""
    message: str | None = None
    """For a failed attempt: the failure's message (`error.message`)."""
    stamp: str = ""

    @property
    def consumed_key(self) -> str | None:
        """The idempotency key this record uses up: its key when the step applied, else None.

        A refusal keeps its key in the log (evidence of what was asked) but leaves the
        key free, so the same request, re-sent once it may pass, is applied then.
        """
        return self.key if self.outcome == "applied" else None


@quick_init
@dataclass(frozen=True, slots=True)
class Timer:
    """A durable timer: at `due_ms` the runtime fires it (`key` is unique per instance)."""

    instance: str
    key: str
    due_ms: int
    kind: TimerKind
    state: str
    transition: int | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Work:
    """A handler call owed by a committed step (the outbox): run at least once, with a stable key."""

    instance: str
    key: str
    action: str
    kind: WorkKind
    state: str | None
    attempt: int
    seq: int
    service: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Commit:
    """Everything one step changes, applied by a store in one transaction or not at all."""

    instance: Instance
    expected_version: int
    record: Record
    timers: tuple[Timer, ...] = ()
    cancel_timers: tuple[str, ...] = ()
    work: tuple[Work, ...] = ()
    done_work: tuple[str, ...] = ()
    previous: str = ""
    """The stamp the record chains onto (the snapshot's head before the step), for re-stamping."""
