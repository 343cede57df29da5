"""Personalised PageRank over the file graph: mass flows from the seeds along links, nearest first."""

from __future__ import annotations

import numpy as np
import pytest

from codewright.retrieve.pagerank import DAMPING, ITERATIONS, FileGraph

CHAIN = ["a.py", "b.py", "c.py", "d.py"]  # a - b - c - d


def chain() -> FileGraph:
    return FileGraph.build(CHAIN, [("a.py", "b.py"), ("b.py", "c.py"), ("c.py", "d.py")])


def test_mass_falls_with_distance_from_the_seed() -> None:
    rank = chain().walk({"a.py": 1.0})
    assert rank[1] > rank[2] > rank[3] > 0  # (the seed's one neighbour also gets back what passes through it)
    assert rank.sum() == pytest.approx(1.0)


def test_links_count_both_ways() -> None:
    """An import joins both files: a change can land on either end of it."""
    rank = chain().walk({"d.py": 1.0})
    assert rank[2] > rank[1] > rank[0] > 0


def test_a_file_many_seeds_use_outranks_one_that_a_single_seed_uses() -> None:
    graph = FileGraph.build(["s1.py", "s2.py", "s3.py", "core.py", "leaf.py"],
                            [("s1.py", "core.py"), ("s2.py", "core.py"), ("s3.py", "core.py"), ("s1.py", "leaf.py")])
    rank = graph.walk({"s1.py": 1.0, "s2.py": 1.0, "s3.py": 1.0})
    assert rank[graph.index["core.py"]] > rank[graph.index["leaf.py"]]


def test_repeated_links_weigh_more() -> None:
    """Two imports and a call between two files are a stronger tie than one stray call."""
    graph = FileGraph.build(["s.py", "strong.py", "weak.py"],
                            [("s.py", "strong.py")] * 3 + [("s.py", "weak.py")])
    rank = graph.walk({"s.py": 1.0})
    assert rank[graph.index["strong.py"]] == pytest.approx(3 * rank[graph.index["weak.py"]])


def test_seed_weights_share_the_restart() -> None:
    graph = FileGraph.build(["x.py", "y.py"], [])
    assert graph.walk({"x.py": 3.0, "y.py": 1.0}).tolist() == pytest.approx([0.75, 0.25])


@pytest.mark.parametrize("seeds", [{}, {"elsewhere.py": 1.0}], ids=["none", "unknown"])
def test_no_known_seed_gives_no_mass(seeds: dict[str, float]) -> None:
    assert not chain().walk(seeds).any()


def test_self_links_and_unknown_files_are_ignored() -> None:
    graph = FileGraph.build(["a.py", "b.py"], [("a.py", "a.py"), ("a.py", "gone.py"), ("a.py", "b.py")])
    assert graph.moves.toarray().tolist() == [[0.0, 1.0], [1.0, 0.0]] and not graph.alone.any()


def test_a_seed_without_links_keeps_its_mass() -> None:
    graph = FileGraph.build(["lone.py", "a.py", "b.py"], [("a.py", "b.py")])
    rank = graph.walk({"lone.py": 1.0})
    assert rank.tolist() == pytest.approx([1.0, 0.0, 0.0])



def test_a_walk_is_a_loop_over_the_links() -> None:
    """The walk's matrix product adds each file's incoming shares in ascending source order, as a loop over the
    links does: the same doubles where no compiler fuses a multiply and an add (x86-64; an arm64 build may
    differ in the last bits, hence the tolerance)."""
    rng = np.random.default_rng(3)
    paths = [f"f{i}.py" for i in range(40)]
    links = [(paths[a], paths[b]) for a, b in rng.integers(0, 40, (150, 2))]
    graph = FileGraph.build(paths, links)
    weight = np.zeros((40, 40))
    for a, b in links:
        if a != b:
            weight[graph.index[a], graph.index[b]] += 1
            weight[graph.index[b], graph.index[a]] += 1
    restart = np.zeros(40)
    restart[[1, 7]] = [2.0, 1.0]
    restart /= restart.sum()
    rank, base = restart.copy(), (1 - DAMPING) * restart
    for _ in range(ITERATIONS):
        moved = np.zeros(40)
        for target in range(40):
            for source in range(40):  # ascending, as the links are kept
                if weight[source, target]:
                    moved[target] += rank[source] * (weight[source, target] / weight[source].sum())
        stranded = rank[~weight.any(axis=1)].sum()
        rank = (restart * stranded + moved) * DAMPING + base
    np.testing.assert_allclose(graph.walk({"f1.py": 2.0, "f7.py": 1.0}), rank, rtol=1e-12, atol=0)
