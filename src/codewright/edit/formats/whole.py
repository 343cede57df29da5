"""Whole-file writes: a path alone on a line, then a fenced block with the file's full content.

A fence cannot say whether the content ends with a newline, so an existing file keeps its own
final newline (or lack of one). Two shapes that look like whole files are not taken as such,
since writing them would replace the file with an edit's text: a block holding `<<<<<<<` and
`>>>>>>>` lines (a SEARCH/REPLACE block whose markers drifted past recognition) is refused, and
a ```diff block under a path line is read as a bare hunk of that file.
"""

from __future__ import annotations

import re

from codewright.edit.formats.unified import bare_hunk
from codewright.edit.model import Edit, EditError

_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")
_MARKERS = (re.compile(r"^\s*<{4,}"), re.compile(r"^\s*>{4,}"))
_DIFF_TAGS = frozenset({"diff", "patch", "udiff"})
_SHELL_TAGS = frozenset({"bash", "sh", "shell", "console", "sh-session"})
_DECORATION = "*`#: \t"  # Markdown around a path line: **app.py**, `app.py`:, ### app.py
_LABEL = re.compile(r"(?:file(?:name)?|path)\s*:", re.IGNORECASE)


def looks_like(text: str) -> bool:
    return bool(_blocks(text))


def parse(text: str) -> list[Edit]:
    edits: list[Edit] = []
    for path, tag, lines in _blocks(text):
        if tag in _DIFF_TAGS and not path.endswith((".diff", ".patch")):
            edits.extend(bare_hunk(path, lines))
            continue
        if all(any(marker.match(line) for line in lines) for marker in _MARKERS):
            raise EditError(f"{path}: the block holds `<<<<<<<` and `>>>>>>>` lines but no SEARCH/REPLACE block this "
                            "parser knows; write `<<<<<<< SEARCH`, `=======` and `>>>>>>> REPLACE` exactly. Nothing "
                            "changed (the block was not written as the whole file).")
        edits.append(Edit(path, None, "".join(line + "\n" for line in lines)))
    return edits


def written_whole(text: str) -> list[str]:
    """The paths of the blocks that read as whole files (no conflict-style markers, no shell session): another
    format's parser must not drop them unseen."""
    return [path for path, tag, lines in _blocks(text) if tag not in _SHELL_TAGS
            and not any(marker.match(line) for marker in _MARKERS for line in lines)]


def _blocks(text: str) -> list[tuple[str, str, list[str]]]:
    """(path, the fence's language tag, the lines inside) of each fenced block under a path line."""
    lines = text.replace("\r\n", "\n").split("\n")
    found = []
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        path = _path(lines[i - 1]) if fence and i > 0 else None
        if not path:
            i += 1
            continue
        end = _closing(lines, i + 1, fence.group(1))
        if end is None:
            break
        found.append((path, fence.group(2).lower(), lines[i + 1:end]))
        i = end + 1
    return found


def _closing(lines: list[str], start: int, opener: str) -> int | None:
    """The line that closes a block opened by `opener` (a run of backticks or tildes). A fence with a language
    tag inside it opens a nested block (a README's ```bash example), which its own bare fence closes: the first
    bare fence had ended the file there, and what followed was dropped unseen. A bare fence shorter than the
    opener is content, as CommonMark reads it."""
    depth = 0
    for k in range(start, len(lines)):
        fence = _FENCE.match(lines[k])
        if not fence or fence.group(1)[0] != opener[0]:
            continue
        if fence.group(2):
            depth += 1
        elif lines[k].strip() == fence.group(1) and len(fence.group(1)) >= len(opener):
            if depth == 0:
                return k
            depth -= 1
        elif lines[k].strip() == fence.group(1) and depth:
            depth -= 1
    return None


def _path(line: str) -> str | None:
    bare = path_text(line)
    if not bare or " " in bare or ("." not in bare and "/" not in bare):
        return None
    return bare


def path_text(line: str) -> str:
    """A path line without its Markdown: `### `app.py``, `**app.py**:`, `File: app.py` give app.py. Stripping
    `*`#:` and then blanks once left a backtick after a heading's `### `: a file named "`app.py" was written."""
    bare = line.strip(_DECORATION)
    label = _LABEL.match(bare)
    return bare[label.end():].strip(_DECORATION) if label else bare
