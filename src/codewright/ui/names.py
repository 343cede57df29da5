"""How a file's name (or a symbol id, which starts with one) is shown in a line of text output.

A name may hold any character but / and NUL: a newline split one line of a listing in two (`symbols`, `refs`,
`find`, `undo` read line by line by a script, or by `grep`), and ESC or another control character drove the
terminal it was printed on. Text output quotes such a name; --json keeps every name exactly as it is.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\", "'": "\\'"}


def quoted(name: str) -> str:
    """`name` as it is, or where it holds a control character, as bash quotes it: `$'a\\nb.py'`, which a shell
    reads back as the name, as `ls` and `git` quote such names. Bytes that are not UTF-8 stay as they were (the
    output streams show them as U+FFFD)."""
    if not _CONTROL.search(name):
        return name
    return "$'" + "".join(_ESCAPES.get(ch) or _bytes(ch) for ch in name) + "'"


def _bytes(ch: str) -> str:
    """A control character as its UTF-8 bytes in bash's \\xHH, which read the same under any locale; any other
    character as it is."""
    if not _CONTROL.fullmatch(ch):
        return ch
    return "".join(f"\\x{byte:02x}" for byte in ch.encode())
