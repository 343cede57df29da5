"""Running commands: own process group, timeout, capped output, background servers.

Every command starts in a new session (its own process group), so a timeout or Ctrl-C
ends the whole tree it spawned (a test runner's workers, a shell's children), not only
the shell; and it runs under `reaper.py`, which ends the processes that left the group
(`setsid`, a daemon) when the command ends or is stopped. Output is read as it comes and capped, keeping the head (how it started) and
the tail (how it ended, where errors are). Background processes write to a log file and
are tracked with their pid and listening ports until stopped.
"""

from __future__ import annotations

import codecs
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from codewright.tools.reaper import running

HEAD_CHARS = 4000
TAIL_CHARS = 8000
KILL_GRACE_S = 2.0
REAP_GRACE_S = 1.0  # the reaper's: shorter than KILL_GRACE_S, or the group's SIGKILL ends it before its own
REAPER = Path(__file__).with_name("reaper.py")
LOG_LIMIT = 16 * 1024 * 1024  # bytes a background process's log holds at most
# Output bytes that are not UTF-8 (a latin-1 file cat'ed, a binary dumped) are shown as `\xe9` escapes, the
# notation `files.shown_path` and bash's $'...' use: U+FFFD for each told the model nothing of what was there.
# Valid UTF-8 around them stays as it is, which decoding the whole output as latin-1 would garble.
UNDECODABLE = "backslashreplace"
LOG_SETTLE_S = 1.0  # after a background process exits, how long its last output may take to reach the log
DRAIN_S = 1.0  # output read after the command ends, at most, while a process outside its group still writes
# a terminal's escape sequences: CSI (colours, cursor moves), OSC (window titles, links) and the like to the end of
# their line at most, and the two- or three-character ones (`ESC ( B`, `ESC =`)
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|[PX^_][^\x1b\n]*(?:\x1b\\)?|[ -/]*[0-~])")
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but NUL, tab, line feed and carriage return


@dataclass
class CommandOutput:
    output: str  # stdout and stderr interleaved, capped with head and tail kept
    exit_code: int | None  # None when it timed out
    timed_out: bool = False
    seconds: float = 0.0
    omitted: int = 0  # characters cut from the middle


@dataclass
class Background:
    pid: int
    command: str
    log: Path
    process: subprocess.Popen[bytes]
    ports: list[int] = field(default_factory=list)
    copier: threading.Thread | None = None  # copies its output to the log (`_keep_log`)
    report: IO[bytes] | None = None  # the reaper's: how many processes the command left running when it exited

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def output(self, settle: float = LOG_SETTLE_S) -> str:
        """The end of its log (`read_log`); once it has exited, after the copier has written what the pipe still
        held (at most `settle` seconds: a child of it may hold the pipe open), so that the error it stopped on
        is in what is read."""
        if self.copier is not None and not self.running:
            self.copier.join(settle)
        return read_log(self.log)

    def left_running(self) -> int:
        """How many processes the command had left running when it exited (the reaper stopped them); read once
        it has exited."""
        if self.report is None:
            return 0
        with self.report:
            text = self.report.read().strip()
        self.report = None
        return int(text) if text.isdigit() else 0


class _Capped:
    """Collects a stream keeping the first `head` and last `tail` characters."""

    def __init__(self, head: int, tail: int) -> None:
        self.head_limit, self.tail_limit = head, tail
        self.head: list[str] = []
        self.head_len = 0
        self.tail: deque[str] = deque()
        self.tail_len = 0
        self.total = 0

    def add(self, text: str) -> None:
        self.total += len(text)
        room = self.head_limit - self.head_len
        if room > 0:
            self.head.append(text[:room])
            self.head_len += min(room, len(text))
            text = text[room:]
        if text:
            self.tail.append(text)
            self.tail_len += len(text)
            while self.tail_len - len(self.tail[0]) >= self.tail_limit:
                self.tail_len -= len(self.tail.popleft())

    def text(self) -> tuple[str, int]:
        tail = "".join(self.tail)[-self.tail_limit:] if self.tail else ""
        omitted = self.total - self.head_len - len(tail)
        head = "".join(self.head)
        if omitted > 0:
            return f"{head}\n[... {omitted} characters omitted ...]\n{tail}", omitted
        return head + tail, 0


