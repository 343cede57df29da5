"""`find`: the files and functions a task will most likely touch, ranked, without a model."""

from __future__ import annotations

from codewright.graph.index import Index
from codewright.retrieve.mentions import parse_mentions
from codewright.retrieve.rank import Ranking, rank
from codewright.retrieve.signals import collect


def find(index: Index, text: str, k: int = 10) -> Ranking:
    """Rank the indexed tree's files and functions for the task described by `text`."""
    return rank(collect(index.conn, text, parse_mentions(text)), k)
