"""`codewright apply FILE|-`: apply a model's edits (any supported format) to a working tree."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from codewright.cli.inputs import folder, read_input
from codewright.cli.output import print_json
from codewright.errors import UsageError
from codewright.quoting import quoted

if TYPE_CHECKING:
    from codewright.edit.model import FileChange


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("apply", help="apply edits (search/replace, diff, patch, JSON, whole file)")
    parser.add_argument("file", help="the edits, or - for standard input")
    parser.add_argument("--repo", type=folder, default=Path("."), help="working tree to change (default: .)")
    parser.add_argument("--format", help="search-replace, udiff, patch, json or whole (default: detect)")
    parser.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=_handler)


def _handler(args: argparse.Namespace) -> int:
    from codewright.edit import FORMATS, EditError, apply_edits, parse_text

    if not args.repo.is_dir():
        raise UsageError(f"--repo {quoted(args.repo)}: not a folder")
    if args.format is not None and args.format not in FORMATS:
        raise UsageError(f"--format {quoted(args.format)}: use one of {', '.join(FORMATS)}")
    text = read_input(args.file)
    detected = args.format
    try:
        detected, edits = parse_text(text, args.format, root=args.repo)
        result = apply_edits(args.repo, edits, dry_run=args.dry_run, format=detected)
    except EditError as exc:
        if not args.json:
            raise
        print_json({"ok": False, "dry_run": args.dry_run, "format": detected, "changes": [],
                    "error": str(exc)})  # the format read, when the edits were read and not applied
        return 1
    if args.json:
        print_json(result.to_json())
        return 0
    print(result.summary(quoted))
    for change in result.changes:
        sys.stdout.write(_shown_diff(change))
    return 0


def _shown_diff(change: FileChange) -> str:
    """The diff, the file names of its two header lines quoted as the summary quotes them: a name's newline split
    the header, its ESC drove the terminal. The lines below are the file's own, shown as they are, as git does."""
    old, new = change.moved_from or change.path, change.path
    header = f"--- a/{old}\n+++ b/{new}\n"
    if not change.diff.startswith(header):  # a move that changed no line has no diff
        return change.diff
    return f"--- {quoted('a/' + old)}\n+++ {quoted('b/' + new)}\n{change.diff[len(header):]}"
