"""Gold functions from a fix's patch, for datasets that do not list the spans a fix touches.

SWE-bench Lite's test split names them (`expected_spans_moatless`); its dev split and
SWE-bench itself do not. There the gold is derived from the patch: each changed line of
the old file (a pure insertion counts as the line before it) names the smallest class, or
outermost function, of the base tree around it; module-level lines name none. On Lite's
test split this agrees with the listed spans on 235 of 291 instances: a proxy, reported as
such, not the same measure.
"""

from __future__ import annotations

import re
import sqlite3

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def changed_lines(patch: str) -> dict[str, set[int]]:
    """Old path -> the old file's lines the patch removes or inserts after (1-based).

    A hunk's body is read by its header's counts, so a removed line that reads `-- x` is not
    taken for the next file's `--- a/...`."""
    changed: dict[str, set[int]] = {}
    path: str | None = None
    line_no = old_left = new_left = 0
    for line in patch.splitlines():
        if old_left or new_left:
            if line.startswith(("-", "+")) and path:
                changed.setdefault(path, set()).add(line_no if line[0] == "-" else max(line_no - 1, 1))
            if line.startswith("-"):
                line_no, old_left = line_no + 1, old_left - 1
            elif line.startswith("+"):
                new_left -= 1
            elif not line.startswith("\\"):  # context ("\ No newline at end of file" is neither)
                line_no, old_left, new_left = line_no + 1, old_left - 1, new_left - 1
        elif line.startswith("--- "):
            old = line[4:].split("\t")[0]
            path = old[2:] if old.startswith("a/") else None  # /dev/null: an added file
        elif hunk := _HUNK.match(line):
            line_no = int(hunk.group(1))
            old_left, new_left = (int(n) if n is not None else 1 for n in hunk.group(2, 3))
    return changed


def functions_changed(conn: sqlite3.Connection, patch: str) -> list[str]:
    """Symbol ids of the indexed base tree that the patch changes, as gold functions."""
    gold = set()
    for path, lines in changed_lines(patch).items():
        symbols = conn.execute(
            "SELECT s.sid, s.kind, s.start_line, s.end_line FROM symbols s JOIN files f ON f.id = s.file_id"
            " WHERE f.path = ? AND s.kind IN ('function', 'method', 'class')", (path,)).fetchall()
        for line in lines:
            around = sorted((s for s in symbols if s[2] <= line <= s[3]), key=lambda s: s[3] - s[2])
            functions = [s for s in around if s[1] != "class"]
            kept = [s for s in around if s[1] == "class"] + functions[-1:]  # a nested function: its outermost
            if kept:
                gold.add(min(kept, key=lambda s: s[3] - s[2])[0])
    return sorted(gold)
