"""The Step Functions target as a scenario engine: the generated definition executed by moto.

`AslEngine.run` has the `asl` target generate the machine's definition (its
public `generate`) with target options that serve every action from an SQS
queue, creates the state machine in moto's in-memory AWS, starts one execution
and drives it one scenario step at a time by answering the pending task token.
Everything it relies on besides the generated files is the target's public
contract, `statewright.targets.asl.protocol`: resource names, callback messages
and answers, timer errors and the map that reads a history back in IR terms.

- `Send(event)` answers the waiting state's token with the event, its actor,
  permissions, evidence names, delegate and typed payload (`data`);
- `WorkDone(state, error)` answers the work Task's token with `{"kind": "done"}`
  and the work's `result`, or fails it with the error and its message as the
  cause (Retry then sends the next attempt's message);
- `Timeout(state)` fails the pending token with `Timer.<state>` (or
  `States.HeartbeatTimeout` when the state's heartbeat is due first), which is
  what Step Functions raises when TimeoutSeconds/HeartbeatSeconds pass; a
  driver-side clock decides which of a state's timers is due first.

Evaluator requests are answered with the evaluator's handler (`evaluator_handler`),
`do` messages are dropped, `emit` messages are delivered back as events. In a
parallel state every region's branch waits on its own token, and an event goes
to all of them. Each observation is read from the execution history: the
markers entered (IR leaf names), which refusal states were passed, where the
execution waits, and the context (`$.context` in the input of the last state
entered). The only `Unsupported` steps are work errors Step Functions will not
take by name (`States.*`, or `HeartbeatTimeout` without a heartbeat), the two
retry budgets Step Functions counts differently and a result that does not fit
where the policy would retry it (`DOCUMENTED_LIMITS`; which work splits its
budget is the protocol's `heartbeat_budget_split`, so the engine never guesses).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from statewright import ir
from statewright.plugins.api import Target, TargetOptions, TargetOutput
from statewright.runtime.definition import Definition
from statewright.runtime.engine import initial_context
from statewright.runtime.errors import WorkflowError
from statewright.semantics.hierarchy import Hierarchy
from statewright.semantics.inputs import RESULT_INVALID, check_fields
from statewright.targets.asl import AslTarget
from statewright.targets.asl.protocol import (
    EMIT_QUEUE,
    EVALUATOR,
    EVENT_QUEUE,
    HEARTBEAT_ERROR,
    WORK,
    HistoryMap,
    definition_file,
    deployed,
    done_answer,
    emitted_event,
    evaluator_handler,
    event_answer,
    execution_context,
    execution_input,
    heartbeat_budget_split,
    history_map,
    is_evaluator_request,
    queue_options,
    resource_map_file,
    timer_error,
)
from statewright.testing.asl_moto import ROLE_ARN, expire_heartbeat, moto_session
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

RETRY_RESTARTED = (
    "an event answered the work Task after failed attempts, so the Task restarted with a fresh Retry "
    "budget; the runtime keeps counting (docs/targets/asl.md)"
)
HEARTBEAT_BUDGET_SPLIT = (
    "a missed heartbeat and another error failed the same work, whose policy retries every error: "
    "Step Functions counts heartbeat retries apart (an entry of their own), the runtime counts them together"
)
RESULT_NOT_RETRIED = (
    "a result that does not fit is a ResultInvalid failure the policy retries: a Step Functions Task "
    "that succeeded cannot be retried, so the definition routes it to the catches at once (SW922)"
)
DOCUMENTED_LIMITS = (RETRY_RESTARTED, HEARTBEAT_BUDGET_SPLIT, RESULT_NOT_RETRIED)
"""The reasons an asl run may stop early without being a divergence (docs/targets/asl.md)."""
SETTLE_LIMIT_S = 120.0
EVALUATOR_PATIENCE_S = 10.0
"""How long an evaluator call's token may stay invalid before it is taken for an aborted branch's."""
"""How long one step may take in moto before the run is declared stuck. A step normally settles in
milliseconds; the limit is generous because moto runs executions in a thread that a loaded machine
(CI running tests in parallel beside other work) can starve for many seconds."""
_STATUS: dict[str, Status] = {"RUNNING": "running", "SUCCEEDED": "succeeded"}


def _artifact(output: TargetOutput, path: str) -> str:
    """The content of the artifact `path` the target wrote (RuntimeError with its findings if it did not)."""
    for artifact in output.artifacts:
        if artifact.path == path:
            return artifact.content
    findings = "; ".join(d.message for d in output.diagnostics) or "no findings"
    raise RuntimeError(f"the target did not write `{path}` ({findings})")


def scenario_options(target: Target, machine: ir.Machine, callbacks: str, outbox: str) -> TargetOptions:
    """Target options sending every wait, work and evaluator call to `callbacks`, `do` and `emit` to `outbox`.

    The resources to serve are the keys of the resource map skeleton the target
    writes (every action the definition calls, and the target's own three).
    """
    plain = target.generate(machine, TargetOptions(source_name=machine.source))
    names = json.loads(_artifact(plain, resource_map_file(machine.name)))
    answered = {state.invoke.action for state in machine.states if state.invoke is not None}
    answered |= {EVENT_QUEUE, EVALUATOR}
    queues = {name: callbacks if name in answered else outbox for name in names}
    queues[EMIT_QUEUE] = outbox
    return TargetOptions(source_name=machine.source, extra=queue_options(queues))


def definition_text(target: Target, machine: ir.Machine, options: TargetOptions) -> str:
    """The state machine definition the target's `generate` writes for `machine` with `options`."""
    return deployed(_artifact(target.generate(machine, options), definition_file(machine.name)))


SLOW_CLOCK = 1000
"""How much longer a Task's TimeoutSeconds and HeartbeatSeconds run in moto than written."""
MAX_SECONDS = 99_999_999
"""The longest TimeoutSeconds/HeartbeatSeconds Step Functions accepts."""


def without_wall_clock(definition: str) -> str:
    """`definition` with every Task's TimeoutSeconds and HeartbeatSeconds stretched `SLOW_CLOCK` times.

    The driver fires timers and heartbeats itself (a failed token, `expire_heartbeat`),
    on a clock of its own; moto would also fire them for real once the written
    seconds pass, and a scenario on a loaded machine can take longer than a
    30-second heartbeat. Stretching keeps HeartbeatSeconds below TimeoutSeconds.
    """

    def stretch(node: object) -> object:
        if isinstance(node, dict):
            for key in ("TimeoutSeconds", "HeartbeatSeconds"):
                if isinstance(node.get(key), int):
                    node[key] = min(
                        node[key] * SLOW_CLOCK, MAX_SECONDS - (1 if key == "HeartbeatSeconds" else 0)
                    )
            for value in node.values():
                stretch(value)
        elif isinstance(node, list):
            for value in node:
                stretch(value)
        return node

    return json.dumps(stretch(json.loads(definition)))


class _Execution:
    """One execution being driven: the pending tokens (one per waiting leaf), the history, a clock."""

    def __init__(
        self, sfn: Any, sqs: Any, machine: ir.Machine, history: HistoryMap, queues: tuple[str, str]
    ) -> None:
        self.sfn, self.sqs, self.machine = sfn, sqs, machine
        self.history = history
        self.callbacks, self.outbox = queues
        self.h = Hierarchy(machine)
        self.leaf_of = history.markers
        self.pending: dict[str, dict[str, Any]] = {}
        """Leaf -> the message of the Task waiting there (its token)."""
        self.current: dict[str | None, str] = {}
        """Region (None: the top level) -> the leaf active there."""
        self.parallel: str | None = None
        self.seen = 0
        self.now = 0
        self.entered_at: dict[str, int] = {}
        self.heartbeat_due: dict[str, int] = {}
        self.arn = ""
        self.visited: list[str] = []
        self.entered: list[str] = []
        self.failures: dict[str, int] = {}
        """Leaf -> failed attempts of its current work (the runtime's retry count)."""
        self.restarted: set[str] = set()
        """Leaves whose work Task was re-entered after failures: Step Functions' Retry count restarted."""
        self.failed_how: dict[str, set[bool]] = {}
        """Leaf -> whether its current work's failures were missed heartbeats (True), other errors (False)."""
        self.context: dict[str, Any] | None = None
        """The state data the last state entered received (None before any was read)."""

    def start(self, context: Mapping[str, ir.Value], machine_arn: str, name: str) -> Observation:
        """Start the execution and observe it until it first waits."""
        self.arn = self.sfn.start_execution(
            stateMachineArn=machine_arn, name=name, input=json.dumps(execution_input(context))
        )["executionArn"]
        return self.settle()

    def stop(self) -> None:
        """End the execution if it still waits (so a later run's queue reads never see it)."""
        if self.status() == "RUNNING":
            self.sfn.stop_execution(executionArn=self.arn)

    # ------------------------------------------------------------------ answering

    def status(self) -> str:
        """The execution's status as Step Functions reports it."""
        return str(self.sfn.describe_execution(executionArn=self.arn)["status"])

    def answer(
        self, leaf: str, output: dict[str, Any] | None = None, error: str | None = None, cause: str = ""
    ) -> None:
        """Answer the task waiting in `leaf` (moto may need a moment to register a fresh token)."""
        body = self.pending.pop(leaf)
        self._respond(body["token"], output, error, cause)

    def _respond(
        self,
        token: str,
        output: dict[str, Any] | None,
        error: str | None,
        cause: str = "",
        patience_s: float = SETTLE_LIMIT_S,
    ) -> bool:
        """Answer a task token; False when it stayed invalid for `patience_s` (its Task is gone).

        moto may need a moment to register a fresh token, so an invalid one is
        tried again until `patience_s` has passed; then a caller that allows it
        (an evaluator call) drops it, and any other re-raises.
        """
        deadline = time.monotonic() + patience_s
        while True:
            try:
                if error is None:
                    self.sfn.send_task_success(taskToken=token, output=json.dumps(output or {}))
                else:
                    self.sfn.send_task_failure(taskToken=token, error=error, cause=cause)
                return True
            except self.sfn.exceptions.InvalidToken:
                if time.monotonic() > deadline:
                    if patience_s < SETTLE_LIMIT_S:
                        return False
                    raise
                time.sleep(0.002)

    def settle(self) -> Observation:
        """Serve evaluator calls and emits until every active leaf waits again or the run ends; observe."""
        deadline = time.monotonic() + SETTLE_LIMIT_S
        polls = 0
        while True:
            status = self.status()
            waiting = False
            for body in self._messages(self.callbacks):
                if is_evaluator_request(body):
                    # An evaluator call of a Parallel branch that another branch's move has since left
                    # is aborted with its branch: its token never becomes valid, and nothing waits on it.
                    self._respond(
                        body["token"], evaluator_handler(body), None, patience_s=EVALUATOR_PATIENCE_S
                    )
                else:
                    self._arrived(body)
                    waiting = True
            polls += 1
            looked = waiting or status != "RUNNING" or polls % 8 == 0  # the history costs more than a poll
            if looked:
                self._history()
            if status != "RUNNING" or (looked and self._quiet()):
                emits = [e for b in self._messages(self.outbox) if (e := emitted_event(b)) is not None]
                if status == "RUNNING" and emits:
                    for event in emits:
                        self._broadcast(self._signal(Send(event, actor="workflow")))
                    continue
                if status == "RUNNING" and not self._quiet():
                    continue
                break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the execution did not settle within {SETTLE_LIMIT_S} s: active {self.current}, "
                    f"waiting {sorted(self.pending)}, last states {self.visited[-5:]}"
                )
            time.sleep(0.002)
        return self._observation(self.status())

    def _quiet(self) -> bool:
        """Every active leaf that is not final waits on a token, and every region has begun."""
        if not self.current or not self.pending:  # a running execution that waits, waits on a token
            return False
        if self.parallel is not None and any(
            r not in self.current for r in self.h.states[self.parallel].children
        ):
            return False
        return all(
            self.h.states[leaf].kind == "final" or leaf in self.pending for leaf in self.current.values()
        )

    def _observation(self, status: str) -> Observation:
        visited, self.visited = self.visited, []
        entered, self.entered = self.entered, []
        layout = self.history
        quiet = layout.neutral | layout.refusals | layout.unhandled | layout.ignored | set(layout.waits)
        progress = any(name not in quiet for name in visited)
        refused = any(name in layout.refusals for name in visited)
        unhandled = any(name in layout.unhandled for name in visited)
        ignored = any(name in layout.ignored for name in visited)
        accepted = progress or (not refused and (not unhandled or ignored))
        active = tuple(sorted(self.current.values()))
        return Observation(
            accepted, tuple(self._ordered(entered)), active, _STATUS.get(status, "failed"), self._context()
        )

    def _context(self) -> tuple[tuple[str, ir.Value], ...] | None:
        """The context last read from the history, typed by the declared fields (JSON numbers read back)."""
        if self.context is None:
            return None
        return observed_context(self.machine, execution_context(self.machine, self.context))

    def _ordered(self, entered: list[str]) -> list[str]:
        """Entries of one Parallel state's regions in document order (their branches run concurrently)."""
        out: list[str] = []
        group: list[str] = []
        owner: str | None = None
        for leaf in entered:
            region = self.h.region_of(leaf)
            here = self.h.states[region].parent if region is not None else None
            if here is None or here != owner:
                out.extend(sorted(group, key=self.h.order.__getitem__))
                group = []
            owner = here
            (group if here is not None else out).append(leaf)
        out.extend(sorted(group, key=self.h.order.__getitem__))
        return out

    def _messages(self, queue: str) -> list[dict[str, Any]]:
        got = self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        bodies = []
        for message in got:
            self.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            body = json.loads(message["Body"])
            if body.get("execution") == self.arn:  # messages of earlier, stopped runs are dropped
                bodies.append(body)
        return bodies

    def _arrived(self, body: dict[str, Any]) -> None:
        """A wait or work Task is waiting: remember its token (and arm the heartbeat clock)."""
        state = self.machine.state(body["state"])
        self.pending[state.name] = body
        if body.get("kind") == WORK and state.invoke is not None and state.invoke.heartbeat_ms is not None:
            self.heartbeat_due[state.name] = self.now + state.invoke.heartbeat_ms
        elif body.get("kind") != WORK:
            self.heartbeat_due.pop(state.name, None)

    def _history(self) -> None:
        """Read the history since the last look: states visited, leaves entered, the configuration."""
        events: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self.sfn.get_execution_history(
                executionArn=self.arn, **({"nextToken": token} if token else {})
            )
            events.extend(page["events"])
            token = page.get("nextToken")
            if not token:
                break
        for event in events:
            if event["id"] <= self.seen:
                continue
            self.seen = event["id"]
            entered = event.get("stateEnteredEventDetails", {})
            name = entered.get("name")
            if "input" in entered:
                self._read_context(entered["input"])
            if event["type"] == "ParallelStateExited":
                self.parallel = None
            if name is None:
                continue
            self.visited.append(name)
            if name in self.history.parallels:
                self.parallel = self.history.parallels[name]
            leaf = self.leaf_of.get(name)
            if leaf is not None:
                self._enter(leaf)

    def _read_context(self, text: str) -> None:
        """Keep a state's input, which holds the state data and so the context."""
        with contextlib.suppress(ValueError):
            data = json.loads(text)
            if isinstance(data, dict) and isinstance(data.get("context"), dict):
                self.context = data

    def _enter(self, leaf: str) -> None:
        region = self.h.region_of(leaf)
        before = self.current.get(region)
        kept = set(self.h.chain(before)) if before is not None else set()
        for name in self.h.chain(leaf):
            if name not in kept or name == leaf:
                self.entered_at[name] = self.now
        if region is None:
            # every branch was left: their tokens are gone (a token that came before its marker stays)
            left = [w for w in self.pending if w != leaf and w in self.current.values()]
            self.current = {None: leaf}
        else:
            left = [before] if before is not None and before != leaf and before in self.pending else []
            self.current.pop(None, None)
            self.current[region] = leaf
        for waiting in left:
            del self.pending[waiting]
        self.entered.append(leaf)
        self.failures.pop(leaf, None)
        self.failed_how.pop(leaf, None)
        self.restarted.discard(leaf)

    def _has_heartbeat(self, leaf: str) -> bool:
        """Whether the work of `leaf` runs under a heartbeat (only then can it miss one)."""
        invoke = self.machine.state(leaf).invoke
        return invoke is not None and invoke.heartbeat_ms is not None

    def _budget_split(self, leaf: str, heartbeat: bool) -> bool:
        """Whether this failure mixes heartbeat misses with other errors where Step Functions counts apart."""
        invoke = self.machine.state(leaf).invoke
        if invoke is None or not heartbeat_budget_split(invoke.retry, invoke.heartbeat_ms is not None):
            return False
        how = self.failed_how.setdefault(leaf, set())
        how.add(heartbeat)
        return len(how) > 1

    # ------------------------------------------------------------------ steps

    def _signal(self, step: Send) -> dict[str, Any]:
        states = {s for leaf in self.current.values() for s in self.h.chain(leaf)}
        scope = scope_lock(self.machine, states, step.event) or ""  # the lock the sender works under
        return event_answer(
            step.event,
            step.actor or "",
            step.permissions,
            dict(step.payload),
            step.delegate_to or "",
            scope,
            dict(step.data),
        )

    def _broadcast(self, signal: dict[str, Any]) -> None:
        """Deliver an event to every waiting leaf (each region decides it for itself)."""
        for leaf in sorted(self.pending, key=self.h.order.__getitem__):
            self.answer(leaf, signal)

    def step(self, step: Step) -> Observation | Unsupported:
        """Perform one scenario step and observe it."""
        if self.status() != "RUNNING" or not self.pending:
            return self._nothing()
        if isinstance(step, Send):
            busy = [
                leaf
                for leaf, body in self.pending.items()
                if body.get("kind") == WORK and self.failures.get(leaf)
            ]
            self._broadcast(self._signal(step))
            observed = self.settle()
            for leaf in busy:  # still there and working again: its Retry started over
                if leaf in self.current.values() and self.pending.get(leaf, {}).get("kind") == WORK:
                    self.restarted.add(leaf)
            return observed
        if isinstance(step, WorkDone):
            body = self.pending.get(step.state)
            if body is None or body.get("kind") != WORK:
                return self._nothing()
            if step.error is not None and step.state in self.restarted:
                return Unsupported(0, RETRY_RESTARTED)
            if step.error is not None and self._budget_split(step.state, step.error == "HeartbeatTimeout"):
                return Unsupported(0, HEARTBEAT_BUDGET_SPLIT)
            if step.error is None and self._retried_result(step):
                return Unsupported(0, RESULT_NOT_RETRIED)
            self.failures[step.state] = 0 if step.error is None else self.failures.get(step.state, 0) + 1
            if step.error is None:
                self.failed_how.pop(step.state, None)
                self.answer(step.state, done_answer(dict(step.result)))
            elif (
                step.error == "HeartbeatTimeout"
                and self._has_heartbeat(step.state)
                and expire_heartbeat(body["token"])
            ):
                del self.pending[step.state]
            elif step.error.startswith("States.") or step.error == "HeartbeatTimeout":
                return Unsupported(0, f"Step Functions refuses a task failure named `{step.error}`")
            else:
                self.answer(step.state, error=step.error, cause=step.message)
            return self.settle()
        return self._timeout(step)

    def _retried_result(self, step: WorkDone) -> bool:
        """Whether a success's result does not fit and the runtime would retry it (Step Functions cannot)."""
        invoke = self.machine.state(step.state).invoke
        if invoke is None or (not invoke.result and not step.result):
            return False
        _, problems = check_fields(invoke.result, dict(step.result))
        policy = invoke.retry
        if not problems or policy is None or policy.max_retries == 0:
            return False
        if policy.retry_on and RESULT_INVALID not in policy.retry_on:
            return False
        return policy.max_retries is None or self.failures.get(step.state, 0) < policy.max_retries

    def _timeout(self, step: Timeout) -> Observation | Unsupported:
        holders = [
            leaf
            for leaf in sorted(self.pending, key=self.h.order.__getitem__)
            if step.state in self.h.chain(leaf)
        ]
        if not holders:
            return self._nothing()
        leaf = holders[0]
        due: list[tuple[int, str, str]] = []
        if self.pending[leaf].get("kind") == WORK and step.state == leaf and leaf in self.heartbeat_due:
            due.append((self.heartbeat_due[leaf], "heartbeat", HEARTBEAT_ERROR))
        for transition in self.machine.transitions:
            if transition.source == step.state and transition.kind == "timeout":
                start = self.entered_at.get(step.state, 0)
                due.append((start + (transition.after_ms or 0), "timeout", timer_error(step.state)))
                break
        if not due:
            return self._nothing()
        when, kind, error = min(due)
        self.now = max(self.now, when)
        if kind == "heartbeat":
            if leaf in self.restarted:
                return Unsupported(0, RETRY_RESTARTED)
            if self._budget_split(leaf, True):
                return Unsupported(0, HEARTBEAT_BUDGET_SPLIT)
            self.failures[leaf] = self.failures.get(leaf, 0) + 1
            body = self.pending.pop(leaf)
            if not expire_heartbeat(body["token"]):
                raise RuntimeError(f"no heartbeat is pending for {leaf}")
        else:
            self.answer(leaf, error=error)
        return self.settle()

    def _nothing(self) -> Observation:
        return Observation(
            False,
            (),
            tuple(sorted(self.current.values())),
            _STATUS.get(self.status(), "failed"),
            self._context(),
        )


