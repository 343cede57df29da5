"""Writing parsed files and linking them: import targets and reference targets.

`FactsWriter` writes each parsed file's rows the moment a worker hands them over (so
SQLite inserts overlap parsing) and keeps in memory what linking needs on a cold build.
`Linker` then sets the targets of references: on a cold build entirely from memory, on an update
from the database, and only for the references whose answer can have changed.
"""

from __future__ import annotations

import json
import posixpath
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain, count, repeat

from codewright.graph.files import FileEntry
from codewright.graph.parse import Parsed
from codewright.graph.resolve import (
    FUNCTION_KINDS,
    SCOPE_KINDS,
    SELF_NAMES,
    SELF_PREFIXES,
    SUPER_PREFIX,
    Annotated,
    Bases,
    ImportRow,
    LocalImports,
    ModuleMap,
    Resolver,
    Scopes,
    annotated_variables,
    go_receiver,
    is_package_init,
    local_imports,
    spills_constants,
)
from codewright.graph.store import bare_name, split_id

FTS_BATCH_CHARS = 2 << 20  # chunk text buffered before it goes to the FTS table
_READ_FROM_CLASS = (*SELF_PREFIXES, SUPER_PREFIX)  # the qualifiers that read `self.x.y`, `super().x`, `super(C).x`
_QUALIFIER_HEAD = "substr(r.qualifier, 1, instr(r.qualifier || '.', '.') - 1)"  # SQL: `mod` of `mod.Class`
_HEAD = re.compile(r"\w*")  # the name a qualifier starts with: `mod` of `mod.Class`, `A` of `A()`


def _head(qualifier: str) -> str:
    return _HEAD.match(qualifier).group()


class FactsWriter:
    """Writes each parsed file's rows as soon as it arrives; keeps what resolution needs.

    References are inserted here too, without targets (the linker fills those in once
    every file is known): their rows are most of the index, and written now they overlap
    the workers' parsing instead of lengthening the serial link step.

    Chunks for full-text search are buffered and inserted in batches: FTS5 writes its
    pending terms out as a new segment at every statement savepoint (the next file's
    upsert opens one), so inserting them file by file made thousands of tiny segments
    to merge, and cost more than all other inserts together. `finish` writes the rest.
    """

    def __init__(self, conn: sqlite3.Connection, mmap: ModuleMap, modules: dict[str, str],
                 entries: dict[str, FileEntry]) -> None:
        self.conn = conn
        self.mmap = mmap
        self.modules = modules
        self.entries = entries
        self.ids: dict[str, int] = {}
        self.imports: dict[str, list[ImportRow]] = {}  # the module-level ones
        self.local_imports: dict[str, LocalImports] = {}  # the files' imports in their symbols, of the few with any
        self.languages: dict[str, str | None] = {}
        self.chunk_id = (conn.execute("SELECT max(id) FROM chunks").fetchone()[0] or 0) + 1
        self.symbol_id = (conn.execute("SELECT max(id) FROM symbols").fetchone()[0] or 0) + 1
        self.symbol_ids: dict[str, dict[str, int]] = {}  # path -> sid -> symbols.id, for reference scopes
        self.ref_id = (conn.execute("SELECT max(id) FROM refs").fetchone()[0] or 0) + 1
        self.first_ref: dict[str, int] = {}  # path -> refs.id of its first reference
        self.fts_rows: list[tuple[int, str, str, str]] = []
        self.fts_chars = 0

    def write(self, item: Parsed) -> None:
        entry = self.entries[item.path]
        status, reason = ("skipped", item.skipped) if item.skipped else ("indexed", None)
        if not item.skipped and item.errors:
            reason = item.errors[0]
        module = None if item.skipped else self.modules.get(item.path)  # as `_write_skipped` leaves it
        file_id = self.conn.execute(
            "INSERT INTO files (path, language, module, size, mtime_ns, ctime_ns, inode, hash, lines, status,"
            " reason) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(path) DO UPDATE SET"
            " language=excluded.language, module=excluded.module, size=excluded.size,"
            " mtime_ns=excluded.mtime_ns, ctime_ns=excluded.ctime_ns, inode=excluded.inode,"
            " hash=excluded.hash, lines=excluded.lines, status=excluded.status, reason=excluded.reason"
            " RETURNING id",
            (item.path, item.language, module, entry.size, entry.mtime_ns, entry.ctime_ns, entry.inode,
             item.hash, item.lines, status, reason),
        ).fetchone()[0]
        self.ids[item.path] = file_id
        self.languages[item.path] = item.language
        targets = [self.mmap.resolve(item.path, item.language, i[0], i[4], module, i[1].split(",") if i[1] else [],
                                     i[5]) for i in item.imports]
        rows = [ImportRow(i[0], i[1].split(",") if i[1] else [], i[2], i[4], t) for i, t in zip(item.imports, targets)]
        self.imports[item.path] = [row for row, i in zip(rows, item.imports) if i[5] is None]
        if len(self.imports[item.path]) < len(rows):
            self.local_imports[item.path] = local_imports(
                ((i[5], row) for row, i in zip(rows, item.imports) if i[5] is not None), _hidden_in(item))
        self._facts(file_id, item, targets)

    def _facts(self, file_id: int, item: Parsed, targets: list[str | None]) -> None:
        conn = self.conn
        conn.executemany(
            "INSERT INTO imports (file_id, module, names, alias, line, level, scope, target)"
            " VALUES (?,?,?,?,?,?,?,?)",
            [(file_id, *i, t) for i, t in zip(item.imports, targets)],
        )
        first = self.symbol_id
        self.symbol_id += len(item.symbols)
        self.symbol_ids[item.path] = {s[0]: first + n for n, s in enumerate(item.symbols)}
        conn.executemany(
            "INSERT INTO symbols (id, file_id, sid, name, qualname, kind, start_line, end_line, start_col,"
            " end_col, signature, doc, parent) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(first + n, file_id, *s) for n, s in enumerate(item.symbols)],
        )
        conn.executemany("INSERT INTO errors VALUES (?,?)", [(file_id, e) for e in item.errors])
        self._refs(file_id, item)
        conn.executemany("INSERT INTO annotations VALUES (?,?,?,?,?,?,?,?,?)",
                         [(file_id, *a) for a in item.annotations])
        chunk_rows = []
        for kind, start, end, symbol, title, text, idents in item.chunks:
            chunk_rows.append((self.chunk_id, file_id, kind, start, end, symbol, title))
            self.fts_rows.append((self.chunk_id, title, text, idents))
            self.fts_chars += len(text)
            self.chunk_id += 1
        conn.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?,?)", chunk_rows)
        if self.fts_chars > FTS_BATCH_CHARS:
            self.finish()

    def _refs(self, file_id: int, item: Parsed) -> None:
        names, lines, cols, kinds, qualifiers, scopes = item.refs
        first = self.first_ref[item.path] = self.ref_id
        self.ref_id += len(names)
        rows = zip(count(first), repeat(file_id), names, lines, cols, kinds, qualifiers,
                   map(self.symbol_ids[item.path].get, scopes))  # columns zipped in C, no loop here
        self.conn.executemany(
            "INSERT INTO refs (id, file_id, name, line, col, kind, qualifier, scope) VALUES (?,?,?,?,?,?,?,?)", rows)

    def finish(self) -> None:
        """Write the buffered full-text rows."""
        self.conn.executemany("INSERT INTO chunks_fts (rowid, title, text, idents) VALUES (?,?,?,?)", self.fts_rows)
        self.fts_rows, self.fts_chars = [], 0


