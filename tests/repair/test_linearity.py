"""Repair time is linear in the input, adversarial inputs included: doubling the input at
most 2.2x the time (best of several runs; a quadratic path would show about 4x)."""

from __future__ import annotations

import time

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
}


def _best(fn, text: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        try:
            fn(text)
        except RepairError:
            pass
        best = min(best, time.perf_counter() - start)
    return best


def _stream(text: str) -> None:
    parser = StreamParser()
    for i in range(0, len(text), 100):
        parser.feed(text[i : i + 100])
    parser.close()


def _doubling_ratio(fn, make, n: int) -> float:
    """Time(2n) / time(n), runs interleaved and retried: load on a shared machine only inflates it."""
    small, large = make(n), make(2 * n)
    ratio = float("inf")
    for _ in range(3):
        t_small = t_large = float("inf")
        for _ in range(3):
            t_small = min(t_small, _best(fn, small, runs=1))
            t_large = min(t_large, _best(fn, large, runs=1))
        ratio = min(ratio, t_large / t_small)
        if ratio <= 2.2:
            break
    return ratio


@pytest.mark.parametrize("name", ADVERSARIAL)
@pytest.mark.parametrize("mode", ["one-shot", "streaming"])
def test_doubling_the_input_at_most_doubles_the_time(name: str, mode: str) -> None:
    make = ADVERSARIAL[name]
    fn = loads if mode == "one-shot" else _stream
    n = 2000
    while _best(fn, make(n), runs=1) < 0.04 and n < 1_000_000:  # large enough to time reliably
        n *= 2
    assert _doubling_ratio(fn, make, n) <= 2.2
