"""Tables for listings (sessions): drawing only."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.table import Table

from codewright.ui.stdout import PipeSafeConsole
from codewright.ui.terminal import escape

_COLUMNS = {"id": 22, "when": 11, "outcome": 11, "steps": 5, "tokens": 6, "cost": 7}  # the widths their values take
_LEFT = {"id", "when", "outcome"}


def print_sessions(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    """Every column but the task is kept whole, the id above all (`--resume ID`); on a narrow
    terminal the task is cut short. Token counts are rounded (`sessions --json` has them exactly)."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column, width in _COLUMNS.items():
        table.add_column(column, justify="left" if column in _LEFT else "right", no_wrap=True, min_width=width)
    table.add_column("task", no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(
            row["id"],
            time.strftime("%m-%d %H:%M", time.localtime(row["created"])),
            row["outcome"],
            str(row["steps"]),
            _compact(row["input_tokens"]),
            f"${row['cost']:.4f}",
            escape(row["task"][:60]),  # the user's words: `[/x]` is no markup, ESC drives no terminal
        )
    (console or PipeSafeConsole(highlight=False)).print(table if rows else "no sessions yet")


def _compact(count: int) -> str:
    """A token count in at most six characters: 950, 33.1k, 2.24M."""
    if count < 1000:
        return str(count)
    if count < 999_500:
        return f"{count / 1000:.1f}k" if count < 99_950 else f"{count / 1000:.0f}k"
    return f"{count / 1e6:.2f}M"
