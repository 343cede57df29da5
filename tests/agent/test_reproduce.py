"""Reproduce first: the tests a task names are run before the first turn, their output shown beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.repos import make_repo

from codewright.agent.reproduce import HEADER, arguments, named_tests, report, runnable_tests
from codewright.graph.index import Index
from codewright.tools import Permissions, Toolbox

FILES = {
    "pricing.py": "def apply_discount(price, percent):\n    return price + price * percent / 100\n",
    "test_pricing.py": "from pricing import apply_discount\n\n\ndef test_apply_discount():\n"
                       "    assert apply_discount(200, 10) == 180\n\n\nclass TestTotals:\n"
                       "    def test_zero(self):\n        assert apply_discount(0, 5) == 0\n",
    "helpers.py": "def test_like_helper():\n    return 1\n",
}


@pytest.fixture()
def repo(tmp_path: Path):
    root = make_repo(tmp_path / "repo", FILES, git=True)
    index = Index.open(root)
    index.build()
    yield root, index
    index.close()


def _box(root: Path, index: Index, mode: str = "full-auto") -> Toolbox:
    return Toolbox(root, index=index, permissions=Permissions(mode), approve=lambda request: False)


CASES = [
    ("a test function by name", "test_apply_discount fails", ["test_pricing.py::test_apply_discount"]),
    ("a method of a test class", "TestTotals.test_zero is red", ["test_pricing.py::TestTotals::test_zero"]),
    ("a test class", "all of TestTotals fails", ["test_pricing.py::TestTotals"]),
    ("in the order named", "test_zero and test_apply_discount",
     ["test_pricing.py::TestTotals::test_zero", "test_pricing.py::test_apply_discount"]),
    ("a test-like name outside test files", "test_like_helper is odd", []),
    ("no test named", "apply_discount is wrong", []),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_named_tests(repo, text: str, expected: list[str]) -> None:
    _, index = repo
    assert named_tests(index.conn, text) == expected


def test_the_named_failing_test_is_run_and_reported(repo) -> None:
    root, index = repo
    box = _box(root, index)
    assert box.facts.test_command == "python -m pytest"
    tests = runnable_tests(box, index.conn, "test_apply_discount in test_pricing.py fails")
    assert tests == ["test_pricing.py::test_apply_discount"]
    text = report(box.call("run_tests", arguments(box, tests)))
    assert text.startswith(f"{HEADER} (they fail):\n$ python -m pytest -q --tb=short -p no:cacheprovider "
                           "test_pricing.py::test_apply_discount")
    assert "assert 220.0 == 180" in text and "1 failed" in text
    assert "platform linux" not in text  # -q: no header for the model to read past


@pytest.mark.parametrize("mode", ["ask", "auto-edit", "plan"])
def test_nothing_runs_where_the_mode_would_ask(repo, mode: str) -> None:
    root, index = repo
    assert runnable_tests(_box(root, index, mode), index.conn, "test_apply_discount fails") == []


def test_only_pytest_projects(repo) -> None:
    root, index = repo
    box = _box(root, index)
    box.facts.test_command = "make test"
    assert runnable_tests(box, index.conn, "test_apply_discount fails") == []
