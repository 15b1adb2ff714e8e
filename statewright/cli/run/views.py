"""What `statewright run` prints about instances: JSON documents and plain-text tables.

JSON documents use the store's encoding (`runtime.codec`): every field of a
record, decimals as `{"$decimal": "12.50"}` so they stay exact, keys in a fixed
order, plus an ISO 8601 rendering next to each millisecond time (`at`, `due`,
`created`, `updated`). Text tables are plain columns separated by two spaces,
readable without colour and stable enough to grep.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from statewright import ir
from statewright.cli.run.values import iso
from statewright.runtime import codec
from statewright.runtime.definition import Definition
from statewright.runtime.model import Instance, Record, Timer, Vote, Work

NONE = "-"
"""What an empty cell shows."""

LOG_HEADER = ("seq", "at", "kind", "event", "outcome", "from -> to", "actor", "key", "reason", "guards")


def columns(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Rows as left-aligned columns separated by two spaces (the last column is not padded)."""
    table = [list(header), *[list(row) for row in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def show_value(value: ir.Value, kind: ir.FieldType | None = None) -> str:
    """A context value as the language writes it: `12.50`, `true`, `travel`, `"CC-1"`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str) and (kind is None or kind.name == "string"):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def states(names: Sequence[str]) -> str:
    """Active states as one cell."""
    return ", ".join(names) or NONE


# --------------------------------------------------------------------------- the audit log


def record_document(record: Record) -> dict[str, Any]:
    """Every field of an audit record as JSON data, with `at` (ISO 8601) after `at_ms`."""
    data = codec.record_data(record)
    return {key: data[key] for key in ("instance", "seq", "at_ms")} | {"at": iso(record.at_ms)} | data


def log_table(records: Sequence[Record]) -> str:
    """The audit log as a table: one row per record."""
    return columns(LOG_HEADER, [_record_row(record) for record in records])


def _record_row(record: Record) -> list[str]:
    """One record's cells (see `LOG_HEADER`)."""
    source = ",".join(record.source) or NONE
    target = ",".join(record.target) or NONE
    guards = "; ".join(f"{text}: {'true' if held else 'false'}" for text, held in record.guards)
    cause = record.key or record.work or record.timer
    reason = record.reason or record.failure
    if record.message:
        reason = f"{reason}: {record.message}" if reason else record.message
    if record.result:
        reason = f"{reason or 'done'}; result {_fields(record.result)}"
    actor = record.actor or NONE
    if record.delegate_to is not None:
        actor += f" (to {record.delegate_to})"
    return [
        str(record.seq),
        iso(record.at_ms),
        record.kind,
        (record.event or NONE) + (_fields(record.data) if record.data and record.kind != "migration" else ""),
        record.outcome,
        f"{source} -> {target}",
        actor,
        cause or NONE,
        reason or NONE,
        guards or NONE,
    ]


def _fields(values: Mapping[str, ir.Value]) -> str:
    """A payload or result as `(amount=12.50, note="rush")`: strings quoted, decimals exact."""
    shown = []
    for name, value in values.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, Decimal):
            text = format(value, "f")
        elif isinstance(value, str):
            text = json.dumps(value, ensure_ascii=False)
        else:
            text = str(value)
        shown.append(f"{name}={text}")
    return "(" + ", ".join(shown) + ")"


# --------------------------------------------------------------------------- what the state handles


@dataclass
class EventPolicy:
    """What the active states do with each declared event: accept, ignore, or refuse (with a reason)."""

    accepts: list[str] = field(default_factory=list)
    ignores: list[str] = field(default_factory=list)
    refuses: dict[str, str] = field(default_factory=dict)
    payloads: dict[str, str] = field(default_factory=dict)
    """Accepted event -> its payload fields as `send --data` takes them (events with a payload only)."""

    def document(self) -> dict[str, Any]:
        """The policy as JSON data."""
        refused = [{"event": event, "reason": reason} for event, reason in self.refuses.items()]
        found = {"accepts": self.accepts, "ignores": self.ignores, "refuses": refused}
        return found | ({"payloads": self.payloads} if self.payloads else {})


def event_policy(definition: Definition, instance: Instance) -> EventPolicy:
    """Which events the instance's active states handle; none unless it runs or is paused.

    An event is accepted when some active leaf, walking outwards, reaches a level
    with a transition for it before a level that refuses it (its guards may still
    fail); ignored or refused when the first deciding level says so; an event no
    level decides is refused as not allowed.
    """
    policy = EventPolicy()
    if instance.status not in ("running", "paused"):
        return policy
    for event in (e.name for e in definition.machine.events):
        decisions = [_decide(definition, leaf, event) for leaf in instance.active]
        if "accept" in decisions:
            policy.accepts.append(event)
            fields = definition.payloads.get(event)
            if fields:
                policy.payloads[event] = fields_text(fields)
        elif "ignore" in decisions:
            policy.ignores.append(event)
        else:
            policy.refuses[event] = next((d for d in decisions if d != "unhandled"), "not allowed here")
    return policy


def fields_text(fields: Sequence[ir.ContextField]) -> str:
    """Declared payload or result fields as one line: `amount: decimal 0.00..1000.00, note: string = ""`."""
    shown = []
    for declared in fields:
        default = "" if declared.default is None else f" = {show_value(declared.default, declared.type)}"
        shown.append(f"{declared.name}: {declared.type.describe()}{default}")
    return ", ".join(shown)


def _decide(definition: Definition, leaf: str, event: str) -> str:
    """`accept`, `ignore`, `unhandled`, or the reason of the refusal that decides `event` at `leaf`.

    Read off `semantics.dispatch`: the first level on the walk that writes something decides.
    """
    levels = definition.dispatch.levels(definition.hierarchy.chain(leaf), event)
    if not levels:
        return "unhandled"
    first = levels[0]
    if first.written:
        return "accept"
    refusal = first.refusals[0]
    return "ignore" if refusal.kind == "ignore" else refusal.reason or "refused here"


# --------------------------------------------------------------------------- one instance


def timer_document(definition: Definition, timer: Timer) -> dict[str, Any]:
    """A pending timer as JSON data, with its due time in ISO 8601 and what it does."""
    data = codec.timer_data(timer)
    return data | {"due": iso(timer.due_ms), "does": _timer_effect(definition, timer)}


def _timer_effect(definition: Definition, timer: Timer) -> str:
    """What firing the timer does, in words."""
    if timer.kind == "timeout" and timer.transition is not None:
        return f"timeout -> {definition.transitions[timer.transition].target or timer.state}"
    return {
        "soft_timeout": "warning",
        "retry": f"retry the work of {timer.state}",
        "heartbeat": f"fail the work of {timer.state} (no heartbeat)",
    }.get(timer.kind, timer.kind)


def approvals(definition: Definition, instance: Instance) -> list[dict[str, Any]]:
    """The approval levels among the active states: approvers, quorum, delegation and votes so far."""
    found = []
    for leaf in instance.active:
        level = definition.levels.get(leaf)
        if level is None:
            continue
        votes = instance.votes.get(leaf, ())
        found.append(
            {
                "state": leaf,
                "level": level.number,
                "approvers": list(level.approvers),
                "quorum": level.quorum,
                "delegation": level.delegation,
                "votes": [_vote(vote) for vote in votes],
            }
        )
    return found


def instance_document(instance: Instance) -> dict[str, Any]:
    """An instance snapshot as JSON data (the store's form) with ISO 8601 times."""
    data = codec.instance_data(instance)
    data["created"] = iso(instance.created_ms)
    data["updated"] = iso(instance.updated_ms)
    return data


def status_document(
    definition: Definition, instance: Instance, timers: Sequence[Timer], work: Sequence[Work]
) -> dict[str, Any]:
    """Everything `status` shows, as JSON data."""
    return instance_document(instance) | {
        "timers": [timer_document(definition, timer) for timer in timers],
        "owed_work": [codec.work_data(item) for item in work],
        "approvals": approvals(definition, instance),
        "events": event_policy(definition, instance).document(),
    }


def status_text(
    definition: Definition, instance: Instance, timers: Sequence[Timer], work: Sequence[Work]
) -> str:
    """Everything `status` shows, as labelled lines."""
    version = "" if instance.workflow_version is None else f" version {instance.workflow_version}"
    rows: list[tuple[str, str]] = [
        ("instance", instance.id),
        ("workflow", f"{instance.workflow}{version}"),
        ("status", instance.status),
        ("state", states(instance.active)),
        ("version", f"{instance.version} records, last at {iso(instance.updated_ms)}"),
    ]
    rows += _context_rows(definition, instance.context)
    rows += _policy_rows(event_policy(definition, instance), instance)
    rows += [("approval", line) for line in _approval_lines(definition, instance)]
    rows += [("timers", f"{t.key}  {_timer_effect(definition, t)}  due {iso(t.due_ms)}") for t in timers]
    rows += [] if timers else [("timers", "none")]
    rows += [("owed work", _work_line(item, definition)) for item in work]
    rows += [] if work else [("owed work", "none")]
    return _labelled(rows)


def _context_rows(definition: Definition, context: Mapping[str, ir.Value]) -> list[tuple[str, str]]:
    """One row per context field, in declaration order."""
    names = [name for name in definition.fields if name in context]
    names += sorted(name for name in context if name not in definition.fields)
    rows = []
    for name in names:
        declared = definition.fields.get(name)
        kind = None if declared is None else declared.type
        rows.append(("context", f"{name} = {show_value(context[name], kind)}"))
    return rows


def _policy_rows(policy: EventPolicy, instance: Instance) -> list[tuple[str, str]]:
    """The accepted, ignored and refused events (only for an instance that can still take events)."""
    if instance.status not in ("running", "paused"):
        return [("events", f"none: the instance is {instance.status}")]
    note = " (paused: resume it first)" if instance.status == "paused" else ""
    rows = [("accepts", (", ".join(policy.accepts) or "nothing") + note)]
    rows += [("payload", f"{event}({fields})  (send --data)") for event, fields in policy.payloads.items()]
    if policy.ignores:
        rows.append(("ignores", ", ".join(policy.ignores)))
    if policy.refuses:
        rows.append(("refuses", ", ".join(policy.refuses)))
    return rows


def _approval_lines(definition: Definition, instance: Instance) -> list[str]:
    """One line per active approval level."""
    lines = []
    for level in approvals(definition, instance):
        votes = ", ".join(_vote_text(v) for v in level["votes"]) or "none yet"
        delegation = "delegation allowed" if level["delegation"] else "no delegation"
        lines.append(
            f"level {level['level']} ({level['state']}): {', '.join(level['approvers'])}; "
            f"quorum {level['quorum']}; {delegation}; votes: {votes}"
        )
    return lines


def _work_line(item: Work, definition: Definition | None = None) -> str:
    """One owed work item (and the result fields `work --result` takes, for invoked work)."""
    where = f" in {item.state}" if item.state else ""
    service = f" via {item.service}" if item.service else ""
    line = f"{item.key}  {item.kind} {item.action}{where}{service} (attempt {item.attempt})"
    fields = (
        definition.results.get(item.state or "") if definition is not None and item.kind == "invoke" else None
    )
    return f"{line}; returns {{ {fields_text(fields)} }}" if fields else line


def _labelled(rows: Sequence[tuple[str, str]]) -> str:
    """Label/value lines; a label repeated on consecutive rows is printed once."""
    width = max(len(label) for label, _ in rows)
    lines = []
    previous = None
    for label, value in rows:
        shown = label if label != previous else ""
        lines.append(f"{shown.ljust(width)}  {value}".rstrip())
        previous = label
    return "\n".join(lines)


# --------------------------------------------------------------------------- many instances


LIST_HEADER = ("id", "status", "state", "records", "updated")


def list_row(instance: Instance) -> list[str]:
    """One instance as a row of the `list` table."""
    return [
        instance.id,
        instance.status,
        states(instance.active),
        str(instance.version),
        iso(instance.updated_ms),
    ]


def _vote(vote: Vote) -> dict[str, Any]:
    """A vote as JSON: actor and decision, what it fills or hands on (`as`), and the delegate (`to`)."""
    shown: dict[str, Any] = {"actor": vote.actor, "decision": vote.decision}
    if vote.approvers:
        shown["as"] = list(vote.approvers)
    if vote.to is not None:
        shown["to"] = vote.to
    return shown


def _vote_text(vote: Mapping[str, Any]) -> str:
    """`ann approve as role:cfo`, `lena delegate to deputy`."""
    text = f"{vote['actor']} {vote['decision']}"
    if "to" in vote:
        text += f" to {vote['to']}"
    elif vote.get("as"):
        text += " as " + ", ".join(vote["as"])
    return text
