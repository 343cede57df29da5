"""A user's mistake in what `run`, `chat`, `sessions` and `rewind` are given is one readable line and exit 2:
an unreadable sessions store (kept as it is), a codewright.toml that is not UTF-8, a blank task, an empty model
name, a count or limit that is no positive finite number. No model runs: each is refused before one would."""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codewright.agent.runner import permissions
from codewright.agent.session import SessionStore
from codewright.cli.main import main
from codewright.errors import CodewrightError, UsageError

NOT_SQLITE = bytes(range(256)) * 12  # no SQLite header: "file is not a database"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test in its own repository with no user configuration; `run` and `chat` install SIGTERM and
    SIGHUP handlers, put back after so the rest of the test session keeps its own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    yield
    for stop, handler in saved.items():
        signal.signal(stop, handler)


def _bytes_store(store: Path) -> None:
    store.write_bytes(NOT_SQLITE)


def _folder_store(store: Path) -> None:
    store.mkdir()
    (store / "keep.txt").write_text("mine\n")


@pytest.mark.parametrize("make, reason", [(_bytes_store, "file is not a database"), (_folder_store, "it is a folder")],
                         ids=["random-bytes", "folder"])
@pytest.mark.parametrize("argv", [["sessions"], ["run", "fix the test"], ["chat"]], ids=lambda a: a[0])
def test_an_unreadable_sessions_store_is_refused_and_left_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Callable[[Path], None], reason: str, argv: list[str]
) -> None:
    store = tmp_path / ".codewright" / "sessions.db"
    store.parent.mkdir()
    make(store)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"codewright: {store} is not a readable sessions database ({reason}); it was left as it is" in err
    assert store.read_bytes() == NOT_SQLITE if store.is_file() else (store / "keep.txt").read_text() == "mine\n"
    assert sorted(p.name for p in store.parent.iterdir()) == [".gitignore", "sessions.db"]  # no -wal, no -shm


def test_a_sessions_store_another_program_holds_locked_is_said_plainly(tmp_path: Path, monkeypatch) -> None:
    import sqlite3

    from codewright.agent import session

    store = session.SessionStore(tmp_path)
    store.close()
    holder = sqlite3.connect(tmp_path / ".codewright" / "sessions.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(session, "BUSY_SECONDS", 0.2)
    try:
        with pytest.raises(CodewrightError, match=r"sessions\.db is locked by another program \(waited 0\.2 s\)"):
            session.SessionStore(tmp_path).create("task", "m", "ask")
    finally:
        holder.close()


def test_a_huge_sessions_limit_is_read_as_all_of_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    SessionStore(tmp_path).close()
    assert main(["sessions", "--limit", "9223372036854775808"]) == 0


@pytest.mark.parametrize("argv, said", [(["sessions"], "no sessions yet\n"),
                                        (["sessions", "--json"], '{\n  "sessions": []\n}\n')], ids=["text", "json"])
def test_listing_where_no_session_ran_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    """`codewright sessions` in any folder left a `.codewright/` there, with an empty store in it."""
    assert main(argv) == 0
    assert capsys.readouterr().out == said
    assert list(tmp_path.iterdir()) == []


def test_a_file_where_the_data_folder_goes_is_refused_and_left_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".codewright").write_text("notes\n")
    assert main(["sessions"]) == 2
    assert f"codewright: {tmp_path / '.codewright'} is not a folder" in capsys.readouterr().err
    assert (tmp_path / ".codewright").read_text() == "notes\n"


def test_a_project_file_that_is_not_utf8_stops_a_run_before_any_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "codewright.toml").write_bytes(b"\xff\xfe")
    assert main(["run", "fix the test"]) == 2
    assert f"{tmp_path / 'codewright.toml'}: invalid TOML: not UTF-8 text (byte 0xff at offset 0)" in \
        capsys.readouterr().err


def test_the_permissions_of_a_project_file_that_is_not_utf8_are_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "codewright.toml").write_bytes(b'[permissions]\nallow = ["\xe9"]\n')
    with pytest.raises(UsageError, match=r"codewright\.toml: invalid TOML: not UTF-8 text \(byte 0xe9"):
        permissions(tmp_path, "ask", yes=False)


