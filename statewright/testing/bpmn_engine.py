"""The generic BPMN target as a scenario engine: the generated `.bpmn` executed by SpiffWorkflow.

`BpmnEngine` has the `bpmn` target (generic flavor) generate the process for a
machine through its public `generate`; `BpmnRun` parses it with SpiffWorkflow's
validating parser and drives one instance with a scenario's steps, playing the
parts a BPMN engine leaves to its surroundings. Everything it relies on besides
the `.bpmn` file is the target's public contract,
`statewright.targets.bpmn.protocol`: the process variables, the approval
decisions and what each element means (`process_map`).

- messages: a `Send` publishes each BPMN message that delivers the event
  (`ProcessMap.messages`: one per receiving region), with the actor's
  permissions and evidence as message data (the gateways of the process check
  them);
- the task list: approval user tasks are offered to the actors the task
  declares as candidates (or their delegates), one vote each, and completed
  with `approval_decision`; a checkpoint's user task is completed by its
  acknowledgement;
- the job worker: a `WorkDone` completes the state's service task with its
  result in `result`, or throws the error to that task's error boundary event
  with `work_error` and `error` (name and message) set (the process's own
  retry loop decides what happens next); a result that does not fit the
  invoke's `returns` is thrown as a `ResultInvalid` failure, as the runtime
  treats it; `do` service tasks succeed at once;
- data: a `Send`'s payload is checked against the event's fields first (a bad
  one is refused, nothing delivered) and arrives as `event` in the message data
  (or the completed task's data for decisions and acknowledgements);
- the clock: a `Timeout(state)` moves the due time of that state's timer into
  the past and lets SpiffWorkflow fire it.

What is observed is the process's own progress: a leaf state counts as
entered when its milestone (the throw event named after it) or its end event
completes, the active states are those of the live tasks, a step is
refused when no catch event took the message or a refusal marker ran, and
the context is the starting data updated by each `set` script task as it
completes (`Element.writes`: the value the script left in its task data).
SpiffWorkflow is a development dependency; it is imported when a run starts.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, NamedTuple

from statewright import ir
from statewright.plugins.api import Target, TargetOptions
from statewright.semantics import approvals
from statewright.semantics.hierarchy import Hierarchy
from statewright.semantics.inputs import RESULT_INVALID, check_fields, result_invalid_message
from statewright.targets.bpmn import GENERIC
from statewright.targets.bpmn.protocol import (
    DECISION_VAR,
    DECISIONS,
    ERROR_VAR,
    EVENT_VAR,
    EVIDENCE_VAR,
    FAILURE_VAR,
    PERMISSIONS_VAR,
    RESULT_VAR,
    SCOPE_VAR,
    Element,
    ProcessMap,
    process_file,
    process_map,
)
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

MAYBE, WAITING, READY, STARTED, CANCELLED = 1, 8, 16, 32, 256
LIVE = WAITING | READY | STARTED


class SpiffMissingError(RuntimeError):
    """SpiffWorkflow is not installed (it is a development dependency)."""


class Vote(NamedTuple):
    """A decision the task list recorded at a level: who, what, the listed approvers it fills or hands on."""

    actor: str
    decision: str
    approvers: tuple[str, ...] = ()
    to: str = ""


def tally(
    votes: Sequence[Vote], approvers: Sequence[str], delegation: bool, step: Send
) -> Vote | Literal[False] | None:
    """A task list's count of one decision at one level, as the runtime counts (LANGUAGE.md §10).

    An actor stands for the listed approvers they are (by id or a held role) or that
    were delegated to them, and for none once they delegated; an approval counts when it
    fills one more listed approver (`semantics.approvals`: a maximum matching, each
    actor one place) and records all they stood for; a delegation hands the
    delegator's listed approvers on. Returns the vote to record, None when the
    decision cannot count here (try the next level), False when it is refused.
    """
    actor = step.actor
    if not actor or any(v.decision == "delegate" and v.actor == actor for v in votes):
        return None
    if step.event != "reject" and any(v.decision == "approve" and v.actor == actor for v in votes):
        return None
    names = {actor, *step.permissions}
    names |= {a for v in votes if v.decision == "delegate" and v.to == actor for a in v.approvers}
    standing = tuple(a for a in dict.fromkeys(approvers) if a in names)
    cast = [v.approvers for v in votes if v.decision == "approve"]
    if not standing or (step.event == "approve" and not approvals.counts(cast, standing)):
        return None
    if step.event == "delegate":
        if not delegation or not step.delegate_to or step.delegate_to == actor:
            return False
        return Vote(actor, "delegate", standing, step.delegate_to)
    if step.event == "approve":
        return Vote(actor, "approve", standing)
    return Vote(actor, step.event)


def _spiff() -> dict[str, Any]:
    """The SpiffWorkflow names the driver uses, imported on first use."""
    try:
        parser = importlib.import_module("SpiffWorkflow.bpmn.parser")
        bpmn = importlib.import_module("SpiffWorkflow.bpmn")
        engine = importlib.import_module("SpiffWorkflow.bpmn.script_engine")
        events = importlib.import_module("SpiffWorkflow.bpmn.specs.event_definitions")
        util = importlib.import_module("SpiffWorkflow.bpmn.util")
    except ImportError as error:
        raise SpiffMissingError(
            "the bpmn engine needs SpiffWorkflow 3.2+ (`pip install SpiffWorkflow`), a development dependency"
        ) from error
    return {
        "BpmnParser": parser.BpmnParser,
        "BpmnValidator": parser.BpmnValidator,
        "BpmnWorkflow": bpmn.BpmnWorkflow,
        "PythonScriptEngine": engine.PythonScriptEngine,
        "TaskDataEnvironment": engine.TaskDataEnvironment,
        "MessageEventDefinition": events.MessageEventDefinition,
        "ErrorEventDefinition": events.ErrorEventDefinition,
        "BpmnEvent": util.BpmnEvent,
    }


def start_context(machine: ir.Machine, given: Mapping[str, ir.Value]) -> dict[str, ir.Value]:
    """The starting task data: declared defaults, overridden by the scenario's context."""
    data: dict[str, ir.Value] = {}
    for field in machine.context:
        if field.default is not None:
            data[field.name] = field.default
    data.update(given)
    for field in machine.context:
        value = data.get(field.name)
        if field.type.name == "decimal" and isinstance(value, int) and not isinstance(value, bool):
            data[field.name] = Decimal(value)
    return data


