"""The repo map: the most important files and signatures of a tree, in N tokens or fewer.

One idea, from aider's repomap: a definition matters as much as the code that uses it.
Files are nodes of a graph with an edge A -> B for each symbol of B that A references
(weighted by the square root of the number of uses, so one chatty caller cannot dominate;
private `_names` count a tenth): the targets imports resolve and, outside Python, uses
matched to definitions by name (`name_match.py`). PageRank over that graph says which files the rest of
the tree leans on; each file then hands its rank to the symbols it references, in
proportion to its edges, and those symbols are what the map shows.

Focus (`--focus NAME_OR_PATH`) personalises the walk: the random surfer restarts at the
focused files (or the files defining a focused name) instead of anywhere, and edges to a
focused name's symbols weigh ten times more, so the map bends toward the task at hand. A qualified name
(`QuerySet.filter`) focuses the symbols `def` finds for it, a bare one every symbol of that name.

The map is then packed: a binary search finds the most symbols whose rendering fits the
token budget, counted with the real cl100k tokenizer, so it never overshoots.
"""

from __future__ import annotations

import importlib.util
import math
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from codewright.errors import UsageError
from codewright.graph.name_match import name_edges
from codewright.graph.queries import definitions
from codewright.graph.resolve import FUNCTION_KINDS
from codewright.graph.store import bare_name, in_the_text, shown, split_id

DAMPING = 0.85
ITERATIONS = 40
FOCUS_BOOST = 10.0
MAX_SIGNATURE = 240  # characters of a signature shown
PRIVATE_WEIGHT = 0.1
_VALUE_KINDS = frozenset({"variable", "constant", "attribute"})  # a value's symbol, not a class's or a function's


@dataclass
class RepoMap:
    text: str
    tokens: int
    files: list[str] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # focus items naming no indexed file, folder or symbol


@dataclass
class _Sym:
    sid: str
    path: str
    kind: str
    signature: str
    start_line: int
    parent: str | None
    start_col: int
    end_line: int
    end_col: int


def repo_map(conn: sqlite3.Connection, tokens: int, focus: list[str], show: Callable[[str], str] = str) -> RepoMap:
    """The map of `tokens` at most, bent toward `focus`; `show` writes a file's name in the text (the CLI quotes a
    name with a newline, which split the map's line for it; the model and --json get it as it is)."""
    edges = _edges(conn)
    paths = dict(conn.execute("SELECT id, path FROM files WHERE status='indexed'"))
    focus_files, focus_symbols, unmatched = _focus(conn, focus, paths)
    file_rank = pagerank(paths, edges, focus_files, set(focus_symbols))
    ranked = _symbol_ranks(edges, file_rank, set(focus_symbols))
    fallback = _top_level(conn, file_rank, paths, tokens)
    focused = _focused(conn, focus_files, focus_symbols, paths)
    order = [s for s in _dedupe([*focused, *ranked, *fallback]) if _worth_showing(s)]
    packed = _pack(conn, order, file_rank, paths, tokens, show)
    packed.unmatched = unmatched
    return packed


def _focused(conn: sqlite3.Connection, files: set[int], symbols: list[str], paths: dict[int, str]) -> list[str]:
    """What the user pointed at comes first: each focused name's definitions with their members
    (public ones first), then what each focused file that defines no focused name declares (`_declared`): its
    top-level definitions, then their members, public ones first (in line order, the methods of a big class at the
    top filled the budget, and the classes declared after it were left out for its `_private` methods)."""
    found: list[str] = []
    for sid in symbols:
        if not sid.endswith("::"):  # a module is shown by its file's header
            found.append(sid)
            found.extend(r[0] for r in conn.execute(
                "SELECT sid FROM symbols WHERE parent=? ORDER BY substr(name, 1, 1) = '_', start_line", (sid,)))
    named_in = {split_id(sid)[0] for sid in found}
    for file_id in sorted(files, key=lambda i: paths[i]):
        if paths[file_id] not in named_in:
            found.extend(_declared(conn, file_id, paths[file_id] + "::"))
    return found


