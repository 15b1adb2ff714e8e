"""Capability lint on a generated definition: what Step Functions would refuse or cannot run.

State names at most 80 characters and unique (across Parallel branches too),
the definition at most 1 MB, `States.ALL` alone in the last Retry/Catch entry,
BackoffRate at least 1, and the worst-case history events of one execution
against the 25,000-event limit when the state graph has no cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from statewright import ir
from statewright.diagnostics import Diagnostic
from statewright.targets.asl.codes import (
    DEFINITION_TOO_LARGE,
    HISTORY_BOUND,
    HISTORY_UNBOUNDED,
    NAME_TOO_LONG,
    NO_TERMINAL,
    RETRY_CATCH_ORDER,
)
from statewright.targets.asl.names import MAX_NAME

MAX_BYTES = 1_048_576
MAX_HISTORY = 25_000
EVENTS_PER_STATE = 5
"""History events a state can add per visit at most (entered, scheduled, started, succeeded, exited)."""


def states_of(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (name, state) of the definition, Parallel branches included, depth first."""
    for name, state in definition.get("States", {}).items():
        yield name, state
        for branch in state.get("Branches", ()):
            yield from states_of(branch)


def utf8_size(text: str) -> int:
    """The UTF-8 size of `text` in bytes, without encoding an ASCII text (a copy of 190 MB at 50k states)."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


Forward = Callable[[str, str], bool]
"""Whether an edge (from, to) makes progress; edges back to a wait (a refused event) do not count."""


def check(
    machine: ir.Machine, definition: dict[str, Any], text: str, file: str, forward: Forward | None = None
) -> list[Diagnostic]:
    """The findings of every capability rule on one definition."""
    found: list[Diagnostic] = []
    seen: set[str] = set()
    for name, state in states_of(definition):
        if len(name) > MAX_NAME:
            found.append(
                Diagnostic.of(
                    NAME_TOO_LONG,
                    f"state name `{name[:40]}...` has {len(name)} characters",
                    file,
                    machine.span,
                )
            )
        if name in seen:
            found.append(
                Diagnostic.of(NAME_TOO_LONG, f"state name `{name}` is used twice", file, machine.span)
            )
        seen.add(name)
        for problem in retry_catch_problems(state):
            found.append(Diagnostic.of(RETRY_CATCH_ORDER, f"`{name}`: {problem}", file, machine.span))
    for where, states in _scopes(definition):
        if not any(state.get("Type") in ("Succeed", "Fail") or state.get("End") for state in states.values()):
            found.append(
                Diagnostic.of(NO_TERMINAL, f"{where} has no Succeed or Fail state", file, machine.span)
            )
    size = utf8_size(text)
    if size > MAX_BYTES:
        found.append(
            Diagnostic.of(DEFINITION_TOO_LARGE, f"the definition has {size} bytes", file, machine.span)
        )
    bound = history_bound(definition, forward)
    if bound is None:
        found.append(
            Diagnostic.of(
                HISTORY_UNBOUNDED,
                f"`{machine.name}` has cycles (a state can be re-entered): no static bound on history events",
                file,
                machine.span,
            )
        )
    elif bound > MAX_HISTORY:
        found.append(
            Diagnostic.of(
                HISTORY_BOUND,
                f"one execution may write up to {bound} history events (limit {MAX_HISTORY})",
                file,
                machine.span,
            )
        )
    return found


def _scopes(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "the definition", definition.get("States", {})
    for name, state in states_of(definition):
        for number, branch in enumerate(state.get("Branches", ()), 1):
            yield f"branch {number} of `{name}`", branch.get("States", {})


def retry_catch_problems(state: dict[str, Any]) -> list[str]:
    """Ordering mistakes in a state's Retry and Catch lists, and BackoffRate below 1."""
    problems: list[str] = []
    for field in ("Retry", "Catch"):
        entries = state.get(field, [])
        for position, entry in enumerate(entries):
            errors = entry.get("ErrorEquals", [])
            if "States.ALL" in errors and (len(errors) > 1 or position != len(entries) - 1):
                problems.append(f"{field}: `States.ALL` must be alone in the last entry")
    for entry in state.get("Retry", []):
        rate = entry.get("BackoffRate")
        if rate is not None and Decimal(str(rate)) < 1:
            problems.append(f"Retry: BackoffRate {rate} is below 1")
        if entry.get("JitterStrategy", "NONE") not in ("NONE", "FULL"):
            problems.append(f"Retry: JitterStrategy {entry['JitterStrategy']} is not NONE or FULL")
    return problems


def _edges(state: dict[str, Any]) -> list[str]:
    targets = [state[key] for key in ("Next", "Default") if key in state]
    targets += [rule["Next"] for rule in state.get("Choices", [])]
    targets += [catch["Next"] for catch in state.get("Catch", [])]
    return targets


def history_bound(definition: dict[str, Any], forward: Forward | None = None) -> int | None:
    """The most history events one execution can write, or None when the graph has a cycle.

    Retries multiply a state's events by its attempts. Edges `forward` rejects (a
    refused event going back to its wait) are left out: each costs a few events per
    event delivered, not per execution.
    """
    states = definition.get("States", {})
    memo: dict[str, int] = {}
    inner: dict[str, int] = {}
    for name, state in states.items():
        total = 0
        for branch in state.get("Branches", ()):
            found = history_bound(branch, forward)
            if found is None:
                return None
            total += found
        inner[name] = total
    start = definition.get("StartAt")
    if start is None or start not in states:
        return None
    colour: dict[str, int] = {}  # 1: on the path being explored, 2: finished
    stack: list[tuple[str, bool]] = [(start, False)]
    while stack:
        name, done = stack.pop()
        if done:
            best = max((memo[t] for t in _next(states, name, forward)), default=0)
            memo[name] = _events(states[name]) + inner[name] + best
            colour[name] = 2
            continue
        if colour.get(name) == 2:
            continue
        colour[name] = 1
        stack.append((name, True))
        for target in _next(states, name, forward):
            if colour.get(target) == 1:
                return None
            if colour.get(target) is None:
                stack.append((target, False))
    return memo[start]


def _next(states: dict[str, Any], name: str, forward: Forward | None) -> list[str]:
    return [t for t in _edges(states[name]) if t in states and (forward is None or forward(name, t))]


def _events(state: dict[str, Any]) -> int:
    attempts = 1 + sum(int(r.get("MaxAttempts", 3)) for r in state.get("Retry", []))
    return EVENTS_PER_STATE * attempts
