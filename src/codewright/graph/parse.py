"""The work one worker process does for one file: read, hash, extract, flatten to rows.

Runs in a process pool on a cold index, so it returns plain tuples (cheap to pickle)
rather than the FileFacts dataclasses, and it already computes what the writer would
otherwise spend the main process on: line counts and the split identifiers for FTS.
References, the bulk, travel as columns that the writer zips into rows in C.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path

from codewright.graph.facts import FileFacts
from codewright.graph.files import read_file
from codewright.graph.store import identifier_words

_REF_COLUMNS = ("name", "line", "col", "kind", "qualifier", "scope")
NO_REFS: tuple = ((),) * len(_REF_COLUMNS)

Extractor = Callable[[str, bytes, "str | None"], FileFacts]


@dataclass
class Parsed:
    path: str
    hash: str
    lines: int
    language: str | None
    skipped: str | None = None  # reason the file was left out (binary, unreadable)
    symbols: list[tuple] = field(default_factory=list)
    imports: list[tuple] = field(default_factory=list)
    refs: tuple = NO_REFS  # columns, one tuple each: names, lines, cols, kinds, qualifiers, scopes
    chunks: list[tuple] = field(default_factory=list)
    annotations: list[tuple] = field(default_factory=list)  # Annotation's fields in order
    errors: list[str] = field(default_factory=list)


_LONE_CR = re.compile(rb"\r(?!\n)")
"""A line ending of old Mac files that Python reads as one but tree-sitter does not (every symbol of such a file
was on line 1, the file a syntax error): each becomes \n, one byte for one, so offsets and columns hold."""


def default_extractor() -> Extractor:
    from codewright.graph.extract import extract

    return extract


def parse_file(job: tuple[str, str, str | None], extractor: Extractor | None = None) -> Parsed:
    """job = (root, path, python module or None)."""
    root, path, module = job
    try:
        content = read_file(Path(root), path)
    except OSError as exc:
        return Parsed(path, "", 0, None, skipped=f"unreadable: {exc.strerror}")
    if content.binary:
        return Parsed(path, content.hash, 0, None, skipped="binary")
    data = _LONE_CR.sub(b"\n", content.data) if b"\r" in content.data else content.data
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    try:
        facts = (extractor or default_extractor())(path, data, module)
    except Exception as exc:  # noqa: BLE001 - an extractor bug must not lose the rest of the tree
        return Parsed(path, content.hash, lines, None, errors=[f"extraction failed: {exc!r}"])
    return flatten(facts, content.hash, lines)


def flatten(facts: FileFacts, hash_: str, lines: int) -> Parsed:
    return Parsed(
        facts.path,
        hash_,
        lines,
        facts.language,
        symbols=[
            (s.id, s.name, s.qualname, s.kind, s.start_line, s.end_line, s.start_col, s.end_col,
             s.signature, s.doc, s.parent)
            for s in facts.symbols
        ],
        imports=[(i.module, ",".join(i.names), i.alias, i.line, i.level, i.scope) for i in facts.imports],
        refs=tuple(tuple(map(attrgetter(column), facts.references)) for column in _REF_COLUMNS),
        chunks=[
            (c.kind, c.start_line, c.end_line, c.symbol, c.title, c.text, identifier_words(c.text))
            for c in facts.chunks
        ],
        annotations=[(a.scope, a.name, a.line, a.type_name, a.type_qualifier, a.col, a.end_line, a.end_col)
                     for a in facts.annotations],
        errors=list(facts.errors),
    )