def kill_group(process: subprocess.Popen[bytes], grace: float = KILL_GRACE_S) -> None:
    """SIGTERM the process group, then SIGKILL what is still alive after `grace` seconds.

    The group id is the leader's pid (processes start in their own session), so the group
    is found even after the leader exited and was reaped."""
    pgid = process.pid
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            if not group_alive(pgid):
                return
        except subprocess.TimeoutExpired:
            continue
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and group_alive(pgid):
            time.sleep(0.05)


def group_alive(pgid: int) -> bool:
    """Any live process left in the group? Zombies nobody reaps must not count, nor one on its way out (`running`)."""
    if os.path.isdir("/proc"):
        return bool(_group_pids(pgid))
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float,
        head: int = HEAD_CHARS, tail: int = TAIL_CHARS) -> CommandOutput:
    """Run to completion (or `timeout`), output capped; Ctrl-C ends the group and propagates."""
    started = time.monotonic()
    process = subprocess.Popen(reaped(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    stream, capped, done, timed_out = process.stdout, _Capped(head, tail), threading.Event(), False
    assert stream is not None
    reader = threading.Thread(target=_pump, args=(stream.fileno(), capped, done), daemon=True)
    try:  # the reader is started in here: Ctrl-C while `start` waits for it must end the group too
        reader.start()
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_group(process)
    except BaseException:
        kill_group(process)
        raise
    finally:
        if not timed_out and group_alive(process.pid):
            kill_group(process, grace=0.5)  # leftovers of a finished shell would hold the pipe open
        done.set()
        if reader.ident is not None:
            reader.join()
        stream.close()
    text, omitted = capped.text()
    return CommandOutput(as_read(text), None if timed_out else process.returncode, timed_out,
                         round(time.monotonic() - started, 3), omitted)


def reaped(argv: list[str], report: int = -1) -> list[str]:
    """`argv` run under the reaper (see `reaper.py`), which writes to the descriptor `report` how many
    processes it left running, and stops them if this process dies first."""
    return [sys.executable, "-I", "-S", str(REAPER), str(REAP_GRACE_S), str(report), str(os.getpid()), *argv]


def as_read(output: str) -> str:
    """Output as a terminal leaves it to be read: colours, cursor moves and titles dropped, a line redrawn after
    carriage returns (a progress bar, a spinner) as last drawn, other control characters dropped (a NUL, the
    separator of `-z` and `-print0` listings, ends a line). The model reads what a person would see, without
    the hundreds of redraws that cost tokens (rich's `Text.from_ansi` shows an OSC title's text and drops a
    line ended by CRLF)."""
    text = _CONTROL.sub("", _ESCAPE.sub("", output)).replace("\0", "\n")
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.split("\n"))


def _pump(fd: int, capped: _Capped, done: threading.Event) -> None:
    """Read the output until its end or, once the command is `done`, until it has been quiet for a moment or
    DRAIN_S have passed: a process that left the group (`setsid`) keeps the pipe open, and reading to its end
    waited for it. A character split between two reads is decoded whole; bytes that are not UTF-8 are escaped
    (UNDECODABLE)."""
    decoder = codecs.getincrementaldecoder("utf-8")(UNDECODABLE)
    poller = select.poll()  # (select() fails on a descriptor numbered above 1023)
    poller.register(fd, select.POLLIN)
    deadline = None
    while True:
        if done.is_set() and deadline is None:
            deadline = time.monotonic() + DRAIN_S
        ready = poller.poll(50)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            capped.add(decoder.decode(chunk))
        if deadline is not None and (not ready or time.monotonic() > deadline):
            break
    capped.add(decoder.decode(b"", final=True))


def start_background(argv: list[str], command: str, *, cwd: Path, env: dict[str, str],
                     log_dir: Path | None = None, log_limit: int = LOG_LIMIT) -> Background:
    """Start a long-running process (a server) in its own group, its output copied to a log file of at most
    `log_limit` bytes."""
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="codewright-bg-"))
    log = log_dir / f"bg-{time.time_ns()}.log"
    log.touch()
    report, writer = os.pipe()
    try:
        process = subprocess.Popen(reaped(argv, writer), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                                   pass_fds=(writer,))
    except BaseException:
        os.close(report)
        raise
    finally:
        os.close(writer)
    assert process.stdout is not None
    copier = threading.Thread(target=_keep_log, args=(process.stdout, log, log_limit), daemon=True)
    try:
        copier.start()
    except BaseException:  # Ctrl-C while `start` waits: nobody would know of the process to stop it
        kill_group(process)
        os.close(report)
        raise
    return Background(process.pid, command, log, process, copier=copier, report=os.fdopen(report, "rb"))


