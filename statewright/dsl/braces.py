"""Which `{` a file that ends too early leaves open: the place to report, not the end of the file.

When the parser reaches the end of the file still expecting `}`, the mistake is
almost always one forgotten `}` much earlier. Indentation tells which: a `}`
that closes a `{` opened on a line indented deeper than the `}` itself is
really the closing brace of an outer block, so that `{` is the one left open
(as rustc reports "unclosed delimiter"). Strings and comments are skipped. The
scan is one pass over the text.
"""

from __future__ import annotations


def _indent(text: str, offset: int) -> int:
    """The indentation (in characters) of the line holding `offset`."""
    start = text.rfind("\n", 0, offset) + 1
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return end - start


def unclosed_brace(text: str) -> int | None:
    """The offset of the `{` most likely left open, or None when every `{` is closed."""
    opened: list[int] = []
    suspect: int | None = None
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == "#":
            newline = text.find("\n", index)
            index = length if newline < 0 else newline
            continue
        if char == '"':
            index += 1
            while index < length and text[index] not in '"\n':
                index += 2 if text[index] == "\\" else 1
        elif char == "{":
            opened.append(index)
        elif char == "}" and opened:
            start = opened.pop()
            if suspect is None and _indent(text, index) < _indent(text, start):
                suspect = start
        index += 1
    if not opened:
        return None
    return suspect if suspect is not None else opened[-1]
