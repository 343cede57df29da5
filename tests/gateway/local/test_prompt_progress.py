"""The embedded model reports its prompt reading, and a stream closed meanwhile stops it.

A small CPU reads a long prompt for minutes before the first token. Without progress events
a time limit or Ctrl-C could only act after that; with them, the consumer acts between
batches, and closing the stream stops llama.cpp within a batch or two. Runs the real model
(installed by scripts/test.sh), on a prompt a few batches long.
"""

from __future__ import annotations

import pytest

from codewright.gateway.local.catalog import DEFAULT_MODEL, weights_path
from codewright.gateway.local.provider import LocalProvider
from codewright.gateway.local.runtime import PROMPT_BATCH
from codewright.gateway.types import Message, PromptProgress, Request

LONG = "".join(f"def step_{i}(x):\n    return x + {i}\n" for i in range(80)) + "\nWhich step adds 7?"


@pytest.mark.timeout(900)
def test_a_stream_closed_while_the_prompt_is_read_stops_reading_it() -> None:
    assert weights_path(DEFAULT_MODEL).is_file(), "run `codewright models install` (scripts/test.sh does)"
    provider = LocalProvider(DEFAULT_MODEL)
    request = Request([Message("user", LONG)], max_tokens=1)

    cut = provider.stream(request)
    first = next(cut)
    cut.close()  # before the first batch is read: the model stops at the next batch boundary
    assert isinstance(first, PromptProgress) and first.processed == 0
    assert first.total > 4 * PROMPT_BATCH

    again = provider.stream(request)  # waits for the cut request, then reuses what it had read
    resumed = next(again)
    again.close()
    assert isinstance(resumed, PromptProgress) and resumed.total == first.total
    assert resumed.processed <= 2 * PROMPT_BATCH  # stopped within two batches, not read to the end