def payload_of(machine: ir.Machine, step: Send) -> dict[str, ir.Value] | None:
    """The event's payload as the process receives it (defaults filled in), or None to refuse the step.

    The sender, not the process, checks a payload (`semantics.inputs.check_fields`,
    as the runtime does first of all): a payload that does not fit the event's
    declared fields is refused with nothing delivered, so the process never sees it.
    """
    fields = next((e.payload for e in machine.events if e.name == step.event), ())
    values, problems = check_fields(fields, dict(step.data))
    return None if problems else values


def outcome_of(machine: ir.Machine, step: WorkDone) -> tuple[dict[str, ir.Value], str | None, str]:
    """What the job worker reports for `step`: the result, the error name (None: success), the message.

    A result that does not fit the invoke's `returns` is a `ResultInvalid`
    failure whose message says what is wrong, worded as the runtime words it.
    """
    if step.error is not None:
        return {}, step.error, step.message
    state = next((s for s in machine.states if s.name == step.state), None)
    invoke = None if state is None else state.invoke
    fields = () if invoke is None else invoke.result
    if not fields:  # work with no `returns` ignores what it returns, as the runtime does
        return {}, None, ""
    values, problems = check_fields(fields, dict(step.result))
    if problems:
        action = invoke.action if invoke is not None else step.state
        return {}, RESULT_INVALID, result_invalid_message(action, problems)
    return values, None, ""


def failure_of(name: str, message: str) -> dict[str, str]:
    """The `error` variable a failure sets (`error.name`, `error.message`)."""
    return {"name": name, "message": message}


def generated_process(target: Target, machine: ir.Machine) -> tuple[str, ProcessMap]:
    """The `.bpmn` text the target's `generate` writes for `machine`, and what its elements mean."""
    output = target.generate(machine, TargetOptions())
    path = process_file(machine.name)
    for artifact in output.artifacts:
        if artifact.path == path:
            return artifact.content, process_map(machine, "generic")
    findings = "; ".join(d.message for d in output.diagnostics) or "no findings"
    raise RuntimeError(f"the target did not write `{path}` ({findings})")


