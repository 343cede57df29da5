"""Each provider's stream and non-stream answers, normalised: text, tool calls, reasoning, usage."""

from __future__ import annotations

import json

import pytest
from tests.gateway.conftest import deployment, gateway
from tests.support.model_server import ModelServer, ToolUse, Turn

from codewright.gateway import Completed, Message, Request, TextDelta, ToolCallDelta, ToolSpec

PROTOCOLS = ["openai", "anthropic", "ollama"]
TOOLS = [ToolSpec("read_file", "Read a file", {"type": "object", "properties": {"path": {"type": "string"}}})]
TWO_CALLS = Turn(
    text="Let me look at both files.",
    tool_calls=[ToolUse("read_file", {"path": "src/a.py"}), ToolUse("read_file", {"path": "src/b.py", "n": [1, 2]})],
    chunk_size=3,
)


def _ask(text: str = "fix the bug") -> Request:
    return Request([Message("system", "You are a coding agent."), Message("user", text)], tools=TOOLS)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_streamed_tool_calls_arrive_intact(server: ModelServer, protocol: str) -> None:
    server.script(TWO_CALLS)
    gw = gateway({"main": [deployment(protocol, server)]})
    events = list(gw.stream(_ask()))
    assert isinstance(events[-1], Completed) and not any(isinstance(e, Completed) for e in events[:-1])
    response = events[-1].response
    assert response.text == "Let me look at both files."
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == response.text
    assert [(c.name, json.loads(c.arguments)) for c in response.tool_calls] == [
        ("read_file", {"path": "src/a.py"}), ("read_file", {"path": "src/b.py", "n": [1, 2]})]
    assert len({c.id for c in response.tool_calls}) == 2
    assert response.finish_reason == "tool_calls"
    fragments = [e for e in events if isinstance(e, ToolCallDelta)]
    by_index = {i: "".join(f.arguments for f in fragments if f.index == i) for i in (0, 1)}
    assert by_index == {0: response.tool_calls[0].arguments, 1: response.tool_calls[1].arguments}


def test_parallel_calls_a_server_streams_all_at_index_0_stay_apart() -> None:
    """Ollama's OpenAI API (and LiteLLM proxies) stream every parallel call at index 0, each with its own id: the
    calls were merged into one, the last's id and name with `{...}{...}` as arguments, of which the first call's
    was lost."""
    with ModelServer(flavor="index0") as srv:
        srv.script(TWO_CALLS)
        events = list(gateway({"main": [deployment("openai", srv)]}).stream(_ask()))
    calls = events[-1].response.tool_calls
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("read_file", {"path": "src/a.py"}), ("read_file", {"path": "src/b.py", "n": [1, 2]})]
    assert len({c.id for c in calls}) == 2
    fragments = [e for e in events if isinstance(e, ToolCallDelta)]
    assert {f.index for f in fragments} == {0, 1}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_complete_matches_stream(server: ModelServer, protocol: str) -> None:
    server.script(TWO_CALLS, TWO_CALLS)
    gw = gateway({"main": [deployment(protocol, server)]})
    whole = gw.complete(_ask())
    streamed = next(e for e in gw.stream(_ask()) if isinstance(e, Completed)).response
    for r in (whole, streamed):
        assert r.text == "Let me look at both files."
        assert [json.loads(c.arguments) for c in r.tool_calls] == [{"path": "src/a.py"},
                                                                    {"path": "src/b.py", "n": [1, 2]}]
        assert r.usage.output_tokens > 0 and r.usage.input_tokens == server.requests[0].prompt_tokens


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_malformed_tool_arguments_are_passed_through_verbatim(server: ModelServer, protocol: str) -> None:
    broken = '{"path": "a.py", "lines": [1, 2'
    server.script(Turn(tool_calls=[ToolUse("read_file", broken)]))
    gw = gateway({"main": [deployment(protocol, server)]})
    response = next(e for e in gw.stream(_ask()) if isinstance(e, Completed)).response
    assert response.tool_calls[0].arguments == broken  # the repair layer gets what the model wrote
    assert server.count() == 1  # a model's output is not a transport fault: no retry


def test_openai_request_asks_for_streamed_usage(server: ModelServer) -> None:
    gw = gateway({"main": [deployment("openai", server)]})
    list(gw.stream(_ask()))
    body = server.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["tools"][0]["function"]["name"] == "read_file"
    assert server.requests[0].headers["authorization"] == "Bearer sk-test-123"


