"""Search tools: keyword and regex search over the files, and lookups in the code graph.

Text search uses ripgrep when it is installed (fast, honours .gitignore) and a Python
walk otherwise; both skip secret files and cap the hits. The graph lookups answer from
the index (`codewright.graph.index.Index`): symbols by name, a definition, references.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from codewright.edit import confined
from codewright.gateway.types import ToolSpec
from codewright.quoting import cut
from codewright.tools.files import NOT_UTF8, SKIP_DIRS, shown_path
from codewright.tools.process import UNDECODABLE
from codewright.tools.result import ToolResult

if TYPE_CHECKING:
    from codewright.tools.toolbox import Toolbox

MAX_HITS = 100
SEARCH_SECONDS = 20  # the search without ripgrep stops after this long (a pattern that backtracks)
MAX_HIT_CHARS = 300

SPECS = {
    "search": ToolSpec("search", "Search the files for a keyword (or a regular expression with regex=true); "
                       "returns path:line: text.", {
        "type": "object",
        "properties": {"pattern": {"type": "string"},
                       "regex": {"type": "boolean", "description": "treat pattern as a regular expression"},
                       "path": {"type": "string", "description": "directory or file to search, default the root"},
                       "glob": {"type": "string", "description": "only files matching, e.g. *.py"},
                       "case_sensitive": {"type": "boolean"},
                       "max_results": {"type": "integer", "minimum": 1, "maximum": 500}},
        "required": ["pattern"]}),
    "find_symbol": ToolSpec("find_symbol", "Find symbols (functions, classes, methods ...) by name.", {
        "type": "object",
        "properties": {"query": {"type": "string", "description": "name or part of a qualified name"},
                       "limit": {"type": "integer", "minimum": 1, "maximum": 200}},
        "required": ["query"]}),
    "find_definition": ToolSpec("find_definition", "Where a symbol is defined: a name, a qualified name, "
                                "a symbol id (path::Qual.name) or a use site path:line:col.", {
        "type": "object", "properties": {"target": {"type": "string"}}, "required": ["target"]}),
    "find_references": ToolSpec("find_references", "Where a symbol is used (calls, attributes, names); for a "
                                "module's id (pkg/mod.py::) its importers too.", {
        "type": "object",
        "properties": {"name": {"type": "string", "description": "symbol name or id (path::Qual.name; path:: for a "
                                                                 "module)"},
                       "limit": {"type": "integer", "minimum": 1, "maximum": 500}},
        "required": ["name"]}),
    "outline": ToolSpec("outline", "The symbols a file defines, with their lines.", {
        "type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
    "callers": ToolSpec("callers", "Python functions that call a symbol (id path::Qual.name, qualified or "
                        "bare name, or path:line:col where it is defined or used), with the call sites.", {
        "type": "object", "properties": {"symbol": {"type": "string"}}, "required": ["symbol"]}),
    "impact": ToolSpec("impact", "What a change to a Python symbol can reach: its transitive callers (the symbol "
                       "as for callers: an id, a name, or path:line:col where it is defined or used).", {
        "type": "object",
        "properties": {"symbol": {"type": "string"},
                       "depth": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3}},
        "required": ["symbol"]}),
    "find": ToolSpec("find", "Rank the files and functions a task or bug report will most likely touch "
                     "(traceback frames, mentioned names, BM25, the graph), with reasons.", {
        "type": "object",
        "properties": {"text": {"type": "string", "description": "the task, bug report or traceback"},
                       "k": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}},
        "required": ["text"]}),
}


def search(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    rel = box.authorize_path(args.get("path") or ".", write=False)
    pattern = args["pattern"]
    if not pattern:
        return ToolResult.error("pattern is empty")
    regex = bool(args.get("regex"))
    case = bool(args.get("case_sensitive"))
    limit = int(args.get("max_results") or MAX_HITS)
    if regex:
        try:
            re.compile(pattern)
        except re.error as exc:
            return ToolResult.error(f"invalid regular expression {pattern!r}: {exc}")
    if not os.path.lexists(box.root / rel):
        return ToolResult.error(f"{rel} does not exist{box.suggest_path(rel)}")
    finder = _ripgrep if shutil.which("rg") and os.path.isdir(_HELD) else _python_search
    readable = _Readable(box)
    try:
        with _held(box, rel) as target:
            found = finder(box, rel, target, pattern, regex, case, args.get("glob"))
            hits = sorted((h for h in found if readable(h[0])), key=lambda h: (h[0], h[1]))
    except TimeoutError:
        return ToolResult.error(f"the search for {pattern!r} stopped after {SEARCH_SECONDS} s: the pattern "
                                "backtracks too much on some line (nested repetition such as `(a|aa)+`); simplify it")
    except SearchFailed as exc:
        return ToolResult.error(str(exc))
    shown = hits[:limit]
    if not shown:
        return ToolResult(f"no matches for {pattern!r} in {rel}", kind="search", meta={"hits": 0})
    lines = [f"{shown_path(path)}:{line}: {text.strip()[:MAX_HIT_CHARS]}" for path, line, text in shown]
    more = f"\n[{len(hits) - limit} more matches: narrow the pattern or the path]" if len(hits) > limit else ""
    more += f"\n{NOT_UTF8}" if any(line.startswith("$'") for line in lines) else ""
    return ToolResult("\n".join(lines) + more, kind="search", meta={"hits": len(hits)})


class SearchFailed(Exception):
    """The search program refused the search (a pattern of syntax it lacks): the model must hear why."""


class _Readable:
    """Whether read_file may show a path: the hits of a search obey the same deny rules and secret names."""

    def __init__(self, box: Toolbox) -> None:
        self.box, self.seen = box, {}

    def __call__(self, path: str) -> bool:
        if path not in self.seen:
            self.seen[path] = self.box.permissions.check_path(self.box.root, path, write=False).allowed
        return self.seen[path]


_HELD = "/proc/self/fd"  # (Linux) where a descriptor this process holds is named by its number, for ripgrep


class _Target(NamedTuple):
    """What is searched: a descriptor of the folder or the file checked, and which of the two it is."""

    fd: int
    folder: bool


@contextmanager
def _held(box: Toolbox, rel: str) -> Iterator[_Target]:
    """The folder or file `rel`, opened through `confined` (no folder on its path, nor it, a link): the search
    reads what the path's check looked at, though a process may have swapped a folder on it for a link to one
    outside since (by name, ripgrep and the walk followed that link). SearchFailed where it is no longer a folder
    or a regular file."""
    try:
        fd = confined.descriptor(box.root, box.root / rel)
    except OSError as exc:
        raise SearchFailed(f"the search in {rel} failed: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
            raise SearchFailed(f"the search in {rel} failed: it is no longer a folder or a regular file")
        yield _Target(fd, stat.S_ISDIR(mode))
    finally:
        os.close(fd)


def _ripgrep(box: Toolbox, rel: str, target: _Target, pattern: str, regex: bool, case: bool, glob: str | None):  # type: ignore[no-untyped-def]
    """ripgrep's hits, every one (no per-file cap: a file's 200 matches showed as 50), paths split off at the NUL
    `--null` puts after them (a `:` in a file name cut the line wrongly); SearchFailed when rg refuses the pattern
    (look-behind, backreferences), which read as 'no matches' before. It searches the `target` held, by its
    descriptor's name: a folder from within it, a file as itself."""
    held = f"/proc/{os.getpid()}/fd/{target.fd}"  # this process's, which the child's /proc/self is not
    cmd = ["rg", "--line-number", "--with-filename", "--no-heading", "--null", "--color", "never", "--max-columns", "400",
           "--hidden", "--glob", "!.git"]
    cmd += [] if regex else ["--fixed-strings"]
    cmd += [] if case else ["--ignore-case"]
    cmd += ["--glob", glob] if glob else []
    cmd += ["--", pattern, "." if target.folder else held]
    out = subprocess.run(cmd, cwd=held if target.folder else box.root, capture_output=True, timeout=60, check=False)
    if out.returncode == 2 and not out.stdout:
        said = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SearchFailed(f"the search for {pattern!r} failed: {' '.join(said[-3:]) or 'ripgrep exit 2'}")
    for line in out.stdout.split(b"\n"):
        path, nul, rest = line.partition(b"\0")
        number, _, text = rest.partition(b":")
        if nul and number.isdigit():  # the path as os gives it (see `shown_path`), the text as run_command shows it
            hit = _below(rel, os.fsdecode(path)) if target.folder else rel
            yield hit, int(number), text.decode("utf-8", UNDECODABLE)


