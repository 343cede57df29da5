"""Read-only questions to the index: find symbols, definitions, references, outlines, chunks.

Each returns typed rows (dataclasses with `to_json`), shared by the Python API
(`Index.symbols` ...) and the CLI, so both answer identically.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codewright.errors import UsageError
from codewright.graph.files import is_vendored
from codewright.graph.store import DB_NAME, database_file, fts_query, index_dir, split_id, split_identifier
from codewright.quoting import cut, quoted

if TYPE_CHECKING:
    from codewright.graph.resolve import Resolver

POSITION = re.compile(r"^(.+):(\d{1,18}):(\d{1,18})$")  # SQLite integers have 63 bits: no file is longer
LINE_ONLY = re.compile(r"^[^:]+:\d+$")  # FILE:LINE, as compilers print it: no name has a colon
_SYMBOL_COLS = (
    "s.sid, s.name, s.qualname, s.kind, f.path, s.start_line, s.end_line, s.start_col, s.end_col,"
    " s.signature, s.doc, s.parent"
)


@dataclass
class SymbolInfo:
    id: str
    name: str
    qualname: str
    kind: str
    path: str
    start_line: int
    end_line: int
    start_col: int
    end_col: int
    signature: str
    doc: str
    parent: str | None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class RefInfo:
    path: str
    line: int
    col: int
    name: str
    kind: str
    qualifier: str
    scope: str | None
    target: str | None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class ChunkHit:
    path: str
    kind: str
    start_line: int
    end_line: int
    symbol: str | None
    title: str
    score: float  # BM25, higher is better
    text: str

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class ImportInfo:
    path: str  # the importing file
    line: int
    module: str  # as written
    names: list[str]
    alias: str | None
    target: str | None  # the imported file (a folder: Go and Java packages, Python namespace ones), when in the tree

    def to_json(self) -> dict:
        return asdict(self)


def _symbols(conn: sqlite3.Connection, where: str, params: tuple) -> list[SymbolInfo]:
    sql = f"SELECT {_SYMBOL_COLS} FROM symbols s JOIN files f ON f.id=s.file_id WHERE {where}"
    return [SymbolInfo(*row) for row in conn.execute(sql, params)]


def symbols(conn: sqlite3.Connection, query: str, limit: int = 50) -> list[SymbolInfo]:
    """Fuzzy by name: exact, then prefix, then substring, then the starts of words in order (`gun`: get_user_name),
    then a member by the starts of its class's words and its own (`qsfilter`: QuerySet.filter), then any other
    subsequence; the project's own before vendored code, shorter names first.

    A dotted query (`Command.exec`, `models.Q`) is matched the same way against as many of the
    qualified name's last parts, so a method is found through its class and a name through its module. `::` counts
    as a dot, in the query and in C++'s and Rust's qualified names (`Widget::size` finds ns::Widget::size)."""
    needle = query.strip().replace("::", ".")
    if not needle:
        return []
    parts = needle.count(".") + 1
    pattern, test = _subsequence_test(needle)
    if len(pattern.encode("utf-8")) > _LIKE_LIMIT:
        return []  # no name holds that many letters (and SQLite refuses the pattern)
    column = "replace(s.qualname, '::', '.')" if parts > 1 else "s.name"
    found = _symbols(conn, f"{column} {test} AND s.kind != 'module'", (pattern,))
    words = split_identifier(needle)
    letters = "".join(words)  # `qs_filter`, `qsFilter`: the starts of words are matched without the signs between
    members = _members_by_word_starts(conn, letters) - {s.id for s in found} if parts == 1 else set()
    found += [s for sid in sorted(members) for s in _symbols(conn, "s.sid = ?", (sid,))]

    def score(s: SymbolInfo) -> tuple:
        shown = s.name if parts == 1 else ".".join(s.qualname.replace("::", ".").split(".")[-parts:])
        name = shown.lower()
        lowered = needle.lower()
        rank = (
            0 if shown == needle else 1 if name == lowered else 2 if name.startswith(lowered)
            else 3 if lowered in name else 4 if words and split_identifier(shown)[: len(words)] == words
            else 5 if letters and len(letters) in _word_starts(letters, split_identifier(shown), {0})
            else 6 if s.id in members else 7
        )
        return (rank, is_vendored(s.path), needle not in shown, len(shown), s.path, s.start_line)

    return sorted(found, key=score)[:limit]


# a symbol's name after its parent's last part (`QuerySet.filter`; `.name` at the top level), as LIKE reads it
_MEMBER = "(substr(s.parent, instr(s.parent, '::') + 2) || '.' || s.name)"


def _subsequence_test(needle: str) -> tuple[str, str]:
    """The pattern and the test that find `needle`'s letters in order in a column, their case folded."""
    if needle.isascii():
        return "%" + "%".join(_escape_like(c) for c in needle.lower()) + "%", "LIKE ? ESCAPE '\\'"
    # LIKE folds ASCII letters only: `Ünïcode` never matched `ünïcode`; GLOB's sets hold both cases
    return "*" + "*".join(_either_case(c) for c in needle) + "*", "GLOB ?"