def _hidden_in(item: Parsed) -> Callable[[str], frozenset[str]]:
    """The symbols of a parsed file that do not see the imports of the one around them: a class's methods and
    nested classes (see `LocalImports`)."""
    classes = {s[0] for s in item.symbols if s[3] == "class"}
    hidden: dict[str, set[str]] = defaultdict(set)
    for sid, _name, _q, kind, *_rest, parent in item.symbols:
        if parent in classes and kind in SCOPE_KINDS:
            hidden[parent].add(sid)
    return lambda scope: frozenset(hidden.get(scope, ()))


@dataclass
class _Memory:
    """Per-file top-level names, class members and imports of a cold build."""

    top: dict[str, dict[str, str]]
    members: dict[str, dict[str, str]]
    imports: dict[str, list[ImportRow]]
    local_imports: dict[str, LocalImports]
    names: set[str]  # every name a reference can resolve through: symbol names and import bindings
    exports: dict[str, list[tuple[str, str]]]  # path -> (name, qualifier) of its `export` references
    receivers: dict[str, str]  # a Go method's id -> its receiver variable
    scopes: dict[str, Scopes]  # a Python file's path -> its functions and classes
    bases: dict[str, Bases]  # path -> its classes' bases, of the files with any
    annotated: dict[str, Annotated]  # path -> its functions' annotated variables, of the files with any

    @classmethod
    def of(cls, parsed: list[Parsed], writer: FactsWriter) -> _Memory:
        found = cls({}, defaultdict(dict), writer.imports, writer.local_imports, set(), {}, {}, {}, {}, {})
        local_rows = (rows for scopes in writer.local_imports.values() for _, rows in scopes.values())
        for rows in chain(writer.imports.values(), local_rows):
            for imp in rows:
                found.names.update(n.partition(" as ")[2] or n.partition(" as ")[0] for n in imp.names)
                found.names.update(imp.module.replace("::", ".").replace("/", ".").split("."))
                if imp.alias:
                    found.names.add(imp.alias)
        for item in parsed:
            found.names.update(s[1] for s in item.symbols)
            module_sid = f"{item.path}::"
            top: dict[str, str] = {}
            spilling: set[str] = set()  # the top-level symbols whose constants are the file's names too
            for sid, name, _q, kind, *_rest, signature, _doc, parent in item.symbols:
                if kind == "module":
                    continue
                if kind == "method" and item.language == "go":
                    found.receivers[sid] = go_receiver(signature)
                qual = sid[len(module_sid):]
                if parent is not None and parent != module_sid:
                    found.members[parent].setdefault(name, sid)
                    if kind == "constant" and parent in spilling:
                        top.setdefault(name, sid)
                elif "." not in qual:  # see StoredTables.top
                    top.setdefault(name, sid)
                    if spills_constants(item.language, kind, signature):
                        spilling.add(sid)
                else:  # see StoredTables.members
                    found.members[module_sid + qual.rpartition(".")[0]].setdefault(name, sid)
            found.top[item.path] = top
            found.members[module_sid] = top  # a module's members are its top-level names, as StoredTables reads them
            if item.language == "python":
                found.scopes[item.path] = Scopes(
                    {s[0]: found.members.get(s[0], {}) for s in item.symbols if s[3] in FUNCTION_KINDS},
                    {s[0]: found.members.get(s[0], {}) for s in item.symbols if s[3] == "class"})
            if item.annotations:
                found.annotated[item.path] = annotated_variables(item.annotations)
            names, kinds, qualifiers = item.refs[0], item.refs[3], item.refs[4]
            if "export" in kinds:
                found.exports[item.path] = [(names[i], qualifiers[i]) for i, k in enumerate(kinds) if k == "export"]
            if "base" in kinds:
                found.bases[item.path] = bases = defaultdict(list)
                for i in (i for i, k in enumerate(kinds) if k == "base"):
                    bases[item.refs[5][i]].append((names[i], qualifiers[i]))
        return found


