"""Context values worth trying: each field's bounds and default, and the numbers its guards compare with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from hypothesis import strategies as st

from statewright import ir
from statewright.semantics.values import holds, value_in_domain


@dataclass(frozen=True, slots=True)
class Literals:
    """The literals a machine's guards, `set` actions, invariants and approval conditions mention."""

    numbers: tuple[int | Decimal, ...]
    strings: tuple[str, ...]


def _literals(expr: ir.Expr) -> Iterable[ir.Lit]:
    match expr:
        case ir.Lit():
            yield expr
        case ir.Unary(_, operand):
            yield from _literals(operand)
        case ir.BinOp(_, left, right):
            yield from _literals(left)
            yield from _literals(right)
        case ir.In(operand, values):
            yield from _literals(operand)
            yield from values


def _expressions(machine: ir.Machine) -> Iterable[ir.Expr]:
    for transition in machine.transitions:
        if transition.guard is not None:
            yield transition.guard
        yield from (a.value for a in transition.actions if isinstance(a, ir.Assign))
    yield from (invariant.expr for invariant in machine.invariants)
    for approval in machine.approvals:
        yield from (level.condition for level in approval.levels if level.condition is not None)


def literals(machine: ir.Machine) -> Literals:
    """Every literal, and each number's neighbours (one unit, or a cent for decimals) to land on edges."""
    found = [lit for expr in _expressions(machine) for lit in _literals(expr)]
    numbers: list[int | Decimal] = []
    for lit in found:
        if isinstance(lit.value, int | Decimal) and not isinstance(lit.value, bool):
            numbers += [lit.value, lit.value - 1, lit.value + 1]
            if isinstance(lit.value, Decimal):
                numbers += [lit.value - Decimal("0.01"), lit.value + Decimal("0.01")]
                exponent = lit.value.as_tuple().exponent
                if isinstance(exponent, int) and exponent < -2:  # 0.0100: its own last digit too
                    unit = Decimal(1).scaleb(exponent)
                    numbers += [lit.value - unit, lit.value + unit]
    strings = sorted({lit.value for lit in found if isinstance(lit.value, str) and lit.type == "string"})
    return Literals(tuple(dict.fromkeys(numbers)), tuple(strings))


HOSTILE_TEXT = "a \"quoted\" \\ {x} ${y} é\n'it'"
"""Text that breaks naive quoting in JSON, FEEL, JavaScript, Python and templates; sent as data."""


def field_values(
    declared: ir.ContextField, found: Literals, hostile: bool = False
) -> st.SearchStrategy[ir.Value]:
    """Values of one field's declared type: its default, bounds, guard edges, and anything in range.

    With `hostile`, a string may also be `HOSTILE_TEXT` (drawn for data that
    arrives from outside: payloads, results, failure messages).
    """
    kind = declared.type
    options: list[ir.Value] = [] if declared.default is None else [declared.default]
    if kind.name == "bool":
        return st.booleans()
    if kind.name == "enum":
        return st.sampled_from(kind.members)
    if kind.name == "string":
        return st.sampled_from([*options, *found.strings, "x", *((HOSTILE_TEXT,) if hostile else ())])
    low = kind.min if kind.min is not None else -1000
    high = kind.max if kind.max is not None else 1000
    near = [n for n in found.numbers if low <= n <= high]
    if kind.name == "int":
        ints = [int(n) for n in (*options, low, high, *near) if n == int(n)]
        return st.one_of(st.sampled_from(ints), st.integers(int(low), int(high)))
    cents = st.integers(int(Decimal(low) * 100), int(Decimal(high) * 100)).map(lambda c: Decimal(c) / 100)
    decimals = [Decimal(n) for n in (*options, low, high, *near)]
    return st.one_of(st.sampled_from(decimals), cents)


def starts(machine: ir.Machine, values: Mapping[str, ir.Value]) -> bool:
    """True when the values (over the defaults) fit their fields and satisfy the invariants."""
    context: dict[str, ir.Value] = {}
    for declared in machine.context:
        value = values.get(declared.name, declared.default)
        if value is None or not value_in_domain(value, declared.type):
            return False
        context[declared.name] = value
    return all(holds(invariant.expr, context) for invariant in machine.invariants)


@st.composite
def start_contexts(draw: st.DrawFn, machine: ir.Machine) -> tuple[tuple[str, ir.Value], ...]:
    """A starting context that fits the declared types and the invariants (fields in IR order)."""
    found = literals(machine)
    values: dict[str, ir.Value] = {}
    for declared in machine.context:
        if declared.default is None or draw(st.booleans()):
            values[declared.name] = draw(field_values(declared, found), label=declared.name)
    if not starts(machine, values):
        values = {
            name: value
            for name, value in values.items()
            if next(f.default for f in machine.context if f.name == name) is None
        }
    if not starts(machine, values):
        values = {}
        for declared in machine.context:
            if declared.default is None:
                low = declared.type.min
                values[declared.name] = _lowest(declared.type) if low is None else low
    return tuple(values.items())


def _lowest(kind: ir.FieldType) -> ir.Value:
    if kind.name == "bool":
        return False
    if kind.name == "enum":
        return kind.members[0]
    if kind.name == "string":
        return ""
    return 0 if kind.name == "int" else Decimal(0)


