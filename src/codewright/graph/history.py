"""The commits that led to the tree: each one's message and the files it changed, kept in the index.

A task often resembles an earlier change: the same feature broken another way, a bug next
to one fixed before. The files those earlier commits changed are where the new change
lands (the "similar bug reports" of BugLocator, Zhou et al., ICSE 2012). Git holds that
history; it is kept in two tables of the index (the newest HISTORY_LIMIT commits, merges
left out), with FTS5 over the messages, so that `find` can ask which past commits read like
a task. When HEAD moves on from the stored one, only the new commits are read and the oldest
dropped: an agent that commits after each step does not pay for the whole log again. The
tables are created on first write: an index without them (not a git work tree, or made
before they existed) simply has no history.
"""

from __future__ import annotations

import sqlite3
import subprocess
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Self

from codewright.graph.store import identifier_words, transaction

HISTORY_LIMIT = 10_000  # newest commits read: django's last ~4 years, 0.6 s of `git log` and 3.4 MB
_TABLES = (
    "CREATE TABLE IF NOT EXISTS commits (id INTEGER PRIMARY KEY, sha TEXT NOT NULL, files TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS commits_fts USING fts5(message, idents, tokenize = 'unicode61')",
)
COLUMN_WEIGHTS = {"message": 1.0, "idents": 1.0}  # of `commits_fts`, for BM25
_RAW_PATHS = ("-c", "core.quotePath=false")  # `café.py`, not `"caf\\303\\251.py"`: as the index names it
_LOG_FORMAT = "--format=%x01%H%n%s%n%b%x02"  # \x01 sha, subject and body \x02, then the changed files
# How the stored history was read: numbered oldest first (newer commits are appended) and renames
# listed as the old and the new path. An index whose history was read otherwise reads it afresh.
_FORMAT = ("history_format", "2")


@dataclass(frozen=True)
class Commit:
    sha: str
    message: str
    files: tuple[str, ...]  # relative to the indexed tree's root


class Reading:
    """`git log` running beside a build (a process of its own, so it overlaps the steps after parsing).

    Its output goes to a temporary file, not a pipe: django's 10,000 commits are 3.4 MB, and
    a pipe nobody reads until the build ends would stop git at its first 64 KB. `since` is
    the stored HEAD when only the commits after it are read. Used as a context manager: its
    exit stops git if it still runs and drops the output."""

    def __init__(self, head: str, since: str | None, process: subprocess.Popen[bytes], out: IO[bytes]):
        self.head = head
        self.since = since
        self.process = process
        self.out = out

    def store(self, conn: sqlite3.Connection) -> None:
        """Wait for git and keep what it read; a git that fails leaves the stored history as it was."""
        if self.process.wait() == 0:
            self.out.seek(0)
            commits = parse_log(self.out.read().decode("utf-8", errors="replace"))
            (extend if self.since else store)(conn, self.head, commits)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop git if it still runs (the build failed) and drop its output."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.out.close()


class BuildHistory:
    """The history read of one build: `git log` started at most once, when the build says (`start`), and
    stored at its end (`store`). `running` stops git if the build fails before that."""

    def __init__(self, root: Path, conn: sqlite3.Connection, running: ExitStack) -> None:
        self.root = root
        self.conn = conn
        self.running = running
        self.started = False
        self.reading: Reading | None = None

    def start(self) -> None:
        if not self.started:
            self.started = True
            reading = start_reading(self.root, self.conn)
            self.reading = self.running.enter_context(reading) if reading else None

    def store(self) -> bool:
        """Start git if the build has not (it parsed nothing), wait for it and keep what it read; whether it ran."""
        self.start()
        if self.reading:
            self.reading.store(self.conn)
        return self.reading is not None


def start_reading(root: Path, conn: sqlite3.Connection) -> Reading | None:
    """Start reading the history of the git work tree at `root`, unless it is stored for its HEAD already.

    Only the commits since the stored HEAD are read when HEAD has moved on from it (a
    rebase or a switch to another branch reads it all). Paths are made relative to `root`
    (`--relative`), so a tree inside a larger repository keeps only its own files. None
    outside git, or in a repository without commits."""
    git = ["git", "-C", str(root), *_RAW_PATHS]
    try:
        found = subprocess.run([*git, "rev-parse", "--verify", "-q", "HEAD"], capture_output=True, text=True,
                               check=False)
    except OSError:  # no git on this machine
        return None
    head, stored = found.stdout.strip(), stored_head(conn)
    if found.returncode != 0 or not head or head == stored:
        return None
    since = stored if stored and _is_ancestor(git, stored, head) else None
    out = tempfile.TemporaryFile()  # noqa: SIM115 - outlives this call; closed when the Reading exits
    rev = f"{since}..{head}" if since else head
    return Reading(head, since, subprocess.Popen([*git, "log", "--relative", *_log_args(rev)], stdout=out,
                                                 stderr=subprocess.DEVNULL), out)


