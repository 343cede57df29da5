"""Errors shared by every layer, each mapped to one CLI exit code.

A user's mistake must never print a traceback: the CLI catches these and prints one
readable line. Anything else escaping is a bug in codewright and keeps its traceback.
"""

from __future__ import annotations


class CodewrightError(Exception):
    """The task, apply or check failed (exit 1)."""

    exit_code = 1


class UsageError(CodewrightError):
    """Bad arguments or input the user can fix (exit 2)."""

    exit_code = 2


class LimitReached(CodewrightError):
    """A step, time, token or budget limit stopped the work (exit 3)."""

    exit_code = 3


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP during a run or chat (`agent/interrupts.py`): wound up as Ctrl-C is (exit 130),
    but never taken as "clear the line" or "no" at a prompt, nor as the end of one chat turn."""


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LIMIT = 3
EXIT_INTERRUPTED = 130