def payload_values(
    fields: Sequence[ir.ContextField], found: Literals
) -> st.SearchStrategy[tuple[tuple[str, ir.Value], ...]]:
    """Data that fits declared fields (an event's payload, a work's result), fields in declared order.

    Each field is drawn like a context field (`field_values`: bounds, default,
    the numbers guards compare with); one with a default is now and then left
    out, so the default is exercised too.
    """
    if not fields:
        return st.just(())

    @st.composite
    def draw_values(draw: st.DrawFn) -> tuple[tuple[str, ir.Value], ...]:
        values: list[tuple[str, ir.Value]] = []
        for declared in fields:
            if declared.default is not None and draw(st.sampled_from((False, True, True))):
                continue
            values.append(
                (declared.name, draw(field_values(declared, found, hostile=True), label=declared.name))
            )
        return tuple(values)

    return draw_values()


UNDECLARED = "unexpected"
"""The name of the field an ill-typed payload adds (a payload field is never called this in tests)."""


def ill_typed(fields: Sequence[ir.ContextField]) -> st.SearchStrategy[dict[str, object]]:
    """Data that does NOT fit the declared fields: one thing wrong, drawn from every kind of mistake.

    A field of the wrong kind (a string for a number, a bool for an int, an int
    for a bool), a number past a bound, an enum's non-member, a required field
    missing, or a field nobody declared. The runtime must refuse each (SW974)
    and apply nothing; `semantics.inputs.check_fields` says so for every one.
    """
    base = {f.name: _lowest_fitting(f) for f in fields}
    passed: list[st.SearchStrategy[dict[str, object]]] = []
    others: list[st.SearchStrategy[dict[str, object]]] = [st.just({**base, UNDECLARED: 1})]
    for declared in fields:
        kind = declared.type
        bounds = (None if kind.min is None else kind.min - 1, None if kind.max is None else kind.max + 1)
        past = [value for value in bounds if value is not None and not _fits(value, kind)]
        if past:  # a bound passed by one: the subtle mistake (a wrong kind any type check finds)
            passed.append(st.sampled_from(past).map(partial(_with, base, declared.name)))
        others.append(st.sampled_from(_wrong_values(kind)).map(partial(_with, base, declared.name)))
        if declared.default is None:
            others.append(st.just({k: v for k, v in base.items() if k != declared.name}))
    if not passed:
        return st.one_of(others)
    return st.one_of(st.one_of(passed), st.one_of(others))  # a bound passed half the time


def _with(base: Mapping[str, object], name: str, value: object) -> dict[str, object]:
    """`base` with field `name` set to `value`."""
    return {**base, name: value}


def _lowest_fitting(declared: ir.ContextField) -> ir.Value:
    """A value that fits the field: its default, else its lower bound, else the type's simplest."""
    if declared.default is not None:
        return declared.default
    low = declared.type.min
    if low is not None:
        return Decimal(low) if declared.type.name == "decimal" else low
    high = declared.type.max
    if high is not None and high < 0:
        return Decimal(high) if declared.type.name == "decimal" else high
    return _lowest(declared.type)


def _wrong_values(kind: ir.FieldType) -> list[object]:
    """Values of the wrong kind or outside the bounds of `kind` (never one that fits it)."""
    wrong: list[object] = []
    if kind.name in ("int", "decimal"):
        wrong += ["1", True]
        if kind.name == "int":
            wrong.append(Decimal("0.5"))
        if kind.min is not None:
            wrong.append(kind.min - 1)
        if kind.max is not None:
            wrong.append(kind.max + 1)
    elif kind.name == "bool":
        wrong += [1, "true"]
    elif kind.name == "enum":
        wrong += [f"not_{'_'.join(kind.members)}", 0]
    else:
        wrong += [1, False]
    return [value for value in wrong if not _fits(value, kind)]


def _fits(value: object, kind: ir.FieldType) -> bool:
    return isinstance(value, (bool, int, str, Decimal)) and value_in_domain(value, kind)


def event_payload(machine: ir.Machine, event: str) -> tuple[ir.ContextField, ...]:
    """The payload fields `event` declares (none for an unknown event)."""
    return next((e.payload for e in machine.events if e.name == event), ())


def simplest_data(fields: Sequence[ir.ContextField]) -> tuple[tuple[str, ir.Value], ...]:
    """The fields without a default at a value that fits (their lower bound, or the type's simplest).

    What a hand-written scenario sends when the data does not matter to it: a
    payload or a result the runtime accepts, the other fields taking defaults.
    """
    return tuple((f.name, _lowest_fitting(f)) for f in fields if f.default is None)


def work_result(machine: ir.Machine, state: str) -> tuple[ir.ContextField, ...]:
    """The result fields the work `state` invokes declares (none without an invoke)."""
    invoke = next((s.invoke for s in machine.states if s.name == state), None)
    return invoke.result if invoke is not None else ()


MESSAGES = ("", "it failed", HOSTILE_TEXT)
"""Failure messages scenarios draw, besides the strings the spec's guards compare with."""
