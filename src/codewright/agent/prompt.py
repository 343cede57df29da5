"""The agent's standing instructions: its role, and the loop's own `plan` tool.

These texts open every request, so they never change within a session (the prompt
cache relies on it). The way of working, tool definitions and the JSON tool-call format
for models without native tool calling are the context engine's static sections.
"""

from __future__ import annotations

from codewright.gateway.types import ToolSpec

SYSTEM = """\
You are codewright, a careful software engineer carrying out the user's task in their repository
through tools. Keep your plan current with the `plan` tool (the full list of steps, each with a
status), check your work with the tests or the linter, and stay inside the repository. Ask nothing
of the user during a run: decide, and say what you assumed."""

CHAT = """\
This is a conversation: answer the user's question or do what they ask, then reply in prose
without a tool call to end your turn."""

PLAN_TOOL = ToolSpec(
    name="plan",
    description="Write or update your plan: the full list of steps, each with its status.",
    parameters={
        "type": "object",
        "properties": {
            "steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "step": {"type": "string"},
                        "status": {"type": "string", "enum": ["pending", "in_progress", "done", "skipped"]},
                    },
                    "required": ["step", "status"],
                },
            }
        },
        "required": ["steps"],
    },
)

SMALL_MODEL_TOOLS = frozenset(
    {"plan", "read_file", "list_dir", "search", "edit_file", "create_file", "run_tests", "run_command", "finish"}
)
"""What a small model is offered: every tool's schema costs prompt tokens it reads slowly, and
fewer choices keep it on the read-edit-test path."""


def system_prompt(*, chat: bool) -> str:
    """The role text the context engine puts first; its way-of-working and formats follow it."""
    return f"{SYSTEM}\n\n{CHAT}" if chat else SYSTEM
