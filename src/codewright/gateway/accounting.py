"""What a session spent: tokens, cache use, cost and speed per call, totals, and the budget.

The gateway records one `CallRecord` per answered request. `Session.admit` runs before
each request: once the budget is spent it either names the cheaper alias to use instead
(`budget.downgrade_to`) or stops with `LimitReached` and a message saying what to change.
A server that reports no usage has it estimated from the text (`estimate`), and the call says so.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from codewright.errors import LimitReached
from codewright.gateway.config import Budget
from codewright.gateway.types import Message, Request, Response, Usage
from codewright.tokens import MESSAGE_OVERHEAD, count_tokens


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
    estimated: bool = False  # the server reported no usage: `usage` was estimated from the text (`estimate`)


def estimate(request: Request, response: Response) -> Usage | None:
    """The response's usage with the counts the server left at 0 estimated from the text sent and received, with
    the context engine's tokenizer (o200k); None where it reported them. A server that reports no usage (one that
    ignores `stream_options.include_usage`, a proxy that drops it) cost $0 a call, and no budget ([budget]
    max_usd or max_tokens, run's --budget) could stop it. Every request has a prompt, so 0 input tokens is no
    count; 0 output tokens is one only for a reply with no text."""
    usage = response.usage
    if usage.input_tokens and usage.output_tokens:
        return None
    sent = usage.input_tokens or _prompt_tokens(request, count_tokens)
    written = usage.output_tokens or _tokens(response.as_message(), count_tokens)
    if (sent, written) == (usage.input_tokens, usage.output_tokens):
        return None
    return replace(usage, input_tokens=sent, output_tokens=written)


def _prompt_tokens(request: Request, count: Callable[[str], int]) -> int:
    """A request's messages and tools, in tokens, as the context engine counts them."""
    tools = [{"name": t.name, "description": t.description, "parameters": t.parameters} for t in request.tools]
    return (count(json.dumps(tools)) if tools else 0) + sum(MESSAGE_OVERHEAD + _tokens(m, count)
                                                            for m in request.messages)


def _tokens(message: Message, count: Callable[[str], int]) -> int:
    """A message's text, tool calls and reasoning, in tokens."""
    calls = sum(count(c.name) + count(c.arguments) for c in message.tool_calls)
    return count(message.content) + calls + sum(count(r.text) for r in message.reasoning)


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
            "estimated_calls": sum(c.estimated for c in self.calls),  # the server reported no usage: see `estimate`
            "downgraded": self.downgraded,
        }
