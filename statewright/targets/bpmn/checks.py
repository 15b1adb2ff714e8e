"""The BPMN target's diagnostic codes (SW940–SW955, in `diagnostics.catalog.bpmn`); how a finding is kept.

Every construct BPMN (or one flavor of it) cannot express is reported here with
a stable code instead of being dropped silently; docs/targets/bpmn.md lists
them with the mapping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

from statewright.diagnostics import Code, Diagnostic
from statewright.diagnostics.catalog.bpmn import BACKOFF_NOT_WAITED as BACKOFF_NOT_WAITED
from statewright.diagnostics.catalog.bpmn import COMPOUND_TIMER_RESTARTS as COMPOUND_TIMER_RESTARTS
from statewright.diagnostics.catalog.bpmn import DEEP_ENTRY as DEEP_ENTRY
from statewright.diagnostics.catalog.bpmn import JITTER_NOT_EXPRESSED as JITTER_NOT_EXPRESSED
from statewright.diagnostics.catalog.bpmn import MESSAGE_TWO_RECEIVERS as MESSAGE_TWO_RECEIVERS
from statewright.diagnostics.catalog.bpmn import NO_FINAL_STATE as NO_FINAL_STATE
from statewright.diagnostics.catalog.bpmn import PARALLEL_REFUSAL_RESTARTS as PARALLEL_REFUSAL_RESTARTS
from statewright.diagnostics.catalog.bpmn import REGION_EXIT_ACTIONS as REGION_EXIT_ACTIONS
from statewright.diagnostics.catalog.bpmn import SOFT_TIMEOUT_DROPPED as SOFT_TIMEOUT_DROPPED
from statewright.diagnostics.catalog.bpmn import TIMEOUT_PER_ATTEMPT as TIMEOUT_PER_ATTEMPT
from statewright.diagnostics.catalog.bpmn import WAITS_FOR_NOTHING as WAITS_FOR_NOTHING
from statewright.source import NO_SPAN, Span
from statewright.targets.bpmn.model import Model, Node


@dataclass(frozen=True, slots=True)
class Finding:
    """A finding recorded while building, turned into a `Diagnostic` by the target."""

    code: Code
    message: str
    span: Span

    def diagnostic(self, source: str) -> Diagnostic:
        """The finding as a located diagnostic."""
        return Diagnostic.of(self.code, self.message, source, self.span)


def shared_messages(model: Model, span: Span = NO_SPAN) -> list[Finding]:
    """SW950 for every message with two catch events that can wait at the same time.

    Read off the finished graph alone, not off how the lowering meant it: a
    catch event waits at its own position, a boundary event at the activity it
    is attached to (armed while that activity runs, including everything inside
    a sub-process). Two positions are concurrent when they lie in different
    branches of a parallel split, or when one is a sub-process (or an activity)
    that the other is inside of or attached to.
    """
    catches: dict[str, list[Node]] = {}
    for node in model.nodes:
        event = node.event
        waits = node.kind in ("intermediateCatchEvent", "boundaryEvent", "startEvent")
        if waits and event is not None and event.kind == "message" and event.ref is not None:
            catches.setdefault(event.ref, []).append(node)
    names = {root.id: root.name for root in model.roots}
    branches = _branches(model)
    found: list[Finding] = []
    for ref, nodes in catches.items():
        for first, second in combinations(_may_overlap(model, branches, nodes), 2):
            if _concurrent(model, branches, first, second):
                found.append(
                    Finding(
                        MESSAGE_TWO_RECEIVERS,
                        f"message `{names.get(ref, ref)}` can be awaited by `{first.id}` and `{second.id}` "
                        "at once",
                        span,
                    )
                )
                break
    return found


def _may_overlap(
    model: Model, branches: dict[str, dict[str, frozenset[int]]], nodes: list[Node]
) -> list[Node]:
    """The catches of one message that `_concurrent` can pair with another of them, in order.

    A linear filter that keeps every catch of a concurrent pair (so the first pair
    found, and the finding, are the same as over all catches) and drops the rest,
    which in a big sequential process is nearly all of them: testing every pair
    was quadratic in the catches of a message. A catch can be concurrent only if
    it shares its activity with another boundary, is a boundary on a container
    holding another catch, lies inside a container another catch is attached to,
    or lies on some parallel split's branch.
    """
    paths = [_containers(model, _position(node)) for node in nodes]
    attached: Counter[str] = Counter(node.attached_to for node in nodes if node.attached_to is not None)
    """Position -> how many of the catches are boundaries attached to it."""
    inside: Counter[str] = Counter(level for path in paths for level in path)
    """Position -> how many of the catches wait at it or inside it (a boundary counts at its activity)."""
    kept: list[Node] = []
    for node, path in zip(nodes, paths, strict=True):
        owner = node.attached_to
        if (
            (owner is not None and inside[owner] > 1)
            or any(attached[level] > (level == owner) for level in path)
            or any(level in branches.get(model.by_id[level].scope, {}) for level in path)
        ):
            kept.append(node)
    return kept


def _containers(model: Model, node_id: str) -> list[str]:
    """The ids from the process down to `node_id`'s position: enclosing sub-processes, then itself."""
    path = [node_id]
    current = model.by_id[node_id].scope
    while current in model.by_id:
        path.append(current)
        current = model.by_id[current].scope
    return list(reversed(path))


def _position(node: Node) -> str:
    return node.attached_to or node.id


def _concurrent(model: Model, branches: dict[str, dict[str, frozenset[int]]], a: Node, b: Node) -> bool:
    if a.attached_to is not None and a.attached_to == b.attached_to:
        return True  # two boundaries of one activity are armed together
    path_a, path_b = _containers(model, _position(a)), _containers(model, _position(b))
    common = 0
    while common < min(len(path_a), len(path_b)) and path_a[common] == path_b[common]:
        common += 1
    if common == len(path_a) or common == len(path_b):
        # one position contains the other: a boundary on a sub-process (or activity) and a wait inside
        return (a.attached_to is not None and common == len(path_a)) or (
            b.attached_to is not None and common == len(path_b)
        )
    scope = model.by_id[path_a[common]].scope
    in_scope = branches.get(scope, {})
    left, right = in_scope.get(path_a[common], frozenset()), in_scope.get(path_b[common], frozenset())
    return any(i != j for i in left for j in right)


def _branches(model: Model) -> dict[str, dict[str, frozenset[int]]]:
    """Per scope with a parallel split: node id -> the split's branches (by index) that reach it."""
    found: dict[str, dict[str, frozenset[int]]] = {}
    for node in model.nodes:
        if node.kind != "parallelGateway" or len(model.outgoing[node.id]) < 2:
            continue
        reach: dict[str, set[int]] = {}
        for index, flow in enumerate(model.outgoing[node.id]):
            for reached in _forward(model, flow.target):
                reach.setdefault(reached, set()).add(index)
        found[node.scope] = {key: frozenset(value) for key, value in reach.items()}
    return found


def _forward(model: Model, start: str) -> Iterator[str]:
    """The nodes reachable from `start` in its scope, boundary events included, up to a parallel join."""
    seen: set[str] = set()
    pending = [start]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        yield current
        node = model.by_id[current]
        if node.kind == "parallelGateway" and len(model.incoming[current]) > 1:
            continue
        pending.extend(flow.target for flow in model.outgoing[current])
        pending.extend(boundary.id for boundary in model.boundaries.get(current, ()))
