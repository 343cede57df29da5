"""Ollama's chat API (`/api/chat`): NDJSON streaming, tools, `thinking` output.

Ollama sends each tool call whole, with arguments as a JSON object and no id; they are
re-serialised and given ids `call_N` so the agent can answer them like any other call.
It caches prompts by itself; what it read from its cache is `prompt_eval_cached_count` (within
`prompt_eval_count`), where its version reports it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from codewright.gateway.assemble import Assembler
from codewright.gateway.http import HttpProvider, parse_json, shaped
from codewright.gateway.openai import answer_error
from codewright.gateway.provider import ProviderError
from codewright.gateway.types import Completed, Message, Request, Response, StreamEvent, Usage


def _message(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.role == "tool" and m.name:
        out["tool_name"] = m.name
    if m.tool_calls:
        out["tool_calls"] = [{"function": {"name": c.name, "arguments": _object(c.arguments)}}
                             for c in m.tool_calls]
    thought = "".join(r.text for r in m.reasoning)
    if thought:
        out["thinking"] = thought
    return out


def _object(raw: str) -> Any:
    """A call's arguments as the JSON value Ollama takes; text that is none (too deeply nested included) is sent
    as no arguments, where nesting past the parser's depth raised out of building the next request."""
    try:
        return json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        return {}


def to_payload(request: Request, model: str, stream: bool, max_tokens: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": [_message(m) for m in request.messages], "stream": stream}
    if request.tools:
        body["tools"] = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                           "parameters": t.parameters}} for t in request.tools]
    options: dict[str, Any] = {}
    if request.max_tokens or max_tokens:
        options["num_predict"] = request.max_tokens or max_tokens
    if request.temperature is not None:
        options["temperature"] = request.temperature
    if request.stop:
        options["stop"] = list(request.stop)
    if options:
        body["options"] = options
    if request.thinking_budget:
        body["think"] = True
    fmt = request.response_format or {}
    if fmt.get("type") == "json_schema":
        body["format"] = (fmt.get("json_schema") or {}).get("schema", {})
    elif fmt.get("type") == "json_object":
        body["format"] = "json"
    return body


def _usage(obj: dict[str, Any]) -> Usage:
    """The final line's counts. `prompt_eval_count` holds the tokens read from the cache too: they were counted
    as input, never as cached, so a run on Ollama said "0 cached" however much its cache served, and a price
    set for an Ollama model charged them at the input price, not its cache_read price."""
    return Usage(input_tokens=obj.get("prompt_eval_count") or 0, output_tokens=obj.get("eval_count") or 0,
                 cache_read_tokens=obj.get("prompt_eval_cached_count") or 0)


def _finish(obj: dict[str, Any]) -> str:
    return "length" if obj.get("done_reason") == "length" else "stop"


class OllamaProvider(HttpProvider):
    protocol = "ollama"
    path = "/api/chat"

    def complete(self, request: Request) -> Response:
        asm = Assembler()
        obj = self.post(self.path, to_payload(request, self.model, False, self.max_tokens))
        if "error" in obj:
            raise answer_error(obj["error"], False, "error")
        with shaped("response body", False):
            for _ in self._message(asm, obj.get("message") or {}, 0):
                pass
            response = asm.response(_usage(obj), _finish(obj), obj.get("model") or self.model)
        response.ttft_s = None
        return response

    def stream(self, request: Request) -> Iterator[StreamEvent]:
        asm = Assembler()
        calls, final = 0, None
        with self.open_stream(self.path, to_payload(request, self.model, True, self.max_tokens)) as r:
            reader = self.lines(r, lambda: asm.has_output)
            for line in reader:
                if not line.strip():
                    continue
                obj = parse_json(line, asm.has_output, "NDJSON line")
                if not isinstance(obj, dict):
                    raise ProviderError("malformed NDJSON line", "malformed", started=asm.has_output)
                if "error" in obj:  # a runner that failed midway: its words, often over several lines, as one
                    raise answer_error(obj["error"], asm.has_output, "error in stream")
                with shaped("NDJSON line", asm.has_output):
                    msg = obj.get("message") or {}
                    yield from self._message(asm, msg, calls)
                    calls += len(msg.get("tool_calls") or [])
                if obj.get("done"):
                    final = obj
                    reader.drain()
                    break
        if final is None:
            raise ProviderError("stream ended before done", "stream_cut" if asm.has_output else "server",
                                started=asm.has_output)
        with shaped("NDJSON line", True):
            response = asm.response(_usage(final), _finish(final), final.get("model") or self.model)
        yield Completed(response)

    @staticmethod
    def _message(asm: Assembler, msg: dict[str, Any], first_call: int) -> Iterator[StreamEvent]:
        if msg.get("thinking"):
            yield asm.add_reasoning(msg["thinking"])
        if msg.get("content"):
            yield asm.add_text(msg["content"])
        for i, call in enumerate(msg.get("tool_calls") or [], start=first_call):
            fn = call.get("function") or {}
            args = fn.get("arguments")
            raw = args if isinstance(args, str) else json.dumps(args if args is not None else {})
            yield asm.add_tool(i, call.get("id") or f"call_{i}", fn.get("name", ""), raw)
