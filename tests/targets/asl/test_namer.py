"""State names: the remembered suffix counter hands out exactly the names the first-free search would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.targets.asl.names import MAX_NAME, Namer, _fit


def _first_free(used: set[str], key: tuple[str, ...]) -> str:
    """The plain rule: the base name, else `base #2`, `base #3`, ... the first one not used."""
    base = _fit(" | ".join(key))
    candidate, number = base, 2
    while candidate in used:
        suffix = f" #{number}"
        long = len(base) + len(suffix) > MAX_NAME
        candidate = _fit(base[: MAX_NAME - len(suffix)] + suffix) if long else base + suffix
        number += 1
    return candidate


PART = st.sampled_from(
    ["A", "A #2", "A #3", "B", "A | B", "A | B #2", "x" * 78, "x" * 79 + " #2", "wait", ""]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(PART, min_size=1, max_size=3).map(tuple), max_size=30))
def test_names_are_the_first_free_ones(keys: list[tuple[str, ...]]) -> None:
    """Any sequence of keys (repeats, names that look numbered, names cut to 80): the same names."""
    namer = Namer()
    used: set[str] = set()
    known: dict[tuple[str, ...], str] = {}
    for key in keys:
        expected = known[key] if key in known else _first_free(used, key)
        known[key] = expected
        used.add(expected)
        assert namer.name(*key) == expected


def test_keys_that_join_alike_are_numbered_in_order() -> None:
    """Distinct keys with one joined text: the first keeps it, the rest get #2, #3 in order."""
    namer = Namer()
    names = [namer.name("A", "B"), namer.name("A | B"), namer.name("A | B #2"), namer.name("A | B", "")]
    assert names == ["A | B", "A | B #2", "A | B #2 #2", "A | B | "]
    assert [namer.name("A | B"), Namer().name("A", "B")] == ["A | B #2", "A | B"]
