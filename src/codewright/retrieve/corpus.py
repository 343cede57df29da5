"""What `find` reads from the index that does not depend on the task, loaded once per warm index.

A query used to re-read files, symbols, imports and call edges and re-split thousands of
identifiers; now each of those is read on first use (a one-off `codewright find` pays only
for what its query touches) and kept while the index is unchanged. "Unchanged" is
checked on every call: SQLite's `data_version` moves when another connection commits,
the connection's `total_changes` when it writes itself (`Index.update`), and either one
drops the whole corpus.
"""

from __future__ import annotations

import posixpath
import re
import sqlite3
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from functools import cached_property, lru_cache
from typing import NamedTuple, TypeVar

from codewright.graph import history
from codewright.graph.store import split_identifier
from codewright.retrieve.lexicon import Lexicon
from codewright.retrieve.pagerank import FileGraph

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CACHED = 2  # corpora kept (by connection): the agent's index, and one more for an evaluation's
_CACHE: OrderedDict[int, Corpus] = OrderedDict()
MEMBER_KINDS = ("function", "method", "class")
K = TypeVar("K")
V = TypeVar("V")


class Chunk(NamedTuple):  # a tuple: django has 24k of them, made at once
    path: str
    symbol: str | None
    start: int
    end: int


class Member(NamedTuple):
    """A function, method or class of a file, with the words of its own lines (split identifiers included)
    and the chunks of its file that hold its first line, as (lines spanned - 1, chunk id), smallest first."""
    sid: str
    line: int
    words: frozenset[str]
    holders: tuple[tuple[int, int], ...]


def corpus(conn: sqlite3.Connection) -> Corpus:
    """The corpus of this connection's index, reused while the index is unchanged.

    Keyed by the connection object's id; the cache holds the connection, so the id cannot
    be reused by another one while its entry lives.
    """
    stamp = _stamp(conn)
    cached = _CACHE.get(id(conn))
    if cached is None or cached.conn is not conn or cached.stamp != stamp:
        cached = _CACHE[id(conn)] = Corpus(conn, stamp)
    _CACHE.move_to_end(id(conn))
    while len(_CACHE) > _CACHED:
        _CACHE.popitem(last=False)
    return cached


def _stamp(conn: sqlite3.Connection) -> tuple[int, int]:
    """Moves with every commit of another connection and every row this one writes (not with temp tables)."""
    return conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes


