"""The repo map: the most important files and signatures of a tree, in N tokens or fewer.

One idea, from aider's repomap: a definition matters as much as the code that uses it.
Files are nodes of a graph with an edge A -> B for each symbol of B that A references
(weighted by the square root of the number of uses, so one chatty caller cannot dominate;
private `_names` count a tenth): the targets imports resolve and, outside Python, uses
matched to definitions by name (`_name_edges`). PageRank over that graph says which files the rest of
the tree leans on; each file then hands its rank to the symbols it references, in
proportion to its edges, and those symbols are what the map shows.

Focus (`--focus NAME_OR_PATH`) personalises the walk: the random surfer restarts at the
focused files (or the files defining a focused name) instead of anywhere, and edges to a
focused name weigh ten times more, so the map bends toward the task at hand.

The map is then packed: a binary search finds the most symbols whose rendering fits the
token budget, counted with the real cl100k tokenizer, so it never overshoots.
"""

from __future__ import annotations

import importlib.util
import math
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from codewright.graph.files import is_vendored

DAMPING = 0.85
ITERATIONS = 40
FOCUS_BOOST = 10.0
PRIVATE_WEIGHT = 0.1


@dataclass
class RepoMap:
    text: str
    tokens: int
    files: list[str] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)


@dataclass
class _Sym:
    sid: str
    path: str
    kind: str
    signature: str
    start_line: int
    parent: str | None


def repo_map(conn: sqlite3.Connection, tokens: int, focus: list[str]) -> RepoMap:
    edges = _edges(conn)
    paths = dict(conn.execute("SELECT id, path FROM files WHERE status='indexed'"))
    focus_files, focus_names = _focus(conn, focus, paths)
    file_rank = pagerank(paths, edges, focus_files, focus_names)
    ranked = _symbol_ranks(edges, file_rank, focus_names)
    fallback = _top_level(conn, file_rank, paths, tokens)
    focused = _focused(conn, focus_files, focus_names, paths)
    order = [s for s in _dedupe([*focused, *ranked, *fallback]) if _worth_showing(s)]
    return _pack(conn, order, file_rank, paths, tokens)


def _focused(conn: sqlite3.Connection, files: set[int], names: set[str], paths: dict[int, str]) -> list[str]:
    """What the user pointed at comes first: each focused name's definitions with their members
    (public ones first), then the top-level definitions (and members) of each focused file that defines no focused name."""
    found: list[str] = []
    for name in sorted(names):
        for (sid,) in conn.execute("SELECT sid FROM symbols WHERE name=? AND kind != 'module'", (name,)):
            found.append(sid)
            found.extend(r[0] for r in conn.execute(
                "SELECT sid FROM symbols WHERE parent=? ORDER BY substr(name, 1, 1) = '_', start_line", (sid,)))
    named_in = {sid.split("::", 1)[0] for sid in found}
    for file_id in sorted(files, key=lambda i: paths[i]):
        if paths[file_id] not in named_in:
            found.extend(r[0] for r in conn.execute(
                "SELECT sid FROM symbols WHERE file_id=? AND kind != 'module' ORDER BY start_line", (file_id,)))
    return found


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
        found[file_id][target] = _weight(_name(target), uses)
    for file_id, target, weight in _name_edges(conn):
        found[file_id][target] = found[file_id].get(target, 0.0) + weight
    return found


def _weight(name: str, uses: int) -> float:
    return math.sqrt(uses) * (PRIVATE_WEIGHT if name.startswith("_") else 1.0)


