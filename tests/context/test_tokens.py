"""Token counts: exact under o200k, for texts of any length a model or a tool may produce."""

from __future__ import annotations

from pathlib import Path

import pytest

from codewright.tokens import PIECE, _encoding, count_tokens

CODE = Path(__file__).read_text(encoding="utf-8")


def test_a_text_counted_in_pieces_counts_as_it_would_whole() -> None:
    text = CODE * (PIECE // len(CODE) + 2)  # over PIECE, within what bpe-openai counts at once
    assert len(text) > PIECE
    assert count_tokens(text) == len(_encoding().encode_ordinary(text))


@pytest.mark.parametrize(("text", "tokens"), [
    ("ab\n" * 400_000, 800_000),  # 1.2M characters: bpe-openai refuses a million
    ("a b " * 300_000, 600_000),  # 300k tokens: it refuses 200k in one call
])
def test_texts_bpe_openai_refuses_whole_are_counted(text: str, tokens: int) -> None:
    assert count_tokens(text) == pytest.approx(tokens, rel=0.001)


def test_a_counted_long_text_is_not_kept_alive_by_the_count() -> None:
    import tracemalloc

    tracemalloc.start()
    try:
        for n in range(5):
            text = f"{n} " + "x = compute(value)\n" * 200_000  # 3.8 MB each
            assert count_tokens(text) == count_tokens(text) > 0
            del text
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 4_000_000  # what stays is the counts, not five texts (19 MB)
