"""Values typed on the `statewright run` command line: context values, times, durations, pairs.

Context values (`--set field=value`) are read by the field's declared type:
`int` (`-3`, `42`), `decimal` (`1500`, `12.50`; exact, never floating point),
`bool` (`true` or `false`), `enum` (one of its members) and `string` (as given).
Times (`--now`) are milliseconds since the epoch or ISO 8601 (`2026-01-02`,
`2026-01-02T09:30:00Z`, `2026-01-02T09:30:00+02:00`; without an offset, UTC).
Durations (`--advance`) use the language's units: `500ms`, `30s`, `5m`, `1h30m`, `2d`.
Payloads (`send --data`) and work results (`work --result`) are one JSON object;
a decimal field takes a JSON number or a string (`12.50` or `"12.50"`), read
exactly, never through floating point.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

import typer

from statewright import ir
from statewright.runtime.errors import BadContext
from statewright.semantics.values import value_in_domain

_INT = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_MILLIS = re.compile(r"-?[0-9]+")
_DURATION = re.compile(r"(?:[0-9]+(?:ms|s|m|h|d))+")
_DURATION_PART = re.compile(r"([0-9]+)(ms|s|m|h|d)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_MAX_MS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z: the last instant ISO 8601 can write with four year digits."""


def context_values(pairs: Sequence[str], fields: Mapping[str, ir.ContextField]) -> dict[str, ir.Value]:
    """Turn repeated `--set field=value` into typed context values; raises `BadContext` (SW966)."""
    values: dict[str, ir.Value] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise BadContext(f"`--set {pair}`: expected field=value")
        field = fields.get(name)
        if field is None:
            known = ", ".join(fields) or "none"
            raise BadContext(f"`{name}` is not a context field of this workflow; the fields are: {known}")
        if name in values:
            raise BadContext(f"`{name}` is set twice")
        values[name] = context_value(field, text)
    return values


def context_value(field: ir.ContextField, text: str) -> ir.Value:
    """Read one value as the field's declared type and check its bounds; raises `BadContext`."""
    kind = field.type
    value = _typed(kind, text.strip() if kind.name != "string" else text)
    if value is None:
        raise BadContext(f"`{field.name}` = {text!r} is not {_expected(kind)}")
    if not value_in_domain(value, kind):
        raise BadContext(f"`{field.name}` = {text} does not fit {kind.describe()}")
    return value


def _typed(kind: ir.FieldType, text: str) -> ir.Value | None:
    """The value `text` spells in the type's syntax, or None when it spells none."""
    if kind.name == "int":
        return int(text) if _INT.fullmatch(text) else None
    if kind.name == "decimal":
        if not _DECIMAL.fullmatch(text):
            return None
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return None
    if kind.name == "bool":
        return {"true": True, "false": False}.get(text)
    if kind.name == "enum":
        return text if text in kind.members else None
    return text


def _expected(kind: ir.FieldType) -> str:
    """What a value of the type looks like, for an error message."""
    return {
        "int": "an int (digits, optionally signed)",
        "decimal": "a decimal (digits with an optional fraction, like 12.50)",
        "bool": "a bool (`true` or `false`)",
        "enum": f"a member of {kind.describe()}",
    }.get(kind.name, "a string")


def parse_time(text: str, option: str = "--now") -> int:
    """Milliseconds since the epoch from digits or ISO 8601 (UTC unless an offset is given)."""
    text = text.strip()
    if _MILLIS.fullmatch(text):
        millis = int(text)
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise typer.BadParameter(
                f"{text!r} is neither milliseconds since the epoch nor an ISO 8601 time "
                "(like 2026-01-02T09:30:00Z)",
                param_hint=f"'{option}'",
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        millis = (moment - _EPOCH) // _MS
    if not 0 <= millis <= _MAX_MS:
        raise typer.BadParameter(f"{text!r} is outside 1970..9999", param_hint=f"'{option}'")
    return millis


def parse_duration(text: str, option: str = "--advance") -> int:
    """Milliseconds from a duration in the language's units (`30s`, `5m`, `1h30m`, `2d`, `500ms`)."""
    text = text.strip()
    if not _DURATION.fullmatch(text):
        raise typer.BadParameter(
            f"{text!r} is not a duration; write it like 500ms, 30s, 5m, 1h30m or 2d",
            param_hint=f"'{option}'",
        )
    total = sum(int(count) * _UNIT_MS[unit] for count, unit in _DURATION_PART.findall(text))
    if total > _MAX_MS:
        raise typer.BadParameter(f"{text!r} is too long", param_hint=f"'{option}'")
    return total


def iso(millis: int) -> str:
    """An instant as ISO 8601 in UTC: `2026-01-02T09:30:00Z`, with milliseconds only when it has them."""
    try:
        moment = _EPOCH + millis * _MS
    except OverflowError:
        return f"{millis} ms"
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{millis % 1000:03d}Z" if millis % 1000 else f"{text}Z"


def pairs(items: Sequence[str], option: str) -> dict[str, str]:
    """Turn repeated `name=value` options into a mapping; a malformed or repeated one is a usage error."""
    found: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise typer.BadParameter(f"expected name=value, got {item!r}", param_hint=f"'{option}'")
        if name in found:
            raise typer.BadParameter(f"`{name}` is given twice", param_hint=f"'{option}'")
        found[name] = value
    return found


def roles(names: Sequence[str]) -> list[str]:
    """Approver roles as the permissions an approval level matches: `lead` -> `role:lead`.

    A name that already has a kind (`group:finance`, `role:cfo`) is kept as given.
    """
    return [name if ":" in name else f"role:{name}" for name in names]


def json_fields(text: str, option: str, fields: Sequence[ir.ContextField]) -> dict[str, object]:
    """Read a JSON object of fields (`--data`, `--result`) typed by the declared fields.

    Numbers are read exactly (a fraction as a `Decimal`, never a float); a decimal
    field also takes a string holding a decimal number. Anything else is passed on
    as read, for `semantics.inputs.check_fields` to judge (so every entry point
    refuses the same things). Raises ValueError when the text is not a JSON object.
    """
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"`{option}` is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(f'`{option}` must be a JSON object of fields, like {{"amount": "12.50"}}')
    types = {field.name: field.type for field in fields}
    typed: dict[str, object] = {}
    for name, value in data.items():
        kind = types.get(name)
        if kind is not None and kind.name == "decimal" and isinstance(value, str):
            text_value = value.strip()
            value = Decimal(text_value) if _DECIMAL.fullmatch(text_value) else value
        typed[name] = value
    return typed


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")
