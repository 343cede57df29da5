"""The tree a command works on when none is given: the project the current directory is in (cli/project.py).
Run from a subfolder, the commands built a second index of that folder, and the agent worked from there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.repos import make_repo

from codewright.ceilings import CEILINGS_VARIABLE
from codewright.cli.project import enclosing_project

SRC = str(Path(__file__).resolve().parents[1] / "src")


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True)


def index_at(folder: Path) -> None:
    """An index.db there (what `codewright index` leaves: the walk looks at no more than that it is there)."""
    (folder / ".codewright").mkdir(parents=True, exist_ok=True)
    (folder / ".codewright" / "index.db").write_bytes(b"")


def git_repo(folder: Path) -> None:
    make_repo(folder, {}, git=True)


def worktree(folder: Path) -> None:
    """A linked worktree: its .git is a file naming the repository's folder."""
    main = folder.parent / "main"
    make_repo(main, {"a.py": "x = 1\n"}, git=True)
    git("add", "a.py", cwd=main)
    git("commit", "-q", "-m", "a", cwd=main)
    git("worktree", "add", "-q", str(folder), cwd=main)


def ignored_by_home_repo(folder: Path) -> None:
    """`folder` inside a dotfiles repository in its parent, which ignores everything not added by force."""
    git_repo(folder.parent)
    (folder.parent / ".gitignore").write_text("*\n")


def home_links_to(target: str):
    """$HOME (tmp_path/home, `ceilings`) made a link to `target`: the current directory names it by its target."""
    def make(folder: Path) -> None:
        (folder / target).mkdir()
        (folder / "home").symlink_to(folder / target)
    return make


@pytest.fixture
def ceilings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment's ceilings inside tmp_path: $HOME is home, the temp folders tmpdir, temp and tmp (TMPDIR,
    TEMP, TMP), and CODEWRIGHT_CEILING_DIRECTORIES names ceiling-a and ceiling-b."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for variable, folder in {"TMPDIR": "tmpdir", "TEMP": "temp", "TMP": "tmp"}.items():
        monkeypatch.setenv(variable, str(tmp_path / folder))
    monkeypatch.setenv(CEILINGS_VARIABLE, os.pathsep.join(str(tmp_path / name) for name in ("ceiling-a", "ceiling-b")))


# (what is made, folder by folder, relative to tmp_path; where the command runs; the tree it works on)
CASES = {
    "git work tree, from a subfolder": ({"p": git_repo}, "p/src/pkg", "p"),
    "git work tree, at its top": ({"p": git_repo}, "p", "p"),
    "git, an index in a subfolder is not the project": ({"p": git_repo, "p/sub": index_at}, "p/sub/deep", "p"),
    "git, an index in a subfolder, run from it": ({"p": git_repo, "p/sub": index_at}, "p/sub", "p"),
    "git, indexes at the top and in a subfolder": ({"p": git_repo, "p/.": index_at, "p/sub": index_at}, "p/sub", "p"),
    "nested git repositories, an index between": ({"p": git_repo, "p/vendor": index_at, "p/vendor/lib": git_repo},
                                                  "p/vendor/lib/src", "p/vendor/lib"),
    "git, an index above the top is not reached ($HOME's)": ({"": index_at, "p": git_repo}, "p/src", "p"),
    "nested git repositories: the innermost": ({"p": git_repo, "p/vendor/lib": git_repo}, "p/vendor/lib/src", "p/vendor/lib"),
    "a linked worktree (.git is a file)": ({"wt": worktree}, "wt/src", "wt"),
    "outside git, the nearest folder with an index": ({"p": index_at, "p/a": index_at}, "p/a/b/c", "p/a"),
    "outside git, a .codewright/ without an index is not one": ({"": lambda f: (f / ".codewright").mkdir()}, "p/q", "p/q"),
    "outside git, no index: the current directory": ({}, "p/q", "p/q"),
    "a folder the repository above ignores is outside it": ({"home/p": ignored_by_home_repo}, "home/p/src", "home/p/src"),
    "a folder the repository above ignores, with an index": ({"home/p": ignored_by_home_repo, "home/p/x": index_at},
                                                            "home/p/x/src", "home/p/x"),
    "outside git, an index in $HOME is not taken below it": ({"home": index_at}, "home/p/q", "home/p/q"),
    "outside git, nor one above $HOME": ({"": index_at}, "home/p", "home/p"),
    "outside git, an index in $HOME, run there": ({"home": index_at}, "home", "home"),
    "outside git, an index below $HOME is taken": ({"home": index_at, "home/p": index_at}, "home/p/q", "home/p"),
    "outside git, $HOME through a link": ({"": home_links_to("real"), "real": index_at}, "real/p", "real/p"),
    "a folder $HOME's repository ignores: $HOME's index is not taken": ({"home/p": ignored_by_home_repo,
                                                                        "home": index_at}, "home/p/src", "home/p/src"),
    "outside git, an index in $TMPDIR is not taken below it": ({"tmpdir": index_at}, "tmpdir/t/x", "tmpdir/t/x"),
    "outside git, an index in $TMPDIR, run there": ({"tmpdir": index_at}, "tmpdir", "tmpdir"),
    "outside git, an index in $TEMP is not taken below it": ({"temp": index_at}, "temp/x", "temp/x"),
    "outside git, an index in $TMP is not taken below it": ({"tmp": index_at}, "tmp/x", "tmp/x"),
    "outside git, a ceiling CODEWRIGHT_CEILING_DIRECTORIES names": ({"ceiling-a": index_at}, "ceiling-a/p", "ceiling-a/p"),
    "outside git, the second ceiling it names": ({"ceiling-b": index_at}, "ceiling-b/p", "ceiling-b/p"),
    "outside git, an index below a ceiling is taken": ({"ceiling-a/p": index_at}, "ceiling-a/p/q", "ceiling-a/p"),
}


