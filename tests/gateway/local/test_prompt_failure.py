"""A local model that fails while it reads the prompt: the request moves on, as a failed request would.

The runtime (llama.cpp) is replaced by one that reports reading progress and then fails, as a crash or an
out-of-memory error would; the local provider, the router and the fallback server are the real ones.
"""

from __future__ import annotations

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
