"""Tolerant model output: JSON repair, schema coercion and streaming partial JSON.

loads(text) -> value            repair and parse (valid JSON: json.loads's value)
repair_json(text) -> str        the repaired JSON text
StreamParser().feed(chunk)      partial value after each chunk; .close() -> final value
coerce(value, schema)           fit a value to a tool's JSON Schema or raise SchemaError
parse_arguments(text, schema)   both steps for a tool call; errors have .for_model()
"""

from codewright.repair.coerce import Problem, SchemaError, coerce, parse_arguments
from codewright.repair.engine import MAX_DEPTH
from codewright.repair.errors import NoJSONFound, RepairError, TooDeep
from codewright.repair.oneshot import loads, repair_json
from codewright.repair.stream import StreamParser

__all__ = [
    "MAX_DEPTH",
    "NoJSONFound",
    "Problem",
    "RepairError",
    "SchemaError",
    "StreamParser",
    "TooDeep",
    "coerce",
    "loads",
    "parse_arguments",
    "repair_json",
]
