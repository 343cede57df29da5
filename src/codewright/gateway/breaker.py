"""A circuit breaker per deployment: stop sending to one that keeps failing, probe it later.

closed → (N consecutive failures) → open → (cooldown passed) → half-open: exactly one
probe request goes through; its success closes the breaker, its failure re-opens it for
another cooldown. A group with a single deployment has a breaker too, so a dead endpoint
fails fast (or falls back) instead of costing every request a timeout.

A failure counts only against the state its request was sent in: requests sent before the
breaker opened that fail after it did tell nothing new, and would otherwise re-open it,
push its cooldown back with each one, or end the half-open probe's turn early.
"""

from __future__ import annotations

import math


class Breaker:
    def __init__(self, failures: int = 5, cooldown: float = 30.0) -> None:
        self.threshold = max(1, failures)
        self.cooldown = cooldown
        self.state = "closed"
        self.since = -math.inf  # when the current state began
        self.failures = 0
        self.opened_at = 0.0
        self.probing = False

    def can_try(self, now: float) -> bool:
        if self.state == "closed":
            return True
        if self.state == "open":
            return now >= self.opened_at + self.cooldown
        return not self.probing

    def wait_s(self, now: float) -> float:
        """Seconds until this breaker lets a request through (0 when it does now)."""
        if self.state == "open":
            return max(0.0, self.opened_at + self.cooldown - now)
        return 0.0

    def acquire(self, now: float) -> None:
        """Called when a request is sent; to an open breaker, it is the half-open probe.

        The router sends to an open breaker only once its cooldown has passed, or early
        when every alternative is open too.
        """
        if self.state == "open":
            self._enter("half_open", now)
        if self.state == "half_open":
            self.probing = True

    def success(self, now: float) -> None:
        if self.state != "closed":
            self._enter("closed", now)
        self.failures, self.probing = 0, False

    def failure(self, now: float, sent: float) -> None:
        """A request sent at `sent` failed at `now`; one sent before the current state began is not counted."""
        if sent < self.since:
            return
        self.failures += 1
        if self.state == "half_open" or self.failures >= self.threshold:
            self._enter("open", now)
            self.opened_at, self.probing = now, False

    def _enter(self, state: str, now: float) -> None:
        self.state, self.since = state, now
