"""`codewright callgraph | callers | callees | impact`: the Python call graph on the command line.

`callgraph` analyses entry files directly (PyCG's JSON format). The other three read the
index's `calls` table (`.codewright/index.db`), indexing and resolving first if needed.
"""

from __future__ import annotations

import argparse
import codecs
import io
import json
import os
import sys
import tokenize
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from codewright.cli.inputs import file_path, folder, nonempty, positive_int
from codewright.cli.output import print_json
from codewright.cli.project import tree
from codewright.errors import UsageError
from codewright.graph.store import bare_name, split_id
from codewright.quoting import quoted

if TYPE_CHECKING:
    from codewright.graph.pyresolve.program import Progress


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("callgraph", help="the call graph of Python entry files (PyCG's JSON format)")
    p.add_argument("files", nargs="+", type=file_path, metavar="FILE", help="the entry files (Python)")
    p.add_argument("--format", choices=["pycg"], default="pycg", help="PyCG's JSON (the only one, the default)")
    p.add_argument("--package", type=folder, default=None, help="module names are relative to this (default: .)")
    p.add_argument("-o", "--output", type=file_path, default=None, metavar="FILE",
                   help="write the JSON to FILE (default: standard output)")
    p.set_defaults(func=run_callgraph)
    for name, text in (("callers", "who calls SYMBOL"), ("callees", "what SYMBOL calls"),
                       ("impact", "transitive callers of SYMBOL")):
        q = sub.add_parser(name, help=text)
        q.add_argument("symbol", type=nonempty, metavar="SYMBOL",
                       help="path::Qual.name, a dotted qualname, a bare name or FILE:LINE:COL")
        q.add_argument("--repo", type=folder, metavar="PATH",
                       help="the indexed tree (default: the project the current directory is in)")
        q.add_argument("--json", action="store_true", help="print one JSON document")
        if name == "impact":
            q.add_argument("--depth", type=positive_int, default=3, metavar="N",
                           help="callers up to N calls away (default 3)")
        q.set_defaults(func=run_query, query=name)


def run_callgraph(args: argparse.Namespace) -> int:
    from codewright.graph.pyresolve import analyze_package, pycg_callgraph

    package = (args.package or Path(".")).resolve()
    if not package.is_dir():
        raise UsageError(f"not a directory: {quoted(args.package)}")
    entries = _entries(args.files)
    if args.output:
        _check_output(args.output, entries)
    prog = analyze_package(package, [f.resolve() for f in entries])
    text = json.dumps(pycg_callgraph(prog), indent=2) + "\n"
    if not args.output:
        sys.stdout.write(text)
        return 0
    _check_output(args.output, [package / p for p in prog.modules])  # imported modules were read too
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {quoted(args.output)}: {exc.strerror or exc}") from None
    return 0


def _entries(files: list[Path]) -> list[Path]:
    """The FILEs worth analysing. The resolver would take a binary, UTF-16 or oversized file for an empty
    module and print `{}`, so those are left out with a warning, and are a usage error when nothing is left."""
    for f in files:
        if not f.exists():
            raise UsageError(f"no such file: {quoted(f)}")
        if not f.is_file():
            kind = "a directory; give the Python files in it" if f.is_dir() else "not a regular file"
            raise UsageError(f"{quoted(f)} is {kind}")
    problems = {f: why for f in files if (why := _not_python_text(f))}
    ok = [f for f in files if f not in problems]
    if not ok:
        listing = "; ".join(f"{quoted(f)}: {why}" for f, why in problems.items())
        raise UsageError(f"cannot analyse {listing}")
    for f, why in problems.items():
        print(f"codewright: warning: skipped {quoted(f)}: {why}", file=sys.stderr)
    return ok


def _not_python_text(path: Path) -> str | None:
    """Why the resolver cannot read PATH as Python source, or None when it can."""
    from codewright.graph.pyresolve.program import MAX_FILE_BYTES

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return f"over the {MAX_FILE_BYTES:,}-byte size limit"
        data = path.read_bytes()
    except OSError as exc:
        return exc.strerror or str(exc)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)):
        return "UTF-16 or UTF-32 text; Python source must be UTF-8 or declare its encoding"
    if b"\0" in data:
        return "binary content (NUL bytes)"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return "not UTF-8 text, nor in the encoding it declares"
    return None


def _check_output(out: Path, sources: list[Path]) -> None:
    """Refuse an -o that cannot be written before the analysis runs, and one that is a file the graph is
    made from: writing there would replace source code with JSON."""
    if out.is_dir():
        raise UsageError(f"cannot write {quoted(out)}: it is a directory; give a file name")
    if not out.parent.is_dir():
        raise UsageError(f"cannot write {quoted(out)}: no such directory: {quoted(out.parent)}")
    for src in sources:
        if out.resolve() == src.resolve() or (out.exists() and src.exists() and os.path.samefile(out, src)):
            raise UsageError(f"refusing to write the call graph to {quoted(out)}: it is one of the files analysed")


