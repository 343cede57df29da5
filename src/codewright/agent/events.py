"""The typed events of an agent session: the one thing every renderer, store and server sees.

Each step of the loop is reported as one of these dataclasses. They are plain data: the
terminal renderer draws them, `--json` prints them as JSON Lines, the session store keeps
them, and a later server will stream them. The JSON Schema in docs/events.md is generated
from these classes (`json_schema()`), so the document and the code cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import time
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypedDict

SCHEMA_VERSION = 1


@dataclass(kw_only=True)
class Event:
    """Common envelope: which session, the event's order in it, and when it happened."""

    type: ClassVar[str] = "event"
    session: str = ""
    seq: int = 0
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        data = {"v": SCHEMA_VERSION, "type": self.type}
        data.update(dataclasses.asdict(self))
        return data


@dataclass(kw_only=True)
class SessionStarted(Event):
    type: ClassVar[str] = "session_started"
    task: str
    model: str
    mode: str
    repo: str
    resumed: bool = False
    sandbox: str = ""  # whether commands run confined, in one plain sentence


PlanStatus = Literal["pending", "in_progress", "done", "skipped"]


class PlanStep(TypedDict):
    step: str
    status: PlanStatus


@dataclass(kw_only=True)
class PlanUpdated(Event):
    """The model's plan: steps with a status (pending, in_progress, done, skipped)."""

    type: ClassVar[str] = "plan_updated"
    steps: list[PlanStep]


@dataclass(kw_only=True)
class ModelCallStarted(Event):
    type: ClassVar[str] = "model_call_started"
    step: int
    model: str
    messages: int
    tools: int


@dataclass(kw_only=True)
class ModelStreamed(Event):
    """A fragment of the model's output as it streams: text, reasoning or tool-call arguments."""

    type: ClassVar[str] = "model_streamed"
    kind: Literal["text", "reasoning", "tool_call"]
    text: str


@dataclass(kw_only=True)
class ModelCallFinished(Event):
    type: ClassVar[str] = "model_call_finished"
    step: int
    model: str
    finish_reason: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost: float
    latency_s: float
    text: str = ""
    estimated: bool = False  # the server reported no usage: the tokens (and cost) are the gateway's estimate;
    # a `model_call_finished` stored before it was reported is rebuilt with False (`from_dict`)


@dataclass(kw_only=True)
class ToolCallRequested(Event):
    type: ClassVar[str] = "tool_call_requested"
    call_id: str
    name: str
    arguments: str


@dataclass(kw_only=True)
class ToolCallApproved(Event):
    """`by`: mode (the permission mode allows it), user (answered yes), yes (--yes)."""

    type: ClassVar[str] = "tool_call_approved"
    call_id: str
    name: str
    by: Literal["mode", "user", "yes"]


@dataclass(kw_only=True)
class ToolCallDenied(Event):
    type: ClassVar[str] = "tool_call_denied"
    call_id: str
    name: str
    reason: str


@dataclass(kw_only=True)
class ToolCallFinished(Event):
    type: ClassVar[str] = "tool_call_finished"
    call_id: str
    name: str
    ok: bool
    kind: str
    output: str
    duration_s: float


@dataclass(kw_only=True)
class FileChanged(Event):
    """`change`: added, modified or deleted, as the checkpoint that recorded it saw it."""

    type: ClassVar[str] = "file_changed"
    path: str
    change: Literal["added", "modified", "deleted"]


@dataclass(kw_only=True)
class CheckpointMade(Event):
    type: ClassVar[str] = "checkpoint"
    commit: str
    label: str
    files: int


@dataclass(kw_only=True)
class Compacted(Event):
    type: ClassVar[str] = "compaction"
    tokens_before: int
    tokens_after: int
    detail: str = ""


@dataclass(kw_only=True)
class AttemptRestarted(Event):
    """The attempt went wrong (stuck, or finished with the tests failing): its file changes were undone
    and a fresh attempt starts from the task, told what the failed one tried."""

    type: ClassVar[str] = "attempt_restarted"
    attempt: int  # the attempt starting now: 2, 3, ...
    reason: str
    files: list[str]  # what was restored to its state at the start
    # folders holding a git repository of their own that the attempt changed: a checkpoint holds their commit, not
    # their files, so they stay as the attempt left them
    unrestored: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class ErrorEvent(Event):
    """A problem the run reports; `recoverable` ones went back to the model and the run went on."""

    type: ClassVar[str] = "error"
    kind: Literal["malformed_tool_call", "context_overflow", "cut_off", "stream_interrupted", "model", "no_terminal",
                  "store_lost", "not_checkpointed"]
    message: str
    recoverable: bool


@dataclass(kw_only=True)
class AssistantMessage(Event):
    """The model's prose for the user at the end of a turn (chat answers, final summaries)."""

    type: ClassVar[str] = "assistant_message"
    text: str


@dataclass(kw_only=True)
class Finished(Event):
    """`outcome`: done, replied (a chat turn), limit, stuck, interrupted, failed; `exit_code` is the process's."""

    type: ClassVar[str] = "finished"
    outcome: Literal["done", "replied", "limit", "stuck", "interrupted", "failed"]
    reason: str
    exit_code: int
    steps: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int = 0  # a `finished` stored before it was reported is rebuilt with 0 (`from_dict`)
    cost: float
    estimated_calls: int = 0  # calls whose usage the gateway estimated (the server reported none), within the totals


EVENT_TYPES: tuple[type[Event], ...] = (
    SessionStarted,
    PlanUpdated,
    ModelCallStarted,
    ModelStreamed,
    ModelCallFinished,
    ToolCallRequested,
    ToolCallApproved,
    ToolCallDenied,
    ToolCallFinished,
    FileChanged,
    CheckpointMade,
    Compacted,
    AttemptRestarted,
    ErrorEvent,
    AssistantMessage,
    Finished,
)
BY_TYPE = {cls.type: cls for cls in EVENT_TYPES}


def from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event stored by `to_dict` (the session store replays them)."""
    cls = BY_TYPE[data["type"]]
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _field_schema(hint: Any) -> dict[str, Any]:
    """A field's schema; a closed set of values (Literal) is an enum, and a TypedDict an object of exactly its
    keys: as plain strings and maps they took any value, and a misspelt outcome or status passed."""
    if hint in _JSON_TYPES:
        return {"type": _JSON_TYPES[hint]}
    if typing.is_typeddict(hint):
        keys = typing.get_type_hints(hint)
        return {"type": "object", "required": list(keys), "properties": {k: _field_schema(v) for k, v in keys.items()},
                "additionalProperties": False}
    origin = typing.get_origin(hint)
    if origin is Literal:
        return {"enum": list(typing.get_args(hint))}
    if origin is list:
        (item,) = typing.get_args(hint)
        return {"type": "array", "items": _field_schema(item)}
    if origin is dict:
        _, value = typing.get_args(hint)
        return {"type": "object", "additionalProperties": _field_schema(value)}
    raise TypeError(f"no JSON Schema for {hint!r}")


def _event_schema(cls: type[Event]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    props: dict[str, Any] = {"v": {"const": SCHEMA_VERSION}, "type": {"const": cls.type}}
    for f in dataclasses.fields(cls):
        props[f.name] = _field_schema(hints[f.name])
    return {
        "type": "object",
        "required": ["v", "type", *[f.name for f in dataclasses.fields(cls)]],
        "properties": props,
        "additionalProperties": False,
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema of one event line (what docs/events.md publishes)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"codewright agent event, schema version {SCHEMA_VERSION}",
        "oneOf": [_event_schema(cls) for cls in EVENT_TYPES],
    }
