"""Approval and wait rules (SW6xx): no wait without a bound, and escalations that end somewhere.

A *waiting state* is a leaf that waits on the outside world:
- approval levels and checkpoints (`State.waits`): a person must decide or acknowledge;
- plain states (no invoked work) whose only ways out are external events, or events and a timer.

What each rule checks:

- SW601 every waiting state has a hard timeout (its own or an enclosing state's). Missing on an
  approval level or checkpoint it is an error; on a plain state that waits only for events it
  is a warning, except where waiting for a person is the state's purpose (`waits_by_design`):
  the workflow's initial state (its creator acts next, as a draft waits for its author) and a
  review queue (the target of a saga's `compensation_failed` or a retry's `dead_letter`, or a
  state inside one: the human fallback of the design). A level with `timeout` but no
  `escalate` has no timer in the graph either, and is reported here.
- SW602 the escalation chain ends in an outcome: following timeouts from a waiting state (through
  further waiting states) must reach a state that can still reach a final state. Reported are
  timeouts into states that cannot finish, and escalation cycles (level 1 -> level 2 -> level 1),
  once per cycle. A chain that stops at a waiting state without a timeout is SW601 there.
- SW603 every level's quorum is at least 1 and at most the number of listed approvers. A listed
  approver counts once, whether it names a person or a role (as `quorum all` does).
- SW604 no `error` transition leaves a waiting state or the approval around it: escalation is a
  timer plus an escalation, never an error (errors are for failed work).
- SW605 delegation that nothing bounds. The IR records only *whether* delegation is allowed, not
  who may delegate to whom, so a delegation cycle (A -> B -> A) cannot be ruled out; what can be
  checked is that a cycle cannot hold the request forever: (a) `delegate` must not re-enter a
  state (which would restart the level's timer) — lowering makes it a stay; (b) an approval with
  a single level in which every listed approver must decide leaves delegation as the only way
  to progress when one of them cannot (the level's timeout is then the only bound). A level with
  delegation and no timeout at all is SW601.
- SW606 `recall` is possible only before a decision: every `recall` transition must leave from an
  approval (or a state inside it), never from a state after the decision, and an approval that
  declares `recall` must have the transition.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from statewright import ir
from statewright.compiler.verify.graph import Edge, MachineGraph, graph_of
from statewright.diagnostics import Diagnostic, Related, Severity
from statewright.diagnostics.catalog.waits import (
    DELEGATION_UNBOUNDED,
    ESCALATION_AS_ERROR,
    ESCALATION_WITHOUT_OUTCOME,
    QUORUM_OUT_OF_RANGE,
    RECALL_AFTER_DECISION,
    WAIT_WITHOUT_TIMEOUT,
)
from statewright.plugins.api import Rule, RuleContext
from statewright.plugins.hookspecs import hookimpl
from statewright.plugins.run import VerificationRun
from statewright.semantics.hierarchy import Hierarchy
from statewright.source import Span

FAMILY = "waits"


def _file(machine: ir.Machine) -> str:
    return machine.source or machine.name


@dataclass(frozen=True, slots=True)
class Wait:
    """One waiting leaf: what it is, how strict the rules are about it, and its table entries."""

    state: str
    what: str
    strict: bool
    span: Span
    approval: ir.Approval | None = None
    level: ir.ApprovalLevel | None = None


def _levels(machine: ir.Machine) -> dict[str, tuple[ir.Approval, ir.ApprovalLevel]]:
    return {level.state: (approval, level) for approval in machine.approvals for level in approval.levels}


def waiting_states(machine: ir.Machine, graph: MachineGraph | None = None) -> dict[str, Wait]:
    """Return every waiting leaf of `machine`, in IR order (`graph`: the run's, when there is one)."""
    graph = graph or MachineGraph(machine)
    levels = _levels(machine)
    found: dict[str, Wait] = {}
    for state in machine.states:
        if state.kind != "atomic":
            continue
        if state.name in levels:
            approval, level = levels[state.name]
            what = f"level {level.number} of approval `{approval.state}`"
            found[state.name] = Wait(state.name, what, True, level.span, approval, level)
        elif state.waits:
            kind = "checkpoint" if state.role == "checkpoint" else "waiting state"
            found[state.name] = Wait(state.name, f"{kind} `{state.name}`", True, state.span)
        elif _waits_on_events(machine, graph, state):
            found[state.name] = Wait(state.name, f"state `{state.name}`", False, state.span)
    return found


def waits_of(run: VerificationRun) -> Mapping[str, Wait]:
    """The run's waiting leaves (`waiting_states` over its leaf graph), found once for all its rules."""
    return run.derive(waiting_states, graph_of(run))


def waits_by_design(machine: ir.Machine) -> frozenset[str]:
    """Plain leaves whose purpose is to wait for a person, which SW601 does not ask to time out.

    The initial leaves (the instance's creator acts next) and the leaves of review queues: the
    targets of sagas' `compensation_failed` and of retry policies' `dead_letter`, and the states
    inside them. Approval levels and checkpoints are never among them.
    """
    queues = {saga.compensation_failed for saga in machine.sagas if saga.compensation_failed}
    queues |= {
        state.invoke.retry.dead_letter
        for state in machine.states
        if state.invoke is not None and state.invoke.retry is not None and state.invoke.retry.dead_letter
    }
    hierarchy = Hierarchy(machine)
    found = set(hierarchy.initial_leaves)
    for state in machine.states:
        if state.kind == "atomic" and ({state.name, *hierarchy.ancestors(state.name)} & queues):
            found.add(state.name)
    return frozenset(found)


def _waits_on_events(machine: ir.Machine, graph: MachineGraph, state: ir.State) -> bool:
    """A plain state without work whose only ways out are events (and perhaps a timer)."""
    if state.role != "state" or state.invoke is not None:
        return False
    kinds = {machine.transitions[edge.transition].kind for edge in graph.exits(state.name)}
    return "event" in kinds and kinds <= {"event", "timeout"}


def _timeouts(machine: ir.Machine, graph: MachineGraph, leaf: str) -> list[Edge]:
    """Timer edges out of a leaf, its own and its ancestors'."""
    return [e for e in graph.exits(leaf) if machine.transitions[e.transition].kind == "timeout"]


# --------------------------------------------------------------------------- SW601


class WaitTimeoutRule:
    """SW601: every waiting state is bounded by a hard timeout."""

    name = "wait-timeout"
    family = FAMILY
    codes: tuple[str, ...] = (WAIT_WITHOUT_TIMEOUT.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report waiting leaves without any timer edge."""
        graph = graph_of(context.run_for(machine))
        by_design = waits_by_design(machine)
        for wait in waits_of(context.run_for(machine)).values():
            if _timeouts(machine, graph, wait.state):
                continue
            if not wait.strict and (wait.state in by_design or wait.state not in graph.reachable):
                continue  # a wait by design; an unreachable state is SW301's
            yield Diagnostic.of(
                WAIT_WITHOUT_TIMEOUT,
                self._message(machine, graph, wait),
                _file(machine),
                wait.span,
                help=self._help(wait),
                severity=Severity.ERROR if wait.strict else Severity.WARNING,
                counterexample=graph.path_to(wait.state),
            )

    @staticmethod
    def _message(machine: ir.Machine, graph: MachineGraph, wait: Wait) -> str:
        if wait.level is not None and wait.level.timeout_ms is not None:
            return (
                f"{wait.what} has a `timeout` but no `escalate -> ...`: when the time is up nothing "
                "happens and the request waits forever"
            )
        if wait.level is not None:
            return f"{wait.what} waits for a decision without a timeout"
        if wait.strict:
            return f"{wait.what} waits for `acknowledge` without a timeout"
        events = sorted({edge.label for edge in graph.exits(wait.state)})
        listed = ", ".join(f"`{e}`" for e in events)
        return f"{wait.what} waits only for events ({listed}) and has no timer: an instance can wait forever"

    @staticmethod
    def _help(wait: Wait) -> str:
        if wait.level is not None:
            text = f"add `timeout 24h escalate -> level {wait.level.number + 1}` (or `-> SomeState`)"
            if wait.approval is not None and wait.approval.delegation:
                text += "; with delegation allowed, the timeout is also what stops a delegation cycle"
            return text + " to the level"
        if wait.strict:
            return "add `timeout 24h -> Fallback` to the checkpoint"
        return "add `timeout D -> State` (for example to a final state) so that no instance is orphaned"


# --------------------------------------------------------------------------- SW602


class EscalationOutcomeRule:
    """SW602: escalations end in a state that can still reach a final state."""

    name = "escalation-outcome"
    family = FAMILY
    codes: tuple[str, ...] = (ESCALATION_WITHOUT_OUTCOME.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Follow timer edges through waiting states; report dead ends and cycles."""
        graph = graph_of(context.run_for(machine))
        waits = waits_of(context.run_for(machine))
        timers = {name: _timeouts(machine, graph, name) for name in waits}
        good = self._good(graph, waits, timers)
        reported_cycles: set[frozenset[str]] = set()
        for name, wait in waits.items():
            if not timers[name] or name in good:
                continue
            dead_ends = [e for e in timers[name] if e.target not in waits]
            if dead_ends:
                edge = dead_ends[0]
                yield Diagnostic.of(
                    ESCALATION_WITHOUT_OUTCOME,
                    f"the timeout of {wait.what} escalates to `{edge.target}`, from which no final "
                    "state can be reached",
                    _file(machine),
                    machine.transitions[edge.transition].span,
                    help=f"give `{edge.target}` a way to a final state, or escalate to an outcome",
                    related=[Related(_file(machine), graph.states[edge.target].span, "escalates to here")],
                    counterexample=graph.path_to(name),
                )
                continue
            cycle = _cycle_through(name, timers, good)
            if cycle is None or frozenset(cycle) in reported_cycles:
                continue
            reported_cycles.add(frozenset(cycle))
            chain = " -> ".join(f"`{s}`" for s in [*cycle, cycle[0]])
            yield Diagnostic.of(
                ESCALATION_WITHOUT_OUTCOME,
                f"the escalation of {wait.what} goes round in a circle ({chain}): "
                "nobody is ever forced to decide",
                _file(machine),
                machine.transitions[timers[name][0].transition].span,
                help="let one level of the cycle escalate to an outcome state (e.g. `escalate -> Expired`)",
                counterexample=graph.path_to(name),
            )

    @staticmethod
    def _good(graph: MachineGraph, waits: Mapping[str, Wait], timers: dict[str, list[Edge]]) -> set[str]:
        """Waiting leaves with a timer path to a non-waiting leaf that can finish (one reverse search)."""
        before: dict[str, list[str]] = {name: [] for name in waits}
        good: set[str] = set()
        queue: deque[str] = deque()
        for name, edges in timers.items():
            for edge in edges:
                if edge.target in waits:
                    before[edge.target].append(name)
                elif edge.target in graph.can_finish and name not in good:
                    good.add(name)
                    queue.append(name)
        while queue:
            for earlier in before[queue.popleft()]:
                if earlier not in good:
                    good.add(earlier)
                    queue.append(earlier)
        return good


def _cycle_through(start: str, timers: dict[str, list[Edge]], good: set[str]) -> list[str] | None:
    """The shortest timer cycle from `start` back to itself, through waiting leaves that are not good."""
    parent: dict[str, str] = {}
    queue: deque[str] = deque([start])
    while queue:
        node = queue.popleft()
        for edge in timers.get(node, []):
            nxt = edge.target
            if nxt == start:
                cycle = [node]
                while cycle[-1] != start:
                    cycle.append(parent[cycle[-1]])
                return list(reversed(cycle))
            if nxt in timers and nxt not in good and nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return None


# --------------------------------------------------------------------------- SW603


class QuorumRule:
    """SW603: 1 <= quorum <= number of listed approvers, on every level."""

    name = "approval-quorum"
    family = FAMILY
    codes: tuple[str, ...] = (QUORUM_OUT_OF_RANGE.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report levels whose quorum cannot be met or is meaningless."""
        graph = graph_of(context.run_for(machine))
        for approval in machine.approvals:
            for level in approval.levels:
                count = len(set(level.approvers))  # a listed approver is one place (LANGUAGE.md §10)
                if 1 <= level.quorum <= count:
                    continue
                if level.quorum < 1:
                    problem = f"quorum {level.quorum} is below 1: the level would approve with no approval"
                else:
                    noun = "approver" if count == 1 else "approvers"
                    problem = (
                        f"quorum {level.quorum} exceeds its {count} listed {noun}: "
                        "the level can never approve"
                    )
                yield Diagnostic.of(
                    QUORUM_OUT_OF_RANGE,
                    f"level {level.number} of approval `{approval.state}`: {problem}",
                    _file(machine),
                    level.span,
                    counterexample=graph.path_to(level.state),
                )


# --------------------------------------------------------------------------- SW604


class EscalationAsErrorRule:
    """SW604: a waiting state (or its approval) is never left by an `error` transition."""

    name = "escalation-as-error"
    family = FAMILY
    codes: tuple[str, ...] = (ESCALATION_AS_ERROR.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report error transitions written on waiting states or on the approvals around them."""
        graph = graph_of(context.run_for(machine))
        owners: dict[str, str] = {}
        for name, wait in waits_of(context.run_for(machine)).items():
            if not wait.strict:
                continue
            owners.setdefault(name, wait.what)
            if wait.approval is not None:
                for ancestor in graph.ancestors(name):
                    owners.setdefault(ancestor, f"approval `{wait.approval.state}`")
                    if ancestor == wait.approval.state:
                        break
        for transition in machine.transitions:
            if transition.kind != "error" or transition.source not in owners:
                continue
            target = f" to `{transition.target}`" if transition.target else ""
            yield Diagnostic.of(
                ESCALATION_AS_ERROR,
                f"{owners[transition.source]} is left by an `error` transition{target}: "
                "waiting is escalated by a timer, never by an error",
                _file(machine),
                transition.span,
                counterexample=graph.path_to(transition.source),
            )


# --------------------------------------------------------------------------- SW605


class DelegationRule:
    """SW605: delegation cannot hold a request forever (what the IR lets us check)."""

    name = "approval-delegation"
    family = FAMILY
    codes: tuple[str, ...] = (DELEGATION_UNBOUNDED.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report re-entering delegations and single-level, all-must-sign approvals with delegation."""
        graph = graph_of(context.run_for(machine))
        delegations: dict[str, list[ir.Transition]] = {}
        for transition in machine.transitions:
            if transition.kind == "event" and transition.event == "delegate" and transition.target:
                delegations.setdefault(transition.source, []).append(transition)
        for approval in machine.approvals:
            if not approval.delegation:
                continue
            for level in approval.levels:
                for transition in delegations.get(level.state, []):
                    yield Diagnostic.of(
                        DELEGATION_UNBOUNDED,
                        f"`delegate` at level {level.number} of approval `{approval.state}` re-enters "
                        f"`{transition.target}`, restarting its timer: delegations that go round "
                        "in a circle would hold the request forever",
                        _file(machine),
                        transition.span,
                        help="make `delegate` keep the level (a transition without a target), so the "
                        "level's timer keeps running",
                        counterexample=graph.path_to(level.state),
                    )
            if len(approval.levels) == 1 and approval.levels[0].quorum == len(approval.levels[0].approvers):
                level = approval.levels[0]
                who = "its only approver" if level.quorum == 1 else f"all {level.quorum} approvers"
                yield Diagnostic.of(
                    DELEGATION_UNBOUNDED,
                    f"approval `{approval.state}` has one level that needs {who}, and allows "
                    "delegation: when an approver cannot decide, delegation is the only way to "
                    "progress, and nothing shows that delegations cannot go round in a circle",
                    _file(machine),
                    level.span,
                    counterexample=graph.path_to(level.state),
                )


# --------------------------------------------------------------------------- SW606


class RecallRule:
    """SW606: `recall` leaves only from the approval itself, before anyone has decided."""

    name = "approval-recall"
    family = FAMILY
    codes: tuple[str, ...] = (RECALL_AFTER_DECISION.code,)

    def check(self, machine: ir.Machine, context: RuleContext) -> Iterator[Diagnostic]:
        """Report recall transitions outside any approval, and declared recalls with no transition."""
        graph = graph_of(context.run_for(machine))
        approvals = {approval.state for approval in machine.approvals}
        inside = {
            name
            for name in graph.states
            if name in approvals or any(a in approvals for a in graph.ancestors(name))
        }
        recalls = [t for t in machine.transitions if t.kind == "event" and t.event == "recall"]
        recall_moves = {(t.source, t.target) for t in recalls}
        for transition in recalls:
            if transition.source in inside or transition.source not in graph.states:
                continue
            yield Diagnostic.of(
                RECALL_AFTER_DECISION,
                f"`recall` is handled in `{transition.source}`, outside every approval: the requester "
                "could take back a request that has already been decided",
                _file(machine),
                transition.span,
                counterexample=graph.path_to(transition.source),
            )
        for approval in machine.approvals:
            if approval.recall is None or approval.state not in graph.states:
                continue
            if (approval.state, approval.recall) not in recall_moves:
                yield Diagnostic.of(
                    RECALL_AFTER_DECISION,
                    f"approval `{approval.state}` declares `recall -> {approval.recall}`, but the "
                    f"machine has no `recall` transition on `{approval.state}`",
                    _file(machine),
                    approval.span,
                    help="regenerate the IR from the `.wf` source; "
                    "recall must leave from the approval itself",
                    counterexample=graph.path_to(approval.state),
                )


@hookimpl
def statewright_rules() -> list[Rule]:
    """Return the approval and wait rules (SW601–SW606)."""
    return [
        WaitTimeoutRule(),
        EscalationOutcomeRule(),
        QuorumRule(),
        EscalationAsErrorRule(),
        DelegationRule(),
        RecallRule(),
    ]
