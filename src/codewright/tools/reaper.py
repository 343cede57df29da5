"""Runs a command as the subreaper of everything it starts, so that no process of it outlives it.

A command runs in a process group of its own, and ending the group ends what stayed in it; but a
process that starts a session of its own (`setsid server &`, `nohup setsid ... &`, a daemon's double
fork) leaves the group, and it lived on after the timeout, after stop_process and after the session.
Run through this script (Linux: PR_SET_CHILD_SUBREAPER), every process of the command that loses its
parent becomes a child of this one instead of init's, so all of them are still found here: when the
command exits, and when this script is told to stop (SIGTERM, SIGHUP or SIGINT, as `process.kill_group`
sends), every descendant gets SIGTERM, then after GRACE seconds SIGKILL. Then it exits with the
command's exit code (128 + the signal that ended it, as a shell says) and writes how many processes
the command had left running to the descriptor REPORT_FD. When its parent, PARENT (codewright), is gone
without telling it (SIGKILL, a crash), it stops as at SIGHUP: it outlived codewright before, and so did the
command, a server it had started with it. It asks every PARENT_POLL_S whether its parent is still PARENT,
rather than taking PR_SET_PDEATHSIG, which fires when the thread that started it ends, not its process.

    python -I -S reaper.py GRACE REPORT_FD PARENT COMMAND [ARG...]    (REPORT_FD -1: no report)

Standard library only: it runs isolated, without the project on its path. Where a subreaper cannot be
had (not Linux), it becomes the command itself, which then ends only with its group, as before.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
STOPS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
PARENT_POLL_S = 0.5
PF_EXITING = 0x4  # /proc/PID/stat flags: the process is on its way out (not yet a zombie)
KILL_WAIT_S = 5.0  # after SIGKILL, how long to wait for a process in uninterruptible sleep before giving up


def main(args: list[str]) -> None:
    grace, report, parent, command = float(args[0]), int(args[1]), int(args[2]), args[3:]
    if report >= 0:
        os.set_inheritable(report, False)  # the command's processes must not hold the report open
    if not _subreaper():
        os.execvp(command[0], command)
    wake = {signal.SIGCHLD, *STOPS}
    signal.pthread_sigmask(signal.SIG_BLOCK, wake)  # taken with sigwaitinfo below: none is lost, none interrupts
    child = _start(command, wake)
    status = stopped_by = None
    while status is None and stopped_by is None:
        woken = signal.sigtimedwait(wake, PARENT_POLL_S)
        if woken is None:
            stopped_by = signal.SIGHUP if os.getppid() != parent else None
        elif woken.si_signo in STOPS:
            stopped_by = woken.si_signo
        else:
            status, _ = _reap(child)
    left = _sweep(grace, child)
    if report >= 0:
        try:
            os.write(report, f"{left}\n".encode())
        except BrokenPipeError:  # the parent is gone, and nobody reads it
            pass
    code = 128 + stopped_by if stopped_by is not None else os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def _subreaper() -> bool:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _start(command: list[str], blocked: set[signal.Signals]) -> int:
    pid = os.fork()
    if pid == 0:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)  # a blocked signal stays blocked across exec
        try:
            os.execvp(command[0], command)
        except OSError as exc:
            os.write(2, f"{command[0]}: {exc.strerror}\n".encode())
        os._exit(127)
    return pid


def _reap(child: int) -> tuple[int | None, bool]:
    """Reap the children that exited: `child`'s wait status if it was one of them, and whether any is left."""
    found = None
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return found, False
        if pid == 0:
            return found, True
        if pid == child:
            found = status


def _sweep(grace: float, child: int) -> int:
    """SIGTERM every descendant, SIGKILL those left after `grace` seconds; how many there were, `child` aside.
    When no child is left, no descendant is: an orphan is re-parented to this process."""
    found = _descendants()
    for pid in found:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _reap(child)[1] and time.monotonic() < deadline:
        time.sleep(0.02)
    deadline = time.monotonic() + KILL_WAIT_S
    while _reap(child)[1] and time.monotonic() < deadline:
        for pid in _descendants():  # again: one may have forked since
            _signal(pid, signal.SIGKILL)
        time.sleep(0.02)
    return len([pid for pid in found if pid != child])


def _descendants() -> list[int]:
    """The live processes below this one, read from /proc (each process's parent)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if running(fields):
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [os.getpid()]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def running(fields: list[str]) -> bool:
    """Is the process whose /proc/PID/stat fields after its name are `fields` (state, ppid, pgrp, ..., flags) still
    running? A zombie is not, nor one on its way out (PF_EXITING), which a machine under load can show for a
    while after the command ended: it was counted as a process the command left running."""
    return fields[0] != "Z" and not int(fields[6]) & PF_EXITING


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