def _below(rel: str, path: str) -> str:
    """`path`, found in the folder `rel`, as a path below the root."""
    return os.path.normpath(os.path.join(rel, path)).replace(os.sep, "/")


def _python_search(box: Toolbox, rel: str, target: _Target, pattern: str, regex: bool, case: bool, glob: str | None):  # type: ignore[no-untyped-def]
    """Without ripgrep: the `regex` module, whose matching can be given a time limit (a backtracking pattern
    held `re` for hours, and the session with it); TimeoutError once SEARCH_SECONDS have passed. The folders are
    walked and the files opened by descriptor, never through a link."""
    import regex as timed_re

    flags = 0 if case else timed_re.IGNORECASE
    matcher = timed_re.compile(pattern if regex else timed_re.escape(pattern), flags)
    deadline = time.monotonic() + SEARCH_SECONDS
    for path, data in _walked(rel, target, glob) if target.folder else [(rel, _contents(target.fd))]:
        if data is None or b"\0" in data[:8192]:
            continue
        # lines end at \n only, as read_file counts them (splitlines also split at form feeds and U+2028)
        for number, text in enumerate(data.decode("utf-8", UNDECODABLE).split("\n"), 1):
            text = text.removesuffix("\r")
            if matcher.search(text, timeout=max(0.001, deadline - time.monotonic())):
                yield path, number, text


def _walked(rel: str, target: _Target, glob: str | None) -> Iterator[tuple[str, bytes | None]]:
    """The files below the folder held, each path (below the root) with its bytes (None where it is no regular
    file: as rg does, no link followed, no FIFO waited on)."""
    for folder, dirnames, filenames, fd in os.fwalk(".", dir_fd=target.fd):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            below = os.path.normpath(os.path.join(folder, name))
            if not glob or _glob_matches(below, glob):
                yield _below(rel, below), _read(name, fd)


