"""Comment and docstring escaping: the whole-text fast path gives exactly the char-by-char rule's text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.targets.python_literals import _escaped


def _char_by_char(text: str) -> str:
    """The escaping rule written out one character at a time (the only path before issue 20)."""
    out: list[str] = []
    for index, char in enumerate(text):
        if char in ":=" and text[max(0, index - 6) : index].lower() == "coding":
            out.append(f"\\x{ord(char):02x}")
        elif char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char.isprintable() or char == " ":
            out.append(char)
        else:
            code = ord(char)
            out.append(
                f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
            )
    return "".join(out)


PIECES = st.sampled_from(
    ["coding", "CODING", "Coding", ":", "=", "\\", '"', " ", "\n", "\x00", "é", "İ", "K", "a"]
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.lists(PIECES, max_size=12).map("".join)))
def test_fast_path_is_the_char_by_char_rule(text: str) -> None:
    """Any text (plain, with `coding:`, quotes, backslashes, control or non-ASCII characters): the same."""
    assert _escaped(text) == _char_by_char(text)


def test_plain_text_comes_back_as_it_is_and_coding_is_still_escaped() -> None:
    """The common case is returned unchanged; an encoding declaration never is."""
    assert _escaped("Hand over case 7 to the next team.") == "Hand over case 7 to the next team."
    assert _escaped("coding:utf-7") == "coding\\x3autf-7"
