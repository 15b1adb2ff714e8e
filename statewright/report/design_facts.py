"""What a machine's design asks of an engine, computed from the IR: waits, timers, loops, data, people.

The engine recommendation (`recommendation.py`) weighs these against each
engine's limits (Step Functions Express's five minutes, the 25,000 and 51,200
event histories, payload sizes) and against what each statewright target
approximates (docs/targets/*.md, the SW92x and SW94x capability lints). Every
value is read off the IR alone, so the same spec always gives the same facts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from statewright import ir
from statewright.compiler.verify.graph import MachineGraph
from statewright.semantics.graphs import strongly_connected

ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})
"""Operators a Step Functions Choice rule cannot compute (the asl target asks its evaluator Lambda)."""

FIXED_BYTES = {"int": 20, "decimal": 40, "bool": 5}
"""A generous JSON size of one value of each fixed-size type (64-bit ints, 18-digit decimals)."""


@dataclass(frozen=True, slots=True)
class DesignFacts:
    """One machine's engine-relevant facts (see the module doc)."""

    longest_timer_ms: int | None
    """The longest timer (a `timeout`, an approval level's or a checkpoint's) in the machine."""
    unbounded_waits: tuple[str, ...]
    """Waiting states with no timer at all: the wait can last as long as the instance."""
    waits: bool
    """Some state waits for an event or for invoked work (a callback on Step Functions)."""
    human_steps: tuple[str, ...]
    """Approvals and checkpoints: where people act on the instance."""
    loops: bool
    """The state graph has a cycle, so no static bound on the steps (history events) of one instance."""
    longest_path: int
    """Leaf states visited on the longest path without loops (every leaf once, with loops)."""
    widest_parallel: int
    """The most regions of one parallel state (0: no parallel state)."""
    string_fields: tuple[str, ...]
    """Context, payload and result fields of type string: no declared bound on their size."""
    fixed_bytes: int
    """The context's JSON size without its strings, plus the largest payload or result."""
    evaluator: tuple[str, ...]
    """Why the asl target needs its evaluator Lambda (arithmetic, approval counting, data checks)."""
    soft_timeouts: int
    jitter: tuple[str, ...]
    """The retry jitter kinds used, other than `none`."""
    linear_backoff: bool
    subsecond: bool
    """Some duration is not a whole number of seconds (Step Functions rounds it up)."""
    compound_timers: tuple[str, ...]
    """Compound (non-parallel) states with their own timer: BPMN restarts it per child (SW947)."""
    delegation: bool
    unlimited_retries: bool
    attempts: int
    """The most attempts one piece of work makes (1 + its retries; 1 with no retry policy)."""


def design_facts(machine: ir.Machine, graph: MachineGraph | None = None) -> DesignFacts:
    """Compute the facts the engine recommendation weighs, from the IR alone.

    `graph` is the machine's leaf graph when the caller has one (a verification run's,
    `graph_of(run)`), so a large machine's graph is built once.
    """
    graph = MachineGraph(machine) if graph is None else graph
    timers = [t.after_ms for t in machine.transitions if t.kind == "timeout" and t.after_ms is not None]
    timers += [c.timeout_ms for c in machine.checkpoints if c.timeout_ms is not None]
    timers += [lv.timeout_ms for a in machine.approvals for lv in a.levels if lv.timeout_ms is not None]
    loops, longest = _paths(graph)
    policies = [s.invoke.retry for s in machine.states if s.invoke is not None and s.invoke.retry is not None]
    policies += [step.retry for saga in machine.sagas for step in saga.steps if step.retry is not None]
    durations = [*timers, *(p.base_ms for p in policies), *(p.cap_ms or 0 for p in policies)]
    durations += [s.invoke.heartbeat_ms or 0 for s in machine.states if s.invoke is not None]
    durations += [soft.after_ms for s in machine.states for soft in s.soft_timeouts]
    return DesignFacts(
        longest_timer_ms=max(timers, default=None),
        unbounded_waits=_unbounded_waits(machine, graph),
        waits=any(t.kind == "event" for t in machine.transitions)
        or any(s.invoke is not None for s in machine.states),
        human_steps=tuple(
            dict.fromkeys([a.state for a in machine.approvals] + [c.state for c in machine.checkpoints])
        ),
        loops=loops,
        longest_path=longest,
        widest_parallel=max((len(s.children) for s in machine.states if s.kind == "parallel"), default=0),
        string_fields=tuple(name for name, field in _all_fields(machine) if field.type.name == "string"),
        fixed_bytes=_fixed_bytes(machine),
        evaluator=_evaluator_uses(machine),
        soft_timeouts=sum(len(s.soft_timeouts) for s in machine.states),
        jitter=tuple(dict.fromkeys(p.jitter for p in policies if p.jitter != "none")),
        linear_backoff=any(p.backoff == "linear" for p in policies),
        subsecond=any(d % 1000 for d in durations),
        compound_timers=_compound_timers(machine),
        delegation=any(a.delegation for a in machine.approvals),
        unlimited_retries=any(p.max_retries is None for p in policies),
        attempts=1 + max((p.max_retries or 0 for p in policies), default=0),
    )