class StoredTables:
    """What a `Resolver` reads, as the index stores it: an update reads so the files it did not parse, and a query
    follows so a name through the module that imports it (`def pkg.Name`, pkg/__init__.py's `from .mod import Name`)."""

    def __init__(self, conn: sqlite3.Connection, paths: set[str]) -> None:
        self.conn = conn
        self.paths = paths  # the indexed files: a binding to any other file names nothing
        self._by_dir: dict[str, list[str]] | None = None

    def resolver(self) -> Resolver:
        return Resolver(self.language, self.top, self.members, self.imports, self.files_in_dir,
                        self.paths.__contains__, self.exports, self.receiver, self.local_imports, self.scopes,
                        self.bases, self.annotated)

    def language(self, path: str) -> str | None:
        row = self.conn.execute("SELECT language FROM files WHERE path=?", (path,)).fetchone()
        return row[0] if row else None

    def files_in_dir(self, directory: str) -> list[str]:
        """The files of a package directory (Go, Java star imports); [] for a file path."""
        if directory in self.paths:
            return []
        if self._by_dir is None:
            self._by_dir = defaultdict(list)
            for path in self.paths:
                self._by_dir[posixpath.dirname(path)].append(path)
        return self._by_dir.get(directory, [])

    def top(self, path: str) -> dict[str, str]:
        """The file's top-level names, and the constants of its top-level C or C++ enums (`spills_constants`: the
        SQL says it again, `enum class` by its signature's start, `SCOPED_ENUMS`). A
        member whose owner the file does not define (a Go method of a type of another file of the package, a Rust
        impl's, C++'s `W::ref`) is the module's child but no name of it: a bare `Mark()` beside `func (c *Command)
        Mark()` calls the function Mark."""
        module_sid = f"{path}::"
        rows = self.conn.execute(
            "SELECT s.name, s.sid FROM symbols s JOIN files f ON f.id=s.file_id WHERE f.path=?"
            " AND s.kind != 'module' AND ((s.parent IS NULL OR s.parent = ?) AND instr(substr(s.sid, ?), '.') = 0"
            " OR s.kind = 'constant' AND f.language IN ('c', 'cpp') AND s.parent IN (SELECT p.sid FROM symbols p"
            " JOIN files pf ON pf.id=p.file_id WHERE pf.path=? AND p.parent = ? AND instr(substr(p.sid, ?), '.') = 0"
            " AND p.kind IN ('enum', 'type') AND p.signature NOT GLOB 'enum class *'"
            " AND p.signature NOT GLOB 'enum struct *'))"
            " ORDER BY s.id DESC",
            (path, module_sid, len(module_sid) + 1, path, module_sid, len(module_sid) + 1),
        )
        return dict(rows.fetchall())

    def receiver(self, sid: str) -> str:
        """The receiver variable of the Go method `sid`, "" for none."""
        row = self.conn.execute("SELECT signature FROM symbols WHERE sid=? AND kind='method'", (sid,)).fetchone()
        return go_receiver(row[0]) if row else ""

    def members(self, sid: str) -> dict[str, str]:
        """The symbol's children; also, where its file defines no such symbol, the file's members named under it
        (`func (db *DB) Flush()` in a file of DB's package, a Rust impl's method of another file's type): the
        `self.x` and `c.Flush()` in them name those."""
        if sid.endswith("::"):  # a module's members are its top-level names
            return self.top(sid[:-2])
        path = split_id(sid)[0]
        detached = self.conn.execute(
            "SELECT s.name, s.sid FROM symbols s JOIN files f ON f.id=s.file_id WHERE f.path=? AND s.parent=?"
            " AND substr(s.sid, 1, ?) = ? AND instr(substr(s.sid, ?), '.') = 0 ORDER BY s.id DESC",
            (path, f"{path}::", len(sid) + 1, sid + ".", len(sid) + 2)).fetchall()
        rows = self.conn.execute("SELECT name, sid FROM symbols WHERE parent=? ORDER BY id DESC", (sid,))
        return dict(detached + rows.fetchall())

    def imports(self, path: str) -> list[ImportRow]:
        rows = self.conn.execute(
            "SELECT i.module, i.names, i.alias, i.level, i.target FROM imports i JOIN files f"
            " ON f.id=i.file_id WHERE f.path=? AND i.scope IS NULL",
            (path,),
        )
        return [ImportRow(m, n.split(",") if n else [], a, lv, t) for m, n, a, lv, t in rows]

    def local_imports(self, path: str) -> LocalImports:
        """The file's imports in its symbols (a function's `from x import y`), in the file's order."""
        rows = self.conn.execute(
            "SELECT i.scope, i.module, i.names, i.alias, i.level, i.target FROM imports i JOIN files f"
            " ON f.id=i.file_id WHERE f.path=? AND i.scope IS NOT NULL ORDER BY i.id",
            (path,),
        ).fetchall()
        return local_imports(((scope, ImportRow(m, n.split(",") if n else [], a, lv, t))
                              for scope, m, n, a, lv, t in rows), self._hidden_in)

    def _hidden_in(self, scope: str) -> frozenset[str]:
        """The symbols in `scope` that do not see its imports: a class's methods and nested classes."""
        return frozenset(sid for (sid,) in self.conn.execute(
            "SELECT s.sid FROM symbols s WHERE s.parent=? AND s.kind IN (SELECT value FROM json_each(?))"
            " AND EXISTS (SELECT 1 FROM symbols c WHERE c.sid=? AND c.kind='class')",
            (scope, json.dumps(sorted(SCOPE_KINDS)), scope)))

    def scopes(self, path: str) -> Scopes:
        """The functions and classes of a Python file with what each defines (see `Scopes`), the first of a name."""
        found = Scopes()
        rows = self.conn.execute(
            "SELECT s.sid, s.kind, s.name, s.parent FROM symbols s JOIN files f ON f.id=s.file_id"
            " WHERE f.path=? AND f.language='python' ORDER BY s.id", (path,)).fetchall()
        for sid, kind, _name, _parent in rows:
            if kind in FUNCTION_KINDS:
                found.functions[sid] = {}
            elif kind == "class":
                found.classes[sid] = {}
        for sid, _kind, name, parent in rows:
            held = found.functions.get(parent)
            held = found.classes.get(parent) if held is None else held
            if held is not None:
                held.setdefault(name, sid)
        return found

    def bases(self, path: str) -> Bases:
        """The (name, qualifier) of the bases of each class of the file, in the order the class lists them."""
        found: Bases = defaultdict(list)
        for sid, name, qualifier in self.conn.execute(
                "SELECT s.sid, r.name, r.qualifier FROM refs r JOIN files f ON f.id=r.file_id JOIN symbols s"
                " ON s.id=r.scope WHERE f.path=? AND r.kind='base' ORDER BY r.id", (path,)):
            found[sid].append((name, qualifier))
        return found

    def annotated(self, path: str) -> Annotated:
        """The file's functions' annotated variables (see `Annotated`)."""
        return annotated_variables(self.conn.execute(
            "SELECT a.scope, a.name, a.line, a.type_name, a.type_qualifier, a.col, a.end_line, a.end_col"
            " FROM annotations a JOIN files f"
            " ON f.id=a.file_id WHERE f.path=? ORDER BY a.rowid", (path,)))

    def exports(self, path: str) -> list[tuple[str, str]]:
        """(name, qualifier) of the file's `export` references: its JavaScript default export, its Python
        `__all__`."""
        return self.conn.execute(
            "SELECT r.name, r.qualifier FROM refs r JOIN files f ON f.id=r.file_id WHERE f.path=? AND r.kind='export'"
            " ORDER BY r.id", (path,)).fetchall()


