"""The IR's JSON form: a deterministic encoding and a schema-checked decoding.

Every IR dataclass becomes a JSON object whose keys follow the dataclass field
order, every field present (null or [] when unset), except the machine's
`requirements` and `migrations`, added later and written only when declared.  Expression nodes carry a
`node` tag and actions an `action` tag; exact decimals become
`{"decimal": "1.50"}`, so they never mix with ints or strings; spans become
`{"line", "column", "end_line", "end_column"}`.  The machine starts with
`ir_version`, then `name`.  Decoding checks the published JSON Schema
(`schema/ir.schema.json`) first, so the decoder itself only meets valid shapes.
"""

from __future__ import annotations

import functools
import json
import types
from dataclasses import fields, is_dataclass
from decimal import Decimal
from importlib import resources
from typing import Any, Union, cast, get_args, get_origin, get_type_hints

from statewright import ir
from statewright.source import Span

SCHEMA_ID = "https://statewright.dev/schema/ir/v2.json"
"""The `$id` of the published schema for this `IR_VERSION`."""

_TAGS: dict[type, tuple[str, str]] = {
    ir.Lit: ("node", "lit"),
    ir.Var: ("node", "var"),
    ir.Unary: ("node", "unary"),
    ir.BinOp: ("node", "binop"),
    ir.In: ("node", "in"),
    ir.Call: ("action", "call"),
    ir.Assign: ("action", "assign"),
    ir.Emit: ("action", "emit"),
}
_BY_TAG: dict[tuple[str, str], type] = {tag: cls for cls, tag in _TAGS.items()}
_DECIMAL = "decimal"


class IRFormatError(ValueError):
    """A document that is not a valid statewright IR of this version; the message names where."""


# --------------------------------------------------------------------------- encoding


def to_data(machine: ir.Machine) -> dict[str, Any]:
    """Return the machine as plain JSON-ready data, keys in the published order."""
    data = _encode_object(machine)
    version = data.pop("ir_version")
    return {"ir_version": version, **data}


def dump(machine: ir.Machine) -> str:
    """Return the machine as JSON text: byte-identical for equal machines, ending in a newline.

    The text is exactly `json.dumps(to_data(machine), indent=2, ensure_ascii=False)`,
    written straight from the dataclasses: `json` encodes indented output in pure
    Python, one small string per token, which at 50,000 states costs seconds and
    hundreds of MiB; here each object is joined once, from its members' texts.
    """
    names = ("ir_version", *(name for name in _field_names(ir.Machine) if name != "ir_version"))
    members = [
        (_key(name), getattr(machine, name))
        for name in names
        if name not in _OPTIONAL or getattr(machine, name) not in (None, ())
    ]
    return _object_text(members, 0) + "\n"


_OPTIONAL = ("requirements", "migrations")
"""The machine's members added to IR version 2 after it was published: written only when set, so
the JSON of a machine without them is byte for byte what it was; the schema lists them as optional."""


_INDENTS = ["\n" + "  " * level for level in range(64)]
"""A newline and the indentation of each nesting level (the IR nests far less deep)."""


@functools.cache
def _key(name: str) -> str:
    return f'"{name}": '


def _indent(level: int) -> str:
    return _INDENTS[level] if level < len(_INDENTS) else "\n" + "  " * level


def _object_text(members: list[tuple[str, object]], level: int) -> str:
    """One JSON object, `members` as (`"key": ` prefix, value), laid out as `json.dumps(indent=2)` does."""
    if not members:
        return "{}"
    inner = _indent(level + 1)
    return (
        "{"
        + ",".join(inner + prefix + _text(value, level + 1) for prefix, value in members)
        + _indent(level)
        + "}"
    )


