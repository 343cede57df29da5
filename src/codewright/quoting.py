"""How a name (a file's, or a symbol id, which starts with one) is shown in a line of text.

A name may hold any byte but / and NUL: a newline split one line of a listing in two (`symbols`, `refs`, `find`,
`undo` read line by line by a script, or by `grep`), ESC or another control character drove the terminal it was
printed on, and bytes that are not UTF-8 (which os gives as lone surrogates) were shown as U+FFFD, which names no
file. Such a name is shown as bash quotes it, `$'a\\nb.py'`, `$'caf\\xe9.py'`, which a shell reads back as the
name, as `ls` and `git` quote such names. One quoter for the command line's text and the tools' text for the
model, so the two never write one name two ways; each says which characters make it quote (`quoted`, and
`tools.files.shown_path`). --json keeps every name as it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
NOT_UTF8 = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, as os.fsdecode gives it
_UNSHOWABLE = re.compile(f"{_CONTROL.pattern}|{NOT_UTF8.pattern}")
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\", "'": "\\'"}


def quoted(name: str | os.PathLike[str], quote_for: re.Pattern[str] = _UNSHOWABLE) -> str:
    """`name` as it is, or where it holds a character `quote_for` matches (by default a control character or a
    byte that is not UTF-8), as bash quotes it: `$'a\\nb.py'`."""
    name = os.fspath(name)
    if not quote_for.search(name):
        return name
    return "$'" + "".join(_ESCAPES.get(ch) or _escaped(ch) for ch in name) + "'"


def _escaped(ch: str) -> str:
    """A byte that is not UTF-8 as itself in bash's \\xHH, a control character as its UTF-8 bytes (which read the
    same under any locale); any other character as it is."""
    if NOT_UTF8.fullmatch(ch):
        return f"\\x{ord(ch) - 0xDC00:02x}"
    if _CONTROL.fullmatch(ch):
        return "".join(f"\\x{byte:02x}" for byte in ch.encode())
    return ch


INPUT_SHOWN = 200  # characters of a query a message repeats


def cut(text: str, show: Callable[[str], str] = repr) -> str:
    """A query as a message repeats it (`no symbol's name matches ...`): its first INPUT_SHOWN characters shown
    by `show`, then how long it was. A pasted page (100,000 characters of a file given as a name) was repeated
    whole, burying the one line that said nothing matched, and in a tool's result filling the model's context."""
    if len(text) <= INPUT_SHOWN:
        return show(text)
    return f"{show(text[:INPUT_SHOWN])}... ({len(text)} characters)"
