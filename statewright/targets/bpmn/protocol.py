"""The public contract of the `bpmn` and `bpmn-zeebe` targets: what a caller of a generated process relies on.

Everything else in `statewright.targets.bpmn` builds the process and may change
without notice; these names are the conventions the generated `.bpmn` keeps, for
whatever runs it beside a BPMN engine (message correlation, the task list, the
job worker, a test driver such as `statewright.testing.bpmn_engine`), and are
documented in docs/targets/bpmn.md:

- the file `generate` writes (`process_file`);
- the process variables the process reads and writes: message data
  (`PERMISSIONS_VAR`, `SCOPE_VAR`, `EVIDENCE_VAR`), the task list's decision
  (`DECISION_VAR`, one of `DECISIONS`; for `bpmn-javascript` also
  `REJECTED_VAR`), the job worker's error (`ERROR_VAR`)
  and Zeebe's correlation key (`CORRELATION_VAR`);
- the data that arrives with a transition (LANGUAGE.md, "Data"), one
  dict/context each: the message's payload (`EVENT_VAR`, `event`), the
  work's result (`RESULT_VAR`, `result`) and the failure being handled
  (`FAILURE_VAR`, `error`: `name` and `message`); whoever delivers them checks
  them first (`semantics.inputs.check_fields`) and refuses a bad payload;
- what each element of the process means in IR terms (`process_map`),
  which messages deliver each IR event (`ProcessMap.messages`: one per
  receiving region, since a BPMN message reaches one waiting receiver), and
  which IR state an element of a shared early-exit compensation chain stands
  for (`ProcessMap.shared`, `ProcessMap.state_of`: the recorded exit's,
  read from the `exit_from_<saga>` variable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from statewright import ir
from statewright.targets.bpmn.conditions import (
    DECISION_VAR,
    ERROR_VAR,
    EVENT_VAR,
    EVIDENCE_VAR,
    FAILURE_VAR,
    PERMISSIONS_VAR,
    RESULT_VAR,
    SCOPE_VAR,
)
from statewright.targets.bpmn.flavors import CORRELATION_VAR, FLAVORS, REJECTED_VAR
from statewright.targets.bpmn.graph import ncname
from statewright.targets.bpmn.model import Node, NodeKind, NodeRole
from statewright.targets.bpmn.target import build_model

__all__ = [
    "CORRELATION_VAR",
    "DECISIONS",
    "DECISION_VAR",
    "ERROR_VAR",
    "EVENT_VAR",
    "EVIDENCE_VAR",
    "FAILURE_VAR",
    "PERMISSIONS_VAR",
    "REJECTED_VAR",
    "RESULT_VAR",
    "SCOPE_VAR",
    "Element",
    "ElementKind",
    "ElementRole",
    "ProcessMap",
    "process_file",
    "process_map",
]

ElementKind = NodeKind
"""The BPMN element type of an element (`userTask`, `boundaryEvent`, ...)."""
ElementRole = NodeRole
"""What an element does for the workflow (`milestone`, `work`, `approval`, `refused`, ...)."""

DECISIONS = ("approve", "reject", "delegate")
"""The approval events a task list handles: `approve` and `reject` complete an approval user task
with `DECISION_VAR` set to the event; `delegate` is correlated as the `delegate` message."""


def process_file(machine: str) -> str:
    """The path of the `.bpmn` file `generate` writes for workflow `machine`."""
    return f"{ncname(machine)}.bpmn"


@dataclass(frozen=True, slots=True)
class Element:
    """One flow element of the generated process (its `id` attribute) and what it means for the workflow.

    `state` is the IR leaf it belongs to (None for shared plumbing). Roles say
    what a caller sees: a `milestone` or `final` event completes when its state
    is entered, a `refused` marker runs when an event is refused, a `work`
    service task is the state's invoked work (with `error` boundary events
    attached to it), an `approval` user task is offered to `approvers`, a
    `checkpoint` task is completed by the event `owner`, a `timeout` or
    `heartbeat` timer fires after `duration_ms` for the state `owner`.
    """

    id: str
    kind: ElementKind
    role: ElementRole
    scope: str
    """The id of the process or sub-process the element is directly inside."""
    state: str | None = None
    owner: str | None = None
    attached_to: str | None = None
    """For a boundary event: the id of the activity it is attached to."""
    duration_ms: int | None = None
    """For a timer: its duration."""
    approvers: tuple[str, ...] = ()
    delegation: bool = False
    outcome: str | None = None
    """For a `final` end event: the IR outcome (`success` or `failure`)."""
    writes: str | None = None
    """For a `set` action's script task: the context field (process variable) it writes."""


