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


def count_tokens(text: str) -> int:
    """Tokens in `text` under o200k (special-token text is counted as ordinary text); a text over `PIECE`
    characters is counted in pieces cut after a newline where it has one (bpe-openai refuses a text of a million
    characters or of 200,000 tokens, and a model may write either: a generated file, a pasted log).

    Counts are remembered, each build counts the same history again; a long text by its hash and length, not
    by itself: a cache keyed on the texts kept every tool output ever counted alive (1.3 GB after sixty
    outputs of 20 MB)."""
    if len(text) <= _SHORT:
        return _count_short(text)
    key = (hash(text), len(text))
    found = _LONG.get(key)
    if found is None:
        found = _LONG[key] = sum(_count(piece) for piece in _pieces(text))
        while len(_LONG) > _LONG_KEPT:
            del _LONG[next(iter(_LONG))]
    return found


_SHORT = 4096
_LONG: dict[tuple[int, int], int] = {}
_LONG_KEPT = 4096


@lru_cache(maxsize=8192)
def _count_short(text: str) -> int:
    return _count(text)


def _count(text: str) -> int:
    return len(_encoding().encode_ordinary(text)) if text else 0


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
