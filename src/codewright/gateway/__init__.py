"""The model gateway: the only way codewright talks to a model."""

from codewright.gateway.types import (
    Completed,
    Message,
    Reasoning,
    ReasoningDelta,
    Request,
    Response,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
)

__all__ = [
    "Completed",
    "Message",
    "Reasoning",
    "ReasoningDelta",
    "Request",
    "Response",
    "StreamEvent",
    "TextDelta",
    "ToolCall",
    "ToolCallDelta",
    "ToolSpec",
    "Usage",
]