def _members_by_word_starts(conn: sqlite3.Connection, letters: str) -> set[str]:
    """The ids of the members whose class's name and own name `letters` (lower case) abbreviates: the starts of
    words of the class's name, then of its own, each at least one (`qsfilter` of QuerySet.filter). A query that
    the class's words take whole names the class, and is no member's."""
    if len(letters) < 2:
        return set()
    pattern, test = _subsequence_test(letters)
    found = set()
    for sid, parent, name in conn.execute(
        f"SELECT s.sid, s.parent, s.name FROM symbols s WHERE {_MEMBER} {test} AND s.kind != 'module'", (pattern,)
    ):
        owner = split_id(parent)[1].rpartition(".")[2]
        in_owner = _word_starts(letters, split_identifier(owner), {0}) - {0, len(letters)} if owner else set()
        if in_owner and len(letters) in _word_starts(letters, split_identifier(name), in_owner):
            found.add(sid)
    return found


def _word_starts(query: str, words: tuple[str, ...], starts: set[int]) -> set[int]:
    """The ends in `query` that a non-empty start of each of some of `words`, in order, reaches from any of
    `starts` (`gun`: g of get, u of user, n of name; a word may be passed over)."""
    reached = set(starts)
    for word in words:
        for at in list(reached):
            n = 0
            while n < len(word) and at + n < len(query) and query[at + n] == word[n]:
                n += 1
                reached.add(at + n)
    return reached


_LIKE_LIMIT = 50_000  # bytes: SQLite's longest LIKE pattern (SQLITE_MAX_LIKE_PATTERN_LENGTH)


def _either_case(ch: str) -> str:
    """One character as a GLOB set of its cases (`[Üü]`); any other sign than a letter, digit, `_` or `.` matches
    any one character (`^`, `]` and `*` have meanings of their own in a set)."""
    if "\ud800" <= ch <= "\udfff":  # an argument's byte that was not UTF-8: kept, so it is refused as such
        return ch
    if not (ch.isalnum() or ch in "_."):
        return "?"
    return "[" + "".join(dict.fromkeys([ch, ch.lower(), ch.upper()] if len(ch.upper()) == 1 else [ch, ch.lower()])) + "]"


def _escape_like(ch: str) -> str:
    return "\\" + ch if ch in "%_\\" else ch


def definitions(conn: sqlite3.Connection, target: str) -> list[SymbolInfo]:
    """Where NAME, Qual.name, pkg.mod.name, path::Qual or FILE:LINE:COL is defined."""
    position = POSITION.match(target)
    if position:
        line, col = int(position.group(2)), int(position.group(3))
        if line < 1 or col < 1:
            raise UsageError(f"{quoted(target)}: lines and columns start at 1")
        return _definition_at(conn, position.group(1), line, col)
    if LINE_ONLY.match(target):  # looked up as a name, it was "no definition found", exit 1
        raise UsageError(f"{quoted(target)}: a position needs its column too: FILE:LINE:COL")
    if "::" in target:  # an id, or a C++ or Rust scoped name (ns::Widget::size, Point::new)
        return _symbols(conn, "s.sid = ?", (target,)) or _order(_qualified(conn, target))
    if "." in target:
        return _order(_qualified(conn, target))
    return _order(_symbols(conn, "s.name = ? AND s.kind != 'module'", (target,)))


