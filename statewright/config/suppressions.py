"""Inline suppressions: `# statewright: ignore[SW601, SW602] reason` comments in a `.wf` file.

A suppression silences the findings with the codes it names whose location starts on the
comment's own line (as ruff's `# noqa`: the same line, never the line below or above).
Only real comments count: a `#` inside a string is part of the string. The codes in the
brackets are exact codes (no prefixes; a code named twice counts once). What follows
the brackets is the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from statewright.diagnostics import Diagnostic, codes
from statewright.source import SourceText, Span

DIRECTIVE = re.compile(r"#\s*statewright\s*:\s*ignore\b")
"""The start of a suppression comment (case as written; `# statewright: ignore`)."""

_BRACKETS = re.compile(r"\s*\[([^\]\n]*)\]")


@dataclass(frozen=True, slots=True)
class Suppression:
    """One suppression comment: its line, the codes it names (each with its span) and its reason."""

    line: int
    codes: tuple[tuple[str, Span], ...]
    reason: str
    span: Span


def comments(source: SourceText) -> Iterator[tuple[int, int]]:
    """Yield the (start, end) offsets of every `#` comment in `source`, strings skipped.

    Strings are `"..."` on one line with backslash escapes; an unterminated string ends at
    the line's end (the parser reports it, SW012).
    """
    text = source.text
    index = 0
    size = len(text)
    in_string = False
    while index < size:
        char = text[index]
        if in_string:
            if char == "\\":
                index += 2
                continue
            if char in '"\n':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "#":
            end = text.find("\n", index)
            end = size if end < 0 else end
            yield index, end
            index = end
            continue
        index += 1


def suppressions_of(source: SourceText) -> tuple[tuple[Suppression, ...], tuple[Diagnostic, ...]]:
    """Return the suppressions `source` writes, and its malformed ones as SW067 findings.

    A directive with no brackets or empty brackets is malformed (a blanket suppression
    would hide findings nobody has read); a code that no check reports is malformed too.
    Which codes exist is for `apply` to know, so this only reads the comments.
    """
    found: list[Suppression] = []
    problems: list[Diagnostic] = []
    for start, end in comments(source):
        comment = source.text[start:end].rstrip("\r")
        directive = DIRECTIVE.match(comment)
        if directive is None:
            continue
        span = source.span(start, start + len(comment))
        brackets = _BRACKETS.match(comment, directive.end())
        if brackets is None or not brackets.group(1).strip():
            message = "`# statewright: ignore` must name the codes it suppresses in brackets"
            problems.append(Diagnostic.of(codes.SUPPRESSION_MALFORMED, message, source.name, span))
            continue
        named: list[tuple[str, Span]] = []
        offset = start + brackets.start(1)
        for part in re.finditer(r"[^,]+", brackets.group(1)):
            code = part.group(0).strip()
            if code and all(code != seen for seen, _ in named):
                at = offset + part.start() + (len(part.group(0)) - len(part.group(0).lstrip()))
                named.append((code, source.span(at, at + len(code))))
        reason = comment[brackets.end() :].strip()
        found.append(Suppression(span.line, tuple(named), reason, span))
    return tuple(found), tuple(problems)
