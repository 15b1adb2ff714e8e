"""JSON text for definitions and templates: stable layout, exact decimals, every string escaped.

Keys keep the order they were built in (the builder adds them in a fixed order),
strings go through `json.dumps` (quotes, backslashes and control characters
escaped; non-ASCII kept as UTF-8), and a `Decimal` is written with the digits
the spec gave it (`10000.00`), which Step Functions reads as a number.
"""

from __future__ import annotations

import json
from decimal import Decimal
from json.encoder import encode_basestring as _quote
from typing import Any


def dumps(value: Any, indent: int = 0) -> str:
    """`value` as JSON text with two-space indentation; lists of scalars stay on one line.

    The text is built as one list of pieces joined once (a 50,000-state definition is
    tens of MB: joining at every level would copy it once per nesting level).
    """
    out: list[str] = []
    _write(value, "  " * indent, out, None)
    return "".join(out)


def escaped_dumps(value: Any, end: str = "") -> tuple[Any, str, bool]:
    """`value` with spec text's `${` escaped (`escape_substitutions`), its `dumps` text + `end`, the flag.

    One pass writes the text and watches for a `${` that needs escaping; only when one
    is found is the value copied with the escapes and written again, so the common case
    walks the definition once and keeps no second copy of it.
    """
    out: list[str] = []
    try:
        _write(value, "", out, "")
    except _EscapeNeededError:
        escaped, _ = escape_substitutions(value)
        return escaped, dumps(escaped) + end, True
    out.append(end)  # (not `text + end`: that would copy the whole text once more)
    return value, "".join(out), False


_STATE_DEPTH = 4
"""The indentation of a top-level state's key (`States` members): each state's text is joined on its own,
so the pieces list never holds the whole definition as millions of small strings."""


class _EscapeNeededError(Exception):
    """Raised by `_write` when it watches for `${` and meets spec text that holds one."""


def _write(value: Any, pad: str, out: list[str], key: str | None) -> None:
    """Append `value`'s text at indentation `pad` to `out`.

    `key` is None when nothing is watched; otherwise the dict key `value` sits under
    ("" for a list item), and a string `escape_substitutions` would change raises
    `_EscapeNeededError`. A dict's plain string values are written in its own loop
    (most of a definition's leaves), one piece per entry.
    """
    append = out.append
    if type(value) is str:
        if key is not None and needs_escape(value, key):
            raise _EscapeNeededError
        append(_quote(value))
    elif isinstance(value, dict):
        if not value:
            append("{}")
            return
        inner = pad + "  "
        lead = "{\n" + inner
        for name, item in value.items():
            if key is not None and isinstance(name, str) and needs_escape(name, ""):
                raise _EscapeNeededError
            head = lead + _quote(str(name)) + ": "
            lead = ",\n" + inner
            if type(item) is str:
                if key is not None and needs_escape(item, str(name)):
                    raise _EscapeNeededError
                append(head + _quote(item))
            elif len(inner) == _STATE_DEPTH:  # a state of the definition: one piece, not thousands
                mark = len(out)
                append(head)
                _write(item, inner, out, None if key is None else str(name))
                out[mark:] = ["".join(out[mark:])]
            else:
                append(head)
                _write(item, inner, out, None if key is None else str(name))
        append("\n" + pad + "}")
    elif isinstance(value, list | tuple):
        if not value:
            append("[]")
            return
        watch = None if key is None else ""
        if all(not isinstance(item, dict | list | tuple) for item in value):
            append("[")
            for position, item in enumerate(value):
                if position:
                    append(", ")
                _write(item, pad, out, watch)
            append("]")
            return
        inner = pad + "  "
        lead = "[\n" + inner
        for item in value:
            append(lead)
            lead = ",\n" + inner
            _write(item, inner, out, watch)
        append("\n" + pad + "]")
    else:
        if key is not None and isinstance(value, str) and needs_escape(value, key):
            raise _EscapeNeededError
        append(scalar(value))


def scalar(value: Any) -> str:
    """One JSON scalar; decimals keep their digits, and non-finite numbers are refused."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write {value} as JSON")
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)
    return str(_quote(str(value)))


LITERAL_DOLLAR = "StatewrightDollar"
"""The DefinitionSubstitution whose value is `$`: spec text writes `${` as `${StatewrightDollar}{`."""

_ADDRESSES = frozenset({"QueueUrl", "FunctionName"})
"""Parameters that hold a resource address, whose `${Name}` is a substitution meant as one."""


def deployed(text: str) -> str:
    """A definition's text as deployed: `${StatewrightDollar}` substituted back to `$`.

    The SAM template's DefinitionSubstitutions do that on deploy; this is for running a
    definition without CloudFormation (moto in `statewright test`).
    """
    return text.replace("${" + LITERAL_DOLLAR + "}", "$")


def needs_escape(text: str, key: str) -> bool:
    """True when `text`, written under dict key `key` ("" for a key or a list item), must be escaped.

    The one rule `escape_substitutions` applies and `_write` watches for: spec text
    holding `${`, anywhere but in a resource address.
    """
    return "${" in text and key not in _ADDRESSES


def escape_substitutions(value: Any, key: str = "") -> tuple[Any, bool]:
    """`value` with every `${` of spec text written so DefinitionSubstitutions leave it as it is.

    CloudFormation replaces `${Name}` anywhere in a definition and has no escape for
    it, so text from a spec (a doc, a reason, a key, a string a guard compares with)
    holding `${Name}` would be rewritten on deploy. Each such `${` becomes
    `${StatewrightDollar}{`, which the SAM template substitutes back to `${`. Resource
    addresses (a Task's `QueueUrl` / `FunctionName`) are the substitutions the target
    means and stay. The flag says whether anything was escaped.
    """
    if isinstance(value, str):
        if not needs_escape(value, key):
            return value, False
        return value.replace("${", "${" + LITERAL_DOLLAR + "}{"), True
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        changed = False
        for name, item in value.items():
            new_name, name_changed = escape_substitutions(name)
            out[new_name], item_changed = escape_substitutions(item, str(name))
            changed = changed or name_changed or item_changed
        return out, changed
    if isinstance(value, list | tuple):
        pairs = [escape_substitutions(item) for item in value]
        return [item for item, _ in pairs], any(flag for _, flag in pairs)
    return value, False
