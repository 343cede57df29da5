"""Validate real `--json` output against the JSON Schemas published in docs/cli.md.

docs/cli.md holds, for each command, a heading `### codewright NAME ... --json` followed
by a ```json block with the schema. Tests look the schema up by the command's name, so
the document and the program cannot drift apart unnoticed.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import jsonschema

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
# the rest of the heading's line only: `\s` crossed the newline, so a heading of bare words (`### codewright models`)
# took its block's fence as its own text, and that block was never found
_SECTION = re.compile(r"^###[ \t]+`?codewright ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)*)`?(?:[ \t]+.*)?$", re.MULTILINE)
_BLOCK = re.compile(r"```json\n(.*?)\n```", re.DOTALL)


@lru_cache(maxsize=1)
def schemas() -> dict[str, dict]:
    text = DOC.read_text(encoding="utf-8")
    found: dict[str, dict] = {}
    heads = list(_SECTION.finditer(text))
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        block = _BLOCK.search(text, head.end(), end)
        if block:
            found[head.group(1).strip()] = json.loads(block.group(1))
    return found


def validate(command: str, output: object) -> None:
    """Raise if `output` (parsed JSON) does not match the schema documented for `command`."""
    schema = schemas().get(command)
    assert schema is not None, f"docs/cli.md has no JSON Schema for `codewright {command}`"
    jsonschema.validate(output, schema)