def _text(value: object, level: int) -> str:
    """The indented JSON text of one IR value (the same value `_encode` gives, encoded)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    kind = type(value)
    if kind is str:
        return _string(cast(str, value))
    if kind is int:
        return int.__repr__(cast(int, value))
    if kind is tuple:
        items = cast(tuple[object, ...], value)
        if not items:
            return "[]"
        inner = _indent(level + 1)
        return "[" + ",".join(inner + _text(item, level + 1) for item in items) + _indent(level) + "]"
    if kind is Span:
        span = cast(Span, value)
        inner = _indent(level + 1)
        return (
            f'{{{inner}"line": {span.line},{inner}"column": {span.column},{inner}"end_line": {span.end_line},'
            f'{inner}"end_column": {span.end_column}{_indent(level)}}}'
        )
    if is_dataclass(value) and not isinstance(value, type):
        members: list[tuple[str, object]] = []
        tag = _TAGS.get(kind)
        if tag is not None:
            members.append((_key(tag[0]), tag[1]))
        members += [(_key(name), getattr(value, name)) for name in _field_names(kind)]
        return _object_text(members, level)
    data = _encode(value)  # Decimal, and every value `_encode` refuses
    return json.dumps(data, indent=2, ensure_ascii=False).replace("\n", _indent(level))


_string = json.encoder.encode_basestring  # what `json.dumps(ensure_ascii=False)` uses for strings


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names in order, looked up once per class (`fields()` is slow)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(item.name for item in fields(cls))
    return names


_PLAIN = frozenset({str, int, bool, type(None)})
"""Types that are their own JSON value (checked by exact type first: most of the IR's leaves)."""


def _encode(value: object) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple:
        return [_encode(item) for item in cast(tuple[object, ...], value)]
    if kind in _FIELD_NAMES:  # an IR dataclass already seen
        return _encode_object(value)
    match value:
        case None | bool() | int() | str():
            return value
        case Decimal():
            if not value.is_finite():
                raise ValueError(f"the IR holds only finite decimals, not {value}")
            return {_DECIMAL: str(value)}
        case Span():
            return value.to_dict()
        case tuple():
            return [_encode(item) for item in value]
        case _ if is_dataclass(value) and not isinstance(value, type):
            return _encode_object(value)
    raise TypeError(f"cannot encode a {type(value).__name__} in the IR: {value!r}")


def _encode_object(value: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    tag = _TAGS.get(type(value))
    if tag is not None:
        data[tag[0]] = tag[1]
    for name in _field_names(type(value)):
        data[name] = _encode(getattr(value, name))
    if type(value) is ir.Machine:
        for name in _OPTIONAL:
            if data[name] is None or data[name] == []:
                del data[name]
    return data


# --------------------------------------------------------------------------- decoding


def load(text: str | bytes) -> ir.Machine:
    """Parse IR JSON text into a machine; any problem is an `IRFormatError` naming where."""
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except RecursionError:
        raise IRFormatError("not valid JSON: nested too deeply to read") from None
    except (ValueError, TypeError) as exc:
        raise IRFormatError(f"not valid JSON: {exc}") from None
    return from_data(data)


def from_data(data: Any) -> ir.Machine:
    """Check plain JSON data against the IR schema and build the machine it describes."""
    from jsonschema.exceptions import best_match

    _check_version(data)
    try:
        error = best_match(_validator().iter_errors(data))
        if error is not None:
            raise IRFormatError(f"{error.json_path}: {_shorten(_explain(error))}")
        machine = _decode(ir.Machine, data)
    except RecursionError:
        raise IRFormatError("$: nested too deeply to read") from None
    except (KeyError, TypeError, ArithmeticError) as exc:  # pragma: no cover - the schema rules these out
        raise IRFormatError(f"$: cannot decode the IR: {exc!r}") from None
    assert isinstance(machine, ir.Machine)
    return machine


def load_trusted(text: str) -> ir.Machine:
    """Decode IR JSON that statewright itself wrote (`dump`), without the schema check.

    Generated modules load their embedded IR without the check at import
    (`from_trusted_data`); anything else should use `load`.
    """
    return from_trusted_data(json.loads(text))


def from_trusted_data(data: Any) -> ir.Machine:
    """Build the machine from JSON data statewright itself wrote, without the schema check.

    A member left out takes its field's default: generated code embeds the IR
    without spans (`statewright.ir.embedded`).
    """
    _check_version(data)
    machine = _decode(ir.Machine, data)
    assert isinstance(machine, ir.Machine)
    return machine


def schema() -> dict[str, Any]:
    """Return a fresh copy of the published IR JSON Schema (draft 2020-12), read from package data."""
    loaded = json.loads(_schema_text())
    assert isinstance(loaded, dict)
    return loaded


@functools.cache
def _schema_text() -> str:
    return resources.files("statewright.ir.schema").joinpath("ir.schema.json").read_text("utf-8")


def _is_int(_checker: object, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


@functools.cache
def _validator() -> Any:
    """Return a validator whose `integer` means a JSON integer, never 1.0 or true."""
    from jsonschema import Draft202012Validator, validators

    checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_int)
    strict = validators.extend(Draft202012Validator, type_checker=checker)
    return strict(schema())


def _explain(error: Any) -> str:
    """Return the error's message; for `anyOf`, say which alternatives were expected."""
    if error.validator != "anyOf":
        return str(error.message)
    expected = " or ".join(_expected(option) for option in error.validator_value)
    return f"expected {expected}, not {error.instance!r}"


def _shorten(message: str, limit: int = 300) -> str:
    """Keep messages readable when they quote a large piece of the document."""
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _expected(option: dict[str, Any]) -> str:
    if "$ref" in option:
        name = str(option["$ref"]).rsplit("/", 1)[-1]
        return 'decimal ({"decimal": "<digits>"})' if name == _DECIMAL else name
    if "type" in option:
        return str(option["type"])
    return json.dumps(option)  # pragma: no cover - every anyOf in the schema uses $ref or type


def _check_version(data: Any) -> None:
    if not isinstance(data, dict):
        return
    version = data.get("ir_version")
    if isinstance(version, int) and not isinstance(version, bool) and version != ir.IR_VERSION:
        raise IRFormatError(
            f"$.ir_version: IR version {version} is not supported; this statewright reads "
            f"version {ir.IR_VERSION} only (regenerate the IR with a matching statewright)"
        )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(f"duplicate key {key!r} in an object")
        data[key] = value
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _decode(hint: Any, data: Any) -> Any:
    """Build the value of type `hint` from schema-valid data."""
    if hint is Span:
        return Span(data["line"], data["column"], data["end_line"], data["end_column"])
    if hint is Decimal:
        return Decimal(data[_DECIMAL])
    origin = get_origin(hint)
    if origin is tuple:
        item_hint = get_args(hint)[0]
        return tuple(_decode(item_hint, item) for item in data)
    if origin is Union or origin is types.UnionType:
        return _decode_union(get_args(hint), data)
    if isinstance(hint, type) and is_dataclass(hint):
        return _decode_object(hint, data)
    return data  # str, int, bool or a Literal: the schema checked it


def _decode_union(options: tuple[Any, ...], data: Any) -> Any:
    if data is None:
        return None
    options = tuple(option for option in options if option is not type(None))
    if len(options) == 1:
        return _decode(options[0], data)
    tagged = [option for option in options if option in _TAGS]
    if tagged:
        key = _TAGS[tagged[0]][0]
        return _decode_object(_BY_TAG[key, data[key]], data)
    if isinstance(data, dict):
        return Decimal(data[_DECIMAL])
    return data  # int, bool or str: JSON keeps them apart


def _decode_object(cls: type, data: dict[str, Any]) -> Any:
    hints = _hints(cls)
    return cls(
        **{item.name: _decode(hints[item.name], data[item.name]) for item in fields(cls) if item.name in data}
    )
