"""What generated modules import besides the runtime proper: typed views of context values.

A generated guard reads context values (typed `ir.Value`) and computes with
them exactly as `semantics.interpret` defines: ints as ints, decimals as exact
`Fraction`s. These helpers give each read its precise type, so the generated
code passes `mypy --strict` and a value of the wrong type fails loudly instead
of comparing as something else.

`load_definition` builds a module's `DEFINITION` from what it embeds: the IR
in the span-free form of `statewright.ir.embedded`, and the compiled guards
keyed by stable transition keys, translated here to the runtime's indices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction

from statewright import ir
from statewright.ir import embedded
from statewright.ir.embedded import TransitionKey
from statewright.runtime.definition import Definition, GuardFn


def as_int(value: ir.Value) -> int:
    """An int field's value."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an int context value, not {value!r}")
    return value


def as_fraction(value: ir.Value) -> Fraction:
    """A decimal field's value, exact."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"expected a decimal context value, not {value!r}")
    return Fraction(value)


def as_bool(value: ir.Value) -> bool:
    """A bool field's value."""
    if not isinstance(value, bool):
        raise TypeError(f"expected a bool context value, not {value!r}")
    return value


def as_str(value: ir.Value) -> str:
    """A string or enum field's value."""
    if not isinstance(value, str):
        raise TypeError(f"expected a string context value, not {value!r}")
    return value


def load_definition(
    ir_text: str, guards: Mapping[TransitionKey, Callable[[Mapping[str, ir.Value]], bool]]
) -> Definition:
    """Build the runtime's tables from a generated module's embedded IR and its compiled guards.

    The module keys its guards by stable transition keys (`ir.embedded.transition_keys`),
    so adding a transition elsewhere renumbers nothing in its text; the runtime keys them
    by transition index, translated here. A key naming no transition means the module's
    guards and IR disagree (hand-edited), which is an error rather than a guard silently
    dropped.
    """
    machine = embedded.load(ir_text)
    index_of = {key: index for index, key in enumerate(embedded.transition_keys(machine))}
    unknown = [key for key in guards if key not in index_of]
    if unknown:
        raise ValueError(f"compiled guards for transitions the embedded IR does not have: {unknown}")
    compiled: dict[int, GuardFn] = {index_of[key]: guard for key, guard in guards.items()}
    return Definition(machine, compiled)


def as_decimal(value: ir.Value) -> Decimal:
    """A decimal field's value as stored."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"expected a decimal context value, not {value!r}")
    return Decimal(value)


def quotient(dividend: Fraction, divisor: Fraction) -> Fraction:
    """The guard language's total division: `a / 0` is 0 (`semantics.interpret.divide`)."""
    return Fraction(0) if divisor == 0 else dividend / divisor
