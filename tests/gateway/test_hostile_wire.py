"""Servers that send what a well-behaved one never does (an unreadable header, JSON nested past any parser's
depth, bytes trickled without end), met by the real providers over a raw socket on 127.0.0.1: each gives a
classified ProviderError or a usable answer, never a traceback or a hang. Found by a probe of the gateway."""

from __future__ import annotations

import email.utils
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from tests.gateway.conftest import deployment, gateway
from tests.support.servers import serving

from codewright.gateway import (
    Completed,
    GatewayError,
    Message,
    Request,
    StreamInterrupted,
    ToolCall,
    anthropic,
    ollama,
)
from codewright.gateway.openai import OpenAIProvider
from codewright.gateway.provider import ProviderError

Answer = Callable[[socket.socket], None]


class RawServer:
    """Reads each request whole, then lets `answer` write whatever bytes it likes on the connection."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536) or b"\r\n\r\n"
            head, _, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                body += conn.recv(65536)
            try:
                self.answer(conn)
            except OSError:  # the client gave up on us: what the test is about
                pass

    def close(self) -> None:
        self.sock.close()


serve = serving(RawServer)


def reply(status: int, body: bytes, *headers: str, content_type: str = "application/json") -> Answer:
    """An answer of one status, headers and body."""
    head = [f"HTTP/1.1 {status} X", f"content-type: {content_type}", f"content-length: {len(body)}",
            "connection: close", *headers]
    return lambda conn: conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)


def pieces(body: bytes, size: int, pause: float = 0.01, content_type: str = "text/event-stream",
           first: bytes = b"") -> Answer:
    """A 200 whose body goes `first` whole, then `size` bytes at a time, each its own chunk (so its own read),
    `pause` apart."""
    def answer(conn: socket.socket) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\n"
                     "connection: close\r\n\r\n".encode())
        if first:
            conn.sendall(b"%x\r\n%s\r\n" % (len(first), first))
        for i in range(0, len(body), size):
            conn.sendall(b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size]))
            time.sleep(pause)
        conn.sendall(b"0\r\n\r\n")
    return answer


def _complete(server: RawServer) -> object:
    provider = OpenAIProvider("m", server.base, "k", read_timeout=2.0, connect_timeout=1.0)
    try:
        return provider.complete(Request([Message("user", "hi")]))
    finally:
        provider.close()


@pytest.fixture
def far_from_gmt() -> Iterator[None]:
    """This machine's clock nine hours ahead of GMT, where a date read as local time is off by nine hours."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "UTC-9")
        time.tzset()
        yield
    time.tzset()


@pytest.mark.parametrize("value, seconds", [
    (lambda: "7", 7.0),
    (lambda: email.utils.formatdate(time.time() + 3600, usegmt=True), 3600),
    (lambda: time.asctime(time.gmtime(time.time() + 3600)), 3600),  # asctime's form names no zone: it is GMT
    (lambda: "soon", None),
    (lambda: "Mon, 32 Foo 2020 99:99:99 GMT", None),
], ids=["seconds", "an HTTP date", "an asctime date", "a word", "a date out of range"])
def test_retry_after_is_read_or_ignored_never_raised(serve, far_from_gmt, value, seconds: float | None) -> None:
    server = serve(reply(429, b'{"error": {"message": "slow down"}}', f"retry-after: {value()}"))
    with pytest.raises(ProviderError) as caught:
        _complete(server)
    assert caught.value.kind == "rate_limit" and str(caught.value) == "HTTP 429: slow down"
    if seconds is None:
        assert caught.value.retry_after is None
    else:
        assert caught.value.retry_after == pytest.approx(seconds, abs=2)


DEEP = "[" * 100_000  # past any recursion limit of the JSON parser


def _stream(server: RawServer) -> list:
    provider = OpenAIProvider("m", server.base, "k", read_timeout=2.0, connect_timeout=1.0)
    try:
        return list(provider.stream(Request([Message("user", "hi")])))
    finally:
        provider.close()


@pytest.mark.parametrize("call, answer, kind", [
    (_complete, reply(200, DEEP.encode()), "malformed"),
    (_stream, reply(200, f"data: {DEEP}\n\n".encode(), content_type="text/event-stream"), "malformed"),
    (_complete, reply(503, DEEP.encode()), "server"),
], ids=["a body", "a stream event", "an error body"])
def test_json_nested_past_the_parsers_depth_is_malformed(serve, call, answer: Answer, kind: str) -> None:
    with pytest.raises(ProviderError) as caught:
        call(serve(answer))
    assert caught.value.kind == kind


@pytest.mark.parametrize("to_payload, arguments", [
    (anthropic.to_payload, lambda body: body["messages"][1]["content"][0]["input"]),
    (ollama.to_payload, lambda body: body["messages"][1]["tool_calls"][0]["function"]["arguments"]),
], ids=["anthropic", "ollama"])
def test_a_call_whose_arguments_nest_too_deeply_is_sent_without_them(to_payload, arguments) -> None:
    """A model looping on `[` wrote the arguments; the next request must still be built."""
    history = [Message("user", "hi"), Message("assistant", tool_calls=[ToolCall("c1", "read", DEEP)]),
               Message("tool", "bad arguments", tool_call_id="c1", name="read")]
    assert arguments(to_payload(Request(history), "m", False)) == {}


