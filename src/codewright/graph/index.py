"""`Index`: build and update the knowledge graph of one tree, and query it.

A build is discover -> compare -> parse -> write -> resolve, in one write transaction:

- compare: a file whose stat (size, mtime, ctime, inode) is unchanged is not even read, unless its
  times are not clearly older than the start of the build that last compared it (git's "racy clean":
  a change in the same tick of the file system's clock keeps them); one whose bytes hash the same is
  only re-stamped. So a second run on an unchanged tree parses nothing, and reads only files written
  while the last build ran.
- parse: changed files go to `parse.parse_file`, in a process pool on all cores when
  there are many (a cold index), in this process when there are few (an edit).
- resolve: imports of changed files are resolved against the whole tree (all imports
  when files were added or removed, since that can change what a module name means).
  References of changed files are resolved; elsewhere only the edges that can point into
  them are redone: references to symbols that vanished, open references named like
  symbols that appeared, the uses of either's name in the files importing them at any depth
  (a new module-level name shadows a submodule or a re-exported name), and, when a changed file's
  own imports changed (re-exports pass through them), every reference of the files importing it.
  That is "only that file and the edges that point into it", and it is what `Index.update(paths)`
  does for the agent after each edit.

In a git work tree whose HEAD moved since the last build, `git log` runs beside the steps after
parsing and its commits are stored afterwards (`history`), in a transaction of their own.
"""

from __future__ import annotations

import gc
import importlib
import os
import posixpath
import signal
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from codewright.cycles import no_cycle_collection
from codewright.errors import UsageError
from codewright.graph import files as discovery
from codewright.graph import history, queries, store
from codewright.graph.link import FactsWriter, Linker, rebound_names, relink_imports, write_dirs
from codewright.graph.parse import Extractor, Parsed, parse_file
from codewright.graph.resolve import ModuleMap, is_layout_file, is_package_init, python_modules
from codewright.quoting import quoted

POOL_THRESHOLD = 48  # below this many files a process pool costs more than it saves

Progress = Callable[[int, int], None]  # (files done, files to parse)


@dataclass
class BuildStats:
    files: int = 0  # files indexed (not skipped) after the run
    parsed: int = 0  # files read and extracted in this run
    unchanged: int = 0
    removed: int = 0
    skipped: int = 0
    errors: int = 0  # files with syntax errors or decode notes
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step, for benchmarks
    skipped_files: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lap = _Laps(self.phases)  # not a field: stays out of to_json

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class _FileRow:
    id: int
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    hash: str | None
    status: str


