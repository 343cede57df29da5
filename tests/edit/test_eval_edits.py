"""`codewright eval edits` end to end on a small mirror built here (CI has no real mirrors):
patches read at their base commit from the bare repository, damaged, applied by codewright
and git, summarised, and the summary checked against its schema in docs/cli.md."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from codewright.cli.main import main
from codewright.eval.damage import KINDS
from codewright.eval.edits import TOOLS, run_all, summarise
from codewright.eval.mirrors import find_mirror
from support.cli_schema import validate_strictly

SOURCE = "".join(f"def f{i}(x):\n    y = x * {i}\n    return y + {i}\n\n\n" for i in range(1, 15))


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    work = tmp_path / "work"
    (work / "pkg").mkdir(parents=True)
    (work / "pkg" / "m.py").write_text(SOURCE)
    _git(work, "init", "-q")
    _git(work, "add", ".")
    _git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    base = _git(work, "rev-parse", "HEAD").strip()
    (work / "pkg" / "m.py").write_text(SOURCE.replace("return y + 3\n", "return y - 3\n")
                                       .replace("    y = x * 11\n", "    y = x * 11\n    y += 1\n"))
    patch = _git(work, "diff")
    mirrors = tmp_path / "mirrors"
    mirrors.mkdir()
    _git(tmp_path, "clone", "-q", "--bare", str(work), str(mirrors / "acme+tool"))
    data = tmp_path / "data"
    data.mkdir()
    (data / "swe_bench_lite_test.jsonl").write_text(
        json.dumps({"instance_id": "acme__tool-1", "repo": "acme/tool", "base_commit": base}) + "\n")
    rows = [{"instance_id": "acme__tool-1", "submission": s, "patch": p}
            for s, p in (("plain", patch), ("broken", patch.replace("return y + 3", "return y + 333")))]
    (data / "swe_bench_agent_resolving_patches.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return data, mirrors


def _validate(summary: dict) -> None:
    """The summary checked against its schema, which must catch a field renamed, missing or added; a kind's
    outcomes are those of the tools run, no others."""
    validate_strictly("eval edits", summary, ["kinds.*", *(f"kinds.*.{tool}" for tool in TOOLS)])
    assert all(set(row) == {"n", *summary["tools"]} for row in summary["kinds"].values()), summary["kinds"]


def test_eval_edits_counts_clean_patches_and_every_damage(tmp_path):
    data, mirrors = _setup(tmp_path)
    summary = run_all(data, mirrors, 1, 5, None, tmp_path / "cache.jsonl", tools=("codewright", "git"))
    _validate(summary)
    assert summary["patches"] == 2 and summary["clean"] == 1
    assert summary["not_clean"][0]["key"].endswith(":broken")
    assert set(summary["kinds"]) == {"clean", *KINDS}
    for kind, row in summary["kinds"].items():
        assert row["n"] == 1 and row["codewright"]["wrong"] == 0, kind
    assert summary["kinds"]["clean"]["codewright"]["correct"] == 1
    assert summary["kinds"]["clean"]["git"]["correct"] == 1


def test_eval_edits_resumes_from_its_cache(tmp_path):
    data, mirrors = _setup(tmp_path)
    cache = tmp_path / "cache.jsonl"
    first = run_all(data, mirrors, 1, 5, 1, cache, tools=("codewright",))
    cache.write_text(cache.read_text().replace('"correct"', '"refused"'))
    again = run_all(data, mirrors, 1, 5, 1, cache, tools=("codewright",))
    assert first["kinds"]["clean"]["codewright"]["correct"] == 1
    assert again["kinds"]["clean"]["codewright"]["refused"] == 1  # read back, not recomputed


def test_eval_edits_command_prints_the_table(tmp_path, capsys):
    data, mirrors = _setup(tmp_path)
    code = main(["eval", "edits", "--mirrors", str(mirrors), "--data", str(data), "--tools", "codewright,git"])
    out = capsys.readouterr().out
    assert code == 0 and "| clean | 1 | 100.0% (0 / 0) | 100.0% (0 / 0) |" in out


def test_a_tool_named_twice_runs_and_counts_once(tmp_path, capsys):
    """`--tools git,git` ran git twice on each patch and counted both: 2 correct of n 1, and `git` twice in tools."""
    data, mirrors = _setup(tmp_path)
    code = main(["eval", "edits", "--mirrors", str(mirrors), "--data", str(data), "--tools", "git,git", "--json"])
    summary = json.loads(capsys.readouterr().out)
    _validate(summary)
    assert (code, summary["tools"], summary["kinds"]["clean"]) == (0, ["git"], {"n": 1, "git": {"correct": 1,
                                                                                               "wrong": 0,
                                                                                               "refused": 0}})


def test_peers_alone_are_summarised_without_codewright(tmp_path):
    data, mirrors = _setup(tmp_path)
    summary = run_all(data, mirrors, 1, 5, None, None, tools=("git",))
    _validate(summary)
    assert summary["kinds"]["clean"]["git"]["correct"] == 1 and summary["codewright_failures"] == []


def test_a_failure_of_codewright_is_listed_as_the_schema_says():
    """The small mirror's patches all apply: the failures' list and a refusal that changed files, read from a
    record as run_patch writes one."""
    record = {"key": "0:acme__tool-1:plain", "seed": 5, "tools": ["codewright", "git"], "clean": True,
              "kinds": {"clean": {"codewright": "refused-but-changed", "message": "no", "git": "correct"}}}
    summary = summarise([record], 5, ("codewright", "git"))
    _validate(summary)
    assert summary["codewright_failures"] == [{"key": "0:acme__tool-1:plain", "kind": "clean",
                                               "outcome": "refused-but-changed", "message": "no"}]
    assert summary["kinds"]["clean"]["codewright"] == {"correct": 0, "wrong": 0, "refused": 1}


@pytest.mark.parametrize("extra, message", [
    (["--cache", "/nonexistent/cache.jsonl"], "the folder /nonexistent does not exist"),
    (["--data", "/nonexistent"], "missing /nonexistent/swe_bench_lite_test.jsonl"),
])
def test_bad_arguments_are_one_line_usage_errors(tmp_path, capsys, extra, message):
    data, mirrors = _setup(tmp_path)
    assert main(["eval", "edits", "--mirrors", str(mirrors), "--data", str(data), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("codewright: ") and message in err and err.count("\n") == 1


def test_mirror_is_found_in_either_layout(tmp_path):
    (tmp_path / "swe-bench+big__repo" / "repo" / "objects").mkdir(parents=True)
    (tmp_path / "swe-bench+big__repo" / "repo" / "HEAD").write_text("ref: refs/heads/main\n")
    assert find_mirror(tmp_path, "big/repo") == tmp_path / "swe-bench+big__repo" / "repo"
