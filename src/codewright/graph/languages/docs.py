"""Documentation files split by heading into "doc" chunks.

Markdown (ATX `#` headings and setext underlines) and reStructuredText (a title line
underlined, optionally overlined, by one repeated punctuation character) share one
scanner; fenced code blocks are skipped. A section longer than SECTION_MAX_LINES is
split into parts that keep its heading as title.
"""

from __future__ import annotations

import posixpath
import re

from codewright.graph.facts import Chunk
from codewright.graph.languages.base import Source

SECTION_MAX_LINES = 150
_DOC_EXTENSIONS = (".md", ".markdown", ".rst")
_README_EXTENSIONS = ("", ".md", ".markdown", ".rst", ".txt", ".adoc", ".org")
_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+<>:._])\1{2,}[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def is_doc(path: str) -> bool:
    """README files anywhere, Markdown and reST files, and docs/**/*.txt (Sphinx sources)."""
    name = posixpath.basename(path).lower()
    if name.startswith("readme"):
        return posixpath.splitext(name)[1] in _README_EXTENSIONS
    if name.endswith(_DOC_EXTENSIONS):
        return True
    return name.endswith(".txt") and (path.startswith("docs/") or "/docs/" in path)


def doc_chunks(path: str, src: Source) -> list[Chunk]:
    """One chunk per section; text before the first heading is titled by the file name."""
    lines = src.lines
    headings = _headings(lines, markdown=not path.lower().endswith((".rst", ".txt")))
    starts = [(1, posixpath.basename(path))] + headings
    chunks: list[Chunk] = []
    for i, (first, title) in enumerate(starts):
        last = starts[i + 1][0] - 1 if i + 1 < len(starts) else len(lines)
        while first <= last and not lines[first - 1].strip():
            first += 1
        while last >= first and not lines[last - 1].strip():
            last -= 1
        for part in range(first, last + 1, SECTION_MAX_LINES):
            end = min(last, part + SECTION_MAX_LINES - 1)
            chunks.append(Chunk("doc", part, end, "\n".join(lines[part - 1:end]), None, title))
    return chunks


def _headings(lines: list[str], markdown: bool) -> list[tuple[int, str]]:
    """(first line of the heading, including an overline, 1-based; heading text)."""
    found: list[tuple[int, str]] = []
    fenced = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        if markdown:
            atx = _ATX.match(line)
            if atx:
                found.append((i + 1, atx.group(2).strip()))
                continue
        if i == 0 or not _UNDERLINE.match(line):
            continue
        title = lines[i - 1].rstrip()
        if not title.strip() or title[0].isspace() or _UNDERLINE.match(title):
            continue
        if len(line.rstrip()) < len(title) and not markdown:
            continue
        start = i
        if i >= 2 and lines[i - 2].rstrip() == line.rstrip():
            start = i - 1  # overline
        if found and found[-1][0] >= start:
            continue
        found.append((start, title.strip()))
    return found
