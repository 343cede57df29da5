"""Fit a model's tool arguments to the tool's JSON Schema.

Coercion changes a value only where the intent is unambiguous: "5" for an integer,
"true" for a boolean, a bare value where a one-element array is expected, a JSON-encoded
string where an object or array is expected, a missing property that has a default.
Anything else is a `Problem` naming the field (a JSON pointer) and what is wrong, and
`SchemaError.for_model()` words them all for the model to fix in one turn.

Supported: type (one or a list), properties, required, additionalProperties, items
(one schema or a list), enum, const, default, anyOf / oneOf / allOf, nullable,
minimum / maximum (and exclusive), minLength / maxLength, minItems / maxItems.
jsonschema then validates the coerced value against the full schema (formats ignored),
so keywords outside this subset are still enforced.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass

from codewright.repair.errors import RepairError

_INT = re.compile(r"\s*[-+]?\d+\s*")
_SIMPLE = {"string": str, "object": dict, "array": list}


@dataclass(frozen=True)
class Problem:
    """One field that does not fit: `path` is a JSON pointer ("" is the whole value)."""

    path: str
    message: str

    def __str__(self) -> str:
        message = self.message if len(self.message) <= _MESSAGE_MAX else self.message[:_MESSAGE_MAX] + "..."
        return f"{self.path or '(arguments)'}: {message}"


_MESSAGE_MAX = 300  # jsonschema's messages quote the whole value: a 1 MB string went back to the model whole


class SchemaError(RepairError):
    """The arguments do not fit the schema; `problems` lists every field at fault."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))

    def for_model(self) -> str:
        """A short text to hand back to the model as the tool result."""
        lines = ["The tool arguments do not match the tool's schema:"]
        lines += [f"- {p}" for p in self.problems]
        lines.append("Call the tool again with these fields fixed.")
        return "\n".join(lines)


def coerce(value: object, schema: dict | bool) -> object:
    """Return `value` fitted to `schema`, or raise SchemaError listing every problem."""
    problems: list[Problem] = []
    try:
        result = _Coercer(problems).fit(value, schema, "")
        if not problems:
            problems.extend(_validate(result, schema))
    except RecursionError:  # a recursive schema ($ref "#") checked against arguments nested hundreds deep
        raise SchemaError([Problem("", "nested too deeply to check against the schema")]) from None
    except ValueError as exc:
        if "digits" not in str(exc):
            raise
        raise SchemaError([Problem("", "holds a number too long to read (over 4300 digits)")]) from None
    if problems:
        raise SchemaError(problems)
    return result


def parse_arguments(text: str, schema: dict | bool) -> object:
    """A tool call's raw argument text, repaired and fitted to the tool's schema.

    Empty text stands for no arguments. Raises RepairError (unreadable text) or
    SchemaError (readable, but not what the schema asks for); both have `for_model()`.
    """
    from codewright.repair.oneshot import loads

    value = loads(text) if text.strip() else {}
    return coerce(value, schema)


def _describe(value: object) -> str:
    kind = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )
    text = json.dumps(value, ensure_ascii=False, default=str)
    return kind if len(text) > 40 else f"{kind} {text}"


