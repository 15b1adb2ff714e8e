"""The one-pass JSON writer of definitions: the same text as the plain recursive layout, escapes fused in."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.targets.asl import asljson


def _layout(value: Any, indent: int = 0) -> str:
    """The layout `dumps` promises, written the plain recursive way (the writer before issue 20)."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_layout(v, indent + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        if all(not isinstance(item, dict | list | tuple) for item in value):
            return "[" + ", ".join(_layout(item) for item in value) + "]"
        return "[\n" + ",\n".join(inner + _layout(item, indent + 1) for item in value) + "\n" + pad + "]"
    return asljson.scalar(value)


TEXT = st.text(alphabet=st.sampled_from(["a", "$", "{", "}", "é", '"', "\\", "\n", "x"]), max_size=8)
KEYS = st.one_of(TEXT, st.sampled_from(["QueueUrl", "FunctionName", "Next", "Comment"]))
SCALARS = st.one_of(
    TEXT,
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(KEYS, inner, max_size=4),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_dumps_is_the_recursive_layout(value: Any) -> None:
    """Any JSON-ready value: the joined-once text equals the layout written level by level."""
    assert asljson.dumps(value) == _layout(value)
    assert asljson.dumps(value, 2) == _layout(value, 2)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_escaped_dumps_is_escape_then_dumps(value: Any) -> None:
    """The fused pass gives the text and flag of escaping first and writing after, and the same value.

    (Unescaped, the value is handed back as it is, tuples and all; escaping copies tuples as lists.)
    """
    escaped, flag = asljson.escape_substitutions(value)
    found, text, found_flag = asljson.escaped_dumps(value)
    assert (text, found_flag) == (_layout(escaped), flag)
    assert _layout(found) == text


def test_an_address_keeps_its_substitution_and_spec_text_is_escaped() -> None:
    """`${Name}` under QueueUrl is the target's own; in a Comment it is spec text and escaped."""
    value = {"QueueUrl": "${Queue}", "List": ["${x}"], "Amount": Decimal("10.50")}
    found, text, flag = asljson.escaped_dumps(value)
    assert flag
    assert found == {"QueueUrl": "${Queue}", "List": ["${StatewrightDollar}{x}"], "Amount": Decimal("10.50")}
    assert '"QueueUrl": "${Queue}"' in text and "10.50" in text
    plain = {"QueueUrl": "${Queue}", "Next": "B"}
    assert asljson.escaped_dumps(plain) == (plain, asljson.dumps(plain), False)
