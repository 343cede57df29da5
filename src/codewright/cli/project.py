"""The tree a command works on when it is given none (`index` without PATH, the others without `--repo`): the
project the current directory is in, as git finds its work tree, not the current directory itself.

Run from `src/pkg/` of a project, a query built a second index of that folder alone (`src/pkg/.codewright/`)
and the agent worked from there, while git, the linters and the tests work from the project. So in a git work
tree the tree is its top (the innermost, for a repository nested in another), whatever `.codewright/` lies
between: an index of a subfolder (an earlier version's, or one a run was given: `--repo src/pkg`) holds part
of the project, and taken unasked it answered for that part as if for all. It is used when it is named again.
Outside git, a folder the enclosing repository ignores included (a dotfiles repository in $HOME ignoring `*`,
which the index walks as outside git), the tree is the nearest of the current directory and its parents that
holds an index (`.codewright/index.db`, not any `.codewright/`), no higher than that repository's top; else
the current directory. A tree that is given (`--repo .`, `index PATH`) is taken exactly as given.

The search for an index outside git stops below a ceiling, as git's stops at GIT_CEILING_DIRECTORIES: the home
folder, the file system root, the temp folder (/tmp, and those TMPDIR, TEMP and TMP name) and the folders
CODEWRIGHT_CEILING_DIRECTORIES names. Such a folder holds every project of its user or of the machine, so an
index there (one stray `codewright index` or `chat` in $HOME, or in /tmp) made every folder below it that is
not in git part of that whole tree: a command run in any of them indexed all of $HOME, or of /tmp, and waited
on that index's lock. An index in the current directory itself is taken, a ceiling or not.
"""

from __future__ import annotations

import os
from pathlib import Path

from codewright.graph.files import ignored_by_enclosing_repo
from codewright.graph.store import DB_NAME, index_dir

CEILINGS_VARIABLE = "CODEWRIGHT_CEILING_DIRECTORIES"
TEMP_VARIABLES = ("TMPDIR", "TEMP", "TMP")  # where tempfile.gettempdir() looks first


def tree(given: Path | None) -> Path:
    """The tree a command works on: `given` as it is, or the project the current directory is in."""
    return given if given is not None else enclosing_project(Path.cwd())


def enclosing_project(start: Path) -> Path:
    """The top of the git work tree `start` is in; outside git, the nearest of `start` and its parents holding
    an index, no higher than the top of a repository ignoring `start` and below the nearest ceiling; else
    `start`."""
    top = _work_tree_top(start)
    # a folder the repository ignores (a dotfiles repository in $HOME ignoring `*`) is outside git, as the
    # index walks it: at the top, git lists none of its files
    if top is not None and (top == start or not ignored_by_enclosing_repo(start)):
        return top
    above = _ceilings()
    for folder in (start, *start.parents):
        if folder != start and (folder in above or folder == folder.parent):
            break  # an index in $HOME or /tmp would capture every folder below it that is not in git
        if os.path.lexists(index_dir(folder) / DB_NAME):
            return folder
        if folder == top:  # a `.codewright/` above it (in $HOME) never captures a project below
            break
    return start


def _ceilings() -> set[Path]:
    """The folders whose index is not taken for a folder below them (the root aside): the home folder, the temp
    folders (/tmp, and those TMPDIR, TEMP and TMP name: tempfile.gettempdir()'s first choices, read without its
    probe, which writes a file there and fails where none is writable) and those CODEWRIGHT_CEILING_DIRECTORIES
    names (os.pathsep between; relative ones ignored, as git does); links resolved, as the current directory's
    are."""
    named = [os.path.expanduser("~"), "/tmp", *(os.environ.get(name, "") for name in TEMP_VARIABLES),
             *os.environ.get(CEILINGS_VARIABLE, "").split(os.pathsep)]
    return {Path(os.path.realpath(name)) for name in named if os.path.isabs(name)}


def _work_tree_top(start: Path) -> Path | None:
    """The nearest of `start` and its parents holding a `.git`: a folder, or a file naming one (a linked
    worktree, a submodule)."""
    return next((folder for folder in (start, *start.parents) if os.path.lexists(folder / ".git")), None)
