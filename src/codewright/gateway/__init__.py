"""The model gateway: the only way codewright talks to a model.

Entry point: `Gateway` (see codewright.gateway.gateway). Importing this package stays
cheap: httpx and the local model's runtime load on the first call that needs them.
"""

from codewright.gateway.config import DEFAULT_MODEL, GatewayConfig, load_config
from codewright.gateway.errors import ContextOverflow, GatewayError, RateLimited, StreamInterrupted
from codewright.gateway.gateway import Gateway
from codewright.gateway.types import (
    Completed,
    Message,
    PromptProgress,
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
    "DEFAULT_MODEL",
    "Completed",
    "ContextOverflow",
    "Gateway",
    "GatewayConfig",
    "GatewayError",
    "Message",
    "PromptProgress",
    "RateLimited",
    "Reasoning",
    "ReasoningDelta",
    "Request",
    "Response",
    "StreamEvent",
    "StreamInterrupted",
    "TextDelta",
    "ToolCall",
    "ToolCallDelta",
    "ToolSpec",
    "Usage",
    "load_config",
]
