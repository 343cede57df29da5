"""Errors shared by every layer, each mapped to one CLI exit code.

A user's mistake must never print a traceback: the CLI catches these and prints one
readable line. Anything else escaping is a bug in codewright and keeps its traceback.
"""

from __future__ import annotations

import signal


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


STOP_SIGNALS = tuple(s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s)
"""Ctrl-C, `kill` and the terminal closing: what the agent holds off (`interrupts.held`) and the local
model's threads never take (`runtime.signals_blocked`)."""


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LIMIT = 3
EXIT_INTERRUPTED = 130
EXIT_OUTPUT_CLOSED = 141
"""Standard output's reader left before the command was done (`| head`): 128 + SIGPIPE, the status a shell
reports for git and coreutils cut short the same way. Not 0: the command stopped where its output failed, so
that status would say a check passed, or a failed apply worked (exit 1 once it printed its --json)."""
