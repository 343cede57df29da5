"""`codewright find`: rank the files and functions a task will touch."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from codewright.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("find", help="rank the files and functions a task will most likely touch")
    parser.add_argument("text", nargs="?", help="the task: a bug report, an issue, a feature request")
    parser.add_argument("--query-file", type=Path, help="read the task from this file")
    parser.add_argument("--repo", default=".", help="repository root (default: .)")
    parser.add_argument("-k", type=int, default=10, help="how many files and functions (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(func=_find)


def _find(args: argparse.Namespace) -> int:
    from codewright.graph.index import Index
    from codewright.retrieve.find import find

    text = _task_text(args)
    if args.k < 1:
        raise UsageError("-k must be at least 1")
    with Index.open(args.repo) as index:
        index.build()
        ranking = find(index, text, k=args.k)
    if args.json:
        print(json.dumps(ranking.to_json()))
        return 0
    if not ranking.files and not ranking.functions:
        print(f"nothing indexed under {index.root} matches the task (`codewright stats` shows what is indexed)")
        return 0
    print("files:")
    for hit in ranking.files:
        print(f"  {hit.score:6.2f}  {hit.path}  ({_why(hit.reasons)})")
    print("functions:")
    for fn in ranking.functions:
        print(f"  {fn.score:6.2f}  {fn.id}  line {fn.line}  ({_why(fn.reasons)})")
    return 0


def _task_text(args: argparse.Namespace) -> str:
    if args.query_file:
        try:
            text = args.query_file.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise UsageError(f"cannot read {args.query_file}: {exc.strerror}") from None
    else:
        text = args.text or ""
    if not text.strip():
        raise UsageError("give the task as an argument or with --query-file")
    return text


def _why(reasons) -> str:
    return "; ".join(r.detail for r in reasons[:3] if r.weight > 0) or "weak evidence"
