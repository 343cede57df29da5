"""Tell when a greedy small model has fallen into a loop, so its stream can stop early.

With greedy decoding a small model sometimes repeats one block of text until it hits its
token limit: a plan's last three steps over and over, a summary's last sentences. The
repetition is exact, so it is cheap to see: the output ends in the same block several
times over. Stopping there ends the call as the token limit would (the same truncated
text, `finish_reason` "length"), minutes sooner on a CPU. The thresholds leave real output
alone: the repeated block (a short one counts by its double or triple) must be at least MIN_PERIOD
characters long and repeat back to back over at least MIN_SPAN characters and MIN_REPEATS times:
twenty identical lines of code in a row, not a dozen.
"""

from __future__ import annotations

MIN_PERIOD = 32
MAX_PERIOD = 2048
MIN_REPEATS = 4
MIN_SPAN = 1024


def loop_period(text: str) -> int | None:
    """The length of the block that `text` ends in, repeated back to back, if it is a loop; else None."""
    size = len(text)
    last = text[-1:]
    for period in range(MIN_PERIOD, min(MAX_PERIOD, size // MIN_REPEATS) + 1):
        repeats = max(MIN_REPEATS, -(-MIN_SPAN // period))
        if repeats * period > size or text[size - 1 - period] != last:  # the cheap test first
            continue
        if text.endswith(text[-period:] * repeats):
            return period
    return None


class LoopWatch:
    """Checks the growing output every CHECK_EVERY characters (a check costs up to a few hundred µs), over
    the only part a loop can be seen in: its last WINDOW characters."""

    CHECK_EVERY = 64
    WINDOW = MAX_PERIOD * MIN_REPEATS

    def __init__(self) -> None:
        self._tail = ""
        self._pending: list[str] = []
        self._unchecked = 0

    def add(self, text: str) -> bool:
        """Add streamed text; True once the output has fallen into a loop."""
        self._pending.append(text)
        self._unchecked += len(text)
        if self._unchecked < self.CHECK_EVERY:
            return False
        self._tail = (self._tail + "".join(self._pending))[-self.WINDOW:]
        self._pending, self._unchecked = [], 0
        return loop_period(self._tail) is not None
