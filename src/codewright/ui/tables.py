"""Tables for listings (sessions): drawing only."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.table import Table


def print_sessions(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    table = Table(box=None, header_style="bold")
    for column in ("id", "when", "outcome", "steps", "tokens in", "cached", "cost", "task"):
        table.add_column(column, justify="right" if column in {"steps", "tokens in", "cached", "cost"} else "left")
    for row in rows:
        table.add_row(
            row["id"],
            time.strftime("%Y-%m-%d %H:%M", time.localtime(row["created"])),
            row["outcome"],
            str(row["steps"]),
            str(row["input_tokens"]),
            str(row["cache_read_tokens"]),
            f"${row['cost']:.4f}",
            row["task"][:60],
        )
    (console or Console(highlight=False)).print(table if rows else "no sessions yet")
