"""Gold functions derived from a patch, for datasets that list no spans (`eval localize`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.repos import indexed_repo

from codewright.eval.patch_gold import changed_lines, functions_changed

SOURCE = """\
import os


class Cart:
    rate = 0.2

    def total(self, items):
        def each(item):
            return item.price
        return sum(map(each, items))


def helper():
    return os.sep
"""


def patch(old_start: int, body: str, path: str = "shop/cart.py") -> str:
    """A one-hunk patch of `path` whose body (lines with their -, + or space) starts at old line `old_start`."""
    lines = body.splitlines()
    old = sum(not line.startswith("+") for line in lines)
    new = sum(not line.startswith("-") for line in lines)
    return f"--- a/{path}\n+++ b/{path}\n@@ -{old_start},{old} +{old_start},{new} @@\n{body}"


CHANGED_CASES = [
    # (case, patch, {path: old lines})
    ("a removed line", patch(5, " class Cart:\n-    rate = 0.2\n+    rate = 0.25\n"), {"shop/cart.py": {6}}),
    ("an insertion counts as the line before it", patch(13, " def helper():\n+    '''Doc.'''\n"),
     {"shop/cart.py": {13}}),
    ("a removed line reading like a file header", patch(1, "--- a/other.py\n+x\n"), {"shop/cart.py": {1}}),
    ("an added file names nothing", "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+X = 1\n", {}),
    ("no newline at end of file", patch(14, "-    return os.sep\n\\ No newline at end of file\n+    return os.sep\n"),
     {"shop/cart.py": {14}}),
]


@pytest.mark.parametrize("case, text, expected", CHANGED_CASES, ids=[c[0] for c in CHANGED_CASES])
def test_changed_lines(case: str, text: str, expected: dict[str, set[int]]) -> None:
    assert changed_lines(text) == expected


GOLD_CASES = [
    # (case, changed old line, gold symbol ids)
    ("a method's body", 10, ["shop/cart.py::Cart.total"]),
    ("a nested function counts as its outermost function", 9, ["shop/cart.py::Cart.total"]),
    ("a class attribute counts as the class", 5, ["shop/cart.py::Cart"]),
    ("a function", 14, ["shop/cart.py::helper"]),
    ("a module-level line names none", 1, []),
]


@pytest.mark.parametrize("case, line, expected", GOLD_CASES, ids=[c[0] for c in GOLD_CASES])
def test_functions_changed(tmp_path: Path, case: str, line: int, expected: list[str]) -> None:
    old = SOURCE.splitlines()[line - 1]
    with indexed_repo(tmp_path / "repo", {"shop/cart.py": SOURCE}) as index:
        assert functions_changed(index.conn, patch(line, f"-{old}\n+{old}  # changed\n")) == expected
