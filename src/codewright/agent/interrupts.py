"""Ctrl-C and termination: held off while work that must not be cut in half finishes."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from codewright.errors import STOP_SIGNALS, Stopped


@contextmanager
def held() -> Iterator[None]:
    """Defer Ctrl-C, SIGTERM and SIGHUP to the end of the block, then act on them as usual.

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
    previous = {stop: signal.signal(stop, lambda signum, frame: pressed.append(signum)) for stop in STOP_SIGNALS}
    try:
        yield
    finally:
        for stop, handler in previous.items():
            signal.signal(stop, handler)
    for stop in dict.fromkeys(pressed):
        handler = previous[stop]
        if callable(handler):  # Python's own for Ctrl-C raises KeyboardInterrupt
            handler(stop, None)
        elif handler == signal.SIG_DFL:  # the process ends now, as it would have
            signal.raise_signal(stop)


def stop_like_ctrl_c() -> None:
    """Let SIGTERM and SIGHUP wind a run or chat up as Ctrl-C does (raising `Stopped`, a
    KeyboardInterrupt): a killed session then stops its commands' processes and saves its outcome
    instead of vanishing mid-step."""
    for stop in STOP_SIGNALS:
        if stop != signal.SIGINT and signal.getsignal(stop) == signal.SIG_DFL:
            signal.signal(stop, _interrupt)


@contextmanager
def stopping_like_ctrl_c() -> Iterator[None]:
    """`stop_like_ctrl_c` for a block, the handlers before it put back after (`main` runs in-process in tests);
    off the main thread, where no handler can be set, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {stop: signal.getsignal(stop) for stop in STOP_SIGNALS}
    stop_like_ctrl_c()
    try:
        yield
    finally:
        for stop, handler in saved.items():
            signal.signal(stop, handler)


def _interrupt(signum: int, frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)
