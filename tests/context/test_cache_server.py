"""The engine against the protocol test server: prefix-cache hits, window respected, calls answered."""

from __future__ import annotations

import json

import pytest
from tests.support.model_server import ModelServer, ToolUse, Turn, count_tokens

from codewright.context import ContextEngine, Ledger, ProjectFacts
from codewright.gateway.anthropic import AnthropicProvider
from codewright.gateway.openai import OpenAIProvider
from codewright.gateway.types import ToolSpec

WINDOW = 4000
TOOLS = [ToolSpec("read_file", "Read a file.", {"type": "object", "properties": {"path": {"type": "string"}},
                                                "required": ["path"]})]


def source(n: int) -> str:
    return "".join(f"def handler_{n}_{i}(request, context):\n    return dispatch(request, {i})\n" for i in range(12))


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_session_stays_cached_and_inside_the_window(protocol: str) -> None:
    ledger = Ledger()
    ledger.record("commit", sha="abc1234", subject="Split the handlers")
    with ModelServer(context_window=WINDOW) as srv:
        provider = (OpenAIProvider("m", srv.openai_base, "k") if protocol == "openai"
                    else AnthropicProvider("m", srv.anthropic_base, "k"))
        engine = ContextEngine(".", system="You are a coding agent. " * 40, tools=TOOLS, window=WINDOW,
                               facts=ProjectFacts(stack=["Python"]), repo_map="src/handlers.py", ledger=ledger,
                               count_tokens=count_tokens)
        engine.add_user("Refactor every handler.")
        for n in range(30):
            srv.script(Turn(text=f"Reading part {n}.", tool_calls=[ToolUse("read_file", {"path": f"h{n}.py"})]))
            request = engine.build("m")
            estimate = engine.measure()
            response = provider.complete(request)
            assert srv.requests[-1].prompt_tokens <= estimate  # the budget is never underestimated
            engine.add_assistant(response.as_message())
            for call in response.tool_calls:
                engine.add_tool_result(call, source(n), kind="file_read", path=json.loads(call.arguments)["path"])
            if n == 3:
                ledger.record("process", command="python -m http.server 8000", pid=77, port=8000)
        provider.close()
        requests = list(srv.requests)
    assert engine.compactions >= 2
    assert max(r.prompt_tokens for r in requests) <= WINDOW  # the server would also have refused more
    hits = sum(r.cached_tokens for r in requests) / sum(r.prompt_tokens for r in requests)
    assert hits >= 0.8, f"cache hits {hits:.1%}"
    systems = {json.dumps(r.body.get("system")) if protocol == "anthropic" else r.body["messages"][0]["content"]
               for r in requests}
    assert len(systems) == 1  # the static prefix never changed
    last = json.dumps(requests[-1].body)
    assert "http.server 8000` pid 77 port 8000" in last and "abc1234 Split the handlers" in last