class ProcessRun:
    """What a BPMN driver records between observations, and how it reports a step (both drivers).

    A subclass runs one engine (SpiffWorkflow here, bpmn-engine in
    `bpmn_node_engine`) and says which leaves are active (`active`) and how the
    process stands (`status`); states entered, refusals, votes, entry times and
    the observation are kept here alike.
    """

    def __init__(self, machine: ir.Machine, context: Mapping[str, ir.Value], process: ProcessMap) -> None:
        self.machine = machine
        self.hierarchy = Hierarchy(machine)
        self.process = process
        self.values = start_context(machine, context)
        """The context as the process's `set` script tasks wrote it, in the order they ran."""
        self.entered: list[str] = []
        self.refused = False
        self.votes: dict[str, list[Vote]] = {}
        self.last_end: Element | None = None
        self.clock = 0
        self.entered_at: dict[str, int] = {}
        self.started: dict[str, int] = {}
        self.inside: set[str] = set()
        self.before: tuple[str, ...] = ()
        """The configuration at the last observation."""

    def reached(self, state: str) -> None:
        """A state's milestone (or final end event) completed: it is entered now."""
        self.entered.append(state)
        self.votes.pop(state, None)  # a level entered again starts with no votes
        for level in self.hierarchy.chain(state):
            if level not in self.inside or level == state:
                self.entered_at[level] = self.clock

    def observe(self, accepted: bool) -> Observation:
        """What the step showed; resets the per-step record."""
        order = self.hierarchy.order
        entered = tuple(sorted(dict.fromkeys(self.entered), key=order.__getitem__))
        accepted = accepted and not self.refused
        self.entered, self.refused = [], False
        active = self.active()
        self.inside = set(self.hierarchy.active_states(active))
        self.before = active
        return Observation(
            accepted, entered, active, self.status(), observed_context(self.machine, self.values)
        )

    def active(self) -> tuple[str, ...]:
        """The active leaf states, as the engine shows them."""
        raise NotImplementedError

    def status(self) -> Status:
        """How the process stands (`running` until it completed at a final state or failed)."""
        raise NotImplementedError


