"""The resolver's tables in the index: resolved references and call edges.

`update` runs inside the index's write transaction on every build; it only records which
Python files changed (cheap, so indexing stays fast). `ensure` resolves them when a
query needs the answers: the changed files, and the importers of each module whose digest
(`interface`: what importers can see of it) changed, transitively, analysed with what they
reach and with the files that call into them (`relay`: and those that pass their callers' values on into them);
their rows replaced in one transaction.
"""

from __future__ import annotations

import posixpath
import sqlite3
from pathlib import Path

from codewright.cycles import no_cycle_collection
from codewright.graph.pyresolve import analyze_tree, interface, link_tree
from codewright.graph.pyresolve.model import ModuleInfo, char_col, full_name, sid
from codewright.graph.pyresolve.program import Progress
from codewright.graph.pyresolve.relay import ids_of, relaying_callers
from codewright.graph.resolve import is_package_init
from codewright.graph.store import transaction

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
CREATE TABLE IF NOT EXISTS pyresolve_digests (path TEXT PRIMARY KEY, digest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pyresolve_imports (path TEXT NOT NULL, target TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS resolved_refs_path ON resolved_refs(path, line, col);
CREATE INDEX IF NOT EXISTS resolved_refs_target ON resolved_refs(target);
CREATE INDEX IF NOT EXISTS calls_caller ON calls(caller);
CREATE INDEX IF NOT EXISTS calls_callee ON calls(callee);
CREATE INDEX IF NOT EXISTS calls_path ON calls(path);
"""
MAX_REF_TARGETS = 8
# How the rows and digests were made, in the index's meta table: a change to the resolver's rows or to what a
# digest covers numbers a new one. An index resolved by another (or before the number was kept) is resolved whole
# again, once, as on first use: its digests all differed from today's, so an update widened to nearly every module
# in rounds, and kept an older resolver's rows where it did not reach.
FORMAT = ("callgraph_format", "5")


def create_tables(conn: sqlite3.Connection) -> None:
    conn.executescript(_SCHEMA) if not conn.in_transaction else [conn.execute(s) for s in _SCHEMA.split(";")
                                                                  if s.strip()]


def update(conn: sqlite3.Connection, root: Path, changed_paths: list[str], removed_paths: list[str]) -> None:
    create_tables(conn)
    rows = [(p,) for p in list(changed_paths) + list(removed_paths) if p.endswith(".py") or is_package_init(p)]
    conn.executemany("INSERT OR IGNORE INTO pyresolve_dirty(path) VALUES (?)", rows)


def _indexed_python(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT path FROM files WHERE status='indexed' AND path LIKE '%.py'")}


def _package_stubs(conn: sqlite3.Connection) -> set[str]:
    """The __init__.pyi stubs: each makes its folder a package, as for the index (`python_modules`), though
    the call graph resolves no calls in a stub. Without them a folder holding one and no __init__.py was a plain
    folder here and a package in the index: `import util` in pkg/mod.py found pkg/util.py, not the util.py the
    index and Python find."""
    rows = conn.execute("SELECT path FROM files WHERE status='indexed' AND path LIKE '%.pyi'")
    return {r[0] for r in rows if is_package_init(r[0])}


def _import_edges(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return list(conn.execute(
        "SELECT f.path, i.target FROM imports i JOIN files f ON f.id = i.file_id WHERE i.target IS NOT NULL"))


def _pointing_into(conn: sqlite3.Connection, paths: set[str]) -> set[str]:
    """The files whose resolved names or calls lead into `paths`: they are redone with them. The import edges of
    today miss some: a deleted file's importers no longer resolve their import to it, and a module that uses a
    class through another module's re-export (`from child import Child` for base.py's class) imports only that
    other module; both kept edges to what was no longer there."""
    found: set[str] = set()
    for path in paths:
        for table, column in (("calls", "callee"), ("resolved_refs", "target")):
            found.update(row[0] for row in conn.execute(
                f"SELECT DISTINCT path FROM {table} WHERE {column} >= ? AND {column} < ?", ids_of(path)))
    return found


def dirty_count(conn: sqlite3.Connection) -> int:
    """The files changed since the call graph was last resolved (the next `ensure` redoes at least these); every
    Python file when it was resolved in another `FORMAT`."""
    create_tables(conn)
    if not _current(conn):
        return len(_indexed_python(conn))
    return conn.execute("SELECT count(*) FROM pyresolve_dirty").fetchone()[0]


def _current(conn: sqlite3.Connection) -> bool:
    """Whether the call graph stored was resolved in today's `FORMAT`."""
    row = conn.execute("SELECT value FROM meta WHERE key=?", FORMAT[:1]).fetchone()
    return row is not None and row[0] == FORMAT[1]


def another_format(conn: sqlite3.Connection) -> bool:
    """Whether the call graph stored was resolved, by a version of another `FORMAT` (or one from before it was
    kept: digests but no number): the next `ensure` resolves the whole program, as on first use, though no file
    may have changed since."""
    create_tables(conn)
    return not _current(conn) and (conn.execute("SELECT 1 FROM meta WHERE key=?", FORMAT[:1]).fetchone() is not None
                                   or conn.execute("SELECT 1 FROM pyresolve_digests LIMIT 1").fetchone() is not None)


def ensure(conn: sqlite3.Connection, root: Path, progress: Progress | None = None) -> int:
    """Resolve the files changed since the last query; returns how many were re-resolved. `progress` is told
    each step of the analysis (`Program.progress`) and the writing of its rows.

    The rows equal a cold build's as far as names, imports, re-exports and a module's syntax carry the change:
    the fuzzer of imports, star imports, aliases and `__all__` finds no difference. Known gaps, where a cold
    build can differ (an edit of the file concerned, or a cold build, puts it right):
    - values that flow into a file from further than its callers' callers: an update analyses the redone files
      with what they import, with their direct callers (the files whose stored rows lead into them) and with the
      callers of a function there that passes a parameter on into them as an argument (`relay`: `h(g)` in c,
      `def h(cb): f(cb)` in b, f in the redone a); what comes from one more level up, or through a receiver or a
      value built from a parameter (`cb.run()`, `f(cb.x)`), is missing, as are values a changed file passes into
      files it is not redone with (its callees' parameters);
    - a value that changes without the syntax of its module changing, seen through more than a name: a
      module-level `x = make()` whose `make` changed elsewhere, `a.f().g()` where only what f's return holds
      changed (the files whose rows led into the changed module are redone, new paths are not found);
    - node sets cut at their size bound (MAX_PTS objects, MAX_EXT_PER_NODE external names minted) keep what
      reached them first; an update reaches them with other values, in another order, so it may keep others.
      Most call sites that differ on django after an update hold other candidates altogether (16 external
      `connection.cursor` names cut in a cold build, 2 uncut in the update), which no choice among them would
      make agree. Two whole-program runs of django building the modules in opposite orders differ at 5,822 of
      149,164 call sites; keeping the least by a stable key within each batch that overflows a bound left
      5,559: what passes a bound depends on what came before it, not on the order within a batch, and keeping
      the least whatever the order would take objects back out of a node after they have moved on. Without the
      bounds the analysis of django passed 12 GB in two minutes.
    """
    create_tables(conn)
    dirty = {r[0] for r in conn.execute("SELECT path FROM pyresolve_dirty")}
    current = _current(conn)
    if not dirty and current:
        return 0
    with no_cycle_collection():  # see `_resolve`
        return _resolve(conn, root, dirty, current, progress)


def _resolve(conn: sqlite3.Connection, root: Path, dirty: set[str], current: bool, progress: Progress | None) -> int:
    """`ensure`'s work, with the cycle collector off until the programs are released (`Program.release`): the
    analysis holds millions of objects, and a collection while they lived walked them all (on django's first
    question, one pass over 8.7 million as the analysis ended, 3.5 of its 27 CPU seconds) for the 0.7 million
    that were garbage (`ast.dump`'s closures, from the digests); freed by reference counting (1.3 s), the
    analysis leaves the collector only those (0.25 s)."""
    present = _indexed_python(conn)
    tree = present | _package_stubs(conn)
    folders: dict[str, list[str]] = {}
    for path in present:
        folders.setdefault(posixpath.dirname(path), []).append(path)
    edges = {(src, t) for src, target in _import_edges(conn) for t in _expand(target, present, folders)}
    importers: dict[str, set[str]] = {}
    for src, target in edges | set(conn.execute("SELECT path, target FROM pyresolve_imports")):
        importers.setdefault(target, set()).add(src)  # of today, and of the last resolution: a deleted file's
    packages = {p for p in tree if is_package_init(p)}
    stored = dict(conn.execute("SELECT path, digest FROM pyresolve_digests")) if current else {}
    if not stored or packages != {r[0] for r in conn.execute("SELECT path FROM pyresolve_packages")}:
        redo = set(present)  # first use, another FORMAT, or a package appeared or went (the modules below it have
        # other names now)
        prog = _analyse(root, redo, tree, set(), progress)
        found = interface.digests(prog, redo)
    else:  # a stub changed without a package appearing or going changes nothing here
        redo, prog, found = _settle(conn, root, {p for p in dirty if p.endswith(".py")}, present, tree, importers,
                                    stored, progress)
    if progress:
        progress("writing", 0, None)
    with transaction(conn):  # the index's connection commits each statement alone: `with conn` began nothing
        for p in dirty | redo:
            for table in ("resolved_refs", "calls", "pyresolve_digests"):
                conn.execute(f"DELETE FROM {table} WHERE path=?", (p,))
        _write(conn, prog, redo)
        conn.executemany("INSERT INTO pyresolve_digests(path, digest) VALUES (?, ?)", sorted(found.items()))
        conn.execute("DELETE FROM pyresolve_imports")
        conn.executemany("INSERT INTO pyresolve_imports(path, target) VALUES (?, ?)", sorted(edges))
        conn.execute("DELETE FROM pyresolve_dirty")
        conn.execute("DELETE FROM pyresolve_packages")
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", FORMAT)
        conn.executemany("INSERT INTO pyresolve_packages(path) VALUES (?)", [(p,) for p in sorted(packages)])
    prog.release()
    return len(redo)


def _settle(conn: sqlite3.Connection, root: Path, dirty: set[str], present: set[str], tree: set[str],
            importers: dict[str, set[str]], stored: dict[str, str], progress: Progress | None):
    """The files to redo, their analysis and digests: the changed files; a module whose digest (what importers see
    of it) changed brings in its importers and the files whose rows lead into it, and so on until no digest
    changes (early cutoff). A file added or deleted changes its package too: `pkg.sub.mod` is an attribute of
    the package. The digests are syntactic, so the rounds only parse; the files settled on are analysed once.
    `tree` is `present` with the package stubs that name modules."""
    redo = dirty & present
    changed = (dirty - present) | {p for p in redo if p not in stored}
    changed |= {_package_of(p, present) for p in changed} - {None}
    widened: set[str] = set()
    while True:
        for path in changed:
            redo |= importers.get(path, set()) & present
        redo |= _pointing_into(conn, changed) & present
        widened |= changed
        linked = link_tree(root, sorted(redo), sorted(tree))
        found = interface.digests(linked, redo)
        linked.release()
        changed = {p for p, digest in found.items() if digest != stored.get(p)} - widened
        if not changed:
            callers = _pointing_into(conn, redo) | relaying_callers(conn, root, redo, present)
            return redo, _analyse(root, redo, tree, callers & present - redo, progress), found


def _package_of(path: str, present: set[str]) -> str | None:
    init = f"{posixpath.dirname(path)}/__init__.py"
    if path.endswith("/__init__.py"):
        init = f"{posixpath.dirname(posixpath.dirname(path))}/__init__.py"
    return init if init in present else None


def _expand(target: str, present: set[str], folders: dict[str, list[str]]) -> list[str]:
    """The modules an import's target (`imports.target`) can take names from: itself, a package folder's
    __init__.py, or each module of a namespace package's folder (`from ns import m` targets ns/, and ns/m.py
    appearing changes what m is)."""
    if target in present:
        return [target]
    init = f"{target}/__init__.py"
    return [init] if init in present else folders.get(target, [])


def _analyse(root: Path, paths: set[str], tree: set[str], callers: set[str], progress: Progress | None):
    """Analyse `paths` with the files that call into them (`callers`, analysed but not written): the values they
    pass (arguments, a subclass's instance as `self`, `mod.attr = x`) reach the parameters and names of `paths`
    as in a whole-program run, though `paths` do not import them."""
    return analyze_tree(root, sorted(paths | callers), record_refs=True, tree=sorted(tree), progress=progress)


def _write(conn: sqlite3.Connection, prog, keep: set[str]) -> None:
    """The rows of the files in `keep`: their call edges and what their names resolve to."""
    e = prog.e
    call_rows = []
    ref_rows = []
    for site in e.sites:
        caller = site.caller
        mod = caller if isinstance(caller, ModuleInfo) else caller.module
        path = mod.path
        if path not in keep or not (site.targets or site.classes):
            continue
        in_tree = {full_name(d): d for d in site.defs}
        line, col = site.ref or (site.line, site.col)  # at the method's name in `obj.method(x)`, as refs has it
        col = char_col(mod, line, col)  # the syntax tree counts bytes, the index characters
        for name in sorted(site.targets):
            d = in_tree.get(name)
            target, external = (sid(d), 0) if d is not None else (name, 1)
            call_rows.append((sid(caller), target, path, line, col, external))
            if site.ref is not None:  # `obj.method(...)`: the method name refers to the callee
                ref_rows.append((path, line, col, target, external))
        call_rows.extend((sid(caller), target, path, line, col, 0)
                         for target in sorted(map(sid, site.classes)))  # a construction calls its class
    conn.executemany("INSERT INTO calls VALUES (?,?,?,?,?,?)", call_rows)
    for mod in prog.analysed():
        if mod.path not in keep:
            continue
        for line, col, node in mod.refs:
            for target, external in _targets(e, node):
                ref_rows.append((mod.path, line, char_col(mod, line, col), target, external))
    conn.executemany("INSERT INTO resolved_refs VALUES (?,?,?,?,?)", ref_rows)


def _targets(e, node: int) -> list[tuple[str, int]]:
    """What a name use refers to, the first MAX_REF_TARGETS by symbol id or external name: a cut by object number
    kept whichever objects were made first, and an update builds the modules in another order than a cold build."""
    out = set()
    for o in e.pts[node]:
        kind = e.kinds[o]
        if kind in ("func", "class") or kind == "module" and not e.data[o].namespace:  # a folder is no symbol
            out.add((sid(e.data[o]), 0))
        elif kind == "bound":
            out.add((sid(e.data[o][0]), 0))
        elif kind == "ext":
            out.add((e.data[o], 1))
        elif kind == "builtin":
            out.add((f"<builtin>.{e.data[o]}", 1))
    return sorted(out)[:MAX_REF_TARGETS]
