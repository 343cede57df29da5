"""Sessions and their events in SQLite under `.codewright/sessions.db`.

A session row holds what `codewright sessions` lists (task, model, outcome, tokens, cost)
and the loop's saved state (the context engine's history, plan and ledger, step count),
written after every step so a crash or Ctrl-C loses at most the step in flight and
`codewright run --resume ID` continues from there. Events are appended as they happen.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codewright.agent.events import Event
from codewright.context.secrets import redact
from codewright.errors import CodewrightError, UsageError
from codewright.quoting import quoted

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    model TEXT NOT NULL,
    mode TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'run',
    created REAL NOT NULL,
    updated REAL NOT NULL,
    outcome TEXT NOT NULL DEFAULT 'running',
    reason TEXT NOT NULL DEFAULT '',
    steps INTEGER NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    estimated_calls INTEGER NOT NULL DEFAULT 0,  -- model calls whose usage was estimated: the server sent none
    cost REAL NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT '{}',
    pid INTEGER,  -- the process that runs it now or ran it last
    pid_started INTEGER  -- when that process started (`process_start`): a process id is reused once it is free
);
CREATE TABLE IF NOT EXISTS events (
    session TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (session, seq)
);
"""

_ADDED = {"pid": "INTEGER", "pid_started": "INTEGER", "cache_write_tokens": "INTEGER NOT NULL DEFAULT 0",
          "estimated_calls": "INTEGER NOT NULL DEFAULT 0"}
"""The columns a store made before them lacks: `_add_column` gives it them (its old rows read 0 cache writes and
0 estimated calls)."""

_OURS = {"sessions": {"id", "task", "model", "mode", "created", "updated", "outcome", "state"},
         "events": {"session", "seq", "type", "data"}}


@dataclass
class SessionRow:
    id: str
    task: str
    model: str
    mode: str
    kind: str
    created: float
    updated: float
    outcome: str
    reason: str
    steps: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost: float
    estimated_calls: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


_COLUMNS = ", ".join(SessionRow.__dataclass_fields__)
_ROW = f"{_COLUMNS}, pid, pid_started"  # what `_session` reads: the row, and the process that runs it


DATA_DIR = ".codewright"


STORE = "sessions.db"  # the sessions, in the data folder


def data_dir(root: Path) -> Path:
    """`.codewright/` in the repository, made on first use and ignored by the user's git."""
    path = _refuse_a_file(Path(root) / DATA_DIR)
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return path


def has_store(root: Path) -> bool:
    """Whether a session was ever stored here, found without making `.codewright/` (as `data_dir` would):
    `codewright sessions` made the folder and an empty store in every folder it listed."""
    return (_refuse_a_file(Path(root) / DATA_DIR) / STORE).exists()


