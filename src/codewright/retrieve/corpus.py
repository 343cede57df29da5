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
import sqlite3
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from functools import cached_property, lru_cache
from typing import NamedTuple, TypeVar

import numpy as np

from codewright.graph import history
from codewright.graph.store import identifiers, split_id, split_identifier
from codewright.retrieve.evidence import Keys
from codewright.retrieve.kinds import KINDS, file_kinds
from codewright.retrieve.lexicon import Lexicon
from codewright.retrieve.pagerank import FileGraph

_CACHED = 2  # corpora kept (by connection): the agent's index, and one more for an evaluation's
_CACHE: OrderedDict[int, Corpus] = OrderedDict()
MEMBER_KINDS = ("function", "method", "class")
_NONE = np.zeros(0, dtype=np.int64)
NO_CHUNK = 1 << 40  # the lines of the chunk that pads a member's holders: more than any spans
K = TypeVar("K")
V = TypeVar("V")


class Members(NamedTuple):
    """The functions, methods and classes of some files, as arrays with one row per member.

    `holders` are the chunks of its file that hold its first line, smallest first (chunk 0,
    which never matches, pads the rows), and `holder_lines` their lines spanned - 1 (padded
    with more than any chunk spans). A member's own words (the words of its lines, split
    identifiers included) are the ids in `words` whose `word_row` is its position."""
    rows: np.ndarray  # the members' symbol rows
    holders: np.ndarray
    holder_lines: np.ndarray
    word_row: np.ndarray
    words: np.ndarray


class Names(NamedTuple):
    """Symbols' names as `name_words` reads them: the word ids of its parts (longer than two letters; the
    name itself when none is), `count[row]` of them from `start[row]` (-1: not read yet), and the id of its
    class's name (0: none)."""
    parts: np.ndarray
    start: np.ndarray
    count: np.ndarray
    owner: np.ndarray


class Symbols(NamedTuple):
    """Every symbol of the index (the last row of an id counts), by row: what a function candidate is."""
    keys: Keys
    line: np.ndarray
    span: np.ndarray  # lines spanned
    file: np.ndarray  # its file's row in `Corpus.files`
    member: np.ndarray  # a function, method or class (the candidates `find` ranks)
    is_class: np.ndarray


class SymbolsByFile(NamedTuple):
    """The symbols' rows sorted by file (`order`, each file's in the index's order) and their files (`file`):
    one file's symbols are a range of them."""
    file: np.ndarray
    order: np.ndarray


class CallEdges(NamedTuple):
    """The resolved calls as arrays, one entry per call in `Corpus.calls` order (by callee, then reference).
    A function is its id's place among all ids on an edge in string order (`names`, `key`); `by_caller`
    orders the entries by caller (then as they come), `caller_sorted` is `caller` in that order."""
    names: list[str]
    key: dict[str, int]
    callee: np.ndarray
    ref: np.ndarray
    caller: np.ndarray
    by_caller: np.ndarray
    caller_sorted: np.ndarray
    symbol: np.ndarray  # each function's symbol row (-1: not a symbol of the index)
    file: np.ndarray  # its file's row in `Corpus.files` (-1: none)


