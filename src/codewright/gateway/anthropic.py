"""Anthropic messages API.

Cache breakpoints become `cache_control` on the last block of the marked message (the
API takes at most four: the first and the last three are kept). Thinking blocks are kept
with their signatures and sent back first in the assistant turn, as tool use with
thinking requires; reasoning without a signature (from another provider) is dropped
because Anthropic would reject it. Usage is normalised so `input_tokens` counts every
prompt token: Anthropic's own `input_tokens` excludes cache reads and writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from codewright.gateway.assemble import Assembler
from codewright.gateway.http import HttpProvider, iter_sse, parse_json, shaped, status_kind
from codewright.gateway.provider import ProviderError
from codewright.gateway.types import (
    Completed,
    Message,
    Reasoning,
    Request,
    Response,
    StreamEvent,
    ToolCall,
    Usage,
    token_count,
)

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
MAX_BREAKPOINTS = 4
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "tool_use": "tool_calls", "max_tokens": "length",
           "refusal": "content_filter", "pause_turn": "stop"}
_EPHEMERAL = {"type": "ephemeral"}
_ERROR_STATUS = {"invalid_request_error": 400, "authentication_error": 401, "billing_error": 402,
                 "permission_error": 403, "not_found_error": 404, "request_too_large": 413,
                 "rate_limit_error": 429, "api_error": 500, "timeout_error": 504, "overloaded_error": 529}
"""The HTTP status each of Anthropic's error types comes with, for an error sent inside a 200 answer."""


def _arguments(raw: str) -> dict[str, Any]:
    """A call's arguments as the object the API takes; text that is none (too deeply nested included) is sent
    as no arguments, where nesting past the parser's depth raised out of building the next request."""
    try:
        value = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def api_error(obj: dict[str, Any], started: bool, where: str) -> ProviderError:
    """An error object sent after a 200 (an `event: error` in a stream), classified as the same error sent as
    its HTTP status would be: a rate_limit_error is rate limiting as a 429 is, an overloaded_error is a busy
    server as a 529 is. A rate_limit_error was a server error; an authentication_error, a not_found_error
    and a prompt too long were requests refused, where a 401, 404 or overflow goes on to the fallbacks.

    A type not in the table (Anthropic says its types will grow) is a server error, retried as an api_error is:
    it came with no status to go by, and a request at fault is Anthropic's invalid_request_error "also for
    other 4XX status codes", so a new name is most likely a new way to fail on their side. It was a request
    refused, and a new transient error ended the run where a retry would have answered. (An error answer
    with its own HTTP status is classed by that status, whatever its type.)"""
    err = obj.get("error")
    err = err if isinstance(err, dict) else {}
    message = f"{where}: {err.get('type')}: {err.get('message')}"
    status = _ERROR_STATUS.get(str(err.get("type")), 500)
    return ProviderError(message, status_kind(status, message), status=status, started=started)