def _refuse_a_file(path: Path) -> Path:
    """The data folder's path; something else in its place is the user's, left as it is."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{quoted(path)} is not a folder: codewright keeps its sessions and checkpoints there; "
                         "it was left as it is: move it aside and run again")
    return path


class SessionStore:
    """One SQLite file per repository; every write commits at once (a crash keeps what was written)."""

    def __init__(self, root: Path) -> None:
        self.path = data_dir(root) / STORE
        self.db = _connect(self.path)
        try:
            self._refuse_others()
            self.db.execute("PRAGMA journal_mode=WAL")
            # survives a crash of codewright; one fsync per checkpoint
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            for column, kind in _ADDED.items():
                self._add_column(column, kind)
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise _unreadable(self.path, exc) from None

    def _refuse_others(self) -> None:
        """Another program's database at this path is left untouched: its `sessions` table was given our
        columns, and a listing then failed on the ones it lacked."""
        for table, needed in _OURS.items():
            columns = self._columns(table)
            if columns and not needed <= columns:
                self.db.close()
                raise UsageError(f"{quoted(self.path)} is another program's SQLite database (its {table} table has no "
                                 f"{', '.join(sorted(needed - columns))}); it was left as it is: move it aside and run "
                                 "again to start a new one")

    def _add_column(self, name: str, kind: str) -> None:
        """Stores made before sessions kept their process (its id, then its start), their cache writes or their
        estimated calls get the column."""
        if self._has(name):
            return
        try:
            self.db.execute(f"ALTER TABLE sessions ADD COLUMN {name} {kind}")
        except sqlite3.OperationalError:
            if not self._has(name):  # unless another process added it first
                raise

    def _has(self, column: str) -> bool:
        return column in self._columns("sessions")

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}

    def close(self) -> None:
        self.db.close()

    def create(self, task: str, model: str, mode: str, kind: str = "run") -> str:
        session_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        now = time.time()
        try:
            self.db.execute(
                "INSERT INTO sessions (id, task, model, mode, kind, created, updated, pid, pid_started)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (session_id, redact(task), model, mode, kind, now, now, *_this_process()),
            )
        except sqlite3.OperationalError as exc:  # locked: the first write of a run
            raise _unreadable(self.path, exc) from None
        return session_id

    def claim(self, session_id: str) -> None:
        """This process now runs the session (`--resume`); one that another live process runs is refused (two
        runs of one session overwrote each other's events and saved state)."""
        self.db.execute("BEGIN IMMEDIATE")  # the check and the claim in one write: of two resumes, one is refused
        try:
            row = self.db.execute("SELECT pid, pid_started FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise self._missing(session_id)
            pid, started = row
            if pid is not None and pid != os.getpid() and _alive(pid, started):
                raise UsageError(f"session {session_id} is running in process {pid}: stop it first, or start a new one")
            self.db.execute("UPDATE sessions SET pid = ?, pid_started = ? WHERE id = ?",
                            (*_this_process(), session_id))
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def release(self, session_id: str) -> None:
        """This process no longer runs the session: a chat waiting for its next message is claimed (its outcome
        reads "replied"), one that ended is not, even once another process has its process id."""
        self.db.execute("UPDATE sessions SET pid = NULL, pid_started = NULL WHERE id = ? AND pid = ?",
                        (session_id, os.getpid()))

    def interrupted(self, session_id: str, reason: str) -> None:
        """The session was stopped before its agent could run (building the index, the first checkpoint): its
        outcome says so, where it read as killed or crashed; a saved state stays as it was."""
        self.db.execute("UPDATE sessions SET outcome = 'interrupted', reason = ?, updated = ? WHERE id = ?",
                        (reason, time.time(), session_id))

    def append(self, event: Event) -> None:
        data = event.to_dict()
        self.db.execute(
            "INSERT OR REPLACE INTO events (session, seq, type, data) VALUES (?,?,?,?)",
            (event.session, event.seq, event.type, json.dumps(data)),
        )

    def save(self, session_id: str, state: dict[str, Any], **totals: Any) -> None:
        """Store the loop's state and its running totals (outcome, steps, tokens, cost); text is redacted."""
        totals = {k: redact(v) if isinstance(v, str) else v for k, v in totals.items()}
        sets = ", ".join(f"{name} = ?" for name in totals)
        self.db.execute(
            f"UPDATE sessions SET state = ?, updated = ?{', ' + sets if sets else ''} WHERE id = ?",
            (json.dumps(state), time.time(), *totals.values(), session_id),
        )

    def get(self, session_id: str) -> SessionRow:
        row = self.db.execute(f"SELECT {_ROW} FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise self._missing(session_id)
        return _session(row)

    def _missing(self, session_id: str) -> UsageError:
        return UsageError(f"no session {session_id!r} in {self.path}")

    def state(self, session_id: str) -> dict[str, Any]:
        """The loop's saved state ({} before its first save); one that cannot be read is a usage error."""
        self.get(session_id)
        (text,) = self.db.execute("SELECT state FROM sessions WHERE id = ?", (session_id,)).fetchone()
        try:
            state = json.loads(text or "{}")
        except ValueError as exc:
            raise UnreadableState(session_id, f"not JSON: {exc}") from None
        if not isinstance(state, dict):
            raise UnreadableState(session_id, f"a JSON {type(state).__name__}, not an object")
        return state

    def last_seq(self, session_id: str) -> int:
        (seq,) = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM events WHERE session = ?", (session_id,)).fetchone()
        return int(seq)

    def events(self, session_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT data FROM events WHERE session = ? ORDER BY seq", (session_id,))
        return [json.loads(text) for (text,) in rows]

    def list(self, limit: int = 50) -> list[SessionRow]:
        rows = self.db.execute(f"SELECT {_ROW} FROM sessions ORDER BY created DESC LIMIT ?", (limit,))
        return [_session(row) for row in rows]

    def running(self) -> list[SessionRow]:
        """The sessions a live process runs now (a run, or a chat in its turn), newest first: `undo` and `rewind`
        changed the files under them."""
        rows = self.db.execute(f"SELECT {_ROW} FROM sessions WHERE outcome = 'running' ORDER BY created DESC")
        return [session for session in map(_session, rows) if session.outcome == "running"]


class UnreadableState(UsageError):
    """A saved session this codewright cannot continue (damaged, or written by another version); the store keeps
    it as it is."""

    def __init__(self, session_id: str, why: str) -> None:
        super().__init__(f"session {session_id} cannot be resumed: its saved state is unreadable ({why}); it was "
                         "left as it is: start a new session (its events stay readable with `codewright sessions`)")


def _connect(path: Path) -> sqlite3.Connection:
    """Autocommit (every write commits at once), shared by the emitter's and the loop's threads."""
    try:
        return sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
    except sqlite3.DatabaseError as exc:  # e.g. a folder where the file should be
        raise _unreadable(path, exc) from None


BUSY_SECONDS = 30.0  # how long a write waits for another process's lock on the store


def _unreadable(path: Path, exc: sqlite3.DatabaseError) -> Exception:
    """A store SQLite cannot open or read (random bytes, a folder, a truncated file) as a usage error that
    names it. The sessions are the user's data: the file is never deleted or replaced, so the message says
    what to do with it. A store another program holds locked past the 30 s wait is not unreadable: it says so."""
    if "locked" in str(exc):
        return CodewrightError(f"{path} is locked by another program (waited {BUSY_SECONDS:g} s); close it, or let "
                               "it finish, and run again")
    reason = "it is a folder" if path.is_dir() else str(exc)
    return UsageError(f"{path} is not a readable sessions database ({reason}); it was left as it is: "
                      "move it aside (or restore it from a backup) and run again to start a new one")


def _session(row: tuple) -> SessionRow:
    """A stored row; one that reads "running" though its process is gone is "stopped" (killed, or crashed,
    before it could save an outcome: `--resume` continues it from its last step)."""
    session = SessionRow(*row[:-2])
    if session.outcome == "running" and not _alive(*row[-2:]):
        session.outcome = "stopped"
        session.reason = "its process ended without saving an outcome (killed or crashed)"
    return session


def _alive(pid: int | None, started: int | None = None) -> bool:
    """Whether the process that ran a session still runs: one with its id, started when it started (a crashed
    run's id taken by another process, as after a container's restart, had kept its session "running" and
    refused its resume). Where a start is not known (not Linux, or saved before starts were), the id decides."""
    if pid is None:  # saved before sessions kept their process
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    now = process_start(pid)
    return started is None or now is None or now == started


def _this_process() -> tuple[int, int | None]:
    """This process as a session stores it: its id and its start."""
    return os.getpid(), process_start(os.getpid())


def process_start(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot (Linux's /proc); None where that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = stat.rpartition(b")")[2].split()  # after the command's name, which may hold spaces and ")"
    return int(fields[19]) if len(fields) > 19 else None