def _sse(*chunks: dict, end: str = "\n", done: bool = True) -> bytes:
    """OpenAI's events as a server that writes text unescaped (ensure_ascii off, as vLLM and llama.cpp do)."""
    events = [f"data: {json.dumps(c, ensure_ascii=False)}{end}{end}" for c in chunks]
    return ("".join(events) + (f"data: [DONE]{end}{end}" if done else "")).encode()


def _ndjson(*lines: dict) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()


def _openai_text(text: str, end: str = "\n") -> bytes:
    return _sse({"choices": [{"index": 0, "delta": {"content": text}}]},
                {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}, end=end)


def _ollama_text(text: str) -> bytes:
    return _ndjson({"model": "m", "message": {"role": "assistant", "content": text}, "done": False},
                   {"model": "m", "message": {"role": "assistant", "content": ""}, "done": True})


TEXT = "one\u2028two\u2029three\x85four"  # line separators JSON leaves unescaped, as a model may write them


@pytest.mark.parametrize("provider, body, size", [
    (OpenAIProvider, _openai_text(TEXT), 4096),
    (OpenAIProvider, _openai_text(TEXT, end="\r\n"), 1),  # each CRLF split over two reads
    (OpenAIProvider, _openai_text(TEXT, end="\r"), 3),
    (ollama.OllamaProvider, _ollama_text(TEXT), 4096),
    (ollama.OllamaProvider, _ollama_text(TEXT), 5),
], ids=["openai", "openai, CRLF a byte at a time", "openai, CR", "ollama", "ollama, in pieces"])
def test_a_line_ends_only_at_cr_or_lf(serve, provider, body: bytes, size: int) -> None:
    server = serve(pieces(body, size, pause=0.0, content_type="application/x-ndjson"))
    streamed = provider("m", server.base, "k", read_timeout=2.0, connect_timeout=1.0)
    try:
        events = list(streamed.stream(Request([Message("user", "hi")])))
    finally:
        streamed.close()
    assert isinstance(events[-1], Completed) and events[-1].response.text == TEXT


TRICKLE = b" " * 200  # a byte every 50 ms, 10 s in all: never a silence long enough for the read timeout


@pytest.mark.parametrize("stream, first, error", [
    (False, b'{"choices": [', GatewayError),
    (True, _openai_text("a").split(b"\n\n")[0] + b"\n\ndata: ", StreamInterrupted),  # after a first token
    (True, b"data: ", GatewayError),  # before any
], ids=["a body", "a stream, midway", "a stream, its first line"])
def test_a_server_trickling_bytes_is_stopped_at_the_deadline(serve, stream: bool, first: bytes, error) -> None:
    server = serve(pieces(TRICKLE, 1, pause=0.05, first=first))
    gw = gateway({"main": [deployment("openai", server.base)]}, router={"total_timeout": 1.0, "read_timeout": 2.0})
    request = Request([Message("user", "hi")])
    started = time.monotonic()
    with pytest.raises(error) as caught:
        list(gw.stream(request)) if stream else gw.complete(request)
    assert time.monotonic() - started < 1.8
    assert caught.value.attempts[-1].outcome == "timeout"


def _calls(*deltas: list) -> bytes:
    return _sse(*({"choices": [{"index": 0, "delta": {"tool_calls": calls}}]} for calls in deltas),
                {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})


def _fn(name: str | None = None, arguments: str = "", id: str | None = None, **index: object) -> dict:
    return {**index, **({"id": id, "type": "function"} if id else {}),
            "function": {**({"name": name} if name else {}), "arguments": arguments}}


@pytest.mark.parametrize("body", [
    _calls([_fn("a", '{"x":1}', "c0"), _fn("b", '{"y":2}', "c1")]),
    _calls([_fn("a", '{"x"', "c0")], [_fn(arguments=":1}")], [_fn("b", "", "c1")], [_fn(arguments='{"y":2}')]),
    _calls([_fn("a", '{"x":1}', "c0", index=None)], [_fn("b", '{"y":2}', "c1", index=None)]),
    _calls([_fn("b", '{"y":2}', "c1", index=1)], [_fn("a", '{"x"', "c0", index=0)], [_fn(arguments=":1}", index=0)]),
], ids=["no index, two calls in one delta", "no index, arguments in pieces", "a null index",
        "indexed, out of order"])
def test_tool_calls_without_an_index_stay_apart(serve, body: bytes) -> None:
    events = _stream(serve(reply(200, body, content_type="text/event-stream")))
    assert [(c.id, c.name, c.arguments) for c in events[-1].response.tool_calls] == [
        ("c0", "a", '{"x":1}'), ("c1", "b", '{"y":2}')]


