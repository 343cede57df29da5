"""Notice when a run is going round in circles, so it stops instead of burning the budget.

Two signs: the same action with the same observation several times in a row (the model
keeps doing one thing and nothing changes), and the same error message three times in the
run, even with other steps between (it keeps failing the same way).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

REPEATS = 3
_VOLATILE = re.compile(r"\d+(\.\d+)?s\b|0x[0-9a-f]+|pid \d+", re.IGNORECASE)


def _digest(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode("utf-8", "replace")).hexdigest()[:16]


def _canonical(arguments: str) -> str:
    """The arguments with keys in order, or as written where they are no JSON this can read (nested past the
    recursion limit too: the call's own error already went back to the model)."""
    try:
        return json.dumps(json.loads(arguments), sort_keys=True)
    except (ValueError, RecursionError):
        return arguments.strip()


@dataclass
class StuckDetector:
    recent: list[str] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def observe(self, name: str, arguments: str, output: str, ok: bool) -> str | None:
        """Record one tool call and its result; return why the run is stuck, or None."""
        observation = _VOLATILE.sub("#", output)
        self.recent = (self.recent + [_digest(name, _canonical(arguments), observation)])[-REPEATS:]
        if len(self.recent) == REPEATS and len(set(self.recent)) == 1:
            return f"the same {name} call returned the same result {REPEATS} times in a row"
        if not ok:
            key = self._error_key(output)
            self.errors[key] = self.errors.get(key, 0) + 1
            if self.errors[key] >= REPEATS:
                first = output.strip().splitlines()[0][:200] if output.strip() else name
                return f"the same error came back {REPEATS} times: {first}"
        return None

    def repeated(self, output: str) -> bool:
        """Has this error been seen more than once (the model should change its approach)?"""
        return self.errors.get(self._error_key(output), 0) > 1

    @staticmethod
    def _error_key(output: str) -> str:
        return _digest(_VOLATILE.sub("#", output).strip()[:2000])

    def to_dict(self) -> dict:
        return {"recent": self.recent, "errors": self.errors}

    @classmethod
    def from_dict(cls, data: dict) -> StuckDetector:
        return cls(list(data.get("recent", [])), dict(data.get("errors", {})))
