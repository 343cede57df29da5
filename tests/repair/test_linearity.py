"""Repair time is linear in the input, adversarial inputs included: doubling the input at
most 2.2x the time (best of several runs; a quadratic path would show about 4x)."""

from __future__ import annotations

import gc
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codewright.repair import RepairError, StreamParser, loads

ADVERSARIAL = {
    "unclosed string then many fragments": lambda n: '{"a": "unclosed ' + ', "k": 1, x" ' * n,
    "unclosed string with closing brackets": lambda n: '{"a": "x' + "}]" * n,
    "many inner quotes": lambda n: '{"a": "' + 'b "c" ' * n,
    "many quotes in an array": lambda n: "[" + '"a" "' * n,
    "unquoted value with commas": lambda n: '{"a": x' + ", y" * n,
    "keys glued to quotes": lambda n: '{"' + 'k"' * n,
    "garbage words where keys go": lambda n: "{" + "word " * n,
    "long run of garbage": lambda n: "x}]" * n,
    "deep nesting": lambda n: "[" * n,
    "broken members": lambda n: "[" + '{"a": 1 "b": [2, 3,}, ' * n,
    "valid items, cut off": lambda n: "[" + '{"old": "x = 1\\n", "new": [1, 2]}, ' * n,
    "valid items then one that never closes": lambda n: "[" + '{"a": [1], "b": "c"}, ' * n + '{"a": [' + "1, " * n,
}


ROOT = Path(__file__).resolve().parents[2]
MAX_CHARS = 200_000
"""The larger input stays this small: past the CPU caches' size the time per character grows
(about 2x between 256K and 1M characters here) whatever the algorithm, which no doubling bound
can tell from a quadratic path. A quadratic path shows at this size already: copying the
rest of a 100K buffer per token costs microseconds per character, not nanoseconds."""


def _per_call(fn, text: str, calls: int) -> float:
    """CPU seconds per call of this thread: on a loaded machine wall time counts the time other
    processes ran, and process time the threads earlier tests left running (servers, readers).

    The cyclic GC is paused while timing: its full collections scan every object the test
    process holds, so their cost depends on the rest of the suite, not on the parser.
    """
    gc.collect()
    gc.disable()
    try:
        start = time.thread_time()
        for _ in range(calls):
            try:
                fn(text)
            except RepairError:
                pass
        return (time.thread_time() - start) / calls
    finally:
        gc.enable()


def _stream(text: str) -> None:
    parser = StreamParser()
    for i in range(0, len(text), 100):
        parser.feed(text[i : i + 100])
    parser.close()


def _doubling_ratio(fn, make, n: int) -> float:
    """Time(2n) / time(n), each timed over enough calls to last ~20 ms, runs interleaved and
    retried: load on a shared machine only inflates it."""
    small, large = make(n), make(2 * n)
    calls = max(1, round(0.02 / _per_call(fn, small, 1)))
    ratio = float("inf")
    for _ in range(5):
        t_small = t_large = float("inf")
        for _ in range(3):
            t_small = min(t_small, _per_call(fn, small, calls))
            t_large = min(t_large, _per_call(fn, large, max(1, calls // 2)))
        ratio = min(ratio, t_large / t_small)
        if ratio <= 2.2:
            break
    return ratio


OBJECT_DENSE = {"valid items, cut off", "valid items then one that never closes"}
"""Inputs that stream at C speed into many small objects (about 12 bytes of text per object): their heap
outgrows the CPU caches at a quarter of MAX_CHARS, so they double from a smaller size."""


def ratio(mode: str, name: str) -> float:
    """One case's doubling ratio, at the largest doubling its kind of input allows."""
    make = ADVERSARIAL[name]
    fn = loads if mode == "one-shot" else _stream
    n, cap = 1000, MAX_CHARS // 4 if name in OBJECT_DENSE else MAX_CHARS
    while len(make(4 * n)) <= cap:
        n *= 2
    return _doubling_ratio(fn, make, n)


@pytest.mark.parametrize("name", ADVERSARIAL)
@pytest.mark.parametrize("mode", ["one-shot", "streaming"])
def test_doubling_the_input_at_most_doubles_the_time(name: str, mode: str) -> None:
    """Measured in a fresh interpreter. In the suite's own process, after a thousand tests (and what they
    leave: a loaded local model, servers' threads, a large heap), the larger input of an object-dense case
    slowed more than the smaller: 2.23x in 2 of 4 full runs on an idle machine, 2.10-2.13x alone."""
    code = f"from tests.repair.test_linearity import ratio; print(ratio({mode!r}, {name!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) <= 2.2
