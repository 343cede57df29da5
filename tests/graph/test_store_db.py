"""The database file: rebuilt when corrupted or from an older format; safe under concurrent runs."""

from __future__ import annotations

import json
import select
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from store_repo import PYTHON_REPO, make_repo

from codewright.errors import CodewrightError, UsageError
from codewright.graph import store
from codewright.graph.index import Index


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", PYTHON_REPO)


def db_path(repo: Path) -> Path:
    return repo / ".codewright" / "index.db"


def test_corrupted_index_is_rebuilt_with_a_message(repo: Path) -> None:
    db_path(repo).parent.mkdir()
    db_path(repo).write_bytes(b"this is not a database" * 100)
    with Index.open(repo) as ix:
        assert len(ix.notices) == 1 and "corrupted" in ix.notices[0] and "rebuilding" in ix.notices[0]
        assert ix.build().files == 5


@pytest.mark.timeout(60)
def test_a_fifo_where_the_index_goes_is_replaced_with_a_message(repo: Path) -> None:
    """SQLite's open of a FIFO blocks forever."""
    import os

    db_path(repo).parent.mkdir()
    os.mkfifo(db_path(repo))
    with Index.open(repo) as ix:
        assert ix.notices == [f"{db_path(repo)}: not a regular file; rebuilding the index"]
        assert ix.build().files == 5


def test_truncated_index_is_rebuilt(repo: Path) -> None:
    with Index.open(repo) as ix:
        ix.build()
        ix.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db_path(repo).read_bytes()
    db_path(repo).write_bytes(data[:4096] + b"\xff" * 8192)
    with Index.open(repo) as ix:
        assert ix.notices and "rebuilding" in ix.notices[0]
        assert ix.build().parsed == 5


def test_older_schema_version_is_rebuilt(repo: Path) -> None:
    with Index.open(repo) as ix:
        ix.build()
        ix.conn.execute("UPDATE meta SET value='0' WHERE key='schema_version'")
    with Index.open(repo) as ix:
        assert ix.notices and "older format" in ix.notices[0]
        assert ix.build().parsed == 5


def test_another_programs_database_is_refused_and_left_as_it_is(repo: Path) -> None:
    db_path(repo).parent.mkdir()
    conn = sqlite3.connect(db_path(repo))
    conn.execute("CREATE TABLE files (path TEXT)")
    conn.execute("INSERT INTO files VALUES ('mine')")
    conn.commit()
    conn.close()
    with pytest.raises(UsageError, match=r"index.db is another program's SQLite database \(tables: files\)"):
        Index.open(repo)
    assert sqlite3.connect(db_path(repo)).execute("SELECT path FROM files").fetchall() == [("mine",)]


def test_an_index_from_before_the_meta_table_is_rebuilt(repo: Path) -> None:
    db_path(repo).parent.mkdir()
    conn = sqlite3.connect(db_path(repo))
    conn.execute("CREATE TABLE files (path TEXT)")
    conn.execute("CREATE TABLE symbols (sid TEXT)")
    conn.commit()
    conn.close()
    with Index.open(repo) as ix:
        assert ix.notices and "older format" in ix.notices[0]
        assert ix.build().files == 5


def test_an_empty_index_file_is_rebuilt_as_empty(repo: Path) -> None:
    db_path(repo).parent.mkdir()
    db_path(repo).write_bytes(b"")
    with Index.open(repo) as ix:
        assert ix.notices == [f"{db_path(repo)}: empty; rebuilding the index"]
        assert ix.build().files == 5


def test_queries_work_in_a_read_only_index_folder(repo: Path) -> None:
    """SQLite cannot make a WAL database's shared-memory file there; the index was judged corrupted and its
    deletion tried. Run without the root's power to write anywhere, which these machines' tests have."""
    with Index.open(repo) as ix:
        ix.build()
    out = _in_read_only_index(repo, "symbols", "helper", "--repo", str(repo))
    assert (out.returncode, out.stderr) == (0, "")
    assert "helper" in out.stdout


