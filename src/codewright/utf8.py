"""Text that came in as bytes which were not UTF-8, made fit to show and store.

Python decodes file names, argv and stdin with `surrogateescape`: each byte that is not UTF-8 becomes a lone
surrogate, which keeps the bytes but which no UTF-8 encoder (SQLite, JSON, an HTTP request, a terminal) accepts.
"""

from __future__ import annotations


def replaced(text: str) -> str:
    """`text` with each escaped byte shown as U+FFFD and the rest unchanged."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