def _keep_log(stream: IO[bytes], log: Path, limit: int) -> None:
    """Copy a background process's output to its log until the output ends. When the log would pass `limit`
    bytes it keeps the newest half, after a line saying how much came before: a server that logs every
    request, left running through a long session, filled the disk. (Copied by this thread rather than
    written by the process itself, so that the log can be cut without a hole where the process writes.)
    Where the log cannot be written (a full disk), the output is read on and dropped: a closed pipe would
    kill the process at its next write."""
    with stream:
        try:
            _copy_capped(stream, log, limit)
        except OSError:
            while stream.read1(65536):
                pass


def _copy_capped(stream: IO[bytes], log: Path, limit: int) -> None:
    received = kept = 0  # bytes of output: all of them, and those in the log
    with log.open("r+b") as out:
        while chunk := stream.read1(65536):
            received += len(chunk)
            if out.tell() + len(chunk) > limit:
                out.seek(-min(kept, limit // 2), os.SEEK_END)
                tail = (out.read() + chunk)[-(limit // 2):]
                kept = len(tail)
                out.seek(0)
                out.truncate()
                out.write(f"[... {received - kept} earlier bytes of output dropped ...]\n".encode() + tail)
            else:
                out.write(chunk)
                kept += len(chunk)
            out.flush()


def read_log(path: Path, limit: int = HEAD_CHARS) -> str:
    """The last `limit` characters of a background process's log, reading only its end (a server's log can
    grow to gigabytes); bytes that are not UTF-8 are escaped (UNDECODABLE)."""
    try:
        with path.open("rb") as log:
            size = log.seek(0, os.SEEK_END)
            log.seek(max(0, size - 4 * limit))  # a character is at most 4 bytes
            data = log.read()
    except OSError:
        return ""
    text = as_read(data.decode("utf-8", UNDECODABLE))
    if size > len(data) or len(text) > limit:  # (the rest of a character cut at the start of the read, escaped,
        # is cut off too: the read holds more than `limit` characters after it)
        return f"[... earlier output omitted: the log holds {size} bytes ...]\n{text[-limit:]}"
    return text


def listening_ports(pgid: int) -> list[int]:
    """TCP ports in LISTEN state held by any process of group `pgid` (Linux /proc; [] elsewhere).

    The socket tables are read through the processes themselves: a sandboxed server lives in
    a network namespace of its own, whose tables /proc/net does not show.
    """
    inodes: set[str] = set()
    tables: dict[str, int] = {}  # network namespace -> one pid in it
    for pid in _group_pids(pgid):
        inodes.update(target[8:-1] for target in open_files(pid) if target.startswith("socket:["))
        try:
            tables.setdefault(os.readlink(f"/proc/{pid}/ns/net"), pid)
        except OSError:  # it ended meanwhile, or it is another user's
            continue
    ports: set[int] = set()
    for pid in tables.values():
        for table in (f"/proc/{pid}/net/tcp", f"/proc/{pid}/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                cols = line.split()
                if len(cols) > 9 and cols[3] == "0A" and cols[9] in inodes:
                    ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return sorted(ports)


def open_files(pid: int | str) -> Iterator[str]:
    """What process `pid`'s descriptors point at (Linux /proc); nothing where it ended meanwhile or is another
    user's. A descriptor closed between the listing and its reading is passed over, not the process: a git at work
    opens and closes one for each file it adds, a server one for each connection, and one such close hid the whole
    process (a look in 30 while `git add` ran): a live git's index.lock was taken for stale, a server's port missed."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return
    for fd in fds:
        try:
            yield os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            if len(fields) > 6 and int(fields[2]) == pgid and running(fields):
                pids.append(int(entry))
    return pids


_PORT_IN_TEXT = re.compile(r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::\]|port)[: ](\d{2,5})\b", re.IGNORECASE)


def ports_in_log(text: str) -> list[int]:
    """Ports a server announced in its output ("listening on http://localhost:3000")."""
    return sorted({int(p) for p in _PORT_IN_TEXT.findall(text) if 0 < int(p) < 65536})
