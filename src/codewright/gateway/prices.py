"""Prices per million tokens, cache reads and writes included, and the cost of one call.

Built-in figures are list prices (USD) at the time of writing; users override or add
models in `[prices."MODEL"]` of codewright.toml. A model is matched by exact name, then by
the longest known name it extends with a version or a date ("claude-sonnet-4-5-20250929" →
"claude-sonnet-4-5", "gpt-4o-2024-08-06" → "gpt-4o"); a suffix of words names another model
("o3-mini" is not "o3", "gpt-4o-audio-preview" not "gpt-4o"), unknown unless listed. Local
providers (ollama, local) cost nothing unless a price is configured.
"""

from __future__ import annotations

from dataclasses import dataclass

from codewright.gateway.types import Usage


@dataclass(frozen=True)
class Price:
    """USD per million tokens. Cache prices default to the input price when unknown."""

    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None


BUILTIN: dict[str, Price] = {
    # OpenAI: cached input is discounted, writes cost nothing extra.
    "gpt-4o": Price(2.50, 10.00, 1.25, 2.50),
    "gpt-4o-mini": Price(0.15, 0.60, 0.075, 0.15),
    "gpt-4.1": Price(2.00, 8.00, 0.50, 2.00),
    "gpt-4.1-mini": Price(0.40, 1.60, 0.10, 0.40),
    "gpt-4.1-nano": Price(0.10, 0.40, 0.025, 0.10),
    "gpt-5": Price(1.25, 10.00, 0.125, 1.25),
    "gpt-5-mini": Price(0.25, 2.00, 0.025, 0.25),
    "gpt-5-nano": Price(0.05, 0.40, 0.005, 0.05),
    "o1": Price(15.00, 60.00, 7.50, 15.00),
    "o1-mini": Price(1.10, 4.40, 0.55, 1.10),
    "o3": Price(2.00, 8.00, 0.50, 2.00),
    "o3-mini": Price(1.10, 4.40, 0.55, 1.10),
    "o3-pro": Price(20.00, 80.00, 20.00, 20.00),
    "o4-mini": Price(1.10, 4.40, 0.275, 1.10),
    # Anthropic: 5-minute cache writes cost 1.25x input, reads 0.1x.
    "claude-opus-4-5": Price(5.00, 25.00, 0.50, 6.25),
    "claude-opus-4": Price(15.00, 75.00, 1.50, 18.75),
    "claude-opus-4-1": Price(15.00, 75.00, 1.50, 18.75),
    "claude-sonnet-4": Price(3.00, 15.00, 0.30, 3.75),
    "claude-sonnet-4-5": Price(3.00, 15.00, 0.30, 3.75),
    "claude-3-7-sonnet": Price(3.00, 15.00, 0.30, 3.75),
    "claude-haiku-4-5": Price(1.00, 5.00, 0.10, 1.25),
    "claude-3-5-haiku": Price(0.80, 4.00, 0.08, 1.00),
    # DeepSeek: cache hits are a tenth of misses.
    "deepseek-chat": Price(0.28, 0.42, 0.028, 0.28),
    "deepseek-reasoner": Price(0.28, 0.42, 0.028, 0.28),
}

FREE_PROVIDERS = frozenset({"ollama", "local"})


def lookup(model: str, overrides: dict[str, Price] | None = None) -> Price | None:
    """The price for `model`: user overrides first, then the built-in table; None if unknown."""
    for table in (overrides or {}, BUILTIN):
        if model in table:
            return table[model]
        prefixes = [k for k in table if _extends(model, k)]
        if prefixes:
            return table[max(prefixes, key=len)]
    return None


def _extends(model: str, name: str) -> bool:
    """`model` is `name` with a version or a date after it (`-20250929`, `-4-5`, `@2024-05-13`), not with words
    that make it another model (`-mini`, `-pro`: o3-mini costs half of o3, o3-pro ten times)."""
    rest = model[len(name):] if model.startswith(name) else ""
    return len(rest) > 1 and rest[0] in "-@" and rest[1].isdigit()


def cost(usage: Usage, price: Price | None) -> float:
    """USD for one call. input_tokens includes cached tokens, so they are split out first."""
    if price is None:
        return 0.0
    read = usage.cache_read_tokens
    write = usage.cache_write_tokens
    fresh = max(0, usage.input_tokens - read - write)
    total = (
        fresh * price.input
        + read * (price.input if price.cache_read is None else price.cache_read)
        + write * (price.input if price.cache_write is None else price.cache_write)
        + usage.output_tokens * price.output
    )
    return total / 1_000_000
