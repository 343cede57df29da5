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
from codewright.retrieve.rank import FILE_WEIGHTS, Ranking, rank, ranked
from codewright.retrieve.signals import Candidates, collect, expand_functions, match

EXPAND_FILES = 20  # every function of this many best files is a candidate


def locate(conn: sqlite3.Connection, text: str, k: int | None = None) -> tuple[Candidates, Ranking]:
    """All candidates with their signals, and the top k of the rankings (all of them for None: the evaluation
    keeps both). The task's environment listings (`pip list`, `show_versions()`) are read by no signal; CRLF
    line ends (pasted from Windows or a browser) are read as LF by every signal, so that no reason quotes a
    line with its carriage return."""
    text = without_listings(text.replace("\r\n", "\n"))
    with _no_cycle_collection():
        warm = corpus(conn)
        mentions = parse_mentions(text)
        lexical = match(warm, text)
        cands = collect(warm, text, mentions, lexical)
        file_order = ranked(cands.files, FILE_WEIGHTS)
        top_files = list(map(cands.files.name, file_order[0][:EXPAND_FILES].tolist()))
        expand_functions(warm, mentions, lexical, cands, top_files)
        return cands, rank(cands, file_order, k)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Hold Python's cycle collector off for one query.

    A warm corpus holds about 90,000 objects the collector tracks (django, preloaded); the
    collections a query's allocations set off walked them (with one dictionary per candidate,
    half of the p95 latency on django). The query's objects form no cycles (a detail's function
    reads ids, never the table that keeps it) and are freed by reference counting when it
    returns. Holds nest: only the outermost one turns the collector back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def find(index: Index, text: str, k: int = 10) -> Ranking:
    """Rank the indexed tree's files and functions for the task described by `text`: the top k of each."""
    return locate(index.conn, text, k)[1]
