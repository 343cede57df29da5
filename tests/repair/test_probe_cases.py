"""Cases a probe of the repair layer found (one behaviour per case): a valid escape read as JSON reads it, no
RecursionError or Python-internal ValueError escapes, a backslash run costs linear time, messages stay short."""

from __future__ import annotations

import json
import time

import pytest

from codewright.repair import StreamParser, coerce, loads, parse_arguments, repair_json
from codewright.repair.coerce import SchemaError

CODE = 's = "\\"hi\\""\n'  # Python source holding escaped quotes, as a tool call writes it


@pytest.mark.parametrize("text, value", [
    (json.dumps({"path": "a.py", "content": CODE})[:-1] + ",}", {"path": "a.py", "content": CODE}),
    (r'{"a": "\\\"x", "b": 1,}', {"a": '\\"x', "b": 1}),
    (r'{"a": ["\\\"x"], "b": [1', {"a": ['\\"x'], "b": [1]}),
    (r'{"a": "{\\"k\\": \\\"v\\\"}", "b": 1,}', {"a": '{"k": "v"}', "b": 1}),  # escaped twice: odd runs too
])
def test_an_escaped_backslash_before_an_escaped_quote_is_read_as_json_reads_it(text: str, value: dict) -> None:
    """Any repair (a trailing comma) made `\\\\\\"` a plain quote: code written by a tool call lost its backslashes."""
    assert loads(text) == value
    parser = StreamParser()
    for char in text:
        parser.feed(char)
    assert parser.close() == value


def test_a_fenced_block_nested_past_the_recursion_limit_is_text() -> None:
    text = '{"a": "```json' + "[" * 5000 + '```"'
    assert loads(text) == {"a": "```json" + "[" * 5000 + "```"}


def test_a_recursive_schema_and_deep_arguments_are_a_schema_error() -> None:
    schema = {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}}
    with pytest.raises(SchemaError, match="nested too deeply to check against the schema"):
        parse_arguments('{"children": [' * 200 + "{}" + "]}" * 200, schema)


BIG = "1" * 5000


@pytest.mark.parametrize("text", [f'{{"a": {BIG}}}', f"[{BIG}, ", f'{{"a": {BIG}, "b": 1,}}'])
def test_a_number_past_pythons_digit_limit_is_kept_as_written(text: str) -> None:
    """int() raised a ValueError telling the model to call sys.set_int_max_str_digits()."""
    value = loads(text)
    assert BIG in (value["a"] if isinstance(value, dict) else value[0])
    assert BIG in repair_json(text)


def test_coercing_a_number_past_the_digit_limit_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match="holds a number too long to read"):
        coerce(BIG, {"type": "integer"})


def test_a_schema_errors_message_does_not_quote_a_megabyte() -> None:
    schema = {"type": "object", "properties": {"content": {"type": "string", "pattern": "^def "}}}
    with pytest.raises(SchemaError) as caught:
        coerce({"content": "x" * 1_000_000}, schema)
    assert len(caught.value.for_model()) < 1000


def test_a_long_run_of_backslashes_costs_linear_time() -> None:
    """Each pair rescanned the rest of the run: 16,000 backslashes took 7 s."""
    started = time.perf_counter()
    assert loads('{"a": "' + "\\" * 64_000) == {"a": "\\" * 32_000}
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("text, value", [
    ('{"line\\n": 1,}', {"line\n": 1}),  # an escaped newline is the key's own
    ('{"line\n": 1,}', {"line": 1}),  # a line break that ran into the closing quote is not
])
def test_a_keys_escaped_newline_is_kept(text: str, value: dict) -> None:
    assert loads(text) == value
