"""`codewright index | symbols | def | refs | outline | stats | map`: the knowledge graph's commands.

Every query command works on `--repo PATH` (default: the project the current directory is in, `cli.project`)
and builds the index first when there is none yet. Progress shows only on a terminal and never with
`--json`, whose output is one JSON document (schemas in docs/cli.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codewright.cli.inputs import folder, nonempty, positive_int, whole_number
from codewright.cli.output import print_json
from codewright.cli.project import tree
from codewright.errors import CodewrightError
from codewright.graph.store import bare_name, in_the_text, shown
from codewright.quoting import cut, quoted

if TYPE_CHECKING:
    from codewright.graph.index import BuildStats, Index


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="build or update PATH/.codewright/index.db")
    p.add_argument("path", nargs="?", type=folder, metavar="PATH",
                   help="the tree (default: the project the current directory is in)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_index)

    def query(name: str, help_: str, func: Any, arg: str | None, arg_help: str = "") -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=help_)
        if arg:
            q.add_argument(arg, type=nonempty, help=arg_help)
        q.add_argument("--repo", type=folder, metavar="PATH",
                       help="the indexed tree (default: the project the current directory is in)")
        q.add_argument("--json", action="store_true", help="print one JSON document")
        q.set_defaults(func=func)
        return q

    q = query("symbols", "find symbols by name (fuzzy)", cmd_symbols, "query", "a name or part of one")
    q.add_argument("--limit", type=positive_int, default=50, metavar="N", help="at most N symbols (default 50)")
    query("def", "where a symbol is defined", cmd_def, "target", "NAME, Qual.name, path::Qual or FILE:LINE:COL")
    query("refs", "where a symbol is used", cmd_refs, "name", "NAME, pkg.mod.NAME, path::Qual or FILE:LINE:COL")
    query("outline", "the symbols of one file", cmd_outline, "file", "a file of the tree")
    query("stats", "what the index holds", cmd_stats, None)
    q = query("map", "the most important files and signatures, in N tokens", cmd_map, None)
    q.add_argument("--tokens", type=whole_number(0), default=1024, metavar="N", help="token budget, never exceeded (default 1024)")
    q.add_argument("--focus", nargs="+", type=nonempty, default=[], metavar="NAME_OR_PATH",
                   help="bend the map toward these")  # an empty one ('') read as the path `.`


def cmd_index(args: argparse.Namespace) -> int:
    index = open_index(tree(args.path))
    stats = _build(index, quiet=args.json)
    if args.json:
        print_json({"root": str(index.root), "db": str(index.root / ".codewright" / "index.db"),
                    "notices": index.notices, **stats.to_json()})
    else:  # the project found above the current directory is named: it is not where the user stands
        where = f" of {quoted(str(index.root))}" if args.path is None and index.root != Path.cwd() else ""
        print(
            f"indexed {stats.files} files{where} in {stats.seconds:.2f}s ({stats.parsed} parsed, {stats.unchanged}"
            f" unchanged, {stats.removed} removed, {stats.skipped} skipped, {stats.errors} with errors)"
        )
    return 0


def cmd_symbols(args: argparse.Namespace) -> int:
    found = _ready(args).symbols(args.query, args.limit)
    if args.json:
        print_json({"query": args.query, "symbols": [s.to_json() for s in found]})
    for s in [] if args.json else found:
        print(f"{quoted(s.path)}:{s.start_line}:{s.start_col}  {s.kind:<9} {quoted(s.qualname)}")
    if not found and not args.json:
        print(f"no symbol's name matches {cut(args.query)}")
    return 0


def cmd_def(args: argparse.Namespace) -> int:
    index = _ready(args)
    found = index.definitions(tree_target(index, args.target))
    if args.json:
        print_json({"target": args.target, "definitions": [s.to_json() for s in found]})
    for s in [] if args.json else found:
        print(f"{quoted(s.path)}:{s.start_line}:{s.start_col}  {quoted(s.signature or s.qualname)}")
    if not found and not args.json:  # a pasted page is named by its start, as callers names one
        raise CodewrightError(f"no definition found for {cut(args.target, quoted)}")
    return 0 if found else 1


def cmd_refs(args: argparse.Namespace) -> int:
    index = _ready(args)
    target = tree_target(index, args.name)
    found = index.references(target)
    if args.json:
        print_json({"name": args.name, "references": [r.to_json() for r in found]})
    for r in [] if args.json else found:
        arrow = f"  -> {quoted(r.target)}" if r.target else ""
        print(f"{quoted(r.path)}:{r.line}:{r.col}  {r.kind:<10} {r.qualifier + '.' if r.qualifier else ''}{r.name}{arrow}")
    if not found and not args.json:
        print(_none_resolved(index, target, args.name))
    return 0


_NAMED_AT_MOST = 3  # of the symbols at a position (an unresolved attribute's members of its name) a message names


def _none_resolved(index: Index, target: str, asked: str) -> str:
    """What `refs` says where it lists no use of TARGET: that none is resolved to it, with the `refs` of its name (its
    last part, at a position the name of what is defined or used there: the last part of `a.py:4:9` was `py:4:9`),
    or, where the name is all it asked or a position holds no symbol, that no use is indexed. A position is named
    by the symbols there, by id: repeated, it told nothing of what was found there."""
    from codewright.graph.queries import POSITION

    if POSITION.match(target):
        at = index.definitions(target)
        bare = at[0].name if at else ""
    else:
        at, bare = [], bare_name(target)
    if bare in (asked, ""):  # `Engine.` names no use to suggest
        return f"no uses of {cut(asked)} are indexed"
    named = [cut(s.id) for s in at[:_NAMED_AT_MOST]] or [cut(asked)]
    if len(at) > _NAMED_AT_MOST:
        named.append(f"{len(at) - _NAMED_AT_MOST} more")
    return (f"no use is resolved to {' or '.join(named)} (`codewright refs {cut(bare, str)}` lists every use"
            " of the name)")


def cmd_outline(args: argparse.Namespace) -> int:
    index = _ready(args)
    path = _tree_path(index, args.file)
    found = index.outline(path)
    if args.json:
        print_json({"path": path, "symbols": [s.to_json() for s in found]})
    for s, depth, name in [] if args.json else in_the_text(found, lambda s: s.id):
        print(f"{s.start_line:>5}  {'  ' * depth}{quoted(shown(s.signature or s.kind + ' ' + s.name, name))}")
    if not found and not args.json:  # as symbols and refs say theirs: no output at all read as a command that failed
        print(f"{cut(path, quoted)} defines no symbols")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    stats = _ready(args).stats()
    if args.json:
        print_json(stats)
        return 0
    for key, value in stats.items():
        shown = ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else quoted(str(value))
        print(f"{key:<20} {shown}")
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    from codewright.graph.repomap import repo_map

    index = _ready(args)
    focus = [_tree_path(index, item) for item in args.focus]  # ./pkg/a.py and absolute paths, as outline reads them
    result = repo_map(index.conn, args.tokens, focus, show=str if args.json else quoted)
    for item in result.unmatched:  # the map is still made: the other items, or none, bend it
        print(f"codewright: --focus {quoted(item)} names no indexed file, folder or symbol", file=sys.stderr)
    if args.json:
        print_json({"budget": args.tokens, "tokens": result.tokens, "files": result.files,
                    "symbols": result.symbols, "text": result.text})
    elif result.text:
        sys.stdout.write(result.text)
    else:  # said on stderr: stdout stays the map, empty, for a caller that pipes it
        symbols = index.conn.execute("SELECT count(*) FROM symbols WHERE kind != 'module'").fetchone()[0]
        why = f"no file fits in {args.tokens} tokens" if symbols else f"no symbols are indexed under {index.root}"
        print(f"codewright: the map is empty: {why}", file=sys.stderr)
    return 0


def open_index(path: str | Path) -> Index:
    """The index at `path`, its notices (an older or corrupted index.db rebuilt) said on stderr: every command
    that opens one says them, `find` and `callers` too."""
    from codewright.graph.index import Index

    index = Index.open(path)
    for notice in index.notices:
        print(f"codewright: {notice}", file=sys.stderr)
    return index


def _ready(args: argparse.Namespace) -> Index:
    """The index of --repo, built first when there is none yet."""
    index = open_index(tree(args.repo))
    if index.is_empty:
        _build(index, quiet=args.json)
    else:
        say_stale(index)
    return index


STALE_SHOWN = 3  # changed files named in the notice


def up_to_date(index: Index) -> bool:
    """Build the index before a question about the tree as it is now (find, callers, callees, impact); False
    for one in a read-only .codewright/, which answers as it is, saying so when the tree changed since (a build
    there stopped with `cannot write the index`)."""
    from codewright.graph import store

    if store.read_only(store.index_dir(index.root) / store.DB_NAME):
        say_stale(index)
        return False
    index.build()
    return True


def say_stale(index: Index) -> None:
    """One line on stderr when the tree changed since the last build: a query answers from the index as it was
    (only `find` and the agent update it first), and an answer from before an edit read as a wrong one."""
    stale = index.stale_paths()
    if stale:
        more = f" and {len(stale) - STALE_SHOWN} more" if len(stale) > STALE_SHOWN else ""
        print(f"codewright: {len(stale)} file{'s' if len(stale) > 1 else ''} changed since the last index "
              f"({', '.join(map(quoted, stale[:STALE_SHOWN]))}{more}); answers may be out of date: `codewright index` updates it",
              file=sys.stderr)


def tree_target(index: Index, target: str) -> str:
    """TARGET with the file of a FILE:LINE:COL read as `outline` reads one (./m.py, an absolute path); any other
    target as it is."""
    from codewright.graph.queries import POSITION

    position = POSITION.match(target)
    return f"{_tree_path(index, position.group(1))}:{position.group(2)}:{position.group(3)}" if position else target


def _tree_path(index: Index, file: str) -> str:
    """FILE as given relative to the current directory, or already relative to the tree."""
    try:
        here = Path(file).resolve()
        if here.exists():
            return here.relative_to(index.root).as_posix()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, or a file outside the tree
        pass
    return Path(file).as_posix()


def _build(index: Index, quiet: bool) -> BuildStats:
    if quiet or not sys.stdout.isatty():
        return index.build()
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
    # Refreshed from the callback, not by rich's thread, so the parse pool can fork safely.
    with Progress(*columns, transient=True, auto_refresh=False) as bar:
        task = bar.add_task("indexing", total=None, rate="")
        shown = [0.0]

        def progress(done: int, total: int) -> None:
            speed = bar.tasks[0].speed
            # the last file parsed, linking and writing take a fifth of a cold build: said, not a bar standing still
            what = "linking and writing" if done == total else "indexing"
            bar.update(task, completed=done, total=total, rate=f"{speed:,.0f} files/s" if speed else "",
                       description=what)
            now = time.monotonic()
            if now - shown[0] > 0.1 or done == total:
                shown[0] = now
                bar.refresh()

        return index.build(progress)
