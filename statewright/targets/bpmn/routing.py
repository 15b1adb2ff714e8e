"""Orthogonal routing in the channels between layers: which vertical track each hop of a flow takes.

Every flow of the layered layout is a chain of hops, each inside one channel
(the free strip between two layers, where no node ever is): a hop leaves a
stub on one side, runs vertically on its own track and joins a stub on the same
or the other side. So no flow passes through a node; what remains is to order
the tracks of a channel so hops cross as little as possible. The cost of hop a
left of hop b is the number of a's right-side stubs inside b's vertical extent
plus b's left-side stubs inside a's (as in ELK's orthogonal edge router);
adjacent hops swap while that lowers the cost. Per channel, near-linear for the
usual few hops and bounded passes for many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

TRACK = 10
"""Pixels between two vertical tracks of one channel."""
MARGIN = 20
"""Pixels between a channel's outermost track and the layer next to it."""
MAX_PASSES = 24

HopKind = Literal["through", "east", "west", "exit", "entry"]
"""through: from the left layer to the right one; east: both ends on the left layer (a back edge
turning round); west: both ends on the right layer; exit: from the left layer down out of the
channel's bottom (to the corridor below a band of layers); entry: from the channel's top (the
corridor above) to the right layer."""


@dataclass(frozen=True, slots=True)
class Hop:
    """One vertical piece of a flow in one channel, from `start` to `end` (y coordinates)."""

    kind: HopKind
    start: int
    end: int

    @property
    def low(self) -> int:
        """The top of the vertical extent."""
        return min(self.start, self.end)

    @property
    def high(self) -> int:
        """The bottom of the vertical extent."""
        return max(self.start, self.end)

    def left_stubs(self) -> tuple[int, ...]:
        """The y of each stub joining the layer left of the channel."""
        if self.kind in ("through", "exit"):
            return (self.start,)
        return (self.start, self.end) if self.kind == "east" else ()

    def right_stubs(self) -> tuple[int, ...]:
        """The y of each stub joining the layer right of the channel."""
        if self.kind in ("through", "entry"):
            return (self.end,)
        return (self.start, self.end) if self.kind == "west" else ()


def needs_track(hop: Hop) -> bool:
    """A straight hop runs through the channel without a vertical piece."""
    return not (hop.kind == "through" and hop.start == hop.end)


def _inside(y: int, hop: Hop) -> bool:
    return hop.low < y < hop.high


def _cost(a: Hop, b: Hop) -> int:
    """Crossings between a and b when a's track is left of b's."""
    return sum(_inside(y, b) for y in a.right_stubs()) + sum(_inside(y, a) for y in b.left_stubs())


def _initial(hop: Hop) -> tuple[int, int]:
    if hop.kind == "east":
        return (0, -(hop.high - hop.low))
    if hop.kind == "exit":
        return (1, -hop.start)
    if hop.kind == "entry":
        return (3, hop.end)
    if hop.kind == "west":
        return (4, hop.high - hop.low)
    return (2, -hop.start if hop.end > hop.start else hop.start)


def order_tracks(hops: Sequence[Hop]) -> list[int]:
    """Each hop's track index (0 is leftmost); hops that need no track get -1."""
    ranked = sorted(
        (i for i, hop in enumerate(hops) if needs_track(hop)), key=lambda i: (_initial(hops[i]), i)
    )
    for _ in range(MAX_PASSES):
        changed = False
        for index in range(len(ranked) - 1):
            a, b = hops[ranked[index]], hops[ranked[index + 1]]
            if _cost(b, a) < _cost(a, b):
                ranked[index], ranked[index + 1] = ranked[index + 1], ranked[index]
                changed = True
        if not changed:
            break
    track = [-1] * len(hops)
    for position, index in enumerate(ranked):
        track[index] = position
    return track


def channel_width(tracks: int, minimum: int) -> int:
    """The width a channel needs for `tracks` vertical tracks."""
    return max(minimum, 2 * MARGIN + max(tracks - 1, 0) * TRACK)
