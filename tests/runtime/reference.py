"""A small reference interpreter of the IR, written from the documentation, as the conformance oracle.

It is deliberately independent of `statewright.runtime` and `statewright.semantics.hierarchy`:
the statechart geometry, event resolution, timers, retries, votes and the
governance gate are re-derived here from docs/LANGUAGE.md, the semantics stated
in `runtime/engine.py`'s module docstring and docs/ARCHITECTURE.md ("The
runtime"). Only the guard language is shared (`semantics.values`: `holds`,
`apply_sets`, `value_in_domain`), since that is the language's one definition of
what an expression means, and the payload check (`semantics.inputs.check_fields`,
the one definition of which data fits declared fields, whose problems a
`ResultInvalid` message lists).

One instance, plain data: a configuration (the set of active leaves), the
context, a status, a timer table, an owed-work table (the outbox), approval
votes and delegations per level, retry counters, and the idempotency keys
clients used. Every operation works on a copy and commits it whole, or not at
all: a step that would break a field's range or an invariant is refused and
changes nothing.

What it models (and the documented rule it follows):

- events: offered to every active leaf, which walks outwards to the first level
  that decides it (first transition whose guard holds, else the `else` branch,
  else a `reject`/`ignore` there; a level whose guards all fail passes the event
  on). When no transition is chosen: any `reject` wins, then "no guard holds",
  then `ignore`, else the event is not allowed;
- the chosen transitions run in document order; one whose exit set (computed on
  the configuration the event found) meets the exit set of one already taken is
  skipped (SCXML's preemption); a targetless transition only runs its actions;
- a transition exits the active states below its domain (the nearest
  non-parallel proper ancestor of its source that strictly contains its target)
  in reverse document order, runs its actions, and enters the states down to its
  target in document order, with the initial states of every other region of
  each parallel state it enters; entering runs entry actions, starts the state's
  hard and soft timers and invokes its work; exiting runs exit actions and drops
  the state's timers, votes, retry counter and owed work;
- `set` actions run in order, through `apply_sets`; `do` and `emit` become owed
  work; a `do` key template is rendered with the context at that point
  (`{field}` is the field's value, any other name the instance id);
- eventless steps (`always`, `completion`) are taken one at a time, in document
  order of their states, until none is enabled;
- timers: hard timeouts take their transition, soft ones run their actions,
  retry timers re-owe the work (the same key, the next attempt), heartbeat timers
  count as a failed attempt (`HeartbeatTimeout`); a cancelled timer never fires;
- data (LANGUAGE.md, "Data"): an event's payload is checked against the fields
  it declares before anything else (a missing, undeclared or ill-fitting field:
  `invalid`, nothing changes); guards and `set`s of the transition read
  `event.F` beside the context, never stored in it;
- work results: success carries a result checked against the invoke's `returns`
  (one that does not fit is the failure `ResultInvalid` with the message "the
  result of `A` does not fit: ..."; work with no `returns` ignores it); success
  takes the first `done` transition whose guard holds (reading `result.F`; each
  state's guarded ones in document order, then its `else`); a failure retries while the policy allows
  (`retry_on` empty or naming the error, at most `max_retries` retries), after
  the documented backoff; then, per state outwards, the first catch naming the
  error, else a catch-all (the dead letter), each reading `error.name` and
  `error.message`; with none the instance fails; a heartbeat timeout's message
  is "no heartbeat within N ms";
- approvals (LANGUAGE.md §10): a decision needs an actor. At a level the actor
  stands for the listed approvers (each listed once) that are the actor's id or a
  held `kind:name` permission, plus those delegated to the actor there; an actor
  who delegated at a level stands for nothing there any more. A decision counts
  at one level: the first waiting one (document order) where the actor stands for
  someone, has not approved and, for `approve`, the approval fills one more
  listed approver: the most listed approvers that distinct approving actors can
  fill at once (each actor one of those they stood for, tried exhaustively here)
  grows; a level moves on once that many reaches `quorum` (so one actor counts
  once, however many listed roles they hold, and the order of approvals never
  matters). `delegate` needs a delegatee other
  than the actor and hands the delegator's listed approvers on. An actor who
  counts nowhere is denied;
- the governance gate, on every transition the event applies (after preemption):
  every permission `requires` names must be presented, the presented scope must
  be the transition's scope (or the workflow's, for a transition with
  `requires`; presenting none is refused), every evidence item must be
  presented, and a checkpoint's `acknowledge` must come from its `assignee` (by
  id or a held permission); otherwise the event is denied and nothing changes;
- pause (events and work results refused, timers wait), resume, cancel (timers
  and the state's invoked work dropped; committed `do` actions stay owed), and a
  top-level final state: completed, or failed for a failure outcome.

Choices where the documentation is silent (each is the runtime's choice too, so
the comparison is about documented behaviour):

- timers due at the same instant fire by kind (heartbeat, retry, soft, hard),
  then by state name, then by number;
- a clock jump fires only the timers pending when it started; timers started by
  those firings start at the new time and wait for the next tick;
- after a heartbeat timeout the attempt's work stays owed until the retry re-owes
  it, and its late result still counts;
- emitted events are delivered after the operation that raised them (and its
  eventless steps), by the harness, as events from the actor `workflow`;
- the workflow's `scope` gates only transitions with `requires` (LANGUAGE.md §13);
- a repeated client key is recognised before anything else (even on an instance
  that no longer runs) and changes nothing: the same request is a `duplicate`,
  another request (event, actor, scope, evidence or delegate) `key_reused`; only
  an applied step uses its key up (a refused one may be sent again under it);
- a work result for a paused instance is refused like an event (the work stays
  owed): the documentation says a paused instance waits.

What it does not model: audit records, stamps and record kinds (replay checks
those), the runtime's automatic work keys (owed work without a key template is
compared by action name only), retry delays with jitter (their documented window
is computed; the harness accepts any due time inside it and adopts it), and the
runtime's livelock guard for eventless steps (a refused eventless step simply
ends settling here).
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Literal, TypeAlias

from statewright import ir
from statewright.semantics.inputs import check_fields
from statewright.semantics.values import apply_sets, holds, value_in_domain

Status: TypeAlias = Literal["running", "paused", "cancelled", "completed", "failed"]
TimerKind: TypeAlias = Literal["timeout", "soft_timeout", "retry", "heartbeat"]
WorkKind: TypeAlias = Literal["invoke", "do", "emit"]

START_MS = 1_000_000
"""The clock when an instance is started."""
HEARTBEAT_TIMEOUT = "HeartbeatTimeout"
"""The error a silent attempt counts as."""
RESULT_INVALID = "ResultInvalid"
"""The error of work whose result does not fit its declared fields."""
CANCELLED = "Cancelled"
CANCELLED_MESSAGE = "the instance was cancelled"
"""The failure a cancel inside a saga stands for (`error.name`, `error.message` on its moves)."""
APPROVAL_EVENTS = ("approve", "reject", "delegate")


def most_filled(approvals: list[frozenset[str]], taken: frozenset[str] = frozenset()) -> int:
    """The most listed approvers distinct approvals fill at once, by trying every assignment.

    Exponential, and deliberately unlike the runtime's augmenting paths: each
    approval either fills one of the listed approvers it stood for that is still
    free, or none.
    """
    if not approvals:
        return 0
    first, rest = approvals[0], approvals[1:]
    best = most_filled(rest, taken)
    for place in first - taken:
        best = max(best, 1 + most_filled(rest, taken | {place}))
    return best


KIND_RANK: dict[str, int] = {"heartbeat": 0, "retry": 1, "soft_timeout": 2, "timeout": 3}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SETTLE_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Presented:
    """Who sends an event and what they present (permissions, scope, evidence names, client key)."""

    actor: str | None = None
    permissions: tuple[str, ...] = ()
    scope: str | None = None
    evidence: tuple[str, ...] = ()
    key: str | None = None
    delegate_to: str | None = None


@dataclass(slots=True)
class Timer:
    """A pending timer. `window` is the documented range of due times of a jittered retry."""

    kind: TimerKind
    state: str
    due: int
    number: int = 0
    window: tuple[int, int] | None = None
    set_at: int = 0


@dataclass(slots=True)
class Owed:
    """Owed work: a state's invoked work, a `do` action, or an emitted event."""

    kind: WorkKind
    action: str
    state: str | None = None
    attempt: int = 1
    key: str | None = None
    """The rendered key template; None when the implementation picks the key."""


