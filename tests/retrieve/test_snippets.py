"""The code shown to the model first: best functions numbered, small files whole, within budget."""

from __future__ import annotations

from pathlib import Path

from codewright.graph.index import Index
from codewright.retrieve.find import find
from codewright.retrieve.snippets import HEADER, render


def make_repo(root: Path, big_lines: int) -> None:
    (root / "small.py").write_text("def add(a, b):\n    return a - b\n")
    body = "".join(f"def filler_{i}():\n    return {i}\n\n" for i in range(big_lines // 3))
    (root / "big.py").write_text(body + "def parse_header(text):\n    return text.split(':')\n")


def test_small_files_whole_and_big_files_by_function(tmp_path: Path) -> None:
    make_repo(tmp_path, big_lines=300)
    with Index.open(tmp_path) as index:
        index.build()
        text = render(index.root, index.conn, find(index, "`parse_header` and `add` are wrong", k=5))
    assert text.startswith(HEADER)
    assert "## small.py (lines 1-2)\n   1| def add(a, b):\n   2|     return a - b\n" in text
    assert "## big.py (lines 301-302)\n 301| def parse_header(text):\n" in text
    assert "filler_0" not in text


def test_budget_is_never_exceeded(tmp_path: Path) -> None:
    make_repo(tmp_path, big_lines=300)
    with Index.open(tmp_path) as index:
        index.build()
        ranking = find(index, "filler functions return numbers", k=10)
        text = render(index.root, index.conn, ranking, budget_chars=200)
    assert len(text) <= len(HEADER) + 2 + 200


def test_nothing_found_renders_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    with Index.open(tmp_path) as index:
        index.build()
        assert render(index.root, index.conn, find(index, "zzzz qqqq", k=5)) == ""