class Index:
    """The knowledge graph of one tree, stored in `ROOT/.codewright/index.db`."""

    def __init__(self, root: Path, conn: sqlite3.Connection, notices: list[str], extractor: Extractor | None):
        self.root = root
        self.conn = conn
        self.notices = notices  # e.g. "index.db ... corrupted; rebuilding the index"
        self.extractor = extractor
        self.parsed_total = 0  # files extracted by this object, for tests and benchmarks
        self._layout_cache: tuple[frozenset[str], dict[str, str], ModuleMap] | None = None

    @classmethod
    def open(cls, root: str | Path, extractor: Extractor | None = None) -> Index:
        path = Path(root)
        if not path.exists():
            raise UsageError(f"no such directory: {quoted(root)}")
        if not path.is_dir():
            raise UsageError(f"not a directory: {quoted(root)}")
        if _git_directory(path):
            raise UsageError(f"{quoted(root)} is a git repository's own folder (a bare repository, or a .git), with no work "
                             "tree to index: give the folder of a checkout")
        notices: list[str] = []
        resolved = path.resolve()
        conn = store.connect(resolved, notices)
        return cls(resolved, conn, notices, extractor)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Index:  # noqa: PYI034 - Index is final
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_empty(self) -> bool:
        return self.conn.execute("SELECT count(*) FROM files").fetchone()[0] == 0

    # ----------------------------------------------------------------- building

    def build(self, progress: Progress | None = None) -> BuildStats:
        """Bring the whole index up to date with the tree (cold or incremental)."""
        started = time.perf_counter()
        with store.lock(self.root) as now, ExitStack() as running, no_cycle_collection():  # 500 runs on django, for nothing
            stats = BuildStats()
            # git log starts once the files are parsed: it then runs on a core the serial rest of the build
            # (linking, indexes, commit) leaves idle, not against the parse workers. Stopped if the build fails.
            commits = history.BuildHistory(self.root, self.conn, running)
            lap = stats.lap
            found = discovery.discover(self.root)
            known = self._known()
            since = self._build_started()
            jobs: list[str] = []
            entries = {e.path: e for e in found.files}
            restamp: list[tuple[int, ...]] = []
            for entry in found.files:
                row = known.get(entry.path)
                state = self._compare(entry, row, since)
                if state != "changed" and row:
                    stats.unchanged += row.status == "indexed"  # an unchanged binary file counts as skipped
                    if state == "restamp":
                        restamp.append((*_stat(entry), row.id))
                else:
                    jobs.append(entry.path)
            lap("discover")
            skipped = {s.path: s.reason for s in found.skipped}
            removed = [p for p in known if p not in entries and p not in skipped]
            cold = self.is_empty
            newly_skipped = any(known.get(p) is None or known[p].status != "skipped" for p in skipped)
            with store.transaction(self.conn):
                self.conn.executemany("UPDATE files SET size=?, mtime_ns=?, ctime_ns=?, inode=? WHERE id=?",
                                      restamp)
                # each row's file is now older than `now` or was read after it: what the next build may trust
                self.conn.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                                  "value=excluded.value", (store.BUILD_STARTED, str(now)))
                if jobs or removed or newly_skipped:
                    unparsed = {p for p, r in known.items() if r.status == "skipped" and p in entries} - set(jobs)
                    self._apply(known, set(entries), unparsed, jobs, removed, skipped, entries, stats, progress,
                                commits.start)
            lap("commit")
            if commits.store():
                lap("history")
            if cold:  # fold the write-ahead log into the file once, so its size is the index's
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                lap("checkpoint")
        stats.seconds = round(time.perf_counter() - started, 3)
        self._finish(stats, found)
        return stats

    def update(self, paths: Iterable[str | Path]) -> BuildStats:
        """Re-index only these files (added, changed or deleted) and the edges pointing into them."""
        started = time.perf_counter()
        stats = BuildStats()
        with store.lock(self.root):
            wanted = {self._relative(p) for p in paths}
            known = {p: row for p, row in self._known(wanted).items()}
            # a file read but not parsed (binary) still exists: imports resolve to it, as in a cold build
            unparsed = {r[0] for r in self.conn.execute("SELECT path FROM files WHERE status='skipped' AND hash IS NOT NULL")}
            all_paths = unparsed | {r[0] for r in self.conn.execute("SELECT path FROM files WHERE status='indexed'")}
            entries: dict[str, discovery.FileEntry] = {}
            jobs, removed, skipped = [], [], {}
            for rel in wanted:
                one = discovery.Discovery()
                if rel in known or not discovery.is_ignored(self.root, rel):
                    discovery.add_entry(self.root, rel, discovery.SIZE_CAP, one)
                if one.files:
                    entries[rel] = one.files[0]
                    all_paths.add(rel)
                    jobs.append(rel)
                elif one.skipped:
                    skipped[rel] = one.skipped[0].reason
                elif rel in known:
                    removed.append(rel)
                    all_paths.discard(rel)
            all_paths -= set(skipped)
            with store.transaction(self.conn):
                self._apply(known, all_paths, unparsed - set(jobs), jobs, removed, skipped, entries, stats, None)
        stats.seconds = round(time.perf_counter() - started, 3)
        stats.files = self.conn.execute("SELECT count(*) FROM files WHERE status='indexed'").fetchone()[0]
        return stats

    def stale_paths(self) -> list[str]:
        """The tree's files added, changed or removed since the last build, sorted: what the index does not hold
        yet. Compared as a build compares them (the stat, then the hash of a file whose stat moved or is not
        clearly older than the last build), and nothing is written (a query reads a tree it may not write)."""
        found = discovery.discover(self.root)
        known = self._known()
        since = self._build_started()
        listed = {e.path for e in found.files} | {s.path for s in found.skipped}
        stale = [e.path for e in found.files if self._compare(e, known.get(e.path), since) == "changed"]
        return sorted(stale + [p for p in known if p not in listed])

    def _compare(self, entry: discovery.FileEntry, row: _FileRow | None, since: int) -> str:
        """How a file of the tree stands to its row: "same" (its stat, trusted, and not an unreadable file
        that can be read now), "restamp" (a file read before whose stat moved, or could not be trusted, and
        whose bytes did not) or "changed".

        A stat is trusted when its mtime and ctime are older than `since`, the file system's time when the
        build that last compared every file started: a change after that moment moves them. Times as late as
        `since` may hide a change in the same tick as the read the row holds, which keeps them all (git's
        "racy clean"). The ctime moves when `cp -p` or `touch -d` puts an old mtime back; the inode when an
        editor saves by renaming another file over it."""
        if (row and _stat(row) == _stat(entry) and max(row.mtime_ns, row.ctime_ns) < since
                and not self._readable_again(entry.path, row)):
            return "same"
        if row and row.hash and self._same_hash(entry.path, row):
            return "restamp"
        return "changed"

    def _build_started(self) -> int:
        """The file system's time the last build started at (`store.lock`); 0 before any: no stat trusted."""
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (store.BUILD_STARTED,)).fetchone()
        return int(row[0]) if row else 0

    def _relative(self, path: str | Path) -> str:
        p = Path(path)
        if p.is_absolute():
            try:
                p = p.resolve().relative_to(self.root) if p.exists() else p.relative_to(self.root)
            except ValueError as exc:
                raise UsageError(f"{quoted(path)} is outside the indexed tree {quoted(self.root)}") from exc
        return posixpath.normpath(p.as_posix())

    def _known(self, only: set[str] | None = None) -> dict[str, _FileRow]:
        sql = "SELECT path, id, size, mtime_ns, ctime_ns, inode, hash, status FROM files"
        if only is None:
            return {r[0]: _FileRow(*r[1:]) for r in self.conn.execute(sql)}
        rows = (self.conn.execute(sql + " WHERE path=?", (p,)).fetchone() for p in only)
        return {r[0]: _FileRow(*r[1:]) for r in rows if r}

    def _readable_again(self, path: str, row: _FileRow) -> bool:
        """A file left out as unreadable (no hash: it was never read) that can be read now: `chmod` moves neither
        its size nor its mtime, so the stamp alone kept it out until its next edit."""
        return row.status == "skipped" and not row.hash and os.access(self.root / path, os.R_OK)

    def _same_hash(self, path: str, row: _FileRow) -> bool:
        try:
            return discovery.read_file(self.root, path).hash == row.hash
        except OSError:
            return False

    def _apply(
        self,
        known: dict[str, _FileRow],
        all_paths: set[str],
        unparsed: set[str],
        jobs: list[str],
        removed: list[str],
        skipped: dict[str, str],
        entries: dict[str, discovery.FileEntry],
        stats: BuildStats,
        progress: Progress | None,
        parsed_hook: Callable[[], None] | None = None,
    ) -> None:
        """Everything that changes rows, inside the caller's transaction.

        `all_paths` are the tree's files that imports may name, `unparsed` those of them read by an earlier build
        but not parsed (binary): they have no symbols to link references to."""
        conn = self.conn
        lap = stats.lap
        cold = self.is_empty
        relayout = any(map(is_layout_file, [*jobs, *removed, *skipped]))
        if relayout:  # their text, not only the set of paths, says what imports resolve to
            self._layout_cache = None
        modules, mmap = self._layout(all_paths)
        renamed = [] if cold else self._renamed(modules, known, jobs, [*removed, *skipped])
        if renamed:  # re-extracted like changed files: their symbols' qualified names change
            known = {**known, **self._known(set(renamed))}
            entries = {**entries, **self._entries(renamed)}
            jobs = [*jobs, *(p for p in renamed if p in entries)]
            stats.unchanged -= min(stats.unchanged, len(renamed))  # a build had counted them unchanged
        was_indexed = [known[p].id for p in [*jobs, *skipped] if p in known and known[p].status == "indexed"]
        gone = [known[p].id for p in removed if p in known]
        old_sids = self._sids(was_indexed + gone)
        old_imports = self._import_rows(was_indexed + gone)
        old_bases = self._base_targets(was_indexed + gone)
        conn.executemany("DELETE FROM files WHERE id=?", [(i,) for i in gone])
        store.delete_files(conn, gone + was_indexed)
        self._write_skipped(skipped)
        writer = FactsWriter(conn, mmap, modules, entries)
        lap("prepare")
        parsed = self._parse(jobs, modules, progress, writer.write)
        writer.finish()
        if parsed_hook:
            parsed_hook()
        lap("parse+write")
        stats.parsed, stats.removed = sum(not p.skipped for p in parsed), len(removed)  # binary: read, not parsed
        self.parsed_total += stats.parsed
        paths_changed = (
            relayout
            or bool(removed)
            or any(p not in known or known[p].status != "indexed" for p in jobs)
            or any(p not in known or known[p].status != "skipped" for p in skipped)
        )
        changed = {p.path for p in parsed}
        retarget = relink_imports(conn, mmap, modules, changed) if paths_changed and not cold else {}
        linker = Linker(conn, all_paths - unparsed - {p.path for p in parsed if p.skipped}, writer, parsed, cold)
        linker.resolve_refs(parsed)
        if not cold:
            new_sids = {s[0] for item in parsed for s in item.symbols}
            new_imports = self._import_rows([writer.ids[p] for p in changed])
            moved = old_imports != new_imports
            # a module that appears is named by the last part of its dotted name (`pkg.sub.x()` after `import pkg.b`)
            appeared = {store.bare_name(sid) or modules.get(sid[:-2], "").rpartition(".")[2]
                        for sid in new_sids - old_sids} - {""}
            importers_too = changed | set(removed) if moved else set()
            rebound = rebound_names(conn, old_imports, new_imports) if moved else set()
            # a module that appears (a file no longer binary) is named by its importers, not by its bare name
            importers_too |= {sid[:-2] for sid in new_sids - old_sids if sid.endswith("::")}
            new_bases = self._base_targets([writer.ids[p] for p in changed])
            rebased = {sid for sid in old_bases.keys() | new_bases.keys()
                       if old_bases.get(sid) != new_bases.get(sid)}
            linker.relink(importers_too, retarget, old_sids - new_sids, appeared, changed, rebound, rebased)
        lap("link")
        if cold:
            store.create_indexes(conn)
            conn.execute("PRAGMA analysis_limit=400")
            conn.execute("ANALYZE")
            lap("create indexes")
        turned_binary = any(p.skipped and p.path in known and known[p.path].status == "indexed" for p in parsed)
        if paths_changed or cold or turned_binary:  # the folders' counts of indexed files moved
            write_dirs(conn)
        self._integrate(changed, set(removed) | set(skipped))
        lap("integrate")

    def _parse(
        self, jobs: list[str], modules: dict[str, str], progress: Progress | None, sink: Callable[[Parsed], None]
    ) -> list[Parsed]:
        """Extract `jobs`, handing each result to `sink` as it arrives (writes overlap parsing)."""
        work = [(str(self.root), p, modules.get(p)) for p in jobs]
        run = partial(parse_file, extractor=self.extractor)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        if len(work) < POOL_THRESHOLD or cores < 2:
            return _collect(map(run, work), len(work), sink, progress)
        import threading

        from codewright.graph.workers import Workers  # only a cold build needs them

        # fork is fastest, but forking a process that runs other threads (an agent's) can
        # deadlock the children on a lock held at that instant: then start them clean.
        method = "fork" if threading.active_count() == 1 else "forkserver"
        with Workers(run, cores, method, _start_worker) as workers:
            return _collect(workers.results(work), len(work), sink, progress)

    def _renamed(self, modules: dict[str, str], known: dict[str, _FileRow], jobs: list[str],
                 gone: list[str]) -> list[str]:
        """Unchanged Python files whose module name changes because a package's __init__.py (or __init__.pyi)
        appeared or went (`tools/fmt.py` is `fmt` in a plain folder, `tools.fmt` in a package)."""
        appeared = [p for p in jobs if p not in known or known[p].status != "indexed"]
        if not any(is_package_init(p) for p in [*appeared, *gone]):
            return []
        busy = {*jobs, *gone}
        rows = self.conn.execute("SELECT path, module FROM files WHERE status='indexed' AND module IS NOT NULL")
        return sorted(p for p, module in rows if p not in busy and modules.get(p) != module)

    def _entries(self, paths: list[str]) -> dict[str, discovery.FileEntry]:
        """The files' current entries (size, time, hash), as discovery makes them."""
        found = discovery.Discovery()
        for rel in paths:
            discovery.add_entry(self.root, rel, discovery.SIZE_CAP, found)
        return {e.path: e for e in found.files}

    def _write_skipped(self, skipped: dict[str, str]) -> None:
        self.conn.executemany(
            "INSERT INTO files (path, size, mtime_ns, status, reason) VALUES (?, 0, 0, 'skipped', ?)"
            " ON CONFLICT(path) DO UPDATE SET language=NULL, module=NULL, hash=NULL, lines=0,"
            " status='skipped', reason=excluded.reason",
            list(skipped.items()),
        )

    def _layout(self, all_paths: set[str]) -> tuple[dict[str, str], ModuleMap]:
        """Python module names and the import resolution map, cached while the set of paths holds."""
        key = frozenset(all_paths)
        if self._layout_cache is None or self._layout_cache[0] != key:
            modules = python_modules(all_paths)
            texts = {p: text for p in all_paths if is_layout_file(p) and (text := self._text(p)) is not None}
            mmap = ModuleMap.build(all_paths, modules, texts)
            self._layout_cache = (key, modules, mmap)
        return self._layout_cache[1], self._layout_cache[2]

    def _import_rows(self, file_ids: list[int]) -> set[tuple]:
        """What the files import and what they export by default: when either changes, their importers'
        references are redone (re-exports pass through them)."""
        rows: set[tuple] = set()
        for fid in file_ids:
            rows.update(self.conn.execute(
                "SELECT file_id, module, names, alias, level, target FROM imports WHERE file_id=?", (fid,)))
            rows.update(self.conn.execute(
                "SELECT file_id, 'export', name, qualifier FROM refs WHERE file_id=? AND kind='export'", (fid,)))
        return rows

    def _base_targets(self, file_ids: list[int]) -> dict[str, list[str | None]]:
        """What the bases of the files' classes resolve to, by class: a class whose bases now name other
        classes passes other members on to the uses of it and of its subclasses."""
        found: dict[str, list[str | None]] = {}
        for fid in file_ids:
            for sid, target in self.conn.execute(
                    "SELECT s.sid, r.target FROM refs r JOIN symbols s ON s.id=r.scope WHERE r.file_id=?"
                    " AND r.kind='base' ORDER BY r.id", (fid,)):
                found.setdefault(sid, []).append(target)
        return found

    def _sids(self, file_ids: list[int]) -> set[str]:
        sids: set[str] = set()
        for fid in file_ids:
            sids.update(r[0] for r in self.conn.execute("SELECT sid FROM symbols WHERE file_id=?", (fid,)))
        return sids

    def _text(self, path: str) -> str | None:
        """A layout file's text (go.mod, tsconfig.json, package.json), None when it cannot be read."""
        try:
            return (self.root / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def _integrate(self, changed: set[str], removed: set[str]) -> None:
        """Let the Python call-graph resolver (issue 8) update its tables in this transaction."""
        try:
            integrate = importlib.import_module("codewright.graph.pyresolve.integrate")
        except ModuleNotFoundError as exc:
            if exc.name not in ("codewright.graph.pyresolve", "codewright.graph.pyresolve.integrate"):
                raise
            return
        integrate.update(self.conn, self.root, sorted(changed), sorted(removed))

    def _finish(self, stats: BuildStats, found: discovery.Discovery) -> None:
        counts = self.conn.execute(
            "SELECT count(*) FILTER (WHERE status='indexed'), count(*) FILTER (WHERE status='skipped'),"
            " count(*) FILTER (WHERE status='indexed' AND reason IS NOT NULL) FROM files"
        ).fetchone()
        stats.files, stats.skipped, stats.errors = counts
        stats.skipped_files = [
            {"path": p, "reason": r}
            for p, r in self.conn.execute("SELECT path, reason FROM files WHERE status='skipped' ORDER BY path")
        ]
        if found.in_git:
            discovery.exclude_index_dir(self.root)

    # ---------------------------------------------------------------- queries

    def symbols(self, query: str, limit: int = 50) -> list[queries.SymbolInfo]:
        return queries.symbols(self.conn, query, limit)

    def definitions(self, target: str) -> list[queries.SymbolInfo]:
        return queries.definitions(self.conn, target)

    def references(self, name: str) -> list[queries.RefInfo]:
        return queries.references(self.conn, name)

    def outline(self, path: str) -> list[queries.SymbolInfo]:
        return queries.outline(self.conn, self._relative(path))

    def search(self, text: str, limit: int = 20) -> list[queries.ChunkHit]:
        """Chunks (functions, classes, module rest, doc sections) ranked by BM25."""
        return queries.search(self.conn, text, limit)

    def imports(self, path: str) -> list[queries.ImportInfo]:
        return queries.imports(self.conn, self._relative(path))

    def importers(self, path: str) -> list[str]:
        return queries.importers(self.conn, self._relative(path))

    def stats(self) -> dict:
        return queries.stats(self.conn, self.root)

    def repo_map(self, tokens: int = 1024, focus: Iterable[str] = ()) -> str:
        from codewright.graph.repomap import repo_map

        return repo_map(self.conn, tokens, list(focus)).text


def _stat(file: discovery.FileEntry | _FileRow) -> tuple[int, int, int, int]:
    """What a file's stat says of its bytes, as discovery read it or a row stored it."""
    return file.size, file.mtime_ns, file.ctime_ns, file.inode


def _git_directory(path: Path) -> bool:
    """Whether `path` is what git takes for a repository's own folder (HEAD, objects/ and refs/, as git's
    is_git_directory checks): a bare repository given as the tree had its hooks' samples indexed and an index
    written among git's files."""
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


class _Laps:
    """Adds the seconds since the previous call to `phases[name]`."""

    def __init__(self, phases: dict[str, float]) -> None:
        self.phases = phases
        self.last = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = round(self.phases.get(name, 0.0) + now - self.last, 3)
        self.last = now


def _start_worker() -> None:
    """A parse worker leaves Ctrl-C to the build that started it, which stops the workers (see `workers`), and
    ends quietly when it is stopped.

    The workers only allocate (syntax trees, rows) and exit: the cyclic GC's passes over
    their young objects find nothing to free, so it is off there (~4% of their time)."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent while it forked
    for stop in (signal.SIGTERM, signal.SIGHUP):  # a handler forked from an agent's run raised there and
        signal.signal(stop, signal.SIG_DFL)  # printed a traceback
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # a result written to a build that is gone ends it without a word
    gc.disable()


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: a worker gets SIGKILL when the build that forked it dies. A build killed outright (`kill -9`, the OOM
    killer) cannot stop its pool, and its workers went on parsing until they next wrote a result, each dying then of
    a broken pipe with a traceback on the terminal. Elsewhere they still go on until then (and die of SIGPIPE)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # only a worker needs it

    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the build died while it was asked for
        os._exit(1)


def _collect(
    stream: Iterable[Parsed], total: int, sink: Callable[[Parsed], None], progress: Progress | None
) -> list[Parsed]:
    results = []
    for n, item in enumerate(stream, 1):
        sink(item)
        item.chunks = []  # written; linking needs the rest, and a cold build would keep every file's text
        results.append(item)
        if progress:
            progress(n, total)
    return results
