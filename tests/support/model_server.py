"""Real-protocol model servers on 127.0.0.1 for tests and benchmarks.

One `ModelServer` listens on a free port and speaks three wire protocols, chosen by path:

    POST /v1/chat/completions   OpenAI chat completions (JSON, or SSE with `"stream": true`;
                                a final usage chunk only when `stream_options.include_usage`)
    POST /v1/messages           Anthropic messages (SSE event framing: message_start,
                                content_block_*, ping, message_delta, message_stop)
    POST /api/chat              Ollama chat (one JSON object, or NDJSON lines when streaming)
    GET  /v1/models, /api/tags  model lists (for `codewright models check`-style probes)

Usage::

    from tests.support.model_server import ModelServer, Turn, ToolUse, Fault

    with ModelServer() as srv:                       # port 0 -> a free port
        srv.script(Turn(text="hello"),               # replies are served in order
                   Turn(tool_calls=[ToolUse("read_file", {"path": "a.py"})]),
                   Turn(fault=Fault.rate_limit(retry_after=0.2)))
        srv.openai_base      # "http://127.0.0.1:PORT/v1"   (OPENAI_BASE_URL)
        srv.anthropic_base   # "http://127.0.0.1:PORT"      (ANTHROPIC_BASE_URL)
        srv.ollama_host      # "http://127.0.0.1:PORT"      (OLLAMA_HOST)
        srv.env()            # those three plus dummy API keys, for a subprocess
        ...
        srv.requests         # list[Recorded]: every request received, in order
        srv.requests[0].body # the parsed JSON the client sent

Options: `ModelServer(responder=None, *, context_window=None, flavor="openai" | "deepseek" | "gemini" | "index0" |
"llamacpp" | "vllm",
api_key=None (when set, requests without it get 401; OpenAI's quotes the key sent, as OpenAI does),
cache_block=1, cache_min=0, model="test-model")`. Also `srv.count(protocol=None)`, `srv.pending` (scripted replies not
yet served), `srv.stop()`; each `Recorded` has `.protocol`, `.path`, `.headers` (lowercased),
`.body`, `.stream`, `.prompt_tokens`, `.cached_tokens`, `.reply` (the Turn served), `.time`.

Deciding replies from the request: pass `responder=fn` (or set `srv.responder`). When the
script queue is empty, `fn(recorded)` is called for each request and returns a `Turn`, a
plain string (a text reply) or a `Fault`. Without script or responder the reply is
`Turn(text="ok")`. `recorded.messages` gives the conversation normalised to
`[{"role", "content", "tool_calls", "tool_call_id"}]` whatever the protocol, so a responder
can react to tool results the same way for every provider.

A `Turn` holds text, tool calls (`ToolUse(name, arguments)`: a dict is serialised, a str is
sent verbatim, so a malformed JSON string reaches the client as the model "wrote" it),
reasoning (Anthropic thinking block with a signature; OpenAI-compatible servers send it as
DeepSeek's `reasoning_content` when `flavor="deepseek"` and only count it otherwise;
Ollama sends `message.thinking`), a `usage` override, delays and a `fault`. With `flavor="gemini"`
tool calls come as Gemini's OpenAI API sends them: each whole in one stream delta without an
index, with `extra_content.google.thought_signature`, and a request whose assistant tool calls
lack the signatures the server gave is refused (400), as Gemini 3 refuses it. With `flavor="llamacpp"` or `"vllm"` an
overflow is worded as that server words it. With `flavor="nousage"` no answer reports its usage (an OpenAI-compatible
server or proxy that ignores `stream_options.include_usage`). With `flavor="index0"` every
streamed tool call has index 0 (each with its own id), as Ollama's OpenAI API and LiteLLM proxies send parallel calls.

Faults (`Fault.*`), each in the provider's real error shape:
    rate_limit(retry_after=None)   429, with a Retry-After header when given
    server_error(status=500, error_type="")  500/502/503 (Anthropic also 529 overloaded); Anthropic
                                   names its error `error_type` when given (a type it may add later);
                                   OpenAI's `server_error(429, "insufficient_quota")` is an account out of credit
    hang(seconds, after_chunks=None)  no bytes for `seconds` (before the headers, or
                                   mid-stream after N chunks); ends early on stop()
    cut(after_chunks=1)            stream (or body) cut mid-way: the socket is closed
    malformed(after_chunks=0)      an unparseable SSE/NDJSON event (or JSON body)
    drop()                         the connection closes without any response
    overflow()                     the provider's context-window error (also automatic:
                                   a prompt longer than `context_window` tokens)
    stream_error(error_type, after_chunks=1)  an error of that type after N events, ending the stream:
                                   Anthropic's `event: error` (rate_limit_error, overloaded_error, ...),
                                   OpenAI's `data: {"error": ...}` (server_error, ...), Ollama's
                                   `{"error": TEXT}` line (TEXT: error_type, as its errors have no type)
Connection refused: `closed_url()` gives a URL nobody listens on; `srv.stop()` makes the
server refuse too (open keep-alive connections are shut down as well).

Tokens and the simulated prefix cache: `count_tokens(text)` counts `\\w+` runs and single
punctuation characters (deterministic, no vocabulary). A request's prompt is flattened to
tokens in the order tools, system, messages (each message: its role, then its content
blocks). OpenAI/DeepSeek report as cached the longest token prefix shared with an earlier
request to the same model (rounded down to `cache_block`, zero below `cache_min`).
Anthropic caches only at `cache_control` breakpoints: a read is the longest breakpoint
prefix written before, a write is the prompt up to the last breakpoint beyond it, and
`input_tokens` counts the rest (as the real API does). Ollama reports the OpenAI-style prefix as
`prompt_eval_cached_count`, within `prompt_eval_count` (as Ollama's KV cache reuse does since 2026).
Output tokens are counted the same way over text, reasoning and tool arguments.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Union

_TOKEN = re.compile(r"\w+|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """The simulated tokenizer: word runs and single punctuation characters."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def closed_url() -> str:
    """A 127.0.0.1 URL on a port nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class Fault:
    kind: str  # rate_limit | status | hang | cut | malformed | drop | overflow | stream_error
    status: int = 500
    retry_after: float | None = None
    seconds: float = 0.0
    after_chunks: int | None = None
    error_type: str = ""  # stream_error, server_error: the error's type, as Anthropic names it
    error_code: str | None = None  # stream_error: the error's code, as OpenAI names it (invalid_api_key)

    @classmethod
    def rate_limit(cls, retry_after: float | None = None) -> Fault:
        return cls("rate_limit", 429, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500, error_type: str = "") -> Fault:
        return cls("status", status, error_type=error_type)

    @classmethod
    def hang(cls, seconds: float = 2.0, after_chunks: int | None = None) -> Fault:
        return cls("hang", seconds=seconds, after_chunks=after_chunks)

    @classmethod
    def cut(cls, after_chunks: int = 1) -> Fault:
        return cls("cut", after_chunks=after_chunks)

    @classmethod
    def malformed(cls, after_chunks: int = 0) -> Fault:
        return cls("malformed", after_chunks=after_chunks)

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")

    @classmethod
    def overflow(cls) -> Fault:
        return cls("overflow", 400)

    @classmethod
    def stream_error(cls, error_type: str, after_chunks: int = 1, code: str | None = None) -> Fault:
        return cls("stream_error", after_chunks=after_chunks, error_type=error_type, error_code=code)


@dataclass
class ToolUse:
    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def raw_arguments(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Turn:
    text: str = ""
    tool_calls: list[ToolUse] = field(default_factory=list)
    reasoning: str = ""
    signature: str | None = None  # Anthropic thinking signature; derived from the text when None
    redacted_thinking: str | None = None  # Anthropic redacted_thinking data
    usage: dict[str, int] | None = None  # overrides: input_tokens, output_tokens, cache_read_tokens, ...
    finish_reason: str | None = None  # normalised: stop | tool_calls | length
    fault: Fault | None = None
    delay: float = 0.0  # seconds before the first byte
    chunk_delay: float = 0.0  # seconds between streamed chunks
    chunk_size: int = 8  # characters per streamed text/argument fragment


Reply = Union[Turn, Fault, str]  # noqa: UP007 (a runtime alias; `|` on classes needs 3.10)


@dataclass
class Recorded:
    """One request as received: what the client sent and what it was answered."""

    protocol: str  # openai | anthropic | ollama | models
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    prompt_tokens: int = 0
    cached_tokens: int = 0
    reply: Turn | None = None
    time: float = 0.0

    @property
    def stream(self) -> bool:
        if not isinstance(self.body, dict):
            return False
        return bool(self.body.get("stream", self.protocol == "ollama"))  # Ollama streams by default

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation normalised across protocols (system first when present)."""
        return _normalise_messages(self.protocol, self.body if isinstance(self.body, dict) else {})

    @property
    def last_text(self) -> str:
        msgs = self.messages
        return msgs[-1]["content"] if msgs else ""


