"""Machines whose transitions read inputs (`event.F`, `result.F`, `error.*`), built from plain specs.

Written before the front end had the syntax for issue 17: a spec declares each
input as a context field named `ev_F` / `res_F` / `err_name` / `err_message`
(so the type checker accepts guards and `set`s over it), and `with_inputs`
moves those fields into the event payloads and invoke results and renames the
variables that read them. Error catches by name are made by `catching`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from statewright import ir
from statewright.pipeline import compile_text

_PREFIXES = {"ev_": "event.", "res_": "result.", "err_": "error."}


def _renamed(name: str) -> str:
    for prefix, scope in _PREFIXES.items():
        if name.startswith(prefix):
            return scope + name[len(prefix) :]
    return name


def _walk(value: Any) -> Any:
    """Every `ir.Var` named by a placeholder renamed to its input, recursively."""
    if isinstance(value, ir.Var):
        return dataclasses.replace(value, name=_renamed(value.name))
    if isinstance(value, tuple):
        return tuple(_walk(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            if field.name in ("span",):
                continue
            old = getattr(value, field.name)
            new = _walk(old)
            if new is not old:
                changes[field.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


def compiled(text: str) -> ir.Machine:
    """The IR of a spec (which must compile)."""
    result = compile_text(text, "data.wf")
    assert result.machine is not None, [d.message for d in result.diagnostics]
    return result.machine


def with_inputs(
    machine: ir.Machine,
    payloads: dict[str, tuple[str, ...]] | None = None,
    results: dict[str, tuple[str, ...]] | None = None,
) -> ir.Machine:
    """Move placeholder context fields into event payloads and invoke results, and rename their reads.

    `payloads`: event -> field names without `ev_` (a trailing `?` keeps the field's default,
    else it is required); `results`: state -> field names without `res_`. The placeholders
    (and `err_*`) leave the context.
    """
    payloads = payloads or {}
    results = results or {}
    fields = {f.name: f for f in machine.context}

    def moved(prefix: str, names: tuple[str, ...]) -> tuple[ir.ContextField, ...]:
        """The fields, required unless the name ends in `?` (then the placeholder's default stays)."""
        return tuple(
            dataclasses.replace(
                fields[prefix + name.rstrip("?")],
                name=name.rstrip("?"),
                default=fields[prefix + name.rstrip("?")].default if name.endswith("?") else None,
            )
            for name in names
        )

    events = tuple(
        dataclasses.replace(e, payload=moved("ev_", payloads[e.name])) if e.name in payloads else e
        for e in machine.events
    )
    states = tuple(
        dataclasses.replace(s, invoke=dataclasses.replace(s.invoke, result=moved("res_", results[s.name])))
        if s.name in results and s.invoke is not None
        else s
        for s in machine.states
    )
    sagas = tuple(
        dataclasses.replace(
            saga,
            steps=tuple(
                dataclasses.replace(step, result=moved("res_", results[step.state]))
                if step.state in results
                else step
                for step in saga.steps
            ),
        )
        for saga in machine.sagas
    )
    context = tuple(f for f in machine.context if not f.name.startswith(tuple(_PREFIXES)))
    return dataclasses.replace(
        machine,
        context=context,
        events=events,
        states=states,
        sagas=sagas,
        transitions=_walk(machine.transitions),
    )


def markers(machine: ir.Machine) -> ir.Machine:
    """Turn marker events into the eventless transitions the syntax could not yet write.

    `on catch_NAME ...` becomes an error catch of NAME (`on error NAME`), `on catch_any ...` a
    catch-all, `on done_X ...` a (guarded) `done` transition and `on always_X ...` an `always`
    one; the marker events are dropped.
    """

    def converted(t: ir.Transition) -> ir.Transition:
        name = t.event or ""
        if t.kind != "event":
            return t
        if name == "catch_any":
            return dataclasses.replace(t, kind="error", event=None)
        if name.startswith("catch_"):
            return dataclasses.replace(t, kind="error", event=name[len("catch_") :])
        if name.startswith("done_"):
            return dataclasses.replace(t, kind="done", event=None)
        if name.startswith("always_"):
            return dataclasses.replace(t, kind="always", event=None)
        return t

    marker = ("catch_", "done_", "always_")
    return dataclasses.replace(
        machine,
        transitions=tuple(converted(t) for t in machine.transitions),
        events=tuple(e for e in machine.events if not e.name.startswith(marker)),
        rejects=tuple(r for r in machine.rejects if not r.event.startswith(marker)),
    )
