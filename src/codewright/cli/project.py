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

The search for an index outside git stops below a ceiling (`codewright/ceilings.py`, the rule the search for
codewright.toml follows too): an index in $HOME or /tmp made every folder below it that is not in git part of that
whole tree, and a command run in any of them indexed all of it and waited on that index's lock.
"""

from __future__ import annotations

import os
from pathlib import Path

from codewright.ceilings import searched, work_tree_top
from codewright.graph.files import ignored_by_enclosing_repo
from codewright.graph.store import DB_NAME, index_dir


def tree(given: Path | None) -> Path:
    """The tree a command works on: `given` as it is, or the project the current directory is in."""
    return given if given is not None else enclosing_project(Path.cwd())


def enclosing_project(start: Path) -> Path:
    """The top of the git work tree `start` is in; outside git, the nearest of `start` and its parents holding
    an index, no higher than the top of a repository ignoring `start` and below the nearest ceiling; else
    `start`."""
    top = work_tree_top(start)
    # a folder the repository ignores (a dotfiles repository in $HOME ignoring `*`) is outside git, as the
    # index walks it: at the top, git lists none of its files
    if top is not None and (top == start or not ignored_by_enclosing_repo(start)):
        return top
    # a `.codewright/` above the top (in $HOME) never captures a project below
    return next((folder for folder in searched(start, top) if os.path.lexists(index_dir(folder) / DB_NAME)), start)