@dataclass(frozen=True, slots=True)
class ProcessMap:
    """The generated process's id and its elements by id."""

    process_id: str
    elements: Mapping[str, Element]
    messages: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """IR event -> the names of the BPMN messages that deliver it, one per receiving region.

    A BPMN message reaches one waiting receiver, so whoever delivers an event
    (the correlator, a job worker serving an `emit`) publishes each of these.
    """
    shared: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=lambda: MappingProxyType({}))
    """Drawn IR state -> (process variable, the IR states its elements stand for when it holds 1, 2, ...).

    A saga's early exits share one drawing of their compensations: the
    elements carry the first exit's state, and the way in wrote which exit it
    was (`targets/bpmn/undo.py`). Every other element stands for its own state.
    """

    def state_of(self, state: str | None, variables: Mapping[str, object]) -> str | None:
        """The IR state an element's `state` (or a timer's `owner`) stands for, given the process variables.

        The recorded exit is an integer (the javascript flavor writes it as decimal text, as every
        number); with none recorded, or a value out of range, the element stands for its own state.
        """
        if state is None or state not in self.shared:
            return state
        variable, states = self.shared[state]
        recorded = variables.get(variable)
        if isinstance(recorded, str) and recorded.isdecimal():  # the javascript flavor keeps numbers as text
            recorded = int(recorded)
        if isinstance(recorded, bool) or not isinstance(recorded, int) or not 1 <= recorded <= len(states):
            return state
        return states[recorded - 1]


def _element(node: Node) -> Element:
    return Element(
        id=node.id,
        kind=node.kind,
        role=node.role,
        scope=node.scope,
        state=node.state,
        owner=node.owner,
        attached_to=node.attached_to,
        duration_ms=node.event.duration_ms if node.event is not None else None,
        approvers=node.approvers,
        delegation=node.delegation,
        outcome=node.outcome,
        writes=node.action.field if isinstance(node.action, ir.Assign) else None,
    )


def process_map(machine: ir.Machine, flavor: str = "generic") -> ProcessMap:
    """What each element of the process `generate` writes for `machine` means in IR terms.

    `flavor` is `generic` for the `bpmn` target, `javascript` for `bpmn-javascript` and
    `zeebe` for `bpmn-zeebe` (Zeebe retries natively, so it has no retry loop). A named function rather than
    something read back from the XML: roles, owners and states are not written
    in the process (ids are readable but not meant to be parsed), so reading them
    back would be a second copy of the lowering. The map does not depend on
    target options.
    """
    if flavor not in FLAVORS:
        raise ValueError(f"unknown BPMN flavor `{flavor}`; known: {', '.join(FLAVORS)}")
    model, lowering = build_model(machine, "", flavor)
    elements = {node.id: _element(node) for node in model.nodes}
    declared = {root.name for root in model.roots if root.kind == "message"}
    messages: dict[str, tuple[str, ...]] = {}
    for event, names in lowering.receivers.items():
        kept = tuple(name for name in names if name in declared)
        if kept:
            messages[event] = kept
    return ProcessMap(
        model.process_id, MappingProxyType(elements), MappingProxyType(messages), lowering.undo.shared()
    )