def _normalise_messages(protocol: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if protocol == "anthropic":
        system = body.get("system")
        if system:
            out.append({"role": "system", "content": _block_text(system), "tool_calls": [],
                        "tool_call_id": None})
        for m in body.get("messages", []):
            content = m.get("content")
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
            calls = [{"id": b["id"], "name": b["name"], "arguments": json.dumps(b.get("input", {}))}
                     for b in blocks if b.get("type") == "tool_use"]
            results = [b for b in blocks if b.get("type") == "tool_result"]
            for r in results:
                out.append({"role": "tool", "content": _block_text(r.get("content", "")), "tool_calls": [],
                            "tool_call_id": r.get("tool_use_id")})
            text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
            if text or calls or not results:
                out.append({"role": m["role"], "content": text, "tool_calls": calls, "tool_call_id": None})
        return out
    for m in body.get("messages", []):
        calls = []
        for i, c in enumerate(m.get("tool_calls") or []):
            fn = c.get("function", {})
            args = fn.get("arguments", "")
            calls.append({"id": c.get("id", f"call_{i}"), "name": fn.get("name"),
                          "arguments": args if isinstance(args, str) else json.dumps(args)})
        out.append({"role": m.get("role"), "content": _block_text(m.get("content") or ""),
                    "tool_calls": calls, "tool_call_id": m.get("tool_call_id")})
    return out


def _block_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)