def _is_type(value: object, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    expected = _SIMPLE.get(name)
    return expected is not None and isinstance(value, expected)


_NO = object()


def _convert(value: object, name: str) -> object:
    """The value as type `name` when that reading is unambiguous, else _NO."""
    if name == "integer":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT.fullmatch(value):
            return int(value)
        number = _convert(value, "number") if isinstance(value, str) else _NO
        return int(number) if isinstance(number, float) and number.is_integer() else _NO
    if name == "number" and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return _NO
        if not math.isfinite(number):
            return _NO
        return int(value) if _INT.fullmatch(value) else number
    if name == "boolean" and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if name == "null" and isinstance(value, str) and value.strip() in ("null", "None"):
        return None
    if name == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return json.dumps(value)
    if name in ("object", "array") and isinstance(value, str) and value.strip()[:1] in ("{", "["):
        from codewright.repair.oneshot import loads

        try:
            decoded = loads(value)
        except RepairError:
            return _NO
        return decoded if _is_type(decoded, name) else _NO
    if name == "array" and value is not None:
        return [value]  # a bare value where a list was expected
    return _NO


class _Coercer:
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems

    def fail(self, path: str, message: str) -> object:
        self.problems.append(Problem(path, message))
        return None

    def fit(self, value: object, schema: dict | bool, path: str) -> object:
        if schema is True or schema == {}:
            return value
        if schema is False:
            return self.fail(path, "no value is allowed here")
        if value is None and schema.get("nullable"):
            return None
        for key in ("anyOf", "oneOf"):
            if key in schema:
                value = self._any_of(value, schema[key], path)
        for sub in schema.get("allOf", ()):
            value = self.fit(value, sub, path)
        if "type" in schema:
            value = self._type(value, schema["type"], path)
            if value is _NO:
                return None
        if "const" in schema and value != schema["const"]:
            return self.fail(path, f"must be {json.dumps(schema['const'])}, got {_describe(value)}")
        if "enum" in schema:
            value = self._enum(value, schema["enum"], path)
        if isinstance(value, dict):
            return self._object(value, schema, path)
        if isinstance(value, list):
            return self._array(value, schema, path)
        self._bounds(value, schema, path)
        return value

    def _type(self, value: object, declared: str | list, path: str) -> object:
        names = [declared] if isinstance(declared, str) else list(declared)
        if any(_is_type(value, name) for name in names):
            return value
        for name in names:
            converted = _convert(value, name)
            if converted is not _NO:
                return converted
        self.fail(path, f"expected {' or '.join(names)}, got {_describe(value)}")
        return _NO

    def _any_of(self, value: object, branches: list, path: str) -> object:
        attempts = []
        for branch in branches:
            trial: list[Problem] = []
            fitted = _Coercer(trial).fit(value, branch, path)  # fit builds new containers
            if not trial and fitted == value:
                return fitted
            attempts.append((trial, fitted))
        for trial, fitted in attempts:
            if not trial:
                return fitted
        closest = min((trial for trial, _ in attempts), key=len, default=[])
        details = "; ".join(p.message for p in closest[:2])
        self.fail(path, f"matches none of the {len(branches)} allowed forms ({details})")
        return value

    def _enum(self, value: object, allowed: list, path: str) -> object:
        if value in allowed:
            return value
        if isinstance(value, str):
            folded = [a for a in allowed if isinstance(a, str) and a.lower() == value.strip().lower()]
            if len(folded) == 1:
                return folded[0]
            numeric = [
                a for a in allowed if not isinstance(a, (str, bool)) and json.dumps(a) == value.strip()
            ]
            if len(numeric) == 1:
                return numeric[0]
        choices = ", ".join(json.dumps(a) for a in allowed)
        self.fail(path, f"must be one of {choices}; got {_describe(value)}")
        return value

    def _object(self, value: dict, schema: dict, path: str) -> dict:
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        out = {}
        for key, item in value.items():
            child = f"{path}/{_escape(key)}"
            if key in props:
                out[key] = self.fit(item, props[key], child)
            elif extra is False:
                allowed = ", ".join(props) or "none"
                self.fail(child, f"unexpected property (allowed: {allowed})")
            else:
                out[key] = self.fit(item, extra, child)
        for key in schema.get("required", ()):
            if key not in out and not (isinstance(props.get(key), dict) and "default" in props[key]):
                self.fail(f"{path}/{_escape(key)}", "missing required property")
        for key, sub in props.items():
            if key not in out and isinstance(sub, dict) and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
        return out

    def _array(self, value: list, schema: dict, path: str) -> list:
        items = schema.get("items", True)
        if isinstance(items, list):
            rest = schema.get("additionalItems", True)
            out = [
                self.fit(v, items[i] if i < len(items) else rest, f"{path}/{i}") for i, v in enumerate(value)
            ]
        else:
            out = [self.fit(v, items, f"{path}/{i}") for i, v in enumerate(value)]
        if len(out) < schema.get("minItems", 0):
            self.fail(path, f"needs at least {schema['minItems']} items, got {len(out)}")
        if "maxItems" in schema and len(out) > schema["maxItems"]:
            self.fail(path, f"allows at most {schema['maxItems']} items, got {len(out)}")
        return out

    def _bounds(self, value: object, schema: dict, path: str) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            checks = (
                ("minimum", lambda b: value >= b, "at least"),
                ("maximum", lambda b: value <= b, "at most"),
                ("exclusiveMinimum", lambda b: value > b, "more than"),
                ("exclusiveMaximum", lambda b: value < b, "less than"),
            )
            for key, ok, words in checks:
                bound = schema.get(key)
                if isinstance(bound, (int, float)) and not isinstance(bound, bool) and not ok(bound):
                    self.fail(path, f"must be {words} {bound}, got {value}")
        if isinstance(value, str):
            if len(value) < schema.get("minLength", 0):
                self.fail(path, f"must be at least {schema['minLength']} characters long")
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                self.fail(path, f"must be at most {schema['maxLength']} characters long")


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _validate(value: object, schema: dict | bool) -> list[Problem]:
    """Everything else the schema says. jsonschema is imported here, on first use: it takes
    longer to import than most tool calls take to coerce."""
    from jsonschema.validators import Draft7Validator, validator_for

    validator = validator_for(schema, default=Draft7Validator)(schema)
    return [
        Problem("".join(f"/{_escape(str(p))}" for p in error.absolute_path), error.message)
        for error in validator.iter_errors(value)
        if not (error.instance is None and isinstance(error.schema, dict) and error.schema.get("nullable"))
    ]
