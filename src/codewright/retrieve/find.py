"""`find`: the files and functions a task will most likely touch, ranked, without a model."""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from codewright.graph.index import Index
from codewright.retrieve.corpus import corpus
from codewright.retrieve.listings import without_listings
from codewright.retrieve.mentions import parse_mentions
from codewright.retrieve.rank import Ranking, rank_files, rank_functions
from codewright.retrieve.signals import Candidates, collect, expand_functions, match

EXPAND_FILES = 20  # every function of this many best files is a candidate


def locate(conn: sqlite3.Connection, text: str) -> tuple[Candidates, Ranking]:
    """All candidates with their signals, and the full rankings (the evaluation keeps both). The task's
    environment listings (`pip list`, `show_versions()`) are read by no signal; CRLF line ends (pasted from
    Windows or a browser) are read as LF by every signal, so that no reason quotes a line with its carriage return."""
    text = without_listings(text.replace("\r\n", "\n"))
    with _no_cycle_collection():
        warm = corpus(conn)
        mentions = parse_mentions(text)
        lexical = match(warm, text)
        cands = collect(warm, text, mentions, lexical)
        files = rank_files(cands)
        expand_functions(warm, text, mentions, lexical, cands, [hit.path for hit in files[:EXPAND_FILES]])
        return cands, Ranking(files, rank_functions(cands, files))


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Hold Python's cycle collector off for one query.

    A warm corpus holds about 120,000 objects the collector tracks (django, every table
    loaded); a query makes tens of thousands more that live until it ends, which is what
    sets off full collections, and each one walks the whole corpus: that was half of the
    p95 latency on django. The query's objects form no cycles and are freed by reference
    counting when it returns. Holds nest: only the outermost one turns the collector back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def find(index: Index, text: str, k: int = 10) -> Ranking:
    """Rank the indexed tree's files and functions for the task described by `text`.

    The collector stays off until all but the top k are freed: turned on while the full
    candidate lists were alive, it walked them all at the next allocation (a young-generation
    collection of a query's survivors, 4 ms of a 40 ms query on django)."""
    with _no_cycle_collection():
        return _top(locate(index.conn, text)[1], k)


def _top(ranking: Ranking, k: int) -> Ranking:
    """The top k of a ranking; a function of its own so that `find` holds no reference to the full one."""
    return Ranking(ranking.files[:k], ranking.functions[:k])
