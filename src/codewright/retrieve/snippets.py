"""The code a model should read first: the best-ranked functions' source, numbered.

Handing the model what `find` ranks highest in the first message saves the turns a
model spends searching, and is what lets a small local model fix a bug it would
otherwise hunt for. A small file is shown whole; otherwise the best functions are
shown with line numbers (as `read_file` shows them), within a character budget.
"""

from __future__ import annotations

from pathlib import Path

from codewright.retrieve.rank import PRIORS, Ranking

WHOLE_FILE_LINES = 80  # files up to this long are shown whole rather than cut into functions
MAX_FUNCTIONS = 3  # beyond the best few, more code costs the model more than it helps
MAX_FILES = 2
HEADER = "Code that is likely relevant to the task (ranked by `find`; read more with the tools):"


def render(root: Path, conn, ranking: Ranking, budget_chars: int = 6000) -> str:
    """Numbered source of the best files and functions, best first, never over `budget_chars`."""
    parts: list[str] = []
    used = 0
    shown: set[tuple[str, int, int]] = set()
    for path, start, end in _spans(conn, ranking):
        lines = _read_lines(root / path)
        if not lines:
            continue
        if len(lines) <= WHOLE_FILE_LINES:
            start, end = 1, len(lines)
        elif end is None:  # a big file with no function ranked: its best functions were shown already
            continue
        if any(p == path and s <= start and end <= e for p, s, e in shown):
            continue
        block = f"## {path} (lines {start}-{end})\n" + "".join(
            f"{n:4d}| {lines[n - 1]}" for n in range(start, min(end, len(lines)) + 1)
        )
        if used + len(block) > budget_chars:
            break
        parts.append(block)
        used += len(block)
        shown.add((path, start, end))
    return HEADER + "\n\n" + "\n".join(parts) if parts else ""


def _spans(conn, ranking: Ranking):
    """(path, start, end) of the best functions, then the best files (end None: the whole file if small)."""
    own_evidence = [h for h in ranking.functions if any(r.signal not in PRIORS and r.weight > 0 for r in h.reasons)]
    for hit in own_evidence[:MAX_FUNCTIONS]:
        row = conn.execute("SELECT start_line, end_line FROM symbols WHERE sid = ?", (hit.id,)).fetchone()
        if row:
            yield hit.path, row[0], row[1]
    for hit in ranking.files[:MAX_FILES]:
        yield hit.path, 1, None


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line if line.endswith("\n") else line + "\n" for line in text.splitlines()]