class BpmnRun(ProcessRun):
    """One SpiffWorkflow instance of a machine's generated process (`text`, read with `process`)."""

    def __init__(
        self, machine: ir.Machine, context: Mapping[str, ir.Value], text: str, process: ProcessMap
    ) -> None:
        super().__init__(machine, context, process)
        self.spiff = _spiff()
        parser = self.spiff["BpmnParser"](validator=self.spiff["BpmnValidator"]())
        parser.add_bpmn_str(text.encode("utf-8"))
        spec = parser.get_spec(process.process_id)
        subprocesses = parser.get_subprocess_specs(process.process_id)
        environment = self.spiff["TaskDataEnvironment"]({"Decimal": Decimal, "Fraction": Fraction})
        engine = self.spiff["PythonScriptEngine"](environment=environment)
        self.workflow = self.spiff["BpmnWorkflow"](spec, subprocesses, script_engine=engine)
        self.workflow.task_tree.data.update(self.values)
        self.settle()

    # ------------------------------------------------------------------ running the engine

    def _completed(self, task: Any) -> None:
        node = self.process.elements.get(task.task_spec.bpmn_id or "")
        if node is None:
            return
        state = self.process.state_of(node.state, self.values)
        if node.role in ("milestone", "final") and state is not None:
            self.reached(state)
        elif node.role == "refused":
            self.refused = True
        elif node.writes is not None and node.writes in task.data:
            self.values[node.writes] = task.data[node.writes]
        if node.kind == "endEvent" and node.scope == self.process.process_id:
            self.last_end = node

    def settle(self) -> None:
        """Run engine steps, completing `do` service tasks (their handlers succeed), until nothing moves."""
        for _ in range(1000):
            self.workflow.do_engine_steps(did_complete_task=self._completed)
            owed = [
                t for t in self.live(STARTED) if (node := self.node(t)) is not None and node.role == "action"
            ]
            for task in self.live(STARTED):
                if (node := self.node(task)) is not None and node.role == "work" and task.parent is not None:
                    self.started.setdefault(str(task.parent.id), self.clock)  # the attempt starts now
            if not owed:
                return
            for task in owed:
                task.complete()
                self._completed(task)

    def node(self, task: Any) -> Element | None:
        """The process element a task runs (None for SpiffWorkflow's own plumbing)."""
        return self.process.elements.get(task.task_spec.bpmn_id or "")

    def live(self, mask: int = LIVE) -> list[Any]:
        """Tasks in the given states, across sub-processes, in a stable order."""
        return list(self.workflow.get_tasks(state=mask))

    # ------------------------------------------------------------------ observing

    def active(self) -> tuple[str, ...]:
        """The leaf states of the live tasks (a region's final waits at the join)."""
        found: set[str] = set()
        if self.workflow.is_completed():
            if self.last_end is not None and self.last_end.role == "failed":
                # Only an attempt's failure fails the instance, and it fails where it waited: the
                # configuration stays as it was (every region's leaf), as the runtime keeps it.
                return self.before
            if self.last_end is not None and self.last_end.state is not None:
                found.add(self.last_end.state)
            return tuple(sorted(found))
        waiting_joins = {
            (id(t.workflow), t.task_spec.name)
            for t in self.live(WAITING)
            if (n := self.node(t)) and n.role == "join"
        }
        arrived = [
            t
            for t in self.workflow.get_tasks(state=WAITING | CANCELLED)
            if (id(t.workflow), t.task_spec.name) in waiting_joins
        ]
        for task in [*self.live(), *arrived]:
            if (boundary := self.node(task)) is not None and boundary.kind == "boundaryEvent":
                continue  # armed while its activity runs; the activity itself says which state is active
            current = task
            while current is not None:
                node = self.node(current)
                state = None if node is None else self.process.state_of(node.state, self.values)
                if state is not None and state in self.hierarchy.leaves:
                    found.add(state)
                    break
                if node is None or node.role not in ("join", "merge"):
                    break  # SpiffWorkflow's own bookkeeping tasks (`_EndJoin`) belong to no state
                current = current.parent
        return tuple(sorted(found))

    def status(self) -> Status:
        """Finished (and how) once the process completed at a final state or failed."""
        if not self.workflow.is_completed() or self.last_end is None:
            return "running"
        if self.last_end.role == "final":
            return "succeeded" if self.last_end.outcome == "success" else "failed"
        if self.last_end.role == "failed":
            return "failed"
        return "running"

    # ------------------------------------------------------------------ steps

    def apply(self, step: Step) -> Observation:
        """Perform one step and observe it."""
        if self.workflow.is_completed():
            return self.observe(False)
        if isinstance(step, Send):
            accepted = self.send(step)
        elif isinstance(step, Timeout):
            accepted = self.timeout(step.state)
        else:
            accepted = self.work_done(step)
        if accepted:
            self.settle()
        return self.observe(accepted)

    def send(self, step: Send) -> bool:
        """Deliver an event: to the task list for decisions and acknowledgements, else as a message.

        A payload that does not fit the event is refused before anything is delivered (`payload_of`).
        """
        payload = payload_of(self.machine, step)
        if payload is None:
            return False
        if step.event in DECISIONS:
            levels = [t for t in self.live(READY) if (n := self.node(t)) is not None and n.role == "approval"]
            if levels:
                return self.decide(step, levels)
        for task in self.live(READY):
            node = self.node(task)
            if node is not None and node.role == "checkpoint" and node.owner == step.event:
                if node.approvers and not {step.actor, *step.permissions} & set(node.approvers):
                    return False  # LANGUAGE.md §11: only the assignee acknowledges
                task.data.update(self.message_data(step))
                task.run()
                self._completed(task)
                return True
        return self.message(step.event, self.message_data(step))

    def message_data(self, step: Send) -> dict[str, Any]:
        """What a message carries: the actor's permissions, its scope (`scope_lock`) and its evidence."""
        states = {s for leaf in self.active() for s in self.hierarchy.chain(leaf)}
        scope = scope_lock(self.machine, states, step.event)
        return {
            PERMISSIONS_VAR: list(step.permissions),
            SCOPE_VAR: scope,
            EVIDENCE_VAR: dict(step.payload),
            EVENT_VAR: payload_of(self.machine, step) or {},
        }

    def message(self, name: str, payload: dict[str, Any]) -> bool:
        """Deliver event `name`; True when some catch event took it.

        Publishes each message the process map lists for the event (one per receiving region).
        """
        caught = False
        for message in self.process.messages.get(name, (name,)):
            definition = self.spiff["MessageEventDefinition"](message)
            event = self.spiff["BpmnEvent"](definition, payload=payload)
            caught = bool(self.workflow.event_manager.catch(event)) or caught
        return caught

    def decide(self, step: Send, levels: list[Any]) -> bool:
        """The task list: count one actor's decision at the first level where it can count (`tally`)."""
        order = self.hierarchy.order
        levels.sort(key=lambda t: order[str(getattr(self.node(t), "state", ""))])
        seen: set[str] = set()
        for task in levels:
            node = self.node(task)
            assert node is not None and node.state is not None
            if node.state in seen:
                continue
            seen.add(node.state)
            votes = self.votes.setdefault(node.state, [])
            counted = tally(votes, node.approvers, node.delegation, step)
            if counted is None:
                continue
            if counted is False:
                return False
            votes.append(counted)
            if step.event == "delegate":
                self.message("delegate", {})  # the diagram's non-interrupting boundary; the task list decides
                return True
            task.data[DECISION_VAR] = step.event
            task.data[EVENT_VAR] = payload_of(self.machine, step) or {}
            task.run()
            self._completed(task)
            return True
        return False

    def timeout(self, state: str) -> bool:
        """Fire the hard timeout (or heartbeat) of `state` that is due first; move the clock there.

        Due times are kept on a virtual clock, as the runtime's are: a hard timeout
        runs from the entry of the state it belongs to, a heartbeat from the start
        of the current attempt.
        """
        pending: list[tuple[int, int, Any, Element]] = []
        for task in self.live(WAITING | MAYBE):
            node = self.node(task)
            if task.state == MAYBE and (task.parent is None or task.parent.state != WAITING):
                continue
            if node is None or node.role not in ("timeout", "heartbeat"):
                continue
            if self.process.state_of(node.owner, self.values) != state:
                continue
            duration = node.duration_ms or 0
            if node.role == "heartbeat":
                started = self.started.get(str(task.parent.id), self.clock) if task.parent else self.clock
                pending.append((started + duration, 0, task, node))
            else:
                pending.append((self.entered_at.get(state, self.clock) + duration, 1, task, node))
        if not pending:
            return False
        due, _, task, node = min(pending, key=lambda item: (item[0], item[1]))
        self.clock = max(self.clock, due)
        if task.state == MAYBE:  # a branch of a waiting event-based gateway: the gateway catches
            gateway = task.parent
            branches = gateway.task_spec.event_definition.event_definitions
            definition = branches[gateway.children.index(task)]
            gateway.task_spec.catch(gateway, self.spiff["BpmnEvent"](definition))
            gateway.task_spec._update(gateway)
        else:
            past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
            task._set_internal_data(event_value=past)
            task.task_spec._update(task)
        return True

    def work_done(self, step: WorkDone) -> bool:
        """Complete the state's service task, or throw the error to its error boundary event."""
        for task in self.live(STARTED):
            node = self.node(task)
            if node is None or node.role != "work":
                continue
            if self.process.state_of(node.state, self.values) != step.state:
                continue
            result, error, message = outcome_of(self.machine, step)
            if error is None:
                task.data[RESULT_VAR] = result
                task.complete()
                self._completed(task)
                return True
            for sibling in task.parent.children:
                boundary = self.node(sibling)
                if boundary is not None and boundary.role == "error" and boundary.attached_to == node.id:
                    definition = self.spiff["ErrorEventDefinition"](error, code=error)
                    failure = {ERROR_VAR: error, FAILURE_VAR: failure_of(error, message)}
                    event = self.spiff["BpmnEvent"](definition, payload=failure)
                    sibling.task_spec.catch(sibling, event)
                    sibling.task_spec._update(sibling)
                    return True
        return False


