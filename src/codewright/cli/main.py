"""Entry point of the `codewright` command.

Each layer that offers commands has a `cli` module with `register(subparsers)`; this
module only wires them together and maps errors to exit codes, so a command's logic
lives beside the code it drives. A command imports only the module that owns it (the
table below), so `codewright index` on an unchanged tree does not pay for the agent's
imports; help and unknown commands load them all.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import errno
import importlib
import os
import signal
import sys
from typing import NoReturn, TextIO

from codewright import __version__
from codewright.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OUTPUT_CLOSED, EXIT_USAGE, CodewrightError
from codewright.utf8 import FFFD, replaced

COMMANDS = {
    **dict.fromkeys(("index", "symbols", "def", "refs", "outline", "stats", "map"), "codewright.graph.cli"),
    **dict.fromkeys(("callers", "callees", "impact", "callgraph"), "codewright.graph.callgraph_cli"),
    "models": "codewright.gateway.cli",
    "apply": "codewright.edit.cli",
    **dict.fromkeys(("run", "chat", "sessions", "undo", "rewind"), "codewright.agent.cli"),
    "find": "codewright.retrieve.cli",
    "eval": "codewright.eval.cli",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for `command` alone when it is known, else for every command."""
    parser = _Parser(prog="codewright", description="A coding agent that understands your whole repository.")
    parser.add_argument("--version", action="version", version=f"codewright {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.set_defaults(command_parsers=sub.choices)  # each command's own parser, by name (filled below)
    owner = COMMANDS.get(command or "")
    for name in [owner] if owner else dict.fromkeys(COMMANDS.values()):
        importlib.import_module(name).register(sub)
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse drops an OSError writing help, usage or --version: to a reader that left (`--help | head -1`)
    that was exit 0, or 2 without help, instead of the one status main gives a closed pipe."""

    def _print_message(self, message: str, file: TextIO | None = None) -> None:
        if message:
            (file or sys.stderr).write(message)


def entry() -> NoReturn:
    """The `codewright` program; `main` is for callers in this process (the tests). A Ctrl-C that came after the
    command's own handling of it, as `main` returned or while the interpreter took itself down (a third of a
    second after a run; Python puts SIGINT back to its default for that), ended the process by the signal (exit
    -2) or with a traceback. From `main`'s return on, Ctrl-C is held (`_hold_ctrl_c`) and looked for at the end
    instead: the process then ends, its output flushed, before the teardown, which frees nothing the end of a
    process does not (it runs after the other threads were joined, as the first exit handler)."""
    try:
        try:
            code = main()
        finally:
            _hold_ctrl_c()
    except KeyboardInterrupt as exc:  # as main returned: after its command, whose own Ctrl-C it has handled
        _hold_ctrl_c()  # where the one above was not reached
        code = _interrupted(exc)
    atexit.register(_end, code)
    sys.exit(code)


_held_ctrl_c: list[int] = []  # the end of a pipe to read the Ctrl-C from that another thread took (`_hold_ctrl_c`)


def _hold_ctrl_c() -> None:
    """Hold Ctrl-C for `_end` to find: blocked in the main thread, where it stays pending. Blocking is the main
    thread's alone, and the kernel gives a Ctrl-C to a thread that does not block it (a library's worker thread:
    a run has one): its handler writes it to the pipe set as the wakeup fd first, and the main thread's part of the
    handler does nothing (it raised KeyboardInterrupt in the teardown, a traceback, and the process ended 0)."""
    if not _held_ctrl_c:
        read, write = os.pipe()
        for fd in (read, write):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(write)
        _held_ctrl_c.append(read)
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def _ctrl_c_came() -> bool:
    """Whether a Ctrl-C came since `_hold_ctrl_c`: pending in the main thread, or taken by another one."""
    if signal.SIGINT in signal.sigpending():
        return True
    try:
        return signal.SIGINT in os.read(_held_ctrl_c[0], 4096)
    except BlockingIOError:  # nothing came
        return False


def _end(code: int) -> NoReturn:
    """End the process now with `code`, or EXIT_INTERRUPTED where a Ctrl-C came since `entry` held it."""
    if code != EXIT_INTERRUPTED and _ctrl_c_came():
        code = _interrupted(KeyboardInterrupt())
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that left, a stream closed
            stream.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _closed_streams_to_devnull()
    _shown_as_fffd()
    try:
        try:
            return _parsed_and_called(argv)
        finally:  # what is still buffered goes now, on every way out (--help's SystemExit too): at exit
            sys.stdout.flush()  # a closed pipe printed "Exception ignored ... BrokenPipeError" and exit 120
    except BrokenPipeError:  # the reader left (`| head`): what it took it has, the rest goes nowhere, unsaid
        _drop_stdout()
        return EXIT_OUTPUT_CLOSED


def _parsed_and_called(argv: list[str]) -> int:
    """The command named in argv, run."""
    parser = build_parser(argv[0] if argv else None)
    args, extra = parser.parse_known_args(argv)
    if extra:  # said by the command's own parser, so the usage shown is the command's
        args.command_parsers.get(args.command, parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        os.getcwd()
    except FileNotFoundError:
        print("codewright: the current directory no longer exists", file=sys.stderr)
        return EXIT_USAGE
    from codewright.agent.interrupts import stopping_like_ctrl_c

    with stopping_like_ctrl_c():  # every command winds up on SIGTERM or SIGHUP as on Ctrl-C (a killed index
        return _call(args, argv)  # left its parse workers printing broken-pipe tracebacks)


def _call(args: argparse.Namespace, argv: list[str]) -> int:
    """The command, its errors each told in one line with its exit code."""
    try:
        return int(args.func(args) or 0)
    except CodewrightError as exc:
        print(f"codewright: {exc}", file=sys.stderr)
        return exc.exit_code
    except UnicodeEncodeError as exc:
        if "surrogates not allowed" not in str(exc):
            raise
        # argv is decoded with surrogateescape: bytes that are not UTF-8 reach no file, name or database
        bad = next((arg for arg in argv if not _is_utf8(arg)), exc.object[max(exc.start - 40, 0):exc.end + 40])
        print(f"codewright: {replaced(bad)!r} is not valid UTF-8", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        _drop_stdout()
        print(f"codewright: no space left on device{f' for {exc.filename}' if exc.filename else ''}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM / SIGHUP (named)
        return _interrupted(exc)


def _interrupted(exc: KeyboardInterrupt) -> int:
    """Say that the command was interrupted (by the signal `exc` names, if any); returns its exit code."""
    with contextlib.suppress(OSError):  # after a hang-up the terminal is gone: writing to it fails (EIO)
        print(f"codewright: interrupted{f' by {exc}' if str(exc) else ''}", file=sys.stderr)
    return EXIT_INTERRUPTED


def _closed_streams_to_devnull() -> None:
    """A stream closed when the command started (`>&-`, `2>&-`) is None in Python: writes to a closed stdout
    raised AttributeError, and print(file=None) to a closed stderr wrote the message into stdout, so into a
    --json document. Output goes nowhere instead; a closed stdin stays None: reading it (`apply -`) is a usage
    error, and it is no terminal to ask on (ui.prompt)."""
    for name, mode in (("stdout", "w"), ("stderr", "w")):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, mode, encoding="utf-8"))  # noqa: SIM115 - for the process's life


def _shown_as_fffd() -> None:
    """Bytes that were not UTF-8 in a path (a tree named `t\\xff`, a file a checkpoint restored) reach the output
    as lone surrogates: written as they came they made --json documents that are not UTF-8, and under a strict
    locale the print raised after the work was done. Every stream shows them as U+FFFD instead."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=FFFD)


def _drop_stdout() -> None:
    """Standard output goes nowhere from now on: the flush at exit would fail again, and print a traceback."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


if __name__ == "__main__":
    entry()
