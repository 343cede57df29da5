"""Reading an evaluation's JSON Lines data, checked line by line before any work starts.

A data file is given on the command line (`--data`, `--dataset`), so a wrong one is the
user's mistake: every problem is a usage error naming the file, the line and what is wrong
with it (not UTF-8, not JSON, not an object, a field missing or of the wrong type), instead
of a traceback from the middle of the evaluation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codewright.errors import UsageError

_JSON_NAMES = {str: "a string", dict: "an object", list: "an array", bool: "true or false",
               int: "a number", float: "a number", type(None): "null"}


def read_rows(path: Path, fields: dict[str, type]) -> list[dict[str, Any]]:
    """The objects of a JSON Lines file (blank lines skipped), each holding `fields` with their types."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    rows = []
    for n, raw in enumerate(data.split(b"\n"), 1):
        row = _parse(path, n, raw)
        if row is not None:
            _check(path, n, row, fields)
            rows.append(row)
    return rows


def _parse(path: Path, n: int, raw: bytes) -> dict[str, Any] | None:
    """One line's object; None for a blank line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}:{n}: not UTF-8 text (byte {raw[exc.start]:#04x})") from None
    if not text.strip():
        return None
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{n}: not JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise UsageError(f"{path}:{n}: not a JSON object but {_json_name(row)}")
    return row


def _check(path: Path, n: int, row: dict[str, Any], fields: dict[str, type]) -> None:
    """Each field is there and of its type; the message lists them all, so one fix mends every line."""
    for name, kind in fields.items():
        if name not in row:
            wanted = ", ".join(fields)
            raise UsageError(f"{path}:{n}: no field {name!r} (each line needs the fields {wanted})")
        if not isinstance(row[name], kind):
            raise UsageError(f"{path}:{n}: field {name!r} should be {_JSON_NAMES[kind]}, "
                             f"not {_json_name(row[name])}")


def _json_name(value: Any) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)
