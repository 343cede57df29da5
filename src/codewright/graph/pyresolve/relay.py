"""The callers an update analyses with the redone files beyond their direct ones: their callers' callers that a
value is passed on from.

An update analyses the redone files with the files whose stored rows lead into them, so the values those callers
pass reach the redone files' parameters as in a whole-program run. A caller that passes on a parameter of its own
(`def h(cb): f(cb)`, f redone) only passes on what its callers pass it: their files are analysed too, one level
up, no further. A parameter counts where it is an argument as it stands (`f(cb)`, `f(x=cb)`, `f(*args)`); a value
built from one (`f(cb.x)`) or a receiver (`cb.run()`) does not. On django, following every level, or receivers
too (`self.run()` in every subclass's method), analysed two to three times the files of an edit of
django/utils/functional.py, near the cost of a whole-program run; this one level adds about half.
"""

from __future__ import annotations

import ast
import sqlite3
import warnings
from pathlib import Path

from codewright.graph.pyresolve.model import named_at, wide_col, wide_lines
from codewright.graph.pyresolve.program import decoded

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def relaying_callers(conn: sqlite3.Connection, root: Path, redo: set[str], present: set[str]) -> set[str]:
    """The files, not in `redo`, that call a function which passes one of its parameters on into `redo`: the stored
    call rows say who calls what, the callers' syntax whether the call passes a parameter on."""
    relays = _relays(root, _rows_into(conn, redo), redo, present)
    return {path for _, path, _, _ in _rows_calling(conn, relays) if path in present and path not in redo}


def ids_of(path: str) -> tuple[str, str]:
    """The bounds of every symbol id of a file: `;` follows `:`, so a range the index serves."""
    return f"{path}::", f"{path}:;"


def _rows_into(conn: sqlite3.Connection, paths: set[str]) -> list[tuple[str, str, int, int]]:
    rows = []
    for path in sorted(paths):
        rows += conn.execute("SELECT caller, path, line, col FROM calls WHERE callee >= ? AND callee < ?",
                             ids_of(path))
    return rows


def _rows_calling(conn: sqlite3.Connection, callees: set[str]) -> list[tuple[str, str, int, int]]:
    rows = []
    for callee in sorted(callees):
        rows += conn.execute("SELECT caller, path, line, col FROM calls WHERE callee = ?", (callee,))
    return rows


def _relays(root: Path, rows: list[tuple[str, str, int, int]], redo: set[str], present: set[str]) -> set[str]:
    """The callers among `rows` (outside `redo`, functions) whose call at the row passes a parameter on."""
    by_path: dict[str, set[tuple[str, int, int]]] = {}
    for caller, path, line, col in rows:
        if path in present and path not in redo and not caller.endswith("::"):
            by_path.setdefault(path, set()).add((caller, line, col))
    out: set[str] = set()
    for path, calls in sorted(by_path.items()):
        relayed = _relaying_calls(root, path)
        out.update(caller for caller, line, col in calls if (line, col) in relayed)
    return out


def _relaying_calls(root: Path, path: str) -> set[tuple[int, int]]:
    """The (line, character column) of each call in `path` that passes a parameter of its function on."""
    try:
        source = decoded((root / path).read_bytes())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    wide = wide_lines(source)
    out = set()
    todo: list[tuple[ast.AST, frozenset[str]]] = [(tree, frozenset())]
    while todo:
        node, params = todo.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (*_DEFS, ast.ClassDef)):
                todo.append((child, frozenset() if isinstance(child, ast.ClassDef) else _params(child.args)))
                continue
            if isinstance(child, ast.Call) and params & _passed(child):
                line, col = named_at(child)  # where the call graph's rows put the call
                out.add((line, wide_col(wide, line, col)))
            todo.append((child, params))
    return out


def _params(args: ast.arguments) -> frozenset[str]:
    named = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return frozenset(a.arg for a in named if a is not None)


def _passed(call: ast.Call) -> set[str]:
    """The names a call passes as they stand as its arguments."""
    values = [a.value if isinstance(a, ast.Starred) else a for a in call.args] + [k.value for k in call.keywords]
    return {v.id for v in values if isinstance(v, ast.Name)}

