"""One-shot repair: valid JSON at json.loads speed, anything else through the engine."""

from __future__ import annotations

import json

from codewright.repair.engine import Engine
from codewright.repair.errors import NoJSONFound


def loads(text: str | bytes) -> object:
    """Parse JSON as a model wrote it, repairing what is broken.

    Valid JSON gives exactly `json.loads`'s value. Raises NoJSONFound when the text holds
    no object or array, and TooDeep (both RepairError, a ValueError) for nesting beyond
    MAX_DEPTH levels.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
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