def _unbounded_waits(machine: ir.Machine, graph: MachineGraph) -> tuple[str, ...]:
    """Waiting states that no timer of their own or of an enclosing state ends."""
    timed = {t.source for t in machine.transitions if t.kind == "timeout"}
    return tuple(
        state.name
        for state in machine.states
        if state.waits and not any(name in timed for name in (state.name, *graph.ancestors(state.name)))
    )


def _paths(graph: MachineGraph) -> tuple[bool, int]:
    """Whether the leaf graph has a cycle, and the leaves on its longest path (all leaves with one)."""
    successors = {leaf: [edge.target for edge in edges] for leaf, edges in graph.edges.items()}
    components = strongly_connected(graph.initial_leaves, lambda leaf: successors[leaf])
    if any(len(c) > 1 or c[0] in successors[c[0]] for c in components):
        return True, len(graph.leaves)
    longest: dict[str, int] = {}
    for (leaf,) in components:  # Tarjan closes sinks first: successors are done before their sources
        longest[leaf] = 1 + max((longest[target] for target in successors[leaf]), default=0)
    return False, max((longest[leaf] for leaf in graph.initial_leaves), default=0)


def _all_fields(machine: ir.Machine) -> Iterator[tuple[str, ir.ContextField]]:
    for field in machine.context:
        yield field.name, field
    for event in machine.events:
        for field in event.payload:
            yield f"{event.name}.{field.name}", field
    for state in machine.states:
        if state.invoke is not None:
            for field in state.invoke.result:
                yield f"{state.invoke.action}.{field.name}", field


def _size(field: ir.ContextField) -> int:
    if field.type.name == "enum":
        return max((len(member) for member in field.type.members), default=0) + 2
    if field.type.name == "string":
        return 2
    return FIXED_BYTES[field.type.name]


def _fixed_bytes(machine: ir.Machine) -> int:
    def block(fields: tuple[ir.ContextField, ...]) -> int:
        return sum(len(f.name) + 4 + _size(f) for f in fields)

    inputs = [block(e.payload) for e in machine.events]
    inputs += [block(s.invoke.result) for s in machine.states if s.invoke is not None]
    return block(machine.context) + max(inputs, default=0)


def _expressions(expr: ir.Expr) -> Iterator[ir.Expr]:
    yield expr
    match expr:
        case ir.BinOp(left=left, right=right):
            yield from _expressions(left)
            yield from _expressions(right)
        case ir.Unary(operand=operand) | ir.In(operand=operand):
            yield from _expressions(operand)


def _computes(expr: ir.Expr) -> bool:
    """True when the expression does arithmetic (a Choice rule only compares)."""
    return any(
        (isinstance(e, ir.BinOp) and e.op in ARITHMETIC) or (isinstance(e, ir.Unary) and e.op == "-")
        for e in _expressions(expr)
    )


def _evaluator_uses(machine: ir.Machine) -> tuple[str, ...]:
    uses: list[str] = []
    guards = sum(1 for t in machine.transitions if t.guard is not None and _computes(t.guard))
    if guards:
        uses.append(f"{guards} guard(s) with arithmetic")
    actions = [a for t in machine.transitions for a in t.actions]
    actions += [a for s in machine.states for a in (*s.entry, *s.exit)]
    sets = sum(
        1
        for a in actions
        if isinstance(a, ir.Assign)
        and _computes(a.value)
        and not (isinstance(a.value, ir.BinOp) and a.value.op in ("+", "-") and a.value.type == "int")
    )
    if sets:
        uses.append(f"{sets} `set`(s) computing more than an integer sum")
    quorums = sum(1 for a in machine.approvals for level in a.levels if level.quorum >= 2)
    if quorums:
        uses.append(f"{quorums} approval level(s) with a quorum of two or more")
    if any(e.payload for e in machine.events) or any(s.invoke and s.invoke.result for s in machine.states):
        uses.append("checking event payloads and work results")
    return tuple(uses)


def _compound_timers(machine: ir.Machine) -> tuple[str, ...]:
    kinds = {s.name: s.kind for s in machine.states}
    return tuple(
        dict.fromkeys(
            t.source for t in machine.transitions if t.kind == "timeout" and kinds.get(t.source) == "compound"
        )
    )


def volume_per_second(volume: ir.Volume) -> Decimal:
    """Instances started per second at the declared peak."""
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86_400}[volume.per]
    return Decimal(volume.count) / seconds
