"""Input that cannot be repaired: one clear RepairError, never a RecursionError."""

from __future__ import annotations

import pytest

from codewright.repair import MAX_DEPTH, NoJSONFound, RepairError, StreamParser, TooDeep, loads, repair_json

DEEP = [
    ("deep arrays, valid", "[" * 100_000 + "]" * 100_000),
    ("deep arrays, unclosed", "[" * 100_000),
    ("deep objects", '{"a":' * 50_000),
    ("deep mixed with broken members", '[{"a": [1, ' * 20_000),
]


@pytest.mark.parametrize(("name", "text"), DEEP, ids=[d[0] for d in DEEP])
def test_deep_nesting_is_a_clear_error(name: str, text: str) -> None:
    with pytest.raises(TooDeep, match=f"nested deeper than {MAX_DEPTH} levels"):
        loads(text)


@pytest.mark.parametrize(("name", "text"), DEEP, ids=[d[0] for d in DEEP])
def test_deep_nesting_streamed_fails_at_close_not_while_feeding(name: str, text: str) -> None:
    parser = StreamParser()
    for i in range(0, len(text), 4096):
        parser.feed(text[i : i + 4096])
    with pytest.raises(TooDeep):
        parser.close()


def test_nesting_up_to_the_limit_is_repaired() -> None:
    depth = MAX_DEPTH - 1
    assert loads("[" * depth + "1") == _nested(depth)


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


NOTHING = ["", "   ", "just prose", "]", '"', "}"]


@pytest.mark.parametrize("text", NOTHING)
def test_no_json_found(text: str) -> None:
    with pytest.raises(NoJSONFound, match="no JSON object or array"):
        loads(text)
    assert repair_json(text) == ""


def test_errors_are_value_errors() -> None:
    assert issubclass(RepairError, ValueError)


def test_bytes_are_decoded() -> None:
    assert loads(b'{"a": "\xc3\xa9"') == {"a": "\u00e9"}
