"""`codewright eval NAME`: each evaluation is a module here with `register(subparsers)`."""

from __future__ import annotations

import argparse
import importlib

EVAL_MODULES = (
    "codewright.eval.json_suite",
    "codewright.eval.edits",
    "codewright.eval.callgraph",
    "codewright.eval.localize",
    "codewright.eval.polyglot",
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("eval", help="run an evaluation on the development sets")
    evals = parser.add_subparsers(dest="eval_name", metavar="NAME")
    for name in EVAL_MODULES:
        importlib.import_module(name).register(evals)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
