"""The interface each provider implements: one deployment's wire protocol behind normalised types.

A provider instance talks to one deployment (one base URL and model, or one local model
file). The router adds retries, breakers, fallback and accounting around it, so a
provider does exactly one attempt and raises `ProviderError` with a classification the
router can act on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from codewright.gateway.types import Request, Response, StreamEvent

_KEYS: set[str] = set()
"""The API keys providers were given, kept out of every ProviderError's message (see `hide_key`)."""


def hide_key(key: str) -> None:
    """Keep `key` out of the messages of the errors raised from now on. A server may quote the key it was sent
    in its error (OpenAI's 401 does, whole when the key is short; so do proxies), and the message went as it
    was into the output, the events and the session file. A key under 8 characters is too short to find
    without mangling the words around it (and no provider issues one)."""
    if len(key) >= 8:
        _KEYS.add(key)


def _hidden(message: str) -> str:
    for key in _KEYS:
        message = message.replace(key, "<api key>")
    return message


class ProviderError(Exception):
    """One failed attempt.

    kind: rate_limit | server | timeout | connect | context_overflow | auth | not_found |
    bad_request | malformed | stream_cut | unusable (the deployment cannot be built: a key not
    set). `status` is the HTTP status it came with, or for an error sent after a 200 (in a stream), the one its
    type comes with: a refused key is known by its 401 or 403 however it was sent. `retry_after` is seconds from
    a Retry-After header, when given; `started` is True when
    a stream had already yielded tokens (it must not be retried silently).
    """

    def __init__(
        self,
        message: str,
        kind: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        started: bool = False,
    ) -> None:
        super().__init__(_hidden(message))
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        self.started = started

    @property
    def retryable(self) -> bool:
        return self.kind in {"rate_limit", "server", "timeout", "connect", "malformed"} and not self.started


class Provider(Protocol):
    """One deployment. `stream` yields deltas and ends with exactly one `Completed`."""

    def complete(self, request: Request) -> Response: ...

    def stream(self, request: Request) -> Iterator[StreamEvent]: ...

    def close(self) -> None: ...