def _open(repo: Path, quiet: bool):
    """The index brought up to date first, as `find` does: the resolver reads the files as they are now, and
    with the rows of before an edit (a `git checkout`) it mixed the two. An index that cannot be written
    answers as it is, and says so when the tree has changed since; its call graph, when files are left to resolve,
    is resolved in a copy in memory (writing it there was a traceback), unless it was resolved by another version:
    that would resolve the whole program (half a minute on django) on every question, so the rows stored answer, with
    a line that says so. A progress line shows the resolution on a terminal, unless `quiet` (--json)."""
    from codewright.graph import store
    from codewright.graph.calls import ensure_calls
    from codewright.graph.cli import open_index, up_to_date
    from codewright.graph.pyresolve import integrate

    index = open_index(repo)
    writable = up_to_date(index)
    another = integrate.another_format(index.conn)
    if not writable:
        if another:
            print(ANOTHER_FORMAT, file=sys.stderr)
            return index
        if integrate.dirty_count(index.conn):
            index.conn = store.memory_copy(index.conn)
    with _progress_line(quiet) as progress:
        ensure_calls(index, lambda files: _say_when_long(files, another), progress)
    return index


@contextmanager
def _progress_line(quiet: bool) -> Iterator[Progress | None]:
    """A callback that shows the resolution's steps on one line, gone when it ends, as `index` shows its files;
    None when `quiet` or when standard output or error is not a terminal."""
    if quiet or not (sys.stdout.isatty() and sys.stderr.isatty()):
        yield None
        return
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    # refreshed by rich's own thread (nothing forks while the call graph resolves, unlike the index's parse pool):
    # solving calls back nothing for seconds, and its clock and pulsing bar showed it had not stopped
    with Bar(TextColumn("resolving the call graph: {task.description}"), BarColumn(), TimeElapsedColumn(),
             transient=True, refresh_per_second=4) as bar:
        task = bar.add_task("", total=None)
        shown = [""]  # the step on the line

        def progress(step: str, done: int, total: int | None) -> None:
            """A step with a count (`reading` files, `analysing` modules) fills the bar; one without pulses. Each
            step starts its clock anew: rich stops a task's clock once its bar is full, at the end of `reading`."""
            what = f"{step} {done:,}/{total:,} files" if total else step
            if step != shown[0]:
                shown[0] = step
                bar.reset(task, description=what, completed=done, total=total)
            else:
                bar.update(task, description=what, completed=done, total=total)

        yield progress


ANOTHER_FORMAT = ("codewright: the call graph in the index was resolved by another version of codewright; answers "
                  "may be out of date until a question asked with write access to .codewright/ resolves it again")
NOTICE_FILES = 200  # changed Python files from which resolving them is said first (django's 2,548 take half a minute)


def _say_when_long(files: int, another_format: bool) -> None:
    """One line on standard error before a resolution that takes long: a silent minute read as a hang. After an
    upgrade that resolves the whole program again, no file need have changed."""
    if files >= NOTICE_FILES:
        what = "Python files first (first use of this version)" if another_format else "changed Python files first"
        print(f"codewright: resolving the call graph of {files} {what}", file=sys.stderr)


def run_query(args: argparse.Namespace) -> int:
    from codewright.graph.calls import as_tree, callees, callers, impact, resolve_symbol
    from codewright.graph.cli import tree_target

    with _open(tree(args.repo), quiet=args.json) as index:
        symbol = resolve_symbol(index.conn, tree_target(index, args.symbol))
        if args.query == "callers":
            out = {"symbol": symbol, "callers": callers(index.conn, symbol)}
            lines = [f"{quoted(r['id'])}  {quoted(r['path'])}:{r['line']}:{r['col']}" for r in out["callers"]]
        elif args.query == "callees":
            out = {"symbol": symbol, "callees": callees(index.conn, symbol)}
            lines = [f"{quoted(r['id'])}{'  (external)' if r['external'] else ''}  line {r['line']}"
                     for r in out["callees"]]
        else:
            out = {"symbol": symbol, "depth": args.depth, "callers": impact(index.conn, symbol, args.depth)}
            lines = [f"{'  ' * (r['distance'] - 1)}{quoted(r['id'])}" for r in as_tree(out["callers"], symbol)]
    if args.json:
        print_json(out)
    else:
        print(quoted(symbol))
        for line in lines or [_nothing(args.query, symbol)]:
            print("  " + line)
    return 0


def _nothing(query: str, symbol: str) -> str:
    """The line that stands for an empty list, saying why where the reason is known."""
    found = "calls nothing in the call graph" if query == "callees" else "no callers in the call graph"
    path = split_id(symbol)[0]
    if path.endswith((".py", ".pyi")):
        return f"({found})"
    if query == "callees":
        return f"({found}: it covers Python only)"
    return f"({found}: it covers Python only; `codewright refs {bare_name(symbol)}` lists this name's uses)"
