"""`codewright find`: rank the files and functions a task will touch."""

from __future__ import annotations

import argparse

from codewright.cli.inputs import folder, positive_int
from codewright.cli.output import print_json
from codewright.cli.project import tree
from codewright.errors import UsageError
from codewright.quoting import quoted


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("find", help="rank the files and functions a task will most likely touch")
    parser.add_argument("text", nargs="?", help="the task: a bug report, an issue, a feature request")
    parser.add_argument("--query-file", metavar="F", help="read the task from file F, or - for standard input")
    parser.add_argument("--repo", type=folder, metavar="PATH",
                        help="repository root (default: the project the current directory is in)")
    parser.add_argument("-k", type=positive_int, default=10, metavar="N", help="how many files and functions (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(func=_find)


def _find(args: argparse.Namespace) -> int:
    from codewright.graph.cli import open_index, up_to_date
    from codewright.retrieve.find import find

    text = _task_text(args)
    with open_index(tree(args.repo)) as index:
        up_to_date(index)
        ranking = find(index, text, k=args.k)
    if args.json:
        print_json(ranking.to_json())
        return 0
    if not ranking.files and not ranking.functions:
        print(f"nothing indexed under {quoted(str(index.root))} matches the task (`codewright stats` shows what is indexed)")
        return 0
    print("files:")
    for hit in ranking.files:
        print(f"  {hit.score:6.2f}  {quoted(hit.path)}  ({_why(hit.reasons)})")
    print("functions:")
    for fn in ranking.functions:
        print(f"  {fn.score:6.2f}  {quoted(fn.id)}  line {fn.line}  ({_why(fn.reasons)})")
    return 0


def _task_text(args: argparse.Namespace) -> str:
    """The task from TEXT or --query-file (read as `apply` reads its edits: `cli/inputs.py`); giving both
    is refused, as either one would otherwise be dropped unseen."""
    from codewright.cli.inputs import read_input

    if args.text is not None and args.query_file is not None:
        raise UsageError("give the task as TEXT or with --query-file, not both")
    text = read_input(args.query_file) if args.query_file is not None else args.text or ""
    if not text.strip() and args.query_file is None:
        raise UsageError("give the task as an argument or with --query-file")
    if not text.strip():
        source = "standard input" if args.query_file == "-" else quoted(args.query_file)
        raise UsageError(f"{source} is empty: it holds no task")
    return text


def _why(reasons) -> str:
    return "; ".join(r.detail for r in reasons[:3] if r.weight > 0) or "weak evidence"