# ---------------------------------------------------------------- prompt flattening and the cache


def _prompt_segments(protocol: str, body: dict[str, Any]) -> list[tuple[str, bool]]:
    """The prompt as (text, ends-at-a-cache-breakpoint) segments in the provider's order."""
    segs: list[tuple[str, bool]] = []
    for tool in body.get("tools") or []:
        segs.append((json.dumps({k: v for k, v in tool.items() if k != "cache_control"}, sort_keys=True),
                     "cache_control" in tool))
    system = body.get("system")
    if isinstance(system, str):
        segs.append(("system " + system, False))
    elif isinstance(system, list):
        for block in system:
            segs.append(("system " + block.get("text", ""), "cache_control" in block))
    for m in body.get("messages", []):
        content = m.get("content")
        if isinstance(content, list):
            segs.append((m.get("role", ""), False))
            for block in content:
                segs.append((_block_flat(block), isinstance(block, dict) and "cache_control" in block))
        else:
            calls = json.dumps(m.get("tool_calls"), sort_keys=True) if m.get("tool_calls") else ""
            segs.append((f"{m.get('role', '')} {content or ''} {calls}", False))
    return segs


def _block_flat(block: Any) -> str:
    if not isinstance(block, dict):
        return str(block)
    kind = block.get("type")
    if kind == "text":
        return block.get("text", "")
    if kind == "tool_use":
        return f"{block.get('name')} {json.dumps(block.get('input', {}), sort_keys=True)}"
    if kind == "tool_result":
        return _block_text(block.get("content", ""))
    if kind == "thinking":
        return block.get("thinking", "")
    return json.dumps(block, sort_keys=True)


class PrefixCache:
    """A provider-side prompt cache simulated over token sequences (see the module docstring)."""

    def __init__(self, block: int = 1, minimum: int = 0, keep: int = 512) -> None:
        self.block, self.minimum, self.keep = block, minimum, keep
        self._seen: dict[str, list[list[str]]] = {}
        self._written: set[str] = set()
        self._lock = threading.Lock()

    def automatic(self, model: str, tokens: list[str]) -> int:
        """OpenAI-style: the longest prefix shared with any earlier prompt to this model."""
        with self._lock:
            seen = self._seen.setdefault(model, [])
            best = max((_common_prefix(tokens, old) for old in seen), default=0)
            seen.append(tokens)
            del seen[: -self.keep]
        best = best // self.block * self.block
        return best if best >= max(self.minimum, 1) else 0

    def breakpoints(self, model: str, tokens: list[str], marks: list[int]) -> tuple[int, int]:
        """Anthropic-style: (read, write) token counts for breakpoint prefixes `marks`."""
        keys = [(m, _digest(model, tokens[:m])) for m in sorted(set(marks)) if m >= self.minimum and m > 0]
        with self._lock:
            read = max((m for m, k in keys if k in self._written), default=0)
            self._written.update(k for _, k in keys)
        last = max((m for m, _ in keys), default=0)
        return read, max(0, last - read)


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _digest(model: str, tokens: list[str]) -> str:
    return hashlib.sha1((model + "\x00" + "\x1f".join(tokens)).encode()).hexdigest()


# ---------------------------------------------------------------- the server


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: ModelServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up (timeouts, cut streams) are part of the tests


