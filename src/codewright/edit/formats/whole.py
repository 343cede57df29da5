"""Whole-file writes: a path alone on a line, then a fenced block with the file's full content."""

from __future__ import annotations

import re

from codewright.edit.model import Edit

_FENCE = re.compile(r"^(`{3,}|~{3,})")


def looks_like(text: str) -> bool:
    return bool(_blocks(text))


def parse(text: str) -> list[Edit]:
    return [Edit.whole(path, content) for path, content in _blocks(text)]


def _blocks(text: str) -> list[tuple[str, str]]:
    lines = text.replace("\r\n", "\n").split("\n")
    found = []
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        path = _path(lines[i - 1]) if fence and i > 0 else None
        if not path:
            i += 1
            continue
        end = next((k for k in range(i + 1, len(lines)) if lines[k].strip() == fence.group(1)), None)
        if end is None:
            break
        found.append((path, "".join(line + "\n" for line in lines[i + 1:end])))
        i = end + 1
    return found


def _path(line: str) -> str | None:
    bare = line.strip().strip("*`#:").strip()
    if not bare or " " in bare or ("." not in bare and "/" not in bare):
        return None
    return bare