def _qualified(conn: sqlite3.Connection, target: str) -> list[SymbolInfo]:
    """The symbols whose qualified name is `target` or ends with it, `::` read as `.` on both sides: C++'s and
    Rust's qualified names are scoped with `::` (ns::Widget::size), their ids with dots, and neither
    `Widget::size` nor `Widget.size` named that method."""
    found = _symbols(conn, "s.qualname = ?", (target,))
    if found:
        return found
    dotted = target.replace("::", ".")
    last = _last_part(dotted)
    return [s for s in _symbols(conn, "s.name = ?", (last,))
            if _ends_with(s.qualname.replace("::", "."), dotted) or _ends_with(split_id(s.id)[1], dotted)] or [
        s for sid in reexported(conn, dotted) or inherited(conn, dotted) for s in _symbols(conn, "s.sid = ?", (sid,))]


def inherited(conn: sqlite3.Connection, dotted: str) -> list[str]:
    """The ids of the member `Class.name` names where the class itself defines none: the one it inherits (`Flask.route`
    is flask's `Scaffold.route`, through Flask's base App), from the bases the index resolved (its `base`
    references), the nearest first, left to right."""
    owner, _, name = dotted.rpartition(".")
    classes = [s.id for s in definitions(conn, owner) if s.kind == "class"] if owner else []
    return list(dict.fromkeys(sid for sid in (_inherited_member(conn, c, name) for c in classes) if sid))


def _inherited_member(conn: sqlite3.Connection, cls: str, name: str) -> str | None:
    """The member `name` of the nearest of the class's bases, at any depth, that defines one."""
    seen = {cls}
    queue = _bases(conn, cls)
    while queue:
        base = queue.pop(0)
        if base in seen:
            continue
        seen.add(base)
        row = conn.execute("SELECT sid FROM symbols WHERE parent=? AND name=? ORDER BY id LIMIT 1",
                           (base, name)).fetchone()
        if row:
            return row[0]
        queue += _bases(conn, base)
    return None


def _bases(conn: sqlite3.Connection, cls: str) -> list[str]:
    """The ids of the class's bases the index resolved, in order (read among its file's references)."""
    return [row[0] for row in conn.execute(
        "SELECT r.target FROM symbols s JOIN refs r ON r.file_id=s.file_id AND r.scope=s.id WHERE s.sid=?"
        " AND r.kind='base' AND r.target IS NOT NULL ORDER BY r.line, r.col", (cls,))]


def _last_part(dotted: str) -> str:
    """The name a dotted name ends with, a bracketed one whole: JavaScript's computed `Z.[Symbol.iterator]` ends
    with the method `[Symbol.iterator]`, not `iterator]`."""
    if dotted.endswith("]"):
        depth = 0
        for i in range(len(dotted) - 1, -1, -1):
            depth += {"]": 1, "[": -1}.get(dotted[i], 0)
            if depth == 0:
                return dotted[i:]
    return dotted.rsplit(".", 1)[-1]