def _declared(conn: sqlite3.Connection, file_id: int, module_sid: str) -> list[str]:
    """What a file declares, in the order of `_declared_first`, but what a Python file's functions define (a
    decorator's `wrapper`, a closure's helper), which nothing outside them names (a JavaScript function's members
    are its prototype's methods: `W.prototype.draw`)."""
    rows = conn.execute(
        "SELECT s.sid, s.kind, s.parent, substr(s.name, 1, 1) = '_', s.start_line, (SELECT count(*) FROM refs r"
        " WHERE r.target = s.sid AND r.file_id != s.file_id) FROM symbols s WHERE s.file_id=? AND s.kind != 'module'",
        (file_id,)).fetchall()
    rows.sort(key=lambda row: _declared_first(row, module_sid))
    if conn.execute("SELECT language FROM files WHERE id=?", (file_id,)).fetchone()[0] != "python":
        return [row[0] for row in rows]
    kinds = {row[0]: row[1] for row in rows}
    parents = {row[0]: row[2] for row in rows}

    def in_a_function(sid: str) -> bool:
        parent = parents[sid]
        while parent in kinds:
            if kinds[parent] in FUNCTION_KINDS:
                return True
            parent = parents[parent]
        return False

    return [row[0] for row in rows if not in_a_function(row[0])]


def _declared_first(row: tuple[str, str, str | None, int, int, int], module_sid: str) -> tuple[int, int, int, int]:
    """Where a focused file's symbol (sid, kind, parent, private, line, uses from other files) comes in its listing:
    the top-level definitions other files use, the most used first; then its other classes and functions; then
    their members, the most used first; last the module-level values nothing outside uses (flask's app.py spent a
    map's budget on the TypeVars above `class Flask`, taken in line order). Public ones before private in each."""
    _, kind, parent, private, line, uses = row
    top = parent == module_sid
    tier = (0 if uses else 1 if kind not in _VALUE_KINDS else 3) if top else 2
    return tier, private, -uses, line


def _top_level(conn: sqlite3.Connection, file_rank: dict[int, float], paths: dict[int, str], budget: int) -> list[str]:
    """Fallback after the referenced symbols: top-level definitions of the best-ranked files."""
    found: list[str] = []
    for file_id in sorted(file_rank, key=lambda i: (-file_rank[i], paths[i])):
        found.extend(r[0] for r in conn.execute(
            "SELECT sid FROM symbols WHERE file_id=? AND parent=? ORDER BY start_line", (file_id, paths[file_id] + "::")))
        if len(found) >= budget // 8:
            break
    return found


def _edges(conn: sqlite3.Connection) -> dict[int, dict[str, float]]:
    """file id -> {target symbol id: weight}, from resolved references to other files and,
    where the language has no deep resolver, from unresolved uses matched by name."""
    found: dict[int, dict[str, float]] = defaultdict(dict)
    rows = conn.execute(
        "SELECT file_id, target, count(*) FROM refs WHERE target_file IS NOT NULL AND target_file != file_id"
        " GROUP BY file_id, target"
    )
    for file_id, target, uses in rows:
        found[file_id][target] = _weight(bare_name(target), uses)
    for file_id, target, uses, share in name_edges(conn):
        found[file_id][target] = found[file_id].get(target, 0.0) + _weight(bare_name(target), uses) * share
    return found


def _weight(name: str, uses: int) -> float:
    return math.sqrt(uses) * (PRIVATE_WEIGHT if name.startswith("_") else 1.0)


def _focus(conn: sqlite3.Connection, focus: list[str], paths: dict[int, str]) -> tuple[set[int], list[str], list[str]]:
    """The focused files (a path, or every file under a folder, or the files defining a focused symbol), the ids of
    the symbols named, and the items that matched neither."""
    by_path = {p: i for i, p in paths.items()}
    files: set[int] = set()
    symbols: dict[str, None] = {}
    unmatched: list[str] = []
    for given in focus:
        item = given.strip().strip("/")
        if item in by_path:
            files.add(by_path[item])
            continue
        under = [i for p, i in by_path.items() if p.startswith(item + "/")]
        if under:
            files.update(under)
            continue
        named = _named(conn, item)
        symbols.update(dict.fromkeys(named))
        files.update(named.values())
        if not named:
            unmatched.append(given)  # as the user wrote it: `/` stripped to nothing was said as an empty name
    return files, list(symbols), unmatched


