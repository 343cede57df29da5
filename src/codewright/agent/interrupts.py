"""Ctrl-C held off while work that must not be cut in half finishes."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def held() -> Iterator[None]:
    """Defer Ctrl-C (SIGINT) to the end of the block, then raise it as usual.

    For work that leaves damage when cut: a checkpoint whose `git add` is killed leaves an
    index.lock that fails every later checkpoint; an undo cut inside `read-tree` leaves the
    files half restored; a run cut before its outcome is saved reads "running" for ever. A
    second Ctrl-C, pressed while the first one's run is being wound up, is the usual way in.
    Only the main thread may set signal handlers; elsewhere the block runs as it is. Holds nest.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed and callable(previous):  # not where SIGINT is ignored (SIG_IGN) or left to the OS (SIG_DFL)
        previous(signal.SIGINT, None)
