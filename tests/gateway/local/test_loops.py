"""When a streamed answer counts as a loop: exact repetition, long enough, often enough."""

from __future__ import annotations

import pytest

from codewright.gateway.local.loops import MIN_SPAN, LoopWatch, loop_period

STEP = '{"step": "Run the tests to ensure the function works correctly.", "status": "pending"},\n'  # 88 chars
LINE = "        self.assertEqual(total([1, 1, 2, 2]), 5120)\n"  # 52 chars
VERSES = "".join(f"{n} bottles of beer on the wall, {n} bottles of beer.\nTake one down and pass it around, "
                 f"{n - 1} bottles of beer on the wall.\n\n" for n in range(99, 0, -1))


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ('{"plan": [' + STEP * 12, len(STEP)),  # 12 repeats, 1,056 characters: a loop
        ('{"plan": [' + STEP * 11, None),  # 968 characters of it: not yet
        ("summary: " + "The tests pass. " * 100, 32),  # a short block: its double is the loop's block
        ("summary: " + "The tests pass. " * 10, None),
        ("x = 1\n" + LINE * 20, len(LINE)),  # twenty identical lines in a row
        ("x = 1\n" + LINE * 12, None),  # a dozen: real code can do that
        (VERSES, None),  # verses that differ only in a number
        ("", None),
    ],
)
def test_loop_period(text: str, period: int | None) -> None:
    assert loop_period(text) == period


def test_watch_stops_soon_after_the_loop_is_long_enough() -> None:
    watch = LoopWatch()
    text = '{"plan": [' + STEP * 40
    stopped = next(i for i in range(0, len(text), 3) if watch.add(text[i:i + 3]))
    assert MIN_SPAN <= stopped + 3 <= 10 + 12 * len(STEP) + LoopWatch.CHECK_EVERY


def test_watch_leaves_a_long_answer_without_a_loop_alone() -> None:
    watch = LoopWatch()
    assert not any(watch.add(VERSES[i:i + 5]) for i in range(0, len(VERSES), 5))
