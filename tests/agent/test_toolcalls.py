"""Reading tool calls: raw native arguments and JSON blocks written by models without native tools."""

from __future__ import annotations

import pytest

from codewright.agent.prompt import PLAN_TOOL
from codewright.agent.toolcalls import BadToolCall, from_text, parse_arguments, plan_steps
from codewright.gateway.types import ToolCall, ToolSpec

READ = ToolSpec("read_file", "read", {"type": "object", "properties": {"path": {"type": "string"}},
                                      "required": ["path"]})


@pytest.mark.parametrize("raw, expected", [
    ('{"path": "a.py"}', {"path": "a.py"}),
    ('{"path": "a.py",}', {"path": "a.py"}),  # trailing comma repaired
    ("{'path': 'a.py'}", {"path": "a.py"}),  # single quotes repaired
    ("", {}),  # no arguments at all
    ("{ }", {}),
    ("\n{}\n", {}),
    ('"{\\"path\\": \\"a.py\\"}"', {"path": "a.py"}),  # the object encoded twice, as a JSON string
])
def test_arguments_are_repaired(raw: str, expected: dict) -> None:
    assert parse_arguments(ToolCall("c1", "read_file", raw), READ) == expected


@pytest.mark.parametrize("raw, message", [
    ("<<<garbage>>>", "not JSON"),
    ('["a.py"]', "must be a JSON object"),
    ('"a.py"', "must be a JSON object, got str"),
    ('{"path": "a.py"}{"path": "b.py"}', "hold several JSON objects, one after another: make one call for each"),
    ('{"path": "a.py"}\n {"path": "b.py"}', "hold several JSON objects"),
    ("{{{{not json", "not JSON: nothing could be read from {{{{not json"),  # repaired, it was {}
    ("{garbage}", "not JSON: nothing could be read"),
    ("{]", "not JSON: nothing could be read"),
])
def test_unreadable_arguments_get_a_precise_message(raw: str, message: str) -> None:
    with pytest.raises(BadToolCall, match=message):
        parse_arguments(ToolCall("c1", "read_file", raw), READ)


def test_unknown_tool() -> None:
    with pytest.raises(BadToolCall, match="unknown tool 'rm_rf'"):
        parse_arguments(ToolCall("c1", "rm_rf", "{}"), None)


def test_text_calls_in_the_context_engines_format_and_singly() -> None:
    text = ('Let me look.\n```json\n{"tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}},'
            ' {"name": "list_dir", "arguments": {}}]}\n```\nand\n```tool\n{"name": "finish", "arguments": '
            '{"summary": "ok"}}\n```')
    found = from_text(text, "t3")
    assert [(c.id, c.name) for c in found.calls] == [("t3-1", "read_file"), ("t3-2", "list_dir"), ("t3-3", "finish")]
    assert found.errors == []
    assert found.prose == "Let me look.\n\nand"  # the engine writes the calls after it, in its own format


def test_json_that_is_not_a_call_is_left_alone_and_broken_calls_are_reported() -> None:
    assert from_text('```json\n{"port": 8080}\n```', "t").calls == []
    found = from_text('```json\n{"tool_calls": [{"name": 7}]}\n```', "t")
    assert found.calls == [] and "needs" in found.errors[0]
    assert found.prose == '```json\n{"tool_calls": [{"name": 7}]}\n```'  # the model sees what it wrote


def test_plan_steps_tolerate_strings_and_unknown_statuses() -> None:
    steps = plan_steps({"steps": ["read", {"step": "edit", "status": "doing"}, {"step": "test", "status": "done"}]})
    assert steps == [{"step": "read", "status": "pending"}, {"step": "edit", "status": "pending"},
                     {"step": "test", "status": "done"}]
    with pytest.raises(BadToolCall):
        plan_steps({"steps": []})
    assert PLAN_TOOL.parameters["required"] == ["steps"]