def _name_edges(conn: sqlite3.Connection) -> list[tuple[int, str, float]]:
    """Edges from the uses that imports could not resolve, in every language but Python.

    Python's resolver follows imports, classes and calls, so its unresolved uses are mostly
    attributes of values it cannot type, where a name says little. The other languages resolve
    only what imports name, yet most of their uses cross files another way: a Go package spans
    its folder, a CommonJS module hands out an object. There a use of `send` leans on the files
    that define `send`, as in ctags-based maps: each of the k definitions (in the same language
    family, other files) gets 1/k of the use's weight, so a name defined everywhere adds little.
    Only what a use can name is matched. Not a name the file's imports bind, nor a member of
    one (`test` from 'ava', `fmt.Println`): the import says what it is, in the tree or not. Not
    a definition inside a function, which is the function's own. In JavaScript, whose modules
    (CommonJS and ES alike) keep their top-level names to themselves, a use matches only a member
    assigned to an object (`_js_member`) and only through that object's name, as CommonJS code
    writes it in every module: `res.send(...)` names `res.send = function`, `router.handle(...)`
    names `Router.prototype.handle = ...`; `arr.length` names no `$state.length`. Not vendored
    or minified files (jQuery's `e` and `t` are not the tree's), nor names of one or two characters.
    """
    families = {
        file_id: _FAMILY.get(language, language)
        for file_id, path, language in conn.execute(
            "SELECT id, path, language FROM files WHERE status='indexed' AND language IS NOT NULL"
            " AND language != 'python'")
        if not is_vendored(path)
    }
    if not families:
        return []
    definers = _definers(conn, families)
    edges = []
    for file_id, family in families.items():
        bound = _imported_names(conn, file_id)
        for name, qualifier, member, uses in conn.execute(
                "SELECT name, qualifier, kind = 'attribute', count(*) FROM refs WHERE file_id=? AND target IS NULL"
                " GROUP BY name, qualifier, kind = 'attribute'", (file_id,)):
            if name in bound or qualifier.split(".", 1)[0] in bound:
                continue
            defs = [(sid, where) for owner in _owners(family, qualifier, member)
                    for sid, where in definers.get((family, name, owner), ()) if where != file_id]
            edges.extend((file_id, sid, _weight(name, uses) / len(defs)) for sid, _ in defs)
    return edges


def _owners(family: str, qualifier: str, member: bool) -> tuple[str, ...]:
    """The owners (see `_definers`) of what a use can name: `x.name` (or a field named in a struct
    literal) a member, a bare `name` a top-level definition, or in Java and C++ a member too (of
    `this`, implicit)."""
    if family == "javascript":
        return (qualifier.rsplit(".", 1)[-1].lower(),)
    if qualifier or member:
        return (_MEMBER,)
    return ("", _MEMBER) if family in _IMPLICIT_THIS else ("",)


def _imported_names(conn: sqlite3.Connection, file_id: int) -> set[str]:
    """The local names a file's imports bind: aliases, imported names, Go's package names."""
    found: set[str] = set()
    for module, names, alias in conn.execute("SELECT module, names, alias FROM imports WHERE file_id=?", (file_id,)):
        found.add(alias or re.split(r"[/.:]", module.rstrip("/"))[-1])
        found.update(n for n in names.split(",") if n not in ("", "*", "default"))
    return found


def _definers(conn: sqlite3.Connection, families: dict[int, str]) -> dict[tuple[str, str, str], list[tuple[str, int]]]:
    """(language family, name, owner) -> [(symbol id, file id)] of the definitions a use may name.
    The owner is "" for a top-level definition and "." for a member (a method, a field, what a
    class or struct holds); in JavaScript, the lowercased object a member is assigned to."""
    found: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
    rows = conn.execute(
        "SELECT s.name, s.sid, s.file_id, s.kind, p.kind FROM symbols s LEFT JOIN symbols p ON p.sid = s.parent"
        " WHERE s.kind != 'module' AND NOT (p.kind IN ('function', 'method')"
        " AND s.start_line BETWEEN p.start_line AND p.end_line)")  # a function's own definitions
    for name, sid, file_id, kind, parent_kind in rows:
        family = families.get(file_id)
        if family is None or len(name) < _MATCHED_NAME_MIN:
            continue
        if family != "javascript":
            member = kind in _MEMBER_KINDS or parent_kind in _CONTAINERS
            found[(family, name, _MEMBER if member else "")].append((sid, file_id))
        elif _js_member(sid, name, parent_kind):
            found[(family, name, sid.split("::", 1)[1].split(".", 1)[0].lower())].append((sid, file_id))
    return found


def _js_member(sid: str, name: str, parent_kind: str | None) -> bool:
    """A JavaScript definition another module reaches by name: a member assigned to an object or
    prototype (`res.send = ...`, `exports.send = ...`, `Router.prototype.send = ...`). Top-level
    names stay in their module; a class's members are reached through values no import names,
    as in Python, which is left to the resolver."""
    return "." in sid.split("::", 1)[1] and name not in _COMMONJS and parent_kind not in _CLASSES


_FAMILY = {"typescript": "javascript", "tsx": "javascript", "cpp": "c"}  # languages that use each other's names
_COMMONJS = frozenset({"exports"})  # each module's `module.exports = function ...` is its own
_MATCHED_NAME_MIN = 3
_CLASSES = frozenset({"class", "interface"})
_MEMBER = "."
_MEMBER_KINDS = frozenset({"method", "attribute"})
_CONTAINERS = frozenset({"class", "interface", "struct", "enum", "trait", "union"})
_IMPLICIT_THIS = frozenset({"java", "c"})  # C++ shares C's family


