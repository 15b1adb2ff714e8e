"""Move a stored instance from its definition to a newer version of it, in one commit, or refuse.

What may move is decided beforehand, per state, by the migration analysis
(`compiler/migration.py`, behind `statewright diff`); the runtime takes its
verdicts as data (`Plan`) and adds what only the stored instance shows: its
active states and their ancestors (removed or unsafe: refused), its votes (an
approval level whose meaning changed: refused when votes were cast there), its
context (checked against NEW's types, ranges and invariants with the runtime's
own evaluator) and its log (it must replay under OLD).

A move is one `Commit`: the snapshot with its active states, votes, retry
counters and invoked work renamed, NEW's version and identity, the context
with NEW's new fields at their defaults; its timers re-keyed for NEW (same due
times) and its owed work re-stated under the renamed states (same idempotency
keys); and an audit record of kind `migration` that carries all of that
(`carried`), so a replay under NEW starts from it (`runtime/replay.py`). A
refused instance changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from statewright.runtime import audit, codec
from statewright.runtime.audit import AuditKey, keyed
from statewright.runtime.definition import Definition
from statewright.runtime.engine import initial_context
from statewright.runtime.errors import WorkflowError
from statewright.runtime.migration_record import MIGRATION_DATA
from statewright.runtime.model import Commit, Instance, Record, Timer, Work
from statewright.runtime.replay import check
from statewright.runtime.store import Store


@dataclass(frozen=True, slots=True)
class StatePlan:
    """What the analysis said about one OLD state: its NEW name and what stops instances there."""

    new: str | None
    """None: the state was removed."""
    blocked: str | None = None
    """Why no instance there may move (None: nothing stops every instance)."""
    votes: str | None = None
    """Why an instance with votes cast there may not move (a changed approval level)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """The analysis's verdicts, as the runtime reads them."""

    states: Mapping[str, StatePlan]
    """OLD state name -> its plan (every OLD state)."""
    transitions: Mapping[int, int]
    """OLD transition index -> NEW index, for the states whose moves are unchanged."""

    @classmethod
    def of(
        cls, rows: Iterable[tuple[str, str | None, str | None, str | None]], transitions: Mapping[int, int]
    ) -> Plan:
        """A plan from (old state, new name or None, why all are blocked, why those with votes are)."""
        return cls(
            {old: StatePlan(new, blocked, votes) for old, new, blocked, votes in rows}, dict(transitions)
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What migrating one stored instance did: `moved`, `would move` (dry run), `already`, `refused`."""

    instance: str
    outcome: Literal["moved", "would move", "already", "refused"]
    source: tuple[str, ...]
    target: tuple[str, ...] = ()
    detail: str = ""


def migrate_instance(
    store: Store,
    old: Definition,
    new: Definition,
    plan: Plan,
    instance_id: str,
    now_ms: int,
    *,
    actor: str | None = None,
    key: AuditKey | None = None,
    dry_run: bool = False,
) -> Outcome | None:
    """Check one stored instance and move it in one store transaction, or say why not (nothing changes).

    None for an instance of another workflow, or one that finished. Its log must
    replay under OLD and its audit chain match `key`; `now_ms` is kept from running
    behind the instance's last record.
    """
    instance = store.load(instance_id)
    if instance.workflow != old.name or instance.status not in ("running", "paused"):
        return None
    if instance.definition == new.identity:
        return Outcome(
            instance_id, "already", instance.active, instance.active, "already on the new definition"
        )
    problem = audit.mismatch(instance_id, instance.audit_key, key)
    if problem is None and instance.definition == old.identity:
        try:
            check(old, store, instance_id, key=key)
        except WorkflowError as error:
            problem = f"its log does not replay under version {old.machine.version}: {error}"
    if problem is None:
        at = max(now_ms, instance.updated_ms)
        timers, work = store.timers(instance_id), store.work(instance_id)
        commit = migration_commit(old, new, plan, instance, timers, work, at, actor, key)
        if isinstance(commit, str):
            problem = commit
        elif dry_run:
            return Outcome(instance_id, "would move", instance.active, commit.instance.active)
        else:
            try:
                store.apply(commit)
            except WorkflowError as error:
                problem = f"it could not be written: {error}"
            else:
                return Outcome(instance_id, "moved", instance.active, commit.instance.active)
    return Outcome(instance_id, "refused", instance.active, detail=problem)


def migration_commit(
    old: Definition,
    new: Definition,
    plan: Plan,
    instance: Instance,
    timers: Sequence[Timer],
    work: Sequence[Work],
    now_ms: int,
    actor: str | None = None,
    key: AuditKey | None = None,
) -> Commit | str:
    """The commit that moves `instance` (with its `timers` and owed `work`) to NEW, or why it cannot move.

    Pure: nothing is read or written; the caller applies the commit in one store transaction.
    """
    problem = _refusal(old, new, plan, instance)
    if problem is not None:
        return problem
    renamed = {name: p.new for name, p in plan.states.items() if p.new is not None}
    fields = {f.name for f in new.machine.context}
    try:
        context = initial_context(new, {k: v for k, v in instance.context.items() if k in fields})
    except WorkflowError as error:
        return f"its stored context does not fit version {new.machine.version}: {error}"
    moved_timers: list[Timer] = []
    for timer in timers:
        moved = _timer(timer, renamed, plan.transitions)
        if moved is None:
            return f"its timer `{timer.key}` belongs to a transition that changed"
        moved_timers.append(moved)
    moved_work = [_work(item, renamed) for item in work]
    active = tuple(renamed[name] for name in instance.active)
    votes = {renamed[k]: v for k, v in instance.votes.items()}
    attempts = {renamed[k]: v for k, v in instance.attempts.items()}
    invoked = {renamed[k]: v for k, v in instance.work.items()}
    carried = {
        "from": {"version": instance.workflow_version, "definition": instance.definition},
        "to": {"version": new.machine.version, "definition": new.identity},
        "renamed": {k: v for k, v in sorted(renamed.items()) if k != v and k in _touched(instance)},
        "votes": {k: [codec.vote_data(vote) for vote in v] for k, v in sorted(votes.items())},
        "attempts": dict(sorted(attempts.items())),
        "work": dict(sorted(invoked.items())),
        "timers": [codec.timer_data(t) for t in sorted(moved_timers, key=lambda t: t.key)],
        "owed": [codec.work_data(w) for w in sorted(moved_work, key=lambda w: w.key)],
    }
    seq = instance.version + 1
    record = Record(
        instance=instance.id,
        seq=seq,
        at_ms=now_ms,
        kind="migration",
        outcome="applied",
        source=instance.active,
        target=active,
        context=context,
        status=instance.status,
        actor=actor,
        reason=(
            f"migrated from version {instance.workflow_version} to version {new.machine.version} "
            f"of `{new.name}`"
        ),
        data={MIGRATION_DATA: codec.dumps(carried)},
    )
    stamp, text = codec.seal(instance.stamp or codec.GENESIS, record, None)
    record = Record(**{**_fields(record), "stamp": stamp})
    codec.remember(record, text)
    snapshot = Instance(
        instance.id,
        instance.workflow,
        new.machine.version,
        active,
        context,
        instance.status,
        seq,
        instance.created_ms,
        now_ms,
        stamp,
        votes,
        attempts,
        invoked,
        new.identity,
        instance.audit_key,
    )
    commit = Commit(
        snapshot,
        instance.version,
        record,
        tuple(sorted(moved_timers, key=lambda t: t.key)),
        tuple(sorted(t.key for t in timers)),
        tuple(sorted(moved_work, key=lambda w: w.key)),
        (),
        instance.stamp or codec.GENESIS,
    )
    return commit if key is None else keyed(commit, key)


def _refusal(old: Definition, new: Definition, plan: Plan, instance: Instance) -> str | None:
    """Why the instance may not move, from what it is and where it waits (None: it may, data permitting)."""
    if instance.workflow != old.name or instance.definition != old.identity:
        return (
            f"it was not started by this definition of `{old.name}` version {old.machine.version} "
            "(migrate it from the spec that started it)"
        )
    if instance.status not in ("running", "paused"):
        return f"it is {instance.status}: only running and paused instances move"
    seen: set[str] = set()
    for leaf in instance.active:
        for name in old.hierarchy.chain(leaf):
            if name in seen:
                continue
            seen.add(name)
            state = plan.states.get(name)
            if state is None or state.new is None:
                return f"its state `{name}` is not in version {new.machine.version}"
            if state.blocked is not None:
                return f"in `{name}`: {state.blocked}"
            if state.votes is not None and instance.votes.get(name):
                return f"votes were cast in `{name}`, and {state.votes}"
    for name in (*instance.votes, *instance.attempts, *instance.work):
        if name not in plan.states or plan.states[name].new is None:
            return f"it holds data of state `{name}`, which is not in version {new.machine.version}"
    return None


def _touched(instance: Instance) -> set[str]:
    return {*instance.active, *instance.votes, *instance.attempts, *instance.work}


def _timer(timer: Timer, renamed: Mapping[str, str], transitions: Mapping[int, int]) -> Timer | None:
    """The timer under NEW: its state renamed, transition re-numbered, key NEW's, due time kept."""
    state = renamed.get(timer.state)
    if state is None:
        return None
    index = timer.transition
    if index is not None:
        if index not in transitions:
            return None
        index = transitions[index]
    parts = timer.key.split(":")
    match parts:
        case ["timeout", _, _] if index is not None:
            key = f"timeout:{state}:{index}"
        case ["soft", _, number]:
            key = f"soft:{state}:{number}"
        case [kind, _] if kind in ("retry", "heartbeat"):
            key = f"{kind}:{state}"
        case _:
            return None
    return Timer(timer.instance, key, timer.due_ms, timer.kind, state, index)


def _work(item: Work, renamed: Mapping[str, str]) -> Work:
    """Owed work under NEW: the same key, action and attempt, its state renamed."""
    state = None if item.state is None else renamed.get(item.state, item.state)
    return Work(item.instance, item.key, item.action, item.kind, state, item.attempt, item.seq, item.service)


def _fields(record: Record) -> dict[str, Any]:
    return {name: getattr(record, name) for name in Record.__dataclass_fields__}
