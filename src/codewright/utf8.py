"""Text that came in as bytes which were not UTF-8, made fit to show and store.

Python decodes file names, argv and stdin with `surrogateescape`: each byte that is not UTF-8 becomes a lone
surrogate, which keeps the bytes but which no UTF-8 encoder (SQLite, JSON, an HTTP request, a terminal) accepts.
"""

from __future__ import annotations

import codecs

FFFD = "codewright-fffd"
"""An encoding error handler: what cannot be encoded (a lone surrogate) is written as U+FFFD, or as "?" where the
encoding has no U+FFFD."""


def _fffd(error: UnicodeEncodeError) -> tuple[bytes | str, int]:
    count = error.end - error.start
    if codecs.lookup(error.encoding).name == "utf-8":  # a str replacement must be ASCII for the UTF-8 encoder
        return "\ufffd".encode() * count, error.end
    return "?" * count, error.end


codecs.register_error(FFFD, _fffd)


def replaced(text: str) -> str:
    """`text` with each escaped byte shown as U+FFFD and the rest unchanged."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