class ModelServer:
    """A scripted model server; see the module docstring."""

    def __init__(
        self,
        responder: Callable[[Recorded], Reply] | None = None,
        *,
        context_window: int | None = None,
        flavor: str = "openai",  # openai | deepseek (reasoning_content) | gemini (signed calls) | index0 (all at 0)
        # | llamacpp | vllm (their context overflows) | nousage (no usage in any answer)
        api_key: str | None = None,  # when set, requests without it get 401
        cache_block: int = 1,
        cache_min: int = 0,
        model: str = "test-model",
    ) -> None:
        self.responder = responder
        self.context_window = context_window
        self.flavor = flavor
        self.api_key = api_key
        self.model = model
        self.cache = PrefixCache(cache_block, cache_min)
        self.requests: list[Recorded] = []
        self._queue: list[Reply] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._conns: set[socket.socket] = set()
        self._ids = itertools.count(1)
        self._signatures: set[str] = set()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    # -- public API
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base(self) -> str:
        return self.url

    @property
    def ollama_host(self) -> str:
        return self.url

    def env(self, key: str = "test-key") -> dict[str, str]:
        return {
            "OPENAI_BASE_URL": self.openai_base, "OPENAI_API_KEY": key,
            "ANTHROPIC_BASE_URL": self.anthropic_base, "ANTHROPIC_API_KEY": key,
            "OLLAMA_HOST": self.ollama_host,
        }

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        return len(self._queue)

    def count(self, protocol: str | None = None) -> int:
        return sum(1 for r in self.requests if protocol in (None, r.protocol))

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            _shutdown(conn)
        self._thread.join(timeout=2)

    def __enter__(self) -> ModelServer:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- used by the handler
    def _next_reply(self, rec: Recorded) -> Turn:
        with self._lock:
            reply = self._queue.pop(0) if self._queue else None
        if reply is None:
            reply = self.responder(rec) if self.responder else Turn(text="ok")
        if isinstance(reply, str):
            return Turn(text=reply)
        if isinstance(reply, Fault):
            return Turn(fault=reply)
        return reply

    def _sign(self, text: str, given: str | None) -> str:
        sig = given or "sig-" + hashlib.sha256(text.encode()).hexdigest()[:24]
        with self._lock:
            self._signatures.add(sig)
        return sig

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"


def _shutdown(conn: socket.socket, how: int = socket.SHUT_RDWR) -> None:
    try:
        conn.shutdown(how)
    except OSError:
        pass


