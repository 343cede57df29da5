"""Small fixture trees written under tmp_path, for any layer's tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


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
