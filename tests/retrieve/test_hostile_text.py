"""Task text built to make find's patterns backtrack: each case but the repeated message took time by the square
of its size (from 5 s to over a minute at these sizes) and now takes a fraction of a second. The bound is loose on
purpose: a regression is a hundredfold, not a noisy machine's twofold. The repeated message ran one full-text
query per line, linear but with a cost per line that grows with the repository; it now runs one."""

from __future__ import annotations

import time

import pytest
from tests.retrieve.test_find import FILES
from tests.support.repos import indexed_repo

from codewright.graph.store import fts_query
from codewright.retrieve.find import find
from codewright.retrieve.mentions import parse_mentions
from codewright.retrieve.signals import task_messages

SECONDS = 5.0
MENTIONS = {
    "a run of blanks (the Rust frame pattern)": " " * 100_000,
    "lines padded with blanks": ("x" + " " * 2000 + "\n") * 500,
    "backticks with no line end (code blocks)": "```" * 40_000,
    "blank lines in a code block (import lines)": "```\n" + "\n" * 80_000 + "```",
    "one-space code spans (import lines)": "` ` " * 40_000,
    "a line full of parentheses (the Go frame pattern)": "f(x)" * 80_000,
    "many distinct absolute frame paths": "".join(
        f'  File "/srv/app/pkg/m{i}.py", line {i}, in f{i}\n    x()\n' for i in range(20_000)),
}


def _seconds(work, *args) -> float:
    started = time.perf_counter()
    work(*args)
    return time.perf_counter() - started


@pytest.mark.parametrize("text", MENTIONS.values(), ids=MENTIONS.keys())
def test_mentions_are_read_in_time_linear_in_the_text(text: str) -> None:
    assert _seconds(parse_mentions, text) < SECONDS


def test_error_messages_after_runs_of_blanks_are_read_in_linear_time() -> None:
    """Each blank after `Error:` gave a message too long to match another try: 1-2 s per MB."""
    text = ("ValueError:" + " " * 2000 + "x" * 250 + "\n") * 4000
    assert _seconds(lambda: list(task_messages(text))) < SECONDS


def test_an_fts_query_of_many_distinct_words_is_made_in_linear_time() -> None:
    assert _seconds(fts_query, " ".join(f"w{i}" for i in range(40_000))) < SECONDS


@pytest.mark.parametrize("text", [
    "```\nfrom " + "a." * 40_000 + "a import b\n```",  # each prefix of the module name was joined anew
    "".join(f"ValueError: the discount {i} does not match the cart total\n" for i in range(20_000)),  # one query
], ids=["a dotted import of 40,000 parts", "one error message repeated with other numbers"])
def test_find_answers_hostile_text_in_time(tmp_path, text: str) -> None:
    with indexed_repo(tmp_path, FILES) as index:
        assert _seconds(find, index, text) < SECONDS
