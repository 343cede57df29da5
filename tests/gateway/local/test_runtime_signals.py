"""The local model's threads leave Ctrl-C to the main thread, and a process's end waits for a stopped model.

A Ctrl-C that the kernel handed to one of llama.cpp's threads while the model loaded left the load
waiting for ever, and a model still computing while the interpreter exited crashed it (exit 139).
`codewright run` stopped 2.5-6 s in under CPU load: a hang and a crash in 4 runs before, neither in 10 after.
"""

from __future__ import annotations

import signal
import threading
import time

from codewright.gateway.local import runtime


def blocked_in_new_thread() -> set[int]:
    seen: list[set[int]] = []
    thread = threading.Thread(target=lambda: seen.append(set(signal.pthread_sigmask(signal.SIG_BLOCK, []))))
    thread.start()
    thread.join()
    return seen[0]


def test_threads_started_while_signals_are_blocked_never_take_them() -> None:
    stops = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    before = set(signal.pthread_sigmask(signal.SIG_BLOCK, []))
    assert not stops & blocked_in_new_thread()
    with runtime.signals_blocked():
        assert stops <= blocked_in_new_thread()  # as llama.cpp's threads, started while it loads
    assert set(signal.pthread_sigmask(signal.SIG_BLOCK, [])) == before  # the main thread takes them again


class Busy:
    """A loaded runtime in the middle of a request for `seconds` (its lock held, as `Runtime.chat` holds it)."""

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        threading.Timer(seconds, self._lock.release).start()


def test_settle_waits_for_a_model_still_computing(monkeypatch) -> None:
    monkeypatch.setattr(runtime, "_RUNTIMES", {"model": Busy(0.3)})
    started = time.monotonic()
    assert runtime.settle(5.0) is True
    assert 0.25 <= time.monotonic() - started < 2.0


def test_settle_gives_up_after_its_timeout(monkeypatch) -> None:
    monkeypatch.setattr(runtime, "_RUNTIMES", {"model": Busy(1.0)})
    started = time.monotonic()
    assert runtime.settle(0.1) is False
    assert time.monotonic() - started < 0.5
