"""Coercion to a tool's schema: each unambiguous fix, and each error message the model sees."""

from __future__ import annotations

import pytest

from codewright.repair import RepairError, SchemaError, coerce, parse_arguments

COERCIONS = [
    ("string to integer", {"type": "integer"}, "5", 5),
    ("integral float to integer", {"type": "integer"}, 5.0, 5),
    ("string to number", {"type": "number"}, "2.5", 2.5),
    ("integer string to number stays int", {"type": "number"}, "3", 3),
    ("string to boolean", {"type": "boolean"}, "True", True),
    ("string to null", {"type": "null"}, "null", None),
    ("number to string", {"type": "string"}, 12, "12"),
    ("bare value to one-element array", {"type": "array", "items": {"type": "string"}}, "a.py", ["a.py"]),
    ("json text to array", {"type": "array", "items": {"type": "integer"}}, "[1, 2]", [1, 2]),
    ("json text to object", {"type": "object"}, '{"a": 1}', {"a": 1}),
    ("broken json text to object", {"type": "object"}, "{'a': 1", {"a": 1}),
    ("items coerced", {"type": "array", "items": {"type": "integer"}}, ["1", 2], [1, 2]),
    ("type list keeps a matching value", {"type": ["integer", "string"]}, "x", "x"),
    ("type list converts in order", {"type": ["integer", "null"]}, "7", 7),
    ("enum case folded", {"enum": ["fast", "slow"]}, "FAST", "fast"),
    ("enum number from string", {"enum": [1, 2]}, "2", 2),
    ("const matches", {"const": "x"}, "x", "x"),
    ("nullable", {"type": "string", "nullable": True}, None, None),
    (
        "anyOf prefers the branch that fits as is",
        {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        "x",
        "x",
    ),
    ("anyOf converts when no branch fits as is", {"anyOf": [{"type": "integer"}, {"type": "array"}]}, "7", 7),
    ("oneOf", {"oneOf": [{"type": "boolean"}, {"type": "integer"}]}, "false", False),
    (
        "default filled",
        {"type": "object", "properties": {"n": {"type": "integer", "default": 3}}},
        {},
        {"n": 3},
    ),
    (
        "nested property coerced",
        {"type": "object", "properties": {"o": {"type": "object", "properties": {"n": {"type": "integer"}}}}},
        {"o": {"n": "4"}},
        {"o": {"n": 4}},
    ),
    (
        "additional properties schema applied",
        {"type": "object", "additionalProperties": {"type": "integer"}},
        {"x": "1"},
        {"x": 1},
    ),
    (
        "tuple items",
        {"type": "array", "items": [{"type": "integer"}, {"type": "string"}]},
        ["1", 2],
        [1, "2"],
    ),
]


@pytest.mark.parametrize(("name", "schema", "value", "expected"), COERCIONS, ids=[c[0] for c in COERCIONS])
def test_coercion(name: str, schema: dict, value: object, expected: object) -> None:
    assert coerce(value, schema) == expected


OBJ = {
    "type": "object",
    "properties": {
        "n": {"type": "integer", "minimum": 1, "maximum": 10},
        "name": {"type": "string", "minLength": 2, "maxLength": 5},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
        "mode": {"enum": ["fast", "slow"]},
        "kind": {"const": "edit"},
        "pick": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]},
        "code": {"type": "string", "pattern": "^[0-9]+$"},
        "a~b/c": {"type": "integer"},
    },
    "required": ["n"],
    "additionalProperties": False,
}

ERRORS = [
    ("wrong type", {"n": "five"}, "/n", 'expected integer, got string "five"'),
    ("missing required", {}, "/n", "missing required property"),
    ("unexpected property", {"n": 1, "zz": 0}, "/zz", "unexpected property (allowed: n, name, tags"),
    ("below minimum", {"n": 0}, "/n", "must be at least 1, got 0"),
    ("above maximum", {"n": 11}, "/n", "must be at most 10, got 11"),
    ("too short", {"n": 1, "name": "a"}, "/name", "must be at least 2 characters long"),
    ("too long", {"n": 1, "name": "abcdef"}, "/name", "must be at most 5 characters long"),
    ("too few items", {"n": 1, "tags": []}, "/tags", "needs at least 1 items, got 0"),
    ("too many items", {"n": 1, "tags": ["a", "b", "c"]}, "/tags", "allows at most 2 items, got 3"),
    (
        "not in enum",
        {"n": 1, "mode": "medium"},
        "/mode",
        'must be one of "fast", "slow"; got string "medium"',
    ),
    ("not the const", {"n": 1, "kind": "write"}, "/kind", 'must be "edit", got string "write"'),
    ("no anyOf branch", {"n": 1, "pick": "x"}, "/pick", "matches none of the 2 allowed forms"),
    ("pattern via jsonschema", {"n": 1, "code": "x1"}, "/code", "does not match"),
    ("pointer escaping", {"n": 1, "a~b/c": "x"}, "/a~0b~1c", "expected integer"),
]


@pytest.mark.parametrize(("name", "value", "path", "message"), ERRORS, ids=[c[0] for c in ERRORS])
def test_error_names_the_field_and_problem(name: str, value: dict, path: str, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        coerce(value, OBJ)
    problems = {p.path: p.message for p in caught.value.problems}
    assert path in problems
    assert message in problems[path]
    assert f"- {path}: " in caught.value.for_model()


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SchemaError) as caught:
        coerce({"n": "x", "mode": "m", "zz": 1}, OBJ)
    assert {p.path for p in caught.value.problems} == {"/n", "/mode", "/zz"}


def test_for_model_is_a_short_instruction() -> None:
    with pytest.raises(SchemaError) as caught:
        coerce({}, OBJ)
    text = caught.value.for_model()
    assert text.splitlines() == [
        "The tool arguments do not match the tool's schema:",
        "- /n: missing required property",
        "Call the tool again with these fields fixed.",
    ]


def test_parse_arguments_repairs_then_coerces() -> None:
    assert parse_arguments("{'n': '3', tags: 'a',", OBJ) == {"n": 3, "tags": ["a"]}


def test_parse_arguments_empty_text_is_no_arguments() -> None:
    assert parse_arguments("  ", {"type": "object"}) == {}


def test_parse_arguments_unreadable_text() -> None:
    with pytest.raises(RepairError) as caught:
        parse_arguments("no json here", OBJ)
    assert caught.value.for_model().startswith("The tool arguments could not be read as JSON")


def test_coerce_leaves_input_unchanged() -> None:
    value = {"n": "2", "tags": "a"}
    coerce(value, OBJ)
    assert value == {"n": "2", "tags": "a"}
