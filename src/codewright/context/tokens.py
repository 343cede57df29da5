"""Token counting and per-model windows.

Counting uses the o200k BPE (bpe-openai, a dependency already): exact for current
OpenAI models and within a few percent for others, which the engine's safety margin
absorbs. Counts are memoised per text, since the same history is measured every turn.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

TokenCounter = Callable[[str], int]

PIECE = 100_000  # characters: at most that many tokens, half bpe-openai's limit of a call
MESSAGE_OVERHEAD = 4  # role and separators per message, as chat templates add them

# Known context windows by model-name prefix (longest prefix wins); anything else uses the caller's window.
MODEL_WINDOWS = {
    "gpt-4o": 128_000,
    "gpt-4.1": 1_000_000,
    "gpt-5": 400_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "claude": 200_000,
    "gemini": 1_000_000,
    "deepseek": 128_000,
    "qwen": 32_768,
    "llama": 128_000,
}


@lru_cache(maxsize=1)
def _encoding():  # type: ignore[no-untyped-def]
    import bpe_openai

    return bpe_openai.get_encoding("o200k_base")


@lru_cache(maxsize=8192)
def count_tokens(text: str) -> int:
    """Tokens in `text` under o200k (special-token text is counted as ordinary text); a text over `PIECE`
    characters is counted in pieces cut after a newline where it has one (bpe-openai refuses a text of a million
    characters or of 200,000 tokens, and a model may write either: a generated file, a pasted log)."""
    if not text:
        return 0
    if len(text) > PIECE:
        return sum(count_tokens(piece) for piece in _pieces(text))
    return len(_encoding().encode_ordinary(text))


def _pieces(text: str) -> list[str]:
    pieces, start = [], 0
    while len(text) - start > PIECE:
        cut = text.rfind("\n", start + PIECE // 2, start + PIECE) + 1 or start + PIECE
        pieces.append(text[start:cut])
        start = cut
    return [*pieces, text[start:]]


def window_for(model: str, default: int) -> int:
    """The smaller of `default` and the known window of `model` ("provider/name" or a bare name)."""
    name = model.rsplit("/", 1)[-1].lower()
    matches = [p for p in MODEL_WINDOWS if name.startswith(p)]
    if not matches:
        return default
    return min(default, MODEL_WINDOWS[max(matches, key=len)])