def reexported(conn: sqlite3.Connection, dotted: str) -> list[str]:
    """The ids `dotted` names through the imports of a module it starts with: `django.db.models.Q` (or
    `models.Q`) is `Q` of django/db/models/query_utils.py, which the package imports; its own qualified name,
    django.db.models.query_utils.Q, was the only one found. The longest such module that names something wins."""
    parts = dotted.split(".")
    resolver: Resolver | None = None
    for end in range(len(parts) - 1, 0, -1):
        tail = ".".join(parts[:end])
        modules = [path for path, qualname in conn.execute(
            "SELECT f.path, s.qualname FROM symbols s JOIN files f ON f.id=s.file_id"
            " WHERE s.name=? AND s.kind='module' AND f.status='indexed' ORDER BY f.path", (parts[end - 1],))
            if _ends_with(qualname, tail)]
        if not modules:
            continue
        resolver = resolver or _stored_resolver(conn)
        found = [sid for sid in (_walk(resolver, path, parts[end:]) for path in modules) if sid]
        if found:
            return list(dict.fromkeys(found))
    return []


def _stored_resolver(conn: sqlite3.Connection) -> Resolver:
    """A resolver reading the index as stored, as an update reads the files it did not parse."""
    from codewright.graph.link import StoredTables

    return StoredTables(conn, {row[0] for row in conn.execute("SELECT path FROM files WHERE status='indexed'")}).resolver()


def _walk(resolver: Resolver, path: str, names: list[str]) -> str | None:
    """The id that `names` reach from module `path`: a module's name through its imports too, a class's member
    among its own."""
    sid: str | None = f"{path}::"
    for name in names:
        module, _, qualname = sid.partition("::")
        sid = resolver.lookup(module, name) if not qualname else resolver.members(sid).get(name)
        if sid is None:
            return None
    return sid


def _ends_with(qualname: str, tail: str) -> bool:
    """Whether dotted `qualname` is `tail` or ends with it at a dot."""
    return qualname == tail or qualname.endswith("." + tail)


def _order(found: list[SymbolInfo]) -> list[SymbolInfo]:
    """By path, someone else's code (a minified jQuery's `function Q`) after the project's own."""
    return sorted(found, key=lambda s: (is_vendored(s.path), s.path, s.start_line))


def _definition_at(conn: sqlite3.Connection, path: str, line: int, col: int) -> list[SymbolInfo]:
    """What the file's imports bind the name there to, else the call graph's resolution when it has a current one
    for this spot (a local's type, a method of it), else our reference or symbol there. The call graph answers what
    a call runs: `CharField.__init__` for `models.CharField(...)`, and for django's `_` (gettext_lazy) the closure
    that `lazy()` returns; the name's definition is the class and gettext_lazy.

    The call graph resolves lazily: a file it has marked dirty since (`pyresolve_dirty`) may have
    moved lines, so its old rows for that file are not trusted.
    """
    ref = _reference_at(conn, path, line, col)
    if ref and ref[1]:
        return _symbols(conn, "s.sid = ?", (ref[1],))
    word = _name_at(conn, path, line, col)
    span = word[:2] if word else None
    if span and _has_table(conn, "resolved_refs") and not _marked_dirty(conn, path):
        row = conn.execute(
            "SELECT target FROM resolved_refs WHERE path=? AND line=? AND col BETWEEN ? AND ? ORDER BY col DESC LIMIT 1",
            (path, line, *span),
        ).fetchone()
        if row and row[0]:
            found = _symbols(conn, "s.sid = ?", (row[0],)) or definitions(conn, row[0])
            if found:
                return found
    if ref:
        return _named_by(conn, *ref[::2])
    imported = _imported_at(conn, path, line, word[2]) if word else []
    if imported:
        return imported
    here = _symbols(conn, "f.path=? AND s.start_line=? AND s.kind != 'module' ORDER BY s.start_col, s.id",
                    (path, line))
    found = _defined_at(here, col, word[2] if word else None)
    if not found:  # a file misspelt, or left out, is not a spot where nothing is defined
        _require_indexed(conn, path)
    return found


def _reference_at(conn: sqlite3.Connection, path: str, line: int, col: int) -> tuple[str, str | None, str] | None:
    """The name, the target and the qualifier of our reference under (line, col), if one is there."""
    refs = conn.execute(
        "SELECT r.name, r.col, r.target, r.qualifier FROM refs r JOIN files f ON f.id=r.file_id"
        " WHERE f.path=? AND r.line=? AND r.col<=? ORDER BY r.col DESC",
        (path, line, col),
    ).fetchall()
    return next(((name, target, qualifier) for name, start, target, qualifier in refs if col < start + len(name)),
                None)


