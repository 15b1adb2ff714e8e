"""The public contract of the `asl` target: what a caller of a generated state machine relies on.

Everything else in `statewright.targets.asl` builds the definition and may change
without notice; these names are the conventions the generated files keep, for
whatever deploys, feeds or watches an execution (an event deliverer, a Lambda or
queue worker, a test driver such as `statewright.testing.asl_engine`), and are
documented in docs/targets/asl.md:

- the files `generate` writes (`definition_file`, `resource_map_file`);
- the resource names the target itself uses (`EVENT_QUEUE`, `EMIT_QUEUE`,
  `EVALUATOR`) and how target options serve a resource from a queue
  (`queue_options`);
- the execution input (`execution_input`), and the context in the state data
  (`execution_context`);
- the callback messages Tasks send (`WAIT`, `WORK`, evaluator requests, emits)
  and their answers (`event_answer`, `done_answer`), the evaluator's handler
  (`evaluator_handler`, which the SAM template deploys);
- the error names that fire timers (`timer_error`, `HEARTBEAT_ERROR`), and which
  work counts its missed heartbeats' retries apart (`heartbeat_budget_split`);
- how to read an execution history back in IR terms (`history_map`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from statewright import ir
from statewright.targets.asl.asljson import deployed
from statewright.targets.asl.compile import compile_machine
from statewright.targets.asl.evaluator import CHECK, TALLY
from statewright.targets.asl.evaluator import handler as evaluator_handler
from statewright.targets.asl.expressions import context_value
from statewright.targets.asl.resources import EMIT_QUEUE, EVALUATOR, EVENT_QUEUE
from statewright.targets.asl.retry import HEARTBEAT_ERROR, heartbeat_budget_split

__all__ = [
    "EMIT_QUEUE",
    "EVALUATOR",
    "EVENT_QUEUE",
    "HEARTBEAT_ERROR",
    "RESOURCE_OPTION",
    "WAIT",
    "WORK",
    "HistoryMap",
    "definition_file",
    "deployed",
    "done_answer",
    "emitted_event",
    "evaluator_handler",
    "event_answer",
    "execution_context",
    "execution_input",
    "heartbeat_budget_split",
    "history_map",
    "is_evaluator_request",
    "queue_options",
    "resource_map_file",
    "timer_error",
]

RESOURCE_OPTION = "asl_resource."
"""Prefix of the target option serving one resource: `asl_resource.NAME=VALUE`."""

WAIT = "wait"
"""`kind` of the message a state sends to `EVENT_QUEUE` when it waits for an event."""
WORK = "work"
"""`kind` of the message a state's invoked work receives: answered by the work or by an event."""


def definition_file(machine: str) -> str:
    """The path of the state machine definition `generate` writes for workflow `machine`."""
    return f"{machine}.asl.json"


def resource_map_file(machine: str) -> str:
    """The path of the resource map skeleton: every resource the definition calls, as JSON object keys."""
    return f"{machine}.resources.json"


def queue_options(queues: Mapping[str, str]) -> dict[str, str]:
    """Target options serving each named resource (action or target resource) from an SQS queue URL."""
    return {f"{RESOURCE_OPTION}{name}": json.dumps({"queue": url}) for name, url in queues.items()}


def execution_input(context: Mapping[str, ir.Value]) -> dict[str, Any]:
    """The execution input for a context: `{"context": {...}}`, decimals as JSON numbers."""
    return {"context": _numbers(context)}


def execution_context(machine: ir.Machine, data: Mapping[str, Any]) -> dict[str, ir.Value]:
    """The context in an execution's state data (any state's input or output), typed by the fields.

    The state data holds the context at `$.context`, decimals as JSON numbers;
    they are read back as `Decimal`s (by their shortest text). Keys that are not
    declared fields are left out.
    """
    raw = data.get("context")
    if not isinstance(raw, Mapping):
        return {}
    types = {f.name: f.type.name for f in machine.context}
    return {name: context_value(value, types[name]) for name, value in raw.items() if name in types}


