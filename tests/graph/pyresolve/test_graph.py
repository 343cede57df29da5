"""The constraint graph's cycle finding: which copy cycles are merged, in which order (the order the solver's
bounds see the merged sets in, so it must not change with how the cycles are found)."""

from __future__ import annotations

import pytest

from codewright.graph.pyresolve.graph import Graph


def _graph(nodes: int, edges: list[tuple[int, int]]) -> Graph:
    g = Graph()
    for _ in range(nodes):
        g.node()
    for src, dst in edges:
        g.edge(src, dst)
    return g


@pytest.mark.parametrize(("nodes", "edges", "cycles"), [
    (3, [(0, 1), (1, 2)], []),  # a chain: no cycle
    (3, [(0, 1), (1, 0), (1, 2)], [[1, 0]]),  # a cycle with a node off it that has no successor
    (4, [(0, 1), (1, 0), (1, 2), (2, 3), (3, 2)], [[3, 2], [1, 0]]),  # the cycle reached from another first
    (6, [(0, 5), (0, 1), (1, 2), (2, 3), (3, 1), (4, 2)], [[3, 2, 1]]),  # entered from a root with a leaf
    (5, [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 3), (4, 1)], [[4, 3, 2, 1, 0]]),  # two cycles that meet
], ids=["chain", "leaf-off-cycle", "two-cycles", "leaf-before-cycle", "cycles-meeting"])
def test_cycles_found_in_tarjans_order(nodes, edges, cycles):
    assert _graph(nodes, edges)._cycles() == cycles


def test_a_merged_cycle_is_not_found_again():
    g = _graph(3, [(0, 1), (1, 2), (2, 0)])
    g.collapse_cycles()
    assert g.pts[0] is g.pts[1] is g.pts[2]
    assert g._cycles() == []
