"""Turn what the model wrote into tool calls with arguments that fit the tool's schema.

Native calls arrive as `ToolCall`s with raw JSON arguments; models without native tool
calling write fenced JSON blocks in their text (context.prompt.TOOL_CALL_FORMAT). Both go
through `codewright.repair` (tolerant JSON; the toolbox coerces to the schema), and
whatever cannot be repaired becomes a precise message for the model: a malformed call
never ends a run.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any, get_args

from codewright import repair
from codewright.agent.events import PlanStatus, PlanStep
from codewright.gateway.types import ToolCall, ToolSpec

_BLOCK = re.compile(r"```(?:tool|json)[^\n]*\n(.*?)(?:\n```|\Z)", re.DOTALL)
STATUSES: tuple[PlanStatus, ...] = get_args(PlanStatus)
_CALL_HINT = re.compile(r'"(?:tool_calls|name)"\s*:')


class BadToolCall(ValueError):
    """The model's call cannot be used; the message tells the model exactly why."""


@dataclass
class TextCalls:
    calls: list[ToolCall]
    errors: list[str]  # one message per block that could not be read as a call
    prose: str  # the text less the blocks read as calls, which the context engine writes in its own format


def parse_arguments(call: ToolCall, spec: ToolSpec | None) -> dict[str, Any]:
    """The call's raw arguments, repaired into a JSON object, or BadToolCall. (The toolbox then
    coerces them to the tool's schema and answers a mismatch with its own precise message.)"""
    if spec is None:
        raise BadToolCall(f"unknown tool {call.name!r}")
    raw = call.arguments.strip() or "{}"
    if _several_objects(raw):
        raise BadToolCall(f"arguments of {call.name} hold several JSON objects, one after another: make one call "
                          f"for each: {raw[:200]}")
    try:
        value = repair.loads(raw)
    except ValueError as exc:  # RepairError and json's errors are ValueErrors
        raise BadToolCall(f"arguments of {call.name} are not JSON ({exc}): {raw[:200]}") from exc
    if isinstance(value, str):  # the object encoded twice, as a JSON string: some chat templates send it so
        with contextlib.suppress(ValueError):
            value = repair.loads(value)
    if not isinstance(value, dict):
        raise BadToolCall(f"arguments of {call.name} must be a JSON object, got {type(value).__name__}")
    if not value and raw.strip(_EMPTY_OBJECT):
        raise BadToolCall(f"arguments of {call.name} are not JSON: nothing could be read from {raw[:200]}")
    return value


_EMPTY_OBJECT = "{} \t\r\n"
"""What `{}` may be written with. Repair reads `{garbage}` or `{{{{not json` as an empty object: a tool whose
arguments are all optional (git_diff, run_tests, list_dir) then ran on its defaults, and the model never heard
that its call was unreadable."""


def _several_objects(raw: str) -> bool:
    """Whether `raw` is a JSON object with another after it (`{...}{...}`): two calls' arguments run together.
    Repaired, the last alone was kept, and the call ran on it, the first dropped unsaid."""
    try:
        first, end = json.JSONDecoder().raw_decode(raw)
    except ValueError:
        return False
    return isinstance(first, dict) and raw[end:].lstrip().startswith("{")


def plan_steps(arguments: dict[str, Any]) -> list[PlanStep]:
    """The plan tool's steps, tolerating plain strings (pending steps) and unknown statuses."""
    steps = arguments.get("steps")
    if not isinstance(steps, list) or not steps:
        raise BadToolCall('plan needs "steps": a non-empty list of {"step": ..., "status": ...}')
    out = []
    for item in steps:
        if isinstance(item, str):
            item = {"step": item}
        if not isinstance(item, dict) or not str(item.get("step", "")).strip():
            raise BadToolCall(f"each plan step needs a 'step' text, got {json.dumps(item)[:200]}")
        status = str(item.get("status", "pending"))
        out.append({"step": str(item["step"]), "status": status if status in STATUSES else "pending"})
    return out


def reply_prose(text: str) -> str:
    """A reply's text less the blocks read as calls: what the engine keeps of a reply (see `from_text`)."""
    return from_text(text, "").prose


def from_text(text: str, prefix: str) -> TextCalls:
    """Calls written as fenced JSON blocks, `{"tool_calls": [{"name", "arguments"}, ...]}` (the
    context engine's format) or a single `{"name", "arguments"}`; ids are `prefix-N`. The text without
    those blocks is `prose`: kept with the blocks, the code a call wrote stayed in every request after
    compaction had replaced it in the call, and a single call was shown twice."""
    calls: list[ToolCall] = []
    errors: list[str] = []
    prose, end = [], 0
    for match in _BLOCK.finditer(text):
        block = match.group(1)
        if not _CALL_HINT.search(block):
            continue  # JSON shown for another reason (a config file, an example), not a call
        read = len(calls)
        try:
            value = repair.loads(block)
        except ValueError as exc:
            errors.append(f"the tool-call block is not valid JSON ({exc}): {block.strip()[:200]}")
            continue
        items = value.get("tool_calls") if isinstance(value, dict) and "tool_calls" in value else [value]
        for item in items if isinstance(items, list) else [items]:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                errors.append(f'each tool call needs {{"name": ..., "arguments": {{...}}}}, got: {json.dumps(item)[:200]}')
                continue
            arguments = item.get("arguments", {})
            text_args = arguments if isinstance(arguments, str) else json.dumps(arguments)
            calls.append(ToolCall(f"{prefix}-{len(calls) + 1}", item["name"], text_args))
        if len(calls) > read:
            prose.append(text[end:match.start()])
            end = match.end()
    prose.append(text[end:])
    return TextCalls(calls, errors, re.sub(r"\n{3,}", "\n\n", "".join(prose)).strip())
