"""A circuit breaker per deployment: stop sending to one that keeps failing, probe it later.

closed → (N consecutive failures) → open → (cooldown passed) → half-open: exactly one
probe request goes through; its success closes the breaker, its failure re-opens it for
another cooldown. A group with a single deployment has a breaker too, so a dead endpoint
fails fast (or falls back) instead of costing every request a timeout.
"""

from __future__ import annotations


class Breaker:
    def __init__(self, failures: int = 5, cooldown: float = 30.0) -> None:
        self.threshold = max(1, failures)
        self.cooldown = cooldown
        self.state = "closed"
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
            self.state = "half_open"
        if self.state == "half_open":
            self.probing = True

    def success(self) -> None:
        self.state, self.failures, self.probing = "closed", 0, False

    def failure(self, now: float) -> None:
        self.failures += 1
        if self.state == "half_open" or self.failures >= self.threshold:
            self.state, self.opened_at, self.probing = "open", now, False
