"""Helpers for edit tests: a tiny working tree written from a dict, and its bytes read back."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.repos import make_repo


@pytest.fixture
def tree(tmp_path: Path):
    """Write {path: text|bytes} under tmp_path and return the root."""

    def make(files: dict[str, str | bytes]) -> Path:
        return make_repo(tmp_path, files)

    return make


@pytest.fixture
def snapshot():
    """Every file under a root as {path: bytes}: a failed call must leave it unchanged."""

    def take(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    return take
