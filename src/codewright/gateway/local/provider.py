"""The embedded local model behind the gateway's Provider interface.

Requests and responses are OpenAI-shaped inside llama.cpp's server, so we reuse the
OpenAI provider's payload and usage mapping. Two things are local-specific:

- Tool calls from a small model: when tools are offered, decoding is constrained to a
  JSON Schema that admits exactly `{"name": TOOL, "arguments": {...}}` for one of the
  tools, so every call parses and matches its schema. The JSON is turned into a normal
  `ToolCall`; text that is not such JSON stays text (the agent still repairs JSON
  written in plain text). While it streams, the call's `thought` comes out as text and
  the rest as tool-call fragments, as a hosted model's reply would (`ThoughtFirst`).
- Prefix reuse: the runtime lives as long as the process and llama.cpp keeps its KV
  cache, so a turn recomputes only what follows the prefix it shares with the last
  one; `usage.cache_read_tokens` reports the reused tokens like a provider's cache.
- Loops: greedy decoding can fall into repeating one block until the token limit; the
  stream stops as soon as the repetition is unmistakable (`loops.py`), minutes sooner on
  a CPU, and ends the way the limit would have.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from codewright.gateway.assemble import Assembler
from codewright.gateway.local.catalog import not_installed, weights_path
from codewright.gateway.local.loops import LoopWatch
from codewright.gateway.local.runtime import (
    DEFAULT_N_CTX,
    RuntimeOptions,
    default_threads,
    runtime_for,
    signals_blocked,
)
from codewright.gateway.openai import parse_usage, to_payload
from codewright.gateway.provider import ProviderError
from codewright.gateway.types import (
    Completed,
    PromptProgress,
    Request,
    Response,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
)
from codewright.repair.stream import StreamParser

_DONE = object()


class ThoughtFirst:
    """Splits a constrained reply as it streams: the `thought` as text, the rest as tool-call fragments.

    A renderer draws text and shows a tool call once it is complete; drawn as text, the raw JSON of
    every reply was noise between the steps, where a hosted model's reply shows its words.
    """

    def __init__(self) -> None:
        self._parser = StreamParser()
        self._shown = 0

    def feed(self, chunk: str) -> TextDelta | ToolCallDelta:
        value = self._parser.feed(chunk)
        thought = value.get("thought") if isinstance(value, dict) else None
        if isinstance(thought, str) and len(thought) > self._shown:
            new, self._shown = thought[self._shown:], len(thought)
            return TextDelta(new)
        return ToolCallDelta(0, None, None, chunk)


@dataclass
class _Tally:
    """The usage a stream showed on its way, for one stopped before its end: llama.cpp sends its usage in
    the last chunk only, which a stream stopped in a loop never gets (its tokens would count as none)."""

    prompt: int = 0
    cached: int = 0
    pieces: int = 0  # one streamed piece per generated token (llama.cpp sends each token as it comes)

    def usage(self) -> Usage:
        return Usage(input_tokens=self.prompt, output_tokens=self.pieces, cache_read_tokens=self.cached)


THOUGHT_CHARS = 400


def tool_call_schema(tools: list[ToolSpec]) -> dict[str, Any]:
    """A schema admitting one call of any offered tool, with that tool's own argument schema.

    A short `thought` comes first: a small model that must name the tool in its first
    token commits before it has reasoned; a sentence of thinking first picks better calls.
    """
    return {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "thought": {"type": "string", "maxLength": THOUGHT_CHARS},
                    "name": {"const": tool.name},
                    "arguments": tool.parameters,
                },
                "required": ["thought", "name", "arguments"],
            }
            for tool in tools
        ]
    }


def parse_tool_call(text: str, tools: list[ToolSpec], call_id: str) -> tuple[str, ToolCall] | None:
    """The constrained output as (thought, ToolCall), or None when it is not a call of an offered tool."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    names = {tool.name for tool in tools}
    if not isinstance(value, dict) or value.get("name") not in names or not isinstance(value.get("arguments"), dict):
        return None
    thought = value.get("thought") if isinstance(value.get("thought"), str) else ""
    return thought, ToolCall(call_id, value["name"], json.dumps(value["arguments"], ensure_ascii=False))


