"""Crossing minimisation for the layered layout: the order of the vertices in each layer.

Layer-by-layer sweeps (alternately left to right and right to left) sort each
layer by the barycenter of its neighbours in the layer just swept, then a
transpose pass swaps adjacent vertices while that removes crossings (as in
Graphviz's dot); the order with the fewest crossings over all sweeps is kept.
Vertices only move within their group (a lower group stays above a higher one).
Crossings between two layers are counted by inversions (a Fenwick tree), so a
sweep costs O(E log V); the transpose pass is bounded in passes.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

SWEEPS = 8
TRANSPOSE_PASSES = 4
LARGE = 5000
"""Above this many vertices, half the sweeps and one transpose pass each (keeps big specs fast)."""

Rank = tuple[int, ...]


def _inversions(values: Sequence[int], size: int) -> int:
    """Pairs i < j with values[i] > values[j] (Fenwick tree over 0..size-1)."""
    tree = [0] * (size + 1)
    found = 0
    for seen, value in enumerate(values):
        index = value + 1
        below = 0
        while index > 0:
            below += tree[index]
            index -= index & -index
        found += seen - below
        index = value + 1
        while index <= size:
            tree[index] += 1
            index += index & -index
    return found


def crossings_between(left: Sequence[str], right: Sequence[str], after: Mapping[str, Sequence[str]]) -> int:
    """Crossings of the links from `left` to the next layer `right` (`after`: a vertex's right neighbours)."""
    if len(left) < 2 or len(right) < 2:
        return 0  # one vertex's links are sorted, and links into one vertex never cross
    where = {vertex: i for i, vertex in enumerate(right)}
    targets: list[int] = []
    for vertex in left:
        targets.extend(sorted(where[n] for n in after[vertex]))
    return _inversions(targets, len(right))


def total_crossings(columns: Sequence[Sequence[str]], after: Mapping[str, Sequence[str]]) -> int:
    """Crossings of all links between adjacent layers."""
    return sum(crossings_between(a, b, after) for a, b in itertools.pairwise(columns))


def _pair_crossings(first: Sequence[int], second: Sequence[int]) -> int:
    """Crossings between the links of a vertex (to positions `first`) placed above another (`second`)."""
    if len(first) == 1 and len(second) == 1:
        return 1 if first[0] > second[0] else 0
    return sum(1 for a in first for b in second if a > b)


def _transpose(
    columns: list[list[str]],
    before: Mapping[str, Sequence[str]],
    after: Mapping[str, Sequence[str]],
    rank: Mapping[str, Rank],
    passes: int,
) -> None:
    """Swap adjacent vertices of one group while it lowers the crossings with both neighbour layers."""
    for _ in range(passes):
        improved = False
        for index, column in enumerate(columns):
            if len(column) < 2:
                continue
            left = {v: i for i, v in enumerate(columns[index - 1])} if index > 0 else {}
            right = {v: i for i, v in enumerate(columns[index + 1])} if index + 1 < len(columns) else {}
            lists = [([left[n] for n in before[v]], [right[n] for n in after[v]]) for v in column]
            for i in range(len(column) - 1):
                u, v = column[i], column[i + 1]
                if rank[u] != rank[v]:
                    continue
                (lu, ru), (lv, rv) = lists[i], lists[i + 1]
                now = _pair_crossings(lu, lv) + _pair_crossings(ru, rv)
                if now and _pair_crossings(lv, lu) + _pair_crossings(rv, ru) < now:
                    column[i], column[i + 1] = v, u
                    lists[i], lists[i + 1] = lists[i + 1], lists[i]
                    improved = True
        if not improved:
            return


def _contract(
    links: Mapping[str, Sequence[str]], attached: Mapping[str, tuple[str, int]]
) -> dict[str, list[str]]:
    """Links with every attached vertex replaced by its host (an attached vertex's links join its host's)."""
    merged: dict[str, list[str]] = {}
    for vertex, near in links.items():
        owner = attached[vertex][0] if vertex in attached else vertex
        merged.setdefault(owner, []).extend(attached[n][0] if n in attached else n for n in near)
    return merged


def order_layers(
    columns: Sequence[Sequence[str]],
    before: Mapping[str, Sequence[str]],
    after: Mapping[str, Sequence[str]],
    rank: Mapping[str, Rank],
    attached: Mapping[str, tuple[str, int]],
) -> list[list[str]]:
    """The order of every layer with the fewest crossings found (ties keep the given order).

    `before`/`after`: each vertex's neighbours in the previous/next layer. `attached`: vertex ->
    (host in the same layer, key): such a vertex (where a back edge turns round) is kept right
    below its host, below the ones with lower keys, and its links count as its host's.
    """
    near_before = _contract(before, attached)
    near_after = _contract(after, attached)
    current = [sorted((v for v in column if v not in attached), key=lambda v: rank[v]) for column in columns]
    best = [list(column) for column in current]
    fewest = total_crossings(best, near_after)
    large = sum(len(column) for column in current) > LARGE
    passes = 1 if large else TRANSPOSE_PASSES
    for sweep in range(SWEEPS // 2 if large else SWEEPS):
        if fewest == 0:
            break
        forward = sweep % 2 == 0
        indices = range(1, len(current)) if forward else range(len(current) - 2, -1, -1)
        for index in indices:
            if len(current[index]) < 2:
                continue  # nothing to reorder
            reference = current[index - 1] if forward else current[index + 1]
            position = {v: i for i, v in enumerate(reference)}
            side = near_before if forward else near_after
            old = {v: i for i, v in enumerate(current[index])}
            scale = len(reference) / max(len(old), 1)
            keys: dict[str, tuple[Rank, float, int]] = {}
            for vertex in current[index]:
                near = [position[n] for n in side[vertex]]
                centre = sum(near) / len(near) if near else old[vertex] * scale
                keys[vertex] = (rank[vertex], centre, old[vertex])
            current[index].sort(key=keys.__getitem__)
        _transpose(current, near_before, near_after, rank, passes)
        found = total_crossings(current, near_after)
        if found < fewest:
            fewest = found
            best = [list(column) for column in current]
    guests: dict[str, list[str]] = {}
    for vertex, (host, _) in attached.items():
        guests.setdefault(host, []).append(vertex)
    expanded: list[list[str]] = []
    for column in best:
        full: list[str] = []
        for vertex in column:
            full.append(vertex)
            full.extend(sorted(guests.get(vertex, ()), key=lambda v: attached[v][1]))
        expanded.append(full)
    return expanded