def test_a_stream_ended_after_its_finish_reason_is_whole_without_done(serve) -> None:
    """Some servers end the body without `data: [DONE]` (OpenAI's own client takes that as the end): the answer
    is whole once its finish reason came, and a body ending before it is still cut."""
    whole = _sse({"choices": [{"index": 0, "delta": {"content": "all of it"}}]},
                 {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                 {"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2}}, done=False)
    events = _stream(serve(reply(200, whole, content_type="text/event-stream")))
    assert events[-1].response.text == "all of it" and events[-1].response.usage.input_tokens == 9
    cut = whole.split(b"\n\n")[0] + b"\n\n"
    with pytest.raises(ProviderError) as caught:
        _stream(serve(reply(200, cut, content_type="text/event-stream")))
    assert caught.value.kind == "stream_cut" and caught.value.started


NGINX_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
             b"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


@pytest.mark.parametrize("status, body, message", [
    (502, NGINX_502, "HTTP 502: 502 Bad Gateway 502 Bad Gateway nginx"),
    (503, (b"<!DOCTYPE html><html><head><style>\nbody { color: red }\n</style><script>var x = 1 < 2;</script>"
           b"</head><body><p>Service\n  Unavailable</p></body></html>"), "HTTP 503: Service Unavailable"),
    (400, b'{"error": {"message": "bad\\n\\nrequest:\\n  tools[0]"}}', "HTTP 400: bad request: tools[0]"),
    (500, b"  internal\r\nerror  ", "HTTP 500: internal error"),
], ids=["a proxy's HTML page", "HTML with a style and a script", "a JSON message of several lines", "plain text"])
def test_an_error_body_is_one_readable_line(serve, status: int, body: bytes, message: str) -> None:
    with pytest.raises(ProviderError) as caught:
        _complete(serve(reply(status, body, content_type="text/html")))
    assert str(caught.value) == message


@pytest.mark.parametrize("error_type, kind", [("rate_limit_error", "rate_limit"), ("overloaded_error", "server"),
                                              ("authentication_error", "auth")])
def test_an_anthropic_error_in_a_200_body_is_classed_as_its_status_would_be(serve, error_type: str,
                                                                             kind: str) -> None:
    body = json.dumps({"type": "error", "error": {"type": error_type, "message": "no"}}).encode()
    server = serve(reply(200, body))
    provider = anthropic.AnthropicProvider("m", server.base.removesuffix("/v1"), "k", read_timeout=2.0)
    try:
        with pytest.raises(ProviderError) as caught:
            provider.complete(Request([Message("user", "hi")]))
    finally:
        provider.close()
    assert (caught.value.kind, str(caught.value)) == (kind, f"error: {error_type}: no")


OPENROUTER_CUT = {"code": "server_error", "message": "Provider disconnected unexpectedly"}
MIDWAY = {"choices": [{"index": 0, "delta": {"content": "half"}}]}


@pytest.mark.parametrize("place", ["in a stream", "in a stream, midway", "in a body"])
@pytest.mark.parametrize("error, kind, said", [
    ({"message": "The server had an error while processing your request.", "type": "server_error", "param": None,
      "code": None}, "server", "The server had an error while processing your request. (server_error)"),
    ({"code": 502, "message": "Provider returned error"}, "server", "Provider returned error (502)"),
    (OPENROUTER_CUT, "server", "Provider disconnected unexpectedly (server_error)"),
    ({"object": "error", "message": "This model's maximum context length is 8 tokens.", "type": "BadRequestError",
      "param": None, "code": 400}, "context_overflow",
     "This model's maximum context length is 8 tokens. (BadRequestError, 400)"),
    ({"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}, "rate_limit",
     "Rate limit reached (requests, rate_limit_exceeded)"),
    ({"message": "You exceeded your current quota", "type": "insufficient_quota", "code": "insufficient_quota"},
     "auth", "You exceeded your current quota (insufficient_quota, insufficient_quota)"),
    ({"message": "bad\nrequest", "type": "invalid_request_error", "code": None}, "bad_request",
     "bad request (invalid_request_error)"),
    ("upstream\nfailed", "server", "upstream failed"),
], ids=["openai's server_error", "a status as the code (openrouter)", "openrouter's cut", "vllm's overflow",
        "rate limited", "out of quota", "a request refused, on two lines", "a bare string"])
def test_an_openai_error_after_a_200_is_one_line_classed_as_its_status(serve, place: str, error: object, kind: str,
                                                                        said: str) -> None:
    """An error object in a stream (OpenAI, vLLM and OpenRouter send one when a generation fails midway) or in a
    200 body was its Python repr, and a server error whatever it said; the one in a body was `no choices`."""
    call, where, body, started = {
        "in a stream": (_stream, "error in stream", _sse({"error": error}, done=False), False),
        "in a stream, midway": (_stream, "error in stream", _sse(MIDWAY, {"error": error}, done=False), True),
        "in a body": (_complete, "error", json.dumps({"error": error}).encode(), False),
    }[place]
    with pytest.raises(ProviderError) as caught:
        call(serve(reply(200, body, content_type="text/event-stream")))
    assert (caught.value.kind, str(caught.value), caught.value.started) == (kind, f"{where}: {said}", started)