class _Abort(Exception):
    """The handler closes the connection without finishing the response."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.owner._lock:
            self.server.owner._conns.add(self.connection)

    def finish(self) -> None:
        with self.server.owner._lock:
            self.server.owner._conns.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    # -- routing
    def do_GET(self) -> None:
        owner = self.server.owner
        self._record("models", None)
        if self.path.startswith("/api/tags"):
            self._json(200, {"models": [{"name": owner.model, "model": owner.model}]})
        elif self.path.startswith("/v1/models"):
            self._json(200, {"object": "list", "data": [{"id": owner.model, "object": "model"}]})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        route = {"/v1/chat/completions": _OpenAI, "/chat/completions": _OpenAI,
                 "/v1/messages": _Anthropic, "/api/chat": _Ollama}.get(self.path.split("?")[0])
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        if route is None:
            self._record("unknown", body)
            self._json(404, {"error": f"no route {self.path}"})
            return
        proto = route(self, body)
        try:
            proto.handle()
        except _Abort:  # what was written arrives first, then a clean FIN with no proper end
            self.close_connection = True
            self.wfile.flush()
            time.sleep(0.02)
            _shutdown(self.connection, socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- helpers
    def _record(self, protocol: str, body: Any) -> Recorded:
        rec = Recorded(protocol, self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                       body, time=time.monotonic())
        with self.server.owner._lock:
            self.server.owner.requests.append(rec)
        return rec

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _wait(self, seconds: float) -> None:
        if self.server.owner._stopped.wait(seconds):
            raise _Abort()


class _Protocol:
    """One request's handling; subclasses render the same Turn in their wire format."""

    name = ""
    content_type = "text/event-stream"

    def __init__(self, handler: _Handler, body: Any) -> None:
        self.h = handler
        self.owner = handler.server.owner
        self.body = body if isinstance(body, dict) else {}
        self.rec = handler._record(self.name, body)
        self.model = self.body.get("model") or self.owner.model

    def handle(self) -> None:
        h, owner = self.h, self.owner
        if not isinstance(self.rec.body, dict) or "messages" not in self.body:
            self.error(400, "invalid_request_error", "request body must be a JSON object with messages")
            return
        if owner.api_key and not self.authorised():
            self.error(401, "authentication_error", self.refusal())
            return
        problem = self.validate()
        if problem:
            self.error(400, "invalid_request_error", problem)
            return
        tokens, marks = self.prompt_tokens()
        self.rec.prompt_tokens = len(tokens)
        turn = owner._next_reply(self.rec)
        self.rec.reply = turn
        fault = turn.fault
        if fault and fault.kind == "overflow" or (owner.context_window and len(tokens) > owner.context_window):
            self.overflow(len(tokens), owner.context_window or len(tokens) - 1)
            return
        if turn.delay:
            h._wait(turn.delay)
        if fault and fault.kind == "hang" and fault.after_chunks is None:
            h._wait(fault.seconds)
        if fault and fault.kind == "drop":
            raise _Abort()
        if fault and fault.kind in ("rate_limit", "status"):
            headers = {"retry-after": _fmt(fault.retry_after)} if fault.retry_after is not None else {}
            kind = "rate_limit_error" if fault.status == 429 else "api_error"
            if fault.status == 529:
                kind = "overloaded_error"
            self.error(fault.status, fault.error_type or kind, f"injected {fault.status}", headers)
            return
        read, write = self.cache(tokens, marks)  # only prompts that were served reach the cache
        self.rec.cached_tokens = read
        usage = self.usage(turn, len(tokens), read, write)
        if self.rec.stream:
            self.stream(turn, usage)
        else:
            self.whole(turn, usage)

    def authorised(self) -> bool:
        return self.h.headers.get("authorization") == f"Bearer {self.owner.api_key}"

    def refusal(self) -> str:
        """A 401's message: OpenAI's quotes the key it was sent (whole, when short), as some proxies do."""
        key = (self.h.headers.get("authorization") or "").removeprefix("Bearer ")
        return f"Incorrect API key provided: {key}. You can find your API key at https://platform.openai.com."

    def validate(self) -> str | None:
        return None

    def prompt_tokens(self) -> tuple[list[str], list[int]]:
        tokens: list[str] = []
        marks: list[int] = []
        for text, mark in _prompt_segments(self.name, self.body):
            tokens.extend(tokenize(text))
            if mark:
                marks.append(len(tokens))
        return tokens, marks

    def cache(self, tokens: list[str], marks: list[int]) -> tuple[int, int]:
        return self.owner.cache.automatic(self.model, tokens), 0

    def usage(self, turn: Turn, prompt: int, read: int, write: int) -> dict[str, int]:
        out = count_tokens(turn.text) + count_tokens(turn.reasoning)
        out += sum(count_tokens(c.raw_arguments()) + 1 for c in turn.tool_calls)
        u = {"input_tokens": prompt, "output_tokens": max(out, 1), "cache_read_tokens": read,
             "cache_write_tokens": write, "reasoning_tokens": count_tokens(turn.reasoning)}
        u.update(turn.usage or {})
        return u

    def finish(self, turn: Turn) -> str:
        return turn.finish_reason or ("tool_calls" if turn.tool_calls else "stop")

    # -- streaming machinery shared by the protocols
    def begin_stream(self) -> None:
        h = self.h
        h.send_response(200)
        h.send_header("content-type", self.content_type)
        h.send_header("transfer-encoding", "chunked")
        h.send_header("cache-control", "no-cache")
        h.end_headers()

    def write_chunk(self, data: bytes) -> None:
        self.h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.h.wfile.flush()

    def send_events(self, turn: Turn, events: Iterator[bytes]) -> None:
        """Write framed events, applying the turn's mid-stream fault."""
        fault = turn.fault
        self.begin_stream()
        for n, event in enumerate(events):
            if fault and fault.after_chunks == n:
                if fault.kind == "cut":
                    raise _Abort()
                if fault.kind == "malformed":
                    self.write_chunk(self.malformed_event())
                    fault = None
                elif fault.kind == "hang":
                    self.h._wait(fault.seconds)
                    fault = None
                elif fault.kind == "stream_error":
                    self.write_chunk(self.error_event(fault.error_type, fault.error_code))
                    break
            if turn.chunk_delay and n:
                self.h._wait(turn.chunk_delay)
            self.write_chunk(event)
        if fault and fault.kind == "cut":  # cut after everything: the terminator never comes
            raise _Abort()
        self.h.wfile.write(b"0\r\n\r\n")
        self.h.wfile.flush()

    def malformed_event(self) -> bytes:
        return b'data: {"choices": [{"delta": {"content": "oops"\n\n'

    def error_event(self, error_type: str, code: str | None) -> bytes:
        """The in-stream error (Fault.stream_error) in the protocol's own shape: each protocol writes its own, and a
        new one that does not says so at once rather than serving some other fault."""
        raise NotImplementedError(f"{self.name} writes no in-stream error event")

    def whole_body(self, obj: Any, turn: Turn) -> None:
        fault = turn.fault
        if fault and fault.kind == "malformed":
            data = b'{"id": "broken", "choices": [ {'
            self.raw(200, data)
        elif fault and fault.kind == "cut":
            data = json.dumps(obj).encode()
            h = self.h
            h.send_response(200)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(data)))
            h.end_headers()
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            raise _Abort()
        else:
            self.h._json(200, obj)

    def raw(self, status: int, data: bytes) -> None:
        h = self.h
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    # -- per protocol
    def error(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        raise NotImplementedError

    def overflow(self, tokens: int, window: int) -> None:
        raise NotImplementedError

    def stream(self, turn: Turn, usage: dict[str, int]) -> None:
        raise NotImplementedError

    def whole(self, turn: Turn, usage: dict[str, int]) -> None:
        raise NotImplementedError


def _thought_signature(call: Any) -> Any:
    extra = call.get("extra_content") if isinstance(call, dict) else None
    google = extra.get("google") if isinstance(extra, dict) else None
    return google.get("thought_signature") if isinstance(google, dict) else None


def _fmt(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), max(size, 1))]


def _sse(obj: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(obj)}\n\n".encode()


