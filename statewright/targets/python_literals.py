"""Text from the spec placed safely in Python source: literals, comments and docstrings.

Shared by every target that writes Python (the `python` module, the `pytest` file)
and by the template filter `pyrepr` (`templating.py`).

Names, docs, reasons and keys can hold anything a user types (quotes, triple
quotes, backslashes, braces, non-ASCII, control characters). Literals are
`repr()`, which Python reads back exactly; comments and docstrings escape
everything that could end them or the line early, so nothing from a spec can
become code.
"""

from __future__ import annotations

from decimal import Decimal

from statewright import ir

_COMMENT_LIMIT = 200


def literal(value: ir.Value | None) -> str:
    """A context value (or None) as Python source that evaluates to an equal value of the same type."""
    if isinstance(value, Decimal):
        return f'Decimal("{value}")'
    if isinstance(value, str):
        return string(value)
    return repr(value)


def _escaped(text: str) -> str:
    """Backslash-escape what a comment or docstring cannot hold verbatim; keep printable text.

    The `:` or `=` after `coding` is escaped too (`coding\\x3a`): Python reads an
    encoding declaration from any comment-like text on a file's first two lines,
    even inside a string, and a spec must never choose how its generated file is
    decoded (`coding:utf-7` would turn a docstring into code).
    """
    if text.isprintable() and "\\" not in text and '"' not in text and "coding" not in text.lower():
        return text  # the common case: nothing to escape (checked at C speed, not char by char)
    out: list[str] = []
    for index, char in enumerate(text):
        if char in ":=" and text[max(0, index - 6) : index].lower() == "coding":
            out.append(f"\\x{ord(char):02x}")
            continue
        if char == "\\":
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


def comment(text: str) -> str:
    """One comment line's text (no newline can end the comment early; long text is cut)."""
    flat = " ".join(text.split())
    if len(flat) > _COMMENT_LIMIT:  # cut the text, never an escape sequence
        flat = flat[: _COMMENT_LIMIT - 1] + "…"
    return _escaped(flat)


def docstring(text: str, indent: str = "") -> str:
    """A triple-quoted docstring holding `text` (escapes keep it from closing early; trailing blanks go)."""
    lines = [_escaped(line.rstrip(" \t")) for line in text.split("\n")]  # as ruff strips them
    if len(lines) == 1:
        return f'"""{lines[0]}"""'
    joined = f"\n{indent}".join(lines)
    return f'"""{joined}\n{indent}"""'


def file_name(name: str) -> str:
    """A file name as generated text cites it: one printable line (line breaks and controls escaped).

    The name is not spec text the front end checked: a file system allows newlines and
    control characters in it, and a cited name must not start a new line of a header.
    """
    return "".join(
        char if char.isprintable() or char == " " else char.encode("unicode_escape").decode("ascii")
        for char in name
    )


def string(value: str) -> str:
    """A string literal as ruff and black write it: double quotes unless that needs more escapes."""
    text = repr(value)
    if text.startswith("'") and '"' not in value:
        return '"' + text[1:-1].replace("\\'", "'") + '"'
    return text