class AslEngine:
    """Runs scenarios on the `asl` target's definition in moto's Step Functions engine.

    Used as a context manager, one in-memory AWS serves every run and each
    machine's definition is generated and its state machine created once (moto
    parses a definition slowly); otherwise each `run` sets one up and tears it
    down. `target` is the registered `asl` target (default: the built-in one).
    """

    name = "asl"

    def __init__(self, target: Target | None = None) -> None:
        self._target: Target = target if target is not None else AslTarget()
        self._stack: contextlib.ExitStack | None = None
        self._clients: tuple[Any, Any] = (None, None)
        self._queues = ("", "")
        self._machines: dict[str, str] = {}
        """Digest of a definition -> its state machine's ARN."""
        self._prepared: dict[int, tuple[ir.Machine, str, HistoryMap]] = {}
        """id of a machine -> (the machine, its state machine's ARN, its history map), in this session."""
        self._runs = 0

    def __enter__(self) -> AslEngine:
        self._stack = contextlib.ExitStack()
        sfn, sqs = self._stack.enter_context(moto_session())
        self._clients = (sfn, sqs)
        self._queues = (
            sqs.create_queue(QueueName="callbacks")["QueueUrl"],
            sqs.create_queue(QueueName="outbox")["QueueUrl"],
        )
        self._machines = {}
        self._prepared = {}
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._stack is not None:
            self._stack.close()
        self._stack = None

    def run(self, machine: ir.Machine, scenario: Scenario) -> Sequence[Observation] | Unsupported:
        """One observation for the start, then one per step (Unsupported from a parallel state on)."""
        try:
            context = initial_context(Definition(machine), dict(scenario.context))
        except WorkflowError as error:
            return Unsupported(0, f"the instance does not start: {error}")
        if self._stack is None:
            with self:
                return self._run(machine, context, scenario)
        return self._run(machine, context, scenario)

    def _state_machine(self, machine: ir.Machine) -> tuple[str, HistoryMap]:
        known = self._prepared.get(id(machine))
        if known is not None and known[0] is machine:
            return known[1], known[2]
        sfn, _ = self._clients
        options = scenario_options(self._target, machine, *self._queues)
        text = without_wall_clock(definition_text(self._target, machine, options))
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest not in self._machines:
            name = f"scenario-{len(self._machines) + 1}"
            made = sfn.create_state_machine(name=name, definition=text, roleArn=ROLE_ARN)
            self._machines[digest] = made["stateMachineArn"]
        prepared = (machine, self._machines[digest], history_map(machine))
        self._prepared[id(machine)] = prepared
        return prepared[1], prepared[2]

    def _run(
        self, machine: ir.Machine, context: Mapping[str, ir.Value], scenario: Scenario
    ) -> Sequence[Observation] | Unsupported:
        observations, unsupported = self._observe(machine, context, scenario)
        return observations if unsupported is None else unsupported

    def run_prefix(
        self, machine: ir.Machine, scenario: Scenario
    ) -> tuple[list[Observation], Unsupported | None]:
        """The observations before the first step this engine cannot express, and that step (or None)."""
        try:
            context = initial_context(Definition(machine), dict(scenario.context))
        except WorkflowError as error:
            return [], Unsupported(0, f"the instance does not start: {error}")
        if self._stack is None:
            with self:
                return self._observe(machine, context, scenario)
        return self._observe(machine, context, scenario)

    def _observe(
        self, machine: ir.Machine, context: Mapping[str, ir.Value], scenario: Scenario
    ) -> tuple[list[Observation], Unsupported | None]:
        sfn, sqs = self._clients
        arn, history = self._state_machine(machine)
        self._runs += 1
        execution = _Execution(sfn, sqs, machine, history, self._queues)
        observations: list[Observation] = []
        try:
            observations.append(execution.start(context, arn, f"run-{self._runs}"))
            for number, step in enumerate(scenario.steps, 1):
                observed = execution.step(step)
                if isinstance(observed, Unsupported):
                    return observations, Unsupported(number, observed.reason)
                observations.append(observed)
            return observations, None
        finally:
            execution.stop()
