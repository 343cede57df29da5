"""How a command prints its --json document: one printer, so that every command writes a name alike."""

from __future__ import annotations

import json
import sys


def print_json(doc: object, indent: int | None = None) -> None:
    """`doc` on standard output as one JSON document, every character as it is (UTF-8), as docs/cli.md says
    --json keeps names: `callers`, `callees`, `impact` and `apply` wrote `caf\\u00e9.py` where `refs` wrote
    `café.py`. A byte that was not UTF-8 (a lone surrogate from os) is written as U+FFFD by standard output's
    error handler (`cli.main`), which keeps the document UTF-8; escaped (`\\udcff`) it named no character.
    Written as `json.dump` makes it, piece by piece: one write of the whole document (a megabyte of `refs`)
    ended without the BrokenPipeError a reader that left (`| head`) must raise, and exited 0, not 141."""
    json.dump(doc, sys.stdout, ensure_ascii=False, indent=indent)
    sys.stdout.write("\n")
