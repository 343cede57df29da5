"""Reading from the user on a terminal: chat messages and permission questions.

Without a terminal nothing can be asked: `confirm` answers no, and the loop reports the
denial as an event (headless runs use --yes or a permissive mode instead).
"""

from __future__ import annotations

import functools
import os
import sys

from rich.console import Console
from rich.markup import escape

from codewright.errors import Stopped
from codewright.utf8 import replaced

_console = Console(stderr=True, highlight=False)


def interactive() -> bool:
    """A terminal to ask on. A stdin closed when the command started (`<&-`) is None in Python: there is none."""
    return sys.stdin is not None and sys.stdin.isatty()


@functools.cache
def _line_editing() -> bool:
    """Arrow keys, history and whole pastes at the prompts, through readline: without it the terminal passed
    the arrow keys on (the model got `abc\x1b[D`), and each line of a paste was a message, a model turn, of its
    own. Bracketed paste, which CPython turns off for its REPL, has the terminal mark a paste: it lands in the
    line whole, newlines and all, and Enter sends it. Whether pastes are marked: readline then ends the line
    itself at Ctrl-D."""
    try:
        import readline
    except ImportError:  # a Python built without it: input() reads as the terminal passes lines on
        return False
    if "libedit" in (readline.__doc__ or "") or os.environ.get("TERM", "dumb") == "dumb":
        return False  # libedit's settings are written otherwise; readline marks nothing on a dumb terminal
    readline.parse_and_bind("set enable-bracketed-paste on")
    return True


def _on_terminal() -> bool:
    """Standard input and output both a terminal: there alone input() reads through readline, and what is typed
    shows after the prompt."""
    return interactive() and sys.stdout is not None and sys.stdout.isatty()


def _editing() -> bool:
    """`_line_editing` where input() reads through readline: whether Ctrl-D ends the line by itself."""
    return _on_terminal() and _line_editing()


def read_message(prompt: str = "you> ") -> str | None:
    """One chat message; None at end of input (Ctrl-D), as for a closed stdin, where input() raises
    RuntimeError. Ctrl-C at the prompt clears the line."""
    if sys.stdin is None:
        return None
    ends_line = _editing()
    while True:
        try:
            text = input(prompt)
        except EOFError:
            if prompt and not ends_line:  # Ctrl-D left the cursor after the prompt, where the shell's came next
                print()
            return None
        except Stopped:
            raise
        except KeyboardInterrupt:
            print()
            continue
        text = _as_utf8(text)
        if prompt and not _on_terminal():  # not echoed after the prompt: the reply that follows is not the user's
            print(text)
        if text.strip() in {"/exit", "/quit"}:
            return None
        return text


def _as_utf8(text: str) -> str:
    """Bytes of another encoding read from stdin arrive as surrogates, which no request can carry (the chat
    ended on them): each shows as U+FFFD, the rest of the message stays."""
    return replaced(text)


def confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal; no terminal (or Ctrl-D) means no. Ctrl-C stops the run, or the
    chat's turn, as it does anywhere else: taken as no, it let the model go on, ask again and end the run done."""
    if not interactive():
        return False
    ends_line = _editing()
    try:
        answer = _answer(question)
    except EOFError:
        if not ends_line:  # what is drawn next starts a line of its own
            _console.print()
        return False
    except KeyboardInterrupt:  # and SIGTERM or SIGHUP (Stopped)
        _console.print()
        raise
    return answer.strip().lower() in {"y", "yes"}


def _answer(question: str) -> str:
    """The answer typed, kept out of readline's history: Up at the chat's prompt brought back the `n` just
    answered, not the message before it."""
    readline = sys.modules.get("readline")  # imported by `_line_editing` alone
    if readline is not None:
        readline.set_auto_history(False)
    try:
        # not markup, no emoji shortcodes (`a.py:100:5` was asked as `a.py💯5`): the question shown as is
        return _console.input(f"[bold yellow]{escape(question)}[/] {escape('[y/N]')} ", emoji=False)
    finally:
        if readline is not None:
            readline.set_auto_history(True)
