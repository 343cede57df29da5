"""Tables for listings (sessions): drawing only."""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from codewright.ui.stdout import PipeSafeConsole
from codewright.ui.terminal import shown

_COLUMNS = {"id": 22, "when": 11, "outcome": 11, "steps": 5, "tokens": 6, "cached": 6, "written": 7, "cost": 7}
"""The widths their values take. `cached` and `written`: the prompt tokens read from and written to the provider's
cache, which only `sessions --json` had."""
_CACHE = {"cached", "written"}
_NARROW = {column: width for column, width in _COLUMNS.items() if column not in _CACHE}
_LEFT = {"id", "when", "outcome"}
TASK_CHARS = 60  # of a task, shown at most
TASK_ROOM = 20  # of a task, left at least by the cache columns on a terminal


def _width(columns: dict[str, int]) -> int:
    """The columns' width: two spaces between columns, and the task's "…"."""
    return sum(columns.values()) + 2 * len(columns) + 1


_FULL_WIDTH = _width(_COLUMNS)


def _columns(width: int) -> dict[str, int]:
    """The columns a terminal of this width shows: the cache columns only where they leave TASK_ROOM characters of
    the task; in 80 columns they would leave none, and every line would wrap."""
    return _COLUMNS if width >= _FULL_WIDTH + TASK_ROOM else _NARROW


def print_sessions(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    """Every column but the task is kept whole, the id above all (`--resume ID`); on a narrow
    terminal the task is cut short, and the cache columns left out. Token counts are rounded (`sessions --json`
    has them exactly)."""
    console = console or _stdout_console()
    if not rows:
        console.print("no sessions yet")
        return
    # rich made room for a long task by cutting the other columns, min_width or not: under 80 columns steps and
    # tokens went, then cost, and under 22 the id itself (COLUMNS=20: 20261207-111219-f208). The task gets what
    # the others leave; narrower than they are, the table keeps its width and the terminal wraps its lines.
    columns = _columns(console.width)
    fixed = _width(columns)
    table = Table(box=None, header_style="bold", pad_edge=False, width=fixed if console.width < fixed else None)
    for column, width in columns.items():
        table.add_column(column, justify="left" if column in _LEFT else "right", no_wrap=True, min_width=width)
    table.add_column("task", no_wrap=True, overflow="ellipsis", max_width=max(console.width - fixed + 1, 1))
    for row in rows:
        cells = _cells(row)
        # the task is the user's words: no markup (`[/x]`), no emoji (`:100:`), no ESC
        table.add_row(*(cells[column] for column in columns), Text(shown(row["task"][:TASK_CHARS])))
    console.print(table, crop=False)


def _cells(row: dict[str, Any]) -> dict[str, str]:
    """A session's row, column by column."""
    return {
        "id": row["id"],
        "when": time.strftime("%m-%d %H:%M", time.localtime(row["created"])),
        "outcome": row["outcome"],
        "steps": str(row["steps"]),
        "tokens": _compact(row["input_tokens"]),
        "cached": _compact(row["cache_read_tokens"]),
        "written": _compact(row["cache_write_tokens"]),
        "cost": f"${row['cost']:.4f}",
    }


def _stdout_console() -> Console:
    """Standard output's console: a terminal's width, or room for a whole task where the listing goes to a pipe or
    a file (`codewright sessions | grep fix`): rich took 80 columns there, and each task was cut to five characters."""
    terminal = sys.stdout is not None and sys.stdout.isatty()
    return PipeSafeConsole(highlight=False, width=None if terminal else _FULL_WIDTH + TASK_CHARS)


def _compact(count: int) -> str:
    """A token count in at most six characters: 950, 33.1k, 2.24M."""
    if count < 1000:
        return str(count)
    if count < 999_500:
        return f"{count / 1000:.1f}k" if count < 99_950 else f"{count / 1000:.0f}k"
    return f"{count / 1e6:.2f}M"
