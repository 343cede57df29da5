"""Aider's search/replace blocks: a file path line, then

    <<<<<<< SEARCH
    lines as they are
    =======
    lines as they should be
    >>>>>>> REPLACE

usually inside a code fence. A block without its own path line reuses the previous block's.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from codewright.edit import confined
from codewright.edit.formats.whole import path_text, written_whole
from codewright.edit.model import Edit, EditError

# Models drift: more or fewer marker characters, blanks, lower case, aider's older ORIGINAL/UPDATED.
_HEAD = re.compile(r"^\s*<{4,12}[ \t]*(?:SEARCH|ORIGINAL)\b.*$", re.IGNORECASE)
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_TAIL = re.compile(r"^\s*>{4,12}[ \t]*(?:REPLACE|UPDATED)\b.*$", re.IGNORECASE)


def looks_like(text: str) -> bool:
    return any(_HEAD.match(line) for line in text.splitlines())


def parse(text: str, root: Path | None = None) -> list[Edit]:
    """The blocks' edits; with `root`, a path line naming something in the tree counts even without a
    dot or slash (see `_in_tree`)."""
    lines = text.replace("\r\n", "\n").split("\n")
    edits: list[Edit] = []
    path = None
    i = 0
    while i < len(lines):
        if not _HEAD.match(lines[i]):
            i += 1
            continue
        path = _path_before(lines, i, root) or path
        if path is None:
            raise EditError("A SEARCH/REPLACE block has no file path: put the path alone on the line "
                            "before the block's opening fence.")
        search, replace, i = _block(lines, i + 1, _text(root, path))
        edits.append(Edit(path, _join(search), _join(replace)))
        i += 1
    whole_files = written_whole(text)
    if edits and whole_files:
        raise EditError(f"The edits mix SEARCH/REPLACE blocks with a whole file ({whole_files[0]} in a fenced block); "
                        "send them in one format (a SEARCH/REPLACE block with an empty SEARCH creates a file). "
                        "Nothing changed.")
    return edits


def _block(lines: list[str], start: int, text: str | None) -> tuple[list[str], list[str], int]:
    """The block's SEARCH and REPLACE lines and the index of its closing marker.

    A file with `=======` lines of its own (reStructuredText headings, conflict markers) puts them in the
    block too, so a block may hold several divider lines. The divider is the last one whose SEARCH part
    is in the file as written: taking the first made `Title` alone the SEARCH of a heading's edit, and the
    heading was written twice.
    """
    i, dividers = start, []
    while i < len(lines) and not _TAIL.match(lines[i]) and not _HEAD.match(lines[i]):
        if _DIVIDER.match(lines[i]):
            dividers.append(i)
        i += 1
    if not dividers:
        raise EditError(f"A SEARCH/REPLACE block starting near line {start} is missing its `=======` line.")
    if i >= len(lines) or not _TAIL.match(lines[i]):
        raise EditError(f"A SEARCH/REPLACE block starting near line {start} is missing its `>>>>>>> REPLACE` "
                        "line.")
    found = [d for d in dividers if text is not None and _contains(text, lines[start:d])]
    divider = found[-1] if found else dividers[0]
    return lines[start:divider], lines[divider + 1:i], i


def _text(root: Path | None, path: str) -> str | None:
    """The file's text as the divider choice needs it, or None where it cannot be read."""
    data = None if root is None else confined.read_below(root, path)  # a path of the patch's, not checked yet
    return None if data is None else data.decode("utf-8", "replace")


def _contains(text: str, search: list[str]) -> bool:
    """Whether the SEARCH lines are consecutive lines of `text`, trailing blanks aside."""
    wanted = "\n".join(line.rstrip() for line in search)
    written = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
    return bool(wanted) and f"\n{wanted}\n" in f"\n{written}\n"


def _path_before(lines: list[str], i: int, root: Path | None = None) -> str | None:
    """The nearest plausible path among the three lines above the block (fences and blanks skipped).

    Scanning stops at the previous block's end: a block without its own path reuses the last one.
    """
    seen = 0
    for line in reversed(lines[max(0, i - 4):i]):
        if _TAIL.match(line) or _DIVIDER.match(line) or _HEAD.match(line):
            return None
        bare = line.strip()
        if bare.startswith("```"):
            bare = bare[3:].strip()
            if not _plausible(bare):
                continue
        if not bare:
            continue
        seen += 1
        candidate = path_text(bare)
        if _plausible(candidate) or _in_tree(root, candidate):
            return candidate
        if seen >= 3:
            break
    return None


def _plausible(name: str) -> bool:
    return bool(name) and " " not in name and ("." in name or "/" in name or name.endswith("file"))


def _in_tree(root: Path | None, name: str) -> bool:
    """Whether `name` (`LICENSE`, `sub`) exists in the tree: then it is the block's path, not prose, and a
    folder is refused by name when applied instead of the block seeming to have no path at all, or
    silently taking the previous block's."""
    return root is not None and bool(name) and " " not in name and os.path.exists(root / name)


def _join(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)