def _blocks(m: Message) -> list[dict[str, Any]]:
    if m.role == "tool":
        return [{"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.content}]
    out: list[dict[str, Any]] = []
    if m.role == "assistant":
        for r in m.reasoning:
            if r.redacted:
                out.append({"type": "redacted_thinking", "data": r.redacted})
            elif r.signature:
                out.append({"type": "thinking", "thinking": r.text, "signature": r.signature})
    if m.content:
        out.append({"type": "text", "text": m.content})
    for c in m.tool_calls:
        out.append({"type": "tool_use", "id": c.id, "name": c.name, "input": _arguments(c.arguments)})
    return out


def _kept_breakpoints(messages: list[Message]) -> set[int]:
    marked = [i for i, m in enumerate(messages) if m.cache_breakpoint]
    if len(marked) > MAX_BREAKPOINTS:
        marked = marked[:1] + marked[-(MAX_BREAKPOINTS - 1):]
    return set(marked)


def to_payload(request: Request, model: str, stream: bool, max_tokens: int | None = None) -> dict[str, Any]:
    keep = _kept_breakpoints(request.messages)
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for i, m in enumerate(request.messages):
        blocks = [{"type": "text", "text": m.content}] if m.role == "system" else _blocks(m)
        if not blocks:
            continue
        if i in keep:
            blocks[-1]["cache_control"] = dict(_EPHEMERAL)
        if m.role == "system":
            system.extend(blocks)
            continue
        role = "assistant" if m.role == "assistant" else "user"
        if turns and turns[-1]["role"] == role:  # the API wants alternating turns
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    limit = request.max_tokens or max_tokens or DEFAULT_MAX_TOKENS
    body: dict[str, Any] = {"model": model, "messages": turns, "max_tokens": limit}
    if system:
        body["system"] = system
    if request.tools:
        body["tools"] = [{"name": t.name, "description": t.description, "input_schema": t.parameters}
                         for t in request.tools]
        choice = request.tool_choice
        body["tool_choice"] = {"auto": {"type": "auto"}, "none": {"type": "none"},
                               "required": {"type": "any"}}.get(choice, {"type": "tool", "name": choice})
    if request.thinking_budget:
        body["thinking"] = {"type": "enabled", "budget_tokens": request.thinking_budget}
        body["max_tokens"] = max(limit, request.thinking_budget + 1024)
    elif request.temperature is not None:  # thinking requires the default temperature
        body["temperature"] = request.temperature
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    if stream:
        body["stream"] = True
    return body


def parse_usage(u: Any, output: int | None = None) -> Usage:
    """The usage a server reports; a part of the wrong shape counts as missing (the reply itself is still good)."""
    u = u if isinstance(u, dict) else {}
    read, write = token_count(u.get("cache_read_input_tokens")), token_count(u.get("cache_creation_input_tokens"))
    return Usage(
        input_tokens=token_count(u.get("input_tokens")) + read + write,
        output_tokens=output if output is not None else u.get("output_tokens") or 0,
        cache_read_tokens=read,
        cache_write_tokens=write,
    )


class AnthropicProvider(HttpProvider):
    protocol = "anthropic"
    path = "/v1/messages"

    def headers(self) -> dict[str, str]:
        h = {"anthropic-version": API_VERSION}
        if self._api_key:
            h["x-api-key"] = self._api_key
        return h

    def complete(self, request: Request) -> Response:
        obj = self.post(self.path, to_payload(request, self.model, False, self.max_tokens))
        if obj.get("type") == "error":
            raise api_error(obj, False, "error")
        with shaped("response body", False):
            return self._response(obj)

    def _response(self, obj: dict[str, Any]) -> Response:
        text, calls, reasoning = [], [], []
        for b in obj.get("content") or []:
            kind = b.get("type")
            if kind == "text":
                text.append(b.get("text", ""))
            elif kind == "tool_use":
                calls.append(ToolCall(b.get("id", ""), b.get("name", ""), json.dumps(b.get("input") or {})))
            elif kind == "thinking":
                reasoning.append(Reasoning(b.get("thinking", ""), b.get("signature")))
            elif kind == "redacted_thinking":
                reasoning.append(Reasoning(redacted=b.get("data")))
        return Response(
            text="".join(text),
            tool_calls=calls,
            reasoning=reasoning,
            usage=parse_usage(obj.get("usage")),
            finish_reason=_FINISH.get(obj.get("stop_reason") or "end_turn", "stop"),
            model=obj.get("model") or self.model,
        )

    def stream(self, request: Request) -> Iterator[StreamEvent]:
        asm = Assembler()
        state = _StreamState(self.model)
        with self.open_stream(self.path, to_payload(request, self.model, True, self.max_tokens)) as r:
            reader = self.lines(r, lambda: asm.has_output)
            for event, data in iter_sse(reader):
                obj = parse_json(data, asm.has_output, f"{event} event")
                if not isinstance(obj, dict):
                    raise ProviderError(f"malformed {event} event", "malformed", started=asm.has_output)
                with shaped(f"{event} event", asm.has_output):
                    yield from state.handle(asm, obj)
                if state.stopped:
                    reader.drain()
                    break
        if not state.stopped:
            raise ProviderError("stream ended before message_stop", "stream_cut" if asm.has_output else "server",
                                started=asm.has_output)
        with shaped("usage", True):
            response = asm.response(parse_usage(state.usage, state.output), state.finish, state.model)
        for call in response.tool_calls:  # a tool without arguments streams no input_json_delta
            call.arguments = call.arguments or "{}"
        yield Completed(response)


class _StreamState:
    """Anthropic's event sequence: content blocks by index, usage split over two events."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.usage: dict[str, Any] = {}
        self.output: int | None = None
        self.finish = "stop"
        self.stopped = False
        self.tool_index: dict[int, int] = {}  # content block index -> tool call index

    def handle(self, asm: Assembler, obj: dict[str, Any]) -> Iterator[StreamEvent]:
        kind = obj.get("type")
        if kind == "message_start":
            msg = obj.get("message") or {}
            self.model = msg.get("model") or self.model
            self.usage = msg.get("usage") or {}
        elif kind == "content_block_start":
            block = obj.get("content_block") or {}
            btype = block.get("type")
            if btype == "thinking":
                asm.start_reasoning()
            elif btype == "redacted_thinking":
                asm.add_redacted(block.get("data", ""))
            elif btype == "tool_use":
                index = self.tool_index.setdefault(obj.get("index", 0), len(self.tool_index))
                yield asm.add_tool(index, block.get("id"), block.get("name"), "")
            elif btype == "text" and block.get("text"):
                yield asm.add_text(block["text"])
        elif kind == "content_block_delta":
            yield from self._delta(asm, obj.get("index", 0), obj.get("delta") or {})
        elif kind == "message_delta":
            delta = obj.get("delta") or {}
            self.finish = _FINISH.get(delta.get("stop_reason") or "end_turn", "stop")
            usage = obj.get("usage") or {}
            self.output = usage.get("output_tokens", self.output)
            for key in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
                if usage.get(key) is not None:
                    self.usage[key] = usage[key]
        elif kind == "message_stop":
            self.stopped = True
        elif kind == "error":
            raise api_error(obj, asm.has_output, "stream error")

    def _delta(self, asm: Assembler, index: int, delta: dict[str, Any]) -> Iterator[StreamEvent]:
        dtype = delta.get("type")
        if dtype == "text_delta":
            yield asm.add_text(delta.get("text", ""))
        elif dtype == "thinking_delta":
            yield asm.add_reasoning(delta.get("thinking", ""))
        elif dtype == "signature_delta":
            asm.sign_reasoning(delta.get("signature", ""))
        elif dtype == "input_json_delta" and delta.get("partial_json"):
            yield asm.add_tool(self.tool_index.get(index, 0), None, None, delta["partial_json"])