class _OpenAI(_Protocol):
    name = "openai"

    def validate(self) -> str | None:
        seen: set[str] = set()
        for m in self.body.get("messages", []):
            for c in m.get("tool_calls") or []:
                seen.add(c.get("id"))
                if self.owner.flavor == "gemini" and _thought_signature(c) not in self.owner._signatures:
                    return ("Function call is missing a thought_signature in functionCall parts. This is required "
                            "for tools to work correctly")
            if m.get("role") == "tool" and m.get("tool_call_id") not in seen:
                return f"tool message answers unknown tool_call_id {m.get('tool_call_id')!r}"
        return None

    def error(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        code = {429: "rate_limit_exceeded", 401: "invalid_api_key"}.get(status)
        etype = {429: "requests", 401: "invalid_request_error"}.get(status, "server_error" if status >= 500
                                                                      else "invalid_request_error")
        if kind == "insufficient_quota":  # OpenAI's 429 for an account out of credit: its type and code
            code = etype = kind
        self.h._json(status, {"error": {"message": message, "type": etype, "param": None, "code": code}}, headers)

    def error_event(self, error_type: str, code: str | None) -> bytes:
        """An error object in the stream, as OpenAI sends one when a generation fails midway (vLLM and OpenRouter
        too, with a status as the code)."""
        return _sse({"error": {"message": f"injected {error_type}", "type": error_type, "param": None, "code": code}})

    def overflow(self, tokens: int, window: int) -> None:
        if self.owner.flavor == "llamacpp":  # llama.cpp's server (server-context.cpp)
            msg = f"request ({tokens} tokens) exceeds the available context size ({window} tokens), try increasing it"
            self.h._json(400, {"error": {"code": 400, "message": msg, "type": "exceed_context_size_error",
                                         "n_prompt_tokens": tokens, "n_ctx": window}})
            return
        if self.owner.flavor == "vllm":  # vLLM's V1 engine, its error object at the top level
            msg = f"The decoder prompt (length {tokens}) is longer than the maximum model length of {window}."
            self.h._json(400, {"object": "error", "message": msg, "type": "BadRequestError", "param": None,
                               "code": 400})
            return
        msg = (f"This model's maximum context length is {window} tokens. However, your messages resulted "
               f"in {tokens} tokens. Please reduce the length of the messages.")
        self.h._json(400, {"error": {"message": msg, "type": "invalid_request_error", "param": "messages",
                                     "code": "context_length_exceeded"}})

    def usage_obj(self, u: dict[str, int]) -> dict[str, Any]:
        obj: dict[str, Any] = {"prompt_tokens": u["input_tokens"], "completion_tokens": u["output_tokens"],
                               "total_tokens": u["input_tokens"] + u["output_tokens"],
                               "completion_tokens_details": {"reasoning_tokens": u["reasoning_tokens"]}}
        if self.owner.flavor == "deepseek":
            obj["prompt_cache_hit_tokens"] = u["cache_read_tokens"]
            obj["prompt_cache_miss_tokens"] = u["input_tokens"] - u["cache_read_tokens"]
        else:
            obj["prompt_tokens_details"] = {"cached_tokens": u["cache_read_tokens"]}
        return obj

    def tool_ids(self, turn: Turn) -> list[str]:
        return [c.id or self.owner._next_id("call_") for c in turn.tool_calls]

    def call(self, call: ToolUse, tid: str) -> dict[str, Any]:
        """A whole tool call; Gemini's carries a thought signature, which it requires back with the call."""
        out: dict[str, Any] = {"id": tid, "type": "function",
                               "function": {"name": call.name, "arguments": call.raw_arguments()}}
        if self.owner.flavor == "gemini":
            out["extra_content"] = {"google": {"thought_signature": self.owner._sign(tid, None)}}
        return out

    def chunk(self, cid: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
        return _sse({"id": cid, "object": "chat.completion.chunk", "created": int(time.time()),
                     "model": self.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    def stream(self, turn: Turn, usage: dict[str, int]) -> None:
        cid = self.owner._next_id("chatcmpl-")
        ids = self.tool_ids(turn)
        include_usage = bool((self.body.get("stream_options") or {}).get("include_usage"))
        include_usage &= self.owner.flavor != "nousage"

        def events() -> Iterator[bytes]:
            yield self.chunk(cid, {"role": "assistant", "content": ""})
            if turn.reasoning and self.owner.flavor == "deepseek":
                for piece in _pieces(turn.reasoning, turn.chunk_size):
                    yield self.chunk(cid, {"reasoning_content": piece})
            for piece in _pieces(turn.text, turn.chunk_size):
                yield self.chunk(cid, {"content": piece})
            for i, (call, tid) in enumerate(zip(turn.tool_calls, ids)):
                if self.owner.flavor == "gemini":  # each call whole in one delta, with no index
                    yield self.chunk(cid, {"tool_calls": [self.call(call, tid)]})
                    continue
                index = 0 if self.owner.flavor == "index0" else i  # Ollama's OpenAI API numbers every call 0
                head = {"index": index, "id": tid, "type": "function", "function": {"name": call.name, "arguments": ""}}
                yield self.chunk(cid, {"tool_calls": [head]})
                for piece in _pieces(call.raw_arguments(), turn.chunk_size):
                    yield self.chunk(cid, {"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            yield self.chunk(cid, {}, self.finish(turn))
            if include_usage:
                yield _sse({"id": cid, "object": "chat.completion.chunk", "created": int(time.time()),
                            "model": self.model, "choices": [], "usage": self.usage_obj(usage)})
            yield b"data: [DONE]\n\n"

        self.send_events(turn, events())

    def whole(self, turn: Turn, usage: dict[str, int]) -> None:
        msg: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
        if turn.reasoning and self.owner.flavor == "deepseek":
            msg["reasoning_content"] = turn.reasoning
        if turn.tool_calls:
            msg["tool_calls"] = [self.call(c, tid) for c, tid in zip(turn.tool_calls, self.tool_ids(turn))]
        obj = {"id": self.owner._next_id("chatcmpl-"), "object": "chat.completion", "created": int(time.time()),
               "model": self.model, "choices": [{"index": 0, "message": msg, "finish_reason": self.finish(turn)}],
               "usage": self.usage_obj(usage)}
        if self.owner.flavor == "nousage":
            del obj["usage"]
        self.whole_body(obj, turn)


_ANTHROPIC_STOP = {"stop": "end_turn", "tool_calls": "tool_use", "length": "max_tokens"}


class _Anthropic(_Protocol):
    name = "anthropic"

    def authorised(self) -> bool:
        return self.h.headers.get("x-api-key") == self.owner.api_key

    def refusal(self) -> str:
        return "invalid x-api-key"

    def validate(self) -> str | None:
        if "max_tokens" not in self.body:
            return "max_tokens: Field required"
        if not self.h.headers.get("anthropic-version"):
            return "anthropic-version: header is required"
        thinking = (self.body.get("thinking") or {}).get("type") == "enabled"
        tool_ids: set[str] = set()
        for m in self.body.get("messages", []):
            blocks = m.get("content") if isinstance(m.get("content"), list) else []
            for b in blocks:
                if b.get("type") == "tool_use":
                    tool_ids.add(b.get("id"))
                if b.get("type") == "tool_result" and b.get("tool_use_id") not in tool_ids:
                    return f"unexpected `tool_use_id` found in `tool_result` blocks: {b.get('tool_use_id')}"
                if b.get("type") == "thinking" and b.get("signature") not in self.owner._signatures:
                    return "Invalid `signature` in `thinking` block"
            uses_tools = m.get("role") == "assistant" and any(b.get("type") == "tool_use" for b in blocks)
            if thinking and uses_tools and blocks[0].get("type") not in ("thinking", "redacted_thinking"):
                return ("Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` "
                        "is enabled, a final `assistant` message must start with a thinking block")
        marks = sum(1 for _, mark in _prompt_segments(self.name, self.body) if mark)
        if marks > 4:
            return f"A maximum of 4 blocks with cache_control may be provided. Found {marks}."
        return None

    def error(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        if status == 400:
            kind = "invalid_request_error"
        self.h._json(status, {"type": "error", "error": {"type": kind, "message": message}}, headers)

    def overflow(self, tokens: int, window: int) -> None:
        self.error(400, "invalid_request_error", f"prompt is too long: {tokens} tokens > {window} maximum")

    def error_event(self, error_type: str, code: str | None) -> bytes:
        error = {"type": "error", "error": {"type": error_type, "message": f"injected {error_type}"}}
        return b"event: error\ndata: %s\n\n" % json.dumps(error).encode()

    def cache(self, tokens: list[str], marks: list[int]) -> tuple[int, int]:
        return self.owner.cache.breakpoints(self.model, tokens, marks)

    def usage_obj(self, u: dict[str, int]) -> dict[str, int]:
        return {"input_tokens": u["input_tokens"] - u["cache_read_tokens"] - u["cache_write_tokens"],
                "cache_creation_input_tokens": u["cache_write_tokens"],
                "cache_read_input_tokens": u["cache_read_tokens"], "output_tokens": u["output_tokens"]}

    def blocks(self, turn: Turn) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if turn.reasoning:
            out.append({"type": "thinking", "thinking": turn.reasoning,
                        "signature": self.owner._sign(turn.reasoning, turn.signature)})
        if turn.redacted_thinking:
            out.append({"type": "redacted_thinking", "data": turn.redacted_thinking})
        if turn.text:
            out.append({"type": "text", "text": turn.text})
        for c in turn.tool_calls:
            out.append({"type": "tool_use", "id": c.id or self.owner._next_id("toolu_"), "name": c.name,
                        "input": c.arguments})  # a str stays raw: the streamed deltas carry it verbatim
        return out

    def message(self, turn: Turn, content: list[dict[str, Any]], usage: dict[str, int]) -> dict[str, Any]:
        return {"id": self.owner._next_id("msg_"), "type": "message", "role": "assistant", "model": self.model,
                "content": content, "stop_reason": _ANTHROPIC_STOP.get(self.finish(turn), "end_turn"),
                "stop_sequence": None, "usage": usage}

    def malformed_event(self) -> bytes:
        return b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {\n\n'

    def stream(self, turn: Turn, usage: dict[str, int]) -> None:
        u = self.usage_obj(usage)
        blocks = self.blocks(turn)

        def events() -> Iterator[bytes]:
            start = self.message(turn, [], {**u, "output_tokens": 1})
            start["stop_reason"] = None
            yield _sse({"type": "message_start", "message": start}, "message_start")
            yield _sse({"type": "ping"}, "ping")
            for i, block in enumerate(blocks):
                yield from self.block_events(i, block, turn.chunk_size)
            stop = _ANTHROPIC_STOP.get(self.finish(turn), "end_turn")
            yield _sse({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                        "usage": {"output_tokens": u["output_tokens"]}}, "message_delta")
            yield _sse({"type": "message_stop"}, "message_stop")

        self.send_events(turn, events())

    def block_events(self, i: int, block: dict[str, Any], size: int) -> Iterator[bytes]:
        kind = block["type"]
        if kind == "thinking":
            head = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [{"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"], size)]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        elif kind == "text":
            head = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in _pieces(block["text"], size)]
        elif kind == "tool_use":
            head = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            raw = block["input"] if isinstance(block["input"], str) else json.dumps(block["input"])
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in _pieces(raw, size)]
        else:
            head, deltas = block, []
        yield _sse({"type": "content_block_start", "index": i, "content_block": head}, "content_block_start")
        for d in deltas:
            yield _sse({"type": "content_block_delta", "index": i, "delta": d}, "content_block_delta")
        yield _sse({"type": "content_block_stop", "index": i}, "content_block_stop")

    def whole(self, turn: Turn, usage: dict[str, int]) -> None:
        blocks = self.blocks(turn)
        for b in blocks:  # a non-streamed tool_use always carries a parsed object
            if b["type"] == "tool_use" and isinstance(b["input"], str):
                try:
                    b["input"] = json.loads(b["input"])
                except ValueError:
                    b["input"] = {"_raw": b["input"]}
        self.whole_body(self.message(turn, blocks, self.usage_obj(usage)), turn)


class _Ollama(_Protocol):
    name = "ollama"
    content_type = "application/x-ndjson"

    def authorised(self) -> bool:
        return True

    def error(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        self.h._json(status, {"error": message}, headers)

    def overflow(self, tokens: int, window: int) -> None:
        self.error(400, "", f"the input length exceeds the context length ({tokens} > {window} tokens)")

    def malformed_event(self) -> bytes:
        return b'{"model": "x", "message": {"role": "assistant", "content": "oo\n'

    def error_event(self, error_type: str, code: str | None) -> bytes:
        """Ollama's error line in a /api/chat stream, `{"error": TEXT}` (a model runner that crashed midway): its
        errors have no type, so `error_type` is the text it says, line breaks and all (a runner's often has some)."""
        return (json.dumps({"error": error_type}) + "\n").encode()

    def calls(self, turn: Turn) -> list[dict[str, Any]]:
        out = []
        for c in turn.tool_calls:
            try:
                args: Any = json.loads(c.raw_arguments())
            except ValueError:
                args = c.raw_arguments()
            out.append({"function": {"name": c.name, "arguments": args}})
        return out

    def line(self, message: dict[str, Any], done: bool = False, extra: dict[str, Any] | None = None) -> bytes:
        obj = {"model": self.model, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "message": {"role": "assistant", "content": "", **message}, "done": done}
        obj.update(extra or {})
        return (json.dumps(obj) + "\n").encode()

    def final(self, turn: Turn, usage: dict[str, int]) -> dict[str, Any]:
        reason = "length" if self.finish(turn) == "length" else "stop"
        return {"done_reason": reason, "total_duration": 1000, "load_duration": 10,
                "prompt_eval_count": usage["input_tokens"], "prompt_eval_cached_count": usage["cache_read_tokens"],
                "prompt_eval_duration": 100,
                "eval_count": usage["output_tokens"], "eval_duration": 500}

    def stream(self, turn: Turn, usage: dict[str, int]) -> None:
        def events() -> Iterator[bytes]:
            for piece in _pieces(turn.reasoning, turn.chunk_size):
                yield self.line({"thinking": piece})
            for piece in _pieces(turn.text, turn.chunk_size):
                yield self.line({"content": piece})
            if turn.tool_calls:
                yield self.line({"tool_calls": self.calls(turn)})
            yield self.line({}, True, self.final(turn, usage))

        self.send_events(turn, events())

    def whole(self, turn: Turn, usage: dict[str, int]) -> None:
        msg: dict[str, Any] = {"role": "assistant", "content": turn.text}
        if turn.reasoning:
            msg["thinking"] = turn.reasoning
        if turn.tool_calls:
            msg["tool_calls"] = self.calls(turn)
        obj = json.loads(self.line(msg, True, self.final(turn, usage)))
        self.whole_body(obj, turn)