def test_tool_results_are_sent_back_per_protocol(server: ModelServer) -> None:
    for protocol in PROTOCOLS:
        server.script(Turn(tool_calls=[ToolUse("read_file", {"path": "a.py"})]), Turn("done"))
        gw = gateway({"main": [deployment(protocol, server)]})
        first = gw.complete(_ask())
        call = first.tool_calls[0]
        follow = _ask()
        follow.messages += [first.as_message(), Message("tool", "print(1)", tool_call_id=call.id, name=call.name)]
        assert gw.complete(follow).text == "done"
        sent = server.requests[-1].messages
        assert sent[-1]["role"] == "tool" and sent[-1]["content"] == "print(1)"
        if protocol != "ollama":
            assert sent[-1]["tool_call_id"] == call.id


def test_deepseek_reasoning_content_and_cache_hits() -> None:
    with ModelServer(flavor="deepseek") as srv:
        srv.script(Turn("answer", reasoning="first I think", chunk_size=4), Turn("again"))
        gw = gateway({"main": [deployment("openai", srv, model="deepseek-chat")]})
        events = list(gw.stream(_ask()))
        response = events[-1].response
        assert response.reasoning[0].text == "first I think"
        assert response.usage.reasoning_tokens == 3
        second = gw.complete(_ask())
        assert second.usage.cache_read_tokens == srv.requests[1].cached_tokens > 0


def test_openai_reports_reasoning_tokens_without_text(server: ModelServer) -> None:
    server.script(Turn("42", reasoning="hidden chain of thought here"))
    response = gateway({"main": [deployment("openai", server)]}).complete(_ask())
    assert response.reasoning == [] and response.usage.reasoning_tokens == 5


def test_ollama_thinking_and_options(server: ModelServer) -> None:
    server.script(Turn("ok", reasoning="hmm"))
    request = _ask()
    request.max_tokens, request.thinking_budget, request.stop = 50, 100, ["\n\n"]
    response = gateway({"main": [deployment("ollama", server)]}).complete(request)
    assert response.reasoning[0].text == "hmm"
    body = server.requests[0].body
    assert body["options"] == {"num_predict": 50, "stop": ["\n\n"]} and body["think"] is True


@pytest.mark.parametrize("env, sent", [({"TEST_KEY": "sk-test-123"}, "Bearer sk-test-123"), ({}, None)],
                         ids=["key set", "no key"])
def test_an_ollama_deployments_key_is_sent_as_a_bearer_token(server: ModelServer, env: dict, sent: str | None) -> None:
    """As Ollama's own client sends OLLAMA_API_KEY (its cloud, a server behind an authenticating proxy): the key of
    an ollama deployment's api_key_env was read, and never sent."""
    gateway({"main": [deployment("ollama", server)]}, env=env).complete(_ask())
    assert server.requests[0].headers.get("authorization") == sent


def test_openai_official_api_gets_max_completion_tokens(server: ModelServer) -> None:
    from codewright.gateway.openai import OpenAIProvider

    request = Request([Message("user", "hi")], max_tokens=7)
    assert OpenAIProvider("gpt-5", "https://api.openai.com/v1").payload(request, False)["max_completion_tokens"] == 7
    gateway({"main": [deployment("openai", server)]}).complete(request)
    assert server.requests[0].body["max_tokens"] == 7  # compatible servers keep the classic field


@pytest.mark.parametrize("streamed", [False, True], ids=["complete", "stream"])
def test_gemini_thought_signatures_go_back_with_their_tool_calls(streamed: bool) -> None:
    with ModelServer(flavor="gemini") as srv:
        srv.script(TWO_CALLS, Turn("Both read."))
        gw = gateway({"main": [deployment("openai", srv)]})
        request = _ask()
        first = list(gw.stream(request))[-1].response if streamed else gw.complete(request)
        signatures = [c.extra_content["google"]["thought_signature"] for c in first.tool_calls]
        assert len(set(signatures)) == 2 and all(s.startswith("sig-") for s in signatures)
        request.messages += [first.as_message(), *(Message("tool", "x", tool_call_id=c.id) for c in first.tool_calls)]
        assert gw.complete(request).text == "Both read."  # Gemini refuses a tool call without its signature
        sent = srv.requests[1].body["messages"][2]["tool_calls"]
        assert [c["extra_content"] for c in sent] == [{"google": {"thought_signature": s}} for s in signatures]
