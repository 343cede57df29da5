"""The sessions listing tells a session still running from one whose process is gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.cli_schema import validate

from codewright.agent.session import SessionStore
from codewright.errors import UsageError

SRC = str(Path(__file__).parents[2] / "src")


def create_in_a_process_that_ends(root: Path) -> str:
    """A session made by another process that then exits without an outcome, as a killed run does."""
    code = "import sys; from codewright.agent.session import SessionStore; print(SessionStore(sys.argv[1]).create('t', 'm', 'ask'))"
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": SRC})
    return done.stdout.strip()


def runs_in(store: SessionStore, session: str, pid: int) -> None:
    """Record process `pid` as the one running `session`, as its `claim` would have."""
    from codewright.agent.session import process_start

    store.db.execute("UPDATE sessions SET pid = ?, pid_started = ? WHERE id = ?", (pid, process_start(pid), session))


def outcomes(store: SessionStore) -> dict[str, str]:
    return {row.id: row.outcome for row in store.list()}


def test_a_session_whose_process_is_gone_reads_stopped(tmp_path: Path) -> None:
    gone = create_in_a_process_that_ends(tmp_path)
    store = SessionStore(tmp_path)
    here = store.create("t", "m", "ask")
    assert outcomes(store) == {gone: "stopped", here: "running"}
    assert store.get(gone).reason == "its process ended without saving an outcome (killed or crashed)"
    store.claim(gone)  # resumed in this process: running again
    assert outcomes(store) == {gone: "running", here: "running"}


def test_a_saved_outcome_stands_after_the_process_ends(tmp_path: Path) -> None:
    gone = create_in_a_process_that_ends(tmp_path)
    store = SessionStore(tmp_path)
    store.save(gone, {}, outcome="interrupted")
    assert outcomes(store) == {gone: "interrupted"}


def test_a_store_from_before_process_ids_gets_the_columns(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    for column in ("pid", "pid_started"):  # as stores were made before
        store.db.execute(f"ALTER TABLE sessions DROP COLUMN {column}")
    store.db.execute("INSERT INTO sessions (id, task, model, mode, created, updated) VALUES ('old', 't', 'm', 'ask', 1, 1)")
    store.close()
    again = SessionStore(tmp_path)
    assert {"pid", "pid_started"} <= {row[1] for row in again.db.execute("PRAGMA table_info(sessions)")}
    assert outcomes(again) == {"old": "stopped"}  # no process known: nothing can be running it


@pytest.mark.parametrize("column", ["cache_write_tokens", "estimated_calls"])
def test_a_store_from_before_a_count_gets_the_column_and_its_sessions_read_0(tmp_path: Path, column: str) -> None:
    """Sessions list their cache writes and estimated calls (`sessions --json`); one saved before they were kept
    has none."""
    store = SessionStore(tmp_path)
    store.db.execute(f"ALTER TABLE sessions DROP COLUMN {column}")  # as stores were made before
    store.db.execute("INSERT INTO sessions (id, task, model, mode, created, updated) VALUES ('old', 't', 'm', 'ask', 1, 1)")
    store.close()
    again = SessionStore(tmp_path)
    rows = [row.to_dict() for row in again.list()]
    validate("sessions", {"sessions": rows})
    assert [row[column] for row in rows] == [0]


def test_a_store_from_before_process_starts_still_tells_a_live_process(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    session = store.create("t", "m", "ask")
    store.db.execute("ALTER TABLE sessions DROP COLUMN pid_started")  # as stores were made before
    store.close()
    again = SessionStore(tmp_path)
    assert outcomes(again) == {session: "running"}  # its own process: no start recorded, the id decides


def test_sessions_json_lists_a_stopped_session_as_its_schema_says(tmp_path: Path) -> None:
    gone = create_in_a_process_that_ends(tmp_path)
    listing = subprocess.run([sys.executable, "-m", "codewright", "sessions", "--json", "--repo", str(tmp_path)],
                             capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": SRC})
    rows = json.loads(listing.stdout)
    validate("sessions", rows)
    assert [(r["id"], r["outcome"]) for r in rows["sessions"]] == [(gone, "stopped")]


def test_a_session_another_live_process_runs_cannot_be_claimed(tmp_path: Path) -> None:
    """Two runs of one session overwrote each other's events and state: the second is refused."""
    import pytest

    from codewright.errors import UsageError

    store = SessionStore(tmp_path)
    session = store.create("t", "m", "ask")
    with subprocess.Popen(["sleep", "30"]) as other:
        runs_in(store, session, other.pid)
        with pytest.raises(UsageError, match=f"session {session} is running in process {other.pid}"):
            store.claim(session)
        other.kill()
    other.wait()
    store.claim(session)  # its process is gone: resumable
    assert outcomes(store) == {session: "running"}


def test_a_session_whose_process_id_another_process_took_reads_stopped_and_resumes(tmp_path: Path) -> None:
    """A crashed run's process id, taken by another process (as after a container's restart), kept its session
    "running" and its resume refused: the process's start tells the two apart."""
    import pytest

    from codewright.agent.session import process_start

    if process_start(os.getpid()) is None:
        pytest.skip("process starts are read from Linux's /proc")
    store = SessionStore(tmp_path)
    session = store.create("t", "m", "ask")
    with subprocess.Popen(["sleep", "30"]) as other:
        started = process_start(other.pid)
        store.db.execute("UPDATE sessions SET pid = ?, pid_started = ? WHERE id = ?", (other.pid, started - 1, session))
        assert outcomes(store) == {session: "stopped"}
        store.claim(session)  # not refused: its process is gone, whatever runs under its id now
        assert outcomes(store) == {session: "running"}
        store.db.execute("UPDATE sessions SET pid = ?, pid_started = ? WHERE id = ?", (other.pid, started, session))
        with pytest.raises(UsageError, match="is running in process"):  # the very process: refused
            store.claim(session)
        other.kill()


def test_a_released_session_is_claimable_and_a_held_one_is_not(tmp_path: Path) -> None:
    """A chat between two messages reads "replied" but its process still runs it: only its release frees it."""
    import pytest

    from codewright.errors import UsageError

    store = SessionStore(tmp_path)
    session = store.create("chat", "m", "ask", kind="chat")
    store.save(session, {}, outcome="replied")
    with subprocess.Popen(["sleep", "30"]) as other:
        runs_in(store, session, other.pid)
        with pytest.raises(UsageError, match="is running in process"):
            store.claim(session)
        other.kill()
    store.claim(session)
    store.release(session)
    assert store.db.execute("SELECT pid FROM sessions WHERE id = ?", (session,)).fetchone() == (None,)


_CLAIM_SLOWLY = """
import sys, time
from codewright.agent import session
from codewright.errors import UsageError
real = session.process_start
session.process_start = lambda pid: (time.sleep(1.0), real(pid))[1]  # between the check and the claim
store = session.SessionStore(sys.argv[1])
try:
    store.claim(sys.argv[2])
except UsageError:
    print("refused")
else:
    print("claimed")
    time.sleep(2.0)  # still running it while the other one looks
"""


def test_of_two_processes_resuming_one_session_at_once_one_is_refused(tmp_path: Path) -> None:
    """Both had read "nobody runs it" before either wrote its claim, and both ran the session."""
    session = create_in_a_process_that_ends(tmp_path)
    runs = [subprocess.Popen([sys.executable, "-c", _CLAIM_SLOWLY, str(tmp_path), session], stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": SRC}) for _ in range(2)]
    said = sorted(run.communicate(timeout=60)[0].strip() for run in runs)
    assert said == ["claimed", "refused"]