class Linker:
    """Resolves references of parsed files, and re-resolves the edges into changed ones."""

    def __init__(self, conn: sqlite3.Connection, all_paths: set[str], writer: FactsWriter,
                 parsed: list[Parsed], cold: bool) -> None:
        self.conn = conn
        self.file_ids = dict(writer.ids)
        self.first_ref = writer.first_ref
        self.languages = writer.languages
        self.all_paths = all_paths
        self.stored = StoredTables(conn, all_paths)
        self.resolver = Resolver(
            self._language,
            self._load_top,
            self._load_members,
            self._load_imports,
            self.stored.files_in_dir,
            all_paths.__contains__,
            self._load_exports,
            self._load_receiver,
            self._load_local_imports,
            self._load_scopes,
            self._load_bases,
            self._load_annotated,
        )
        # On a cold build everything is in memory: the resolver never asks the database.
        self.memory = _Memory.of(parsed, writer) if cold else None

    def _language(self, path: str) -> str | None:
        if path in self.languages:  # a file parsed now
            return self.languages[path]
        return self.stored.language(path)

    def _load_top(self, path: str) -> dict[str, str]:
        return self.memory.top.get(path, {}) if self.memory else self.stored.top(path)

    def _load_members(self, sid: str) -> dict[str, str]:
        return self.memory.members.get(sid, {}) if self.memory else self.stored.members(sid)

    def _load_imports(self, path: str) -> list[ImportRow]:
        return self.memory.imports.get(path, []) if self.memory else self.stored.imports(path)

    def _load_local_imports(self, path: str) -> LocalImports:
        return self.memory.local_imports.get(path, {}) if self.memory else self.stored.local_imports(path)

    def _load_scopes(self, path: str) -> Scopes:
        return self.memory.scopes.get(path, Scopes()) if self.memory else self.stored.scopes(path)

    def _load_receiver(self, sid: str) -> str:
        return self.memory.receivers.get(sid, "") if self.memory else self.stored.receiver(sid)

    def _load_bases(self, path: str) -> Bases:
        return self.memory.bases.get(path, {}) if self.memory else self.stored.bases(path)

    def _load_annotated(self, path: str) -> Annotated:
        return self.memory.annotated.get(path, {}) if self.memory else self.stored.annotated(path)

    def _load_exports(self, path: str) -> list[tuple[str, str]]:
        return self.memory.exports.get(path, []) if self.memory else self.stored.exports(path)

    def _target_file(self, target: str | None) -> int | None:
        if not target:
            return None
        path = split_id(target)[0]
        if path not in self.file_ids:
            row = self.conn.execute("SELECT id FROM files WHERE path=?", (path,)).fetchone()
            self.file_ids[path] = row[0] if row else None
        return self.file_ids[path]

    def resolve_refs(self, parsed: list[Parsed]) -> None:
        """Fill in the targets of the parsed files' references (written without by FactsWriter)."""
        resolve = self.resolver.resolve_ref
        known = self.memory.names if self.memory else None
        updates = []
        for item in parsed:
            path = item.path
            first = self.first_ref[path]
            names, kinds, qualifiers, scopes = item.refs[0], item.refs[3], item.refs[4], item.refs[5]
            scoped = (self.resolver.scope_dependent(path, False), self.resolver.scope_dependent(path, True))
            local = self.resolver.local_names(path)  # empty but in the few files importing in a function
            defined = self.resolver.scoped_names(path)  # the names its functions and classes define
            typed = self.resolver.annotated_names(path)  # the variables its functions annotate with a class
            lines, cols = item.refs[1], item.refs[2]
            seen: dict[tuple, tuple | None] = {}  # within a file the answer depends on name and qualifier only
            for n, name in enumerate(names):
                if known is not None and name not in known:  # can name nothing in the tree
                    continue
                qualifier = qualifiers[n]
                # but for `self.x` (and `self.Inner.m`, `super().x`), a bare name in Java, which may be a member of
                # the class it is in, a name a Go method's receiver qualifies, a name an import in a function may
                # bind (or the head of a dotted qualifier), one a function or class defines, and a base (`class A(A)`
                # reads the A imported, and A() the class)
                key = (name, qualifier, scopes[n], kinds[n]) if qualifier in SELF_NAMES \
                    or qualifier.startswith(_READ_FROM_CLASS) or scoped[bool(qualifier)] or kinds[n] == "base" \
                    or (local and ((qualifier or name) in local or _head(qualifier) in local)) \
                    or (not qualifier and name in defined) \
                    else (name, qualifier)
                if typed and _head(qualifier) in typed:  # and a variable annotated by position
                    key = (name, qualifier, scopes[n], kinds[n], lines[n], cols[n])
                if key not in seen:
                    target = resolve(path, name, qualifier, scopes[n], kinds[n], lines[n], cols[n])
                    seen[key] = (target, self._target_file(target)) if target else None
                found = seen[key]
                if found:
                    updates.append((*found, first + n))
        self.conn.executemany("UPDATE refs SET target=?, target_file=? WHERE id=?", updates)

    def relink(self, importers_of: set[str], retarget: dict[str, set[str]], vanished: set[str], appeared: set[str],
               changed: set[str], rebound: set[str] = frozenset(), rebased: set[str] = frozenset()) -> int:
        """Re-resolve the references whose answer the change can alter; returns how many.

        Those are: references anywhere to a symbol that vanished; open references anywhere
        named like a symbol that appeared; in the files importing the changed files at any depth, the
        references using the name of a symbol that appeared or vanished, as their name or a step of their
        dotted use (it may shadow a submodule, a star import's or a re-export's name, or stop); all references
        of files whose import targets moved (`retarget`); all references of the files importing `importers_of` (the
        changed files whose own imports changed, since re-exports pass through them); and,
        in the files importing those files in turn, at any depth, the references that
        use a name in `rebound` (the names the changed imports bind: re-export chains), and
        likewise above the files of `retarget`, for the names their moved imports bind. Then, for
        the classes whose bases resolve anew (`rebased`, the changed files' own, and those whose base
        references this redid to another target) and their subclasses at any depth, the uses that can
        inherit through them: their names' uses in the files importing theirs, `self.x` in their methods.
        """
        conn = self.conn
        redo = set(retarget)
        for path in importers_of:
            redo.update(r[0] for r in conn.execute(
                "SELECT DISTINCT f.path FROM imports i JOIN files f ON f.id=i.file_id WHERE i.target IN (?, ?)",
                (path, posixpath.dirname(path))))
            redo.update(self._package_importers(path))
        redo -= changed
        select = (
            "SELECT r.id, f.path, r.name, r.qualifier, s.sid, r.kind, r.target, r.line, r.col FROM refs r JOIN files f"
            " ON f.id=r.file_id LEFT JOIN symbols s ON s.id=r.scope WHERE "
        )
        stale = {row[0]: row for sid in vanished for row in conn.execute(select + "r.target=?", (sid,))}
        if importers_of and rebound:
            stale.update((row[0], row) for row in self._through_reexports(select, importers_of, rebound))
        if retarget:  # `pkg/__init__.py` star-imported a module that is gone: `from pkg import helper` elsewhere
            moved_names = rebound.union(*retarget.values())
            stale.update((row[0], row) for row in self._through_reexports(select, set(retarget), moved_names))
        for name in appeared:
            stale.update((row[0], row) for row in conn.execute(select + "r.name=? AND r.target IS NULL", (name,)))
        # a name that appears or goes can shadow, or stop shadowing, what the importers resolved it to (a submodule,
        # a star import's name, a re-export, an inherited member), as their name or a step of their dotted use; and
        # `from .helpers import helper as help_alias`: the uses of the alias, through re-exports too
        shadowing = (appeared | {bare_name(sid) for sid in vanished} | self._aliases_of(appeared, changed)) - {""}
        if shadowing and changed:
            reached = changed.union(*map(self._package_importers, changed))
            stale.update((row[0], row) for row in self._through_reexports(select, reached, shadowing))
        for path in redo:
            stale.update((row[0], row) for row in conn.execute(select + "f.path=?", (path,)))
        total, moved_bases = self._redo(stale.values(), changed)
        rebased, done = set(rebased) | moved_bases, set()
        while rebased - done:  # a subclass's base redone to another class is rebased in turn
            fresh = rebased - done
            done |= fresh
            redone, moved_bases = self._redo(self._inheriting(select, fresh), changed)
            total += redone
            rebased |= moved_bases
        return total

    def _redo(self, rows: Iterable[tuple], changed: set[str]) -> tuple[int, set[str]]:
        """Re-resolve the references (rows of `relink`'s select) outside the changed files; returns how many,
        and the classes whose base references now name another target."""
        updates, rebased = [], set()
        for rid, path, name, qualifier, scope, kind, old, line, col in rows:
            if path in changed:
                continue
            target = self.resolver.resolve_ref(path, name, qualifier, scope, kind, line, col)
            updates.append((target, self._target_file(target), rid))
            if kind == "base" and target != old:
                rebased.add(scope)
        self.conn.executemany("UPDATE refs SET target=?, target_file=? WHERE id=?", updates)
        return len(updates), rebased

    def _inheriting(self, select: str, classes: set[str]) -> list[tuple]:
        """The references whose target can be a member inherited through `classes`: those naming one of
        them or of their subclasses at any depth, in the files importing theirs at any depth (`Sub.m`,
        `mod.Sub.m`), and `self.m` (`cls.m`, `super().m`) in those classes' files."""
        below = {sid for (sid,) in self.conn.execute(
            "WITH RECURSIVE sub(sid) AS (SELECT value FROM json_each(?) UNION SELECT s.sid FROM refs r"
            " JOIN sub ON r.target = sub.sid JOIN symbols s ON s.id = r.scope WHERE r.kind = 'base')"
            " SELECT sid FROM sub",
            (json.dumps(sorted(classes)),))}
        paths = {split_id(sid)[0] for sid in below}
        own = self.conn.execute(
            select + f"f.path IN (SELECT value FROM json_each(?)) AND ({_QUALIFIER_HEAD} IN (?, ?, ?)"
            " OR substr(r.qualifier, 1, 6) = ?)",
            (json.dumps(sorted(paths)), *SELF_NAMES, SUPER_PREFIX)).fetchall()
        return own + self._through_reexports(select, paths, {bare_name(sid) for sid in below})

    def _package_importers(self, path: str) -> set[str]:
        """The files whose `import pkg.sub` binds `pkg` too where `path` is pkg's __init__.py, so that their `pkg.f`
        reads it; none for another file."""
        if "/" not in path or not is_package_init(path):
            return set()
        folder = posixpath.dirname(path)
        return {r[0] for r in self.conn.execute(
            "SELECT DISTINCT f.path FROM imports i JOIN files f ON f.id=i.file_id WHERE i.names = '' AND "
            "i.alias IS NULL AND i.target > ? AND i.target < ?", (f"{folder}/", f"{folder}0"))}

    def _aliases_of(self, names: set[str], files: set[str]) -> set[str]:
        """The names other files import `names` of `files` under (`import helper as help_alias`): a use of the
        alias stayed unresolved when `helper` went and came back, as only uses named `helper` were redone."""
        if not names or not files:
            return set()
        targets = sorted(files | {posixpath.dirname(path) for path in files})
        return {row[0] for row in self.conn.execute(
            "SELECT DISTINCT alias FROM imports WHERE alias IS NOT NULL AND names IN (SELECT value FROM json_each(?))"
            " AND target IN (SELECT value FROM json_each(?))", (json.dumps(sorted(names)), json.dumps(targets)))}

    def _through_reexports(self, select: str, moved: set[str], names: set[str]) -> list[tuple]:
        """The references, in the files that import the moved files at any depth, that use one of `names`
        as their name or as a name of their qualifier: its head (`json.dumps` once `json` is bound anew), or a later
        step (`mod.Model.save` once mod.py imports another Model)."""
        conn = self.conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS relink_names (name TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM temp.relink_names")
        conn.executemany("INSERT OR IGNORE INTO temp.relink_names VALUES (?)", [(n,) for n in names])
        # only the files that write one of the names are read whole (a step of a dotted use is a reference of its
        # own): the files importing a package's __init__.py are most of a tree, and most names are in few files
        writing = {fid for (fid,) in conn.execute(
            "SELECT DISTINCT r.file_id FROM temp.relink_names n CROSS JOIN refs r ON r.name = n.name")}
        typed = self._annotating(names)
        writing.update(fid for fid, _ in typed)
        if not writing:
            return []
        closure = (
            "WITH RECURSIVE up(path) AS (SELECT value FROM json_each(?) UNION SELECT f.path FROM imports i"
            " JOIN files f ON f.id=i.file_id JOIN up ON i.target = up.path) SELECT f.id FROM up JOIN files f"
            " ON f.path = up.path"
        )
        reached = writing.intersection(fid for (fid,) in conn.execute(closure, (json.dumps(sorted(moved)),)))
        step = ("instr(r.qualifier, '.') > 0 AND EXISTS (SELECT 1 FROM temp.relink_names n"
                " WHERE instr('.' || r.qualifier || '.', '.' || n.name || '.') > 0)")
        # a name in a call of the qualifier (`super(X)` of `super(X, self).m()`, `A()` of `A().m()`, `mod.A()`) once
        # X or A is bound anew
        step += (" OR instr(r.qualifier, '(') > 0 AND EXISTS (SELECT 1 FROM temp.relink_names n"
                 " WHERE instr('.' || replace(replace(r.qualifier, '(', '.'), ')', '.'), '.' || n.name || '.') > 0)")
        variables = [[fid, name] for fid, name in typed if fid in reached]  # `p.x` is a use of the class `p: C` names
        return conn.execute(
            select + f"r.file_id IN (SELECT value FROM json_each(?)) AND (r.name IN temp.relink_names"
            f" OR (r.qualifier != '' AND ({_QUALIFIER_HEAD} IN temp.relink_names OR {step}"
            f" OR json_array(r.file_id, {_QUALIFIER_HEAD}) IN (SELECT value FROM json_each(?)))))",
            (json.dumps(sorted(reached)), json.dumps(variables))).fetchall()

    def _annotating(self, names: set[str]) -> set[tuple[int, str]]:
        """(file id, variable) of the variables annotated with a class written with one of `names` (as its name or
        a step of its qualifier: `p: B`, `q: "c.C"`): their uses read that name as `B.m` does."""
        return {(fid, name) for fid, name, type_name, qualifier in self.conn.execute(
            "SELECT file_id, name, type_name, type_qualifier FROM annotations WHERE type_name IN temp.relink_names"
            " OR type_qualifier != ''")
            if type_name in names or not names.isdisjoint(qualifier.split("."))}


def rebound_names(conn: sqlite3.Connection, before: set[tuple], after: set[tuple]) -> set[str]:
    """The names whose meaning can change for files importing a changed file, from its import rows and
    `export` references before and after (rows as `Index._import_rows` reads them, file id first).

    The names its changed imports of the tree's files bind (each name, alias and part of the module; an
    import of code outside the tree can change no target); for a star import, the
    top-level names of the file it names; for a changed default export, the names that importers bind
    a default or a required module to (an importer chooses that name); for a changed `__all__`, every
    name the file defines or imports at its top (a star import of it takes all or some of them)."""
    names: set[str] = set()
    changed = {r[1:] for r in before} ^ {r[1:] for r in after}
    if any(len(row) == 3 for row in changed):  # an export row: ("export", name, qualifier)
        names.update(a for (a,) in conn.execute(
            "SELECT DISTINCT alias FROM imports WHERE alias IS NOT NULL AND names IN ('', 'default')"))
    exporting = {r[0] for r in before ^ after if len(r) == 4}
    for row in (r for r in before | after if r[0] in exporting):
        names.update(_bound_names(row[1:]) if len(row) != 4 else [row[2]])
    for fid in exporting:
        names.update(n for (n,) in conn.execute(
            "SELECT s.name FROM symbols s JOIN files f ON f.id=s.file_id WHERE f.id=? AND s.parent=f.path || '::'",
            (fid,)))
    for row in changed:
        if len(row) == 3:
            continue
        target = row[4]
        if not target:  # a name bound to code outside the tree resolves to nothing, through any chain
            continue
        names.update(_bound_names(row))
        if any(n.partition(" as ")[0] == "*" for n in row[1].split(",")):
            names.update(_top_names(conn, [target]))
    return names


def _bound_names(row: tuple) -> set[str]:
    """The names an import row (module, names, alias, level, target) binds: each name or its alias, each part
    of the module, the module's alias."""
    module, bound, alias = row[:3]
    parts = [n.partition(" as ") for n in bound.split(",") if n]
    names = {local or name for name, _, local in parts}
    names.update(p for p in module.replace("::", ".").replace("/", ".").split(".") if p)
    if alias:
        names.add(alias)
    return names


def relink_imports(conn: sqlite3.Connection, mmap: ModuleMap, modules: dict[str, str],
                   changed: set[str]) -> dict[str, set[str]]:
    """Re-resolve the other files' imports after files were added or removed.

    Returns the files whose import targets changed, each with the names those imports bind (for a star
    import, the top-level names of the file it named and of the one it names now): the files' references
    must be redone, and so must the uses of those names in the files importing them, at any depth.
    """
    rows = conn.execute(
        "SELECT i.id, f.path, f.language, i.module, i.names, i.alias, i.level, i.scope, i.target FROM imports i"
        " JOIN files f ON f.id = i.file_id"
    ).fetchall()
    updates, retarget = [], defaultdict(set)
    for iid, path, language, module, names, alias, level, scope, old in rows:
        if path in changed:
            continue
        target = mmap.resolve(path, language, module, level, modules.get(path), names.split(",") if names else [],
                              scope)
        if target != old:
            updates.append((target, iid))
            retarget[path].update(_bound_names((module, names, alias)))
            if any(n.partition(" as ")[0] == "*" for n in names.split(",")):
                retarget[path].update(_top_names(conn, [t for t in (old, target) if t]))
    conn.executemany("UPDATE imports SET target=? WHERE id=?", updates)
    return retarget


def _top_names(conn: sqlite3.Connection, paths: list[str]) -> set[str]:
    """The names defined at the top of these files (what a star import of one takes, or more)."""
    return {n for path in paths for (n,) in conn.execute(
        "SELECT s.name FROM symbols s JOIN files f ON f.id=s.file_id WHERE f.path=? AND s.parent=?", (path, f"{path}::"))}


def write_dirs(conn: sqlite3.Connection) -> None:
    """The directory tree with each directory's count of indexed files."""
    counts: dict[str, int] = defaultdict(int)
    for (path,) in conn.execute("SELECT path FROM files WHERE status='indexed'"):
        directory = posixpath.dirname(path)
        counts[directory] += 1
        while directory:
            directory = posixpath.dirname(directory)
            counts.setdefault(directory, 0)
    conn.execute("DELETE FROM dirs")
    conn.executemany(
        "INSERT INTO dirs VALUES (?,?,?)",
        [(d, posixpath.dirname(d) if d else None, n) for d, n in sorted(counts.items())],
    )
