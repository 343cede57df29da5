"""File discovery: git's view inside a work tree, .gitignore files outside, .codewrightignore in both."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from store_repo import make_repo

from codewright.graph.files import discover, is_ignored

TREE = {
    ".gitignore": "*.log\nbuild/\n!keep.log\n",
    "a.py": "",
    "x.log": "",
    "keep.log": "",
    "build/out.py": "",
    "src/.gitignore": "gen_*.py\n",
    "src/gen_1.py": "",
    "src/m.py": "",
    "docs/.codewrightignore": "draft*\n",
    "docs/draft.md": "",
    "docs/final.md": "",
    ".codewright/index.db": "",
}
EXPECTED = [".gitignore", "a.py", "docs/.codewrightignore", "docs/final.md", "keep.log", "src/.gitignore", "src/m.py"]


@pytest.mark.parametrize("git", [False, True])
def test_ignore_rules_apply_the_same_inside_and_outside_git(tmp_path: Path, git: bool) -> None:
    repo = make_repo(tmp_path / "r", TREE, git=git)
    found = discover(repo)
    assert found.in_git is git
    assert [f.path for f in found.files] == EXPECTED


@pytest.mark.parametrize("git", [False, True])
def test_a_tree_deeper_than_the_recursion_limit_is_listed(tmp_path: Path, git: bool) -> None:
    """1,100 folders deep (the walk outside git, the generated-folder check of git's untracked files): it was a
    RecursionError."""
    repo = make_repo(tmp_path / "r", {"node_modules/x/y/z.js": "", "a/node_modules/b/c.js": ""}, git=git)
    folder = repo
    for _ in range(1100):  # one by one: pathlib's and os's makedirs recurse too
        folder = folder / "d"
        folder.mkdir()
    (folder / "deep.py").write_text("X = 1\n")
    try:
        assert [f.path for f in discover(repo).files] == ["d/" * 1100 + "deep.py"]
    finally:  # taken down here: shutil.rmtree, which pytest's cleanup of old temporary folders uses, recurses too
        (folder / "deep.py").unlink()
        while folder != repo:
            folder.rmdir()
            folder = folder.parent


def test_folders_git_lists_as_one_entry_are_listed_as_skipped(tmp_path: Path) -> None:
    """A submodule, a repository cloned inside the tree and a link to a folder: git lists each as one entry and
    none of their files, which were left out without a word (`def` found nothing of a vendored clone)."""
    repo = make_repo(tmp_path / "r", {"a.py": "", "lib/l.py": "", "nested/n.py": "", "real/r.py": ""}, git=True)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    for folder in ("lib", "nested"):
        subprocess.run([*git, "-C", str(repo / folder), "init", "-q"], check=True)
    subprocess.run([*git, "-C", str(repo / "lib"), "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    head = subprocess.run(["git", "-C", str(repo / "lib"), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    subprocess.run(["git", "-C", str(repo), "update-index", "--add", "--cacheinfo", f"160000,{head},lib"], check=True)
    (repo / "alias").symlink_to("real")
    found = discover(repo)
    assert [f.path for f in found.files] == ["a.py", "real/r.py"]
    assert [(s.path, s.reason) for s in found.skipped] == [
        ("alias", "symlink to real (indexed there)"),
        ("lib", "a git submodule: git lists none of its files (index it on its own)"),
        ("nested", "a nested git repository: git lists none of its files (index it on its own)"),
    ]


@pytest.mark.parametrize("git", [False, True])
def test_a_broken_symlink_is_listed_as_skipped(tmp_path: Path, git: bool) -> None:
    """It was left out without a word."""
    repo = make_repo(tmp_path / "r", {"a.py": ""}, git=git)
    (repo / "config.py").symlink_to("config.local.py")
    found = discover(repo)
    assert [f.path for f in found.files] == ["a.py"]
    assert [(s.path, s.reason) for s in found.skipped] == [
        ("config.py", "broken symlink: what it names does not exist")]


def test_deeper_gitignore_can_reinclude(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {".gitignore": "*.txt\n", "sub/.gitignore": "!notes.txt\n",
                                      "a.txt": "", "sub/notes.txt": "", "sub/b.txt": ""})
    assert [f.path for f in discover(repo).files] == [".gitignore", "sub/.gitignore", "sub/notes.txt"]


@pytest.mark.parametrize("bad", ["!", "\\", "[z-a]"])
def test_an_ignore_line_git_cannot_read_is_skipped_and_the_others_hold(tmp_path: Path, bad: str) -> None:
    repo = make_repo(tmp_path / "r", {".gitignore": f"*.log\n{bad}\n", "a.py": "", "x.log": ""})
    assert [f.path for f in discover(repo).files] == [".gitignore", "a.py"]


def test_entries_carry_size_and_mtime(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "abc"})
    (entry,) = discover(repo).files
    assert (entry.path, entry.size) == ("a.py", 3) and entry.mtime_ns > 0


def test_size_cap_is_a_parameter(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "x" * 50, "b.py": "y"})
    found = discover(repo, size_cap=10)
    assert [f.path for f in found.files] == ["b.py"]
    assert [(s.path, s.reason) for s in found.skipped] == [("a.py", "over size cap (50 > 10 bytes)")]


@pytest.mark.parametrize("git", [False, True])
@pytest.mark.parametrize(
    ("path", "ignored"),
    [("x.log", True), ("keep.log", False), ("build/out.py", True), ("src/gen_1.py", True), ("src/m.py", False),
     ("docs/draft.md", True), ("docs/final.md", False), (".codewright/index.db", True)],
)
def test_is_ignored_agrees_with_discovery(tmp_path: Path, git: bool, path: str, ignored: bool) -> None:
    repo = make_repo(tmp_path / "r", TREE, git=git)
    assert is_ignored(repo, path) is ignored


GENERATED = {"app.py": "", "venv/pyvenv.cfg": "home = /usr/bin\n", "venv/lib/site.py": "",
             "web/app.js": "", "web/node_modules/left-pad/index.js": "", "pkg/__pycache__/m.cpython-311.pyc": "",
             "pkg/m.py": ""}


def test_outside_git_folders_that_tools_write_stay_out(tmp_path: Path) -> None:
    """A virtual environment (found by its pyvenv.cfg, whatever its name), node_modules and __pycache__."""
    repo = make_repo(tmp_path / "r", GENERATED)
    assert [f.path for f in discover(repo).files] == ["app.py", "pkg/m.py", "web/app.js"]
    assert [is_ignored(repo, p) for p in ["venv/lib/new.py", "web/node_modules/a.js", "pkg/new.py"]] == [
        True, True, False]


def test_inside_git_what_git_tracks_counts_even_in_such_folders(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", GENERATED, git=True)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    assert len(discover(repo).files) == len(GENERATED)
    assert is_ignored(repo, "venv/lib/site.py") is False


def test_inside_git_untracked_files_in_such_folders_stay_out(tmp_path: Path) -> None:
    """`python -m venv .venv` or `npm install` in a repository whose .gitignore does not name the folder."""
    repo = make_repo(tmp_path / "r", {"app.py": "", "web/app.js": ""}, git=True)
    for rel, text in [("venv/pyvenv.cfg", "home = /usr/bin\n"), ("venv/lib/python3.11/site.py", ""),
                      ("web/node_modules/left-pad/index.js", ""), ("pkg/__pycache__/m.cpython-311.pyc", ""),
                      ("pkg/m.py", ""), ("notes.md", "")]:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    assert [f.path for f in discover(repo).files] == ["app.py", "notes.md", "pkg/m.py", "web/app.js"]
    assert [is_ignored(repo, p) for p in ["venv/lib/new.py", "web/node_modules/a.js", "pkg/new.py"]] == [
        True, True, False]


PATTERNS = ["*.log", "/build/", "!keep.log", "docs/**/draft*", "a?c.py", "[0-9]*.tmp", "\\#lit", "**/gen/",
            "sub/*.py", "!sub/keep.py", "name with space", "trailing\\ "]
PATHS = ["x.log", "keep.log", "d/keep.log", "build/", "build/x.py", "src/build/", "docs/a/b/draft1.md", "docs/draft",
         "abc.py", "a/abc.py", "7.tmp", "x7.tmp", "#lit", "p/gen/", "p/gen/m.py", "sub/m.py", "sub/keep.py",
         "sub/deep/m.py", "name with space", "trailing ", "plain.py"]


@pytest.mark.parametrize("path", PATHS)
def test_the_quick_any_pattern_test_never_changes_a_verdict(tmp_path: Path, path: str) -> None:
    """Rules skip pathspec when one joined expression says no pattern matches: the verdict must be pathspec's."""
    import pathspec

    from codewright.graph.files import _IgnoreRules

    (tmp_path / ".gitignore").write_text("\n".join(PATTERNS) + "\n")
    rules = _IgnoreRules(tmp_path, ".gitignore", [".gitignore"])
    assert rules.any_pattern[""] is not None
    expected = pathspec.GitIgnoreSpec.from_lines(PATTERNS).check_file(path).include
    assert rules.ignored(path) is bool(expected)


def test_a_project_its_enclosing_repository_ignores_is_walked(tmp_path: Path) -> None:
    """A dotfiles repository in $HOME ignoring `*`: git lists nothing under it, which left the index empty."""
    home = make_repo(tmp_path / "home", {".gitignore": "*\n"}, git=True)
    project = make_repo(home / "proj", {"a.py": "", "build/out.py": "", ".gitignore": "build/\n"})
    found = discover(project)
    assert not found.in_git and [f.path for f in found.files] == [".gitignore", "a.py"]


def test_is_ignored_agrees_with_discovery_in_a_project_its_enclosing_repository_ignores(tmp_path: Path) -> None:
    home = make_repo(tmp_path / "home", {".gitignore": "*\n"}, git=True)
    project = make_repo(home / "proj", {"a.py": "", ".gitignore": "build/\n"})
    assert (is_ignored(project, "new.py"), is_ignored(project, "build/x.py")) == (False, True)
