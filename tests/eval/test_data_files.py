"""An evaluation's data file that cannot be used (not UTF-8, not a JSON object, a field missing or of the
wrong type) is refused with the file, the line and what is wrong, exit 2, before any work is done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codewright.cli.main import main

CASE = json.dumps({"case": "a/1", "files": {"main.py": ""}, "expected_callgraph": {}})
TASK = json.dumps({"instance_id": "o__r-1", "repo": "o/r", "base_commit": "abc"})
REPAIR = json.dumps({"source": "t", "function": "repair_json", "input": "{", "kwargs": {}, "expected": "{}"})


def lines(*texts: str | bytes) -> bytes:
    return b"".join((t if isinstance(t, bytes) else t.encode()) + b"\n" for t in texts)


# (argv, the files written under the test's folder, the file and line named, what is wrong)
CASES = {
    "callgraph: not UTF-8": (
        ["eval", "callgraph", "--data", "d.jsonl"], {"d.jsonl": lines(CASE, b"\xff\xfe")},
        "d.jsonl:2", "not UTF-8 text (byte 0xff)"),
    "callgraph: a field missing": (
        ["eval", "callgraph", "--data", "d.jsonl"], {"d.jsonl": lines(CASE, '{"case": "a/2", "expected_callgraph": {}}')},
        "d.jsonl:2", "no field 'files' (each line needs the fields case, files, expected_callgraph)"),
    "callgraph: a field of the wrong type": (
        ["eval", "callgraph", "--data", "d.jsonl"],
        {"d.jsonl": lines(CASE, '{"case": "a/2", "files": ["main.py"], "expected_callgraph": {}}')},
        "d.jsonl:2", "field 'files' should be an object, not an array"),
    "callgraph: a line that is no object": (
        ["eval", "callgraph", "--data", "d.jsonl"], {"d.jsonl": lines(CASE, "[1, 2]")},
        "d.jsonl:2", "not a JSON object but an array"),
    "localize: not UTF-8": (
        ["eval", "localize", "--dataset", "d.jsonl", "--mirrors", "mirrors"], {"d.jsonl": lines(b'{"\xe9": 1}')},
        "d.jsonl:1", "not UTF-8 text (byte 0xe9)"),
    "localize: a field missing": (
        ["eval", "localize", "--dataset", "d.jsonl", "--mirrors", "mirrors"], {"d.jsonl": lines('{"not": 1}')},
        "d.jsonl:1", "no field 'instance_id'"),
    "polyglot: not UTF-8": (
        ["eval", "polyglot", "--data", "d.jsonl", "--model", "openai/x"], {"d.jsonl": lines(b"\xff")},
        "d.jsonl:1", "not UTF-8 text (byte 0xff)"),
    "polyglot: a field missing": (
        ["eval", "polyglot", "--data", "d.jsonl", "--model", "openai/x"],
        {"d.jsonl": lines('{"exercise": "e", "instructions": "i", "solution_files": {}}')},
        "d.jsonl:1", "no field 'test_files'"),
    "json: not UTF-8": (
        ["eval", "json", "--data", "."], {"json_repair_py_cases.jsonl": lines(b"\xfe"), "jsontestsuite.jsonl": b""},
        "json_repair_py_cases.jsonl:1", "not UTF-8 text (byte 0xfe)"),
    "json: a field missing, found before the other set runs": (
        ["eval", "json", "--data", "."],
        {"json_repair_py_cases.jsonl": lines(REPAIR), "jsontestsuite.jsonl": lines('{"path": "p", "content_b64": ""}')},
        "jsontestsuite.jsonl:1", "no field 'expectation'"),
    "edits: not UTF-8": (
        ["eval", "edits", "--data", ".", "--mirrors", ".", "--tools", "codewright"],
        {"swe_bench_lite_test.jsonl": lines(b"\xff"), "swe_bench_agent_resolving_patches.jsonl": b""},
        "swe_bench_lite_test.jsonl:1", "not UTF-8 text (byte 0xff)"),
    "edits: a field missing": (
        ["eval", "edits", "--data", ".", "--mirrors", ".", "--tools", "codewright"],
        {"swe_bench_lite_test.jsonl": lines(TASK),
         "swe_bench_agent_resolving_patches.jsonl": lines('{"instance_id": "o__r-1", "submission": "s"}')},
        "swe_bench_agent_resolving_patches.jsonl:1", "no field 'patch'"),
    "edits: a patch of an instance the tasks lack": (
        ["eval", "edits", "--data", ".", "--mirrors", ".", "--tools", "codewright"],
        {"swe_bench_lite_test.jsonl": lines(TASK), "swe_bench_agent_resolving_patches.jsonl":
            lines('{"instance_id": "o__r-2", "submission": "s", "patch": ""}')},
        "swe_bench_agent_resolving_patches.jsonl", "instance(s) not in swe_bench_lite_test.jsonl: o__r-2"),
}


@pytest.mark.parametrize("argv, files, where, wrong", CASES.values(), ids=CASES.keys())
def test_unusable_data_is_refused_with_its_file_and_line_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    argv: list[str], files: dict[str, bytes], where: str, wrong: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"codewright: {where}: {wrong}") and err.count("\n") == 1  # one line, no traceback
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)  # no results, cache or work folder
