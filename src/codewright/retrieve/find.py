"""`find`: the files and functions a task will most likely touch, ranked, without a model."""

from __future__ import annotations

import sqlite3

from codewright.cycles import no_cycle_collection
from codewright.graph.index import Index
from codewright.retrieve.corpus import corpus
from codewright.retrieve.listings import without_listings
from codewright.retrieve.mentions import parse_mentions
from codewright.retrieve.rank import FILE_WEIGHTS, TITLE_REPEATS, Ranking, rank, ranked
from codewright.retrieve.signals import Candidates, collect, expand_functions, match

EXPAND_FILES = 20  # every function of this many best files is a candidate


def locate(conn: sqlite3.Connection, text: str, k: int | None = None) -> tuple[Candidates, Ranking]:
    """All candidates with their signals, and the top k of the rankings (all of them for None: the evaluation
    keeps both). The task's environment listings (`pip list`, `show_versions()`) are read by no signal; CRLF
    line ends (pasted from Windows or a browser) are read as LF by every signal, so that no reason quotes a
    line with its carriage return. A task that is all title (one line) has its title's BM25 told as the
    task's (`TITLE_REPEATS`): the same evidence, scored as before."""
    text = without_listings(text.replace("\r\n", "\n"))
    with no_cycle_collection():  # a query's objects form no cycles; collections walked the warm corpus
        warm = corpus(conn)
        mentions = parse_mentions(text)
        lexical = match(warm, text)
        cands = collect(warm, text, mentions, lexical)
        file_order = ranked(cands.files, FILE_WEIGHTS)
        top_files = list(map(cands.files.name, file_order[0][:EXPAND_FILES].tolist()))
        expand_functions(warm, mentions, lexical, cands, top_files)
        return cands, rank(cands, file_order, k, repeats=TITLE_REPEATS if lexical.title_is_task else {})


def find(index: Index, text: str, k: int = 10) -> Ranking:
    """Rank the indexed tree's files and functions for the task described by `text`: the top k of each."""
    return locate(index.conn, text, k)[1]