class LocalProvider:
    """One local model. `model` is a catalog name (qwen2.5-coder-1.5b) or a path to a .gguf file."""

    def __init__(
        self,
        model: str,
        *,
        threads: int | None = None,
        n_ctx: int = DEFAULT_N_CTX,
        backend: str = "xllamacpp",
        max_tokens: int = 2048,
        reuse_prefix: bool = True,
        temperature: float = 0.0,
    ) -> None:
        self.model = model
        self.max_tokens = max_tokens
        # Greedy unless a request or the deployment says otherwise: llama.cpp's own default
        # samples at 0.8 with a random seed, and a small model's tool calls are at their best
        # (and a run repeatable) when each token is the most likely one.
        self.temperature = temperature
        self.reuse_prefix = reuse_prefix  # False recomputes every prompt in full (for measuring the gain)
        self._options = RuntimeOptions(weights_path(model), threads or default_threads(), n_ctx, backend)
        self._calls = 0

    def __repr__(self) -> str:
        return f"LocalProvider({self.model!r}, threads={self._options.threads})"

    def _runtime(self):
        if missing := not_installed(self.model):
            raise ProviderError(missing, "bad_request")
        return runtime_for(self._options)

    def _body(self, request: Request, stream: bool) -> dict[str, Any]:
        body = to_payload(request, self.model, stream=stream, max_tokens=self.max_tokens)
        body.pop("tool_choice", None)
        body.setdefault("temperature", self.temperature)
        body["cache_prompt"] = self.reuse_prefix
        if request.tools and request.tool_choice != "none":
            schema = tool_call_schema(request.tools)
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": "tool_call", "schema": schema}}
        return body

    def _finish(self, request: Request, response: Response) -> Response:
        """Turn constrained JSON output into a tool call, as an HTTP provider would report it."""
        if request.tools and not response.tool_calls:
            self._calls += 1
            parsed = parse_tool_call(response.text, request.tools, f"call_{self._calls}")
            if parsed:
                response.text, call = parsed
                response.tool_calls = [call]
                response.finish_reason = "tool_calls"
        response.model = self.model
        return response

    def complete(self, request: Request) -> Response:
        started = time.monotonic()
        runtime = self._runtime()
        with signals_blocked():  # for the model's threads; Python takes a Ctrl-C here only after the call anyway
            raw = runtime.chat(self._body(request, stream=False))
        choice = raw["choices"][0]
        asm = Assembler(started)
        asm.add_text(choice["message"].get("content") or "")
        response = asm.response(parse_usage(raw.get("usage")), choice.get("finish_reason") or "stop", self.model)
        response.ttft_s = None
        return self._finish(request, response)

    def stream(self, request: Request) -> Iterator[StreamEvent]:
        """Stream deltas, after the prompt's reading progress batch by batch; closing the iterator
        (Ctrl-C, a time limit) stops the model at its next batch or token."""
        runtime = self._runtime()
        chunks: queue.Queue[Any] = queue.Queue()
        cancel = threading.Event()

        def on_chunk(chunk: dict[str, Any]) -> bool:
            chunks.put(chunk)
            return cancel.is_set()

        def work() -> None:
            try:
                with signals_blocked():  # the model's threads leave Ctrl-C to the main thread
                    runtime.chat({**self._body(request, stream=True), "return_progress": True}, on_chunk)
            except Exception as exc:  # noqa: BLE001 - reported to the consumer, not lost in the thread
                chunks.put(exc)
            chunks.put(_DONE)

        asm = Assembler()
        split = ThoughtFirst() if request.tools and request.tool_choice != "none" else None
        worker = threading.Thread(target=work, name="codewright-local-model", daemon=True)
        worker.start()
        usage, finish = None, "stop"
        watch, tally = LoopWatch(), _Tally()
        try:
            while (chunk := chunks.get()) is not _DONE:
                if isinstance(chunk, Exception):
                    if cancel.is_set():  # stopped in a loop: what was written stands
                        continue
                    raise ProviderError(f"local model failed: {chunk}", "server", started=asm.has_output)
                usage = chunk.get("usage") or usage
                if progress := chunk.get("prompt_progress"):
                    tally.prompt, tally.cached = progress["total"], progress.get("cache", 0)
                    yield PromptProgress(progress["processed"], progress["total"])
                for choice in chunk.get("choices") or []:
                    text = (choice.get("delta") or {}).get("content")
                    tally.pieces += bool(text)
                    if cancel.is_set():
                        continue  # pieces already written when the loop was seen: counted, not shown
                    finish = choice.get("finish_reason") or finish
                    if text:
                        delta = asm.add_text(text)
                        yield split.feed(text) if split else delta
                        if watch.add(text):  # repeating itself to the token limit: end as the limit would
                            cancel.set()
                            finish = "length"
        finally:
            cancel.set()
        response = asm.response(parse_usage(usage) if usage else tally.usage(), finish, self.model)
        yield Completed(self._finish(request, response))

    def close(self) -> None:
        """The runtime stays loaded for the process: its KV cache is what later sessions reuse."""
