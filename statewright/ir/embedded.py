"""The IR as generated code embeds it: no source positions, each refusal reason once, stable transition keys.

The `python` and `pytest` targets embed their workflow's IR, so the generated
files run without the `.wf`. The `ir` target's JSON is the wrong text for that:
every element carries its span, so one line added at the top of a spec rewrites
every line of the embedded IR, and a `reject *` repeats its reason once per
(state, event) it expands to. Users commit generated code, and review its
diffs; this form keeps those diffs to what changed:

- no `span` members: positions are for diagnostics, which come from compiling
  the `.wf`; neither the runtime nor the generated code reads them (the
  generated code cites `file.wf:LINE` in its docstrings instead, one line each).
  Loading gives every element the model's default span.
- `rejects` as runs: consecutive refusals of one kind and one reason are one
  entry, `{"kind", "reason", "states": [[state, [event, ...]], ...]}`, so the
  reason is written once. Expanding the runs gives back the IR's list, in its
  order; the IR itself stays explicit (one refusal per pair).
- `source` keeps the file's name only: output must not depend on the directory
  it was built from.
- no `requirements`: they only choose an engine (`statewright check`), and
  nothing an instance does depends on them.
- everything else as `json_form.to_data` encodes it, in its order.

The text is ASCII JSON laid out one state, transition, event, field, ... a
line, so a change to one element changes one line. `transition_keys` names
each transition by its source, trigger and position there, so tables keyed by
transition (the compiled guards) do not renumber when a transition is added
elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import PurePath
from typing import Any, TypeAlias

from statewright.ir import json_form
from statewright.ir.model import Machine

TransitionKey: TypeAlias = tuple[str, str, int]
"""(source state, trigger, position): the trigger is the event's name, or the transition's kind
(`always`, `timeout`, `done`, ...) when no event triggers it; the position counts from 1 among the
source's transitions with that trigger, in IR (spec) order."""

_SPAN = "span"
_REJECTS = "rejects"


def transition_keys(machine: Machine) -> tuple[TransitionKey, ...]:
    """Each transition's stable key, in the order of `machine.transitions` (no two are equal).

    A transition's key changes only when its source, its trigger, or the
    transitions before it from the same source on the same trigger change.
    """
    seen: dict[tuple[str, str], int] = {}
    keys: list[TransitionKey] = []
    for transition in machine.transitions:
        event = transition.event if transition.kind == "event" else None
        trigger = transition.kind if event is None else event
        position = seen.get((transition.source, trigger), 0) + 1
        seen[transition.source, trigger] = position
        keys.append((transition.source, trigger, position))
    return tuple(keys)


def dump(machine: Machine) -> str:
    """The embedded form's text: deterministic, ASCII, starting with `{` and ending with `}`.

    It reads back exactly from a raw `r\"\"\"...\"\"\"` literal: Python's
    tokenizer takes a backslash and the next character as a pair even in a raw
    string, and every backslash in JSON starts such a pair (`\\"`, `\\\\`,
    `\\n`, `\\u...`), so only JSON's structural quotes are left unescaped, and
    JSON never puts three of those in a row. No spec text can close the literal.
    """
    portable = replace(
        machine, source=PurePath(machine.source).name if machine.source else "", requirements=None
    )
    data = _without_spans(json_form.to_data(portable))
    data[_REJECTS] = _runs(data[_REJECTS])
    lines = ["{"]
    items = list(data.items())
    for number, (key, value) in enumerate(items):
        comma = "," if number < len(items) - 1 else ""
        if isinstance(value, list) and value:
            lines.append(f"{_json(key)}: [")
            for i, item in enumerate(value):
                *first, last = _item_lines(key, item)
                lines += [*first, last + ("," if i < len(value) - 1 else "")]
            lines.append(f"]{comma}")
        else:
            lines.append(f"{_json(key)}: {_json(value)}{comma}")
    lines.append("}")
    return "\n".join(lines)


def load(text: str) -> Machine:
    """The machine `dump` wrote (spans are the model's default; no schema check: statewright wrote it)."""
    data = json.loads(text)
    if isinstance(data, dict) and isinstance(data.get(_REJECTS), list):
        data[_REJECTS] = [
            {"state": state, "event": event, "kind": run["kind"], "reason": run["reason"]}
            for run in data[_REJECTS]
            for state, events in run["states"]
            for event in events
        ]
    return json_form.from_trusted_data(data)


def _without_spans(value: Any) -> Any:
    """The JSON data with every `span` member left out (every IR object with a span has one)."""
    if isinstance(value, dict):
        return {key: _without_spans(item) for key, item in value.items() if key != _SPAN}
    if isinstance(value, list):
        return [_without_spans(item) for item in value]
    return value


def _runs(rejects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive refusals of one kind and reason as one run, listing the events refused per state."""
    runs: list[dict[str, Any]] = []
    for reject in rejects:
        state, event, kind, reason = reject["state"], reject["event"], reject["kind"], reject["reason"]
        if not runs or (runs[-1]["kind"], runs[-1]["reason"]) != (kind, reason):
            runs.append({"kind": kind, "reason": reason, "states": []})
        states: list[list[Any]] = runs[-1]["states"]
        if not states or states[-1][0] != state:
            states.append([state, []])
        states[-1][1].append(event)
    return runs


def _item_lines(key: str, item: Any) -> list[str]:
    """One line per list item; a run of refusals over several states gets one line per state."""
    if key != _REJECTS or len(item["states"]) < 2:
        return [f" {_json(item)}"]
    head = _json({name: value for name, value in item.items() if name != "states"})[:-1]
    states = item["states"]
    return [
        f' {head},"states":[',
        *(f"  {_json(entry)}{',' if i < len(states) - 1 else ''}" for i, entry in enumerate(states)),
        " ]}",
    ]


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))