class BpmnEngine:
    """Runs scenarios on the generated BPMN in SpiffWorkflow (`statewright test --targets bpmn`).

    `target` is the registered `bpmn` target (default: the built-in one); each
    machine's process is generated once per engine and parsed afresh per run.
    """

    name = "bpmn"

    def __init__(self, target: Target | None = None) -> None:
        self._target: Target = target if target is not None else GENERIC
        self._generated: dict[int, tuple[ir.Machine, str, ProcessMap]] = {}
        """id of a machine -> (the machine, its `.bpmn` text, its process map)."""

    def _process(self, machine: ir.Machine) -> tuple[str, ProcessMap]:
        known = self._generated.get(id(machine))
        if known is None or known[0] is not machine:
            known = (machine, *generated_process(self._target, machine))
            self._generated[id(machine)] = known
        return known[1], known[2]

    def run(self, machine: ir.Machine, scenario: Scenario) -> Sequence[Observation] | Unsupported:
        """One observation for the start, then one per step; Unsupported when SpiffWorkflow cannot go on."""
        try:
            run = BpmnRun(machine, dict(scenario.context), *self._process(machine))
        except SpiffMissingError:
            raise
        except Exception as error:  # SpiffWorkflow reports failures as its own exception types
            return Unsupported(0, f"SpiffWorkflow cannot start the process: {type(error).__name__}: {error}")
        observations = [run.observe(True)]
        for index, step in enumerate(scenario.steps, 1):
            try:
                observations.append(run.apply(step))
            except Exception as error:
                return Unsupported(
                    index, f"SpiffWorkflow failed on `{step}`: {type(error).__name__}: {error}"
                )
        return observations
