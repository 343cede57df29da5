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

_COLUMNS = {"id": 22, "when": 11, "outcome": 11, "steps": 5, "tokens": 6, "cost": 7}  # the widths their values take
_LEFT = {"id", "when", "outcome"}
_FIXED_WIDTH = sum(_COLUMNS.values()) + 2 * len(_COLUMNS) + 1  # two spaces between columns, the task's "…"
TASK_CHARS = 60  # of a task, shown at most


def print_sessions(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    """Every column but the task is kept whole, the id above all (`--resume ID`); on a narrow
    terminal the task is cut short. Token counts are rounded (`sessions --json` has them exactly)."""
    console = console or _stdout_console()
    if not rows:
        console.print("no sessions yet")
        return
    # rich made room for a long task by cutting the other columns, min_width or not: under 80 columns steps and
    # tokens went, then cost, and under 22 the id itself (COLUMNS=20: 20261207-111219-f208). The task gets what
    # the others leave; narrower than they are, the table keeps its width and the terminal wraps its lines.
    table = Table(box=None, header_style="bold", pad_edge=False, width=_FIXED_WIDTH if console.width < _FIXED_WIDTH
                  else None)
    for column, width in _COLUMNS.items():
        table.add_column(column, justify="left" if column in _LEFT else "right", no_wrap=True, min_width=width)
    table.add_column("task", no_wrap=True, overflow="ellipsis", max_width=max(console.width - _FIXED_WIDTH + 1, 1))
    for row in rows:
        table.add_row(
            row["id"],
            time.strftime("%m-%d %H:%M", time.localtime(row["created"])),
            row["outcome"],
            str(row["steps"]),
            _compact(row["input_tokens"]),
            f"${row['cost']:.4f}",
            Text(shown(row["task"][:TASK_CHARS])),  # the user's words: no markup (`[/x]`), no emoji (`:100:`), no ESC
        )
    console.print(table, crop=False)


def _stdout_console() -> Console:
    """Standard output's console: a terminal's width, or room for a whole task where the listing goes to a pipe or
    a file (`codewright sessions | grep fix`): rich took 80 columns there, and each task was cut to five characters."""
    terminal = sys.stdout is not None and sys.stdout.isatty()
    return PipeSafeConsole(highlight=False, width=None if terminal else _FIXED_WIDTH + TASK_CHARS)


def _compact(count: int) -> str:
    """A token count in at most six characters: 950, 33.1k, 2.24M."""
    if count < 1000:
        return str(count)
    if count < 999_500:
        return f"{count / 1000:.1f}k" if count < 99_950 else f"{count / 1000:.0f}k"
    return f"{count / 1e6:.2f}M"
