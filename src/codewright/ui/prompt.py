"""Reading from the user on a terminal: chat messages and permission questions.

Without a terminal nothing can be asked: `confirm` answers no, and the loop reports the
denial as an event (headless runs use --yes or a permissive mode instead).
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape

from codewright.errors import Stopped
from codewright.utf8 import replaced

_console = Console(stderr=True, highlight=False)


def interactive() -> bool:
    """A terminal to ask on. A stdin closed when the command started (`<&-`) is None in Python: there is none."""
    return sys.stdin is not None and sys.stdin.isatty()


def read_message(prompt: str = "you> ") -> str | None:
    """One chat message; None at end of input (Ctrl-D), as for a closed stdin, where input() raises
    RuntimeError. Ctrl-C at the prompt clears the line."""
    if sys.stdin is None:
        return None
    while True:
        try:
            text = input(prompt)
        except EOFError:
            if prompt:  # Ctrl-D leaves the cursor after the prompt; what comes next (the shell's) starts a line
                print()
            return None
        except Stopped:
            raise
        except KeyboardInterrupt:
            print()
            continue
        if text.strip() in {"/exit", "/quit"}:
            return None
        return _as_utf8(text)


def _as_utf8(text: str) -> str:
    """Bytes of another encoding read from stdin arrive as surrogates, which no request can carry (the chat
    ended on them): each shows as U+FFFD, the rest of the message stays."""
    return replaced(text)


def confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal; no terminal (or Ctrl-D) means no. Ctrl-C stops the run, or the
    chat's turn, as it does anywhere else: taken as no, it let the model go on, ask again and end the run done."""
    if not interactive():
        return False
    try:
        answer = _console.input(f"[bold yellow]{escape(question)}[/] {escape('[y/N]')} ")  # not markup: shown as is
    except EOFError:
        _console.print()  # what is drawn next starts a line of its own
        return False
    except KeyboardInterrupt:  # and SIGTERM or SIGHUP (Stopped)
        _console.print()
        raise
    return answer.strip().lower() in {"y", "yes"}
