"""Each kind of bad input gets one readable outcome and loses nothing else."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from store_repo import make_repo

from codewright.errors import UsageError
from codewright.graph import files as discovery
from codewright.graph.index import Index


def build(repo: Path) -> tuple[Index, object]:
    ix = Index.open(repo)
    return ix, ix.build()


def status(ix: Index, path: str) -> tuple:
    return ix.conn.execute("SELECT status, reason FROM files WHERE path=?", (path,)).fetchone()


def test_binary_file_is_recorded_as_skipped_and_the_rest_indexed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"logo.png": b"\x89PNG\r\n\x1a\n\0\0\0IHDR", "a.py": "def f():\n    pass\n"})
    ix, stats = build(repo)
    assert status(ix, "logo.png") == ("skipped", "binary")
    assert stats.files == 1 and ix.definitions("f")[0].id == "a.py::f"
    assert (stats.parsed, stats.skipped) == (1, 1)  # read to find it binary, but not parsed
    again = ix.build()
    assert (again.files, again.parsed, again.unchanged, again.skipped) == (1, 0, 1, 1)  # it counts once, as skipped


def test_invalid_utf8_is_indexed_with_a_decode_note(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"latin.py": "def caf\xe9():\n    return '\xe9'\n".encode("latin-1")})
    ix, _ = build(repo)
    assert [s.id for s in ix.outline("latin.py")] == ["latin.py::café"]
    notes = [m for (m,) in ix.conn.execute("SELECT message FROM errors")]
    assert notes and "utf-8" in notes[0].lower()


def test_declared_encoding_is_honoured(tmp_path: Path) -> None:
    source = "# -*- coding: cp1252 -*-\nGREETING = '\u20ac'\n\ndef euro():\n    pass\n"
    repo = make_repo(tmp_path, {"enc.py": source.encode("cp1252")})
    ix, _ = build(repo)
    assert [s.name for s in ix.outline("enc.py")] == ["GREETING", "euro"]


def test_syntax_error_indexes_what_parses_and_records_the_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"broken.py": "def ok():\n    pass\n\ndef bad(:\n    pass\n"})
    ix, stats = build(repo)
    assert "broken.py::ok" in [s.id for s in ix.outline("broken.py")]
    assert stats.errors == 1
    assert status(ix, "broken.py") == ("indexed", "line 4: missing ')'")


def test_file_over_size_cap_is_skipped_with_reason(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"big.py": "x = 1\n" * (discovery.SIZE_CAP // 6 + 10), "small.py": "y = 2\n"})
    ix, stats = build(repo)
    assert status(ix, "big.py")[0] == "skipped" and status(ix, "big.py")[1].startswith("over size cap")
    assert {"path": "big.py", "reason": status(ix, "big.py")[1]} in stats.skipped_files
    assert ix.build().parsed == 0  # stays skipped without being read again


def test_symlink_loops_are_skipped_not_followed_forever(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "A = 1\n", "sub/b.py": "B = 2\n"})
    os.symlink("..", repo / "sub" / "up")  # directory loop
    os.symlink("self", repo / "self")  # a link to itself
    ix, stats = build(repo)
    assert sorted(p for (p,) in ix.conn.execute("SELECT path FROM files WHERE status='indexed'")) == [
        "a.py", "sub/b.py"]
    reasons = {s["path"]: s["reason"] for s in stats.skipped_files}
    assert reasons["self"] == "symlink loop" and reasons["sub/up"] == "symlink loop"


def test_symlink_loop_inside_git_repo(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "g", {"a.py": "A = 1\n"}, git=True)
    os.symlink("loop", repo / "loop")
    _, stats = build(repo)
    assert stats.files == 1 and {"path": "loop", "reason": "symlink loop"} in stats.skipped_files


@pytest.mark.parametrize("git", [False, True])
def test_file_name_that_is_not_utf8_is_skipped(tmp_path: Path, git: bool) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "A = 1\n"}, git=git)
    with open(os.path.join(os.fsencode(repo), b"bad\xff.py"), "wb") as handle:
        handle.write(b"B = 2\n")
    ix, stats = build(repo)
    assert stats.files == 1
    assert {"path": "bad\ufffd.py", "reason": "file name is not valid UTF-8"} in stats.skipped_files
    assert ix.build().parsed == 0


@pytest.mark.parametrize("git", [False, True])
def test_empty_repository_builds_an_empty_index(tmp_path: Path, git: bool) -> None:
    repo = make_repo(tmp_path / "empty", {}, git=git)
    ix, stats = build(repo)
    assert (stats.files, stats.parsed) == (0, 0)
    assert ix.stats()["files"] == 0 and ix.repo_map(500) == "" and ix.symbols("x") == []


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such directory"):
        Index.open(tmp_path / "nope")


@pytest.mark.parametrize("where", ["bare", "checkout/.git"])
def test_a_git_repository_s_own_folder_is_a_usage_error(tmp_path: Path, where: str) -> None:
    """It was indexed (hooks/*.sample) and .codewright/ written among git's files."""
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "bare")], check=True)
    subprocess.run(["git", "init", "-q", str(tmp_path / "checkout")], check=True)
    with pytest.raises(UsageError, match=r"is a git repository's own folder \(a bare repository, or a \.git\), with "
                       r"no work tree to index: give the folder of a checkout$"):
        Index.open(tmp_path / where)
    assert not (tmp_path / where / ".codewright").exists()


def test_extractor_crash_is_recorded_and_the_rest_indexed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.py": "A = 1\n", "b.py": "B = 2\n"})
    ix = Index.open(repo, extractor=_crash_on_b)
    ix.build()
    assert status(ix, "b.py")[1].startswith("extraction failed")
    assert [s.id for s in ix.outline("a.py")] == ["a.py::A"]


def _crash_on_b(path: str, source: bytes, module: str | None):
    from codewright.graph.extract import extract

    if path == "b.py":
        raise RuntimeError("boom")
    return extract(path, source, module)


def indexed(ix: Index) -> list[str]:
    return sorted(p for (p,) in ix.conn.execute("SELECT path FROM files WHERE status='indexed'"))


@pytest.mark.parametrize("git", [False, True])
def test_a_symlink_out_of_the_tree_is_not_followed(tmp_path: Path, git: bool) -> None:
    """The agent's tools read nothing outside the workspace: nor does the index (a link to credentials)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "creds.py").write_text('AWS_SECRET = "hunter2"\n')
    repo = make_repo(tmp_path / "r", {"a.py": "A = 1\n"}, git=git)  # git lists the untracked links
    os.symlink(outside / "creds.py", repo / "config.py")
    os.symlink(outside, repo / "shared")
    ix, stats = build(repo)
    assert indexed(ix) == ["a.py"]
    reasons = {s["path"]: s["reason"] for s in stats.skipped_files}
    assert reasons["config.py"] == "symlink to outside the tree"
    assert git or reasons["shared"] == "symlink to outside the tree"  # git lists a link to a folder as a file


def test_outside_git_a_symlinked_folder_in_the_tree_leaves_its_files_at_their_own_path(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"src/r.py": "def r():\n    pass\n"})
    os.symlink("src", repo / "a_link")  # sorts before src: it used to take src's place
    ix, stats = build(repo)
    assert indexed(ix) == ["src/r.py"]
    assert {"path": "a_link", "reason": "symlink to src (indexed there)"} in stats.skipped_files


@pytest.mark.timeout(60)
@pytest.mark.parametrize("git", [False, True])
def test_an_ignore_file_that_is_not_a_regular_file_is_not_read(tmp_path: Path, git: bool) -> None:
    """A FIFO would block the read forever, a link to /dev/zero fill memory."""
    repo = make_repo(tmp_path / "r", {"a.py": "A = 1\n", "sub/b.py": "B = 2\n"}, git=git)
    if git:
        os.symlink("/dev/zero", repo / "sub" / ".codewrightignore")  # git lists a link, never a FIFO
    else:
        os.mkfifo(repo / "sub" / ".codewrightignore")
    ix, _ = build(repo)
    assert indexed(ix) == ["a.py", "sub/b.py"]


@pytest.mark.timeout(60)
def test_a_gitignore_that_is_a_fifo_in_a_git_tree_is_a_usage_error_not_a_hang(tmp_path: Path, monkeypatch) -> None:
    """git itself opens it and waits for a writer for ever; the build waited on git."""
    repo = make_repo(tmp_path / "r", {"a.py": "A = 1\n"}, git=True)
    os.mkfifo(repo / ".gitignore")
    monkeypatch.setattr(discovery, "GIT_LIST_TIMEOUT", 3.0)  # a setting: ten minutes in use
    with pytest.raises(UsageError, match=r"git ls-files has not listed the files of .* in 3 s; git waits for ever on"):
        build(repo)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("git", [False, True])
def test_pipes_and_links_to_them_are_listed_as_skipped(tmp_path: Path, git: bool) -> None:
    """They were left out without a word (git lists the link, never the FIFO itself)."""
    repo = make_repo(tmp_path / "r", {"a.py": "A = 1\n"}, git=git)
    os.mkfifo(repo / "pipe")
    os.symlink("pipe", repo / "to_pipe")
    ix, stats = build(repo)
    assert indexed(ix) == ["a.py"]
    reason = "not a regular file (a pipe, socket or device)"
    expected = [] if git else [{"path": "pipe", "reason": reason}]
    assert sorted(stats.skipped_files, key=lambda s: s["path"]) == [*expected, {"path": "to_pipe", "reason": reason}]


def test_a_file_left_out_as_unreadable_is_indexed_once_it_can_be_read(tmp_path: Path) -> None:
    """chmod moves neither size nor mtime: the stored stamp alone must not keep the file out."""
    repo = make_repo(tmp_path / "r", {"a.py": "A = 1\n", "b.py": "B = 2\n"})
    ix, _ = build(repo)
    ix.conn.execute("UPDATE files SET status='skipped', reason='unreadable: Permission denied', hash=''"
                    " WHERE path='a.py'")  # what a run that could not read it stored
    ix.conn.commit()
    assert ix.build().parsed == 1
    assert indexed(ix) == ["a.py", "b.py"]
    assert ix.build().parsed == 0


def test_an_unwritable_git_exclude_file_does_not_fail_the_build(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "A = 1\n"}, git=True)
    info = repo / ".git" / "info"
    (info / "exclude").unlink(missing_ok=True)
    info.rmdir()
    info.write_text("")  # info/exclude cannot be made, even by root
    ix, _ = build(repo)
    assert indexed(ix) == ["a.py"]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_every_line_ending_python_reads_gives_the_same_lines(tmp_path: Path, ending: str) -> None:
    """Old Mac files end lines with a lone CR: tree-sitter put every symbol of them on line 1."""
    code = ending.join(["def a():", "    pass", "", "def b():", "    return 1", ""])
    repo = make_repo(tmp_path / "r", {"m.py": code.encode()})
    ix, _ = build(repo)
    spans = ix.conn.execute("SELECT name, start_line, end_line FROM symbols WHERE kind='function' ORDER BY id")
    assert spans.fetchall() == [("a", 1, 2), ("b", 4, 5)]
    assert ix.conn.execute("SELECT lines, reason FROM files WHERE path='m.py'").fetchone() == (5, None)


def test_outside_git_an_ignored_symlinked_folder_is_not_reported(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "A = 1\n", ".gitignore": "venv/\n"})
    os.symlink(tmp_path, repo / "venv")  # a link to an environment elsewhere, ignored as the project says
    _, stats = build(repo)
    assert [s["path"] for s in stats.skipped_files] == []


def test_a_folder_git_cannot_open_is_listed_as_skipped(tmp_path: Path) -> None:
    """Its untracked files were left out without a word in a git tree (outside git the walk said so). Run without
    the root's power to read anywhere, which these machines' tests have."""
    import subprocess
    import sys

    repo = make_repo(tmp_path / "r", {"a.py": "A = 1\n"}, git=True)
    (repo / "secret").mkdir()
    (repo / "secret" / "b.py").write_text("B = 2\n")  # untracked: only a listing of the folder finds it
    (repo / "secret").chmod(0o000)
    drop = [] if os.geteuid() else ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner",
                                    "--inh-caps=-dac_override,-dac_read_search,-fowner"]
    try:
        out = subprocess.run([*drop, sys.executable, "-m", "codewright", "index", str(repo), "--json"],
                             capture_output=True, text=True, check=False)
    finally:
        (repo / "secret").chmod(0o755)
    assert out.returncode == 0, out.stderr
    assert {"path": "secret", "reason": "unreadable: Permission denied"} in json.loads(out.stdout)["skipped_files"]
