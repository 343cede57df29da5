"""OpenAI-compatible chat completions: OpenAI, DeepSeek, DashScope, Ark, OpenRouter, vLLM, llama.cpp, LM Studio.

Streamed tool calls arrive as fragments keyed by `index`; DeepSeek's `reasoning_content`
becomes reasoning (and is passed back on tool turns, which DeepSeek's thinking mode
needs); cached prompt tokens come from `prompt_tokens_details.cached_tokens` (OpenAI) or
`prompt_cache_hit_tokens` (DeepSeek). Cache breakpoints are ignored: these providers
cache prefixes by themselves. A tool call's `extra_content` (Gemini's thought signature)
is kept and sent back with the call, as Gemini requires.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from codewright.gateway.assemble import Assembler
from codewright.gateway.http import HttpProvider, iter_sse, one_line, parse_json, shaped, status_kind
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
)

_FINISH = {"tool_calls": "tool_calls", "function_call": "tool_calls", "length": "length",
           "content_filter": "content_filter", "stop": "stop"}

_ERROR_STATUS = {"invalid_request_error": 400, "context_length_exceeded": 400, "rate_limit_exceeded": 429,
                 "insufficient_quota": 429, "invalid_api_key": 401}
"""The HTTP status an error of this code or type comes with, for an error sent after a 200 that names none (its
code first: an invalid_api_key is of type invalid_request_error, and a refused key as a 401 is)."""


def answer_error(error: Any, started: bool, where: str) -> ProviderError:
    """An `{"error": {...}}` sent after a 200 (in a stream: OpenAI, vLLM and OpenRouter send one when the
    generation fails midway) as one line of its message, type and code, classified as the same error sent as its
    HTTP status would be: the status in `code` (vLLM, OpenRouter), else the one its code or type comes with, else
    a server error (OpenAI's `server_error` has no code). It was shown as the object's Python repr, and always a
    server error: a context overflow or a refused request was retried as a busy server. Ollama's error, a bare
    string (`{"error": "..."}`), is read here too: a server error, its words on one line."""
    fields = error if isinstance(error, dict) else {"message": error}
    code, kind = fields.get("code"), fields.get("type")
    named = ", ".join(str(v) for v in (kind, code) if v not in (None, ""))
    said = one_line(f"{fields.get('message') or 'no message'}" + (f" ({named})" if named else ""))
    if isinstance(code, int) and 400 <= code <= 599:
        status = code
    else:
        status = _ERROR_STATUS.get(str(code), _ERROR_STATUS.get(str(kind), 500))
    return ProviderError(f"{where}: {said}", status_kind(status, said), status=status, started=started)


def _message(m: Message) -> dict[str, Any]:
    if m.role == "tool":
        return {"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content}
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.role == "assistant" and m.tool_calls:
        out["content"] = m.content or None
        out["tool_calls"] = [_call(c) for c in m.tool_calls]
        thought = "".join(r.text for r in m.reasoning if not r.signature)
        if thought:
            out["reasoning_content"] = thought
    return out


def _call(c: ToolCall) -> dict[str, Any]:
    call: dict[str, Any] = {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
    if c.extra_content:
        call["extra_content"] = c.extra_content
    return call


def _extra_content(call: dict[str, Any]) -> dict[str, Any] | None:
    """A tool call's `extra_content` as the server sent it, to go back with the call (Gemini's thought
    signature); it was dropped, and Gemini refused the next request of every tool loop."""
    extra = call.get("extra_content")
    return extra if isinstance(extra, dict) else None


def to_payload(
    request: Request, model: str, stream: bool, max_tokens: int | None = None, limit_field: str = "max_tokens"
) -> dict[str, Any]:
    """The chat-completions body. OpenAI's own API wants `max_completion_tokens` (its reasoning
    models refuse `max_tokens`); compatible servers mostly know only `max_tokens`."""
    body: dict[str, Any] = {"model": model, "messages": [_message(m) for m in request.messages]}
    if request.tools:
        body["tools"] = [
            {"type": "function", "function": {"name": t.name, "description": t.description,
                                              "parameters": t.parameters}}
            for t in request.tools
        ]
        choice = request.tool_choice
        body["tool_choice"] = (
            choice if choice in ("auto", "none", "required") else {"type": "function", "function": {"name": choice}}
        )
    limit = request.max_tokens or max_tokens
    if limit:
        body[limit_field] = limit
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.stop:
        body["stop"] = list(request.stop)
    if request.response_format:
        body["response_format"] = request.response_format
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def parse_usage(u: Any) -> Usage:
    """The usage a server reports; parts of the wrong shape count as missing (the reply itself is still good)."""
    u = _table(u)
    cached = _table(u.get("prompt_tokens_details")).get("cached_tokens")
    if cached is None:
        cached = u.get("prompt_cache_hit_tokens", 0)
    return Usage(
        input_tokens=u.get("prompt_tokens") or 0,
        output_tokens=u.get("completion_tokens") or 0,
        cache_read_tokens=cached or 0,
        reasoning_tokens=_table(u.get("completion_tokens_details")).get("reasoning_tokens") or 0,
    )


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class OpenAIProvider(HttpProvider):
    protocol = "openai"
    path = "/chat/completions"

    def payload(self, request: Request, stream: bool) -> dict[str, Any]:
        official = self.base_url.startswith("https://api.openai.com")
        field = "max_completion_tokens" if official else "max_tokens"
        return to_payload(request, self.model, stream, self.max_tokens, field)

    def complete(self, request: Request) -> Response:
        obj = self.post(self.path, self.payload(request, False))
        if "error" in obj and not obj.get("choices"):  # an error sent with a 200 (OpenRouter does)
            raise answer_error(obj["error"], False, "error")
        with shaped("response body", False):
            return self._response(obj)

    def _response(self, obj: dict[str, Any]) -> Response:
        choices = obj.get("choices") or []
        if not choices:
            raise ProviderError("malformed response: no choices", "malformed")
        msg = choices[0].get("message") or {}
        calls = [
            ToolCall(c.get("id") or f"call_{i}", c["function"].get("name", ""), c["function"].get("arguments") or "",
                     _extra_content(c))
            for i, c in enumerate(msg.get("tool_calls") or [])
        ]
        thought = msg.get("reasoning_content") or msg.get("reasoning")
        finish = _FINISH.get(choices[0].get("finish_reason") or "stop", "stop")
        return Response(
            text=msg.get("content") or "",
            tool_calls=calls,
            reasoning=[Reasoning(thought)] if thought else [],
            usage=parse_usage(obj.get("usage")),
            finish_reason="tool_calls" if calls and finish == "stop" else finish,
            model=obj.get("model") or self.model,
        )

    def stream(self, request: Request) -> Iterator[StreamEvent]:
        asm = Assembler()
        usage, finish, model, done = Usage(), None, self.model, False
        with self.open_stream(self.path, self.payload(request, True)) as r:
            reader = self.lines(r, lambda: asm.has_output)
            for _, data in iter_sse(reader):
                if data == "[DONE]":
                    done = True
                    reader.drain()
                    break
                chunk = parse_json(data, asm.has_output, "stream event")
                if not isinstance(chunk, dict):
                    raise ProviderError(f"malformed stream event: {data[:120]!r}", "malformed",
                                        started=asm.has_output)
                if "error" in chunk:
                    raise answer_error(chunk["error"], asm.has_output, "error in stream")
                with shaped("stream event", asm.has_output):
                    model = chunk.get("model") or model
                    if chunk.get("usage"):
                        usage = parse_usage(chunk["usage"])
                    for choice in chunk.get("choices") or []:
                        yield from self._deltas(asm, choice.get("delta") or {})
                        if choice.get("finish_reason"):
                            finish = _FINISH.get(choice["finish_reason"], "stop")
        if not done and finish is None:  # a body that ended cleanly after the finish reason is whole without [DONE]
            raise ProviderError("stream ended before [DONE]", "stream_cut" if asm.has_output else "server",
                                started=asm.has_output)
        yield Completed(asm.response(usage, finish or "stop", model))

    @staticmethod
    def _deltas(asm: Assembler, delta: dict[str, Any]) -> Iterator[StreamEvent]:
        thought = delta.get("reasoning_content") or delta.get("reasoning")
        if thought:
            yield asm.add_reasoning(thought)
        if delta.get("content"):
            yield asm.add_text(delta["content"])
        for call in delta.get("tool_calls") or []:
            fn = call.get("function") or {}
            index = call.get("index")
            if index is None:  # Gemini sends none: read as 0, its calls were merged into one
                index = asm.tool_index(call.get("id"))
            yield asm.add_tool(index, call.get("id"), fn.get("name"), fn.get("arguments") or "", _extra_content(call))