class Corpus:
    """The task-independent tables of one index, each read on first use."""

    def __init__(self, conn: sqlite3.Connection, stamp: tuple[int, int]):
        self.conn = conn
        self.stamp = stamp  # the index's version this corpus was read from
        self._members: dict[str, list[Member]] = {}

    @cached_property
    def lexicon(self) -> Lexicon:
        return Lexicon(self.conn)

    @cached_property
    def history(self) -> Lexicon | None:
        """BM25 over the messages of the commits the index keeps (None when it keeps none)."""
        if not history.has_history(self.conn):
            return None
        return Lexicon(self.conn, "commits_fts", history.COLUMN_WEIGHTS, rows_of="commits")

    @cached_property
    def paths(self) -> dict[str, str | None]:
        """Indexed file -> its dotted module (None outside Python)."""
        return dict(self.conn.execute("SELECT path, module FROM files WHERE status='indexed'"))

    @cached_property
    def by_basename(self) -> dict[str, list[str]]:
        """File name -> the indexed paths ending in it, in `paths` order (a path suffix match starts here)."""
        return grouped((posixpath.basename(path), path) for path in self.paths)

    @cached_property
    def by_module(self) -> dict[str, str]:
        return {module: path for path, module in self.paths.items() if module}

    @cached_property
    def by_stem(self) -> dict[str, list[str]]:
        """A file's name without suffix (a package's directory name for `__init__`) -> the paths."""
        return grouped((_stem(path), path) for path in self.paths)

    @cached_property
    def chunks(self) -> dict[int, Chunk]:
        rows = self.conn.execute(
            "SELECT c.id, f.path, c.symbol, c.start_line, c.end_line FROM chunks c JOIN files f ON f.id = c.file_id")
        return {cid: Chunk(path, symbol, start, end) for cid, path, symbol, start, end in rows}

    @cached_property
    def file_chunks(self) -> dict[str, list[int]]:
        return grouped((chunk.path, cid) for cid, chunk in self.chunks.items())

    @cached_property
    def symbols(self) -> dict[str, tuple[str, int, str, int]]:
        """Function, method and class id -> (path, line, kind, lines spanned); of rows sharing an id the last one
        counts."""
        return {sid: (path, line, kind, last - line + 1) for sid, path, line, kind, last in self.conn.execute(
            "SELECT s.sid, f.path, s.start_line, s.kind, s.end_line FROM symbols s JOIN files f ON f.id = s.file_id"
            f" WHERE s.kind IN {MEMBER_KINDS} ORDER BY s.id")}

    @cached_property
    def imports_of(self) -> dict[str, list[str]]:
        """Path -> the paths its resolved imports name."""
        return grouped(self._imports)

    @cached_property
    def importers(self) -> dict[str, list[str]]:
        """Path -> the paths whose resolved imports name it."""
        return grouped((target, src) for src, target in self._imports)

    @cached_property
    def _imports(self) -> list[tuple[str, str]]:
        """(importing path, imported path) of every resolved import."""
        return self.conn.execute(
            "SELECT f.path, i.target FROM imports i JOIN files f ON f.id = i.file_id WHERE i.target IS NOT NULL"
        ).fetchall()

    @cached_property
    def calls(self) -> list[tuple[str, int, str]]:
        """(callee, ref id, caller) of every resolved call, by callee then ref id: the order of SQLite's
        `refs_target` index, which decides which edges a capped query of the call graph returns."""
        scope = self.conn.execute("SELECT typeof(scope) FROM refs WHERE scope IS NOT NULL LIMIT 1").fetchone()
        on = "s.sid = r.scope" if scope and scope[0] == "text" else "s.id = r.scope"  # older indexes keep the sid
        return self.conn.execute(
            f"SELECT r.target, r.id, s.sid FROM refs r JOIN symbols s ON {on}"
            " WHERE r.kind = 'call' AND r.target IS NOT NULL ORDER BY r.target, r.id").fetchall()

    @cached_property
    def callers(self) -> dict[str, list[str]]:
        return grouped((callee, caller) for callee, _, caller in self.calls)

    @cached_property
    def callees(self) -> dict[str, list[tuple[str, int]]]:
        return grouped((caller, (callee, ref)) for callee, ref, caller in self.calls)

    @cached_property
    def file_graph(self) -> FileGraph:
        """Files joined by their resolved imports and calls, for the personalised PageRank signal."""
        calls = ((callee.split("::", 1)[0], caller.split("::", 1)[0]) for callee, _, caller in self.calls)
        return FileGraph.build(self.paths, [*self._imports, *calls])

    def members(self, paths: list[str]) -> dict[str, list[Member]]:
        """The functions, methods and classes of these files with their own words, read once per file."""
        new = [p for p in paths if p not in self._members]
        if new:
            self._load_members(new)
        return {p: self._members[p] for p in paths}

    def _load_members(self, paths: list[str]) -> None:
        marks = ",".join("?" * len(paths))
        texts = grouped((path, (start, end, text.splitlines()))  # split once, sliced per member
                        for path, start, end, text in self.conn.execute(
            "SELECT f.path, c.start_line, c.end_line, t.text FROM chunks c JOIN files f ON f.id = c.file_id"
            f" JOIN chunks_fts t ON t.rowid = c.id WHERE f.path IN ({marks}) AND c.kind != 'module'", paths))
        for path in paths:
            self._members[path] = []
        for sid, path, line, last in self.conn.execute(
            "SELECT s.sid, f.path, s.start_line, s.end_line FROM symbols s JOIN files f ON f.id = s.file_id"
            f" WHERE f.path IN ({marks}) AND s.kind IN {MEMBER_KINDS}", paths,
        ):
            holders = sorted((self.chunks[cid].end - self.chunks[cid].start, cid)
                             for cid in self.file_chunks.get(path, ())
                             if self.chunks[cid].start <= line <= self.chunks[cid].end)
            self._members[path].append(Member(sid, line, own_words(texts.get(path, ()), line, last), tuple(holders)))


def _stem(path: str) -> str:
    """A file's name without suffix, lowercased; a package's directory name for its `__init__`."""
    stem = posixpath.splitext(posixpath.basename(path))[0].lower()
    return posixpath.basename(posixpath.dirname(path)).lower() if stem == "__init__" else stem


def grouped(pairs: Iterable[tuple[K, V]]) -> dict[K, list[V]]:
    """(key, value) pairs -> each key's values, in the pairs' order."""
    found: dict[K, list[V]] = defaultdict(list)
    for key, value in pairs:
        found[key].append(value)
    return dict(found)


def own_words(chunks, first: int, last: int) -> frozenset[str]:
    """The words of lines first..last, cut from the smallest chunk holding them (split identifiers included).

    `chunks` are the file's (start, end, lines) with the chunk text split into lines."""
    holding = [(end - start, start, lines) for start, end, lines in chunks if start <= first and last <= end]
    if not holding:
        return frozenset()
    _, start, lines = min(holding, key=lambda h: h[:2])
    idents = set(_WORD.findall("\n".join(lines[first - start:last - start + 1])))
    return frozenset().union(*map(_ident_words, idents))


@lru_cache(maxsize=1 << 17)
def _ident_words(ident: str) -> tuple[str, ...]:
    """An identifier lowercased and its split words: asked for every identifier of every member loaded."""
    return ident.lower(), *split_identifier(ident)
