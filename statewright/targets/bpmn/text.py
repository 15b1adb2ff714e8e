"""Deterministic text measures for the BPMN layout: how wide a name is, and how it wraps.

The layout sizes tasks and label boxes from the text alone, without a font
renderer, so output is byte-identical everywhere. Widths come from a table of
Arial (the font bpmn-js draws with) advance widths in em, rounded up, times a
safety margin, so a viewer using a slightly wider fallback font still fits the
box the layout wrote.
"""

from __future__ import annotations

import math
from functools import lru_cache

SAFETY = 1.12
"""Room for fallback fonts (Liberation Sans matches Arial; DejaVu Sans is a few per cent wider)."""
LINE = 1.25
"""Line height per font size, a little over bpmn-js's 1.2."""

_NARROW = set("iljI.,:;'|!`")
_THIN = set('ftr()[]{}/\\- "')
_WIDE = set("mwMW@%")
_UPPER = set("ABCDEFGHJKLNOPQRSTUVXYZ&")
_DIGITS = set("0123456789$#?_+<>=~^*")


def _em(char: str) -> float:
    if char in _NARROW:
        return 0.28
    if char in _THIN:
        return 0.36
    if char in _WIDE:
        return 0.86
    if char in _UPPER:
        return 0.70
    if char in _DIGITS:
        return 0.58
    if char.isascii():
        return 0.56
    return 0.9


@lru_cache(maxsize=4096)
def text_width(text: str, size: float) -> int:
    """The width in pixels of one line of `text` at font `size`, rounded up, with the safety margin."""
    return math.ceil(sum(_em(char) for char in text) * size * SAFETY)


def line_height(size: float) -> int:
    """The height of one line at font `size`."""
    return math.ceil(size * LINE)


def _split_long(word: str, width: int, size: float) -> list[str]:
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and text_width(current + char, size) > width:
            pieces.append(current)
            current = char
        else:
            current += char
    return [*pieces, current] if current else pieces


@lru_cache(maxsize=4096)
def wrap(text: str, width: int, size: float) -> tuple[str, ...]:
    """`text` broken into lines no wider than `width` at spaces (a longer word is split by characters)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        for piece in _split_long(word, width, size) if text_width(word, size) > width else [word]:
            candidate = f"{current} {piece}" if current else piece
            if current and text_width(candidate, size) > width:
                lines.append(current)
                current = piece
            else:
                current = candidate
    if current:
        lines.append(current)
    return tuple(lines)


def block(text: str, width: int, size: float) -> tuple[int, int]:
    """The (width, height) of `text` wrapped at `width`: its widest line and its lines' height."""
    lines = wrap(text, width, size)
    if not lines:
        return (0, 0)
    return (max(text_width(line, size) for line in lines), len(lines) * line_height(size))
