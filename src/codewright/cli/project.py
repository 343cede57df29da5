"""The tree a command works on when it is given none (`index` without PATH, the others without `--repo`): the
project the current directory is in, as git finds its work tree, not the current directory itself.

Run from `src/pkg/` of a project, a query built a second index of that folder alone (`src/pkg/.codewright/`) and
the agent worked from there, while git, the linters and the tests work from the project. So the tree is the
nearest of the current directory and its parents that holds an index (`.codewright/index.db`), else the top of
the git work tree the walk reaches first (the innermost, for a repository nested in another), else the current
directory. The walk stops at that top: a `.codewright/` in $HOME or / never captures a checkout below it, and
outside git only a folder holding an index counts, not any `.codewright/`. A tree that is given (`--repo .`,
`index PATH`) is taken exactly as given.
"""

from __future__ import annotations

import os
from pathlib import Path

from codewright.graph.files import ignored_by_enclosing_repo
from codewright.graph.store import DB_NAME, index_dir


def tree(given: Path | None) -> Path:
    """The tree a command works on: `given` as it is, or the project the current directory is in."""
    return given if given is not None else enclosing_project(Path.cwd())


def enclosing_project(start: Path) -> Path:
    """The nearest of `start` and its parents holding an index, no higher than the top of the git work tree
    `start` is in; else that top; else `start`."""
    for folder in (start, *start.parents):
        if os.path.lexists(index_dir(folder) / DB_NAME):
            return folder
        if os.path.lexists(folder / ".git"):  # a folder, or a file naming one (a linked worktree, a submodule)
            # a folder the repository ignores (a dotfiles repository in $HOME ignoring `*`) is outside git, as
            # the index walks it: at the top, git lists none of its files
            return start if folder != start and ignored_by_enclosing_repo(start) else folder
    return start
