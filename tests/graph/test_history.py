"""The commit history kept in the index: read from git at each new HEAD, searchable by message."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.support.repos import make_repo

from codewright.graph import history, store
from codewright.graph.index import Index


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True,
                          capture_output=True, text=True).stdout.strip()


def commit(root: Path, files: dict[str, str], message: str) -> str:
    make_repo(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD")


def matching(conn, query: str) -> list[tuple[str, list[str]]]:
    """(subject, files) of the stored commits whose messages match the FTS5 query, best first."""
    ids = [cid for (cid,) in conn.execute(
        "SELECT rowid FROM commits_fts WHERE commits_fts MATCH ? ORDER BY bm25(commits_fts)", (query,))]
    found = history.commits(conn, ids)
    return [found[cid][1:] for cid in ids]


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo", {}, git=True)
    commit(root, {"app/config.py": "X = 1\n", "app/cli.py": "Y = 2\n"}, "Initial layout")
    commit(root, {"app/config.py": "X = 2\n"}, "Fixed crash when the config file is empty\n\nParse nothing as {}.")
    commit(root, {"app/cli.py": "Y = 3\n", "README.md": "# app\n"}, "Added a --verbose flag to the command line")
    return root


LOG_CASES = [
    # (git log output, commits parsed)
    ("", []),
    ("\x01abc\nSubject\nBody line\n\x02\n\na.py\nb/c.py\n",
     [history.Commit("abc", "Subject\nBody line", ("a.py", "b/c.py"))]),
    ("\x01e1\nEmpty commit\n\x02\n\x01f2\nTwo\n\x02\n\nx.py\n",  # a commit that changed no file is left out
     [history.Commit("f2", "Two", ("x.py",))]),
]


@pytest.mark.parametrize("out, commits", LOG_CASES, ids=["nothing", "one commit", "empty commit left out"])
def test_parse_log(out: str, commits: list[history.Commit]) -> None:
    assert history.parse_log(out) == commits


def test_a_build_stores_the_history_of_head(repo: Path) -> None:
    with Index.open(repo) as index:
        index.build()
        assert history.stored_head(index.conn) == git(repo, "rev-parse", "HEAD")
        assert matching(index.conn, '"config" OR "empty"') == [
            ("Fixed crash when the config file is empty", ["app/config.py"])]


def subjects(conn) -> list[str]:
    """The stored commits' subjects, oldest first."""
    return [message.partition("\n")[0] for (message,) in conn.execute("SELECT message FROM commits_fts ORDER BY rowid")]


def test_an_unchanged_head_is_not_read_again(repo: Path) -> None:
    with Index.open(repo) as index:
        index.build()
        assert history.start_reading(repo, index.conn) is None


def test_after_new_commits_only_they_are_read(repo: Path) -> None:
    with Index.open(repo) as index:
        index.build()
        stored = history.stored_head(index.conn)
        commit(repo, {"app/cli.py": "Y = 4\n"}, "Renamed the verbose flag to --loud")
        with history.start_reading(repo, index.conn) as reading:
            assert reading.since == stored
        index.build()
        assert history.stored_head(index.conn) == git(repo, "rev-parse", "HEAD")
        assert subjects(index.conn) == ["Initial layout", "Fixed crash when the config file is empty",
                                        "Added a --verbose flag to the command line", "Renamed the verbose flag to --loud"]
        assert matching(index.conn, '"loud"') == [("Renamed the verbose flag to --loud", ["app/cli.py"])]


def test_new_commits_push_the_oldest_out(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "HISTORY_LIMIT", 2)
    with Index.open(repo) as index:
        index.build()
        commit(repo, {"app/cli.py": "Y = 4\n"}, "Renamed the verbose flag to --loud")
        index.build()
        assert subjects(index.conn) == ["Added a --verbose flag to the command line", "Renamed the verbose flag to --loud"]
        assert matching(index.conn, '"config"') == []


def test_a_rewritten_history_is_read_again_in_full(repo: Path) -> None:
    with Index.open(repo) as index:
        index.build()
        git(repo, "reset", "-q", "--hard", "HEAD~1")
        commit(repo, {"app/cli.py": "Y = 5\n"}, "Added a --quiet flag instead")
        with history.start_reading(repo, index.conn) as reading:
            assert reading.since is None  # the stored HEAD is not an ancestor any more
        index.build()
        assert subjects(index.conn) == ["Initial layout", "Fixed crash when the config file is empty",
                                        "Added a --quiet flag instead"]


