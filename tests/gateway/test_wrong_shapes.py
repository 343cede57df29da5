"""A server's answer that is valid JSON of the wrong shape, or that carries what no encoder takes, met by a real
provider over real HTTP: a readable ProviderError (retried as malformed) or a usable response, never a traceback.
Found by a probe of the agent against hostile servers; one behaviour per case."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from tests.support.servers import serving

from codewright.gateway import Completed, Message, Request
from codewright.gateway.openai import OpenAIProvider
from codewright.gateway.provider import ProviderError
from codewright.gateway.types import Usage


def _chunk(delta=None, finish=None, usage=None, choices=None) -> dict:
    return {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
            if choices is None else choices, **({"usage": usage} if usage is not None else {})}


def _sse(*chunks: dict) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


class _Server:
    """Answers every POST with the bytes given, as an SSE stream; keeps the request bodies."""

    def __init__(self, body: bytes) -> None:
        self.bodies: list[bytes] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                owner.bodies.append(self.rfile.read(int(self.headers.get("content-length") or 0)))
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()


serve = serving(_Server)


def _stream(server: _Server, text: str = "hi") -> list:
    provider = OpenAIProvider("m", server.base, "k")
    try:
        return list(provider.stream(Request([Message("user", text)])))
    finally:
        provider.close()


MALFORMED = [
    ("choices is a string", _sse(_chunk(choices="abc"))),
    ("choices holds null", _sse(_chunk(choices=[None]))),
    ("delta is a string", _sse(_chunk(choices=[{"index": 0, "delta": "x"}]))),
    ("content is a number", _sse(_chunk({"content": 5}), _chunk(finish="stop"))),
    ("tool_calls is an object", _sse(_chunk({"tool_calls": {"index": 0}}))),
    ("arguments is an object", _sse(_chunk({"tool_calls": [{"index": 0, "id": "c", "function": {
        "name": "f", "arguments": {"a": 1}}}]}))),
]


@pytest.mark.parametrize("label, body", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_stream_event_of_the_wrong_shape_is_a_malformed_answer(serve, label: str, body: bytes) -> None:
    with pytest.raises(ProviderError) as caught:
        _stream(serve(body))
    assert caught.value.kind == "malformed" and str(caught.value).startswith("malformed stream event: ")


@pytest.mark.parametrize("usage, input_tokens", [
    (["x"], 0), ({"prompt_tokens": "12", "completion_tokens": -10**9}, 0),
    ({"prompt_tokens": 3, "prompt_tokens_details": "cached"}, 3),
], ids=["a list", "a string and a negative count", "details a string"])
def test_usage_of_the_wrong_shape_counts_as_missing(serve, usage, input_tokens: int) -> None:
    events = _stream(serve(_sse(_chunk({"content": "ok"}), _chunk(finish="stop"), _chunk(choices=[], usage=usage))))
    assert isinstance(events[-1], Completed) and events[-1].response.text == "ok"
    assert events[-1].response.usage == Usage(input_tokens=input_tokens)


def test_a_lone_surrogate_in_the_conversation_goes_as_fffd(serve) -> None:
    """A model's own `"\\udcff"` escape, read back into the conversation, made every later request fail to encode."""
    server = serve(_sse(_chunk({"content": "ok"}), _chunk(finish="stop")))
    events = _stream(server, "read \udcff.py")
    assert isinstance(events[-1], Completed)
    assert json.loads(server.bodies[0])["messages"][0]["content"] == "read \ufffd.py"


@pytest.mark.parametrize("value, count", [(-5, 0), ("7", 0), ([1], 0), (True, 0), (float("nan"), 0), (2.9, 2),
                                          (12, 12)])
def test_a_token_count_that_is_no_count_reads_zero(value, count) -> None:
    assert Usage(input_tokens=value).input_tokens == count
