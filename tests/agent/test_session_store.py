"""The sessions listing tells a session still running from one whose process is gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.cli_schema import validate

from codewright.agent.session import SessionStore

SRC = str(Path(__file__).parents[2] / "src")


def create_in_a_process_that_ends(root: Path) -> str:
    """A session made by another process that then exits without an outcome, as a killed run does."""
    code = "import sys; from codewright.agent.session import SessionStore; print(SessionStore(sys.argv[1]).create('t', 'm', 'ask'))"
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": SRC})
    return done.stdout.strip()


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


def test_a_store_from_before_process_ids_gets_the_column(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.db.execute("ALTER TABLE sessions DROP COLUMN pid")  # as stores were made before
    store.db.execute("INSERT INTO sessions (id, task, model, mode, created, updated) VALUES ('old', 't', 'm', 'ask', 1, 1)")
    store.close()
    again = SessionStore(tmp_path)
    assert "pid" in {row[1] for row in again.db.execute("PRAGMA table_info(sessions)")}
    assert outcomes(again) == {"old": "stopped"}  # no process known: nothing can be running it


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
        store.db.execute("UPDATE sessions SET pid = ? WHERE id = ?", (other.pid, session))
        with pytest.raises(UsageError, match=f"session {session} is running in process {other.pid}"):
            store.claim(session)
        other.kill()
    other.wait()
    store.claim(session)  # its process is gone: resumable
    assert outcomes(store) == {session: "running"}


def test_a_released_session_is_claimable_and_a_held_one_is_not(tmp_path: Path) -> None:
    """A chat between two messages reads "replied" but its process still runs it: only its release frees it."""
    import pytest

    from codewright.errors import UsageError

    store = SessionStore(tmp_path)
    session = store.create("chat", "m", "ask", kind="chat")
    store.save(session, {}, outcome="replied")
    with subprocess.Popen(["sleep", "30"]) as other:
        store.db.execute("UPDATE sessions SET pid = ? WHERE id = ?", (other.pid, session))
        with pytest.raises(UsageError, match="is running in process"):
            store.claim(session)
        other.kill()
    store.claim(session)
    store.release(session)
    assert store.db.execute("SELECT pid FROM sessions WHERE id = ?", (session,)).fetchone() == (None,)
