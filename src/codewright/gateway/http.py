"""What the HTTP providers share: one pooled httpx client, timeouts, error classification.

httpx is imported on first use, not at import time: `import codewright.gateway` stays
cheap for commands that never call a model. Every failure leaves here as a
`ProviderError` whose `kind` tells the router whether to retry, fall back or give up.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from codewright.errors import UsageError
from codewright.gateway.deadline import time_left
from codewright.gateway.provider import ProviderError
from codewright.utf8 import FFFD

if TYPE_CHECKING:
    import httpx

_OVERFLOW_MARKERS = (
    "context_length_exceeded",
    "maximum context length",
    "prompt is too long",
    "exceeds the context length",
    "context window",
    "too many tokens",
    "exceeds the available context size",  # llama.cpp's server (exceed_context_size_error), LM Studio
    "is longer than the maximum model length",  # vLLM: the decoder prompt (length N) is longer than ...
)


def classify_status(status: int, body: str, headers: Any, notes: dict[str, str] | None = None) -> ProviderError:
    """Turn an HTTP error answer into the ProviderError the router acts on; `notes` adds what the caller knows to
    the message of an error of its kind (where a refused key came from, the URL that was not found)."""
    message = _error_message(body) or f"HTTP {status}"
    kind = status_kind(status, body)
    note = (notes or {}).get(kind)
    if note:
        message += f"; {note}"
    return ProviderError(f"HTTP {status}: {message}", kind, status=status, retry_after=retry_after(headers))


def status_kind(status: int, body: str) -> str:
    """The ProviderError kind of an error answer of this status and body (a context overflow is told by its
    words, as each server words it). A 402 is the deployment's, as a refused key is: the request goes on to the
    others; it was a request refused, which ended it with its siblings and fallbacks untried. So is OpenAI's 429
    `insufficient_quota` (the account's credit or spending limit is used up, a 402 by another status): it was
    rate limiting, retried on the same deployment until the attempts ran out, a funded sibling or fallback untried."""
    lowered = body.lower()
    if status in (400, 413, 422) and any(m in lowered for m in _OVERFLOW_MARKERS):
        kind = "context_overflow"
    elif status == 429 and "insufficient_quota" not in lowered:
        kind = "rate_limit"
    elif status in (401, 402, 403, 429):  # 402, 429 insufficient_quota: the key's account is out of credit
        kind = "auth"
    elif status == 404:  # an unknown model or path: this deployment's configuration, not the request
        kind = "not_found"
    elif status == 408:
        kind = "timeout"
    elif status >= 500:
        kind = "server"
    else:
        kind = "bad_request"
    return kind


def _error_message(body: str) -> str:
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        return one_line(_MARKUP.sub(" ", body))
    err = obj.get("error", obj) if isinstance(obj, dict) else obj
    if isinstance(err, dict):
        return one_line(str(err.get("message") or err))
    return one_line(str(err))


_MARKUP = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.DOTALL | re.IGNORECASE)
"""The tags of an HTML error page (a proxy's 502), and the scripts and styles between them."""


def one_line(text: str) -> str:
    """An error message as one line of at most 300 characters: a proxy's HTML page or a message with line
    breaks went into the one-line error verbatim, markup and all, over several lines."""
    return " ".join(text.split())[:300]


def retry_after(headers: Any) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `Retry-After` (seconds or an HTTP date)."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return _seconds_until(value)


def _seconds_until(date: str) -> float | None:
    """Seconds until an HTTP date, or None for a value that is no date ("soon"): an unreadable hint is no hint,
    where it raised ValueError out of the provider, a traceback instead of a retried 429. A date without a zone
    (asctime's form) is GMT, as every HTTP date is; it was read as this machine's local time."""
    try:
        when = email.utils.parsedate_to_datetime(date)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, when.timestamp() - time.time())


def transport_error(exc: Exception, started: bool, url: httpx.URL | None = None) -> ProviderError:
    """Classify an httpx exception raised while sending or reading. A connection that could not be made names
    the host and port it was to (`url`'s: never a user or password in it): "Name or service not known" or
    "Connection refused" alone did not say which of the base URLs, configured or from the environment, it was."""
    import httpx

    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        kind = "connect"
        if url is not None:
            message = f"cannot connect to {_origin(url)}: {message}"
    elif isinstance(exc, httpx.TimeoutException):
        kind = "timeout"
    else:  # RemoteProtocolError, ReadError: the connection broke
        kind = "stream_cut" if started else "server"
    return ProviderError(message, kind, started=started)


def _origin(url: httpx.URL) -> str:
    """A URL's scheme, host and port, as they may be shown (never a user or password)."""
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


def iter_sse(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(event, data) pairs from Server-Sent Events lines; comments and ids are skipped."""
    event, data = "", []
    for line in lines:
        if not line:
            if data:
                yield event or "message", "\n".join(data)
            event, data = "", []
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
        elif line.startswith("event:"):
            event = line[6:].strip()
    if data:
        yield event or "message", "\n".join(data)


_JSON = {"content-type": "application/json"}


def request_body(payload: dict[str, Any]) -> bytes:
    """The payload as httpx would send it, except that a lone surrogate (a model's own `"\\udcff"` escape, read
    back into the conversation, or a file name that was not UTF-8) goes as U+FFFD: httpx's encoding raised on it,
    and every later request of the session held it too."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8", FFFD)


def parse_json(text: str, started: bool, where: str) -> Any:
    """A server's JSON, or a malformed answer: nested deeper than the parser goes (`[[[[...`, a model looping
    on one character) is as unreadable as a syntax error, where it was a RecursionError and a traceback."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ProviderError(f"malformed {where}: {text[:120]!r}", "malformed", started=started) from None


@contextmanager
def shaped(where: str, started: bool) -> Iterator[None]:
    """Reading a server's JSON that has the wrong shape (a string where an object goes, a number for the text, a
    list for the usage) is a malformed answer, handled as unparseable JSON is, not a traceback."""
    try:
        yield
    except (AttributeError, TypeError, KeyError, IndexError) as exc:
        raise ProviderError(f"malformed {where}: {exc}", "malformed", started=started) from None


class HttpProvider:
    """Base of the HTTP providers: a base URL, a model, a key (never shown) and timeouts."""

    protocol = ""

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key: str | None = None,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        max_connections: int = 64,
        max_tokens: int | None = None,
        name: str = "",
        key_env: str | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_connections = max_connections
        self.max_tokens = max_tokens
        self.name = name or f"{self.protocol}/{model}"
        self.key_env = key_env  # the variable the key was read from, named when the key is refused
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()
        self._urls: dict[str, httpx.URL] = {}  # parsed once: URL parsing is a visible share of a local call

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return f"{type(self).__name__}(model={self.model!r}, base_url={self.base_url!r}, api_key=<{key}>)"

    def headers(self) -> dict[str, str]:
        """The key as a bearer token (OpenAI-compatible servers; Ollama's cloud and authenticating proxies, as Ollama's
        own client sends OLLAMA_API_KEY: an ollama deployment's api_key_env was read and never sent)."""
        return {"authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def key_said(self) -> str:
        """Where the key of a request refused (401, 403) came from: an invalid key and one never sent (its
        variable not set, which is no error with a base URL of one's own) were both "auth", with no variable. A
        deployment that names no variable (a base_url of another host than its provider's, docs/config.md) sent
        none: said too, as the way to one."""
        if not self.key_env:
            return "no key sent: api_key_env names none"
        return f"key from {self.key_env}" if self._api_key else f"no key sent: {self.key_env} is not set"

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            with self._client_lock:
                return self._new_client()
        return self._client

    def _new_client(self) -> httpx.Client:
        if self._client is None:
            import httpx

            limits = httpx.Limits(max_connections=self.max_connections, max_keepalive_connections=32)
            # plain-http endpoints (local servers) skip loading the CA bundle: ~100 ms saved
            verify = not self.base_url.startswith("http://")
            read = self.read_timeout
            default = httpx.Timeout(connect=self.connect_timeout, read=read, write=read, pool=read)
            self._client = httpx.Client(headers=self.headers(), limits=limits, timeout=default, verify=verify)
        return self._client

    def timeout(self) -> Any:
        """The client's timeouts, capped at the time left before the router's deadline."""
        import httpx

        left = time_left()
        if self._client is not None and (left is None or left >= max(self.connect_timeout, self.read_timeout)):
            return httpx.USE_CLIENT_DEFAULT
        connect, read = self.connect_timeout, self.read_timeout
        if left is not None:
            connect, read = min(connect, left), min(read, left)
        return httpx.Timeout(connect=connect, read=read, write=read, pool=read)

    def url(self, path: str) -> httpx.URL:
        found = self._urls.get(path)
        if found is None:
            import httpx

            try:
                found = httpx.URL(self.base_url + path)
            except httpx.InvalidURL as exc:
                raise UsageError(f"{self.name}: base_url {self.base_url!r} is not a URL ({exc})") from None
            if found.scheme not in ("http", "https"):  # a configuration mistake: no retry can help
                raise UsageError(f"{self.name}: base_url {self.base_url!r} is not an http:// or https:// URL")
            self._urls[path] = found
        return found

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """One non-streamed call: the parsed JSON answer, or a classified ProviderError."""
        with self.open_stream(path, payload) as r:
            text = read_text(r)
        obj = parse_json(text, False, "response body")
        if not isinstance(obj, dict):
            raise ProviderError("malformed response body: not an object", "malformed")
        return obj

    @contextmanager
    def open_stream(self, path: str, payload: dict[str, Any]) -> Iterator[httpx.Response]:
        """A streamed call whose status was checked; errors on opening are classified."""
        import httpx

        url = self.url(path)
        try:
            with self.client.stream("POST", url, content=request_body(payload), headers=_JSON,
                                    timeout=self.timeout()) as r:
                if r.status_code >= 400:
                    notes = {"auth": self.key_said(), "not_found": f"POST {_origin(url)}{url.path}"}
                    raise classify_status(r.status_code, read_text(r), r.headers, notes)
                yield r
        except httpx.HTTPError as exc:
            raise transport_error(exc, False, url) from exc

    def lines(self, response: httpx.Response, started: Callable[[], bool]) -> LineReader:
        return LineReader(response, started)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


_LINE_END = re.compile(r"\r\n|\r|\n")


def split_lines(pieces: Iterable[str]) -> Iterator[str]:
    """The lines of a streamed body, ended by CRLF, LF or CR alone, as SSE and NDJSON end them. httpx's
    iter_lines ends a line at U+2028, U+2029 and U+0085 too, which JSON carries unescaped inside a string: a
    model's text holding one cut its event in two, and the answer was malformed."""
    partial: list[str] = []  # the line begun and not yet ended
    held = ""  # a CR that ended a piece: the first half of a CRLF, or a line end of its own
    for piece in pieces:
        piece = held + piece
        held = "\r" if piece.endswith("\r") else ""
        first, *ended = _LINE_END.split(piece[:-1] if held else piece)
        partial.append(first)
        if ended:
            yield "".join(partial)
            yield from ended[:-1]
            partial = [ended[-1]]
    last = "".join(partial)
    if held or last:
        yield last


def within_deadline(pieces: Iterable[str], started: Callable[[], bool]) -> Iterator[str]:
    """The pieces of a body as they arrive, until the deadline passes: httpx's read timeout bounds a silence
    only, so a server trickling a byte at a time held a call past any deadline, for as long as it liked."""
    for piece in pieces:
        left = time_left()
        if left is not None and left <= 0:
            raise ProviderError("deadline passed while reading the answer", "timeout", started=started())
        yield piece


def read_text(response: httpx.Response) -> str:
    """A whole body, read within the deadline."""
    return "".join(within_deadline(response.iter_text(), lambda: False))


class LineReader:
    """A streamed body's lines; transport failures become ProviderErrors (`started` known).

    `drain()` reads what follows the provider's last event (the chunked terminator), so
    the connection returns to the pool: dropping it costs the next call a new connection.
    """

    def __init__(self, response: httpx.Response, started: Callable[[], bool]) -> None:
        import httpx

        self._lines = split_lines(within_deadline(response.iter_text(), started))
        self._started = started
        self._error = httpx.HTTPError

    def __iter__(self) -> LineReader:
        return self

    def __next__(self) -> str:
        try:
            return next(self._lines)
        except self._error as exc:
            raise transport_error(exc, self._started()) from exc

    def drain(self) -> None:
        try:
            for _ in self._lines:
                pass
        except self._error:
            pass  # the answer was complete; a connection closed early only misses the pool