def test_an_index_whose_history_was_read_the_old_way_reads_it_again(repo: Path) -> None:
    with Index.open(repo) as index:
        index.build()
        index.conn.execute("DELETE FROM meta WHERE key = 'history_format'")  # as indexes made before it was kept
        assert history.stored_head(index.conn) is None
        index.build()
        assert history.stored_head(index.conn) == git(repo, "rev-parse", "HEAD")
        assert len(subjects(index.conn)) == 3


def recorded(monkeypatch: pytest.MonkeyPatch) -> list[history.Reading]:
    """The readings builds start from now on."""
    readings: list[history.Reading] = []
    start = history.start_reading
    monkeypatch.setattr(history, "start_reading", lambda *args: readings.append(start(*args)) or readings[-1])
    return readings


def test_a_failed_build_stops_git_and_drops_its_output(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readings = recorded(monkeypatch)

    def fail(conn: object) -> None:
        raise OSError("the disk went away")

    monkeypatch.setattr(store, "create_indexes", fail)  # after the parse, while git log runs
    with Index.open(repo) as index, pytest.raises(OSError):
        index.build()
    (reading,) = readings
    assert reading.process.returncode is not None and reading.out.closed


def test_git_log_starts_once_the_files_are_parsed(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run beside the parse workers, it took a core from them; after the parse it has one to itself."""
    readings = recorded(monkeypatch)
    started_while_parsing = []
    with Index.open(repo) as index:
        index.build(progress=lambda done, total: started_while_parsing.append(len(readings)))
        assert started_while_parsing == [0, 0, 0]  # a call for each of the three files
        assert len(readings) == 1 and len(subjects(index.conn)) == 3


def test_a_build_that_parses_nothing_still_reads_a_new_head(repo: Path) -> None:
    make_repo(repo, {"app/cli.py": "Y = 4\n"})
    with Index.open(repo) as index:
        index.build()
    git(repo, "commit", "-qam", "Bumped the flag")  # what the index has already seen
    with Index.open(repo) as index:
        assert index.build().parsed == 0
        assert subjects(index.conn)[-1] == "Bumped the flag"


def test_a_tree_inside_a_repository_keeps_its_own_paths(repo: Path) -> None:
    with Index.open(repo / "app") as index:
        index.build()
        found = matching(index.conn, '"verbose" OR "config"')
    assert sorted(path for _, files in found for path in files) == ["cli.py", "config.py"]


@pytest.mark.parametrize("setup", ["not a repository", "no commits yet"])
def test_no_history_without_commits(tmp_path: Path, setup: str) -> None:
    root = make_repo(tmp_path / "tree", {"a.py": "A = 1\n"}, git=setup == "no commits yet")
    with Index.open(root) as index:
        index.build()
        assert history.stored_head(index.conn) is None
        assert not history.has_history(index.conn)


def test_read_commits_from_a_bare_mirror_stops_at_the_commit(repo: Path, tmp_path: Path) -> None:
    middle = git(repo, "rev-parse", "HEAD~1")
    mirror = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(repo), str(mirror)], check=True)
    commits = history.read_commits(mirror, middle)
    assert [c.message.splitlines()[0] for c in commits] == ["Fixed crash when the config file is empty",
                                                           "Initial layout"]
    assert history.read_commits(mirror, "0" * 40) == []  # a commit the mirror lacks: no history, no error


def test_a_mirror_that_lacks_a_renamed_files_blob_still_gives_the_history(repo: Path, tmp_path: Path) -> None:
    """A snapshot mirror leaves large blobs out; telling a rename from its contents would need them."""
    old_blob = git(repo, "rev-parse", "HEAD:app/config.py")
    git(repo, "mv", "app/config.py", "app/settings.py")
    commit(repo, {"app/settings.py": "X = 3\n"}, "Renamed config to settings")
    mirror = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--mirror", "--no-local", str(repo), str(mirror)], check=True)
    for pack in (mirror / "objects" / "pack").glob("*.pack"):  # unpacked, so that one blob can be taken away
        moved = pack.rename(tmp_path / pack.name)
        pack.with_suffix(".idx").unlink()
        with moved.open("rb") as objects:
            subprocess.run(["git", "-C", str(mirror), "unpack-objects", "-q"], stdin=objects, check=True)
    (mirror / "objects" / old_blob[:2] / old_blob[2:]).unlink()
    commits = history.read_commits(mirror, "HEAD")
    assert commits[0] == history.Commit(commits[0].sha, "Renamed config to settings",
                                        ("app/config.py", "app/settings.py"))


def test_a_non_ascii_path_is_kept_as_the_index_names_it(repo: Path) -> None:
    commit(repo, {"app/café.py": "Z = 1\n"}, "Added the café module")
    with Index.open(repo) as index:
        index.build()
        assert matching(index.conn, '"café"') == [("Added the café module", ["app/café.py"])]
