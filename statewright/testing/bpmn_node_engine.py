"""The `bpmn-javascript` target as a scenario engine: the generated `.bpmn` executed by bpmn-engine (Node).

A second, independent BPMN engine beside SpiffWorkflow (`bpmn_engine.py`): paed01's
`bpmn-engine` (npm, 25.x) runs the process the `bpmn-javascript` target writes
(JavaScript conditions and scripts). One long-lived node process per engine
(`bpmn_engine_driver.mjs`, shipped beside this module) speaks JSON lines; each
scenario starts a fresh engine in it. The driver plays what surrounds a BPMN
engine, exactly as the SpiffWorkflow driver does, and reads only the target's
public contract (`targets/bpmn/protocol.py`) and the `.bpmn` text:

- messages: a `Send` publishes each message `ProcessMap.messages` lists for the
  event (one per receiving region: bpmn-engine, like Camunda 8, delivers a
  message to one waiting receiver), signalled by the message element's id read
  from the `.bpmn`; the sender's permissions, scope and evidence are set as
  process variables first;
- the task list: approval user tasks take one vote per eligible actor, with
  `approval_decision` (and `approval_rejected` for a quorum) set; a checkpoint's
  task is completed by its acknowledgement;
- the job worker: `do` service tasks succeed at once; a `WorkDone` finishes the
  state's service task with `result` set (a result that does not fit is a
  `ResultInvalid` failure), or fails it with `work_error` and `error` set;
- data: a `Send`'s payload is checked first (a bad one is refused, nothing
  delivered) and set as the process variable `event` (numbers as exact text);
- the clock: timers are never armed for real; `Timeout(state)` fires the state's
  timer that is due first on a virtual clock.

Node and bpmn-engine are found under the npm prefix `make tools` fills
(`.tools/node`, or `STATEWRIGHT_NODE_TOOLS`); without them the engine cannot be
loaded (a clear `BpmnEngineMissingError`, never a skip).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from statewright import ir
from statewright.plugins.api import Target, TargetOptions
from statewright.targets.bpmn.protocol import (
    DECISION_VAR,
    DECISIONS,
    ERROR_VAR,
    EVENT_VAR,
    EVIDENCE_VAR,
    FAILURE_VAR,
    PERMISSIONS_VAR,
    REJECTED_VAR,
    RESULT_VAR,
    SCOPE_VAR,
    ProcessMap,
    process_file,
    process_map,
)
from statewright.testing.bpmn_engine import ProcessRun, failure_of, outcome_of, payload_of, tally
from statewright.testing.scenario import (
    Observation,
    Scenario,
    Send,
    Status,
    Step,
    Timeout,
    Unsupported,
    WorkDone,
    scope_lock,
)

DRIVER = Path(__file__).with_name("bpmn_engine_driver.mjs")
_MESSAGE = re.compile(r'<bpmn:message id="([^"]+)" name="([^"]+)"')


class BpmnEngineMissingError(RuntimeError):
    """Node or the npm package bpmn-engine is not installed (`make tools` installs it)."""


def node_tools() -> Path:
    """The npm prefix `make tools` fills (`STATEWRIGHT_NODE_TOOLS`, else `.tools/node` here or above)."""
    configured = os.environ.get("STATEWRIGHT_NODE_TOOLS")
    if configured:
        return Path(configured)
    for base in (Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[2]):
        candidate = base / ".tools" / "node"
        if (candidate / "node_modules" / "bpmn-engine").is_dir():
            return candidate
    return Path.cwd() / ".tools" / "node"


def missing() -> str | None:
    """Why the engine cannot run here (no node, or no bpmn-engine package), or None."""
    if shutil.which("node") is None:
        return "the `bpmn-engine` engine needs node (Node.js 20+) on the PATH"
    if not (node_tools() / "node_modules" / "bpmn-engine" / "package.json").exists():
        return (
            f"the `bpmn-engine` engine needs the npm package bpmn-engine under {node_tools()} "
            "(`make tools` installs it, or set STATEWRIGHT_NODE_TOOLS to an npm prefix that has it)"
        )
    return None


def _variable(value: ir.Value) -> Any:
    """A context value as the flavor's scripts read it: numbers as exact text."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return value
    return str(value)


