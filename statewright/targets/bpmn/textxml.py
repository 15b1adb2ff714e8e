"""A streaming XML text writer with lxml's bytes: escaping, empty elements, two-space indentation.

The BPMN document of a 50,000-state workflow has over a million elements; as an
lxml tree it was held whole, indented in place and serialised into a second
copy. This writer appends each element's text as it is written, so the document
exists once, as text. It writes exactly what `etree.indent(root, space="  ")`
then `etree.tostring(root, xml_declaration=True, encoding="UTF-8")` wrote for
the trees `xml.py` built: an element either holds text (no children) or
children (no text); one with neither is `<tag/>`; each child starts on its own
line, indented two spaces per level. Tags and attribute names are written
as given (`bpmn:task`): the caller declares the prefixes on the root.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>"
INDENT = "  "
CHUNK = 4096
"""How many small pieces are joined into one chunk of the document at a time."""

_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)


_TEXT_SPECIAL = re.compile("[&<>\r]")
_ATTRIBUTE_SPECIAL = re.compile('[&<>"\n\r\t]')


def escape_text(text: str) -> str:
    """Character data as libxml2 escapes it (`&`, `<`, `>` and carriage return)."""
    return text if _TEXT_SPECIAL.search(text) is None else text.translate(_TEXT)


def escape_attribute(value: str) -> str:
    """An attribute value as libxml2 escapes it inside double quotes (also newline and tab)."""
    return value if _ATTRIBUTE_SPECIAL.search(value) is None else value.translate(_ATTRIBUTE)


def attributes_text(attributes: Iterable[tuple[str, str]]) -> str:
    """` name="value"` for each attribute, in order (values escaped; the caller leaves out empty ones)."""
    return "".join(f' {name}="{escape_attribute(value)}"' for name, value in attributes)


class XmlText:
    """An XML document written front to back into one list of pieces, joined once by `text`."""

    def __init__(self, root_start: str) -> None:
        """Start the document: the declaration, then the root's start tag (`<tag attrs`, unclosed)."""
        self._parts: list[str] = [DECLARATION, "\n", root_start]
        self._chunks: list[str] = []
        """The document so far in big pieces: every CHUNK small pieces are joined into one, so the
        pieces never cost more memory than the text itself (a str object per tag is about 50 bytes)."""
        self._open: list[str] = [root_start[1:].split(" ", 1)[0]]
        self._bare = True
        """The last start tag written has no child yet (it is still open: `>` or `/>` to come)."""

    def start(self, tag: str, attributes: str = "") -> None:
        """Open an element that will hold children; `attributes` from `attributes_text`."""
        self._child().append(f"\n{INDENT * len(self._open)}<{tag}{attributes}")
        self._open.append(tag)
        self._bare = True

    def end(self) -> None:
        """Close the element opened last (`/>` if nothing was written inside it)."""
        tag = self._open.pop()
        if self._bare:
            self._parts.append("/>")
            self._bare = False
        else:
            self._parts.append(f"\n{INDENT * len(self._open)}</{tag}>")

    def leaf(self, tag: str, attributes: str = "", text: str | None = None) -> None:
        """A whole element without children: empty (`<tag/>`) for None, else holding `text` (escaped)."""
        body = "/>" if text is None else f">{escape_text(text)}</{tag}>"
        self._child().append(f"\n{INDENT * len(self._open)}<{tag}{attributes}{body}")

    def _child(self) -> list[str]:
        """Where a child element goes: the open start tag closed with `>`, a full chunk joined first."""
        parts = self._parts
        if len(parts) >= CHUNK:
            self._chunks.append("".join(parts))
            parts.clear()
        if self._bare:
            parts.append(">")
            self._bare = False
        return parts

    def text(self) -> str:
        """Close every open element and return the document with its final newline."""
        while self._open:
            self.end()
        self._parts.append("\n")
        self._chunks.append("".join(self._parts))
        document = "".join(self._chunks)
        self._parts, self._chunks = [], [document]
        return document