@dataclass(slots=True)
class Instance:
    """Everything one instance holds; copied for each step, committed whole."""

    leaves: set[str] = field(default_factory=set)
    context: dict[str, ir.Value] = field(default_factory=dict)
    status: Status = "running"
    timers: list[Timer] = field(default_factory=list)
    owed: dict[str, Owed] = field(default_factory=dict)
    """The outbox: key (a rendered template, or a private unique id) -> work, oldest first."""
    invoked: dict[str, str] = field(default_factory=dict)
    """State -> the outbox key of the work it invoked (the same key on every attempt)."""
    approvals: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)
    """Level -> approving actor -> the listed approvers they stood for when approving."""
    delegates: dict[str, list[tuple[str, str, frozenset[str]]]] = field(default_factory=dict)
    """Level -> (delegator, delegate, the listed approvers handed on), oldest first."""
    failures: dict[str, int] = field(default_factory=dict)
    last_delay: dict[str, int] = field(default_factory=dict)
    client_keys: dict[str, tuple[object, ...]] = field(default_factory=dict)
    """Client key -> the request it was applied with (event, actor, scope, evidence, delegate)."""
    serial: int = 0


class RefusalError(Exception):
    """A step that must not be committed; `outcome` says why."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class Reference:
    """The reference interpreter: one instance of one machine, driven operation by operation.

    Each operation returns its outcome: `applied`, `ignored`, `rejected`, `denied`,
    `invariant`, `not_allowed`, `no_guard`, `not_running`, `bad_context`, `duplicate`,
    `key_reused`, `stale`, `unknown_work`, `done` / `kept` (a `do` action's result), or `fired:N`.
    """

    def __init__(self, machine: ir.Machine, instance_id: str) -> None:
        self.machine = machine
        self.id = instance_id
        self.states: dict[str, ir.State] = {s.name: s for s in machine.states}
        self.order: dict[str, int] = {s.name: i for i, s in enumerate(machine.states)}
        self.fields: dict[str, ir.ContextField] = {f.name: f for f in machine.context}
        self.events: set[str] = {e.name for e in machine.events}
        self.on_event: dict[tuple[str, str], list[int]] = {}
        self.eventless: dict[tuple[str, str], list[int]] = {}
        for index, t in enumerate(machine.transitions):
            if t.kind == "event":
                self.on_event.setdefault((t.source, t.event or ""), []).append(index)
            else:
                self.eventless.setdefault((t.source, t.kind), []).append(index)
        self.refusals: dict[tuple[str, str], ir.Reject] = {}
        for refusal in machine.rejects:
            self.refusals.setdefault((refusal.state, refusal.event), refusal)
        self.levels: dict[str, tuple[ir.ApprovalLevel, bool]] = {}
        for approval in machine.approvals:
            for level in approval.levels:
                self.levels[level.state] = (level, approval.delegation)
        self.assignees: dict[str, str] = {
            c.state: c.assignee for c in machine.checkpoints if c.assignee is not None
        }
        self.decorrelated_previous = True
        """Bound decorrelated jitter by three times the previous delay (False: by the cap only)."""
        self.now = START_MS
        self.started = False
        self.inst = Instance()
        self.payloads: dict[str, tuple[ir.ContextField, ...]] = {e.name: e.payload for e in machine.events}
        self.results: dict[str, tuple[ir.ContextField, ...]] = {
            s.name: s.invoke.result for s in machine.states if s.invoke is not None
        }
        self.inputs: dict[str, ir.Value] = {}
        """The inputs of the step in progress (`event.F`, `result.F`, `error.*`): read, never stored."""

    # ------------------------------------------------------------------ the hierarchy

    def ancestors(self, name: str) -> list[str]:
        """The proper ancestors of a state, innermost first."""
        found: list[str] = []
        parent = self.states[name].parent
        while parent is not None:
            found.append(parent)
            parent = self.states[parent].parent
        return found

    def chain(self, name: str) -> list[str]:
        """The state and its ancestors, innermost first."""
        return [name, *self.ancestors(name)]

    def active_states(self, leaves: Iterable[str]) -> set[str]:
        """The active leaves and all their ancestors."""
        found: set[str] = set()
        for leaf in leaves:
            found.update(self.chain(leaf))
        return found

    def descent(self, name: str) -> list[str]:
        """A state and what entering it enters: its initial child chain, or every region."""
        state = self.states[name]
        found = [name]
        if state.kind == "parallel":
            for region in state.children:
                found += self.descent(region)
        elif state.kind == "compound" and state.initial is not None:
            found += self.descent(state.initial)
        return found

    def domain(self, source: str, target: str) -> str | None:
        """The nearest non-parallel proper ancestor of `source` that strictly contains `target`."""
        above_target = set(self.ancestors(target))
        for ancestor in self.ancestors(source):
            if self.states[ancestor].kind != "parallel" and ancestor in above_target:
                return ancestor
        return None

    def exit_set(self, leaves: Iterable[str], source: str, target: str | None) -> set[str]:
        """The active states a transition exits: all below its domain (none for a targetless one)."""
        if target is None:
            return set()
        top = self.domain(source, target)
        return {s for s in self.active_states(leaves) if top is None or top in self.ancestors(s)}

    def entry_set(self, source: str, target: str) -> list[str]:
        """The states a transition enters, in document order."""
        top = self.domain(source, target)
        path = [s for s in self.chain(target) if s != top and (top is None or top in self.ancestors(s))]
        entered: set[str] = set(self.descent(target))
        for inner, outer in itertools.pairwise(path):
            entered.add(outer)
            if self.states[outer].kind == "parallel":
                for region in self.states[outer].children:
                    if region != inner:
                        entered.update(self.descent(region))
        return sorted(entered, key=self.order.__getitem__)

    def is_leaf(self, name: str) -> bool:
        """Atomic and final states are leaves."""
        return self.states[name].kind in ("atomic", "final")

    # ------------------------------------------------------------------ actions, entering, exiting

    def render(self, inst: Instance, template: str) -> str:
        """Fill `{name}`: a context field's value, any other name the instance id."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in inst.context:
                return self.id
            found = inst.context[name]
            if isinstance(found, bool):
                return "true" if found else "false"
            if isinstance(found, Decimal):
                return format(found, "f")
            return str(found)

        return _PLACEHOLDER.sub(value, template)

    def owe(self, inst: Instance, work: Owed) -> str:
        """Add work to the outbox; a rendered key already owed is owed once (it is the same intent)."""
        if work.key is None:
            inst.serial += 1
            slot = f"#{inst.serial}"
        else:
            slot = work.key
        inst.owed.pop(slot, None)
        inst.owed[slot] = work
        return slot

    def run_actions(self, inst: Instance, actions: Iterable[ir.Action]) -> None:
        """Run actions in order: `set` changes the context, `do` and `emit` are owed."""
        for action in actions:
            if isinstance(action, ir.Assign):
                after = apply_sets([action], {**inst.context, **self.inputs}, self.machine.context)
                inst.context = {name: value for name, value in after.items() if name not in self.inputs}
            elif isinstance(action, ir.Call):
                key = self.render(inst, action.key) if action.key is not None else None
                self.owe(inst, Owed("do", action.name, key=key))
            else:
                self.owe(inst, Owed("emit", action.event))

    def enter(self, inst: Instance, name: str) -> None:
        """Enter a state: entry actions, hard and soft timers, invoked work (and its heartbeat)."""
        state = self.states[name]
        self.run_actions(inst, state.entry)
        for index in self.eventless.get((name, "timeout"), []):
            after = self.machine.transitions[index].after_ms or 0
            inst.timers.append(Timer("timeout", name, self.now + after, index))
        for number, soft in enumerate(state.soft_timeouts):
            inst.timers.append(Timer("soft_timeout", name, self.now + soft.after_ms, number))
        if state.invoke is not None:
            self.invoke(inst, name, 1)

    def invoke(self, inst: Instance, name: str, attempt: int) -> None:
        """Owe an attempt of a state's work under the state's one key, and arm its heartbeat."""
        invoke = self.states[name].invoke
        assert invoke is not None
        slot = inst.invoked.get(name)
        if slot is None:
            key = self.render(inst, invoke.key) if invoke.key is not None else None
            slot = self.owe(inst, Owed("invoke", invoke.action, name, attempt, key))
            inst.invoked[name] = slot
        else:
            inst.owed.pop(slot, None)
            key = None if slot.startswith("#") else slot
            inst.owed[slot] = Owed("invoke", invoke.action, name, attempt, key)
        if invoke.heartbeat_ms is not None:
            self.cancel_timer(inst, name, "heartbeat")
            inst.timers.append(Timer("heartbeat", name, self.now + invoke.heartbeat_ms))

    def cancel_timer(self, inst: Instance, state: str, kind: TimerKind) -> None:
        """Drop a state's timers of one kind."""
        inst.timers = [t for t in inst.timers if not (t.state == state and t.kind == kind)]

    def exit(self, inst: Instance, name: str) -> None:
        """Leave a state: exit actions; its timers, votes, delegations, retry counter and owed work go."""
        self.run_actions(inst, self.states[name].exit)
        inst.timers = [t for t in inst.timers if t.state != name]
        for table in (inst.approvals, inst.delegates, inst.failures, inst.last_delay):
            table.pop(name, None)
        slot = inst.invoked.pop(name, None)
        if slot is not None:
            inst.owed.pop(slot, None)

    def take(self, inst: Instance, index: int) -> None:
        """Take a transition: exit, act, enter (a targetless one only acts); then a top-level final ends."""
        t = self.machine.transitions[index]
        if t.target is None:
            self.run_actions(inst, t.actions)
            return
        for name in sorted(self.exit_set(inst.leaves, t.source, t.target), key=self.order.__getitem__)[::-1]:
            self.exit(inst, name)
            inst.leaves.discard(name)
        self.run_actions(inst, t.actions)
        for name in self.entry_set(t.source, t.target):
            self.enter(inst, name)
            if self.is_leaf(name):
                inst.leaves.add(name)
        self.finish_if_final(inst)

    def finish_if_final(self, inst: Instance) -> None:
        """In a top-level final state the instance is completed (failed, for a failure outcome)."""
        for leaf in inst.leaves:
            state = self.states[leaf]
            if state.kind == "final" and state.parent is None:
                inst.status = "failed" if state.outcome == "failure" else "completed"
                inst.timers = []

    def check(self, inst: Instance) -> None:
        """Refuse the step when a field leaves its type or bounds, or an invariant breaks."""
        for name, declared in self.fields.items():
            if name in inst.context and not value_in_domain(inst.context[name], declared.type):
                raise RefusalError("invariant")
        for invariant in self.machine.invariants:
            if not holds(invariant.expr, inst.context):
                raise RefusalError("invariant")

    def guard_holds(self, index: int, context: Mapping[str, ir.Value]) -> bool:
        """An unguarded transition always holds."""
        guard = self.machine.transitions[index].guard
        return guard is None or holds(guard, {**context, **self.inputs})

    # ------------------------------------------------------------------ starting

    def start(self, values: Mapping[str, ir.Value], now: int = START_MS) -> str:
        """Create the instance: defaults overridden by `values`, validated; enter the initial states."""
        self.now = now
        inst = Instance()
        for name in values:
            if name not in self.fields:
                return "bad_context"
        for name, declared in self.fields.items():
            value = values.get(name, declared.default)
            if value is None or not value_in_domain(value, declared.type):
                return "bad_context"
            if declared.type.name == "decimal" and not isinstance(value, Decimal):
                value = Decimal(int(value))
            inst.context[name] = value
        try:
            self.check(inst)
            for name in sorted(set(self.descent(self.machine.initial)), key=self.order.__getitem__):
                self.enter(inst, name)
                if self.is_leaf(name):
                    inst.leaves.add(name)
            self.finish_if_final(inst)
            self.check(inst)
        except RefusalError:
            return "bad_context"
        self.inst = inst
        self.started = True
        self.settle()
        return "applied"

    # ------------------------------------------------------------------ events

    def resolve(self, leaf: str, event: str, context: Mapping[str, ir.Value]) -> tuple[str, int | None]:
        """Walk from a leaf outwards to the level that decides the event."""
        guarded_only = False
        for level in self.chain(leaf):
            indices = self.on_event.get((level, event), [])
            for index in indices:
                if not self.machine.transitions[index].is_else and self.guard_holds(index, context):
                    return ("transition", index)
            for index in indices:
                if self.machine.transitions[index].is_else:
                    return ("transition", index)
            refusal = self.refusals.get((level, event))
            if refusal is not None:
                return (refusal.kind, None)
            if indices:
                guarded_only = True
        return ("no_guard" if guarded_only else "unhandled", None)

    def chosen(self, event: str) -> tuple[list[int], set[str]]:
        """The transitions the active leaves choose (document order) and the refusal kinds met."""
        found: list[int] = []
        refusals: set[str] = set()
        for leaf in sorted(self.inst.leaves, key=self.order.__getitem__):
            kind, index = self.resolve(leaf, event, self.inst.context)
            if index is not None:
                if index not in found:
                    found.append(index)
            else:
                refusals.add(kind)
        return sorted(found), refusals

    def handled_events(self) -> list[str]:
        """Events some active leaf would take a transition on now (guards, not gates or votes).

        An event with a payload is judged with a sample payload (`sample`): a heuristic for
        drawing operations, never an outcome.
        """
        if not self.started or self.inst.status != "running":
            return []
        return [e.name for e in self.machine.events if self.chosen_with_sample(e.name)[0]]

    def chosen_with_sample(self, event: str) -> tuple[list[int], set[str]]:
        """`chosen` with a sample payload of the event as its inputs."""
        fields = self.payloads.get(event, ())
        self.inputs = {f"event.{f.name}": sample(f.type, f.default) for f in fields}
        try:
            return self.chosen(event)
        finally:
            self.inputs = {}

    def ends(self, target: str | None) -> bool:
        """True when a transition to `target` ends the instance (a top-level final state)."""
        if target is None:
            return False
        return self.states[target].kind == "final" and self.states[target].parent is None

    def ending_events(self) -> set[str]:
        """Handled events all of whose chosen transitions end the instance."""
        transitions = self.machine.transitions
        return {
            e
            for e in self.handled_events()
            if all(self.ends(transitions[i].target) for i in self.chosen_with_sample(e)[0])
        }

    def gate(self, t: ir.Transition, presented: Presented) -> bool:
        """The governance gate: permissions, the scope, the evidence, a checkpoint's assignee."""
        if any(p not in presented.permissions for p in t.permissions):
            return False
        scope = t.scope or (self.machine.scope if t.permissions else None)
        if scope is not None and presented.scope != scope:
            return False
        assignee = self.assignees.get(t.source)
        if t.event == "acknowledge" and assignee not in (None, presented.actor, *presented.permissions):
            return False
        return all(name in presented.evidence for name in t.evidence)

    def stands_for(
        self, inst: Instance, level: ir.ApprovalLevel, actor: str, held: tuple[str, ...]
    ) -> list[str]:
        """The listed approvers `actor` may fill at `level`: by id, a held permission, or delegation."""
        handed = inst.delegates.get(level.state, [])
        if any(giver == actor for giver, _, _ in handed):
            return []  # a delegator has handed their part on
        names = {actor, *held}
        for _, taker, listed in handed:
            if taker == actor:
                names |= listed
        return [who for who in dict.fromkeys(level.approvers) if who in names]

    def send(
        self, event: str, presented: Presented | None = None, data: Mapping[str, object] | None = None
    ) -> str:
        """Offer an event with its payload; return the outcome (the instance changes only when `applied`)."""
        presented = presented or Presented()
        values, problems = check_fields(self.payloads.get(event, ()), data or {})
        request = (
            event,
            presented.actor,
            presented.scope,
            frozenset(presented.evidence),
            presented.delegate_to,
            None if problems else tuple(sorted(values.items())),
        )
        if presented.key is not None and presented.key in self.inst.client_keys:
            return "duplicate" if self.inst.client_keys[presented.key] == request else "key_reused"
        if self.inst.status != "running":
            return "not_running"
        if event in self.events and problems:
            return "invalid"
        self.inputs = (
            {f"event.{name}": value for name, value in values.items()} if event in self.events else {}
        )
        try:
            outcome = self._send(event, presented)
        finally:
            self.inputs = {}
        if presented.key is not None and outcome == "applied":
            self.inst.client_keys[presented.key] = request  # only an applied step uses its key up
        if outcome in ("applied", "ignored"):
            self.settle()
        return outcome

    def _send(self, event: str, presented: Presented) -> str:
        if event not in self.events:
            return "not_allowed"
        found, refusals = self.chosen(event)
        if not found:
            for kind, outcome in (("reject", "rejected"), ("no_guard", "no_guard"), ("ignore", "ignored")):
                if kind in refusals:
                    return outcome
            return "not_allowed"
        transitions = self.machine.transitions
        inst = copy.deepcopy(self.inst)
        if event in APPROVAL_EVENTS and any(transitions[i].source in self.levels for i in found):
            kept: list[int] = []
            voted = False
            for index in found:
                source = transitions[index].source
                if source not in self.levels:
                    kept.append(index)
                    continue
                level, delegation = self.levels[source]
                actor = presented.actor
                if voted or actor is None:
                    continue  # one decision counts at one level; an anonymous one nowhere
                cast = inst.approvals.get(source, {})
                if event != "reject" and actor in cast:
                    continue  # approved here already
                mine = self.stands_for(inst, level, actor, presented.permissions)
                before = most_filled(list(cast.values()))
                if not mine or (
                    event == "approve" and most_filled([*cast.values(), frozenset(mine)]) == before
                ):
                    continue
                voted = True
                if event == "delegate":
                    if not delegation or not presented.delegate_to or presented.delegate_to == actor:
                        return "denied"
                    inst.delegates.setdefault(source, []).append(
                        (actor, presented.delegate_to, frozenset(mine))
                    )
                elif event == "approve":
                    inst.approvals.setdefault(source, {})[actor] = frozenset(mine)
                    if before + 1 < level.quorum:
                        continue
                kept.append(index)
            if not kept and not voted:
                return "denied"
            found = kept
        start = set(inst.leaves)
        exited: set[str] = set()
        applied: list[int] = []
        for index in found:
            t = transitions[index]
            exits = self.exit_set(start, t.source, t.target)
            if exits & exited:
                continue
            exited |= exits
            applied.append(index)
        if not all(self.gate(transitions[i], presented) for i in applied):
            return "denied"  # LANGUAGE.md §13: every transition the event applies needs its permissions
        for index in applied:
            self.take(inst, index)
        try:
            self.check(inst)
        except RefusalError as refused:
            return refused.outcome
        self.inst = inst
        return "applied"

    # ------------------------------------------------------------------ eventless steps

    def enabled_eventless(self) -> int | None:
        """The first enabled `always` or `completion` transition, in document order of the states."""
        inst = self.inst
        for name in sorted(self.active_states(inst.leaves), key=self.order.__getitem__):
            always = self.eventless.get((name, "always"), [])
            for index in always:
                if not self.machine.transitions[index].is_else and self.guard_holds(index, inst.context):
                    return index
            for index in always:
                if self.machine.transitions[index].is_else:
                    return index
            completion = self.eventless.get((name, "completion"), [])
            if completion and self.complete(name):
                return completion[0]
        return None

    def complete(self, name: str) -> bool:
        """A compound state's child is final, or every region of a parallel state has a final child."""
        state = self.states[name]

        def final_child(scope: str) -> bool:
            return any(
                self.states[leaf].kind == "final" and self.states[leaf].parent == scope
                for leaf in self.inst.leaves
            )

        if state.kind == "parallel":
            return all(final_child(region) for region in state.children)
        return final_child(name)

    def settle(self) -> None:
        """Take enabled eventless transitions, one step each, until none is enabled."""
        for _ in range(_SETTLE_LIMIT):
            if self.inst.status != "running":
                return
            index = self.enabled_eventless()
            if index is None:
                return
            inst = copy.deepcopy(self.inst)
            self.take(inst, index)
            try:
                self.check(inst)
            except RefusalError:
                return
            self.inst = inst

    # ------------------------------------------------------------------ timers

    def tick(self, now: int) -> str:
        """Fire every timer pending and due at `now` (of a running instance): `fired:N`."""
        self.now = max(self.now, now)
        if not self.started:
            return "fired:0"
        due = sorted(
            (t for t in self.inst.timers if t.due <= now),
            key=lambda t: (t.due, KIND_RANK[t.kind], t.state, t.number),
        )
        fired = 0
        for timer in due:
            if self.inst.status != "running":
                continue
            if not any(_same_timer(t, timer) for t in self.inst.timers):
                continue  # cancelled by an earlier firing
            inst = copy.deepcopy(self.inst)
            inst.timers = [t for t in inst.timers if not _same_timer(t, timer)]
            try:
                self.fire(inst, timer)
                self.check(inst)
            except RefusalError:
                continue
            self.inst = inst
            fired += 1
            self.settle()
        return f"fired:{fired}"

    def fire(self, inst: Instance, timer: Timer) -> None:
        """A due timer: a timeout moves, a soft timeout warns, a retry re-owes, a heartbeat fails."""
        state = self.states[timer.state]
        if timer.kind == "timeout":
            self.take(inst, timer.number)
        elif timer.kind == "soft_timeout":
            self.run_actions(inst, state.soft_timeouts[timer.number].actions)
        elif timer.kind == "retry":
            self.invoke(inst, timer.state, inst.failures.get(timer.state, 0) + 1)
        else:
            invoke = state.invoke
            beat = invoke.heartbeat_ms if invoke is not None else None
            message = f"no heartbeat within {beat} ms" if beat is not None else "no heartbeat"
            try:
                self.failed(inst, timer.state, HEARTBEAT_TIMEOUT, message)
            finally:
                self.inputs = {}

    # ------------------------------------------------------------------ work

    def owed_invoke(self, state: str) -> Owed | None:
        """The work a state owes now (None when nothing is owed for it)."""
        slot = self.inst.invoked.get(state)
        return None if slot is None else self.inst.owed.get(slot)

    def report(
        self,
        state: str,
        error: str | None,
        result: Mapping[str, object] | None = None,
        message: str | None = None,
    ) -> str:
        """The result of a state's owed invoked work: None for success (with `result`), else the error."""
        try:
            return self._report(state, error, result, message or "")
        finally:
            self.inputs = {}

    def _report(
        self, state: str, error: str | None, result: Mapping[str, object] | None, message: str
    ) -> str:
        if self.owed_invoke(state) is None:
            return "unknown_work"
        if self.inst.status == "paused":
            return "not_running"
        if self.inst.status != "running":
            slot = self.inst.invoked.pop(state)
            self.inst.owed.pop(slot, None)
            return "stale"
        inst = copy.deepcopy(self.inst)
        slot = inst.invoked[state]
        inst.owed.pop(slot, None)
        self.cancel_timer(inst, state, "heartbeat")
        fields = self.results.get(state, ())
        values: dict[str, ir.Value] = {}
        if error is None and fields:  # work with no `returns`: whatever it returns is ignored
            values, problems = check_fields(fields, result or {})
            if problems:
                invoke = self.states[state].invoke
                action = invoke.action if invoke is not None else state
                error = RESULT_INVALID
                message = f"the result of `{action}` does not fit: " + "; ".join(map(str, problems))
        if error is None:
            inst.invoked.pop(state)
            inst.failures.pop(state, None)
            inst.last_delay.pop(state, None)
            self.cancel_timer(inst, state, "retry")
            self.inputs = {f"result.{name}": value for name, value in values.items()}
            index = self.nearest(inst, state, "done")
            if index is not None:
                self.take(inst, index)
        else:
            self.failed(inst, state, error, message)
        try:
            self.check(inst)
        except RefusalError as refused:
            return refused.outcome
        self.inst = inst
        self.inputs = {}
        self.settle()
        return "applied"

    def saga_undo(self, inst: Instance) -> list[int]:
        """The `error` moves of running saga steps whose failure undoes something (or passes the pivot)."""
        outcome = _undo_outcomes(self.machine)
        moves: list[int] = []
        for leaf in sorted(inst.leaves, key=self.order.__getitem__):
            if leaf in outcome:
                index = self.caught(inst, leaf, None)
                t = None if index is None else self.machine.transitions[index]
                if t is not None and index is not None and t.source == leaf and t.target != outcome[leaf]:
                    moves.append(index)
        return moves

    def nearest(self, inst: Instance, state: str, kind: str) -> int | None:
        """The first `done` transition of the state or an ancestor that holds (a level's else last)."""
        for level in self.chain(state):
            found = self._first(inst, self.eventless.get((level, kind), []))
            if found is not None:
                return found
        return None

    def _first(self, inst: Instance, indices: Iterable[int]) -> int | None:
        """Of one group: the first guarded transition that holds, in document order, else the `else`."""
        transitions = self.machine.transitions
        listed = list(indices)
        for index in listed:
            if not transitions[index].is_else and self.guard_holds(index, inst.context):
                return index
        return next((i for i in listed if transitions[i].is_else), None)

    def caught(self, inst: Instance, state: str, error: str | None) -> int | None:
        """Where a failure goes: per state outwards, the catches naming it, then the catch-alls."""
        transitions = self.machine.transitions
        for level in self.chain(state):
            errors = self.eventless.get((level, "error"), [])
            named = [i for i in errors if error is not None and transitions[i].event == error]
            for group in (named, [i for i in errors if transitions[i].event is None]):
                found = self._first(inst, group)
                if found is not None:
                    return found
        return None

    def failed(self, inst: Instance, state: str, error: str, message: str = "") -> None:
        """A failed attempt: retry after the backoff while the policy allows, else route the failure."""
        invoke = self.states[state].invoke
        policy = invoke.retry if invoke is not None else None
        failures = inst.failures.get(state, 0) + 1
        if (
            policy is not None
            and (not policy.retry_on or error in policy.retry_on)
            and (policy.max_retries is None or failures <= policy.max_retries)
        ):
            inst.failures[state] = failures
            previous = inst.last_delay.get(state) if self.decorrelated_previous else None
            low, high = delay_window(policy, failures, previous, self.decorrelated_previous)
            self.cancel_timer(inst, state, "retry")
            window = None if low == high else (self.now + low, self.now + high)
            inst.timers.append(Timer("retry", state, self.now + low, window=window, set_at=self.now))
            inst.last_delay[state] = low
            return
        slot = inst.invoked.pop(state, None)
        if slot is not None:
            inst.owed.pop(slot, None)
        self.inputs = {"error.name": error, "error.message": message}
        index = self.caught(inst, state, error)
        if index is None:
            inst.status = "failed"
            return
        self.take(inst, index)

    def adopt_retry_due(self, state: str, due: int) -> bool:
        """Take an implementation's jittered retry due time if it lies in the documented window."""
        for timer in self.inst.timers:
            if timer.kind == "retry" and timer.state == state and timer.window is not None:
                low, high = timer.window
                if not low <= due <= high:
                    return False
                self.inst.last_delay[state] = due - timer.set_at
                timer.due = due
                timer.window = None
                return True
        return False

    def finish_action(self, action: str, key: str | None, ok: bool) -> str:
        """A `do` action's handler returned (`done`) or raised (`kept`: it stays owed)."""
        for slot, work in self.inst.owed.items():
            if work.kind == "do" and work.action == action and work.key == key:
                if ok:
                    del self.inst.owed[slot]
                    return "done"
                return "kept"
        return "unknown_work"

    def owed_emits(self) -> list[str]:
        """Outbox keys of emitted events not delivered yet, oldest first."""
        return [slot for slot, work in self.inst.owed.items() if work.kind == "emit"]

    def deliver(self, slot: str) -> None:
        """Deliver one emitted event as an event from the workflow itself (dropped unless running)."""
        work = self.inst.owed.pop(slot)
        if self.inst.status == "running":
            self.send(work.action, Presented(actor="workflow"))

    # ------------------------------------------------------------------ control

    def control(self, action: Literal["pause", "resume", "cancel"]) -> str:
        """Pause (running only), resume (paused only), cancel (running or paused)."""
        allowed = {"pause": ("running",), "resume": ("paused",), "cancel": ("running", "paused")}
        if not self.started or self.inst.status not in allowed[action]:
            return "not_running"
        inst = self.inst
        if action == "pause":
            inst.status = "paused"
        elif action == "resume":
            inst.status = "running"
            self.settle()
        elif self.saga_undo(inst):
            # LANGUAGE.md §9: cancelling inside a saga with something to undo fails the running
            # step (its `error` move); the compensations run and the saga leaves by its outcome.
            inst.status = "running"
            self.inputs = {"error.name": CANCELLED, "error.message": CANCELLED_MESSAGE}
            for index in self.saga_undo(inst):
                self.take(inst, index)
            self.inputs = {}
            self.settle()
        else:
            inst.status = "cancelled"
            inst.timers = []
            for slot in inst.invoked.values():
                inst.owed.pop(slot, None)
            inst.invoked.clear()
        return "applied"


def sample(field_type: ir.FieldType, default: ir.Value | None) -> ir.Value:
    """A value of the type: its default, else its lower bound, first member, false or ""."""
    if default is not None:
        return default
    match field_type.name:
        case "int":
            return int(field_type.min) if field_type.min is not None else 0
        case "decimal":
            return Decimal(field_type.min) if field_type.min is not None else Decimal(0)
        case "bool":
            return False
        case "enum":
            return field_type.members[0]
    return ""


def _undo_outcomes(machine: ir.Machine) -> dict[str, str | None]:
    """Each saga step's state -> its saga's `compensated` target."""
    return {step.state: saga.compensated for saga in machine.sagas for step in saga.steps}


def _same_timer(a: Timer, b: Timer) -> bool:
    return (a.kind, a.state, a.number, a.due) == (b.kind, b.state, b.number, b.due)


def delay_window(
    policy: ir.RetryPolicy, failures: int, previous: int | None, bound_by_previous: bool = True
) -> tuple[int, int]:
    """The documented delay before retry number `failures` (1-based): exact, or the jitter's range.

    fixed BASE; linear BASE × n; exponential BASE × factor^(n-1) (whole milliseconds, rounded
    down); never more than CAP. Jitter: full [0, d], equal [d/2, d], decorrelated
    [BASE, 3 × the previous delay] capped (the first "previous delay" is BASE); without
    `bound_by_previous` only [BASE, CAP] (no cap: any delay from BASE up).
    """
    base = policy.base_ms
    if policy.backoff == "linear":
        delay = base * failures
    elif policy.backoff == "exponential":
        exact = Fraction(base) * Fraction(policy.factor) ** (failures - 1)
        delay = exact.numerator // exact.denominator
    else:
        delay = base
    if policy.cap_ms is not None:
        delay = min(delay, policy.cap_ms)
    if policy.jitter == "full":
        return (0, delay)
    if policy.jitter == "equal":
        return (delay // 2, delay)
    if policy.jitter == "decorrelated":
        if not bound_by_previous:
            return (base, policy.cap_ms if policy.cap_ms is not None else 2**62)
        high = 3 * (previous if previous is not None else base)
        if policy.cap_ms is not None:
            high = min(high, policy.cap_ms)
        return (min(base, high), max(base, high))
    return (delay, delay)
