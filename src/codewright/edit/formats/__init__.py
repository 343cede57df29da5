"""Parsers from a model's text to `Edit`s, one module per format, and automatic detection."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from codewright.edit.formats import begin_patch, search_replace, structured, unified, whole
from codewright.edit.model import Edit, EditError

FORMATS = {
    "patch": begin_patch,
    "search-replace": search_replace,
    "json": structured,
    "udiff": unified,
    "whole": whole,
}
ALIASES = {"apply-patch": "patch", "begin-patch": "patch", "diff": "udiff", "unified": "udiff",
           "search": "search-replace", "sr": "search-replace", "old-new": "json"}


def parse_text(text: str, format: str | None = None, root: Path | None = None) -> tuple[str, list[Edit]]:
    """(format name, edits); the format is detected (in FORMATS' order) unless named.

    `root`, the tree the edits are for, lets a search/replace block's path line name a file or folder
    without a dot or slash (`LICENSE`, `sub`), and a plain diff's two names pick the one that exists;
    the other formats mark their paths and ignore it.
    """
    if format is not None:
        name = ALIASES.get(format, format)
        if name not in FORMATS:
            raise EditError(f"Unknown edit format {format!r}; use one of {', '.join(FORMATS)}.")
    else:
        name = next((n for n, module in FORMATS.items() if module.looks_like(text)), None)
        if name is None:
            raise EditError("Could not recognise the edits: send SEARCH/REPLACE blocks, a unified diff, a "
                            "`*** Begin Patch` patch, JSON old_string/new_string, or a path line followed by "
                            "a fenced whole file.")
    parse = partial(FORMATS[name].parse, root=root) if name in ("search-replace", "udiff") else FORMATS[name].parse
    edits = parse(text)
    if not edits:
        raise EditError(f"No edits found in the input (read as {name}); nothing changed.")
    return name, edits
