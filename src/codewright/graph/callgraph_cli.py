"""`codewright callgraph | callers | callees | impact`: the Python call graph on the command line.

`callgraph` analyses entry files directly (PyCG's JSON format). The other three read the
index's `calls` table (`.codewright/index.db`), indexing and resolving first if needed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from codewright.errors import UsageError
from codewright.graph.store import bare_name


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("callgraph", help="the call graph of Python entry files (PyCG's JSON format)")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--format", choices=["pycg"], default="pycg")
    p.add_argument("--package", type=Path, default=None, help="module names are relative to this (default: .)")
    p.add_argument("-o", "--output", type=Path, default=None)
    p.set_defaults(func=run_callgraph)
    for name, text in (("callers", "who calls SYMBOL"), ("callees", "what SYMBOL calls"),
                       ("impact", "transitive callers of SYMBOL")):
        q = sub.add_parser(name, help=text)
        q.add_argument("symbol", metavar="SYMBOL", help="path::Qual.name, a dotted qualname or a bare name")
        q.add_argument("--repo", type=Path, default=Path("."), metavar="PATH")
        q.add_argument("--json", action="store_true")
        if name == "impact":
            q.add_argument("--depth", type=int, default=3)
        q.set_defaults(func=run_query, query=name)


def run_callgraph(args: argparse.Namespace) -> int:
    from codewright.graph.pyresolve import analyze_package, pycg_callgraph

    package = (args.package or Path(".")).resolve()
    if not package.is_dir():
        raise UsageError(f"not a directory: {args.package}")
    for f in args.files:
        if not f.is_file():
            raise UsageError(f"no such file: {f}")
    graph = pycg_callgraph(analyze_package(package, [f.resolve() for f in args.files]))
    text = json.dumps(graph, indent=2)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0


def _open(repo: Path):
    from codewright.graph.calls import ensure_calls
    from codewright.graph.index import Index

    index = Index.open(repo)
    ensure_calls(index)
    return index


def run_query(args: argparse.Namespace) -> int:
    from codewright.graph.calls import callees, callers, impact, resolve_symbol

    if args.query == "impact" and args.depth < 1:
        raise UsageError("--depth must be at least 1")
    with _open(args.repo) as index:
        symbol = resolve_symbol(index.conn, args.symbol)
        if args.query == "callers":
            out = {"symbol": symbol, "callers": callers(index.conn, symbol)}
            lines = [f"{r['id']}  {r['path']}:{r['line']}:{r['col']}" for r in out["callers"]]
        elif args.query == "callees":
            out = {"symbol": symbol, "callees": callees(index.conn, symbol)}
            lines = [f"{r['id']}{'  (external)' if r['external'] else ''}  line {r['line']}" for r in out["callees"]]
        else:
            out = {"symbol": symbol, "depth": args.depth, "callers": impact(index.conn, symbol, args.depth)}
            lines = [f"{'  ' * (r['distance'] - 1)}{r['id']}" for r in out["callers"]]
    if args.json:
        print(json.dumps(out))
    else:
        print(symbol)
        for line in lines or [_nothing(args.query, symbol)]:
            print("  " + line)
    return 0


def _nothing(query: str, symbol: str) -> str:
    """The line that stands for an empty list, saying why where the reason is known."""
    found = "calls nothing in the call graph" if query == "callees" else "no callers in the call graph"
    path = symbol.split("::", 1)[0]
    if path.endswith((".py", ".pyi")):
        return f"({found})"
    if query == "callees":
        return f"({found}: it covers Python only)"
    return f"({found}: it covers Python only; `codewright refs {bare_name(symbol)}` lists this name's uses)"
