"""JSON edits, as tool calls carry them: `old_string`/`new_string` (with `replace_all`), the
multi-edit form (`file_path` + `edits: [...]`), `old_str`/`new_str`, and whole files
(`path` + `content`). One object, a list of them, or `{"edits": [...]}`.

The JSON is read as the agent reads a tool call's arguments, with the drift models show repaired (newlines
written raw inside strings, trailing commas, single quotes, Python's True, a ```json fence), except a text cut
off before its closing bracket: repaired, a cut-off `content` was written as the whole file.
"""

from __future__ import annotations

import json
import re

from codewright.edit.model import Edit, EditError
from codewright.repair import RepairError, SchemaError, coerce, loads

_PATH_KEYS = ("file_path", "path", "filename", "file")
_FENCED = re.compile(r"```(?:json)?[ \t]*\n(.*)\n[ \t]*```", re.DOTALL | re.IGNORECASE)


def looks_like(text: str) -> bool:
    """Valid JSON that is an object or array, or JSON a model drifted from that holds edits."""
    bare = text.strip()
    if bare.startswith(("{", "[")):
        try:
            json.loads(bare)
            return True
        except (ValueError, RecursionError):
            pass
    try:
        data = _value(text)
    except EditError:
        return False
    items = data if isinstance(data, list) else [data]
    return bool(items) and all(isinstance(item, dict) and any(k in item for k in (*_PATH_KEYS, "edits"))
                               for item in items)


def parse(text: str) -> list[Edit]:
    data = _value(text)
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


def _value(text: str) -> object:
    """The JSON object or array of the text (see the module's docstring), or EditError."""
    bare = text.strip()
    fenced = _FENCED.fullmatch(bare)
    bare = fenced.group(1).strip() if fenced else bare
    if not bare.startswith(("{", "[")):
        raise EditError("The edit is not a JSON object or array.")
    if not bare.endswith(("}", "]")):
        raise EditError("The JSON edit stops before its closing bracket (was it cut off?); send it whole. Nothing "
                        "changed.")
    try:
        return loads(bare)
    except RepairError as exc:
        raise EditError(f"The edit is not valid JSON: {exc}.") from None


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
