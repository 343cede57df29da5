"""Validate real `--json` output against the JSON Schemas published in docs/cli.md.

docs/cli.md holds, for each command, a heading `### codewright NAME ... --json` followed
by a ```json block with the schema. Tests look the schema up by the command's name, so
the document and the program cannot drift apart unnoticed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
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


def validate_strictly(command: str, output: object, loose: Collection[str] = ()) -> None:
    """`validate`, and check that the schema would catch a field renamed, missing or added: every copy of
    `output` with one object's key dropped, or an unknown key put in one of its objects, must fail validation.
    A schema that lists no field as required, or takes any extra one, passes real output all the same.
    `loose` names, as dotted paths (`[]` for a list's items, `*` for any key), the keys that may be missing:
    a field present only in some outputs (`error`), a map's data keys (`phases.*`)."""
    validate(command, output)
    schema = schemas()[command]
    checker = jsonschema.validators.validator_for(schema)(schema)
    for path, variant in _variants(output, ()):
        if path is not None and any(_matches(path, pattern.split(".")) for pattern in loose):
            continue
        what = f"without {'.'.join(path)}" if path is not None else "with an unknown key"
        assert not checker.is_valid(variant), (
            f"the schema of `codewright {command}` takes its output {what}")


def _variants(value: object, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...] | None, object]]:
    """Copies of `value`, each with one object's one key dropped (with that key's path) or one unknown key
    added (path None)."""
    if isinstance(value, dict):
        for key in value:
            yield (*path, key), {k: v for k, v in value.items() if k != key}
        yield None, {**value, "unknown_key": {"unknown": None}}
        for key, item in value.items():
            for where, sub in _variants(item, (*path, key)):
                yield where, {**value, key: sub}
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for where, sub in _variants(item, (*path[:-1], path[-1] + "[]") if path else ("[]",)):
                yield where, [*value[:i], sub, *value[i + 1:]]


def _matches(path: tuple[str, ...], pattern: list[str]) -> bool:
    return len(path) == len(pattern) and all(p in ("*", part) for part, p in zip(path, pattern, strict=True))
