"""Conditions on sequence flows and script bodies, in both expression languages.

A `Condition` is a small tree: an IR guard, a governance gate (permissions,
scope, evidence the message carried), an approval decision, a retry check, or
the conjunction of several. `to_python` renders it for the generic flavor
(SpiffWorkflow evaluates Python over task data; decimal arithmetic is exact, in
`Fraction`s, as the runtime's is) and
`to_feel` for Camunda 8 / Zeebe (FEEL, written `=expr` by the caller).

Arithmetic follows the language (LANGUAGE.md §12): `/` is exact decimal
division and a zero divisor gives 0; `%` is floor modulo and a zero divisor
gives the dividend.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias

from statewright import ir

DECISION_VAR = "approval_decision"
"""The variable a completed approval user task sets: `approve` or `reject`."""
ERROR_VAR = "work_error"
"""The variable the error boundary of a service task receives: the error's name."""
PERMISSIONS_VAR = "message_permissions"
"""The permissions the actor who sent a message holds (a list)."""
SCOPE_VAR = "message_scope"
"""The scope a message was sent in (None: any)."""
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


def py_value(value: ir.Value, type_name: ir.TypeName) -> str:
    """A context value as a Python literal of the generic flavor."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if type_name == "decimal" or isinstance(value, Decimal):
        return f'Fraction("{value}")'
    if isinstance(value, int):
        return str(value)
    return py_string(value)


def expr_python(expr: ir.Expr) -> str:
    """An IR expression in Python, fully parenthesised so precedence never differs."""
    match expr:
        case ir.Lit(value=value, type=type_name):
            return py_value(value, type_name)
        case ir.Var(name=name, type="decimal"):
            return f"Fraction({name})"
        case ir.Var(name=name):
            return name
        case ir.Unary(op="not", operand=operand):
            return f"(not {expr_python(operand)})"
        case ir.Unary(operand=operand):
            return f"(-{expr_python(operand)})"
        case ir.In(operand=operand, values=values, negated=negated):
            items = ", ".join(expr_python(v) for v in values) + ("," if len(values) == 1 else "")
            return f"({expr_python(operand)} {'not in' if negated else 'in'} ({items}))"
        case ir.BinOp(op="/", left=left, right=right):
            a, b = expr_python(left), expr_python(right)
            return f"(Fraction({a}) / Fraction({b}) if {b} != 0 else Fraction(0))"
        case ir.BinOp(op="%", left=left, right=right):
            a, b = expr_python(left), expr_python(right)
            return f"({a} % {b} if {b} != 0 else {a})"
        case ir.BinOp(op=op, left=left, right=right):
            return f"({expr_python(left)} {op} {expr_python(right)})"
    raise AssertionError(f"unknown expression {expr!r}")


def to_python(condition: Condition) -> str:
    """A condition as a Python expression over task data (the generic flavor)."""
    match condition:
        case Guard(expr=expr):
            return expr_python(expr)
        case Gate(permissions=permissions, scope=scope, evidence=evidence):
            parts = [f"{py_string(p)} in {PERMISSIONS_VAR}" for p in permissions]
            if scope is not None:
                parts.append(f"{SCOPE_VAR} in (None, {py_string(scope)})")
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


def feel_string(text: str) -> str:
    """A FEEL string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def feel_value(value: ir.Value, type_name: ir.TypeName) -> str:
    """A context value as a FEEL literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return feel_string(value)


_FEEL_OPS = {"==": "=", "and": "and", "or": "or"}


def expr_feel(expr: ir.Expr) -> str:
    """An IR expression in FEEL, fully parenthesised."""
    match expr:
        case ir.Lit(value=value, type=type_name):
            return feel_value(value, type_name)
        case ir.Var(name=name):
            return name
        case ir.Unary(op="not", operand=operand):
            return f"not({expr_feel(operand)})"
        case ir.Unary(operand=operand):
            return f"(-{expr_feel(operand)})"
        case ir.In(operand=operand, values=values, negated=negated):
            items = ", ".join(expr_feel(v) for v in values)
            test = f"list contains([{items}], {expr_feel(operand)})"
            return f"not({test})" if negated else test
        case ir.BinOp(op="/", left=left, right=right):
            a, b = expr_feel(left), expr_feel(right)
            return f"(if {b} = 0 then 0 else {a} / {b})"
        case ir.BinOp(op="%", left=left, right=right):
            a, b = expr_feel(left), expr_feel(right)
            return f"(if {b} = 0 then {a} else modulo({a}, {b}))"
        case ir.BinOp(op=op, left=left, right=right):
            return f"({expr_feel(left)} {_FEEL_OPS.get(op, op)} {expr_feel(right)})"
    raise AssertionError(f"unknown expression {expr!r}")


def to_feel(condition: Condition) -> str:
    """A condition as a FEEL expression (without the leading `=`)."""
    match condition:
        case Guard(expr=expr):
            return expr_feel(expr)
        case Gate(permissions=permissions, scope=scope, evidence=evidence):
            parts = [f"list contains({PERMISSIONS_VAR}, {feel_string(p)})" for p in permissions]
            if scope is not None:
                parts.append(f"({SCOPE_VAR} = null or {SCOPE_VAR} = {feel_string(scope)})")
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


def assignment_python(field: str, value: ir.Expr) -> str:
    """A `set` action as a Python script line; a decimal result is stored as a `Decimal` again."""
    if value.type == "decimal":
        exact = expr_python(value)
        return f"{field} = Decimal(Fraction({exact}).numerator) / Decimal(Fraction({exact}).denominator)"
    return f"{field} = {expr_python(value)}"