def _named(conn: sqlite3.Connection, item: str) -> dict[str, int]:
    """The symbols a focus item names (id -> file id): every one of a bare name, and of a qualified one
    (`QuerySet.filter`, `pkg.mod.name`, an id) those `def` finds; cut to its last part, `QuerySet.filter` was every
    definition named filter."""
    if "." not in item and "::" not in item:
        return dict(conn.execute("SELECT sid, file_id FROM symbols WHERE name=?", (item,)))
    try:
        found = definitions(conn, item)
    except UsageError:  # a position (`a.py:3:1`) is no name
        return {}
    return dict(conn.execute(
        f"SELECT sid, file_id FROM symbols WHERE sid IN ({','.join('?' * len(found))})", [s.id for s in found]))


def pagerank(
    paths: dict[int, str], edges: dict[int, dict[str, float]], focus_files: set[int], focus_symbols: set[str]
) -> dict[int, float]:
    """Personalised PageRank over files; edges are aggregated from symbol edges."""
    nodes = list(paths)
    if not nodes:
        return {}
    file_of = {p: i for i, p in paths.items()}
    out: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for src, targets in edges.items():
        if src not in paths:
            continue
        for sid, weight in targets.items():
            dst = file_of.get(split_id(sid)[0])
            if dst is not None:
                boost = FOCUS_BOOST if sid in focus_symbols else 1.0
                out[src][dst] += weight * boost
    restart = {n: 1.0 for n in (focus_files & set(nodes))} or {n: 1.0 for n in nodes}
    total = sum(restart.values())
    restart = {n: w / total for n, w in restart.items()}
    rank = {n: 1.0 / len(nodes) for n in nodes}
    totals = {src: sum(dsts.values()) for src, dsts in out.items()}
    for _ in range(ITERATIONS):
        nxt = dict.fromkeys(nodes, 0.0)
        dangling = sum(rank[n] for n in nodes if n not in totals)
        for src, dsts in out.items():
            share = DAMPING * rank[src] / totals[src]
            for dst, weight in dsts.items():
                nxt[dst] += share * weight
        for n, w in restart.items():
            nxt[n] += (1 - DAMPING + DAMPING * dangling) * w
        rank = nxt
    return rank


def _symbol_ranks(
    edges: dict[int, dict[str, float]], file_rank: dict[int, float], focus_symbols: set[str]
) -> list[str]:
    score: dict[str, float] = defaultdict(float)
    for src, targets in edges.items():
        boosted = {sid: w * (FOCUS_BOOST if sid in focus_symbols else 1.0) for sid, w in targets.items()}
        total = sum(boosted.values())
        for sid, weight in boosted.items():
            score[sid] += file_rank.get(src, 0.0) * weight / total
    return sorted(score, key=lambda s: (-score[s], s))


def _worth_showing(sid: str) -> bool:
    """Modules are shown by their file header; `__all__` and other dunders say little."""
    name = bare_name(sid)
    return not sid.endswith("::") and not (name.startswith("__") and name.endswith("__") and "." not in
                                            split_id(sid)[1])


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _pack(
    conn: sqlite3.Connection, order: list[str], file_rank: dict[int, float], paths: dict[int, str], budget: int,
    show: Callable[[str], str],
) -> RepoMap:
    """The longest prefix of `order` whose rendering fits `budget` tokens (binary search)."""
    order = order[: max(budget, 0)]  # a symbol costs at least one token
    info = _load(conn, order)
    order = [s for s in order if s in info]
    _load_ancestors(conn, info)
    rank_of_path = {paths[i]: r for i, r in file_rank.items()}
    count = token_counter()
    best = RepoMap("", 0)
    lo, hi = 1, len(order)
    while lo <= hi:
        mid = (lo + hi) // 2
        text, files = _render([info[s] for s in order[:mid]], info, rank_of_path, show)
        used = count(text)
        if used <= budget:
            best = RepoMap(text, used, files, order[:mid])
            lo = mid + 1
        else:
            hi = mid - 1
    return best


