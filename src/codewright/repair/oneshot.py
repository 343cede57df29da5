"""One-shot repair: valid JSON at json.loads speed, anything else through the engine."""

from __future__ import annotations

import json

from codewright.repair.engine import Engine
from codewright.repair.errors import NoJSONFound

NOT_JSON = object()


def as_json(text: str) -> object:
    """json.loads's value when the text is JSON, or is JSON but for its opening brace
    (`"a": 1, "b": 2}`); otherwise NOT_JSON. Both parsers start here, so they agree."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    if text.lstrip()[:1] == '"' and text.rstrip()[-1:] == "}":
        try:
            return json.loads("{" + text)
        except (ValueError, RecursionError):
            pass
    return NOT_JSON


def loads(text: str | bytes) -> object:
    """Parse JSON as a model wrote it, repairing what is broken.

    Valid JSON gives exactly `json.loads`'s value. Raises NoJSONFound when the text holds
    no object or array, and TooDeep (both RepairError, a ValueError) for nesting beyond
    MAX_DEPTH levels.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    value = as_json(text)
    if value is not NOT_JSON:
        return value
    engine = Engine(final=True)
    engine.buf = text
    engine._budget = 8 * len(text) + 65536
    engine.run()
    return engine.result()


def repair_json(text: str | bytes) -> str:
    """The repaired text: valid JSON unchanged, otherwise the repaired value as compact JSON.

    Text with no JSON value in it gives "" (the convention of json_repair, so callers can
    test for emptiness); `loads` raises instead.
    """
    if isinstance(text, str):
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:
            return text
    try:
        value = loads(text)
    except NoJSONFound:
        return ""
    return json.dumps(value, ensure_ascii=False)
