"""The static sections of the prompt: way of working, tool definitions, output format.

Everything here is a pure function of its inputs and renders byte-identically for equal
inputs (sorted keys, fixed order), because the static prefix is what the provider's
prompt cache keys on: one changed byte there and every turn pays full price.
"""

from __future__ import annotations

import json

from codewright.gateway.types import ToolSpec

WAY_OF_WORKING = """\
How you work:
1. Plan first: write a short plan (numbered steps with a status each) before acting, and update it as \
steps finish or change.
2. Act through the tools, one small step at a time. Read the code you change; prefer the graph tools \
(symbols, definitions, references) and search over guessing.
3. Observe each result. When something fails (an edit that did not apply, a lint error, a failing test), \
read the message, reflect on the cause, and fix it before moving on.
4. Keep the repository consistent: run the tests after changes, and never leave a file half-edited.
5. When the task is done (or cannot be done), call `finish` with a short summary."""

OUTPUT_FORMAT = """\
Output format: be brief. Say what you are doing in a sentence or two, then call tools. Write code only \
through the edit and create tools, never as prose. File references are `path:line`. Earlier tool \
results may have been replaced by a reference like `[file src/x.py read at turn 4: 120 lines; read it \
again if needed]`: read it again when you need the content."""

TOOL_CALL_FORMAT = """\
Tool calls: this model has no native tool calling. To call tools, end your reply with one JSON object \
in a ```json fenced block, exactly:
```json
{"tool_calls": [{"name": "TOOL_NAME", "arguments": {"ARG": "VALUE"}}]}
```
Several calls may go in the list; they run in order. Results come back in the next message as \
`Tool result (call ID, TOOL_NAME):` blocks. Write nothing after the JSON block."""


def render_tools(tools: list[ToolSpec]) -> str:
    """Tool definitions as prompt text (only when the model has no native tool calling)."""
    lines = ["Tools (arguments follow each tool's JSON Schema):"]
    for tool in tools:
        schema = json.dumps(tool.parameters, sort_keys=True, separators=(",", ":"))
        lines.append(f"- {tool.name}: {tool.description}\n  arguments schema: {schema}")
    return "\n".join(lines)


def render_static(system: str, tools: list[ToolSpec], native_tools: bool, facts_text: str, repo_map: str) -> str:
    """The whole static prefix, in cache order: role, way of working, tools, output format, facts, map."""
    sections = [system.strip(), WAY_OF_WORKING]
    if not native_tools:
        sections += [render_tools(tools), TOOL_CALL_FORMAT]
    sections += [OUTPUT_FORMAT, "# Project facts\n" + facts_text]
    if repo_map.strip():
        sections.append("# Repository map\n" + repo_map.strip())
    return "\n\n".join(sections) + "\n"