def _named_by(conn: sqlite3.Connection, name: str, qualifier: str) -> list[SymbolInfo]:
    """The definitions an unresolved reference may name: every one of its name, but a member alone for an attribute
    (`obj.close()`, `np.close()`), which no module-level name is: flask's `current_app.make_response(args)` listed
    the function helpers.make_response beside the method Flask.make_response."""
    found = definitions(conn, name)
    return [s for s in found if s.parent != f"{s.path}::"] if qualifier else found


def _defined_at(here: list[SymbolInfo], col: int, word: str | None) -> list[SymbolInfo]:
    """Of the symbols that start on a line (by column), the one defined at `col`: the last of those named `word`
    (the name under it) that start before it, else the last that starts before it, else the first. The first alone
    answered for every column: `foo` in `a = 1; foo = 2` was `a`, and a one-line class's method was the class."""
    before = [s for s in here if s.start_col <= col]
    named = [s for s in before if s.name == word]
    return (named or before)[-1:] if before else here[:1]


def _imported_at(conn: sqlite3.Connection, path: str, line: int, word: str) -> list[SymbolInfo]:
    """What the import statement on `line` binds `word` to: on `User` or its alias in `from .models import User as U`,
    the class (through models.py's own imports too), on `models`, the module; on any line of an import held in
    parentheses or continued with `\\`. An import is no reference: `def` on one found nothing."""
    rows = conn.execute(
        "SELECT i.line, i.module, i.names, i.alias, i.target FROM imports i JOIN files f ON f.id=i.file_id"
        " WHERE f.path=? AND i.target IS NOT NULL AND i.line=(SELECT max(i2.line) FROM imports i2"
        " WHERE i2.file_id=f.id AND i2.line<=?) ORDER BY i.id", (path, line)).fetchall()
    if not rows or (rows[0][0] < line and not _continued(_lines(conn, path, rows[0][0], line - 1))):
        return []
    resolver = _stored_resolver(conn)
    for _, module, names, alias, target in rows:
        entries = [entry.partition(" as ") for entry in names.split(",") if entry]
        for name, _, local in entries:  # `from m import a as b` keeps b in the row's alias, as the resolver reads it
            if word in (name, local or (alias if len(entries) == 1 else None)) and name != "*":
                return _symbols(conn, "s.sid = ?", (resolver.imported(target, name) or "",))
        if word in (None if entries else alias, module.rpartition(".")[2]):  # a Go package's folder has no symbol
            return _symbols(conn, "s.sid = ?", (f"{target}::",))
    return []


def _continued(text: list[str]) -> bool:
    """Whether a statement that starts on the first of these lines goes on after the last: a parenthesis left
    open, or each line ending with a backslash."""
    joined = "".join(text)
    return joined.count("(") > joined.count(")") or bool(text) and all(t.rstrip("\r\n").endswith("\\") for t in text)


def _lines(conn: sqlite3.Connection, path: str, first: int, last: int) -> list[str]:
    """Lines `first` to `last` (1-based) of an indexed file as the index counts them; [] where it cannot be read."""
    database = database_file(conn)
    try:
        # utf-8-sig: a BOM is no column, as the index counts them
        with open(Path(database).parent.parent / path, encoding="utf-8-sig", errors="replace") as source:
            return [t for n, t in zip(range(1, last + 1), source) if n >= first]
    except (OSError, ValueError):
        return []


def _name_at(conn: sqlite3.Connection, path: str, line: int, col: int) -> tuple[int, int, str] | None:
    """The 1-based columns of the name under (line, col) and the name, read from the file; None when the column is
    on no name (a parenthesis, an argument's comma, past the line's end: each answered with the name before it) or
    the file cannot be read, where the call graph's rows would be guessed at."""
    text = "".join(_lines(conn, path, line, line))
    return next(((m.start() + 1, m.end(), m.group()) for m in re.finditer(r"\w+", text) if m.start() < col <= m.end()),
                None)