def _clipped(signature: str) -> str:
    """A signature the map can afford: one of pages (`def big(x="word " * 3000)`) outgrew every budget, and as
    the map is a prefix of the ranking, the files after it were left out too, down to an empty map."""
    return signature if len(signature) <= MAX_SIGNATURE else signature[: MAX_SIGNATURE - 3] + "..."


def _load(conn: sqlite3.Connection, sids: list[str]) -> dict[str, _Sym]:
    found: dict[str, _Sym] = {}
    for start in range(0, len(sids), 500):
        batch = sids[start : start + 500]
        rows = conn.execute(
            "SELECT s.sid, f.path, s.kind, s.signature, s.start_line, s.parent, s.start_col, s.end_line, s.end_col"
            " FROM symbols s"
            f" JOIN files f ON f.id=s.file_id WHERE s.sid IN ({','.join('?' * len(batch))})",
            batch,
        )
        for row in rows:
            found.setdefault(row[0], _Sym(*row))
    return found


def _load_ancestors(conn: sqlite3.Connection, info: dict[str, _Sym]) -> None:
    """Add to `info` the classes and functions that hold its symbols, at every depth, for `_render` to show them
    above their members."""
    missing = {s.parent for s in info.values() if s.parent and s.parent not in info}
    while missing:
        loaded = _load(conn, sorted(missing))
        info.update(loaded)
        missing = {s.parent for s in loaded.values() if s.parent and s.parent not in info}


def _render(chosen: list[_Sym], info: dict[str, _Sym], rank_of_path: dict[str, float], show: Callable[[str], str]
            ) -> tuple[str, list[str]]:
    """Files by rank; in each, the chosen symbols and what holds them in line order, as outline draws them
    (`in_the_text`: a method in its class's text under it, one written outside, as a Go method is, at the top
    named `Type.method`)."""
    by_file: dict[str, dict[str, _Sym]] = defaultdict(dict)
    for sym in chosen:
        by_file[sym.path][sym.sid] = sym
        parent = info.get(sym.parent or "")
        while parent and parent.kind != "module":  # every one: a method of a nested class without it read as a
            by_file[sym.path].setdefault(parent.sid, parent)  # function nested in the method above it
            parent = info.get(parent.parent or "")
    files = sorted(by_file, key=lambda p: (-rank_of_path.get(p, 0.0), p))
    lines: list[str] = []
    for path in files:
        lines.append(f"{show(path)}:")
        for sym, depth, name in in_the_text(list(by_file[path].values()), lambda sym: sym.sid):
            signature = sym.signature.strip() or f"{sym.kind} {bare_name(sym.sid)}"
            lines.append(f"{'    ' * depth}  {_clipped(shown(signature.splitlines()[0], name))}")
    return ("\n".join(lines) + "\n" if lines else ""), files


@lru_cache(maxsize=1)
def token_counter():
    """cl100k token counting, offline and fast to load.

    `import bpe_openai` spends ~0.6 s building Python-side rank tables that only decoding
    needs; its Rust binding alone loads in ~35 ms and counts exactly the same tokens, so
    the map loads just that (and falls back to the package if its layout ever changes).
    """
    spec = importlib.util.find_spec("bpe_openai")
    binding = Path(spec.origin).with_name("_bindings.abi3.so") if spec and spec.origin else None
    if binding and binding.exists():
        loader = importlib.util.spec_from_file_location("bpe_openai._bindings", binding)
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        return module.tokenizer_for_encoding("cl100k_base").count
    import bpe_openai

    encoding = bpe_openai.get_encoding("cl100k_base")
    return lambda text: len(encoding.encode_ordinary(text))
