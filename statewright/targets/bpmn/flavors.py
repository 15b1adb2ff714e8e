"""The flavors: generic BPMN (Python, SpiffWorkflow), Camunda 8 / Zeebe (FEEL), JavaScript (bpmn-engine).

A flavor decides only the *execution details* of elements the lowering already
chose: condition and timer expression text, script bodies, and extension
elements (`zeebe:taskDefinition`, headers, assignments, message subscriptions).
The graph and the diagram are the same in all, except that Zeebe retries
failed jobs natively (`retries` on the task definition) where generic BPMN gets
an explicit retry loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from statewright import ir
from statewright.ir.text import format_duration
from statewright.targets.bpmn.conditions import (
    DECISION_VAR,
    ERROR_VAR,
    EVENT_VAR,
    FAILURE_VAR,
    HEARTBEAT_ERROR,
    RESULT_VAR,
    Condition,
    assignment_feel,
    assignment_python,
    heartbeat_message,
    py_string,
    to_feel,
    to_js,
    to_python,
)
from statewright.targets.bpmn.feel import feel_string
from statewright.targets.bpmn.javascript import PRELUDE, assignment_js, js_string, variable
from statewright.targets.bpmn.model import Node

ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
MODELER_NS = "http://camunda.org/schema/modeler/1.0"
REJECTED_VAR = "approval_rejected"
"""For the javascript flavor: true once an approver rejected (the quorum task's completion reads it)."""
CORRELATION_VAR = "instance_id"
"""The process variable Zeebe message subscriptions correlate on."""


def iso_duration(millis: int) -> str:
    """An ISO 8601 duration (`P30D`, `PT1H30M`, `PT0.5S`)."""
    days, rest = divmod(millis, 86_400_000)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds = Decimal(rest) / 1000
    text = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds:
        clock += f"{seconds.normalize():f}S"
    if clock:
        text += "T" + clock
    return text if text != "P" else "PT0S"


@dataclass(frozen=True, slots=True)
class Extension:
    """One extension element: a tag in the Zeebe namespace, its attributes, and child elements."""

    tag: str
    attributes: tuple[tuple[str, str], ...] = ()
    children: tuple[Extension, ...] = ()


def _split_candidates(approvers: tuple[str, ...]) -> tuple[str, str]:
    groups = [a.split(":", 1)[1] for a in approvers if a.startswith("role:")]
    users = [a.split(":", 1)[1] if ":" in a else a for a in approvers if not a.startswith("role:")]
    return ",".join(groups), ",".join(users)


class Generic:
    """Generic BPMN 2.0: Python expressions over task data, as SpiffWorkflow evaluates them."""

    name = "generic"
    native_retries = False
    language = "python"
    """The `language` of every expression the flavor writes (BPMN's default, XPath, otherwise applies)."""
    timer_language = "python"
    """The `language` of timer durations (empty: a literal ISO 8601 duration, no expression)."""

    def condition(self, condition: Condition) -> str:
        """A sequence-flow condition."""
        return to_python(condition)

    def timer(self, millis: int) -> str:
        """A timer duration expression (a quoted ISO duration: Python evaluates it)."""
        return py_string(iso_duration(millis))

    def script(self, node: Node) -> str | None:
        """A script task's body."""
        if isinstance(node.action, ir.Assign):
            return assignment_python(node.action.field, node.action.value)
        if node.owner == "+1":
            return f"{node.counter} = {node.counter} + 1"
        if node.owner == "heartbeat":
            failure = f"{{{py_string('name')}: {py_string(HEARTBEAT_ERROR)}, "
            failure += f"{py_string('message')}: {py_string(heartbeat_message(node.work))}}}"
            return f"{ERROR_VAR} = {py_string(HEARTBEAT_ERROR)}\n{FAILURE_VAR} = {failure}"
        return f"{node.counter} = 0"

    def completion(self) -> str:
        """The completion condition of a quorum's multi-instance user task."""
        return f"{DECISION_VAR} == {py_string('reject')}"

    def cardinality(self, quorum: int) -> str:
        """The loop cardinality of a quorum's multi-instance user task."""
        return str(quorum)

    def extensions(self, node: Node) -> tuple[Extension, ...]:
        """Extension elements of a node (none in the generic flavor)."""
        return ()

    def message_extensions(self) -> tuple[Extension, ...]:
        """Extension elements of a global message."""
        return ()

    def loop_extensions(self, quorum: int) -> tuple[Extension, ...]:
        """Extension elements of a quorum's multi-instance loop characteristics."""
        return ()

    def potential_owner(self, node: Node) -> str | None:
        """The potential-owner expression of a user task (the candidates, comma-separated)."""
        return ", ".join(node.approvers) if node.approvers else None


class Zeebe(Generic):
    """Camunda 8 / Zeebe: FEEL expressions and `zeebe:` extension elements."""

    name = "zeebe"
    native_retries = True
    language = "feel"
    timer_language = ""

    def condition(self, condition: Condition) -> str:
        """A sequence-flow condition in FEEL."""
        return "=" + to_feel(condition)

    def timer(self, millis: int) -> str:
        """A plain ISO duration (Zeebe reads it directly)."""
        return iso_duration(millis)

    def script(self, node: Node) -> str | None:
        """Zeebe scripts live in `zeebe:script`, not in `<script>`."""
        return None

    def completion(self) -> str:
        """The completion condition in FEEL."""
        return f"={DECISION_VAR} = {feel_string('reject')}"

    def extensions(self, node: Node) -> tuple[Extension, ...]:
        """`zeebe:taskDefinition` with retries and headers, `zeebe:script`, assignments, loop data."""
        if node.kind == "scriptTask":
            if isinstance(node.action, ir.Assign):
                expression, result = "=" + assignment_feel(node.action.value), node.action.field
            elif node.owner == "heartbeat":
                message = feel_string(heartbeat_message(node.work))
                failure = f"name: {feel_string(HEARTBEAT_ERROR)}, message: {message}"
                expression, result = f"={{{failure}}}", FAILURE_VAR
            else:
                expression, result = (
                    f"={node.counter} + 1" if node.owner == "+1" else "=0",
                    node.counter or "",
                )
            return (Extension("script", (("expression", expression), ("resultVariable", result))),)
        if node.kind == "serviceTask":
            return _task_definition(node)
        if node.role == "catch" and node.data:
            return (_outputs(((_context(node.data), EVENT_VAR),)),)
        if node.role == "error" and node.state is not None:
            return (_outputs(((f"={FAILURE_VAR}", FAILURE_VAR),)),)
        if node.kind == "intermediateThrowEvent" and node.role == "emit" and isinstance(node.action, ir.Emit):
            return (Extension("taskDefinition", (("type", f"emit:{node.owner or node.action.event}"),)),)
        if node.kind == "userTask":
            groups, users = _split_candidates(node.approvers)
            attributes = tuple(
                (k, v) for k, v in (("candidateGroups", groups), ("candidateUsers", users)) if v
            )
            found = [Extension("userTask")]
            if attributes:
                found.append(Extension("assignmentDefinition", attributes))
            return tuple(found)
        return ()

    def loop_extensions(self, quorum: int) -> tuple[Extension, ...]:
        """Zeebe has no loop cardinality: one instance per element of a generated collection."""
        return (
            Extension(
                "loopCharacteristics",
                (("inputCollection", f"=for i in 1..{quorum} return i"), ("inputElement", "vote")),
            ),
        )

    def message_extensions(self) -> tuple[Extension, ...]:
        """Every message correlates on the instance id."""
        return (Extension("subscription", (("correlationKey", f"={CORRELATION_VAR}"),)),)

    def potential_owner(self, node: Node) -> str | None:
        """Zeebe assigns through `zeebe:assignmentDefinition` instead."""
        return None


class JavaScript(Generic):
    """bpmn-engine (Node): conditions and scripts are JavaScript over `environment.variables`.

    Every script starts with `javascript.PRELUDE` (exact rational arithmetic);
    a condition calls `next(null, <expression>)` as bpmn-engine's script
    conditions do; timers are literal ISO 8601 durations (it rejects quoted
    ones); a quorum's completion reads `approval_rejected`, a boolean the task
    list sets with the decision, since bpmn-engine's completion conditions are
    property paths, not expressions.
    """

    name = "javascript"
    language = "javascript"
    timer_language = ""

    def condition(self, condition: Condition) -> str:
        """A script condition: `next(null, <expression>)` after the prelude."""
        return f"{PRELUDE}next(null, {to_js(condition)});"

    def timer(self, millis: int) -> str:
        """A plain ISO duration."""
        return iso_duration(millis)

    def script(self, node: Node) -> str | None:
        """A script task's body, ending in `next()`."""
        if isinstance(node.action, ir.Assign):
            body = assignment_js(node.action.field, node.action.value)
        elif node.owner == "+1":
            body = f"{variable(node.counter or '')} = Number({variable(node.counter or '')}) + 1;"
        elif node.owner == "heartbeat":
            failure = (
                f"{{name: {js_string(HEARTBEAT_ERROR)}, message: {js_string(heartbeat_message(node.work))}}}"
            )
            body = (
                f"{variable(ERROR_VAR)} = {js_string(HEARTBEAT_ERROR)}; {variable(FAILURE_VAR)} = {failure};"
            )
        else:
            body = f"{variable(node.counter or '')} = 0;"
        return f"{PRELUDE}{body} next();"

    def completion(self) -> str:
        """The completion condition of a quorum's multi-instance user task (a property path)."""
        return f"${{environment.variables.{REJECTED_VAR}}}"


def _task_definition(node: Node) -> tuple[Extension, ...]:
    headers: list[tuple[str, str]] = []
    attributes: list[tuple[str, str]] = []
    if node.work is not None:
        invoke = node.work
        attributes.append(("type", invoke.action))
        retry = invoke.retry
        if retry is not None:
            attempts = "2147483647" if retry.max_retries is None else str(retry.max_retries + 1)
            attributes.append(("retries", attempts))
            backoff = f"{retry.backoff} {format_duration(retry.base_ms)}"
            if retry.cap_ms is not None:
                backoff += f"..{format_duration(retry.cap_ms)}"
            headers.append(("backoff", backoff))
            if retry.backoff == "exponential":
                headers.append(("backoff_factor", str(retry.factor)))
            headers.append(("jitter", retry.jitter))
            if retry.retry_on:
                headers.append(("retry_on", ",".join(retry.retry_on)))
        if invoke.key:
            headers.append(("idempotency_key", invoke.key))
        if invoke.service:
            headers.append(("service", invoke.service))
        if invoke.heartbeat_ms:
            headers.append(("heartbeat", format_duration(invoke.heartbeat_ms)))
    elif isinstance(node.action, ir.Call):
        attributes.append(("type", node.action.name))
        if node.action.key:
            headers.append(("idempotency_key", node.action.key))
        if node.action.service:
            headers.append(("service", node.action.service))
    found = [Extension("taskDefinition", tuple(attributes))]
    if node.data:
        found.append(_outputs(((_context(node.data), RESULT_VAR),)))
    if headers:
        found.append(
            Extension(
                "taskHeaders", (), tuple(Extension("header", (("key", k), ("value", v))) for k, v in headers)
            )
        )
    return tuple(found)


def _context(fields: tuple[str, ...]) -> str:
    """A FEEL context of the named variables: `={amount: amount, note: note}` (what a mapping collects)."""
    return "={" + ", ".join(f"{name}: {name}" for name in fields) + "}"


def _outputs(mappings: tuple[tuple[str, str], ...]) -> Extension:
    """`zeebe:ioMapping` with one output per (source expression, target variable)."""
    return Extension(
        "ioMapping", (), tuple(Extension("output", (("source", s), ("target", t))) for s, t in mappings)
    )


Flavor = Generic
"""The flavor interface (`Zeebe` overrides it)."""

FLAVORS: dict[str, Generic] = {"generic": Generic(), "zeebe": Zeebe(), "javascript": JavaScript()}
