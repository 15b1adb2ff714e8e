"""The working copy of one step: what the engine's pure step functions build a commit with.

A `Draft` starts from an instance snapshot and collects, in order, what the
step does (exits, actions, entries, timers, owed work, guard results), then
becomes one `Commit` with its stamped audit record, or a refusal that changes
nothing but the record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from statewright import ir
from statewright.runtime import codec
from statewright.runtime.definition import Definition
from statewright.runtime.errors import (
    InvariantBroken,
    WorkflowError,
)
from statewright.runtime.model import (
    Commit,
    Instance,
    Outcome,
    Record,
    RecordKind,
    Status,
    Timer,
    Work,
    quick_init,
)
from statewright.runtime.plan import Plan, plan_of

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@quick_init
@dataclass(frozen=True, slots=True)
class Request:
    """Who sends an event and what they present: the governance gate's inputs."""

    actor: str | None = None
    permissions: tuple[str, ...] = ()
    scope: str | None = None
    evidence: Mapping[str, str] = field(default_factory=dict)
    key: str | None = None
    delegate_to: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Step:
    """The commit one step produces, and the error to raise after committing a refusal."""

    commit: Commit
    error: WorkflowError | None = None


NO_REQUEST = Request()


class Draft:
    """The mutable working copy of one step (local to the pure step functions)."""

    __slots__ = (
        "active",
        "attempts",
        "before",
        "cancelled",
        "cause",
        "context",
        "data",
        "definition",
        "done_work",
        "guards",
        "inputs",
        "invoked",
        "message",
        "now",
        "plan",
        "result",
        "seq",
        "status",
        "timers",
        "votes",
        "work",
    )

    def __init__(
        self, definition: Definition, instance: Instance, now_ms: int, plan: Plan | None = None
    ) -> None:
        self.definition = definition
        self.plan = plan or plan_of(definition)
        self.before = instance
        self.now = now_ms
        self.active: list[str] = list(instance.active)
        self.context: dict[str, ir.Value] = dict(instance.context)
        self.status: Status = instance.status
        self.votes = dict(instance.votes)
        self.attempts = dict(instance.attempts)
        self.invoked = dict(instance.work)
        self.timers: dict[str, Timer] = {}
        self.cancelled: set[str] = set()
        self.work: list[Work] = []
        self.done_work: list[str] = []
        self.guards: list[tuple[str, bool]] = []
        self.seq = instance.version + 1
        self.cause: dict[str, str | None] = {}
        self.inputs: dict[str, ir.Value] = {}
        """The step's inputs (`event.F`, `result.F`, `error.name`, ...): read by guards and `set`s,
        never stored in the context."""
        self.data: dict[str, ir.Value] = {}
        self.result: dict[str, ir.Value] = {}
        self.message: str | None = None

    def fresh(self) -> Draft:
        """A new draft of the same step from the snapshot: the same cause and evidence, nothing done."""
        other = Draft(self.definition, self.before, self.now, self.plan)
        other.cause = self.cause
        other.data, other.result, other.message = self.data, self.result, self.message
        return other

    def env(self) -> Mapping[str, ir.Value]:
        """What guards read: the context, and the step's inputs beside it."""
        return {**self.context, **self.inputs} if self.inputs else self.context

    def guard_holds(self, index: int) -> bool:
        """Transition `index`'s guard on the context and the step's inputs."""
        return self.plan.guard_holds(index, self.env())

    # ------------------------------------------------------------------ keys and actions

    def render(self, template: str) -> str:
        """Fill `{name}` placeholders: a context field's value, any other name the instance id."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.context:
                return self.before.id
            found = self.context[name]
            if isinstance(found, bool):
                return "true" if found else "false"
            return format(found, "f") if isinstance(found, Decimal) else str(found)

        return _PLACEHOLDER.sub(value, template)

    def run_actions(self, actions: tuple[ir.Action, ...], where: str) -> None:
        """Run the actions in order: `set`s update the context; `do` and `emit` become owed work.

        A `do` key template is rendered with the context as the actions before it left it.
        """
        if not actions:
            return
        for number, step in self.plan.program(actions):
            if not isinstance(step, ir.Call | ir.Emit):
                inputs = self.inputs
                if inputs:  # a `set` may read them; they never become context fields
                    after = step({**self.context, **inputs})
                    self.context = {name: value for name, value in after.items() if name not in inputs}
                else:
                    self.context = step(self.context)
            elif isinstance(step, ir.Call):
                key = self.render(step.key) if step.key else f"{self.before.id}:{self.seq}:{where}:{number}"
                self.work.append(Work(self.before.id, key, step.name, "do", None, 1, self.seq, step.service))
            else:
                key = f"{self.before.id}:{self.seq}:{where}:{number}:emit"
                self.work.append(Work(self.before.id, key, step.event, "emit", None, 1, self.seq))

    # ------------------------------------------------------------------ entering and exiting

    def exit(self, name: str) -> None:
        """Leave one state: exit actions, its timers, votes, retry counters and pending work."""
        state = self.definition.states[name]
        if state.exit:
            self.run_actions(state.exit, f"exit:{name}")
        held = self.plan.held(self.before.active)
        timers = self.timers
        for key in self.plan.timer_keys[name]:
            if key in held or key in timers:
                self.cancel(key)
        self.votes.pop(name, None)
        self.attempts.pop(name, None)
        pending = self.invoked.pop(name, None)
        if pending is not None:
            self.done_work.append(pending)

    def before_timers(self) -> list[str]:
        """Timer keys that may be pending from earlier steps (derived from the active states)."""
        plan = self.plan
        return [key for name in plan.states_of(self.before.active) for key in plan.timer_keys[name]]

    def cancel(self, key: str) -> None:
        """Cancel a timer, whether set earlier or in this step."""
        self.timers.pop(key, None)
        self.cancelled.add(key)

    def set_timer(self, timer: Timer) -> None:
        """Set (or reset) a timer."""
        self.cancelled.discard(timer.key)
        self.timers[timer.key] = timer

    def enter(self, name: str) -> None:
        """Enter one state: entry actions, its timers, and the work it invokes."""
        state = self.definition.states[name]
        if state.entry:
            self.run_actions(state.entry, f"entry:{name}")
        instance, now = self.before.id, self.now
        for key, after, kind, index in self.plan.entry_timers[name]:
            self.set_timer(Timer(instance, key, now + after, kind, name, index))  # type: ignore[arg-type]
        if state.invoke is not None:
            self.invoke(name, state.invoke, attempt=1)

    def invoke(self, name: str, invoke: ir.Invoke, attempt: int) -> None:
        """Owe one attempt of a state's work (the same key on every attempt) and arm its heartbeat."""
        key = self.invoked.get(name)
        if key is None:
            key = self.render(invoke.key) if invoke.key else f"{self.before.id}:{self.seq}:{name}"
            self.invoked[name] = key
        self.work.append(
            Work(self.before.id, key, invoke.action, "invoke", name, attempt, self.seq, invoke.service)
        )
        if invoke.heartbeat_ms is not None:
            self.set_timer(
                Timer(self.before.id, f"heartbeat:{name}", self.now + invoke.heartbeat_ms, "heartbeat", name)
            )

    def take(self, index: int) -> None:
        """Take transition `index`: exit, act, enter (a targetless one only acts)."""
        transition = self.definition.transitions[index]
        source, target = transition.source, transition.target
        if target is None:
            self.run_actions(transition.actions, f"t{index}")
            return
        exited, entry, after = self.plan.move(tuple(self.active), source, target)
        for name in exited:
            self.exit(name)
        if transition.actions:
            self.run_actions(transition.actions, f"t{index}")
        for name in entry:
            self.enter(name)
        self.active = list(after)
        self.finish_if_final()

    def finish_if_final(self) -> None:
        """A top-level final state ends the instance: completed, or failed for a failure outcome."""
        top_final = self.plan.top_final
        for leaf in self.active:
            if leaf in top_final:
                outcome = self.definition.states[leaf].outcome
                self.status = "failed" if outcome == "failure" else "completed"
                for key in [*self.plan.held(self.before.active), *self.timers]:
                    self.cancel(key)
                return

    # ------------------------------------------------------------------ the result

    def check(self) -> WorkflowError | None:
        """The new context must fit every field's type and every invariant."""
        context = self.context
        for name, accepts, field_type in self.plan.checks:
            if name in context and not accepts(context[name]):
                return InvariantBroken(
                    f"`{name}` would become {context[name]!r}, outside {field_type.describe()}"
                )
        for text, test in self.plan.invariants:
            if not test(context):
                return InvariantBroken(f"the step would break the invariant `{text}`")
        return None

    def commit(self, kind: RecordKind, request: Request, outcome: Outcome = "applied", **fields: Any) -> Step:
        """The step as one commit (`outcome` "ignored" for an event an explicit `ignore` dropped)."""
        active = tuple(self.active)
        record = self.record(kind, outcome, request, active, self.context, self.status, **fields)
        before = self.before
        # The draft's own copies become the snapshot's (the draft is not used after this).
        instance = Instance(
            before.id,
            before.workflow,
            before.workflow_version,
            active,
            self.context,
            self.status,
            self.seq,
            before.created_ms,
            self.now,
            record.stamp,
            self.votes,
            self.attempts,
            self.invoked,
            before.definition,
            before.audit_key,
        )
        pending = self.timers
        if len(pending) > 1:
            timers = tuple(sorted(pending.values(), key=lambda t: t.key))
        else:
            timers = tuple(pending.values())
        cancelled = self.cancelled
        if cancelled:
            cancel = tuple(sorted(cancelled - pending.keys()) if pending else sorted(cancelled))
        else:
            cancel = ()
        return Step(
            Commit(
                instance,
                before.version,
                record,
                timers,
                cancel,
                tuple(self.work),
                tuple(self.done_work),
                before.stamp or codec.GENESIS,
            )
        )

    def refuse(
        self, kind: RecordKind, outcome: Outcome, error: WorkflowError, request: Request, **fields: Any
    ) -> Step:
        """A refusal: a record with the instance unchanged, and the error to raise."""
        before = self.before
        record = self.record(
            kind,
            outcome,
            request,
            before.active,
            before.context,
            before.status,
            reason=str(error.args[0]),
            **fields,
        )
        instance = replace(before, version=self.seq, updated_ms=self.now, stamp=record.stamp)
        return Step(Commit(instance, before.version, record, previous=before.stamp or codec.GENESIS), error)

    def record(
        self,
        kind: RecordKind,
        outcome: Outcome,
        request: Request,
        target: tuple[str, ...],
        context: Mapping[str, ir.Value],
        status: Status,
        **fields: Any,
    ) -> Record:
        """The audit record of this step, stamped onto the instance's chain (and its JSON remembered).

        `fields` are the record's own (event, transition, permissions, scope, reason,
        decision, inputs); the step's cause (timer, work, failure) comes from the draft.
        """
        before = self.before
        get, cause = fields.get, self.cause
        record = Record(  # positionally, in field order: a third faster than by keyword
            before.id,
            self.seq,
            self.now,
            kind,
            outcome,
            tuple(before.active),
            tuple(target),
            dict(context),
            status,
            get("event"),
            get("transition"),
            tuple(self.guards),
            request.actor,
            get("permissions", ()),
            tuple(request.permissions),
            get("scope"),
            dict(request.evidence),
            request.key,
            get("reason"),
            get("decision"),
            request.scope,
            request.delegate_to,
            get("inputs", {}),
            cause.get("timer"),
            cause.get("work"),
            cause.get("failure"),
            self.data,
            self.result,
            self.message,
        )
        if not self.definition.seals:
            return record  # a store that keeps no log: nobody reads the stamp (`Definition.unsealed`)
        stamp, text = codec.seal(before.stamp or codec.GENESIS, record)
        object.__setattr__(record, "stamp", stamp)  # still private to this step: set before anyone sees it
        codec.remember(record, text)
        return record
