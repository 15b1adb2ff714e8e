"""Definition helpers made cheap at scale: field order per state shape, the UTF-8 size without encoding."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.targets.asl.build import _KEY_ORDER, ordered

KEYS = st.sampled_from([*_KEY_ORDER, "Extra", "Another"])
BODIES = st.lists(KEYS, unique=True, max_size=8).map(lambda keys: {key: key.lower() for key in keys})


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=4), BODIES, max_size=8))
def test_ordered_sorts_each_state_by_the_key_order(states: dict[str, dict[str, Any]]) -> None:
    """Known keys by their rank, unknown ones last in the order they were built; values untouched."""
    rank = {key: number for number, key in enumerate(_KEY_ORDER)}
    expected = {
        name: dict(sorted(body.items(), key=lambda item: rank.get(item[0], len(rank))))
        for name, body in states.items()
    }
    found = ordered(states)
    assert found == expected
    assert [list(body) for body in found.values()] == [list(body) for body in expected.values()]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_utf8_size_is_the_encoded_length(text: str) -> None:
    """ASCII or not, the size the 1 MB rule checks is the length of the UTF-8 bytes."""
    from statewright.targets.asl.checks import utf8_size

    assert utf8_size(text) == len(text.encode("utf-8"))
