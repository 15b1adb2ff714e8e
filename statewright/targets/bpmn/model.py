"""The BPMN graph a machine becomes: frozen nodes, flows and global elements.

`build.py` makes a `Model` from the IR; `layout.py` places it; `xml.py` writes it
in one flavor. `protocol.process_map` publishes what the same model says about
each element id (for callers such as `statewright.testing.bpmn_engine`), so the
mapping is never parsed out of ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, TypeAlias

from statewright import ir
from statewright.targets.bpmn.conditions import Condition

NodeKind: TypeAlias = Literal[
    "startEvent",
    "endEvent",
    "scriptTask",
    "serviceTask",
    "userTask",
    "exclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "subProcess",
]
NodeRole: TypeAlias = Literal[
    "start",
    "milestone",
    "final",
    "action",
    "emit",
    "work",
    "approval",
    "checkpoint",
    "wait",
    "catch",
    "timeout",
    "soft_timeout",
    "heartbeat",
    "error",
    "escalate",
    "refused",
    "ignored",
    "retry",
    "gateway",
    "merge",
    "parallel",
    "split",
    "join",
    "end",
    "failed",
    "stuck",
    "warned",
    "delegated",
]
EventKind: TypeAlias = Literal["message", "timer", "error", "escalation"]
RootKind: TypeAlias = Literal["message", "error", "escalation"]


@dataclass(frozen=True, slots=True)
class EventDef:
    """The event definition of an event node: a reference to a global element, or a timer."""

    kind: EventKind
    ref: str | None = None
    duration_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Node:
    """One flow node. `state` is the IR leaf it belongs to (None for shared plumbing)."""

    id: str
    kind: NodeKind
    name: str
    scope: str
    role: NodeRole
    state: str | None = None
    doc: str = ""
    event: EventDef | None = None
    attached_to: str | None = None
    interrupting: bool = True
    owner: str | None = None
    action: ir.Action | None = None
    work: ir.Invoke | None = None
    counter: str | None = None
    approvers: tuple[str, ...] = ()
    quorum: int = 1
    delegation: bool = False
    outcome: str | None = None
    data: tuple[str, ...] = ()
    """The payload fields a message catch delivers into `event`, or the result fields work returns into
    `result` (the flavor maps them where its engine needs a mapping)."""


@dataclass(frozen=True, slots=True)
class Flow:
    """A sequence flow; `condition` None is unconditional (or the source's default)."""

    id: str
    source: str
    target: str
    scope: str
    name: str = ""
    condition: Condition | None = None
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Root:
    """A global element: a message (an IR event), an error or an escalation."""

    id: str
    kind: RootKind
    name: str
    code: str | None = None
    event: str | None = None
    """For a message: the IR event it delivers (one message per receiving region, see `lower.py`)."""


@dataclass(frozen=True)
class Model:
    """A whole BPMN process for one machine; nodes and flows in a stable order."""

    process_id: str
    name: str
    doc: str
    nodes: tuple[Node, ...]
    flows: tuple[Flow, ...]
    roots: tuple[Root, ...]
    defaults: Mapping[str, str] = field(default_factory=dict)
    """Gateway or activity id -> the id of its default flow."""

    @cached_property
    def by_id(self) -> dict[str, Node]:
        """Nodes by id."""
        return {node.id: node for node in self.nodes}

    @cached_property
    def incoming(self) -> dict[str, tuple[Flow, ...]]:
        """Flows into each node, in flow order."""
        found: dict[str, list[Flow]] = {node.id: [] for node in self.nodes}
        for flow in self.flows:
            found[flow.target].append(flow)
        return {key: tuple(value) for key, value in found.items()}

    @cached_property
    def outgoing(self) -> dict[str, tuple[Flow, ...]]:
        """Flows out of each node, in flow order."""
        found: dict[str, list[Flow]] = {node.id: [] for node in self.nodes}
        for flow in self.flows:
            found[flow.source].append(flow)
        return {key: tuple(value) for key, value in found.items()}

    @cached_property
    def boundaries(self) -> dict[str, tuple[Node, ...]]:
        """Boundary events by the activity they are attached to."""
        found: dict[str, list[Node]] = {}
        for node in self.nodes:
            if node.attached_to is not None:
                found.setdefault(node.attached_to, []).append(node)
        return {key: tuple(value) for key, value in found.items()}

    def in_scope(self, scope: str) -> tuple[Node, ...]:
        """The nodes directly inside a process or sub-process."""
        return tuple(node for node in self.nodes if node.scope == scope)
