"""The sessions listing: ids whole at any width, one line per session, token counts rounded."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from rich.console import Console

from codewright.ui.tables import _compact, print_sessions

ROW = {"created": 1796503181.0, "outcome": "interrupted", "steps": 7, "input_tokens": 33_119,
       "cache_read_tokens": 27_739, "cache_write_tokens": 1_234, "cost": 0.0123, "task": "add a docstring to url_for and explain every argument"}


@pytest.mark.parametrize("width", [20, 40, 60, 80, 120])
def test_every_session_id_is_whole_on_one_line(width: int) -> None:
    """Under the fixed columns' width rich cut the last of them, and under 22 the id itself (COLUMNS=20)."""
    rows = [{**ROW, "id": f"20261205-20510{i}-36e80{i}"} for i in range(3)]
    out = io.StringIO()
    print_sessions(rows, Console(file=out, width=width, highlight=False))
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 + len(rows)
    assert lines[0].split()[:5] == ["id", "when", "outcome", "steps", "tokens"] and "cost" in lines[0]
    for row, line in zip(rows, lines[1:]):
        assert line.startswith(row["id"] + " ")
        assert line.split()[3:6] == ["interrupted", "7", "33.1k"] and "$0.0123" in line


def test_a_wide_terminal_shows_the_whole_row() -> None:
    """The prompt tokens read from and written to the provider's cache were in `sessions --json` only."""
    out = io.StringIO()
    print_sessions([{**ROW, "id": "20261205-205100-36e807"}], Console(file=out, width=160, highlight=False))
    assert out.getvalue().splitlines()[1].split()[4:] == ["7", "33.1k", "27.7k", "1.2k", "$0.0123",
                                                          *ROW["task"].split()]


@pytest.mark.parametrize("width, headers", [
    (80, ["id", "when", "outcome", "steps", "tokens", "cost", "task"]),
    (111, ["id", "when", "outcome", "steps", "tokens", "cost", "task"]),
    (112, ["id", "when", "outcome", "steps", "tokens", "cached", "written", "cost", "task"]),
], ids=["80 columns", "too narrow for 20 of the task", "room for 20 of the task"])
def test_the_cache_columns_are_shown_where_they_leave_room_for_the_task(width: int, headers: list[str]) -> None:
    """In 80 columns the two cache columns leave no room for the task, and every line wrapped: they are left out."""
    out = io.StringIO()
    print_sessions([{**ROW, "id": "20261205-205100-36e807"}], Console(file=out, width=width, highlight=False))
    lines = out.getvalue().splitlines()
    assert lines[0].split() == headers and max(len(line) for line in lines) <= width


@pytest.mark.parametrize("count, shown", [
    (0, "0"), (999, "999"), (1000, "1.0k"), (33_119, "33.1k"), (99_949, "99.9k"), (99_950, "100k"),
    (999_499, "999k"), (999_500, "1.00M"), (2_237_917, "2.24M"),
])
def test_token_counts_fit_six_characters(count: int, shown: str) -> None:
    assert _compact(count) == shown and len(shown) <= 6


@pytest.mark.parametrize("task, shown", [
    ("fix [/bold] the \x1b[2J screen", "fix [/bold] the [2J screen"),  # rich's MarkupError; ESC reached the terminal
    ("fix a.py:100:5 :ok:", "fix a.py:100:5 :ok:"),  # drawn as "fix a.py💯5 🆗", rich's emoji shortcodes
])
def test_a_task_is_shown_as_written_without_markup_emoji_or_terminal_control(task: str, shown: str) -> None:
    out = io.StringIO()
    print_sessions([{**ROW, "id": "20261205-205100-36e807", "task": task}], Console(file=out, width=160))
    assert out.getvalue().splitlines()[1].endswith(shown)
    assert "\x1b" not in out.getvalue()


def test_a_listing_into_a_pipe_shows_each_task_whole(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """rich drew 80 columns where no terminal gave a width: `codewright sessions | grep` saw each task cut to `The t…`."""
    from codewright.agent.session import SessionStore

    task = "The test test_add in test_calc.py fails. Fix the bug in calc."  # 61 characters: the listing shows 60
    store = SessionStore(tmp_path)
    store.create(task, "openai/test-model", "ask", kind="run")
    store.close()
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    listing = subprocess.run([sys.executable, "-m", "codewright", "sessions", "--repo", str(tmp_path)],
                             capture_output=True, text=True, check=True, env=env)
    header, row = listing.stdout.splitlines()[:2]
    assert row.endswith(" " + task[:60]) and header.split()[5:7] == ["cached", "written"]