class Chunks(NamedTuple):
    """Every chunk by id: its file's row (-1 for none), its symbol's row (-1 for none), its lines."""
    file: np.ndarray
    symbol: np.ndarray
    start: np.ndarray
    end: np.ndarray
    of_file: dict[str, np.ndarray]  # path -> its chunks' ids


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
        self._members: dict[str, Members] = {}
        self._stock: _Stock | None = None  # the members read so far, as one block
        self._names: Names | None = None
        self._kinds: np.ndarray | None = None
        self._definitions: dict[str, np.ndarray] = {}
        self._every_definition = False
        self._commits: dict[int, tuple[str, str, list[str]]] = {}  # the stored commits read so far
        self.words: dict[str, int] = {}  # the members' own words and name words, by id
        self.owners: dict[str | None, int] = {None: 0}  # the members' classes' names, by id

    @cached_property
    def lexicon(self) -> Lexicon:
        return Lexicon(self.conn)

    @cached_property
    def history(self) -> Lexicon | None:
        """BM25 over the messages of the commits the index keeps (None when it keeps none)."""
        if not history.has_history(self.conn):
            return None
        return Lexicon(self.conn, "commits_fts", history.COLUMN_WEIGHTS, rows_of="commits")

    def commits(self, ids: list[int]) -> dict[int, tuple[str, str, list[str]]]:
        """Stored commits by id -> (sha, subject, changed files), each read once: reading 20 of them joins the
        messages' FTS5 table, 0.3 ms a query."""
        new = [cid for cid in ids if cid not in self._commits]
        if new:
            self._commits.update(history.commits(self.conn, new))
        return {cid: self._commits[cid] for cid in ids if cid in self._commits}

    @cached_property
    def paths(self) -> dict[str, str | None]:
        """Indexed file -> its dotted module (None outside Python)."""
        return dict(self.conn.execute("SELECT path, module FROM files WHERE status='indexed'"))

    @cached_property
    def by_suffix(self) -> dict[str, list[str]]:
        """Every trailing run of a path's components (`c.py`, `b/c.py`, `a/b/c.py`) -> the indexed paths ending in
        it, in `paths` order: a mentioned path is matched by looking up its own trailing runs."""
        return grouped(("/".join(parts[start:]), path) for path in self.paths
                       for parts in [path.split("/")] for start in range(len(parts)))

    @cached_property
    def by_module(self) -> dict[str, str]:
        return {module: path for path, module in self.paths.items() if module}

    @cached_property
    def files(self) -> Keys:
        """Every file a candidate can be: the indexed ones in `paths` order (the file graph's), then the others."""
        others = [path for (path,) in self.conn.execute("SELECT path FROM files WHERE status != 'indexed'")]
        return Keys([*self.paths, *others])

    def kinds(self, rows: np.ndarray) -> np.ndarray:
        """These file rows' kinds (test, doc, vendored, migration) as 0/1, one row each, read once per file."""
        if self._kinds is None:
            self._kinds = np.full((len(self.files.names), len(KINDS)), np.nan)
        new = np.unique(rows[np.isnan(self._kinds[rows, 0])])
        if len(new):
            self._kinds[new] = [file_kinds(self.files.names[row]) for row in new.tolist()]
        return self._kinds[rows]

    @cached_property
    def chunks(self) -> Chunks:
        rows = self.conn.execute("SELECT c.id, f.path, c.symbol, c.start_line, c.end_line FROM chunks c"
                                 " JOIN files f ON f.id = c.file_id ORDER BY c.id").fetchall()
        size = 1 + max((row[0] for row in rows), default=0)
        chunk_file, chunk_symbol = np.full(size, -1, dtype=np.int64), np.full(size, -1, dtype=np.int64)
        start, end = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
        file_row, symbol_row = self.files.row, self.symbols.keys.row
        for cid, path, symbol, first, last in rows:
            chunk_file[cid] = file_row.get(path, -1)
            chunk_symbol[cid] = symbol_row.get(symbol, -1) if symbol else -1
            start[cid], end[cid] = first, last
        of_file = {path: np.array(ids, dtype=np.int64) for path, ids in grouped((row[1], row[0]) for row in rows).items()}
        return Chunks(chunk_file, chunk_symbol, start, end, of_file)

    @cached_property
    def symbols(self) -> Symbols:
        found = {sid: facts for sid, *facts in self.conn.execute(
            "SELECT sid, file_id, start_line, end_line, kind FROM symbols ORDER BY id")}
        file_row = {file_id: self.files.row.get(path, -1) for file_id, path in self.conn.execute(
            "SELECT id, path FROM files")}
        files, line, last, kinds = zip(*found.values()) if found else ((), (), (), ())
        line = np.array(line, dtype=np.int64)
        return Symbols(Keys(list(found)), line, np.array(last, dtype=np.int64) - line + 1,
                       np.array([file_row[f] for f in files], dtype=np.int64),
                       np.array([k in MEMBER_KINDS for k in kinds], dtype=bool),
                       np.array([k == "class" for k in kinds], dtype=bool))

    @cached_property
    def symbols_by_file(self) -> SymbolsByFile:
        order = np.argsort(self.symbols.file, kind="stable")
        return SymbolsByFile(self.symbols.file[order], order)

    def definitions(self, names: list[str]) -> dict[str, np.ndarray]:
        """These names -> the rows of the symbols (but modules) that define each, in the index's order; a name
        nothing defines has none. Read once per name (every name at once by `preload`)."""
        new = [name for name in dict.fromkeys(names) if name not in self._definitions]
        if new and not self._every_definition:
            for start in range(0, len(new), 500):
                batch = new[start:start + 500]
                found = self._defining(f"name IN ({','.join('?' * len(batch))}) AND", batch)
                self._definitions.update((name, found.get(name, _NONE)) for name in batch)
        return {name: self._definitions.get(name, _NONE) for name in names}

    def _read_every_definition(self) -> None:
        self._definitions, self._every_definition = self._defining("", []), True

    def _defining(self, condition: str, args: list[str]) -> dict[str, np.ndarray]:
        """Name -> the rows of the symbols (but modules) that define it, in the index's order, for the names
        that `condition` (a SQL condition on symbols, ending in AND) keeps."""
        row = self.symbols.keys.row
        return {name: np.array(rows, dtype=np.int64) for name, rows in grouped((name, row[sid]) for name, sid in
                self.conn.execute(f"SELECT name, sid FROM symbols WHERE {condition} kind != 'module' ORDER BY id",
                                  args)).items()}

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
    def stem_rows(self) -> dict[str, np.ndarray]:
        """A file's name without suffix (a package's directory name for `__init__`) -> the rows of the indexed
        files (the first rows of `files`) so named."""
        return {stem: np.array(rows, dtype=np.int64)
                for stem, rows in grouped((file_stem(path), row) for row, path in enumerate(self.paths)).items()}

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
    def call_edges(self) -> CallEdges:
        names = sorted({sid for callee, _, caller in self.calls for sid in (callee, caller)})
        key = {sid: i for i, sid in enumerate(names)}
        callee = np.array([key[c] for c, _, _ in self.calls], dtype=np.int64)
        caller = np.array([key[c] for _, _, c in self.calls], dtype=np.int64)
        by_caller = np.argsort(caller, kind="stable")
        symbol_row, file_row = self.symbols.keys.row, self.files.row
        return CallEdges(names, key, callee, np.array([r for _, r, _ in self.calls], dtype=np.int64), caller,
                         by_caller, caller[by_caller],
                         np.array([symbol_row.get(sid, -1) for sid in names], dtype=np.int64),
                         np.array([file_row.get(split_id(sid)[0], -1) for sid in names], dtype=np.int64))

    @cached_property
    def file_graph(self) -> FileGraph:
        """Files joined by their resolved imports and calls, for the personalised PageRank signal."""
        calls = ((split_id(callee)[0], split_id(caller)[0]) for callee, _, caller in self.calls)
        return FileGraph.build(self.paths, [*self._imports, *calls])

    def members(self, paths: list[str]) -> Members:
        """The functions, methods and classes of these files, in this order, read once per file."""
        new = [p for p in paths if p not in self._members]
        if new:
            self._load_members(new)
            self._stock = None
        if self._stock is None:
            self._stock = _Stock(self._members)
        return self._stock.of(paths)

    def preload(self) -> None:
        """Read every table a query may need, the members of every file included, so that no later query pays
        for its first use: what a long-lived process does once it has an index (an agent's session)."""
        self.file_graph, self.call_edges, self.imports_of, self.importers  # noqa: B018
        self.by_suffix, self.by_module, self.stem_rows, self.symbols_by_file  # noqa: B018
        self.kinds(np.arange(len(self.files.names)))
        self._read_every_definition()
        self.names(np.arange(len(self.symbols.keys.names)))
        self.members([p for p in self.paths if p not in self._members])
        self.lexicon.load_all()
        self.lexicon.stem_vocabulary()
        if self.history is not None:
            self.history.load_all()
            self._commits = history.commits(self.conn, None)

    def _load_members(self, paths: list[str]) -> None:
        marks = ",".join("?" * len(paths))
        texts = grouped((path, (start, end, text.splitlines()))  # split once, sliced per member
                        for path, start, end, text in self.conn.execute(
            "SELECT f.path, c.start_line, c.end_line, t.text FROM chunks c JOIN files f ON f.id = c.file_id"
            f" JOIN chunks_fts t ON t.rowid = c.id WHERE f.path IN ({marks}) AND c.kind != 'module'", paths))
        found: dict[str, list[tuple[str, int, int]]] = {path: [] for path in paths}
        for sid, path, line, last in self.conn.execute(
            "SELECT s.sid, f.path, s.start_line, s.end_line FROM symbols s JOIN files f ON f.id = s.file_id"
            f" WHERE f.path IN ({marks}) AND s.kind IN {MEMBER_KINDS}", paths,
        ):
            found[path].append((sid, line, last))
        chunks, symbol_row = self.chunks, self.symbols.keys.row
        for path, members in found.items():
            ids = chunks.of_file.get(path, np.zeros(0, dtype=np.int64))
            starts, ends = chunks.start[ids], chunks.end[ids]
            rows, holders, words = [], [], []
            for sid, line, last in members:
                held = (starts <= line) & (line <= ends)
                rows.append(symbol_row[sid])
                holders.append(sorted(zip((ends[held] - starts[held]).tolist(), ids[held].tolist())))
                words.append([self._word_id(w) for w in own_words(texts.get(path, ()), line, last)])
            self._members[path] = _members(rows, holders, words)

    def names(self, rows: np.ndarray) -> Names:
        """The names of symbols, read for these rows where not yet (splitting all of django's 47,000 names was a
        fifth of a one-off `codewright find`)."""
        if self._names is None:
            size = len(self.symbols.keys.names)
            self._names = Names(np.zeros(0, dtype=np.int64), np.zeros(size, dtype=np.int64),
                                np.full(size, -1, dtype=np.int64), np.zeros(size, dtype=np.int64))
        names = self._names
        new = np.unique(rows[names.count[rows] < 0])
        if len(new):
            parts = []
            for i, row in enumerate(new.tolist()):
                name_parts, owner = _name_of(self.symbols.keys.names[row])
                parts.append([self._word_id(w) for w in name_parts])
                names.owner[new[i]] = self.owners.setdefault(owner, len(self.owners)) if owner else 0
            counts = np.array(list(map(len, parts)), dtype=np.int64)
            names.start[new] = len(names.parts) + np.cumsum(counts) - counts
            names.count[new] = counts
            self._names = names = names._replace(parts=np.concatenate([names.parts, _flat(parts)[1]]))
        return names

    def _word_id(self, word: str) -> int:
        return self.words.setdefault(word, len(self.words))


