"""The parse workers: a worker that dies is reported as such, however the build finds out."""

from __future__ import annotations

import os
import signal
import socket
from multiprocessing.connection import Connection

import pytest

from codewright.graph.workers import BATCH, WorkerFailed, Workers


def _dies_after_its_first_answer() -> None:
    """In the worker: its first answer is its last. Its end stops reading before the answer goes out, so the
    build, reading the answer, finds the worker gone as soon as it sends the next batch (as a worker that the
    OOM killer took between two batches)."""
    send = Connection.send

    def send_then_die(self: Connection, obj: object) -> None:
        socket.socket(fileno=os.dup(self.fileno())).shutdown(socket.SHUT_RD)
        send(self, obj)
        os.kill(os.getpid(), signal.SIGKILL)

    Connection.send = send_then_die  # type: ignore[method-assign]


def test_a_worker_that_dies_after_answering_stops_the_build_with_a_message() -> None:
    """The build sent it the next batch and stopped with a BrokenPipeError traceback."""
    jobs = list(range(4 * BATCH))  # more batches than the AHEAD queued before the first answer
    with Workers(abs, 1, "fork", _dies_after_its_first_answer) as workers, pytest.raises(WorkerFailed) as caught:
        list(workers.results(jobs))
    assert str(caught.value) == "a parse worker died (killed by signal 9; out of memory?)"