def _marked_dirty(conn: sqlite3.Connection, path: str) -> bool:
    if not _has_table(conn, "pyresolve_dirty"):
        return False
    return conn.execute("SELECT 1 FROM pyresolve_dirty WHERE path=?", (path,)).fetchone() is not None


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name=?", (name,)).fetchone() is not None


def references(conn: sqlite3.Connection, name: str) -> list[RefInfo]:
    """Uses of a symbol: by id (`path::Qual`) or qualified name exactly, else every use of the identifier."""
    base = (
        "SELECT f.path, r.line, r.col, r.name, r.kind, r.qualifier, s.sid, r.target FROM refs r"
        " JOIN files f ON f.id=r.file_id LEFT JOIN symbols s ON s.id=r.scope WHERE "
    )
    order = " ORDER BY f.path, r.line, r.col"
    if "::" in name or "." in name:  # an id, or a qualified name: dotted, or scoped (ns::Widget::size)
        sids = list(dict.fromkeys(([name] if "::" in name else []) + [s.id for s in definitions(conn, name)]))
        marks = ",".join("?" * len(sids))
        found = [RefInfo(*r) for r in conn.execute(base + f"r.target IN ({marks})" + order, sids)]
        imported = [i for sid in sids if sid.endswith("::") for i in _imports_of(conn, sid)]
        return sorted(found + imported, key=lambda r: (r.path, r.line, r.col)) if imported else found
    return [RefInfo(*r) for r in conn.execute(base + "r.name=?" + order, (name,))]


def _imports_of(conn: sqlite3.Connection, module: str) -> list[RefInfo]:
    """The imports of a module (its id, `pkg/mod.py::`) as its uses, kind `import`: a module is used by being
    imported, and no reference names it, so `refs pkg/mod.py::` found none. Those whose target is its file (or
    its Go package's folder, as `importers` reads them: `import pkg.mod`, `from pkg.mod import f`), and each name
    a Python package's `from pkg import mod` takes from its `__init__`, or a namespace package's from its folder
    (ns/ without __init__.py). The index keeps an import's line, not its column: each is at column 1."""
    path = split_id(module)[0]
    folder, _, file = path.rpartition("/")
    python = file.endswith((".py", ".pyi", ".pyw"))
    init = f"{folder}/__init__.py" if folder else "__init__.py"
    whole = [path] if python else [path, folder]  # a Go or Java package's folder is its files'
    targets = whole + ([init, init + "i", folder] if python else [])  # and the packages each name is taken from
    rows = conn.execute(
        "SELECT f.path, i.line, i.module, i.names, i.scope, i.target FROM imports i JOIN files f ON f.id=i.file_id"
        f" WHERE i.target IN ({','.join('?' * len(targets))}) AND f.path != ?", (*targets, path))
    stem = file.rsplit(".", 1)[0]
    found = [RefInfo(where, line, 1, written if target in whole else _dotted(written, stem), "import", "",
                     scope, module)
             for where, line, written, names, scope, target in rows
             if target in whole or stem in names.split(",")]
    # one import statement is a row per name it takes (from pkg import a, b): one use of the module
    return list({(r.path, r.line, r.name): r for r in found}.values())


def _dotted(package: str, name: str) -> str:
    """A module's name as `from PACKAGE import NAME` writes it: pkg.mod, .mod for `from . import mod`."""
    return f"{package}{name}" if package.endswith(".") else f"{package}.{name}"


def outline(conn: sqlite3.Connection, path: str) -> list[SymbolInfo]:
    """The symbols of one file; a file the index left out (binary, too big, a symlink loop) says why."""
    found = _symbols(conn, "f.path=? AND s.kind != 'module' ORDER BY s.start_line, s.start_col", (path,))
    if not found:
        _require_indexed(conn, path)
    return found


