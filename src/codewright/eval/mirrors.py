"""Public repositories for evaluations and benchmarks, read from local git mirrors.

`--mirrors DIR` holds repository `owner/name` as `DIR/owner+name` or, for the large
SWE-bench ones, `DIR/swe-bench+owner__name`: a bare repository, or a folder holding one
as `repo`. A tree at a commit is materialised with `git archive` (no checkout, no
history), which is all an evaluation needs.
"""

from __future__ import annotations

import subprocess
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


def materialize(git_dir: Path, commit: str, dest: Path) -> Path:
    """Write the tree of `commit` into `dest` (created; must not exist) and return it."""
    dest.mkdir(parents=True)
    archive = subprocess.Popen(["git", "--git-dir", str(git_dir), "archive", "--format=tar", commit],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    untar = subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, capture_output=True, check=False)
    archive.stdout.close()
    error = archive.stderr.read().decode(errors="replace").strip()
    if archive.wait() != 0 or untar.returncode != 0:
        raise UsageError(f"{git_dir}: cannot materialise {commit}: {error or untar.stderr.decode(errors='replace')}")
    return dest


def read_blob(git_dir: Path, commit: str, path: str) -> bytes | None:
    """The bytes of `path` at `commit`, or None when it does not exist there."""
    shown = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"], capture_output=True,
                           check=False)
    return shown.stdout if shown.returncode == 0 else None
