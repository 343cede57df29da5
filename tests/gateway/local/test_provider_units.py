"""The local provider's pure parts: the tool-call schema, parsing constrained output, threads, the request body."""

from __future__ import annotations

import os

import jsonschema
import pytest

from codewright.gateway.local import runtime
from codewright.gateway.local.provider import LocalProvider, ThoughtFirst, parse_tool_call, tool_call_schema
from codewright.gateway.local.runtime import default_threads
from codewright.gateway.types import Message, Request, TextDelta, ToolCallDelta, ToolSpec

TOOLS = [
    ToolSpec("read_file", "Read", {"type": "object", "properties": {"path": {"type": "string"}},
                                   "required": ["path"]}),
    ToolSpec("finish", "Done", {"type": "object", "properties": {"summary": {"type": "string"}}}),
]


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ({"thought": "read it", "name": "read_file", "arguments": {"path": "a.py"}}, True),
        ({"thought": "", "name": "finish", "arguments": {}}, True),
        ({"name": "finish", "arguments": {}}, False),  # the thought comes first, always
        ({"thought": "x" * 401, "name": "finish", "arguments": {}}, False),  # and stays short
        ({"thought": "", "name": "read_file", "arguments": {}}, False),  # the tool's own required field
        ({"thought": "", "name": "delete_all", "arguments": {}}, False),  # not an offered tool
        ({"thought": "", "arguments": {"path": "a.py"}}, False),
    ],
)
def test_schema_admits_exactly_calls_of_offered_tools(value: dict, valid: bool) -> None:
    validator = jsonschema.Draft202012Validator(tool_call_schema(TOOLS))
    assert validator.is_valid(value) is valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"thought": "look", "name": "read_file", "arguments": {"path": "a.py"}}',
         ("look", "read_file", '{"path": "a.py"}')),
        ('{\n  "name": "finish",\n  "arguments": {"summary": "ok"}\n}', ("", "finish", '{"summary": "ok"}')),
        ("I will read the file.", None),
        ('{"name": "rm", "arguments": {}}', None),
        ('{"name": "finish", "arguments": "x"}', None),
    ],
)
def test_constrained_output_becomes_a_tool_call(text: str, expected: tuple[str, str, str] | None) -> None:
    parsed = parse_tool_call(text, TOOLS, "call_7")
    if expected is None:
        assert parsed is None
    else:
        assert parsed is not None
        thought, call = parsed
        assert (thought, call.id, call.name, call.arguments) == (expected[0], "call_7", *expected[1:])


def test_a_streamed_call_shows_its_thought_as_text_and_the_rest_as_call_fragments() -> None:
    chunks = ['{\n  "', 'thought', '": "The ', 'sum \\"adds\\"', '.", "', 'name": "finish', '", "arguments": {}}']
    split = ThoughtFirst()
    events = [split.feed(chunk) for chunk in chunks]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == 'The sum "adds".'
    assert [e.arguments for e in events if isinstance(e, ToolCallDelta)] == ['{\n  "', 'thought', 'name": "finish',
                                                                             '", "arguments": {}}']


def test_default_threads_leave_busy_cores_alone() -> None:
    expected = max(1, (os.cpu_count() or 1) - round(os.getloadavg()[0]))
    assert default_threads() == expected


@pytest.mark.parametrize("share", [2, 4, 64])
def test_default_threads_keep_to_a_process_share_of_the_cores(monkeypatch, share: int) -> None:
    monkeypatch.setattr(runtime, "CORE_SHARE", share)
    cores = os.cpu_count() or 1
    assert default_threads() == max(1, min(cores - round(os.getloadavg()[0]), cores // share))


@pytest.mark.parametrize(
    ("options", "requested", "sent"),
    [
        ({}, None, 0.0),  # greedy by default: llama.cpp's own default samples at 0.8
        ({"temperature": 0.7}, None, 0.7),  # the deployment's choice
        ({}, 0.3, 0.3),  # the request's, above both
    ],
)
def test_decoding_is_greedy_unless_asked_otherwise(options: dict, requested: float | None, sent: float) -> None:
    provider = LocalProvider("qwen2.5-coder-1.5b", threads=1, **options)
    request = Request([Message("user", "hi")], tools=TOOLS, temperature=requested)
    body = provider._body(request, stream=False)
    assert body["temperature"] == sent
    assert body["response_format"]["json_schema"]["schema"] == tool_call_schema(TOOLS)
