"""The local model's runtime misbehaving: failing while it reads the prompt or after a token, or looping.

The runtime (llama.cpp) is replaced by a scripted one: it reports reading progress, writes what it is given
and then fails, as a crash or an out-of-memory error would, or repeats itself as a greedy small model can;
the local provider, the router and the fallback server are the real ones.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from tests.gateway.conftest import deployment, gateway
from tests.support.model_server import ModelServer, Turn

from codewright.gateway import Completed, PromptProgress, StreamInterrupted, TextDelta
from codewright.gateway.local import provider as local_provider
from codewright.gateway.types import Message, Request


class FailingRuntime:
    """Reads part of the prompt, writes `written` (if any), then fails."""

    def __init__(self, written: str = "") -> None:
        self.written = written
        self.calls = 0

    def chat(self, body: dict[str, Any], on_chunk=None) -> None:
        self.calls += 1
        on_chunk({"prompt_progress": {"processed": 256, "total": 1024}})
        if self.written:
            on_chunk({"choices": [{"delta": {"content": self.written}}]})
        raise RuntimeError("decode failed: out of memory")


class LoopingRuntime:
    """Reads the prompt (most of it cached), writes a start, then one step of a plan over and over, a token every
    2 ms (a real model on a CPU takes 30-250), until told to stop or 2,000 tokens are out. As llama.cpp does, it
    reports usage only in a last chunk, after the token limit, which a stopped stream never gets."""

    STEP = '{"step": "Refine the function to handle every combination of books.", "status": "pending"}, '

    def __init__(self) -> None:
        self.tokens = 0

    def chat(self, body: dict[str, Any], on_chunk=None) -> None:
        on_chunk({"prompt_progress": {"total": 900, "cache": 640, "processed": 900}})
        pieces = ['{"plan": ['] + [self.STEP[i:i + 4] for i in range(0, len(self.STEP), 4)] * 200
        for piece in pieces[:2000]:
            self.tokens += 1
            time.sleep(0.002)
            if on_chunk({"choices": [{"delta": {"content": piece}, "finish_reason": None}]}):
                return
        on_chunk({"choices": [{"delta": {}, "finish_reason": "length"}]})
        on_chunk({"choices": [], "usage": {"prompt_tokens": 900, "completion_tokens": self.tokens,
                                           "prompt_tokens_details": {"cached_tokens": 640}}})


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF")  # never loaded: the runtime is FailingRuntime
    return path


def _gateway(weights: Path, server: ModelServer):
    return gateway({"main": {"deployments": [{"provider": "local", "model": str(weights)}], "fallbacks": ["b"]},
                    "b": [deployment("openai", server)]})


def _req() -> Request:
    return Request([Message("user", "hello")])


def test_failing_while_reading_the_prompt_moves_to_the_fallback(weights, server, monkeypatch) -> None:
    runtime = FailingRuntime()
    monkeypatch.setattr(local_provider, "runtime_for", lambda options: runtime)
    server.script(Turn("from the fallback"))
    events = list(_gateway(weights, server).stream(_req()))
    assert isinstance(events[0], PromptProgress) and events[0].processed == 256
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "from the fallback"
    assert isinstance(events[-1], Completed) and events[-1].response.deployment == "openai/m"
    assert runtime.calls == 1 and server.count() == 1


def test_failing_after_a_token_is_reported_not_retried(weights, server, monkeypatch) -> None:
    monkeypatch.setattr(local_provider, "runtime_for", lambda options: FailingRuntime(written="par"))
    server.script(Turn("from the fallback"))
    stream = _gateway(weights, server).stream(_req())
    progress, token = next(stream), next(stream)
    assert isinstance(progress, PromptProgress) and isinstance(token, TextDelta) and token.text == "par"
    with pytest.raises(StreamInterrupted) as info:
        next(stream)
    assert "out of memory" in str(info.value)
    assert server.count() == 0


def test_a_looping_model_is_stopped_as_its_token_limit_would_stop_it(weights, server, monkeypatch) -> None:
    runtime = LoopingRuntime()
    monkeypatch.setattr(local_provider, "runtime_for", lambda options: runtime)
    events = list(_gateway(weights, server).stream(_req()))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    response = events[-1].response
    assert response.finish_reason == "length" and response.text == text
    assert text.startswith('{"plan": [') and text.count(LoopingRuntime.STEP) >= 4
    assert len(text) < 2500 and runtime.tokens < 700  # stopped within a few repeats, not at 2,000 tokens
    # llama.cpp's usage never came: the tokens are counted from the stream, not lost
    usage = response.usage
    assert (usage.input_tokens, usage.cache_read_tokens, usage.output_tokens) == (900, 640, runtime.tokens)
    assert server.count() == 0
