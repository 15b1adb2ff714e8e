"""Wrapping a long layered drawing into bands of layers, stacked top to bottom, so it is not a strip.

A process of a hundred layers drawn in one row is many times wider than high.
The layers are cut into consecutive bands of about equal width; each band is
drawn below the previous one, and the flows crossing a cut run down the right
margin of the upper band, left along a corridor between the bands and down the
left margin of the lower one (see `layout.py`). The fewest bands that bring
width:height under the limit are taken; each cut goes, within a window around
its ideal place, where the fewest flows cross (so few flows wrap). Linear in the
number of layers per band count tried.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

MAX_RATIO = 3.5
"""Width over height a scope's drawing may have (the issue asks for at most 4)."""
MAX_BANDS = 16
MIN_WIDTH = 1600
"""A drawing no wider than this stays in one band, whatever its height."""
WINDOW = 0.2
"""How far (a share of a band's width) a cut may move from its ideal place to cross fewer flows."""


@dataclass(frozen=True, slots=True)
class Strip:
    """What the cut choice needs to know of a drawing of layers in one row."""

    columns: Sequence[int]
    """Width of each layer."""
    channels: Sequence[int]
    """Width of each channel: channel c is left of layer c; the last one is right of the last layer."""
    tops: Sequence[int]
    bottoms: Sequence[int]
    """The highest and lowest y any vertex of each layer takes."""
    crossing: Sequence[int]
    """How many flows pass through each channel."""
    corridor: int
    """Height a corridor between bands takes per flow crossing it (and twice that as margins)."""


def _cuts(strip: Strip, bands: int) -> tuple[int, ...]:
    """The first layer of each band after the first, for `bands` bands."""
    count = len(strip.columns)
    starts = [0] * count
    x = 0
    for index in range(count):
        starts[index] = x
        x += strip.channels[index] + strip.columns[index]
    total = x + strip.channels[count]
    cuts: list[int] = []
    for band in range(1, bands):
        ideal = total * band / bands
        window = total * WINDOW / bands
        candidates = [c for c in range(max(cuts, default=0) + 1, count) if abs(starts[c] - ideal) <= window]
        if not candidates:
            candidates = [c for c in range(max(cuts, default=0) + 1, count)]
        if not candidates:
            break
        cuts.append(min(candidates, key=lambda c: (strip.crossing[c], abs(starts[c] - ideal), c)))
    return tuple(cuts)


def measure(strip: Strip, cuts: Sequence[int]) -> tuple[int, int]:
    """(width, height) of the drawing wrapped at `cuts` (margins and corridors included)."""
    bounds = [0, *cuts, len(strip.columns)]
    width = 0
    height = 0
    for band, (first, end) in enumerate(itertools.pairwise(bounds)):
        span = (
            strip.channels[first] + sum(strip.columns[first:end]) + sum(strip.channels[first + 1 : end + 1])
        )
        width = max(width, span)
        height += max(strip.bottoms[first:end], default=0) - min(strip.tops[first:end], default=0)
        if band > 0:
            height += strip.corridor * (strip.crossing[first] + 2)
    return width, height


def fits(strip: Strip, cuts: Sequence[int]) -> bool:
    """Whether the drawing wrapped at `cuts` is narrow enough (or small enough to stay as it is)."""
    width, height = measure(strip, cuts)
    return width <= MAX_RATIO * max(height, 1) or width <= MIN_WIDTH


def choose_cuts(strip: Strip, fewest: int = 1) -> tuple[int, ...]:
    """The cuts of the fewest bands (at least `fewest`) whose drawing fits (see `fits`)."""
    if not strip.columns:
        return ()
    most = min(MAX_BANDS, len(strip.columns))
    for bands in range(min(fewest, most), most + 1):
        cuts = _cuts(strip, bands)
        if fits(strip, cuts):
            return cuts
    return _cuts(strip, most)
