"""Conditions on sequence flows and script bodies, in both expression languages.

A `Condition` is a small tree: an IR guard, a governance gate (permissions,
scope, evidence the message carried), an approval decision, a retry check, or
the conjunction of several. `to_python` renders it for the generic flavor
(SpiffWorkflow evaluates Python over task data) and `to_feel` for Camunda 8 /
Zeebe (FEEL, written `=expr` by the caller).

Guards and `set` values are guard-language expressions, so their text is the
language's one definition (`semantics.interpret`) over an algebra of text:
`semantics.python_text` for Python, read over task data (a decimal field is
`Fraction(name)`, so arithmetic is exact as the runtime's is, and only
`Fraction` and `Decimal` need to be in scope), `feel.py` for FEEL and
`javascript.py` for bpmn-engine (`to_js`). Only the
gate, decision and retry parts, which are not guard-language expressions, are
written here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TypeAlias

from statewright import ir
from statewright.semantics.interpret import fits_scale, interpret, store
from statewright.semantics.python_text import Code, PythonText, atom
from statewright.semantics.spelling import decimal_spellings, field_types
from statewright.targets.bpmn.feel import feel, feel_string, translate
from statewright.targets.bpmn.javascript import expr_js, js_string, variable

DECISION_VAR = "approval_decision"
"""The variable a completed approval user task sets: `approve` or `reject`."""
ERROR_VAR = "work_error"
"""The variable the error boundary of a service task receives: the error's name."""
EVENT_VAR = "event"
"""The payload of the message that arrived (a dict/context of its fields: `event.F` reads it)."""
RESULT_VAR = "result"
"""What the finished work returned (a dict/context of its `returns` fields: `result.F`)."""
FAILURE_VAR = "error"
"""The failure being handled: `{"name": ..., "message": ...}` (`error.name`, `error.message`)."""
HEARTBEAT_ERROR = "HeartbeatTimeout"
"""The failure a missed heartbeat is, as in the runtime."""


def heartbeat_message(invoke: ir.Invoke | None) -> str:
    """The message of a missed heartbeat's failure, as the runtime words it."""
    beat = None if invoke is None else invoke.heartbeat_ms
    return f"no heartbeat within {beat} ms" if beat is not None else "no heartbeat"


PERMISSIONS_VAR = "message_permissions"
"""The permissions the actor who sent a message holds (a list)."""
SCOPE_VAR = "message_scope"
"""The scope a message was sent in; a gate's scope lock refuses any other, and none (LANGUAGE.md §13)."""
EVIDENCE_VAR = "message_evidence"
"""The evidence a message presents (a map from names to values)."""


@dataclass(frozen=True, slots=True)
class Guard:
    """An IR guard expression over the context."""

    expr: ir.Expr


@dataclass(frozen=True, slots=True)
class Gate:
    """The governance gate of a transition: what the message that triggers it must present."""

    permissions: tuple[str, ...]
    scope: str | None
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """An approval user task was completed with this decision."""

    value: str


@dataclass(frozen=True, slots=True)
class Retry:
    """A failed attempt may be retried: its error is retryable and attempts remain."""

    counter: str
    max_retries: int | None
    retry_on: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class All:
    """Every part holds."""

    parts: tuple[Condition, ...]


Condition: TypeAlias = Guard | Gate | Decision | Retry | All


def conjoin(*parts: Condition | None) -> Condition | None:
    """The conjunction of the given parts (None parts are dropped; one part is itself)."""
    kept = tuple(part for part in parts if part is not None)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else All(kept)


# --------------------------------------------------------------------------- Python


def py_string(text: str) -> str:
    """A Python string literal (double quotes, non-ASCII kept)."""
    return json.dumps(text, ensure_ascii=False)


def python_variable(name: str) -> str:
    """A field as Python over task data: a context field by its name, an input `event.F` as `event["F"]`.

    The inputs arrive as dicts in the task variables `event`, `result` and
    `error` (the message payload, the work result, the failure; see `protocol`).
    """
    found = ir.input_of(name)
    return name if found is None else f"{found[0]}[{py_string(found[1])}]"


def _python(expr: ir.Expr) -> tuple[PythonText, Code]:
    """`expr` as Python over task data, and the algebra that wrote it."""
    algebra = PythonText(string=py_string, helpers=False, spellings=decimal_spellings(expr))
    env = {
        name: atom(
            f"Fraction({python_variable(name)})" if type_name == "decimal" else python_variable(name), rank
        )
        for rank, (name, type_name) in enumerate(field_types(expr).items())
    }
    return algebra, interpret(expr, algebra, env)


def expr_python(expr: ir.Expr) -> str:
    """A guard-language expression as Python over task data (exact, as the runtime evaluates it)."""
    return _python(expr)[1].text