def _members(rows: list[int], holders: list[list[tuple[int, int]]], words: list[list[int]]) -> Members:
    """The arrays of one file's members."""
    width = max(map(len, holders), default=0) or 1
    holder_ids = np.zeros((len(rows), width), dtype=np.int64)
    holder_lines = np.full((len(rows), width), NO_CHUNK, dtype=np.int64)
    for i, held in enumerate(holders):
        for j, (lines, cid) in enumerate(held):
            holder_lines[i, j], holder_ids[i, j] = lines, cid
    return Members(np.array(rows, dtype=np.int64), holder_ids, holder_lines, *_flat(words))


def _flat(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Lists of ids as (the position of each id's list, the ids)."""
    return (np.repeat(np.arange(len(lists), dtype=np.int64), list(map(len, lists))),
            np.array([i for ids in lists for i in ids], dtype=np.int64))


class _Stock:
    """Every file's members read so far as one block, and where each file's are: a query's members are gathered
    from it in a few array operations (joining twenty files' blocks anew was a twentieth of a warm query)."""

    def __init__(self, blocks: dict[str, Members]):
        self.all = _joined([*blocks.values(), _members([], [], [])])
        sizes = np.array([len(block.rows) for block in blocks.values()], dtype=np.int64)
        self.span = dict(zip(blocks, zip((np.cumsum(sizes) - sizes).tolist(), np.cumsum(sizes).tolist())))
        self.word_start = np.searchsorted(self.all.word_row, np.arange(len(self.all.rows) + 1))

    def of(self, paths: list[str]) -> Members:
        spans = np.array([self.span[path] for path in paths], dtype=np.int64).reshape(-1, 2)
        picked = ranges(spans[:, 0], spans[:, 1])
        first, last = self.word_start[picked], self.word_start[picked + 1]
        return Members(self.all.rows[picked], self.all.holders[picked], self.all.holder_lines[picked],
                       np.repeat(np.arange(len(picked)), last - first), self.all.words[ranges(first, last)])


def ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The positions of these ranges, one after another."""
    counts = ends - starts
    return np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())


def _joined(blocks: list[Members]) -> Members:
    """Several files' members as one block."""
    sizes = [len(block.rows) for block in blocks]
    holders = np.zeros((sum(sizes), max(block.holders.shape[1] for block in blocks)), dtype=np.int64)
    holder_lines = np.full(holders.shape, NO_CHUNK, dtype=np.int64)
    start = 0
    for block, size in zip(blocks, sizes):
        holders[start:start + size, :block.holders.shape[1]] = block.holders
        holder_lines[start:start + size, :block.holders.shape[1]] = block.holder_lines
        start += size
    offsets = np.repeat(np.cumsum(sizes) - sizes, [len(block.words) for block in blocks])
    return Members(np.concatenate([b.rows for b in blocks]), holders, holder_lines,
                   np.concatenate([b.word_row for b in blocks]) + offsets, np.concatenate([b.words for b in blocks]))


@lru_cache(maxsize=1 << 17)
def _name_of(sid: str) -> tuple[tuple[str, ...], str | None]:
    """The words of a symbol's own name that `name_words` looks for in the task, and its class (if a member)."""
    name = own_name(sid)
    return tuple(p for p in split_identifier(name) if len(p) > 2) or (name.lower(),), owner_name(sid)


def own_name(sid: str) -> str:
    """A symbol's own name (`pkg/mod.py::Class.method` -> method)."""
    return split_id(sid)[1].rsplit(".", 1)[-1]


def owner_name(sid: str) -> str | None:
    """The name of the class (or function) a symbol is defined in, if any (`pkg/mod.py::Class.method` -> Class)."""
    qualname = split_id(sid)[1]
    return qualname.rsplit(".", 2)[-2] if "." in qualname else None


def file_stem(path: str) -> str:
    """A file's name without suffix, lowercased; a package's directory name for its `__init__`."""
    stem = posixpath.splitext(posixpath.basename(path))[0].lower()
    return posixpath.basename(posixpath.dirname(path)).lower() if stem == "__init__" else stem


def grouped(pairs: Iterable[tuple[K, V]]) -> dict[K, list[V]]:
    """(key, value) pairs -> each key's values, in the pairs' order."""
    found: dict[K, list[V]] = defaultdict(list)
    for key, value in pairs:
        found[key].append(value)
    return dict(found)


def own_words(chunks, first: int, last: int) -> list[str]:
    """The words of lines first..last, cut from the smallest chunk holding them (split identifiers included).

    `chunks` are the file's (start, end, lines) with the chunk text split into lines. Sorted: `own_words` sums
    their weights in this order, and a set's order, which changes with Python's hash seed, moved the sum's last
    bit from one process to the next."""
    holding = [(end - start, start, lines) for start, end, lines in chunks if start <= first and last <= end]
    if not holding:
        return []
    _, start, lines = min(holding, key=lambda h: h[:2])
    idents = set(identifiers("\n".join(lines[first - start:last - start + 1])))
    return sorted(frozenset().union(*map(_ident_words, idents)))


@lru_cache(maxsize=1 << 17)
def _ident_words(ident: str) -> tuple[str, ...]:
    """An identifier lowercased and its split words: asked for every identifier of every member loaded."""
    return ident.lower(), *split_identifier(ident)