def test_a_project_files_permissions_table_is_read_and_the_models_still_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The gateway refused `[permissions]` as an unknown top-level key: no run could start with one."""
    (tmp_path / "codewright.toml").write_text('[permissions]\nallow = ["make test"]\nnetwork = true\n')
    assert main(["models"]) == 0
    perms = permissions(tmp_path, "ask", yes=False)
    assert perms.network and perms.check_command("make test").action == "allow"


@pytest.mark.parametrize("table, said", [
    ('allow = "pytest*"', r"allow must be a list of strings"),
    ('network = "false"', r"network must be true or false"),
])
def test_a_permissions_value_of_the_wrong_type_is_a_usage_error(tmp_path: Path, table: str, said: str) -> None:
    (tmp_path / "codewright.toml").write_text(f"[permissions]\n{table}\n")
    with pytest.raises(UsageError, match=rf"codewright\.toml: \[permissions\] {said}"):
        permissions(tmp_path, "ask", yes=False)


@pytest.mark.parametrize("argv", [
    ["run", "   "],
    ["run", "\n\t"],
    ["run", " ", "--resume", "20250101-000000-abcdef"],
])
def test_a_blank_task_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(argv) == 2
    assert 'codewright: the task is blank: say what to do (codewright run "fix the failing test")' in \
        capsys.readouterr().err
    assert not (tmp_path / ".codewright").exists()


@pytest.mark.parametrize("argv, message", [
    (["run", "fix it", "--model", ""], "argument --model: must name a model"),
    (["run", "fix it", "--model", "  "], "argument --model: must name a model"),
    (["chat", "--model", ""], "argument --model: must name a model"),
    (["run", "fix it", "--resume", "", "--model", "openai/test-model"], "argument --resume: it is empty"),
    (["chat", "--resume", " ", "--model", "openai/test-model"], "argument --resume: it is empty"),
    (["rewind", "abc"], "argument N: must be a whole number of at least 1, not 'abc'"),
    (["sessions", "--limit", "ten"], "argument --limit: must be a whole number of at least 1, not 'ten'"),
    (["run", "fix it", "--max-steps", "2.5"], "argument --max-steps: must be a whole number of at least 1, not '2.5'"),
    (["run", "fix it", "--attempts", "two"], "argument --attempts: must be a whole number of at least 1, not 'two'"),
    (["run", "fix it", "--max-seconds", "abc"], "argument --max-seconds: must be a finite number greater than 0, not 'abc'"),
    (["run", "fix it", "--max-seconds", "nan"], "argument --max-seconds: must be a finite number greater than 0, not 'nan'"),
    (["run", "fix it", "--max-seconds", "inf"], "argument --max-seconds: must be a finite number greater than 0, not 'inf'"),
    (["run", "fix it", "--budget", "nan"], "argument --budget: must be a finite number greater than 0, not 'nan'"),
    (["run", "fix it", "--budget", "inf"], "argument --budget: must be a finite number greater than 0, not 'inf'"),
])
def test_an_argument_that_is_no_valid_value_is_refused_in_plain_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "_positive" not in err and "_model" not in err
    assert not (tmp_path / ".codewright").exists()


def test_a_budget_that_cannot_count_the_models_cost_is_refused_before_any_model(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--budget` with a model of no known price counted every call as $0 and so never stopped the run, which
    `[budget] max_usd` refused; it is refused alike."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert main(["run", "fix it", "--model", "openai/test-model", "--budget", "1"]) == 2
    assert capsys.readouterr().err == ('codewright: --budget is set but no price is known for test-model: add '
                                       '[prices."test-model"] input = ..., output = ... (USD per million tokens) '
                                       "to codewright.toml\n")


@pytest.mark.parametrize("argv", [["run", "fix it"], ["chat"]], ids=lambda a: a[0])
def test_a_run_and_a_chat_turn_have_a_step_limit_unless_given_one(argv: list[str]) -> None:
    """A model looping on ever new calls ran 387 of them in 90 s with no end: a run, and each turn of a chat, stops
    at 200 by default."""
    from codewright.cli.main import build_parser

    assert build_parser(argv[0]).parse_args(argv).max_steps == 200
    assert build_parser(argv[0]).parse_args([*argv, "--max-steps", "7"]).max_steps == 7


def test_another_programs_sessions_database_is_refused_and_left_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Listing sessions had added our columns and tables to it, then failed on the columns it lacked."""
    store = tmp_path / ".codewright" / "sessions.db"
    store.parent.mkdir()
    conn = sqlite3.connect(store)
    conn.execute("CREATE TABLE sessions (id TEXT, foo TEXT)")
    conn.commit()
    conn.close()
    assert main(["sessions", "--repo", str(tmp_path)]) == 2
    assert "is another program's SQLite database (its sessions table has no created," in capsys.readouterr().err
    assert sqlite3.connect(store).execute("SELECT sql FROM sqlite_master").fetchall() == [
        ("CREATE TABLE sessions (id TEXT, foo TEXT)",)]
