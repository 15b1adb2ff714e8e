"""The Python runtime as a scenario engine: the reference every other engine is compared with.

`PythonRun` drives one instance of a machine on `statewright.runtime` (an
in-memory store and a clock that moves only when a timeout fires) one scenario
step at a time, and can say which steps make sense next (`Choices`), which is
how scenarios are drawn. `PythonEngine` runs a whole scenario.

Step meanings, shared by every engine: `do` actions and emitted events run as
soon as they are owed (handlers succeed); `Timeout(state)` fires that state's
hard timeout (or heartbeat) now and nothing else; `WorkDone(state, error)`
reports the result of the work the state invoked, and a retry the policy
allows is started at once (backoff time is skipped).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from statewright import ir
from statewright.runtime.definition import Definition
from statewright.runtime.errors import WorkflowError
from statewright.runtime.memory import MemoryStore
from statewright.runtime.model import Instance, Record, Timer
from statewright.runtime.runner import Call, Runtime
from statewright.semantics.calls import do_calls
from statewright.testing.scenario import (
    Observation,
    Scenario,
    Send,
    Status,
    Step,
    Timeout,
    Unsupported,
    WorkDone,
    observed_context,
    scope_lock,
)

START_MS = 1_767_225_600_000
"""2026-01-01T00:00:00Z: every scenario starts at the same instant, so runs repeat exactly."""
INSTANCE_ID = "scenario"
HARD_TIMERS = ("timeout", "heartbeat")


@dataclass(frozen=True, slots=True)
class Owed:
    """Invoked work a state waits for, and the errors worth reporting for it."""

    state: str
    action: str
    attempt: int
    errors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Choices:
    """What can sensibly happen next: handled events, pending timeouts, owed work, waiting levels."""

    handled: tuple[str, ...]
    gates: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]
    """Event -> (permissions, evidence) some transition for it here requires (absent: none)."""
    timeouts: tuple[str, ...]
    owed: tuple[Owed, ...]
    approvers: tuple[str, ...]
    finished: bool


class _Clock:
    def __init__(self) -> None:
        self.now = START_MS

    def __call__(self) -> int:
        return self.now


def _succeed(call: Call) -> None:
    """Every `do` handler succeeds: a scenario exercises the workflow, not its side effects."""


def status_of(instance: Instance) -> Status:
    """An instance's status as a scenario sees it (paused still counts as running)."""
    if instance.status == "completed":
        return "succeeded"
    if instance.status in ("failed", "cancelled"):
        return "failed"
    return "running"


