"""The data a transition receives (its inputs) and the one check every entry point applies to it.

A transition may read, besides the context, what arrived with its trigger
(LANGUAGE.md, "Data"): the triggering event's payload (`event.F`), the finished
work's result (`result.F`), or the failure it handles (`error.name`,
`error.message`). `transition_inputs` says which inputs a transition has, typed,
so the type checker, the verifier (free variables), the runtime and every
target agree on it; `check_fields` is the validation that the runtime, the
command line, the generated code and the engines' adapters all apply to a
payload or a result before anything else happens, so a bad one is refused the
same way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from statewright import ir
from statewright.semantics.values import value_in_domain

ERROR_TYPE = ir.FieldType("string")
"""The type of `error.name` and `error.message`."""


def input_name(scope: ir.InputScope, field_name: str) -> str:
    """The variable name of an input: `event.amount`."""
    return f"{scope}.{field_name}"


def transition_inputs(machine: ir.Machine, transition: ir.Transition) -> tuple[ir.ContextField, ...]:
    """The inputs `transition` may read, as typed fields named `event.F`, `result.F` or `error.F`.

    An `event` transition reads its event's payload; a `done` transition the
    result of its source state's invoked work; an `error` transition the
    failure. Every other transition reads the context only.
    """
    match transition.kind:
        case "event":
            payload = next((e.payload for e in machine.events if e.name == transition.event), ())
            return _named("event", payload)
        case "done":
            invoke = next((s.invoke for s in machine.states if s.name == transition.source), None)
            return _named("result", invoke.result if invoke is not None else ())
        case "error":
            return tuple(ir.ContextField(input_name("error", name), ERROR_TYPE) for name in ir.ERROR_FIELDS)
    return ()


def all_inputs(machine: ir.Machine) -> tuple[tuple[ir.ContextField, ...], ...]:
    """`transition_inputs` for every transition, in order, in one pass (linear in the machine)."""
    payloads = {e.name: _named("event", e.payload) for e in machine.events}
    results = {s.name: _named("result", s.invoke.result) for s in machine.states if s.invoke is not None}
    failure = tuple(ir.ContextField(input_name("error", name), ERROR_TYPE) for name in ir.ERROR_FIELDS)
    found: list[tuple[ir.ContextField, ...]] = []
    for t in machine.transitions:
        if t.kind == "event":
            found.append(payloads.get(t.event or "", ()))
        elif t.kind == "done":
            found.append(results.get(t.source, ()))
        else:
            found.append(failure if t.kind == "error" else ())
    return tuple(found)


def _named(scope: ir.InputScope, fields: Sequence[ir.ContextField]) -> tuple[ir.ContextField, ...]:
    return tuple(ir.ContextField(input_name(scope, f.name), f.type, f.default, span=f.span) for f in fields)


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with a payload or result: the field it concerns and what to do."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"`{self.field}`: {self.message}"


def check_fields(
    fields: Sequence[ir.ContextField], data: Mapping[str, object]
) -> tuple[dict[str, ir.Value], tuple[FieldProblem, ...]]:
    """Validate `data` against declared fields: the values to use (defaults filled in) and the problems.

    Every missing field without a default, every field not declared, and every
    value of the wrong kind or outside its bounds is a problem; a decimal given
    as an int becomes a `Decimal`. The values are meaningful only when there are
    no problems, and then nothing may be applied at all.
    """
    declared = {f.name: f for f in fields}
    problems: list[FieldProblem] = []
    for name in sorted(set(data) - set(declared), key=str):
        known = ", ".join(declared) or "none"
        problems.append(
            FieldProblem(_name(name), f"not a declared field (the fields are: {known}); remove it")
        )
    values: dict[str, ir.Value] = {}
    for name, field in declared.items():
        value = data.get(name, field.default)
        if value is None:
            problems.append(FieldProblem(name, f"missing: give a value ({field.type.describe()})"))
            continue
        if (
            not isinstance(value, (bool, int, str, Decimal))
            or _unwieldy(value)
            or not value_in_domain(value, field.type)
        ):
            problems.append(
                FieldProblem(
                    name, f"{_shown(value)} does not fit {field.type.describe()}; send a value that does"
                )
            )
            continue
        if field.type.name == "decimal" and not isinstance(value, Decimal):
            value = Decimal(int(value))
        values[name] = value
    return values, tuple(problems)


RESULT_INVALID = "ResultInvalid"
"""The error name of work whose result does not fit the fields its `invoke ... returns` declares."""


def result_invalid_message(action: str, problems: Sequence[FieldProblem]) -> str:
    """The message of a `ResultInvalid` failure (`error.message`): what of `action`'s result does not fit.

    One wording for every engine that checks a result (the runtime, the Step
    Functions evaluator), so a spec recording `error.message` records the same text.
    """
    return f"the result of `{action}` does not fit: " + "; ".join(map(str, problems))


MAX_DIGITS = 1000
"""Digits a decimal may have before or after its point to be looked at: `Decimal("1E+999999999")`
is a valid `Decimal` whose exact value takes minutes to build; no declared type holds it."""


def _unwieldy(value: object) -> bool:
    """A decimal too large or too fine to check exactly in reasonable time (it fits no field)."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    exponent = value.as_tuple().exponent
    return value.adjusted() > MAX_DIGITS or (isinstance(exponent, int) and exponent < -MAX_DIGITS)


def _name(name: object, limit: int = 60) -> str:
    """An undeclared field's name as a problem shows it.

    Itself when it is short UTF-8 text, else its `repr` cut short: a caller's mapping
    may hold any key, and the audit log must be able to store the message.
    """
    if isinstance(name, str) and len(name) <= limit:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            pass
        else:
            return name
    return _shown(name, limit)


def _shown(value: object, limit: int = 60) -> str:
    """A value as a diagnostic shows it, cut short (a hostile payload may be huge)."""
    try:
        text = repr(value)
    except ValueError:  # an int past Python's digit limit for text
        return "an integer too large to show"
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "ERROR_TYPE",
    "RESULT_INVALID",
    "FieldProblem",
    "all_inputs",
    "check_fields",
    "input_name",
    "result_invalid_message",
    "transition_inputs",
]
