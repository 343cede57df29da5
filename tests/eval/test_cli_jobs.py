"""`-j/--jobs` of every eval command: one argparse type, so the same mistake reads the same everywhere.

eval edits said "--jobs 0: give at least 1", eval polyglot "-j must be at least 1", and eval localize took
-j 0 (or -5) as 1 without a word. Above 64 is refused too: -j 100000 forked that many processes at once.
"""

from __future__ import annotations

import pytest

from codewright.cli.main import main

COMMANDS = {  # each with what it requires besides, so only -j can be wrong
    "edits": ["--mirrors", "m"],
    "localize": ["--dataset", "d.jsonl", "--mirrors", "m"],
    "polyglot": ["--model", "openai/test-model"],
}


@pytest.mark.parametrize("spelling", ["-j", "--jobs"])
@pytest.mark.parametrize("value", ["0", "-2", "two", "", "65"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_jobs_that_is_no_count_is_the_same_usage_error_in_every_eval(
    capsys: pytest.CaptureFixture[str], command: str, value: str, spelling: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["eval", command, *COMMANDS[command], spelling, value])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"codewright eval {command}: error: argument -j/--jobs: must be a whole number from 1 to 64, not {value!r}"
    )
