"""What every tool returns: text for the model plus what the agent and the context engine need."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ToolResult:
    """One tool call's outcome.

    `content` goes to the model as is. `kind` tells compaction what it may re-derive
    (file_read, file_written, search, listing, lookup, output) and what it must keep
    (error); `denied` marks a call refused by permissions. `files_changed` are
    workspace-relative POSIX paths; `meta` carries structured extras (path, pid, port,
    exit code, syntax errors).
    """

    content: str
    ok: bool = True
    kind: str = "output"
    files_changed: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def error(cls, message: str, **meta: Any) -> ToolResult:
        return cls(message, ok=False, kind="error", meta=meta)

    @classmethod
    def denied(cls, reason: str) -> ToolResult:
        return cls(f"denied: {reason}", ok=False, kind="denied")


def cut_middle(text: str, head: int, tail: int, advice: str = "") -> str:
    """`text` whole if it has at most head + tail characters, else its first `head` and last `tail` with how many
    were left out between (and `advice`, after a colon, on asking for less)."""
    if len(text) <= head + tail:
        return text
    why = f": {advice}" if advice else ""
    return f"{text[:head]}\n[... {len(text) - head - tail} characters omitted{why} ...]\n{text[-tail:]}"
