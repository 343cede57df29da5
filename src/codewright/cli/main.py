"""Entry point of the `codewright` command.

Each layer that offers commands has a `cli` module with `register(subparsers)`; this
module only wires them together and maps errors to exit codes, so a command's logic
lives beside the code it drives. Command modules import their heavy dependencies
inside the handlers: `codewright --help` and quick commands stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from codewright import __version__
from codewright.errors import EXIT_INTERRUPTED, CodewrightError

COMMAND_MODULES = (
    "codewright.graph.cli",
    "codewright.graph.callgraph_cli",
    "codewright.gateway.cli",
    "codewright.edit.cli",
    "codewright.agent.cli",
    "codewright.retrieve.cli",
    "codewright.eval.cli",
)


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its one-line message style."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="codewright", description="A coding agent that understands your whole repository.")
    parser.add_argument("--version", action="version", version=f"codewright {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a layer still being built in this checkout
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CodewrightError as exc:
        print(f"codewright: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("codewright: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