def _numbers(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as JSON takes them: decimals as JSON numbers (the definition's Choice rules compare numbers)."""
    return {name: float(v) if isinstance(v, Decimal) else v for name, v in values.items()}


def is_evaluator_request(message: Mapping[str, Any]) -> bool:
    """True for an evaluator request (answer it with `evaluator_handler(message)`), not a wait or work."""
    return "expressions" in message or TALLY in message or CHECK in message


def emitted_event(message: Mapping[str, Any]) -> str | None:
    """The event an `emit` message on `EMIT_QUEUE` carries (None for a `do` message there)."""
    event = message.get("emit")
    return event if isinstance(event, str) else None


def event_answer(
    event: str,
    actor: str = "",
    permissions: Iterable[str] = (),
    payload: Mapping[str, Any] | None = None,
    delegate_to: str = "",
    scope: str = "",
    data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The SendTaskSuccess output delivering an event to a waiting state (every key present).

    `scope` is the scope lock the sender acts under ("" for none): a gate whose
    transition runs under a lock refuses any other, and none (LANGUAGE.md §13).
    `data` is the event's typed payload (`event.F`; decimals as JSON numbers or
    decimal strings); `payload` the evidence recorded with the transition. The
    definition checks `data` against the event's declared fields before
    anything else and refuses the event, changing nothing, when it does not fit.
    """
    evidence = dict(payload or {})
    return {
        "kind": "event",
        "event": event,
        "actor": actor,
        "permissions": list(permissions),
        "evidence": list(evidence),
        "payload": evidence,
        "delegate_to": delegate_to,
        "scope": scope,
        "data": _numbers(data or {}),
        "result": {},
    }


def done_answer(result: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The SendTaskSuccess output telling a `WORK` Task its work finished, with what it returned.

    `result` holds the fields the invoke `returns` (`result.F`). A result that
    does not fit them is a `ResultInvalid` failure of the work, routed like a
    failure after its retries (`on error ResultInvalid`, the dead letter, else
    the execution fails). A failure is `SendTaskFailure` with the error's name
    as `error` and its message as `cause` (always give one, `""` for none: a
    catch reads it as `error.message`).
    """
    return {
        "kind": "done",
        "event": "",
        "actor": "",
        "permissions": [],
        "evidence": [],
        "delegate_to": "",
        "scope": "",
        "data": {},
        "result": _numbers(result or {}),
    }


def timer_error(state: str) -> str:
    """The SendTaskFailure error that fires the timeout of IR state `state` now (`Timer.<State>`)."""
    return f"Timer.{state}"


@dataclass(frozen=True, slots=True)
class HistoryMap:
    """How to read an execution history of a generated definition back as IR states and steps.

    Keys are ASL state names as `stateEnteredEventDetails.name` shows them.
    """

    markers: Mapping[str, str]
    """ASL state whose entry means an IR leaf was entered -> that leaf."""
    parallels: Mapping[str, str]
    """ASL Parallel state -> the IR parallel state."""
    waits: Mapping[str, str]
    """Callback Task (a `WAIT` or `WORK`) -> the IR leaf it serves."""
    refusals: frozenset[str]
    """States passed when an event is refused (rejected, or no guard holds): nothing changes."""
    unhandled: frozenset[str]
    """States passed when no level of the leaf mentions the event: nothing changes."""
    ignored: frozenset[str]
    """States passed when the event is ignored (taken, nothing changes)."""
    neutral: frozenset[str]
    """Waits, decisions and evaluator calls: passing only these means nothing happened yet."""


def history_map(machine: ir.Machine) -> HistoryMap:
    """What each state of the definition `generate` writes for `machine` means in IR terms.

    A named function rather than something read back from the definition: a
    state's role (a refusal, a decision that changes nothing) is not written in
    the definition, and state names are cut at 80 characters, so reading it back
    would be a second copy of the builder's naming. Options (resources, the
    callback bound) change Task resources and timeouts, never state names, so
    the map holds for the definition generated with any options.
    """
    layout = compile_machine(machine).layout
    return HistoryMap(
        markers=MappingProxyType(layout.leaf_of()),
        parallels=MappingProxyType(dict(layout.parallels)),
        waits=MappingProxyType(dict(layout.waits)),
        refusals=frozenset(layout.refusals),
        unhandled=frozenset(layout.unhandled),
        ignored=frozenset(layout.ignored),
        neutral=frozenset(layout.neutral),
    )
