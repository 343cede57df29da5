"""What a session spent: tokens, cache use, cost and speed per call, totals, and the budget.

The gateway records one `CallRecord` per answered request. `Session.admit` runs before
each request: once the budget is spent it either names the cheaper alias to use instead
(`budget.downgrade_to`) or stops with `LimitReached` and a message saying what to change.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from codewright.errors import LimitReached
from codewright.gateway.config import Budget
from codewright.gateway.types import Usage


@dataclass
class CallRecord:
    alias: str
    deployment: str
    model: str
    usage: Usage
    cost: float
    latency_s: float
    ttft_s: float | None
    tokens_per_s: float
    attempts: int
    stream: bool


def tokens_per_second(output_tokens: int, latency_s: float, ttft_s: float | None) -> float:
    """Generation speed: output tokens over the time spent producing them (after the first token)."""
    span = latency_s - (ttft_s or 0.0) if ttft_s is not None and latency_s > ttft_s else latency_s
    return output_tokens / span if span > 0 else 0.0


@dataclass
class Session:
    budget: Budget = field(default_factory=Budget)
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0
    calls: list[CallRecord] = field(default_factory=list)
    downgraded: bool = False

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def record(self, call: CallRecord) -> None:
        with self._lock:
            self.calls.append(call)
            self.usage = self.usage + call.usage
            self.cost += call.cost

    def exhausted(self) -> str | None:
        """Why the budget is spent, or None while it is not."""
        b = self.budget
        if b.max_usd is not None and self.cost >= b.max_usd:
            return f"cost budget reached: ${self.cost:.4f} spent of ${b.max_usd:.2f}"
        used = self.usage.input_tokens + self.usage.output_tokens
        if b.max_tokens is not None and used >= b.max_tokens:
            return f"token budget reached: {used} tokens used of {b.max_tokens}"
        return None

    def admit(self, alias: str) -> str:
        """The alias to call: `alias`, or the downgrade once the budget is spent; raises when none."""
        reason = self.exhausted()
        if reason is None:
            return alias
        if self.budget.downgrade_to:
            self.downgraded = True
            return self.budget.downgrade_to
        raise LimitReached(
            f"{reason}; raise [budget] max_usd/max_tokens in codewright.toml or set "
            f"budget.downgrade_to to a cheaper model (e.g. \"local/qwen2.5-coder-1.5b\")"
        )

    def summary(self) -> dict[str, Any]:
        return {
            "calls": len(self.calls),
            "usage": asdict(self.usage),
            "cost_usd": round(self.cost, 6),
            "downgraded": self.downgraded,
        }