def _focus(conn: sqlite3.Connection, focus: list[str], paths: dict[int, str]) -> tuple[set[int], set[str]]:
    by_path = {p: i for i, p in paths.items()}
    files: set[int] = set()
    names: set[str] = set()
    for item in focus:
        item = item.strip().strip("/")
        if item in by_path:
            files.add(by_path[item])
            continue
        under = [i for p, i in by_path.items() if p.startswith(item + "/")]
        if under:
            files.update(under)
            continue
        name = item.rsplit("::", 1)[-1].rsplit(".", 1)[-1]
        names.add(name)
        files.update(r[0] for r in conn.execute("SELECT file_id FROM symbols WHERE name=?", (name,)))
    return files, names


def pagerank(
    paths: dict[int, str], edges: dict[int, dict[str, float]], focus_files: set[int], focus_names: set[str]
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
            dst = file_of.get(sid.split("::", 1)[0])
            if dst is not None:
                boost = FOCUS_BOOST if _name(sid) in focus_names else 1.0
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
    edges: dict[int, dict[str, float]], file_rank: dict[int, float], focus_names: set[str]
) -> list[str]:
    score: dict[str, float] = defaultdict(float)
    for src, targets in edges.items():
        boosted = {sid: w * (FOCUS_BOOST if _name(sid) in focus_names else 1.0) for sid, w in targets.items()}
        total = sum(boosted.values())
        for sid, weight in boosted.items():
            score[sid] += file_rank.get(src, 0.0) * weight / total
    return sorted(score, key=lambda s: (-score[s], s))


def _worth_showing(sid: str) -> bool:
    """Modules are shown by their file header; `__all__` and other dunders say little."""
    name = _name(sid)
    return not sid.endswith("::") and not (name.startswith("__") and name.endswith("__") and "." not in
                                            sid.split("::", 1)[1])


def _name(sid: str) -> str:
    return sid.rsplit("::", 1)[-1].rsplit(".", 1)[-1]


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _pack(
    conn: sqlite3.Connection, order: list[str], file_rank: dict[int, float], paths: dict[int, str], budget: int
) -> RepoMap:
    """The longest prefix of `order` whose rendering fits `budget` tokens (binary search)."""
    order = order[: max(budget, 0)]  # a symbol costs at least one token
    info = _load(conn, order)
    order = [s for s in order if s in info]
    rank_of_path = {paths[i]: r for i, r in file_rank.items()}
    count = token_counter()
    best = RepoMap("", 0)
    lo, hi = 1, len(order)
    while lo <= hi:
        mid = (lo + hi) // 2
        text, files = _render([info[s] for s in order[:mid]], info, rank_of_path)
        used = count(text)
        if used <= budget:
            best = RepoMap(text, used, files, order[:mid])
            lo = mid + 1
        else:
            hi = mid - 1
    return best


def _load(conn: sqlite3.Connection, sids: list[str]) -> dict[str, _Sym]:
    found: dict[str, _Sym] = {}
    for start in range(0, len(sids), 500):
        batch = sids[start : start + 500]
        rows = conn.execute(
            "SELECT s.sid, f.path, s.kind, s.signature, s.start_line, s.parent FROM symbols s"
            f" JOIN files f ON f.id=s.file_id WHERE s.sid IN ({','.join('?' * len(batch))})",
            batch,
        )
        for row in rows:
            found.setdefault(row[0], _Sym(*row))
    return found


def _render(chosen: list[_Sym], info: dict[str, _Sym], rank_of_path: dict[str, float]) -> tuple[str, list[str]]:
    """Files by rank; in each, the chosen symbols in line order, methods under their class."""
    by_file: dict[str, dict[str, _Sym]] = defaultdict(dict)
    for sym in chosen:
        by_file[sym.path][sym.sid] = sym
        parent = info.get(sym.parent or "")
        if parent and parent.kind != "module":
            by_file[sym.path].setdefault(parent.sid, parent)
    files = sorted(by_file, key=lambda p: (-rank_of_path.get(p, 0.0), p))
    lines: list[str] = []
    for path in files:
        lines.append(f"{path}:")
        for sym in sorted(by_file[path].values(), key=lambda s: s.start_line):
            depth = sym.sid.split("::", 1)[1].count(".")
            signature = sym.signature.strip() or f"{sym.kind} {_name(sym.sid)}"
            lines.append(f"{'    ' * depth}  {signature.splitlines()[0]}")
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
