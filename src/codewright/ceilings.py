"""How far up a search for a project's file goes: the index (`cli/project.py`) and `codewright.toml`
(`gateway/config.py`) are looked for in a folder and its parents, and both stop at the same places.

Inside git the search stops at the work tree's top: a file above it belongs to no project, or to another. Outside
git (and in git too) it stops below a ceiling, as git's stops at GIT_CEILING_DIRECTORIES: the home folder, the
file system root, the temp folder (/tmp, and those TMPDIR, TEMP and TMP name) and the folders
CODEWRIGHT_CEILING_DIRECTORIES names. Such a folder holds every project of its user or of the machine, so one
stray file there (an index a `codewright index` in $HOME left, a codewright.toml saved to /tmp) applied to every
folder below it. The file in the starting folder itself is taken, a ceiling or not.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

CEILINGS_VARIABLE = "CODEWRIGHT_CEILING_DIRECTORIES"
TEMP_VARIABLES = ("TMPDIR", "TEMP", "TMP")  # where tempfile.gettempdir() looks first


def searched(start: Path, top: Path | None) -> Iterator[Path]:
    """`start`, then its parents up to `top` (a work tree's top, taken; None: no bound but the ceilings), none
    of them a ceiling nor the file system root."""
    above = ceilings()
    for folder in (start, *start.parents):
        if folder != start and (folder in above or folder == folder.parent):
            return
        yield folder
        if folder == top:
            return


def ceilings() -> set[Path]:
    """The folders a search from below them does not look in (the root aside): the home folder, the temp folders
    (/tmp, and those TMPDIR, TEMP and TMP name: tempfile.gettempdir()'s first choices, read without its probe,
    which writes a file there and fails where none is writable) and those CODEWRIGHT_CEILING_DIRECTORIES names
    (os.pathsep between; relative ones ignored, as git does); links resolved, as the current directory's are."""
    named = [os.path.expanduser("~"), "/tmp", *(os.environ.get(name, "") for name in TEMP_VARIABLES),
             *os.environ.get(CEILINGS_VARIABLE, "").split(os.pathsep)]
    return {Path(os.path.realpath(name)) for name in named if os.path.isabs(name)}


def work_tree_top(start: Path) -> Path | None:
    """The nearest of `start` and its parents holding a `.git`: a folder, or a file naming one (a linked
    worktree, a submodule)."""
    return next((folder for folder in (start, *start.parents) if os.path.lexists(folder / ".git")), None)
