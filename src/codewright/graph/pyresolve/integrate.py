"""The resolver's tables in the index: resolved references and call edges.

`update` runs inside the index's write transaction on every build; it only records which
Python files changed (cheap, so indexing stays fast). `ensure` resolves them when a
query needs the answers: the changed files and every file importing them (transitively),
analysed together with the modules they reach, their rows replaced in one transaction.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from codewright.graph.pyresolve.model import ModuleInfo, full_name

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resolved_refs (
    path TEXT NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL,
    target TEXT NOT NULL, external INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    caller TEXT NOT NULL, callee TEXT NOT NULL,
    path TEXT NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL, external INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pyresolve_dirty (path TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS pyresolve_packages (path TEXT PRIMARY KEY);
CREATE INDEX IF NOT EXISTS resolved_refs_path ON resolved_refs(path, line, col);
CREATE INDEX IF NOT EXISTS resolved_refs_target ON resolved_refs(target);
CREATE INDEX IF NOT EXISTS calls_caller ON calls(caller);
CREATE INDEX IF NOT EXISTS calls_callee ON calls(callee);
CREATE INDEX IF NOT EXISTS calls_path ON calls(path);
"""
MAX_REF_TARGETS = 8


def create_tables(conn: sqlite3.Connection) -> None:
    conn.executescript(_SCHEMA) if not conn.in_transaction else [conn.execute(s) for s in _SCHEMA.split(";")
                                                                  if s.strip()]


def update(conn: sqlite3.Connection, root: Path, changed_paths: list[str], removed_paths: list[str]) -> None:
    create_tables(conn)
    rows = [(p,) for p in list(changed_paths) + list(removed_paths) if p.endswith(".py")]
    conn.executemany("INSERT OR IGNORE INTO pyresolve_dirty(path) VALUES (?)", rows)


def sid(defn) -> str:
    if isinstance(defn, ModuleInfo):
        return f"{defn.path}::"
    return f"{defn.module.path}::{defn.qual}"


def _indexed_python(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT path FROM files WHERE status='indexed' AND path LIKE '%.py'")}


def _import_edges(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return list(conn.execute(
        "SELECT f.path, i.target FROM imports i JOIN files f ON f.id = i.file_id WHERE i.target IS NOT NULL"))


def _importers(changed: set[str], importers: dict[str, set[str]]) -> set[str]:
    """The changed files and those importing them; through a package's __init__.py (a
    re-export) the importers of the package too, transitively."""
    seen = set(changed)
    todo = list(changed)
    while todo:
        path = todo.pop()
        for imp in importers.get(path, ()):
            if imp not in seen:
                seen.add(imp)
                if imp.endswith("__init__.py"):
                    todo.append(imp)
    return seen


def _pointing_into(conn: sqlite3.Connection, paths: set[str]) -> set[str]:
    """The files whose resolved names or calls lead into `paths`: they are redone with them. The import edges of
    today miss some: a deleted file's importers no longer resolve their import to it, and a module that uses a
    class through another module's re-export (`from child import Child` for base.py's class) imports only that
    other module; both kept edges to what was no longer there."""
    found: set[str] = set()
    for path in paths:
        bounds = (f"{path}::", f"{path}:;")  # every id of the file: `;` follows `:`, so a range the index serves
        for table, column in (("calls", "callee"), ("resolved_refs", "target")):
            found.update(row[0] for row in conn.execute(
                f"SELECT DISTINCT path FROM {table} WHERE {column} >= ? AND {column} < ?", bounds))
    return found


def dirty_count(conn: sqlite3.Connection) -> int:
    """The files changed since the call graph was last resolved (the next `ensure` redoes at least these)."""
    create_tables(conn)
    return conn.execute("SELECT count(*) FROM pyresolve_dirty").fetchone()[0]


def ensure(conn: sqlite3.Connection, root: Path) -> int:
    """Resolve the files changed since the last query; returns how many were re-resolved."""
    create_tables(conn)
    dirty = {r[0] for r in conn.execute("SELECT path FROM pyresolve_dirty")}
    if not dirty:
        return 0
    present = _indexed_python(conn)
    importers: dict[str, set[str]] = {}
    for src, target in _import_edges(conn):
        for t in _expand(target, present):
            importers.setdefault(t, set()).add(src)
    packages = {p for p in present if p.endswith("__init__.py")}
    if packages != {r[0] for r in conn.execute("SELECT path FROM pyresolve_packages")}:
        redo = present  # a package appeared or went: the modules below it have other names now
    else:
        redo = _importers(dirty & present, importers) | (_pointing_into(conn, dirty) & present)
    with conn:
        for p in dirty | redo:
            conn.execute("DELETE FROM resolved_refs WHERE path=?", (p,))
            conn.execute("DELETE FROM calls WHERE path=?", (p,))
        if redo:
            write(conn, root, sorted(redo), sorted(present))
        conn.execute("DELETE FROM pyresolve_dirty")
        conn.execute("DELETE FROM pyresolve_packages")
        conn.executemany("INSERT INTO pyresolve_packages(path) VALUES (?)", [(p,) for p in sorted(packages)])
    return len(redo)


def _expand(target: str, present: set[str]) -> list[str]:
    if target in present:
        return [target]
    init = f"{target}/__init__.py"
    return [init] if init in present else []


def write(conn: sqlite3.Connection, root: Path, paths: list[str], tree: list[str]) -> None:
    """The rows of `paths`, analysed with the modules of the tree they reach (loaded as names resolve to them)."""
    from codewright.graph.pyresolve import analyze_tree

    prog = analyze_tree(root, paths, record_refs=True, tree=tree)
    keep = set(paths)
    e = prog.e
    call_rows = []
    ref_rows = []
    for site in e.sites:
        caller = site.caller
        path = caller.path if isinstance(caller, ModuleInfo) else caller.module.path
        if path not in keep or not (site.targets or site.classes):
            continue
        in_tree = {full_name(d): d for d in site.defs}
        for name in sorted(site.targets):
            d = in_tree.get(name)
            target, external = (sid(d), 0) if d is not None else (name, 1)
            call_rows.append((sid(caller), target, path, site.line, site.col, external))
            if site.ref is not None:  # `obj.method(...)`: the method name refers to the callee
                ref_rows.append((path, site.ref[0], site.ref[1], target, external))
        call_rows.extend((sid(caller), target, path, site.line, site.col, 0)
                         for target in sorted(map(sid, site.classes)))  # a construction calls its class
    conn.executemany("INSERT INTO calls VALUES (?,?,?,?,?,?)", call_rows)
    for mod in prog.analysed():
        if mod.path not in keep:
            continue
        for line, col, node in mod.refs:
            for target, external in _targets(e, node):
                ref_rows.append((mod.path, line, col, target, external))
    conn.executemany("INSERT INTO resolved_refs VALUES (?,?,?,?,?)", ref_rows)


def _targets(e, node: int) -> list[tuple[str, int]]:
    out = []
    for o in sorted(e.pts[node])[:MAX_REF_TARGETS * 2]:
        kind = e.kinds[o]
        if kind in ("func", "class", "module"):
            out.append((sid(e.data[o]), 0))
        elif kind == "bound":
            out.append((sid(e.data[o][0]), 0))
        elif kind == "inst":
            continue
        elif kind == "ext":
            out.append((e.data[o], 1))
        elif kind == "builtin":
            out.append((f"<builtin>.{e.data[o]}", 1))
    return out[:MAX_REF_TARGETS]


