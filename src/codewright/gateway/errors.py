"""What a caller of the gateway sees when a request cannot be answered.

Every error here is a `CodewrightError`, so the CLI prints one line (exit 1); each one
lists the attempts made and how long each took, so "what was retried where" is never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from codewright.errors import CodewrightError


@dataclass
class Attempt:
    """One try of one deployment: which, how it ended, and how long it took."""

    deployment: str
    outcome: str  # ok | a ProviderError kind
    message: str = ""
    elapsed_s: float = 0.0


class GatewayError(CodewrightError):
    """No deployment could answer; `attempts` says what was tried, and what each failure said."""

    def __init__(self, message: str, attempts: list[Attempt] | None = None) -> None:
        self.attempts = list(attempts or [])
        tried = "; ".join(_tried(message, self.attempts))
        super().__init__(f"{message} (attempts: {tried})" if tried else message)


def _tried(message: str, attempts: list[Attempt]) -> list[str]:
    """Each attempt as `deployment: outcome after N s (what it said)`: the outcome alone (`auth`, `connect`,
    `server`) left a wrong key, a refused connection, a host no DNS knows and a TLS failure to be guessed. What
    was said is left out where the headline says it, or the same deployment's previous attempt did."""
    out, said = [], {}
    for a in attempts:
        line = f"{a.deployment}: {a.outcome} after {a.elapsed_s:.1f} s"
        if a.message and a.message not in message and said.get(a.deployment) != a.message:
            line += f" ({a.message})"
        said[a.deployment] = a.message
        out.append(line)
    return out


class ContextOverflow(GatewayError):
    """The prompt is larger than every reachable model's context window: compact and retry."""


class RateLimited(GatewayError):
    """Every deployment left asked (Retry-After) for a longer wait than `max_retry_after`: the request fails
    now rather than waits it out. `retry_after` is the seconds until the first of them takes requests again."""

    def __init__(self, message: str, attempts: list[Attempt], retry_after: float) -> None:
        super().__init__(message, attempts)
        self.retry_after = retry_after


class StreamInterrupted(GatewayError):
    """A stream failed after it had yielded output; it was not retried (never silently truncated).

    `partial_text` is what had arrived before the failure.
    """

    def __init__(self, message: str, attempts: list[Attempt], partial_text: str = "") -> None:
        super().__init__(message, attempts)
        self.partial_text = partial_text
