"""Context values worth trying: each field's bounds and default, and the numbers its guards compare with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

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
    strings = sorted({lit.value for lit in found if isinstance(lit.value, str) and lit.type == "string"})
    return Literals(tuple(dict.fromkeys(numbers)), tuple(strings))


def field_values(declared: ir.ContextField, found: Literals) -> st.SearchStrategy[ir.Value]:
    """Values of one field's declared type: its default, bounds, guard edges, and anything in range."""
    kind = declared.type
    options: list[ir.Value] = [] if declared.default is None else [declared.default]
    if kind.name == "bool":
        return st.booleans()
    if kind.name == "enum":
        return st.sampled_from(kind.members)
    if kind.name == "string":
        return st.sampled_from([*options, *found.strings, "x"])
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
