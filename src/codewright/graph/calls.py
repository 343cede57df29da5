"""Questions about the Python call graph: who calls a symbol, what it calls, what a change reaches.

The resolver (`codewright.graph.pyresolve`) fills the index's `calls` table lazily;
`ensure_calls` brings it up to date before a question. The CLI and the agent's tools
both ask through here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from codewright.errors import UsageError
from codewright.graph.queries import LINE_ONLY, POSITION, definitions, inherited, reexported
from codewright.graph.store import depth_first
from codewright.quoting import cut, quoted

if TYPE_CHECKING:
    from codewright.graph.pyresolve.program import Progress


def ensure_calls(index, before: Callable[[int], None] | None = None, progress: Progress | None = None) -> None:
    """Resolve the files changed since the last question (the whole program on first use); `before` is told how
    many changed files there are first (on django's first question that takes half a minute), `progress` each
    step of the resolution (`integrate.ensure`)."""
    from codewright.graph.pyresolve import integrate

    if index.is_empty:
        index.build()
    if before:
        before(integrate.dirty_count(index.conn))
    integrate.ensure(index.conn, index.root, progress)


def resolve_symbol(conn: sqlite3.Connection, text: str) -> str:
    """A symbol id for SYMBOL; several matches are a usage error that lists them."""
    if POSITION.match(text) or LINE_ONLY.match(text):
        return _symbol_at(conn, text)
    if "::" in text:
        known = conn.execute("SELECT 1 FROM symbols WHERE sid=? UNION ALL SELECT 1 FROM calls WHERE callee=? LIMIT 1",
                             (text, text)).fetchone()
        if not known:
            _refuse_another_language(conn, text)
            raise UsageError(f"no symbol with the id {text!r} (ids are path::Qual.name; `codewright symbols NAME` "
                             "finds them)")
        return text
    rows = (_python_symbols(conn, "qualname", text) or _python_symbols(conn, "name", text)
            or _python_symbols(conn, "qualname", text, modules=True) or _python_tail(conn, text)
            or reexported(conn, text) or inherited(conn, text))
    if not rows:
        rows = sorted({r[0] for r in conn.execute(  # ends with, by substr: LIKE would read % and _ as wildcards
            "SELECT callee FROM calls WHERE callee=? OR substr(callee, -?)=? UNION "
            "SELECT caller FROM calls WHERE substr(caller, -?)=?",
            (text, len(text) + 1, f".{text}", len(text) + 2, f"::{text}"))})
    rows = list(dict.fromkeys(rows))
    if not rows and conn.execute("SELECT 1 FROM files WHERE path=?", (text.removeprefix("./"),)).fetchone():
        raise UsageError(f"{text} is a file, not a symbol: name one of its functions or classes "
                         f"(`codewright outline {text}` lists them)")
    if not rows:
        _refuse_another_language(conn, text)
        raise UsageError(f"no symbol named {cut(text)}")
    return _only(text, rows)


def _only(text: str, rows: list[str]) -> str:
    """The one id of `rows`; several are a usage error that lists them."""
    if len(rows) > 1:
        listing = "\n  ".join(rows[:50])
        raise UsageError(f"{cut(text)} is ambiguous; use one of:\n  {listing}")
    return rows[0]


def _symbol_at(conn: sqlite3.Connection, position: str) -> str:
    """The id of the symbol defined or used at FILE:LINE:COL (FILE relative to the tree), as `def` finds it: where an
    editor's cursor stands, which `def` and `refs` took and callers read as a name, `no symbol named`. A position
    without its column, a file not indexed or a folder are usage errors as for `def`."""
    rows = list(dict.fromkeys(s.id for s in definitions(conn, position)))
    if not rows:
        raise UsageError(f"no symbol is defined or used at {cut(position, quoted)}")
    return _only(position, rows)


def _refuse_another_language(conn: sqlite3.Connection, text: str) -> None:
    """A usage error that says so where SYMBOL names no Python symbol but one of another language, found as `def`
    finds it (`Command.Execute`, Rust's `W::size`): it was no symbol at all, where only its qualname or bare name
    was looked for."""
    try:
        found = definitions(conn, text)
    except UsageError:  # a position that names no place: no symbol, as the caller says
        return
    for sym in found:
        language = conn.execute("SELECT language FROM files WHERE path=?", (sym.path,)).fetchone()[0]
        if language != "python":
            raise UsageError(f"{cut(text)} is a {language} symbol ({sym.id}): the call graph covers Python only")


def _python_symbols(conn: sqlite3.Connection, column: str, text: str, modules: bool = False) -> list[str]:
    """The ids of Python symbols whose `column` (qualname or name) is `text`: a JavaScript function of the same
    bare name (its qualname is the name itself) would otherwise be chosen over the Python one. Modules only when
    asked: `callers main` meant the function main, not the module main.py that holds it."""
    return [row[0] for row in conn.execute(
        f"SELECT s.sid FROM symbols s JOIN files f ON f.id = s.file_id WHERE s.{column}=? AND f.language='python' "
        f"AND (s.kind='module') = ? ORDER BY s.sid", (text, modules))]


def _python_tail(conn: sqlite3.Connection, text: str) -> list[str]:
    """The ids of Python symbols whose qualified name ends with the dotted `text` (`Cart.total` for
    shop.cart.Cart.total), as `def` takes one. Only a method that called something was found so (by its id's end in
    the calls table): `callers Class.method` of one that calls nothing said there was no such symbol."""
    if "." not in text:
        return []
    rows = conn.execute(
        "SELECT s.sid, s.qualname FROM symbols s JOIN files f ON f.id = s.file_id WHERE s.name=? "
        "AND f.language='python' AND s.kind != 'module' ORDER BY s.sid", (text.rpartition(".")[2],))
    return [sid for sid, qualname in rows if qualname.endswith("." + text)]


def callers(conn: sqlite3.Connection, symbol: str) -> list[dict]:
    return [{"id": c, "path": p, "line": ln, "col": col} for c, p, ln, col in conn.execute(
        "SELECT DISTINCT caller, path, line, col FROM calls WHERE callee=? ORDER BY path, line, col", (symbol,))]


def callees(conn: sqlite3.Connection, symbol: str) -> list[dict]:
    return [{"id": c, "external": bool(x), "path": p, "line": ln, "col": col} for c, x, p, ln, col in conn.execute(
        "SELECT DISTINCT callee, external, path, line, col FROM calls WHERE caller=? ORDER BY line, col, callee",
        (symbol,))]


def impact(conn: sqlite3.Connection, symbol: str, depth: int) -> list[dict]:
    """SYMBOL's callers, theirs, and so on up to `depth` calls away, each with its distance and `via`, the one it
    calls through which it was reached first (SYMBOL at distance 1), nearest first.

    The walk stops as soon as a level reaches nobody new, so a huge `depth` costs no more than the graph."""
    seen: dict[str, tuple[int, str | None]] = {symbol: (0, None)}
    frontier = [symbol]
    d = 0
    while frontier and d < depth:
        d += 1
        nxt = []
        for s in frontier:
            for (c,) in conn.execute("SELECT DISTINCT caller FROM calls WHERE callee=? ORDER BY caller", (s,)):
                if c not in seen:
                    seen[c] = (d, s)
                    nxt.append(c)
        frontier = sorted(nxt)
    found = sorted(((d, s, via) for s, (d, via) in seen.items() if d > 0))
    return [{"id": s, "distance": d, "via": via} for d, s, via in found]


def as_tree(found: list[dict], symbol: str) -> list[dict]:
    """`impact`'s callers in the order of a tree: each right after the one it was reached through, so that indented
    by its distance it stands under the one it calls (in distance order it stood under whichever was printed last
    one level up, and read as calling that one)."""
    under: dict[str, list[dict]] = {}
    for caller in found:
        under.setdefault(caller["via"], []).append(caller)
    return depth_first(under.get(symbol, []), under, lambda caller: caller["id"])