def to_python(condition: Condition) -> str:
    """A condition as a Python expression over task data (the generic flavor)."""
    match condition:
        case Guard(expr=expr):
            return expr_python(expr)
        case Gate(permissions=permissions, scope=scope, evidence=evidence):
            parts = [f"{py_string(p)} in {PERMISSIONS_VAR}" for p in permissions]
            if scope is not None:
                parts.append(f"{SCOPE_VAR} == {py_string(scope)}")
            parts.extend(f"{py_string(e)} in {EVIDENCE_VAR}" for e in evidence)
            return " and ".join(parts) if parts else "True"
        case Decision(value=value):
            return f"{DECISION_VAR} == {py_string(value)}"
        case Retry(counter=counter, max_retries=max_retries, retry_on=retry_on):
            parts = []
            if retry_on:
                codes = ", ".join(py_string(code) for code in retry_on) + ("," if len(retry_on) == 1 else "")
                parts.append(f"{ERROR_VAR} in ({codes})")
            if max_retries is not None:
                parts.append(f"{counter} < {max_retries}")
            return " and ".join(parts) if parts else "True"
        case All(parts=parts):
            return " and ".join(f"({to_python(part)})" for part in parts)
    raise AssertionError(f"unknown condition {condition!r}")


# --------------------------------------------------------------------------- FEEL


def to_feel(condition: Condition) -> str:
    """A condition as a FEEL expression (without the leading `=`)."""
    match condition:
        case Guard(expr=expr):
            return feel(expr)
        case Gate(permissions=permissions, scope=scope, evidence=evidence):
            parts = [f"list contains({PERMISSIONS_VAR}, {feel_string(p)})" for p in permissions]
            if scope is not None:
                parts.append(f"{SCOPE_VAR} = {feel_string(scope)}")
            parts.extend(f"{EVIDENCE_VAR}.{e} != null" for e in evidence)
            return " and ".join(parts) if parts else "true"
        case Decision(value=value):
            return f"{DECISION_VAR} = {feel_string(value)}"
        case Retry(counter=counter, max_retries=max_retries, retry_on=retry_on):
            parts = []
            if retry_on:
                codes = ", ".join(feel_string(code) for code in retry_on)
                parts.append(f"list contains([{codes}], {ERROR_VAR})")
            if max_retries is not None:
                parts.append(f"{counter} < {max_retries}")
            return " and ".join(parts) if parts else "true"
        case All(parts=parts):
            return " and ".join(f"({to_feel(part)})" for part in parts)
    raise AssertionError(f"unknown condition {condition!r}")


def _stored(value: ir.Expr) -> ir.FieldType:
    """The field a `set` of `value` stores into, as far as storing depends on it: one of the value's type."""
    return ir.FieldType(value.type)


def assignment_python(field: str, value: ir.Expr) -> str:
    """A `set` action as a Python script line; a decimal result is stored as a `Decimal` again."""
    algebra, term = _python(value)
    stored = store(term, value.type, _stored(value), algebra, fits_scale(value)).text
    if value.type == "decimal":
        return f"{field} = Decimal(Fraction({stored}).numerator) / Decimal(Fraction({stored}).denominator)"
    return f"{field} = {stored}"


def assignment_feel(value: ir.Expr) -> str:
    """A `set` action's value as a FEEL expression (without the leading `=`)."""
    algebra, term = translate(value)
    return store(term, value.type, _stored(value), algebra, fits_scale(value)).text


# --------------------------------------------------------------------------- JavaScript (bpmn-engine)


def to_js(condition: Condition) -> str:
    """A condition as a JavaScript expression over `environment.variables` (needs `javascript.PRELUDE`)."""
    match condition:
        case Guard(expr=expr):
            return expr_js(expr)
        case Gate(permissions=permissions, scope=scope, evidence=evidence):
            held, given, shown = variable(PERMISSIONS_VAR), variable(SCOPE_VAR), variable(EVIDENCE_VAR)
            parts = [f"({held} || []).includes({js_string(p)})" for p in permissions]
            if scope is not None:
                parts.append(f"{given} === {js_string(scope)}")
            parts.extend(f"({shown} || {{}})[{js_string(e)}] !== undefined" for e in evidence)
            return " && ".join(parts) if parts else "true"
        case Decision(value=value):
            return f"{variable(DECISION_VAR)} === {js_string(value)}"
        case Retry(counter=counter, max_retries=max_retries, retry_on=retry_on):
            parts = []
            if retry_on:
                codes = ", ".join(js_string(code) for code in retry_on)
                parts.append(f"[{codes}].includes({variable(ERROR_VAR)})")
            if max_retries is not None:
                parts.append(f"Number({variable(counter)}) < {max_retries}")
            return " && ".join(parts) if parts else "true"
        case All(parts=parts):
            return " && ".join(f"({to_js(part)})" for part in parts)
    raise AssertionError(f"unknown condition {condition!r}")
