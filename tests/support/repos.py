"""Small fixture trees written under tmp_path, for any layer's tests."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from codewright.graph.index import Index


def make_repo(root: Path, files: dict[str, str | bytes], git: bool = False) -> Path:
    """Write `files` under root (and `git init` it when asked: ls-files sees untracked files)."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))  # bytes as given
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@contextmanager
def indexed_repo(root: Path, files: dict[str, str | bytes]) -> Iterator[Index]:
    """`files` written under root and indexed: the open index, for a module's tests to share."""
    with Index.open(make_repo(root, files)) as index:
        index.build()
        yield index
