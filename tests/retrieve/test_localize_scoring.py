"""How `eval localize` scores one instance: all non-added gold files within k, every gold function within k."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest
from tests.support.repos import make_repo

from codewright.cli.main import main
from codewright.eval.localize import _evaluate_group, _score, summarise
from codewright.graph import history

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


@pytest.fixture
def mirrored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A mirrors folder holding `o/r` with one commit, and that commit; caches under tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    work = make_repo(tmp_path / "work", {"pkg/cart.py": "def total(items):\n    return sum(items)\n"}, git=True)
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(tmp_path / "mirrors" / "o+r")], check=True)
    return tmp_path / "mirrors", commit


TASK = {"repo": "o/r", "problem_statement": "total() of the cart is wrong", "edited_files": ["pkg/cart.py"]}


def test_each_result_is_on_disk_before_the_next_instance_runs(mirrored: tuple[Path, str], tmp_path: Path) -> None:
    """A stopped run resumes at the next instance, not at the next repository."""
    mirrors, commit = mirrored
    crashing = {k: v for k, v in TASK.items() if k != "problem_statement"}  # find fails on this one
    rows = [dict(TASK, instance_id="o__r-1", base_commit=commit), dict(crashing, instance_id="o__r-2", base_commit=commit)]
    results = tmp_path / "results.jsonl"
    with pytest.raises(KeyError):
        _evaluate_group("o/r", rows, str(mirrors), "find", None, str(results))
    (first,) = [json.loads(line) for line in results.read_text().splitlines()]
    assert first["instance_id"] == "o__r-1" and first["file_acc@1"] is True


def test_an_instance_the_mirror_cannot_materialise_is_skipped_and_named(
    mirrored: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mirrors, commit = mirrored
    rows = [dict(TASK, instance_id="o__r-1", base_commit="f" * 40), dict(TASK, instance_id="o__r-2", base_commit=commit)]
    results = tmp_path / "results.jsonl"
    _evaluate_group("o/r", rows, str(mirrors), "find", None, str(results))
    assert [json.loads(line)["instance_id"] for line in results.read_text().splitlines()] == ["o__r-2"]
    assert capsys.readouterr().err.startswith("o__r-1: skipped: ")


def test_a_rerun_over_the_cached_indexes_ranks_as_the_first_run(mirrored: tuple[Path, str], tmp_path: Path) -> None:
    """`--reuse-indexes` reads each commit's index from the cache (read ahead in the background), builds
    nothing, and skips an instance that has none."""
    mirrors, commit = mirrored
    row = dict(TASK, instance_id="o__r-1", base_commit=commit)
    first, again = tmp_path / "first.jsonl", tmp_path / "again.jsonl"
    _evaluate_group("o/r", [row], str(mirrors), "find", None, str(first))
    missing = dict(row, instance_id="o__r-2", base_commit="e" * 40)
    _evaluate_group("o/r", [row, missing], str(mirrors), "reuse", None, str(again))
    (built,), (reused,) = ([json.loads(line) for line in path.read_text().splitlines()] for path in (first, again))
    assert reused["top_files"] == built["top_files"] == ["pkg/cart.py"]
    assert (reused["index_seconds"], reused["instance_id"]) == (0.0, "o__r-1")


def test_an_instance_sees_the_history_before_its_commit_only(mirrored: tuple[Path, str], tmp_path: Path) -> None:
    """The tree is materialised without .git: the commits come from the mirror, and never the later fix."""
    mirrors, commit = mirrored
    work = tmp_path / "work"
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    (work / "pkg" / "tax.py").write_text("RATE = 0.2\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "Fixed tax rounding"], check=True)
    subprocess.run([*git, "push", "-q", str(mirrors / "o+r"), "HEAD"], check=True)
    rows = [dict(TASK, instance_id="o__r-1", base_commit=commit)]
    _evaluate_group("o/r", rows, str(mirrors), "find", None, str(tmp_path / "results.jsonl"))
    (index,) = (tmp_path / "cache" / "codewright" / "localize" / "indexes" / "o+r").glob("*.db")
    with closing(sqlite3.connect(index)) as conn:
        assert history.stored_head(conn) == commit
        assert [sha for sha, _, _ in history.commits(conn, [1, 2]).values()] == [commit]  # the later fix is not kept


def _commit_with_a_blob_the_mirror_lacks(mirrors: Path, tmp_path: Path, path: str) -> str:
    """A new commit adding `path`, pushed to the mirror, whose copy of that blob is then deleted."""
    work = tmp_path / "work"
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    (work / path).parent.mkdir(parents=True, exist_ok=True)
    (work / path).write_bytes(b"\x00large test data\x00")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "data"], check=True)
    subprocess.run([*git, "push", "-q", str(mirrors / "o+r"), "HEAD"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    blob = subprocess.run(["git", "--git-dir", str(mirrors / "o+r"), "rev-parse", f"{commit}:{path}"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (mirrors / "o+r" / "objects" / blob[:2] / blob[2:]).unlink()
    return commit


@pytest.mark.parametrize("absent, edited, scored, err", [
    ("data/big.bin", ["pkg/cart.py"], True, "o__r-1: left out 1 file(s) the mirror lacks: data/big.bin\n"),
    ("pkg/big.py", ["pkg/big.py"], False, "o__r-1: skipped: the mirror lacks the edited file(s) pkg/big.py\n"),
], ids=["left out and named", "an edited file: the instance is skipped"])
def test_a_file_the_mirror_lacks(mirrored: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 absent: str, edited: list[str], scored: bool, err: str) -> None:
    """A snapshot mirror leaves its largest files out: the instance is scored without them, unless the fix edits
    one."""
    mirrors, _ = mirrored
    commit = _commit_with_a_blob_the_mirror_lacks(mirrors, tmp_path, absent)
    results = tmp_path / "results.jsonl"
    row = dict(TASK, instance_id="o__r-1", base_commit=commit, edited_files=edited)
    _evaluate_group("o/r", [row], str(mirrors), "find", None, str(results))
    found = [json.loads(line)["top_files"] for line in results.read_text().splitlines()] if results.exists() else []
    assert found == ([["pkg/cart.py"]] if scored else [])
    assert capsys.readouterr().err == err


def test_without_span_lists_the_gold_functions_come_from_the_patch(mirrored: tuple[Path, str], tmp_path: Path) -> None:
    mirrors, commit = mirrored
    fix = "--- a/pkg/cart.py\n+++ b/pkg/cart.py\n@@ -2 +2 @@\n-    return sum(items)\n+    return sum(items, 0)\n"
    results = tmp_path / "results.jsonl"
    _evaluate_group("o/r", [dict(TASK, instance_id="o__r-1", base_commit=commit, patch=fix)], str(mirrors), "find",
                    None, str(results))
    (result,) = [json.loads(line) for line in results.read_text().splitlines()]
    assert (result["gold_functions"], result["function_gold"]) == (["pkg/cart.py::total"], "patch")
    assert summarise([result], "find", 1.0)["function_gold_from_patch"] == 1


def test_a_repository_without_a_mirror_is_left_out_and_named(
    mirrored: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One repository's missing mirror does not stop the others; none at all is a usage error (exit 2)."""
    mirrors, commit = mirrored
    dataset = tmp_path / "dataset.jsonl"
    rows = [dict(TASK, instance_id="o__r-1", base_commit=commit),
            dict(TASK, instance_id="x__y-1", repo="x/y", base_commit=commit)]
    dataset.write_text("".join(json.dumps(row) + "\n" for row in rows))
    results = tmp_path / "results.jsonl"
    assert main(["eval", "localize", "--dataset", str(dataset), "--mirrors", str(mirrors), "--results",
                 str(results)]) == 0
    assert [json.loads(line)["instance_id"] for line in results.read_text().splitlines()] == ["o__r-1"]
    assert "skipped 1 instance(s): no mirror of x/y in " in capsys.readouterr().err
    assert main(["eval", "localize", "--dataset", str(dataset), "--mirrors", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.startswith("codewright: no mirror of ")


def test_an_unknown_instance_id_is_a_usage_error(mirrored: tuple[Path, str], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A mistyped id evaluated nothing and printed an all-zero summary with exit 0."""
    mirrors, commit = mirrored
    dataset = tmp_path / "dataset.jsonl"
    dataset.write_text(json.dumps(dict(TASK, instance_id="o__r-1", base_commit=commit)) + "\n")
    args = ["eval", "localize", "--dataset", str(dataset), "--mirrors", str(mirrors), "--instances"]
    assert main([*args, "o__r-1", "o__r-2", "o__r-0"]) == 2
    assert capsys.readouterr().err == f"codewright: not in {dataset}: o__r-0, o__r-2\n"
    assert main([*args, "o__r-1,o__r-2"]) == 2  # a comma-separated list is read as the ids it holds
    assert capsys.readouterr().err == f"codewright: not in {dataset}: o__r-2\n"