@pytest.mark.usefixtures("ceilings")
@pytest.mark.parametrize(("made", "start", "found"), CASES.values(), ids=CASES.keys())
def test_the_enclosing_project(tmp_path: Path, made: dict, start: str, found: str) -> None:
    for folder, make in made.items():
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        make(tmp_path / folder)
    (tmp_path / start).mkdir(parents=True, exist_ok=True)
    assert enclosing_project(tmp_path / start) == tmp_path / found


def test_without_git_on_the_machine_the_top_is_found_by_its_dot_git(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether the repository ignores the folder is git's to say: with no git to ask, that was a traceback."""
    git_repo(tmp_path / "p")
    (tmp_path / "p" / "src").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "no-such-bin"))
    assert enclosing_project(tmp_path / "p" / "src") == tmp_path / "p"


def test_an_empty_or_relative_ceiling_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only absolute folders are ceilings, as in git: an empty entry (`a::b`) or a relative one would have been
    the current directory or a folder in it."""
    index_at(tmp_path / "p")
    (tmp_path / "p" / "q").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(CEILINGS_VARIABLE, os.pathsep.join(["", "p"]))
    assert enclosing_project(tmp_path / "p" / "q") == tmp_path / "p"


def cli_in(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codewright", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "PYTHONPATH": SRC, **env})


PROJECT = {
    "src/pkg/a.py": "def top():\n    return 1\n",
    "main.py": "from src.pkg.a import top\n\n\ndef entry():\n    return top()\n",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("project") / "p", PROJECT, git=True)


# run in p/src/pkg, with no --repo: paths given are the current directory's, ids and paths shown the project's
FROM_A_SUBFOLDER = {
    "symbols": (["symbols", "top"], "src/pkg/a.py:1:1  function  a.top\n"),
    "def FILE:LINE:COL": (["def", "a.py:1:5"], "src/pkg/a.py:1:1  def top()\n"),
    "refs": (["refs", "top"], "main.py:5:12  call       top  -> src/pkg/a.py::top\n"),
    "outline FILE": (["outline", "a.py"], "    1  def top()\n"),
    "map --focus FILE": (["map", "--focus", "a.py", "--tokens", "10"], "src/pkg/a.py:\n  def top()\n"),
    "callers": (["callers", "top"], "src/pkg/a.py::top\n  main.py::entry  main.py:5:12\n"),
    "callees": (["callees", "main.py::entry"], "main.py::entry\n  src/pkg/a.py::top  line 5\n"),
    "impact": (["impact", "top"], "src/pkg/a.py::top\n  main.py::entry\n"),
}


@pytest.mark.parametrize(("args", "out"), FROM_A_SUBFOLDER.values(), ids=FROM_A_SUBFOLDER.keys())
def test_a_query_from_a_subfolder_works_on_the_project(project: Path, args: list[str], out: str) -> None:
    done = cli_in(project / "src" / "pkg", *args)
    assert (done.returncode, done.stdout, done.stderr) == (0, out, "")
    assert not (project / "src" / "pkg" / ".codewright").exists() and (project / ".codewright" / "index.db").is_file()


@pytest.mark.parametrize(("command", "part", "expected"), [
    (["stats", "--json"], lambda answer: answer["root"], "{root}"),
    (["find", "the top function", "--json"], lambda answer: answer["files"][0]["path"], "src/pkg/a.py"),
], ids=["stats", "find"])
def test_a_json_answer_from_a_subfolder_is_the_projects(project: Path, command: list[str], part, expected: str) -> None:
    done = cli_in(project / "src" / "pkg", *command)
    assert done.returncode == 0, done.stderr
    assert part(json.loads(done.stdout)) == expected.format(root=project)


def test_index_from_a_subfolder_indexes_the_project_and_names_it(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "p", PROJECT, git=True)
    done = cli_in(root / "src", "index")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith(f"indexed 2 files of {root} in ")
    assert not (root / "src" / ".codewright").exists()
    at_top = cli_in(root, "index")  # where the user stands: said as before
    assert at_top.stdout.startswith("indexed 2 files in ")


def test_an_index_of_a_subfolder_is_used_only_when_named(tmp_path: Path) -> None:
    """An index of src/pkg alone (an earlier version's, or one a run was given) answered a query run there as if
    it were the project's: main.py's call of top was not found."""
    root = make_repo(tmp_path / "p", PROJECT, git=True)
    here = root / "src" / "pkg"
    assert cli_in(here, "index", ".").returncode == 0
    assert cli_in(here, "refs", "top").stdout == "main.py:5:12  call       top  -> src/pkg/a.py::top\n"
    assert cli_in(here, "refs", "top", "--repo", ".").stdout == "no uses of 'top' are indexed\n"
    assert cli_in(here, "index").stdout.startswith(f"indexed 2 files of {root} in ")


def test_an_index_in_home_does_not_capture_a_folder_below_it(tmp_path: Path) -> None:
    """One `codewright index` in $HOME made every folder below it outside git the home folder's: a query there
    indexed all of it. The query indexes the folder it runs in; the index of $HOME answers there alone."""
    home = make_repo(tmp_path / "home", {"stray.py": "def stray():\n    pass\n", "p/a.py": "def top():\n    pass\n"})
    assert cli_in(home, "index", HOME=str(home)).stdout.startswith("indexed 2 files in ")
    done = cli_in(home / "p", "symbols", "stray", HOME=str(home))
    assert (done.returncode, done.stdout, done.stderr) == (0, "no symbol's name matches 'stray'\n", "")
    assert (home / "p" / ".codewright" / "index.db").is_file()
    assert cli_in(home, "symbols", "stray", HOME=str(home)).stdout == "stray.py:1:1  function  stray.stray\n"


@pytest.mark.parametrize("command", [["index", "."], ["stats", "--repo", "."]])
def test_a_tree_given_is_taken_as_given(tmp_path: Path, command: list[str]) -> None:
    root = make_repo(tmp_path / "p", PROJECT, git=True)
    done = cli_in(root / "src", *command)
    assert done.returncode == 0, done.stderr
    assert (root / "src" / ".codewright" / "index.db").is_file() and not (root / ".codewright").exists()


def test_sessions_and_undo_from_a_subfolder_are_the_projects(tmp_path: Path) -> None:
    from codewright.agent.checkpoint import ShadowRepo
    from codewright.agent.session import SessionStore

    root = make_repo(tmp_path / "p", PROJECT, git=True)
    store = SessionStore(root)
    session = store.create("a task", "openai/test-model", "ask")
    store.save(session, {}, outcome="done")  # ended: undo is refused while a session of the project runs
    store.close()
    shadow = ShadowRepo(root)
    shadow.checkpoint("start")
    (root / "main.py").write_text("changed\n")
    shadow.checkpoint("edit")
    listed = cli_in(root / "src" / "pkg", "sessions", "--json")
    assert [row["id"] for row in json.loads(listed.stdout)["sessions"]] == [session]
    undone = cli_in(root / "src" / "pkg", "undo", "--json")
    assert undone.returncode == 0, undone.stderr
    assert json.loads(undone.stdout)["changes"] == [{"path": "main.py", "change": "modified"}]
    assert (root / "main.py").read_text() == PROJECT["main.py"]
    assert not (root / "src" / "pkg" / ".codewright").exists()
