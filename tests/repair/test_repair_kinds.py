"""One behaviour per case: each kind of damage models do to JSON, and what we make of it."""

from __future__ import annotations

import json

import pytest

from codewright.repair import loads, repair_json

CASES = [
    # brackets
    ("missing opening brace", '"a": 1, "b": [2]}', {"a": 1, "b": [2]}),
    ("missing closing brace", '{"a": 1', {"a": 1}),
    ("missing closing bracket", "[1, 2", [1, 2]),
    ("missing both at the end", '{"a": [1, {"b": 2', {"a": [1, {"b": 2}]}),
    ("array closed by brace", '{"a": [1, 2}, "b": 3}', {"a": [1, 2], "b": 3}),
    ("object closed by bracket", '{"a": [{"b": 1], "c": 2}', {"a": [{"b": 1}], "c": 2}),
    ("extra closing brace in array", '[{"a": 1}}, {"b": 2}]', [{"a": 1}, {"b": 2}]),
    ("object without opening brace in array", '["a": 1, "b": 2]', [{"a": 1, "b": 2}]),
    # quotes
    ("missing closing quote at end", '{"a": "text', {"a": "text"}),
    ("missing closing quote before next key", '{"a": "x, "b": 1}', {"a": "x", "b": 1}),
    ("unescaped inner quotes", '{"a": "say "hi" now"}', {"a": 'say "hi" now'}),
    ("unescaped inner quotes in array", '["a "b" c"]', ['a "b" c']),
    ("single quotes", "{'a': 'b'}", {"a": "b"}),
    ("smart quotes", "{\u201ca\u201d: \u201cb\u201d}", {"a": "b"}),
    ("doubled quotes", '{""a"": ""b""}', {"a": "b"}),
    ("unquoted key", "{a: 1}", {"a": 1}),
    ("unquoted value", '{"a": some text}', {"a": "some text"}),
    ("unquoted value ends at next member", '{"a": x, "b": y}', {"a": "x", "b": "y"}),
    ("escaped single quote", r'{"a": "it\'s"}', {"a": "it's"}),
    ("invalid escape kept as text", r'{"a": "C:\dir"}', {"a": "C:\\dir"}),
    ("json escaped twice", r'{"a": "{\\"k\\": 1}"}', {"a": '{"k": 1}'}),
    ("raw newline in string", '{"a": "line1\nline2"', {"a": "line1\nline2"}),
    ("surrogate pair escape", '{"a": "\\ud83d\\ude00"', {"a": "\U0001f600"}),
    ("high surrogate escape cut before its low half", '{"a": "x\\ud83d', {"a": "x"}),
    ("surrogate pair cut at the low half's backslash", '{"a": "x\\ud83d\\', {"a": "x"}),
    ("surrogate pair cut inside the low half", '{"a": "x\\ud83d\\ude', {"a": "x"}),
    ("unicode escape cut inside its digits", '{"a": "caf\\u00e', {"a": "caf"}),
    ("lone surrogate escape the text goes on after", '{"a": "x\\ud83d y"', {"a": "x\ud83d y"}),
    # separators
    ("missing comma between members", '{"a": 1 "b": 2}', {"a": 1, "b": 2}),
    ("missing comma between items", '["a" "b" 1]', ["a", "b", 1]),
    ("missing colon", '{"a" "b"}', {"a": "b"}),
    ("trailing comma in object", '{"a": 1,}', {"a": 1}),
    ("trailing comma in array", "[1, 2,]", [1, 2]),
    ("missing value", '{"a": , "b": 1}', {"a": "", "b": 1}),
    ("repeated commas", "[1,,2]", [1, 2]),
    # literals and numbers
    ("python literals", "[True, False, None]", [True, False, None]),
    ("upper case literals", '{"a": TRUE, "b": Null}', {"a": True, "b": None}),
    ("leading dot number", "[.5]", [0.5]),
    ("trailing dot number", "[1.]", [1.0]),
    ("dangling exponent", "[1e]", [1]),
    ("fraction kept as text", '{"a": 1/3}', {"a": "1/3"}),
    ("uuid kept as text", '{"id": 57eb-41}', {"id": "57eb-41"}),
    ("ellipsis dropped", "[1, 2, ...]", [1, 2]),
    # comments
    ("line comment", '{"a": 1, // note\n"b": 2}', {"a": 1, "b": 2}),
    ("block comment", '{"a": /* note */ 1}', {"a": 1}),
    ("hash comment", '{"a": 1 # note\n}', {"a": 1}),
    ("unclosed block comment", '{"a": 1 /* note', {"a": 1}),
    # prose and fences
    ("leading prose", 'Here you go: {"a": 1}', {"a": 1}),
    ("trailing prose", '{"a": 1} Hope this helps!', {"a": 1}),
    ("code fence", 'Sure:\n```json\n{"a": 1}\n```\n', {"a": 1}),
    ("two fenced blocks", '```json\n{"a": 1}\n```\n```json\n[2]\n```', [{"a": 1}, [2]]),
    ("later object updates same shape", '{"a": 1}{"a": 2}', {"a": 2}),
    ("members after the closing brace", '{"a": 1}, "b": 2}', {"a": 1, "b": 2}),
    ("fenced json inside a string value", '{"a": "```json {"b": 1}```"}', {"a": {"b": 1}}),
    # keys
    ("key without value becomes empty", '{"a": 1, "b"}', {"a": 1, "b": ""}),
    ("set-like braces become a list", "{'a', 'b'}", ["a", "b"]),
    ("words before a key are dropped", '{"a": 1, NOTE "b": 2}', {"a": 1, "b": 2}),
    ("repeated key in array starts a new object", '[{"a": 1 "a": 2}]', [{"a": 1}, {"a": 2}]),
    ("rows continued after early close", '{"r": [[1, 2], [3, 4]], [5, 6]}', {"r": [[1, 2], [3, 4], [5, 6]]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_repair(name: str, text: str, expected: object) -> None:
    assert loads(text) == expected


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_repair_json_text_parses_to_the_same_value(name: str, text: str, expected: object) -> None:
    assert json.loads(repair_json(text)) == expected


VALID = [
    '{"a": [1, 2.5, -3e2, true, false, null, "x\\n\\u00e9"]}',
    "[]",
    '"just a string"',
    "42",
    '  {"nested": {"deep": [[[]]]}}  ',
]


@pytest.mark.parametrize("text", VALID)
def test_valid_json_passes_through_unchanged(text: str) -> None:
    assert repair_json(text) == text
    assert loads(text) == json.loads(text)
