"""The per-request deadline the router hands down to providers without widening their API.

The router sets it around each attempt; HTTP providers cap their connect/read timeouts
at the time left and stop reading a stream once it has passed. A provider that ignores
it (the embedded local model, say) still works; the router checks it between attempts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("codewright_gateway_deadline", default=None)


@contextmanager
def deadline_at(when: float | None) -> Iterator[None]:
    """Run the body with a deadline (a `time.monotonic()` value, or None for none)."""
    token = _DEADLINE.set(when)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def current() -> float | None:
    """The deadline the caller set (an agent's time limit), or None."""
    return _DEADLINE.get()


def time_left() -> float | None:
    """Seconds before the current deadline (never negative), or None when there is none."""
    when = _DEADLINE.get()
    return None if when is None else max(0.0, when - time.monotonic())
