"""How `eval localize` scores one instance: all non-added gold files within k, every gold function within k."""

from __future__ import annotations

import json
import subprocess

import pytest
from tests.support.repos import make_repo

from codewright.errors import UsageError
from codewright.eval.localize import _evaluate_group, _score, summarise

ROW = {"instance_id": "o__r-1", "repo": "o/r", "edited_files": ["a.py", "b.py", "new.py"], "added_files": ["new.py"]}


@pytest.mark.parametrize("files, acc1, acc3, rr", [
    (["a.py", "b.py", "c.py"], False, True, 1.0),
    (["c.py", "b.py", "a.py"], False, True, 0.5),
    (["c.py", "d.py", "e.py", "a.py", "b.py"], False, False, 0.25),
    (["c.py"], False, False, 0.0),
])
def test_file_scores(files: list[str], acc1: bool, acc3: bool, rr: float) -> None:
    result = _score(ROW, files, [], None)
    assert (result["file_acc@1"], result["file_acc@3"], result["file_rr"]) == (acc1, acc3, rr)
    assert result["gold_files"] == ["a.py", "b.py"]  # an added file cannot be found, so it is not asked for


def test_function_scores_need_every_gold_function() -> None:
    result = _score(ROW, ["a.py", "b.py"], ["a.py::f"] + [f"x.py::g{i}" for i in range(9)] + ["b.py::h"],
                    ["a.py::f", "b.py::h"])
    assert result["function_acc@10"] is False and result["function_recall@10"] == 0.5
    other = _score(ROW, ["a.py", "b.py"], [], None)
    summary = summarise([dict(result, seconds=0.2), dict(other, seconds=0.1)], "find", 1.0)
    assert summary["function_instances"] == 1 and summary["function_left_out"] == 1


def test_each_result_is_on_disk_before_the_next_instance_runs(tmp_path, monkeypatch) -> None:
    """A stopped run resumes at the next instance, not at the next repository."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    work = make_repo(tmp_path / "work", {"pkg/cart.py": "def total(items):\n    return sum(items)\n"}, git=True)
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    mirror = tmp_path / "mirrors" / "o+r"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(mirror)], check=True)
    row = {"repo": "o/r", "problem_statement": "total() of the cart is wrong", "edited_files": ["pkg/cart.py"]}
    rows = [dict(row, instance_id="o__r-1", base_commit=commit), dict(row, instance_id="o__r-2", base_commit="f" * 40)]
    results = tmp_path / "results.jsonl"
    with pytest.raises(UsageError):  # the second instance's commit is not in the mirror
        _evaluate_group("o/r", rows, str(tmp_path / "mirrors"), "find", None, str(results))
    (first,) = [json.loads(line) for line in results.read_text().splitlines()]
    assert first["instance_id"] == "o__r-1" and first["file_acc@1"] is True
