"""Builds one `Response` from streamed fragments, whatever the protocol.

Providers feed it text, reasoning and tool-call fragments as they arrive and forward the
events it returns; at the end `response()` gives the assembled turn. Tool calls are keyed
by their index in the turn, so argument fragments of several calls (or calls mixed with
text) always land in the right call.
"""

from __future__ import annotations

import time
from typing import Any

from codewright.gateway.types import (
    Reasoning,
    ReasoningDelta,
    Response,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)


class Assembler:
    def __init__(self, started: float | None = None) -> None:
        self.started = time.monotonic() if started is None else started
        self.ttft_s: float | None = None
        self._text: list[str] = []
        self._reasoning: list[Reasoning] = []
        self._calls: dict[int, list[str]] = {}  # index -> [id, name, arguments...]
        self._extra: dict[int, dict[str, Any]] = {}  # index -> the call's extra_content
        self._keys: dict[int, int] = {}  # a server's index -> the call its fragments go to, where two share it

    @property
    def has_output(self) -> bool:
        return self.ttft_s is not None

    @property
    def text(self) -> str:
        return "".join(self._text)

    def _mark(self) -> None:
        if self.ttft_s is None:
            self.ttft_s = time.monotonic() - self.started

    def add_text(self, text: str) -> TextDelta:
        _text(text, "text")
        self._mark()
        self._text.append(text)
        return TextDelta(text)

    def start_reasoning(self) -> None:
        """Begin a new reasoning block (Anthropic sends several, each with its signature)."""
        self._reasoning.append(Reasoning())

    def add_reasoning(self, text: str) -> ReasoningDelta:
        _text(text, "reasoning")
        self._mark()
        if not self._reasoning:
            self.start_reasoning()
        self._reasoning[-1].text += text
        return ReasoningDelta(text)

    def sign_reasoning(self, signature: str) -> None:
        if not self._reasoning:
            self.start_reasoning()
        self._reasoning[-1].signature = (self._reasoning[-1].signature or "") + signature

    def add_redacted(self, data: str) -> None:
        self._reasoning.append(Reasoning(redacted=data))

    def add_tool(self, index: int, id: str | None, name: str | None, arguments: str,
                 extra_content: dict[str, Any] | None = None) -> ToolCallDelta:
        _text(arguments, "tool call arguments")
        if not isinstance(index, int) or not all(isinstance(v, str) for v in (id or "", name or "")):
            raise TypeError(f"a tool call's index, id or name of the wrong type ({index!r}, {id!r}, {name!r})")
        self._mark()
        index = self._key(index, id)
        call = self._calls.setdefault(index, ["", ""])
        if extra_content:
            self._extra[index] = extra_content
        if id:
            call[0] = id
        if name:
            call[1] = name
        if arguments:
            call.append(arguments)
        return ToolCallDelta(index, id, name, arguments)

    def _key(self, index: int, id: str | None) -> int:
        """The call a fragment at `index` belongs to. Ollama's OpenAI API (and LiteLLM proxies) stream every
        parallel call at index 0, each with its own id: merged, they made one call with the last one's id and name
        and `{...}{...}` as arguments, of which JSON repair kept the last. A fragment whose id is not its index's
        call's begins a new call; those after it without an id continue it."""
        key = self._keys.get(index, index)
        call = self._calls.get(key)
        if call is not None and id and call[0] and id != call[0]:
            key = self._keys[index] = max(self._calls) + 1
        return key

    def tool_index(self, id: str | None) -> int:
        """The index of a tool-call fragment that names none (Gemini's OpenAI API sends none): one with an id
        other than the last call's begins a new call, one without continues the last call."""
        if not self._calls:
            return 0
        last = max(self._calls)
        return last + 1 if id and self._calls[last][0] and id != self._calls[last][0] else last

    def tool_calls(self) -> list[ToolCall]:
        return [
            ToolCall(c[0] or f"call_{i}", c[1], "".join(c[2:]), self._extra.get(i))
            for i, c in sorted(self._calls.items())
        ]

    def response(self, usage: Usage, finish_reason: str, model: str) -> Response:
        calls = self.tool_calls()
        if calls and finish_reason == "stop":
            finish_reason = "tool_calls"
        return Response(
            text=self.text,
            tool_calls=calls,
            reasoning=[r for r in self._reasoning if r.text or r.signature or r.redacted],
            usage=usage,
            finish_reason=finish_reason,
            model=model,
            latency_s=time.monotonic() - self.started,
            ttft_s=self.ttft_s,
        )


def _text(value: object, what: str) -> None:
    """A provider's piece of text that is no text (a number, an object) is refused as it arrives, where the
    provider reports a malformed answer; joined at the end it failed with a traceback."""
    if not isinstance(value, str):
        raise TypeError(f"{what} is a {type(value).__name__}, not a string")