def _value(written: Any, field_type: ir.FieldType) -> Any:
    """A process variable read back as a context value: exact number text (`W`: `n` or `n/d`) by type."""
    if field_type.name not in ("int", "decimal") or isinstance(written, bool):
        return written
    exact = Fraction(str(written))
    if field_type.name == "int":
        return int(exact)
    return Decimal(exact.numerator) / Decimal(exact.denominator)


class Driver:
    """One node process running `bpmn_engine_driver.mjs`: a request line in, an answer line out."""

    def __init__(self) -> None:
        reason = missing()
        if reason is not None:
            raise BpmnEngineMissingError(reason)
        self.process = subprocess.Popen(
            [shutil.which("node") or "node", str(DRIVER), str(node_tools())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, **request: Any) -> dict[str, Any]:
        """Send one request and read its answer."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the bpmn-engine driver stopped")
        answer: dict[str, Any] = json.loads(line)
        if "failure" in answer:
            raise RuntimeError(f"the bpmn-engine driver failed: {answer['failure']}")
        return answer

    def close(self) -> None:
        """End the node process."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class NodeRun(ProcessRun):
    """One instance of a machine's process in bpmn-engine, driven step by step."""

    def __init__(
        self,
        driver: Driver,
        machine: ir.Machine,
        context: Mapping[str, ir.Value],
        text: str,
        process: ProcessMap,
    ) -> None:
        super().__init__(machine, context, process)
        self.driver = driver
        self.message_ids = {name: element for element, name in _MESSAGE.findall(text)}
        self.finals: set[str] = set()
        self.waiting: list[str] = []
        self.completed = False
        self.types = {f.name: f.type for f in machine.context}
        self.plumbing: dict[str, object] = {}
        """Process variables the process writes that are not context fields (`ProcessMap.shared`)."""
        variables = {k: _variable(v) for k, v in self.values.items()}
        writes = {e.id: e.writes for e in process.elements.values() if e.writes is not None}
        self.take(driver.ask(op="start", source=text, variables=variables, writes=writes))

    # ------------------------------------------------------------------ answers

    def take(self, answer: dict[str, Any]) -> bool:
        """Record an answer (and finish owed `do` work); True when the request found its receiver."""
        ok = bool(answer["ok"])
        moved = bool(answer["ended"])
        while True:
            if answer.get("error"):
                raise RuntimeError(f"bpmn-engine: {answer['error']}")
            # Writes first: a shared compensation's milestone ends in the same answer as the way in
            # that recorded its exit, and `state_of` reads the record (one exit per step at most).
            for name, value in answer.get("written", ()):
                if name in self.types:
                    self.values[name] = _value(value, self.types[name])
                else:  # plumbing: the recorded exit of a shared compensation chain
                    self.plumbing[name] = value
            for element_id in answer["ended"]:
                self._ended(element_id)
            self.waiting = list(answer["waiting"])
            self.completed = bool(answer["completed"])
            for element_id in self.waiting:
                node = self.process.elements.get(element_id)
                if node is not None and node.role == "work" and node.state is not None:
                    self.started.setdefault(element_id, self.clock)
            owed = next((e for e in self.waiting if self._role(e) == "action"), None)
            if owed is None:
                return ok and moved
            answer = self.driver.ask(op="work", id=owed, error=None, variables={})

    def _role(self, element_id: str) -> str | None:
        node = self.process.elements.get(element_id)
        return None if node is None else node.role

    def _ended(self, element_id: str) -> None:
        node = self.process.elements.get(element_id)
        if node is None:
            return
        if node.role == "work":
            self.started.pop(element_id, None)
        state = self.process.state_of(node.state, self.plumbing)
        if node.role in ("milestone", "final") and state is not None:
            self.reached(state)
            if self.states_kind(state) == "final" and not self.hierarchy.is_top_final(state):
                self.finals.add(state)
        elif node.role == "refused":
            self.refused = True
        if node.kind == "endEvent" and node.scope == self.process.process_id:
            self.last_end = node

    def states_kind(self, state: str) -> str:
        """The IR kind of a state."""
        return self.hierarchy.states[state].kind

    # ------------------------------------------------------------------ observing

    def active(self) -> tuple[str, ...]:
        """The leaf states of the waiting elements, and region finals waiting at their join."""
        if self.completed:
            if self.last_end is not None and self.last_end.role == "failed":
                return self.before  # the configuration stays where the failure happened, as the runtime's
            if self.last_end is not None and self.last_end.state is not None:
                return (self.last_end.state,)
            return ()
        found: set[str] = set()
        live_subprocesses = set(self.waiting)
        for element_id in self.waiting:
            node = self.process.elements.get(element_id)
            state = None if node is None else self.process.state_of(node.state, self.plumbing)
            if node is None or node.kind == "boundaryEvent" or state is None:
                continue
            if state in self.hierarchy.leaves:
                found.add(state)
        for final in list(self.finals):
            parallel = self._parallel_of(final)
            if parallel is not None and parallel in live_subprocesses:
                found.add(final)
            else:
                self.finals.discard(final)
        return tuple(sorted(found))

    def _parallel_of(self, state: str) -> str | None:
        """The sub-process element id of the parallel state directly around `state`'s region."""
        region = self.hierarchy.region_of(state)
        parent = None if region is None else self.hierarchy.states[region].parent
        return None if parent is None else _subprocess_id(self.process, parent)

    def status(self) -> Status:
        """Finished (and how) once the process completed at a final state or failed."""
        if not self.completed or self.last_end is None:
            return "running"
        if self.last_end.role == "final":
            return "succeeded" if self.last_end.outcome == "success" else "failed"
        return "failed" if self.last_end.role == "failed" else "running"

    # ------------------------------------------------------------------ steps

    def apply(self, step: Step) -> Observation:
        """Perform one step and observe it."""
        if self.completed:
            return self.observe(False)
        if isinstance(step, Send):
            accepted = self.send(step)
        elif isinstance(step, Timeout):
            accepted = self.timeout(step.state)
        else:
            accepted = self.work_done(step)
        return self.observe(accepted)

    def message_data(self, step: Send) -> dict[str, Any]:
        """What a message carries, as process variables: permissions, scope, evidence."""
        states = {s for leaf in self.active() for s in self.hierarchy.chain(leaf)}
        scope = scope_lock(self.machine, states, step.event)  # the lock the scenario's sender works under
        payload = payload_of(self.machine, step) or {}
        return {
            PERMISSIONS_VAR: list(step.permissions),
            SCOPE_VAR: scope,
            EVIDENCE_VAR: dict(step.payload),
            EVENT_VAR: {name: _variable(value) for name, value in payload.items()},
        }

    def send(self, step: Send) -> bool:
        """Deliver an event: to the task list for decisions and acknowledgements, else as messages.

        A payload that does not fit the event is refused before anything is delivered (`payload_of`).
        """
        if payload_of(self.machine, step) is None:
            return False
        if step.event in DECISIONS:
            levels = [e for e in self.waiting if self._role(e) == "approval"]
            if levels:
                return self.decide(step, levels)
        for element_id in self.waiting:
            node = self.process.elements.get(element_id)
            if node is not None and node.role == "checkpoint" and node.owner == step.event:
                if node.approvers and not {step.actor, *step.permissions} & set(node.approvers):
                    return False  # LANGUAGE.md §11: only the assignee acknowledges
                return self.take(self.driver.ask(op="task", id=element_id, variables=self.message_data(step)))
        return self.message(step.event, self.message_data(step))

    def message(self, event: str, data: dict[str, Any]) -> bool:
        """Publish every message that delivers `event`; True when some receiver took one."""
        took = False
        for name in self.process.messages.get(event, (event,)):
            element = self.message_ids.get(name)
            if element is not None:
                took = self.take(self.driver.ask(op="message", id=element, variables=data)) or took
        return took

    def decide(self, step: Send, levels: list[str]) -> bool:
        """The task list: one approver's decision at the first level that offers it to them."""
        order = self.hierarchy.order
        nodes = sorted(
            (node for e in dict.fromkeys(levels) if (node := self.process.elements.get(e)) is not None),
            key=lambda node: order[node.state or ""],
        )
        for node in nodes:
            assert node.state is not None
            votes = self.votes.setdefault(node.state, [])
            counted = tally(votes, node.approvers, node.delegation, step)  # the runtime's count (§10)
            if counted is None:
                continue
            if counted is False:
                return False
            votes.append(counted)
            if step.event == "delegate":
                self.message("delegate", {})
                return True
            data = {
                DECISION_VAR: step.event,
                REJECTED_VAR: step.event == "reject",
                EVENT_VAR: self.message_data(step)[EVENT_VAR],
            }
            return self.take(self.driver.ask(op="task", id=node.id, variables=data)) or True
        return False

    def timeout(self, state: str) -> bool:
        """Fire the hard timeout (or heartbeat) of `state` that is due first; move the clock there."""
        pending: list[tuple[int, int, str]] = []
        armed = set(self.waiting)
        for element in self.process.elements.values():
            if (
                element.id not in armed
                or element.role not in ("timeout", "heartbeat")
                or self.process.state_of(element.owner, self.plumbing) != state
            ):
                continue
            duration = element.duration_ms or 0
            if element.role == "heartbeat":
                started = self.started.get(element.attached_to or "", self.clock)
                pending.append((started + duration, 0, element.id))
            else:
                pending.append((self.entered_at.get(state, self.clock) + duration, 1, element.id))
        if not pending:
            return False
        due, _, element_id = min(pending)
        self.clock = max(self.clock, due)
        return self.take(self.driver.ask(op="timer", id=element_id))

    def work_done(self, step: WorkDone) -> bool:
        """Finish the state's service task, or fail it with `work_error` set."""
        for element_id in self.waiting:
            node = self.process.elements.get(element_id)
            if node is None or node.role != "work":
                continue
            if self.process.state_of(node.state, self.plumbing) != step.state:
                continue
            result, error, message = outcome_of(self.machine, step)
            variables: dict[str, Any] = (
                {RESULT_VAR: {name: _variable(value) for name, value in result.items()}}
                if error is None
                else {ERROR_VAR: error, FAILURE_VAR: failure_of(error, message)}
            )
            answer = self.driver.ask(op="work", id=element_id, error=error, variables=variables)
            self.started.pop(element_id, None)
            return self.take(answer)
        return False


def _subprocess_id(process: ProcessMap, parallel: str) -> str | None:
    for element in process.elements.values():
        if element.kind == "subProcess" and element.role == "parallel" and element.state == parallel:
            return element.id
    return None


class NodeBpmnEngine:
    """Runs scenarios on the `bpmn-javascript` target's process in bpmn-engine (`--targets bpmn-engine`).

    A context manager: one node process serves every scenario run inside it
    (outside one, `run` starts and ends a process per scenario).
    """

    name = "bpmn-engine"

    def __init__(self, target: Target) -> None:
        self._target = target
        self._driver: Driver | None = None
        self._generated: dict[int, tuple[ir.Machine, str, ProcessMap]] = {}

    def __enter__(self) -> NodeBpmnEngine:
        self._driver = Driver()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    def _process(self, machine: ir.Machine) -> tuple[str, ProcessMap]:
        known = self._generated.get(id(machine))
        if known is None or known[0] is not machine:
            output = self._target.generate(machine, TargetOptions())
            path = process_file(machine.name)
            text = next((a.content for a in output.artifacts if a.path == path), None)
            if text is None:
                raise RuntimeError(f"the target did not write `{path}`")
            known = (machine, text, process_map(machine, "javascript"))
            self._generated[id(machine)] = known
        return known[1], known[2]

    def run(self, machine: ir.Machine, scenario: Scenario) -> Sequence[Observation] | Unsupported:
        """One observation for the start, then one per step."""
        if self._driver is None:
            with self:
                return self.run(machine, scenario)
        driver = self._driver
        text, process = self._process(machine)
        try:
            run = NodeRun(driver, machine, dict(scenario.context), text, process)
        except RuntimeError as error:
            return Unsupported(0, f"bpmn-engine cannot start the process: {error}")
        observations = [run.observe(True)]
        for index, step in enumerate(scenario.steps, 1):
            try:
                observations.append(run.apply(step))
            except RuntimeError as error:
                return Unsupported(index, f"bpmn-engine failed on `{step}`: {error}")
        return observations
