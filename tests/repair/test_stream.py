"""Streaming: partial values while text arrives, and the same final value as one-shot."""

from __future__ import annotations

import base64
import json
import random

import pytest

from codewright.repair import RepairError, StreamParser, loads


def _feed_all(text: str, sizes: list[int]) -> StreamParser:
    parser, i = StreamParser(), 0
    for size in sizes:
        if i >= len(text):
            break
        parser.feed(text[i : i + size])
        i += size
    return parser


def test_snapshot_shows_partial_string() -> None:
    parser = StreamParser()
    parser.feed('{"path": "src/a.py", "content": "def f(')
    assert parser.snapshot() == {"path": "src/a.py", "content": "def f("}
    parser.feed('):\\n    return 1"}')
    assert parser.close() == {"path": "src/a.py", "content": "def f():\n    return 1"}


@pytest.mark.parametrize("text", ['{"a": "x\\ud83d', '{"a": "x\\ud83d\\ude', '{"a": "x\\ud8'])
def test_a_string_cut_inside_a_unicode_escape_ends_with_what_is_complete(text: str) -> None:
    parser = _feed_all(text, [1] * len(text))
    assert parser.snapshot() == {"a": "x"}
    assert parser.close() == {"a": "x"}


def test_snapshot_shows_partial_array_items() -> None:
    parser = StreamParser()
    assert parser.feed('{"files": ["a.py", "b.') == {"files": ["a.py", "b."]}
    assert parser.feed('py", "c') == {"files": ["a.py", "b.py", "c"]}


def test_a_list_item_appears_whole_once_complete() -> None:
    """Objects in a list are taken whole (C raw_decode) when they have arrived, at most ITEM_WAIT late."""
    from codewright.repair.engine import ITEM_WAIT

    item = {"old_string": "x = 1\n" * 20, "new_string": "x = 2\n" * 20}
    text = json.dumps({"path": "a.py", "edits": [item] * 6})
    parser, seen = StreamParser(), []
    for i in range(0, len(text), 10):
        snapshot = parser.feed(text[i:i + 10])
        edits = snapshot.get("edits", []) if isinstance(snapshot, dict) else []
        assert all(e == item for e in edits)  # never half an item
        seen.append((i + 10, len(edits)))
    item_chars = len(json.dumps(item)) + 2
    for fed, shown in seen:
        complete = max(0, (fed - len('{"path": "a.py", "edits": [') - ITEM_WAIT) // item_chars)
        assert shown >= min(complete, 6)
    assert parser.close() == json.loads(text)


def test_broken_list_items_are_still_repaired_while_streaming() -> None:
    text = '[{"a": 1,}, {"b": 2 "c": 3}, {"d": [4, 5,]}, {"e": "f'
    for size in (1, 3, 7, 100):
        assert _feed_all(text, [size] * len(text)).close() == loads(text)


def test_snapshot_before_any_container_is_none() -> None:
    assert StreamParser().feed("Sure, here") is None


def test_missing_opening_brace_streamed() -> None:
    parser = StreamParser()
    parser.feed('"a": 1, ')
    parser.feed('"b": [2]}')
    assert parser.close() == loads('"a": 1, "b": [2]}') == {"a": 1, "b": [2]}


def test_feed_after_close_is_an_error() -> None:
    parser = StreamParser()
    parser.feed("[1]")
    parser.close()
    with pytest.raises(RuntimeError):
        parser.feed("[2]")


def _cases(eval_data) -> list[str]:
    texts = [json.loads(line)["input"] for line in (eval_data / "json_repair_py_cases.jsonl").open()]
    for line in (eval_data / "jsontestsuite.jsonl").open():
        row = json.loads(line)
        raw = row["content_utf8"]
        texts.append(
            raw if raw is not None else base64.b64decode(row["content_b64"]).decode("utf-8", "replace")
        )
    return texts


def _result(fn) -> tuple[str, str]:
    try:
        return "value", json.dumps(fn(), sort_keys=True)
    except RepairError as exc:
        return type(exc).__name__, ""


def test_streamed_equals_one_shot_on_every_eval_case(eval_data) -> None:
    rng = random.Random(11)
    for text in _cases(eval_data):
        expected = _result(lambda text=text: loads(text))
        for _ in range(3):
            sizes = [rng.randint(1, 12) for _ in range(len(text))]
            parser = _feed_all(text, sizes)
            assert _result(parser.close) == expected, text


def test_one_character_chunks(eval_data) -> None:
    for text in _cases(eval_data)[:241]:
        parser = _feed_all(text, [1] * len(text))
        assert _result(parser.close) == _result(lambda text=text: loads(text)), text


FRAGMENTS = list("{}[]:,\"'  \n\\/*#`tfnu0123456789.-+eEabcxyz") + [
    "true",
    "null",
    '"a":',
    "```json",
    "\u201c",
    "\u201d",
    "//",
    "/*",
    "*/",
    '\\"',
    '\\\\"',
    "NaN",
    "None",
    '{"k": "v", "n": 1}',
    '[1, "x", true]',
]


def _random_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 40))) for _ in range(count)]


def test_streamed_equals_one_shot_on_random_fragments() -> None:
    rng = random.Random(3)
    for text in _random_texts(seed=7, count=3000):
        parser = _feed_all(text, [rng.randint(1, 5) for _ in range(len(text))])
        assert _result(parser.close) == _result(lambda text=text: loads(text)), text


def test_c_fast_paths_never_change_a_result() -> None:
    from codewright.repair.engine import Engine

    def engine(text: str, fast: bool) -> tuple[str, str]:
        parser = Engine(final=True)
        parser.fast = fast
        parser.buf = text
        parser._budget = 8 * len(text) + 65536
        return _result(lambda: (parser.run(), parser.result())[1])

    for text in _random_texts(seed=8, count=3000):
        assert engine(text, fast=True) == engine(text, fast=False), text
