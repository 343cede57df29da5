"""The parse workers of a cold build: plain processes, a pipe each, nothing shared.

multiprocessing.Pool did this before, and two of its ways of waiting had no end. Stopping it on Ctrl-C
killed workers that could be half-way through writing a large result: the pool's result thread then
waited for the rest of that message, and `terminate()` joined that thread, so the build hung (about one
Ctrl-C in twenty). A worker that died outright (the OOM killer, a crash in a parser) lost its tasks, and
`imap` waited for them forever.

Here each worker has a pipe of its own, the build reads the results itself in its one thread, and
stopping the workers is SIGKILL: they hold no lock and no queue anybody else reads, so nothing is left
half-done. A worker that dies is an error the build reports, not a wait.
"""

from __future__ import annotations

import signal
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from typing import Any

from codewright.errors import CodewrightError

BATCH = 8  # jobs per message: fewer round trips, and still an even share at the end
AHEAD = 2  # batches queued per worker, so none idles while the build writes what it sent


class WorkerFailed(CodewrightError):
    """A parse worker raised or died: the build stops and says which (its transaction is rolled back)."""


class Workers:
    """`cores` worker processes started with `method` ("fork" or "forkserver"), each running `start` first,
    then `run` on every job it is sent. Leaving the block kills them, whatever the way out."""

    def __init__(self, run: Callable[[Any], Any], cores: int, method: str, start: Callable[[], None]) -> None:
        self.run, self.cores, self.method, self.start = run, cores, method, start
        self.procs: list[Any] = []
        self.conns: list[Connection] = []

    def __enter__(self) -> Workers:  # noqa: PYI034 - Workers is final
        context = get_context(self.method)
        # SIGINT is blocked while the workers start, so none can take Ctrl-C before `start` ignores it; one that
        # came meanwhile is taken once the mask is back, which then stops them through __exit__.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            for _ in range(self.cores):
                ours, theirs = context.Pipe()
                proc = context.Process(target=_serve, args=(theirs, self.run, self.start), daemon=True)
                proc.start()
                theirs.close()
                self.procs.append(proc)
                self.conns.append(ours)
        except BaseException:
            self.__exit__()
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            proc.kill()
        for proc, conn in zip(self.procs, self.conns):
            proc.join()
            conn.close()

    def results(self, jobs: list[Any]) -> Iterator[Any]:
        """`run(job)` for every job, in the order of `jobs`, while the workers go on with the next ones."""
        batches = iter(enumerate(jobs[i:i + BATCH] for i in range(0, len(jobs), BATCH)))
        sent: dict[Connection, deque[int]] = {conn: deque() for conn in self.conns}

        def feed(conn: Connection) -> None:
            if (batch := next(batches, None)) is not None:
                try:
                    conn.send(batch[1])
                except (BrokenPipeError, ConnectionResetError):  # it died after its last answer
                    raise self._died(conn) from None
                sent[conn].append(batch[0])

        for conn in self.conns:
            for _ in range(AHEAD):
                feed(conn)
        arrived: dict[int, list[Any]] = {}
        due = 0
        while busy := [conn for conn, numbers in sent.items() if numbers]:
            for conn in wait(busy):
                arrived[sent[conn].popleft()] = self._receive(conn)
                feed(conn)
            while due in arrived:
                yield from arrived.pop(due)
                due += 1

    def _receive(self, conn: Connection) -> list[Any]:
        try:
            answer = conn.recv()
        except (EOFError, ConnectionResetError):  # reset: it died with batches it had not read yet
            raise self._died(conn) from None
        if isinstance(answer, str):
            raise WorkerFailed(f"a parse worker failed:\n{answer}")
        return answer

    def _died(self, conn: Connection) -> WorkerFailed:
        """The error for the worker at the other end of `conn`, found dead reading from it or writing to it."""
        proc = self.procs[self.conns.index(conn)]
        proc.join(timeout=1)
        code = proc.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        return WorkerFailed(f"a parse worker died ({how}; out of memory?)")


def _serve(conn: Connection, run: Callable[[Any], Any], start: Callable[[], None]) -> None:
    """A worker: batches in, lists of results out, until the build closes its end or kills it. An exception
    goes back as its traceback's text (a string, where results are a list)."""
    start()
    while True:
        try:
            batch = conn.recv()
        except EOFError:
            return
        try:
            answer: list[Any] | str = [run(job) for job in batch]
        except Exception:  # noqa: BLE001 - the build reports it, with the worker's traceback
            answer = traceback.format_exc()
        conn.send(answer)