def _is_ancestor(git: list[str], old: str, new: str) -> bool:
    return subprocess.run([*git, "merge-base", "--is-ancestor", old, new], capture_output=True,
                          check=False).returncode == 0


def read_commits(git_dir: Path, rev: str) -> list[Commit]:
    """The history of `rev` in the repository at `git_dir` (a bare mirror, for evaluations)."""
    done = subprocess.run(["git", "--git-dir", str(git_dir), *_RAW_PATHS, "log", *_log_args(rev)], capture_output=True,
                          check=False)
    return parse_log(done.stdout.decode("utf-8", errors="replace")) if done.returncode == 0 else []


def _log_args(rev: str) -> list[str]:
    """`--no-renames`: a renamed file is listed under both names (the index ignores the old one), and git
    never compares blob contents, which is faster and works in a mirror that lacks some blobs."""
    return [rev, "-n", str(HISTORY_LIMIT), "--no-merges", "--no-renames", _LOG_FORMAT, "--name-only"]


def parse_log(out: str) -> list[Commit]:
    """`git log` output in `_LOG_FORMAT` with `--name-only` -> commits, newest first; those that changed no file
    (empty commits) are left out."""
    commits = []
    for block in out.split("\x01")[1:]:
        head, _, names = block.partition("\x02")
        sha, _, message = head.partition("\n")
        files = tuple(name for name in names.split("\n") if name.strip())
        if files:
            commits.append(Commit(sha, message.strip(), files))
    return commits


def stored_head(conn: sqlite3.Connection) -> str | None:
    """The HEAD whose history is stored, or None (none stored, or read the old way)."""
    found = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('history_head', ?)", _FORMAT[:1]).fetchall())
    return found.get("history_head") if found.get(_FORMAT[0]) == _FORMAT[1] else None


def store(conn: sqlite3.Connection, head: str, commits: list[Commit]) -> None:
    """Replace the stored history with `commits` (newest first), read at `head`."""
    with transaction(conn):
        for statement in _TABLES:
            conn.execute(statement)
        conn.execute("DELETE FROM commits")
        conn.execute("DELETE FROM commits_fts")
        _append(conn, head, commits, 0)


def extend(conn: sqlite3.Connection, head: str, newer: list[Commit]) -> None:
    """Add the commits made since the stored HEAD (newest first), now at `head`, and drop the oldest beyond
    HISTORY_LIMIT."""
    with transaction(conn):
        last = conn.execute("SELECT coalesce(max(id), 0) FROM commits").fetchone()[0]
        _append(conn, head, newer, last)
        oldest_kept = last + len(newer) - HISTORY_LIMIT
        conn.execute("DELETE FROM commits WHERE id <= ?", (oldest_kept,))
        conn.execute("DELETE FROM commits_fts WHERE rowid <= ?", (oldest_kept,))


def _append(conn: sqlite3.Connection, head: str, commits: list[Commit], last: int) -> None:
    numbered = list(enumerate(reversed(commits), last + 1))  # oldest first
    conn.executemany("INSERT INTO commits VALUES (?, ?, ?)", ((i, c.sha, "\n".join(c.files)) for i, c in numbered))
    conn.executemany("INSERT INTO commits_fts (rowid, message, idents) VALUES (?, ?, ?)",
                     ((i, c.message, identifier_words(c.message)) for i, c in numbered))
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [("history_head", head), _FORMAT])


def has_history(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'commits_fts'").fetchone() is not None


def commits(conn: sqlite3.Connection, ids: list[int] | None) -> dict[int, tuple[str, str, list[str]]]:
    """Stored commits by id (the rowid of `commits_fts`) -> (sha, subject, changed files); all of them for None."""
    where = "" if ids is None else f" WHERE c.id IN ({','.join('?' * len(ids))})"
    return {cid: (sha, message.partition("\n")[0], files.split("\n")) for cid, sha, message, files in conn.execute(
        f"SELECT c.id, c.sha, t.message, c.files FROM commits c JOIN commits_fts t ON t.rowid = c.id{where}",
        ids or ())}
