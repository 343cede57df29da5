"""The normalised request, response and stream-event types every provider speaks.

The rest of codewright talks to models only through these: a provider translates
them to and from its wire protocol (OpenAI chat completions, Anthropic messages,
Ollama chat, the embedded local model), so the agent never sees a provider's quirks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass
class ToolSpec:
    """A tool the model may call: name, description and JSON Schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass
class ToolCall:
    """One call the model asked for. `arguments` is the raw JSON text as the model wrote it.

    `extra_content` is what an OpenAI-compatible server sent with the call beyond the standard fields, kept as
    it came and sent back with the call: Gemini's `{"google": {"thought_signature": ...}}`, without which its
    next request with the call's result is refused (400, "Function call is missing a thought_signature").
    """

    id: str
    name: str
    arguments: str
    extra_content: dict[str, Any] | None = None


@dataclass
class Reasoning:
    """Reasoning output kept so it can be passed back on tool turns.

    `signature` is Anthropic's thinking-block signature (required when the block is
    sent back); `redacted` holds an Anthropic redacted_thinking payload.
    """

    text: str = ""
    signature: str | None = None
    redacted: str | None = None


@dataclass
class Message:
    role: Role
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None  # for role == "tool": the call this answers
    name: str | None = None  # for role == "tool": the tool's name
    reasoning: list[Reasoning] = field(default_factory=list)
    cache_breakpoint: bool = False  # cache the prompt up to and including this message


@dataclass
class Request:
    messages: list[Message]
    model: str = ""  # alias or "provider/name"; the router resolves it
    tools: list[ToolSpec] = field(default_factory=list)
    tool_choice: Literal["auto", "none", "required"] | str = "auto"
    max_tokens: int | None = None
    temperature: float | None = None
    stop: list[str] = field(default_factory=list)
    response_format: dict[str, Any] | None = None  # e.g. {"type": "json_schema", "json_schema": {...}}
    thinking_budget: int | None = None


@dataclass
class Usage:
    """Tokens as the provider reports them. input_tokens counts every prompt token, cached or not."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    def __post_init__(self) -> None:
        """A count that is no count (negative, a string, a list) reads 0: one reply reporting -10**9 tokens took the
        totals below zero, and a budget never stopped the run; a string failed the sum with a traceback."""
        for name in _COUNTS:
            object.__setattr__(self, name, token_count(getattr(self, name)))

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )


def token_count(value: object) -> int:
    """A count of tokens as a server reported it, or 0 where it is no count (negative, a string, a list, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e15:
        return 0
    return int(value)


_COUNTS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")


@dataclass
class Response:
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    reasoning: list[Reasoning] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    finish_reason: str = "stop"  # stop | tool_calls | length | content_filter | error
    model: str = ""  # the concrete model that answered
    deployment: str = ""  # the router deployment that answered
    cost: float = 0.0  # USD, from the price table
    latency_s: float = 0.0
    ttft_s: float | None = None  # time to first token, streaming only
    estimated: bool = False  # the server reported no usage: `usage` was estimated from the text (accounting)

    def as_message(self) -> Message:
        """The assistant turn to append to the conversation (reasoning kept for tool turns)."""
        return Message("assistant", self.text, list(self.tool_calls), reasoning=list(self.reasoning))


@dataclass
class TextDelta:
    text: str


@dataclass
class ReasoningDelta:
    text: str


@dataclass
class ToolCallDelta:
    """A fragment of a streamed tool call; `index` tells calls of one turn apart."""

    index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass
class Completed:
    """The last event of every successful stream: the whole assembled response."""

    response: Response


@dataclass
class PromptProgress:
    """How much of the prompt the model has read, before its first token.

    A local model on a slow CPU can read a long prompt for minutes without a token: this
    event lets the consumer keep its time limit, Ctrl-C or a progress bar meanwhile.
    """

    processed: int
    total: int


StreamEvent = PromptProgress | TextDelta | ReasoningDelta | ToolCallDelta | Completed
