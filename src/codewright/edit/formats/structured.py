"""JSON edits, as tool calls carry them: `old_string`/`new_string` (with `replace_all`), the
multi-edit form (`file_path` + `edits: [...]`), `old_str`/`new_str`, and whole files
(`path` + `content`). One object, a list of them, or `{"edits": [...]}`.
"""

from __future__ import annotations

import json

from codewright.edit.model import Edit, EditError
from codewright.repair import SchemaError, coerce

_PATH_KEYS = ("file_path", "path", "filename", "file")


def looks_like(text: str) -> bool:
    bare = text.strip()
    if not bare.startswith(("{", "[")):
        return False
    try:
        json.loads(bare)
    except (ValueError, RecursionError):
        return False
    return True


def parse(text: str) -> list[Edit]:
    try:
        data = json.loads(text.strip())
    except ValueError as exc:
        raise EditError(f"The edit is not valid JSON: {exc}.") from None
    except RecursionError:
        raise EditError("The edit is JSON nested too deeply to read.") from None
    items = data if isinstance(data, list) else [data]
    edits: list[Edit] = []
    for item in items:
        edits.extend(_from_object(item, None))
    return edits


def _from_object(item: object, path: str | None) -> list[Edit]:
    if not isinstance(item, dict):
        raise EditError(f"Each edit must be a JSON object; got {type(item).__name__}.")
    path = next((item[k] for k in _PATH_KEYS if isinstance(item.get(k), str)), path)
    if isinstance(item.get("edits"), list):
        return [e for sub in item["edits"] for e in _from_object(sub, path)]
    if path is None:
        raise EditError(f"An edit names no file: give one of {', '.join(_PATH_KEYS)}.")
    old = item.get("old_string", item.get("old_str"))
    new = item.get("new_string", item.get("new_str"))
    if isinstance(old, str) and isinstance(new, str):
        if old == new:
            raise EditError(f"{path}: old_string and new_string are the same; nothing to change.")
        if not old:
            raise EditError(f"{path}: old_string is empty; to create or overwrite the file, send its whole "
                            "content instead.")
        return [Edit(path, old, new, replace_all=_flag(item.get("replace_all"), path), text_match=True)]
    if isinstance(item.get("content"), str):
        return [Edit.whole(path, item["content"])]
    raise EditError(f"{path}: an edit needs old_string and new_string (strings), or content.")


def _flag(value: object, path: str) -> bool:
    """`replace_all` as a flag, read as a tool call's boolean is: the string "false" (which bool() reads as true)
    replaced every occurrence."""
    if value is None:
        return False
    try:
        return coerce(value, {"type": "boolean"})
    except SchemaError:
        raise EditError(f"{path}: replace_all must be true or false, not {json.dumps(value)}; nothing "
                        "changed.") from None