def _in_read_only_index(repo: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`codewright ARGV` with `.codewright/` read-only, run without the root's power to write anywhere."""
    import os

    drop = [] if os.geteuid() else ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner",
                                    "--inh-caps=-dac_override,-dac_read_search,-fowner"]
    db_path(repo).parent.chmod(0o555)
    try:
        return subprocess.run([*drop, sys.executable, "-m", "codewright", *argv], capture_output=True, text=True,
                              check=False)
    finally:
        db_path(repo).parent.chmod(0o755)


STALE = "codewright: 1 file changed since the last index (new.py); answers may be out of date: `codewright index` updates it\n"


def test_find_in_a_read_only_index_folder_answers_from_the_index_as_it_is(repo: Path) -> None:
    """It built first, and stopped: `cannot write the index` (exit 1)."""
    with Index.open(repo) as ix:
        ix.build()
    (repo / "new.py").write_text("def added():\n    pass\n")
    out = _in_read_only_index(repo, "find", "make a user", "--repo", str(repo), "--json")
    assert (out.returncode, out.stderr) == (0, STALE)
    assert "pkg/models.py::make_user" in [f["id"] for f in json.loads(out.stdout)["functions"]]


def test_callers_in_a_read_only_index_folder_resolve_the_call_graph_in_memory(repo: Path) -> None:
    """An index built (its Python files marked for the call graph) and never asked: the resolution's write was a
    traceback (attempt to write a readonly database)."""
    with Index.open(repo) as ix:
        ix.build()
    (repo / "new.py").write_text("def added():\n    pass\n")
    out = _in_read_only_index(repo, "callers", "pkg/models.py::make_user", "--repo", str(repo), "--json")
    assert (out.returncode, out.stderr) == (0, STALE)
    assert [(c["id"], c["line"]) for c in json.loads(out.stdout)["callers"]] == [
        ("pkg/views.py::show", 7), ("pkg/views.py::show", 9)]
    with Index.open(repo) as ix:  # nothing written
        assert ix.conn.execute("SELECT count(*) FROM calls").fetchone() == (0,)


ANOTHER_VERSION = ("codewright: the call graph in the index was resolved by another version of codewright; answers may "
                   "be out of date until a question asked with write access to .codewright/ resolves it again\n")


@pytest.mark.parametrize("older", ["UPDATE meta SET value='another' WHERE key=?", "DELETE FROM meta WHERE key=?"],
                         ids=["another format", "before the format was kept"])
def test_callers_in_a_read_only_index_folder_answer_from_a_call_graph_of_another_version(repo: Path, older: str) -> None:
    """A call graph resolved by another version (`integrate.FORMAT`) was resolved whole again, in memory, on every
    question (a minute on django): its rows answer, said in one line. The row added stands for what another version
    found."""
    from codewright.graph.pyresolve import integrate

    with Index.open(repo) as ix:
        ix.build()
        integrate.ensure(ix.conn, ix.root)
        with ix.conn:
            ix.conn.execute(older, integrate.FORMAT[:1])
            ix.conn.execute("INSERT INTO calls VALUES ('main.py::', 'pkg/models.py::make_user', 'main.py', 3, 1, 0)")
    out = _in_read_only_index(repo, "callers", "pkg/models.py::make_user", "--repo", str(repo), "--json")
    assert (out.returncode, out.stderr) == (0, ANOTHER_VERSION)
    assert [(c["id"], c["line"]) for c in json.loads(out.stdout)["callers"]] == [
        ("main.py::", 3), ("pkg/views.py::show", 7), ("pkg/views.py::show", 9)]


def test_index_in_a_read_only_index_folder_without_its_lock_file_is_one_message(repo: Path) -> None:
    """The lock file could not be made there: a traceback (PermissionError)."""
    with Index.open(repo) as ix:
        ix.build()
    (repo / ".codewright" / store.LOCK_NAME).unlink()
    (repo / "new.py").write_text("def added():\n    pass\n")
    out = _in_read_only_index(repo, "index", str(repo))
    assert (out.returncode, out.stdout) == (1, "")
    assert out.stderr == f"codewright: cannot write the index in {repo / '.codewright'}: Permission denied (index.lock)\n"


