"""Public repositories for evaluations and benchmarks, read from local git mirrors.

`--mirrors DIR` holds repository `owner/name` as `DIR/owner+name` or, for the large
SWE-bench ones, `DIR/swe-bench+owner__name`: a bare repository, or a folder holding one
as `repo`. A tree at a commit is materialised with `git archive` (no checkout, no
history), which is all an evaluation needs.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from codewright.errors import UsageError


def find_mirror(mirrors: Path, repo: str) -> Path:
    """The bare git directory for `owner/name` under `mirrors`."""
    owner, name = repo.split("/", 1)
    for folder in (mirrors / f"{owner}+{name}", mirrors / f"swe-bench+{owner}__{name}"):
        for candidate in (folder, folder / "repo"):
            if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
                return candidate
    raise UsageError(f"no mirror of {repo} in {mirrors} (looked for {owner}+{name} and swe-bench+{owner}__{name})")


@dataclass(frozen=True)
class Tree:
    """A materialised tree, and the files of the commit that the mirror lacks (not written)."""

    path: Path
    absent: tuple[str, ...] = ()


def materialize(git_dir: Path, commit: str, dest: Path) -> Tree:
    """Write the tree of `commit` into `dest` (created; must not exist).

    A mirror may lack some blobs (a snapshot leaves its largest files out, e.g. test data). Then
    the tree is written without them, and they are named, rather than not written at all."""
    dest.mkdir(parents=True)
    try:
        _extract(git_dir, commit, dest, ())
        return Tree(dest)
    except UsageError:
        absent = _absent_blobs(git_dir, commit)
        if not absent:
            raise
    shutil.rmtree(dest)
    dest.mkdir()
    _extract(git_dir, commit, dest, absent)
    return Tree(dest, absent)


def _absent_blobs(git_dir: Path, commit: str) -> tuple[str, ...]:
    """Paths of `commit` whose blob is not in the mirror."""
    git = ["git", "--git-dir", str(git_dir)]
    listed = subprocess.run([*git, "ls-tree", "-r", "-z", commit], capture_output=True, check=False)
    if listed.returncode != 0:
        return ()
    entries = [entry.split("\t", 1) for entry in listed.stdout.decode(errors="surrogateescape").split("\0") if entry]
    blobs = [(info.split()[2], path) for info, path in entries if info.split()[1] == "blob"]
    checked = subprocess.run([*git, "cat-file", "--batch-check"], input="".join(f"{sha}\n" for sha, _ in blobs),
                             capture_output=True, text=True, check=False)
    return tuple(path for (_, path), line in zip(blobs, checked.stdout.splitlines()) if line.endswith(" missing"))


def _extract(git_dir: Path, commit: str, dest: Path, leave_out: tuple[str, ...]) -> None:
    excluded = [f":(exclude,literal){path}" for path in leave_out]
    archive = subprocess.Popen(["git", "--git-dir", str(git_dir), "archive", "--format=tar", commit, "--", *excluded],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    untar = subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, capture_output=True, check=False)
    archive.stdout.close()
    error = archive.stderr.read().decode(errors="replace").strip()
    if archive.wait() != 0 or untar.returncode != 0:
        raise UsageError(f"{git_dir}: cannot materialise {commit}: {error or untar.stderr.decode(errors='replace')}")


def read_blob(git_dir: Path, commit: str, path: str) -> bytes | None:
    """The bytes of `path` at `commit`, or None when it does not exist there."""
    shown = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"], capture_output=True,
                           check=False)
    return shown.stdout if shown.returncode == 0 else None