def _require_indexed(conn: sqlite3.Connection, path: str) -> None:
    """A usage error when `path` is not an indexed file: not in the index, or left out (binary, too big...)."""
    row = conn.execute("SELECT status, reason FROM files WHERE path=?", (path,)).fetchone()
    if row is None and _holds_files(conn, path):  # `outline src/pkg`: "not in the index" read as a stale index
        raise UsageError(f"{cut(path, quoted)} is a folder: give one of its files")
    if row is None:
        raise UsageError(f"{cut(path, quoted)} is not in the index")
    if row[0] != "indexed":
        raise UsageError(f"{quoted(path)} is not indexed: {row[1]}")


def _holds_files(conn: sqlite3.Connection, folder: str) -> bool:
    """Whether the index lists a file below `folder` (`.`: the root)."""
    prefix = "" if folder == "." else folder.rstrip("/") + "/"
    return conn.execute("SELECT 1 FROM files WHERE substr(path, 1, ?) = ? LIMIT 1",
                        (len(prefix), prefix)).fetchone() is not None


def search(conn: sqlite3.Connection, text: str, limit: int = 20) -> list[ChunkHit]:
    """Chunks ranked by BM25 over title, text and split identifiers."""
    query = fts_query(text)
    if not query:
        return []
    rows = conn.execute(
        "SELECT f.path, c.kind, c.start_line, c.end_line, c.symbol, c.title, -bm25(chunks_fts, 4.0, 1.0, 2.0),"
        " chunks_fts.text"
        " FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid JOIN files f ON f.id = c.file_id"
        " WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, 4.0, 1.0, 2.0) LIMIT ?",
        (query, limit),
    )
    return [ChunkHit(*r) for r in rows]


def imports(conn: sqlite3.Connection, path: str) -> list[ImportInfo]:
    """What `path` imports, in line order."""
    rows = conn.execute(
        "SELECT f.path, i.line, i.module, i.names, i.alias, i.target FROM imports i JOIN files f ON f.id=i.file_id"
        " WHERE f.path=? ORDER BY i.line, i.id", (path,))
    return [ImportInfo(p, ln, m, n.split(",") if n else [], a, t) for p, ln, m, n, a, t in rows]


def importers(conn: sqlite3.Connection, path: str) -> list[str]:
    """The files importing `path` (or its package directory)."""
    parent = path.rsplit("/", 1)[0] if "/" in path else ""
    rows = conn.execute(
        "SELECT DISTINCT f.path FROM imports i JOIN files f ON f.id=i.file_id WHERE i.target IN (?, ?)"
        " AND f.path != ? ORDER BY f.path", (path, parent, path))
    return [r[0] for r in rows]


def stats(conn: sqlite3.Connection, root: Path) -> dict:
    def one(sql: str) -> int:
        return conn.execute(sql).fetchone()[0] or 0

    languages = dict(conn.execute(
        "SELECT coalesce(language, 'other'), count(*) FROM files WHERE status='indexed' GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall())
    db = index_dir(root) / DB_NAME
    return {
        "root": str(root),
        "files": one("SELECT count(*) FROM files WHERE status='indexed'"),
        "skipped": one("SELECT count(*) FROM files WHERE status='skipped'"),
        "files_with_errors": one("SELECT count(DISTINCT file_id) FROM errors"),
        "lines": one("SELECT sum(lines) FROM files"),
        "languages": languages,
        "symbols": one("SELECT count(*) FROM symbols"),
        "imports": one("SELECT count(*) FROM imports"),
        "imports_resolved": one("SELECT count(*) FROM imports WHERE target IS NOT NULL"),
        "references": one("SELECT count(*) FROM refs"),
        "references_resolved": one("SELECT count(*) FROM refs WHERE target IS NOT NULL"),
        "chunks": one("SELECT count(*) FROM chunks"),
        "index_bytes": sum(p.stat().st_size for p in db.parent.glob(DB_NAME + "*") if p.is_file()),
    }
