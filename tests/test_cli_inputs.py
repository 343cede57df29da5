"""Every count a command is given (`--limit`, `--tokens`, `--depth`, `-k`, `--max-steps`, `-j`, ...) is read by one
argparse type, `cli.inputs.whole_number`, so the same mistake is refused in the same words whatever the option
(`-j` in every eval command: tests/eval/test_cli_jobs.py).

`symbols --limit 0` said "--limit must be at least 1" and `--limit x` "invalid int value: 'x'"; `map --tokens -1`
"--tokens must be zero or more"; `find -k`, `impact --depth` and `eval edits --limit` each in words of their own,
while `run --max-steps 0` said "must be a whole number of at least 1". `-j 100000` started 100000 processes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codewright.cli.main import build_parser, main

EDITS = ["eval", "edits", "--mirrors", "m"]  # what eval edits requires besides, so only the count is wrong


@pytest.mark.parametrize("argv, option, value, wanted", [
    (["symbols", "f", "--limit"], "--limit", "0", "of at least 1"),
    (["symbols", "f", "--limit"], "--limit", "-3", "of at least 1"),
    (["symbols", "f", "--limit"], "--limit", "x", "of at least 1"),
    (["symbols", "f", "--limit"], "--limit", "2.5", "of at least 1"),
    (["map", "--tokens"], "--tokens", "-1", "of at least 0"),
    (["map", "--tokens"], "--tokens", "many", "of at least 0"),
    (["impact", "f", "--depth"], "--depth", "0", "of at least 1"),
    (["impact", "f", "--depth"], "--depth", "deep", "of at least 1"),
    (["find", "task", "-k"], "-k", "0", "of at least 1"),
    (["find", "task", "-k"], "-k", "", "of at least 1"),
    ([*EDITS, "--limit"], "--limit", "0", "of at least 1"),
    ([*EDITS, "--limit"], "--limit", "all", "of at least 1"),
    (["sessions", "--limit"], "--limit", "-1", "of at least 1"),
    (["run", "fix it", "--max-steps"], "--max-steps", "0", "of at least 1"),
    ([*EDITS, "--jobs"], "-j/--jobs", "100000", "from 1 to 64"),
])
def test_a_count_that_is_out_of_range_or_no_number_is_one_usage_error_in_the_same_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    argv: list[str], option: str, value: str, wanted: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main([*argv, value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    command = " ".join(argv[:2] if argv[0] == "eval" else argv[:1])
    assert err.splitlines()[-1] == (
        f"codewright {command}: error: argument {option}: must be a whole number {wanted}, not {value!r}"
    )
    assert "Traceback" not in err and not (tmp_path / ".codewright").exists()  # refused before any index


@pytest.mark.parametrize("argv, dest, value", [
    (["map", "--tokens", "0"], "tokens", 0),
    (["symbols", "f", "--limit", "1"], "limit", 1),
    (["find", "task", "-k", " 7 "], "k", 7),
    (["symbols", "f", "--limit", str(2**63)], "limit", 2**31 - 1),  # what SQLite's LIMIT takes
    ([*EDITS, "-j", "64"], "jobs", 64),
])
def test_a_count_in_range_is_taken(argv: list[str], dest: str, value: int) -> None:
    assert getattr(build_parser(argv[0]).parse_args(argv), dest) == value