class PythonRun:
    """One instance of one machine on the in-memory runtime, driven step by step."""

    def __init__(
        self,
        machine: ir.Machine,
        context: Mapping[str, ir.Value],
        definition: Definition | None = None,
    ) -> None:
        self.machine = machine
        self.definition = definition if definition is not None else Definition(machine)
        self.hierarchy = self.definition.hierarchy
        self.store = MemoryStore()
        self.clock = _Clock()
        actions = {call.name for call in do_calls(machine)}
        self.runtime = Runtime(
            self.definition, self.store, handlers=dict.fromkeys(actions, _succeed), clock=self.clock
        )
        self.start_error: WorkflowError | None = None
        self.first = Observation(False, (), (), "failed")
        """What the start showed (not accepted when the context was refused)."""
        self._seen = 0
        self.taken: list[int] = []
        """The IR indices of the transitions the run has taken so far, in order."""
        try:
            self.runtime.start(dict(context), instance_id=INSTANCE_ID)
        except WorkflowError as error:
            self.start_error = error
            return
        self._drain()
        self.first = self.observe(True)

    def fork(self) -> PythonRun:
        """An independent copy of this run at this point (the machine and its tables are shared)."""
        twin = copy.copy(self)
        twin.store = self.store.copy()
        twin.taken = list(self.taken)
        twin.clock = _Clock()
        twin.clock.now = self.clock.now
        twin.runtime = Runtime(self.definition, twin.store, handlers=self.runtime.handlers, clock=twin.clock)
        return twin

    # ------------------------------------------------------------------ observing

    def instance(self) -> Instance:
        """The instance as stored now."""
        return self.store.load(INSTANCE_ID)

    def observe(self, accepted: bool) -> Observation:
        """What this step showed: the leaves entered since the last observation, and where it is now."""
        fresh = self.store.records_after(INSTANCE_ID, self._seen)
        self._seen += len(fresh)
        self.taken.extend(r.transition for r in fresh if r.outcome == "applied" and r.transition is not None)
        entered: list[str] = []
        for record in fresh:
            entered.extend(self._entered(record))
        instance = self.instance()
        active = tuple(sorted(instance.active))
        return Observation(
            accepted and bool(fresh),
            tuple(entered),
            active,
            status_of(instance),
            observed_context(self.machine, instance.context),
        )

    def _entered(self, record: Record) -> list[str]:
        if record.outcome != "applied":
            return []
        before = set(record.source)
        leaves = [leaf for leaf in record.target if leaf not in before]
        if record.transition is not None:
            taken = self.machine.transitions[record.transition]
            if taken.target is not None:
                again = self.hierarchy.entered(taken.source, taken.target)
                leaves.extend(leaf for leaf in again if leaf in before and leaf in record.target)
        order = self.hierarchy.order
        return sorted(dict.fromkeys(leaves), key=order.__getitem__)

    def choices(self) -> Choices:
        """The steps worth drawing next from this instance's state."""
        instance = self.instance()
        finished = instance.status != "running"
        active = set(self.hierarchy.active_states(instance.active))
        handled = sorted(
            {event for (state, event) in self.definition.on_event if state in active},
        )
        gates: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        for (state, event), indices in self.definition.on_event.items():
            if state not in active:
                continue
            for index in indices:
                transition = self.machine.transitions[index]
                if transition.permissions or transition.evidence:
                    held, shown = gates.get(event, ((), ()))
                    gates[event] = (
                        tuple(dict.fromkeys((*held, *transition.permissions))),
                        tuple(dict.fromkeys((*shown, *transition.evidence))),
                    )
        timers = self.store.timers(INSTANCE_ID)
        timeouts = sorted({t.state for t in timers if t.kind in HARD_TIMERS})
        owed = tuple(
            Owed(w.state, w.action, w.attempt, self._errors(w.state))
            for w in self.store.work(INSTANCE_ID)
            if w.kind == "invoke" and w.state is not None
        )
        approvers = sorted(
            {
                approver
                for level in self.definition.levels.values()
                if level.state in active
                for approver in level.approvers
            }
            | {who for state, who in self.definition.assignees.items() if state in active}
        )
        return Choices(tuple(handled), gates, tuple(timeouts), owed, tuple(approvers), finished)

    def _errors(self, state: str) -> tuple[str, ...]:
        """Errors worth reporting for `state`'s work: those it retries or catches by name, and another."""
        invoke = self.definition.states[state].invoke
        retry_on = () if invoke is None or invoke.retry is None else invoke.retry.retry_on
        caught = tuple(
            t.event
            for t in self.machine.transitions
            if t.kind == "error" and t.source == state and t.event is not None
        )
        named = tuple(dict.fromkeys((*retry_on, *caught)))
        return (*named, "Failed") if "Failed" not in named else named

    # ------------------------------------------------------------------ stepping

    def apply(self, step: Step) -> Observation:
        """Perform one step; a refused one is observed as not accepted and changes nothing."""
        try:
            accepted = self._perform(step)
        except WorkflowError:
            accepted = False
        self._drain()
        return self.observe(accepted)

    def _perform(self, step: Step) -> bool:
        if isinstance(step, Send):
            active = self.hierarchy.active_states(self.instance().active)
            self.runtime.send(
                INSTANCE_ID,
                step.event,
                actor=step.actor,
                permissions=step.permissions,
                scope=scope_lock(self.machine, active, step.event),
                evidence=dict(step.payload) or None,
                delegate_to=step.delegate_to,
                data=dict(step.data) if step.data else None,
            )
            return True
        if isinstance(step, Timeout):
            return self._timeout(step.state)
        return self._work_done(step)

    def due_timer(self, state: str) -> Timer | None:
        """The timer `Timeout(state)` fires: the state's hard timeout or heartbeat that is due first."""
        timers = [t for t in self.store.timers(INSTANCE_ID) if t.state == state and t.kind in HARD_TIMERS]
        return min(timers, key=lambda t: (t.due_ms, t.key)) if timers else None

    def _timeout(self, state: str) -> bool:
        timer = self.due_timer(state)
        if timer is None:
            return False
        self.clock.now = max(self.clock.now, timer.due_ms)
        before = self.instance().version
        self.runtime.fire_now(INSTANCE_ID, timer.key)
        self._retry_now(state)  # a heartbeat failure the policy retries: the next attempt starts at once
        return self.instance().version != before

    def _retry_now(self, state: str) -> None:
        """Fire the state's pending retry timer now: scenarios skip backoff time."""
        for timer in self.store.timers(INSTANCE_ID):
            if timer.kind == "retry" and timer.state == state:
                self.runtime.fire_now(INSTANCE_ID, timer.key)

    def _work_done(self, step: WorkDone) -> bool:
        work = next(
            (w for w in self.store.work(INSTANCE_ID) if w.kind == "invoke" and w.state == step.state), None
        )
        if work is None:
            return False
        self.runtime.report(
            INSTANCE_ID,
            work.key,
            step.error,
            result=dict(step.result) if step.error is None else None,
            message=step.message if step.error is not None else None,
        )
        self._retry_now(step.state)
        return True

    def _drain(self) -> None:
        """Run owed `do` actions and deliver emitted events until none is left."""
        for _ in range(1000):
            if self.instance().status == "paused":
                return
            if self.runtime.run_work(INSTANCE_ID, kinds=("do", "emit")) == 0:
                return


class PythonEngine:
    """Runs scenarios on the Python runtime (in memory): the reference engine."""

    name = "python"

    def __init__(self, definition: Definition | None = None) -> None:
        """Run on `definition` (a generated module's `DEFINITION`, say); default: one built from the IR."""
        self.definition = definition

    def run(self, machine: ir.Machine, scenario: Scenario) -> Sequence[Observation] | Unsupported:
        """One observation for the start, then one per step."""
        definition = self.definition if self.definition is not None else Definition(machine)
        run = PythonRun(machine, dict(scenario.context), definition)
        if run.start_error is not None:
            return Unsupported(0, f"the instance does not start: {run.start_error}")
        observations = [run.first]
        observations.extend(run.apply(step) for step in scenario.steps)
        return observations