def test_current_index_opens_silently(repo: Path) -> None:
    with Index.open(repo) as ix:
        ix.build()
    with Index.open(repo) as ix:
        assert ix.notices == []
        assert ix.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_an_index_that_cannot_be_written_is_one_message_and_stays_as_it_was(repo: Path) -> None:
    with Index.open(repo) as ix:
        ix.build()
    (repo / "new.py").write_text("def added():\n    pass\n")
    read_only = sqlite3.connect(db_path(repo).resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
    with pytest.raises(CodewrightError, match=r"cannot write the index .*index\.db: attempt to write a readonly"):
        Index(repo, read_only, [], None).build()
    read_only.close()
    with Index.open(repo) as ix:
        assert ix.conn.execute("SELECT count(*) FROM files").fetchone() == (5,)
        assert ix.build().parsed == 1


def test_an_index_another_program_holds_locked_is_one_message_and_stays_as_it_was(
        repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A sqlite3 shell left in a transaction on index.db: once the connection's timeout ran out, a traceback."""
    with Index.open(repo) as ix:
        ix.build()
    (repo / "new.py").write_text("def added():\n    pass\n")
    monkeypatch.setattr(store, "LOCK_NOTICE_AFTER", 0.1)
    monkeypatch.setattr(store, "LOCK_WAIT", 0.3)
    holder = sqlite3.connect(db_path(repo), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Index.open(repo) as ix, pytest.raises(
                CodewrightError, match=r"^cannot write the index .*index\.db: database is locked \(another "
                                       r"program has a transaction open on it\)$"):
            ix.build()
    finally:
        holder.rollback()
        holder.close()
    assert capsys.readouterr().err == (f"codewright: the index {db_path(repo).resolve()} is locked by another "
                                       f"process; waiting for it\n")
    with Index.open(repo) as ix:
        assert ix.conn.execute("SELECT count(*) FROM files").fetchone() == (5,)
        assert ix.build().parsed == 1


_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[3] == "mode":
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")  # the lock of its first write is never let go
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("COMMIT")
else:  # a write transaction left open: readers go on, a writer waits
    conn.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextmanager
def held_exclusively(db: Path, seconds: float, how: str = "mode") -> Iterator[subprocess.Popen]:
    """Another process holding `db` for `seconds`, from the moment it says so: in SQLite's exclusive locking mode
    (no reader either), or in an exclusive write transaction (`how="transaction"`)."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(db), str(seconds), how], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def test_a_query_waiting_for_an_index_another_process_holds_says_so(repo: Path) -> None:
    """It waited in silence (then took the lock for corruption and rebuilt the index under the other process)."""
    with Index.open(repo) as ix:
        ix.build()
    with held_exclusively(db_path(repo), 4):
        out = subprocess.run([sys.executable, "-m", "codewright", "stats", "--json", "--repo", str(repo)],
                             capture_output=True, text=True, timeout=120, check=False)
    assert out.stderr == f"codewright: the index {db_path(repo)} is locked by another process; waiting for it\n"
    assert (out.returncode, json.loads(out.stdout)["files"]) == (0, 5)


def test_a_build_waiting_for_another_process_writing_the_index_says_so(repo: Path) -> None:
    """It waited a minute in silence before its `cannot write the index` line."""
    with Index.open(repo) as ix:
        ix.build()
    (repo / "new.py").write_text("def added():\n    pass\n")
    with held_exclusively(db_path(repo), 4, "transaction"):
        out = subprocess.run([sys.executable, "-m", "codewright", "index", "--json", str(repo)],
                             capture_output=True, text=True, timeout=120, check=False)
    assert out.stderr == (f"codewright: the index {db_path(repo).resolve()} is locked by another process; "
                          f"waiting for it\n")
    assert (out.returncode, json.loads(out.stdout)["parsed"]) == (0, 1)


def test_an_index_held_past_the_wait_is_one_message_and_kept(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Index.open(repo) as ix:
        ix.build()
    monkeypatch.setattr(store, "LOCK_WAIT", 3.0)
    with held_exclusively(db_path(repo), 30), pytest.raises(
            CodewrightError, match=r"^the index .*index\.db is still locked by another process after 3 s; run again "
                                   r"once it has let go$"):
        Index.open(repo)
    with Index.open(repo) as ix:
        assert ix.notices == [] and ix.conn.execute("SELECT count(*) FROM files").fetchone() == (5,)


_RACER = """
import sys
from codewright.graph.index import Index
with Index.open(sys.argv[1]) as ix:
    print(ix.build().parsed)
"""


def test_a_run_that_waits_for_the_lock_says_so_then_finishes(repo: Path) -> None:
    with store.lock(repo):  # another codewright writing
        proc = subprocess.Popen([sys.executable, "-c", _RACER, str(repo)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([proc.stderr], [], [], 60)
        said = proc.stderr.readline() if ready else "(nothing said in 60 s)"
    out, err = proc.communicate(timeout=120)
    assert said == f"codewright: waiting for another codewright to finish writing {repo / '.codewright'}\n"
    assert (proc.returncode, out, err) == (0, "5\n", "")


def test_two_concurrent_index_runs_neither_corrupt_nor_lose_an_update(repo: Path) -> None:
    for n in range(60):  # enough files that the runs overlap
        (repo / f"gen/m{n}.py").parent.mkdir(exist_ok=True)
        (repo / f"gen/m{n}.py").write_text(f"def f{n}():\n    return {n}\n")
    procs = [subprocess.Popen([sys.executable, "-c", _RACER, str(repo)], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    parsed = sorted(int(p.communicate(timeout=120)[0]) for p in procs)
    assert all(p.returncode == 0 for p in procs)
    assert parsed == [0, 65]  # one did the work; the other waited, then found nothing to redo
    with Index.open(repo) as ix:
        assert ix.notices == []
        assert ix.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert ix.stats()["files"] == 65
        assert ix.conn.execute("SELECT count(*) FROM symbols WHERE name LIKE 'f%'").fetchone() == (60,)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("getUserName", ("get", "user", "name")),
        ("get_user_name", ("get", "user", "name")),
        ("GetUserName", ("get", "user", "name")),
        ("HTTPServer", ("http", "server")),
        ("parse2json", ("parse", "2", "json")),
        ("__init__", ("init",)),
        ("x", ("x",)),
        ("größeBerechnen", ("größe", "berechnen")),  # beyond ASCII: `re` has no class of upper-case letters
        ("ÜBER_Straße2", ("über", "straße", "2")),
        ("函数_名", ("函数", "名")),
    ],
)
def test_split_identifier(name: str, words: tuple[str, ...]) -> None:
    assert store.split_identifier(name) == words


@pytest.mark.parametrize(
    ("sid", "parts"),
    [
        ("pkg/m.py::C.f", ("pkg/m.py", "C.f")),
        ("pkg/m.py::", ("pkg/m.py", "")),
        ("x::y.py::C.f", ("x::y.py", "C.f")),  # a file name may hold `::`, a qualified name never does
        ("json.loads", ("json.loads", "")),  # an external callee: no path
    ],
)
def test_split_id(sid: str, parts: tuple[str, str]) -> None:
    assert store.split_id(sid) == parts


def test_identifier_words_only_adds_compound_identifiers() -> None:
    assert store.identifier_words("def getUserName(x): return get_user_name + x") == "get user name get user name"
    assert store.identifier_words("def größeBerechnen(): return 函数_名") == "größe berechnen 函数 名"


def test_fts_query_never_raises_on_syntax(tmp_path: Path) -> None:
    with Index.open(make_repo(tmp_path / "r", PYTHON_REPO)) as ix:
        ix.build()
        for text in ['"unbalanced', "a AND OR", "NEAR(", "*", "", "get_user_name", "a.b-c", "x::y"]:
            ix.search(text)
        assert ix.search("get_user_name")[0].title == "pkg.models.User"