def _read(name: str, folder: int) -> bytes | None:
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    except OSError:
        return None
    try:
        return _contents(fd)
    finally:
        os.close(fd)


def _contents(fd: int) -> bytes | None:
    """The bytes of the regular file open at `fd`, not read from yet (None where it is no regular file)."""
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        return None
    with open(fd, "rb", closefd=False) as stream:
        return stream.read()


def _glob_matches(rel: str, glob: str) -> bool:
    """ripgrep's reading of a glob: without a `/` it matches a file's name, with one the path below the searched
    folder, `**/` spanning any folders (none included)."""
    import fnmatch

    rel = rel.replace(os.sep, "/")
    if "/" not in glob:
        return fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], glob)
    glob = glob.removeprefix("/")
    return fnmatch.fnmatchcase(rel, glob) or fnmatch.fnmatchcase(rel, glob.replace("**/", ""))


def _index(box: Toolbox):  # type: ignore[no-untyped-def]
    if box.index is None:
        raise LookupError("the code index is not available in this session: use search instead")
    return box.index


def _symbol_line(s: Any) -> str:
    sig = f" {s.signature}" if s.signature else ""
    return f"{s.kind} {s.qualname or s.name}{sig} at {s.path}:{s.start_line}-{s.end_line} (id {s.id})"


def find_symbol(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    found = _index(box).symbols(args["query"], limit=int(args.get("limit") or 30))
    if not found:
        return ToolResult(f"no symbol matches {cut(args['query'])}", kind="lookup")
    return ToolResult("\n".join(_symbol_line(s) for s in found), kind="lookup")


def find_definition(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    found = _index(box).definitions(args["target"])
    if not found:
        return ToolResult(f"no definition found for {cut(args['target'])}: try find_symbol or search", kind="lookup")
    return ToolResult("\n".join(_symbol_line(s) for s in found), kind="lookup")


def find_references(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    refs = _index(box).references(args["name"])
    limit = int(args.get("limit") or MAX_HITS)
    if not refs:
        return ToolResult(f"no references to {cut(args['name'])} in the index", kind="lookup")
    lines = [f"{r.path}:{r.line}:{r.col} {r.kind} {r.qualifier + '.' if r.qualifier else ''}{r.name}"
             + (f" (in {r.scope})" if r.scope else "") for r in refs[:limit]]
    more = f"\n[{len(refs) - limit} more references]" if len(refs) > limit else ""
    return ToolResult("\n".join(lines) + more, kind="lookup")


def outline(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    rel = box.authorize_path(args["path"], write=False)
    found = _index(box).outline(rel)
    if not found:
        return ToolResult(f"no symbols indexed for {rel}{box.suggest_path(rel)}", kind="lookup")
    return ToolResult("\n".join(f"{s.start_line}-{s.end_line} {s.kind} {s.qualname or s.name}"
                                f"{' ' + s.signature if s.signature else ''}" for s in found), kind="lookup")


def _call_graph(box: Toolbox, symbol: str):  # type: ignore[no-untyped-def]
    """The index with its call graph up to date, and SYMBOL as an id (ambiguity is the model's to fix)."""
    from codewright.graph.calls import ensure_calls, resolve_symbol

    index = _index(box)
    ensure_calls(index)
    return index.conn, resolve_symbol(index.conn, symbol)


def callers(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    from codewright.graph.calls import callers as query

    conn, symbol = _call_graph(box, args["symbol"])
    found = query(conn, symbol)
    if not found:
        return ToolResult(f"no Python caller of {symbol} in the index", kind="lookup")
    return ToolResult("\n".join(f"{c['id']} at {c['path']}:{c['line']}:{c['col']}" for c in found), kind="lookup")


def impact(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    from codewright.graph.calls import as_tree
    from codewright.graph.calls import impact as query

    conn, symbol = _call_graph(box, args["symbol"])
    found = query(conn, symbol, int(args.get("depth") or 3))
    if not found:
        return ToolResult(f"nothing in the index calls {symbol}", kind="lookup")
    return ToolResult("\n".join(f"{'  ' * (c['distance'] - 1)}{c['id']}" for c in as_tree(found, symbol)),
                      kind="lookup")


def find(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    from codewright.retrieve.find import find as rank

    ranking = rank(_index(box), args["text"], k=int(args.get("k") or 10))
    lines = ["files:"] + [f"  {h.path} ({'; '.join(r.detail for r in h.reasons[:2])})" for h in ranking.files]
    lines += ["functions:"] + [f"  {h.id} line {h.line}" for h in ranking.functions]
    return ToolResult("\n".join(lines), kind="lookup")


HANDLERS = {"search": (search, "read"), "find_symbol": (find_symbol, "read"),
            "find_definition": (find_definition, "read"), "find_references": (find_references, "read"),
            "outline": (outline, "read"), "callers": (callers, "read"), "impact": (impact, "read"),
            "find": (find, "read")}
