"""`semantics.graphs.strongly_connected` against mutual reachability on random graphs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from statewright.semantics.graphs import strongly_connected

graphs = st.dictionaries(st.integers(0, 12), st.lists(st.integers(0, 12), max_size=4), max_size=13)


def reachable(edges: dict[int, list[int]], start: int) -> set[int]:
    seen, queue = {start}, [start]
    while queue:
        for nxt in edges.get(queue.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


@given(graphs)
def test_components_are_exactly_the_mutually_reachable_sets(edges: dict[int, list[int]]) -> None:
    components = strongly_connected(sorted(edges), lambda node: edges.get(node, []))
    members = [node for component in components for node in component]
    assert len(members) == len(set(members))  # a partition
    assert set(members) == set().union(*(reachable(edges, root) for root in edges)) if edges else not members
    where = {node: i for i, component in enumerate(components) for node in component}
    for a in where:
        for b in where:
            mutual = b in reachable(edges, a) and a in reachable(edges, b)
            assert (where[a] == where[b]) == mutual


def test_a_long_chain_needs_no_recursion() -> None:
    chain = {i: [i + 1] for i in range(20_000)}
    chain[20_000] = [0]
    [component] = strongly_connected([0], lambda node: chain.get(node, []))
    assert len(component) == 20_001
