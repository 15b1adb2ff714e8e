"""Synthetic commits for store tests: a counter instance whose every step adds to `count`.

Each commit is what the engine would produce: the next `seq`, the record stamped
onto the instance's chain, and timer and work changes (the timer `tick:<count>`
and the work `tally:<count>` always follow the current count).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from statewright.ir import Value
from statewright.runtime import codec
from statewright.runtime.model import Commit, Instance, Record, Timer, Work

NOTE = "Grüße, 世界 — naïve café ✓ 🚀"
"""A non-ASCII context string."""
STEP = Decimal("1.25")
HOUR_MS = 3_600_000


def timer_key(count: int) -> str:
    """The key of the timer a counter at `count` has pending."""
    return f"tick:{count}"


def work_key(count: int) -> str:
    """The key of the work a counter at `count` owes."""
    return f"tally:{count}"


def count_of(instance: Instance) -> int:
    """The counter's value."""
    count = instance.context["count"]
    assert isinstance(count, int)
    return count


def _stamped(previous: str, record: Record) -> Record:
    return replace(record, stamp=codec.stamp(previous or codec.GENESIS, record))


def created(instance_id: str, now_ms: int = 1_000, *, key: str | None = None) -> Commit:
    """The commit that creates a counter at 0 (version 1), with one timer and one owed work item."""
    context: dict[str, Value] = {"count": 0, "total": Decimal("0.00"), "note": NOTE, "flag": True}
    record = _stamped(
        "",
        Record(
            instance=instance_id,
            seq=1,
            at_ms=now_ms,
            kind="start",
            outcome="applied",
            source=(),
            target=("counting",),
            context=context,
            status="running",
            actor="tester",
            key=key,
            inputs={"note": NOTE},
        ),
    )
    instance = Instance(
        id=instance_id,
        workflow="counter",
        workflow_version=1,
        active=("counting",),
        context=dict(context),
        status="running",
        version=1,
        created_ms=now_ms,
        updated_ms=now_ms,
        stamp=record.stamp,
        work={"counting": work_key(0)},
    )
    timer = Timer(instance_id, timer_key(0), now_ms + HOUR_MS, "timeout", "counting", 0)
    work = Work(instance_id, work_key(0), "tally", "invoke", "counting", 1, 1, "ledger")
    return Commit(instance, 0, record, timers=(timer,), work=(work,))


def incremented(
    instance: Instance, now_ms: int | None = None, *, key: str | None = None, by: int = 1
) -> Commit:
    """The commit that adds `by` to the counter: its timer and owed work move to the new count."""
    count = count_of(instance)
    total = instance.context["total"]
    assert isinstance(total, Decimal)
    seq = instance.version + 1
    now = instance.updated_ms + 10 if now_ms is None else now_ms
    context = {**instance.context, "count": count + by, "total": total + STEP * by}
    record = _stamped(
        instance.stamp,
        Record(
            instance=instance.id,
            seq=seq,
            at_ms=now,
            kind="event",
            outcome="applied",
            source=instance.active,
            target=instance.active,
            context=context,
            status="running",
            event="increment",
            transition=3,
            guards=(("count >= 0", True),),
            actor="tester",
            permissions=("count",),
            granted=("count",),
            scope="team/ä",
            evidence={"ticket": f"T-{seq}", "note": NOTE},
            key=key,
        ),
    )
    after = replace(
        instance,
        context=dict(context),
        version=seq,
        updated_ms=now,
        stamp=record.stamp,
        attempts={"counting": seq},
        work={"counting": work_key(count + by)},
    )
    timer = Timer(instance.id, timer_key(count + by), now + HOUR_MS, "timeout", "counting", 0)
    work = Work(instance.id, work_key(count + by), "tally", "invoke", "counting", 1, seq, "ledger")
    return Commit(
        after,
        instance.version,
        record,
        timers=(timer,),
        cancel_timers=(timer_key(count),),
        work=(work,),
        done_work=(work_key(count),),
    )


def chain(instance_id: str, steps: int, *, now_ms: int = 1_000) -> list[Commit]:
    """The creation commit and `steps` increments after it."""
    commits = [created(instance_id, now_ms)]
    for _ in range(steps):
        commits.append(incremented(commits[-1].instance))
    return commits
